// Torture-suite peer: contends for a mutex with go-zookeeper's zk.Lock and does
// fenced read-sleep-write cycles on a shared store file, logging every step.
// Each task has a session of its own (see contender). Mutex mode only.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/samuel/go-zookeeper/zk"
)

var (
	connect   = flag.String("connect", "", "ZooKeeper connect string host:port[,host:port...]")
	lockPath  = flag.String("path", "", "lock path")
	storePath = flag.String("store", "", "fenced store file")
	logPath   = flag.String("log", "", "event log to append to")
	mode      = flag.String("mode", "", "mutex (only)")
	tasks     = flag.Int("tasks", 1, "concurrent contenders")
	timeoutMs = flag.Int("session-timeout-ms", 4000, "session timeout")
	sleepMs   = flag.Int("sleep-ms", 5, "max sleep inside a hold")
	_         = flag.Int("writers-pct", 30, "ignored (rwlock only)")
	_         = flag.Int("term-writes", 3, "ignored (leader only)")
	seed      = flag.Int64("seed", 1, "random seed")
	acl       = zk.WorldACL(zk.PermAll)
	stopFlag  int32
	closing   int32
	stdinEOF  = make(chan struct{})
)

// ---- event log: one write(2) per line on an O_APPEND file, so a SIGKILL never tears a line

var (
	logMu   sync.Mutex
	logFile *os.File
)

func monoNs() int64 {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Sec*1e9 + ts.Nsec
}

func event(task, ev string, kv ...string) {
	logMu.Lock()
	defer logMu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s %s", monoNs(), task, ev)
	for _, s := range kv {
		b.WriteString(" " + strings.Join(strings.Fields(s), "_"))
	}
	b.WriteString("\n")
	logFile.Write([]byte(b.String())) // nowhere to report a failure; keep running
}

func short(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// ---- fenced store: "<20-digit token> <20-digit value>\n"

var storeMu sync.Mutex // fcntl locks do not exclude our own goroutines

// store returns the current value and, if write and token >= the stored token,
// replaces the contents with (token, newValue) and reports accepted.
func store(write bool, token, newValue int64) (accepted bool, cur int64, err error) {
	storeMu.Lock()
	defer storeMu.Unlock()
	f, err := os.OpenFile(*storePath, os.O_RDWR, 0)
	if err != nil {
		return false, 0, err
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 0, Len: 0} // whole file
	for {
		if err = syscall.FcntlFlock(f.Fd(), syscall.F_SETLKW, &lk); err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return false, 0, err
	}
	defer func() { // runs before the Close above
		un := syscall.Flock_t{Type: syscall.F_UNLCK}
		syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &un)
	}()
	buf := make([]byte, 42)
	if _, err = f.ReadAt(buf, 0); err != nil {
		return false, 0, err
	}
	if buf[20] != ' ' || buf[41] != '\n' {
		return false, 0, fmt.Errorf("malformed store %q", buf)
	}
	last, err1 := strconv.ParseInt(string(buf[:20]), 10, 64)
	cur, err2 := strconv.ParseInt(string(buf[21:41]), 10, 64)
	if err1 != nil || err2 != nil {
		return false, 0, fmt.Errorf("malformed store %q", buf)
	}
	if !write || token < last {
		return false, cur, nil
	}
	_, err = f.WriteAt([]byte(fmt.Sprintf("%020d %020d\n", token, newValue)), 0)
	return err == nil, cur, err
}

// ---- session events

type quiet struct{}

func (quiet) Printf(string, ...interface{}) {}

// contender is one task with a session of its own. go-zookeeper's Lock() returns
// an error without deleting the node it created when a request after the create
// fails (a connection closed mid-acquire); the node then blocks every contender,
// of every library, for as long as the session lives. With a session per task,
// every node of the session that is not held is such a leftover, and the task
// deletes them after a failed Lock().
type contender struct {
	t    string
	conn *zk.Conn
	mu   sync.Mutex // held across zk.Connect so the callback never sees conn unset
	told int64      // bumped on every uncertain / lost; a hold that sees it change must not write
	// Only the connection's own loop goroutine touches these.
	up          bool
	lastSession int64
	gotOnce     sync.Once
	gotSession  chan struct{}
}

// onEvent is a zk.WithEventCallback: unlike the event channel it cannot drop
// events, and it runs before the library acts on the new state.
func (c *contender) onEvent(ev zk.Event) {
	if ev.Type != zk.EventSession || atomic.LoadInt32(&closing) == 1 {
		return
	}
	switch ev.State {
	case zk.StateHasSession:
		c.mu.Lock()
		sid := c.conn.SessionID()
		c.mu.Unlock()
		if sid == c.lastSession {
			event("-", "reconnected", "task="+c.t)
		} else {
			c.lastSession = sid
			event("-", "connected", fmt.Sprintf("session=%x", uint64(sid)), "task="+c.t)
		}
		c.up = true
		c.gotOnce.Do(func() { close(c.gotSession) })
	case zk.StateDisconnected: // also reported after every failed attempt; log the first
		if c.up {
			c.up = false
			atomic.AddInt64(&c.told, 1)
			event("-", "uncertain", "task="+c.t)
		}
	case zk.StateExpired: // only learnt when a server answers our reconnect
		c.up = false
		atomic.AddInt64(&c.told, 1)
		event("-", "lost", "task="+c.t)
	}
}

func (c *contender) connect() {
	c.mu.Lock()
	conn, events, err := zk.Connect(strings.Split(*connect, ","), time.Duration(*timeoutMs)*time.Millisecond,
		zk.WithLogger(quiet{}), zk.WithLogInfo(false), zk.WithEventCallback(c.onEvent))
	c.conn = conn
	c.mu.Unlock()
	if err != nil {
		fail(err.Error())
	}
	go func() { // the callback already saw everything; keep the channel drained
		for range events {
		}
	}()
}

// ---- the contender

func seqOf(name string) int64 {
	if len(name) < 10 {
		return -1
	}
	s, err := strconv.ParseInt(name[len(name)-10:], 10, 64)
	if err != nil {
		return -1
	}
	return s
}

// holder finds the lock's holder (lowest "lock-" node) and returns its czxid if it
// belongs to session sid, which must also still be our session; zk.Lock keeps our
// node's path private.
func (c *contender) holder(sid int64) (token int64, node string, err error) {
	kids, _, err := c.conn.Children(*lockPath)
	if err != nil {
		return -1, "", err
	}
	best, bestSeq := "", int64(-1)
	for _, k := range kids {
		if s := seqOf(k); strings.Contains(k, "lock-") && s >= 0 && (best == "" || s < bestSeq) {
			best, bestSeq = k, s
		}
	}
	if best == "" {
		return -1, "", nil
	}
	node = *lockPath + "/" + best
	ok, st, err := c.conn.Exists(node)
	if err != nil {
		return -1, node, err
	}
	if !ok || st.EphemeralOwner != sid || c.conn.SessionID() != sid {
		return -1, node, nil
	}
	return st.Czxid, node, nil
}

// removeLeftovers deletes every node of our session under the path: after a
// failed Lock() none of them is held, and one may block everyone.
func (c *contender) removeLeftovers() {
	sid := c.conn.SessionID()
	kids, _, err := c.conn.Children(*lockPath)
	if err != nil {
		return // the next failure tries again; an expired session took them anyway
	}
	for _, k := range kids {
		node := *lockPath + "/" + k
		if ok, st, err := c.conn.Exists(node); err == nil && ok && st.EphemeralOwner == sid {
			if c.conn.Delete(node, -1) == nil {
				event(c.t, "leftover_deleted", "node="+node)
			}
		}
	}
}

// hold runs steps 2-6 of one hold; the caller releases.
func (c *contender) hold(rnd *rand.Rand, sid, told0 int64) {
	t := c.t
	token, node, err := c.holder(sid)
	if err != nil {
		event(t, "skip", "reason=not_owner", "err="+short(err))
		return
	}
	if token < 0 {
		event(t, "skip", "reason=not_owner")
		return
	}
	event(t, "acquired", fmt.Sprintf("token=%d", token), "node="+node)
	_, v, err := store(false, 0, 0)
	if err != nil {
		event(t, "hold_error", "err="+short(err))
		return
	}
	event(t, "read", fmt.Sprintf("value=%d", v))
	time.Sleep(time.Duration(1+rnd.Intn(*sleepMs)) * time.Millisecond)
	if atomic.LoadInt64(&c.told) != told0 || c.conn.State() != zk.StateHasSession {
		event(t, "skip", "reason=told")
		return
	}
	acc, cur, err := store(true, token, v+1)
	if err != nil {
		event(t, "hold_error", "err="+short(err))
		return
	}
	res := "rejected"
	if acc {
		res = "accepted"
	}
	event(t, "write", fmt.Sprintf("token=%d", token), fmt.Sprintf("read=%d", v), fmt.Sprintf("cur=%d", cur), "result="+res)
}

// release deletes our node. A failed Delete leaves the node behind for as long
// as the session lives, blocking every contender, so retry while the session
// could still be alive (at most one session timeout). Reports success.
func (c *contender) release(lock *zk.Lock, sid int64) bool {
	deadline := time.Now().Add(time.Duration(*timeoutMs) * time.Millisecond)
	for attempt := 0; ; attempt++ {
		err := lock.Unlock()
		if err == nil || (err == zk.ErrNoNode && attempt > 0) { // NoNode on a retry: our earlier delete went through
			event(c.t, "released", "ok=true")
			return err == nil
		}
		if err == zk.ErrNoNode || err == zk.ErrNotLocked || c.conn.SessionID() != sid || time.Now().After(deadline) {
			event(c.t, "released", "ok=false", "err="+short(err))
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *contender) run(i int, wg *sync.WaitGroup) {
	defer wg.Done()
	t := c.t
	rnd := rand.New(rand.NewSource(*seed*1000003 + int64(i)))
	lock := zk.NewLock(c.conn, *lockPath, acl)
	for atomic.LoadInt32(&stopFlag) == 0 {
		func() {
			defer func() { // never let a task die
				if r := recover(); r != nil {
					event(t, "task_error", fmt.Sprintf("err=%v", r))
					lock = zk.NewLock(c.conn, *lockPath, acl)
					time.Sleep(100 * time.Millisecond)
				}
			}()
			// Start from a live session: the ownership check needs the session the
			// node will be created in (SessionID() is 0 right after an expiry).
			for c.conn.State() != zk.StateHasSession {
				if atomic.LoadInt32(&stopFlag) == 1 {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			event(t, "acquire", "kind=x")
			sid := c.conn.SessionID()
			if err := lock.Lock(); err != nil {
				event(t, "acquire_error", "err="+short(err))
				c.removeLeftovers()
				// A fresh Lock: the old one may be half-initialised.
				lock = zk.NewLock(c.conn, *lockPath, acl)
				time.Sleep(100 * time.Millisecond)
				return
			}
			c.hold(rnd, sid, atomic.LoadInt64(&c.told))
			if !c.release(lock, sid) {
				lock = zk.NewLock(c.conn, *lockPath, acl) // the old one still thinks it holds
			}
		}()
	}
	event(t, "idle")
}

func fail(why string) {
	fmt.Fprintln(os.Stderr, "torture_gozk:", why)
	os.Exit(2)
}

func main() {
	flag.Parse()
	if flag.NArg() > 0 {
		fail("unexpected arguments " + strings.Join(flag.Args(), " "))
	}
	if *connect == "" || *lockPath == "" || *storePath == "" || *logPath == "" || *mode == "" {
		fail("--connect, --path, --store, --log and --mode are required")
	}
	if *mode != "mutex" {
		fail("unsupported mode " + *mode + " (go-zookeeper has only a mutex)")
	}
	if *tasks < 1 || *sleepMs < 1 {
		fail("--tasks and --sleep-ms must be >= 1")
	}
	var err error
	if logFile, err = os.OpenFile(*logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0644); err != nil {
		fail(err.Error())
	}
	event("-", "start", "kind=gozk", fmt.Sprintf("pid=%d", os.Getpid()))

	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "stop" {
				atomic.StoreInt32(&stopFlag, 1)
			}
		}
		atomic.StoreInt32(&stopFlag, 1)
		close(stdinEOF)
		// The parent is gone (or done): tasks stuck behind a dead cluster must not keep
		// this process alive.
		time.Sleep(20 * time.Second)
		os.Exit(0)
	}()

	contenders := make([]*contender, *tasks)
	for i := range contenders {
		contenders[i] = &contender{t: strconv.Itoa(i), gotSession: make(chan struct{})}
		contenders[i].connect()
	}
	for _, c := range contenders {
		<-c.gotSession // waits forever: network trouble must not end the process
	}

	var wg sync.WaitGroup
	for i, c := range contenders {
		wg.Add(1)
		go c.run(i, &wg)
	}
	fmt.Println("READY")
	wg.Wait()
	event("-", "idle")

	<-stdinEOF
	atomic.StoreInt32(&closing, 1)
	for _, c := range contenders {
		c.conn.Close()
	}
	logFile.Close()
	os.Exit(0)
}
