// Torture-suite peer: contends for a mutex, a read/write lock, leadership or semaphore
// permits with Apache Curator 5.4 recipes and does fenced read-sleep-write cycles on a shared
// store file, logging every step. See the suite's README for the log format.

import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryForever;
import org.apache.zookeeper.data.Stat;

public class TortureCurator {
    static String connect, lockPath, storePath, logPath, mode;
    static int tasks = 1, sessionTimeoutMs = 4000, sleepMs = 5, writersPct = 30, termWrites = 3, permits = 2;
    static InterProcessSemaphoreV2 semaphore; // one per process, shared by its threads
    static long seed = 1;

    static CuratorFramework client;
    static FileOutputStream log;
    // Bumped on every SUSPENDED / LOST: a hold that sees it change must not write.
    static final AtomicLong told = new AtomicLong();
    static volatile boolean stop;
    /** How long after stdin's end the process may take to finish its holds and exit. */
    static final long EXIT_GRACE_MS = 20_000;
    static final CountDownLatch stdinEof = new CountDownLatch(1);
    static final CountDownLatch firstSession = new CountDownLatch(1);
    static long lastSession; // only touched by Curator's state-listener thread

    // ---- recipe subclasses: Curator keeps our node's path in a protected getLockPath()

    interface OwnPath { String ourPath(); }

    static final class Mutex extends InterProcessMutex implements OwnPath {
        Mutex(CuratorFramework c, String p) { super(c, p); }
        public String ourPath() { return getLockPath(); }
    }

    static final class WLock extends InterProcessReadWriteLock.WriteLock implements OwnPath {
        WLock(CuratorFramework c, String p) { super(c, p, null); }
        public String ourPath() { return getLockPath(); }
    }

    // Built the same way InterProcessReadWriteLock builds its pair (reader knows its writer).
    static final class RLock extends InterProcessReadWriteLock.ReadLock implements OwnPath {
        RLock(CuratorFramework c, String p, WLock w) { super(c, p, null, w); }
        public String ourPath() { return getLockPath(); }
    }

    // ---- event log: one write(2) per line on an O_APPEND stream, so a SIGKILL never tears a line

    static synchronized void event(String task, String ev, String... kv) {
        StringBuilder sb = new StringBuilder().append(System.nanoTime()).append(' ').append(task).append(' ').append(ev);
        for (String s : kv) sb.append(' ').append(s.replaceAll("\\s", "_"));
        try {
            log.write(sb.append('\n').toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // Nowhere left to report it; keep running.
        }
    }

    static String err(Throwable t) {
        String m = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ":" + t.getMessage());
        return m.length() > 120 ? m.substring(0, 120) : m;
    }

    static void sleep(long ms) {
        try { Thread.sleep(ms); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }

    // ---- fenced store: "<20-digit token> <20-digit value>\n"

    static final Object storeMutex = new Object(); // fcntl locks do not exclude our own threads

    /** Returns {accepted(1/0), value}; writes (token, newValue) only if write && token >= stored token. */
    static long[] store(boolean write, long token, long newValue) throws IOException {
        synchronized (storeMutex) {
            try (FileChannel ch = FileChannel.open(Path.of(storePath), StandardOpenOption.READ, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) { // F_SETLKW, F_WRLCK
                ByteBuffer buf = ByteBuffer.allocate(42);
                while (buf.hasRemaining() && ch.read(buf, buf.position()) > 0) { }
                String s = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
                if (s.length() != 42 || s.charAt(20) != ' ' || s.charAt(41) != '\n')
                    throw new IOException("malformed store: " + s);
                long last = Long.parseLong(s.substring(0, 20)), cur = Long.parseLong(s.substring(21, 41));
                if (!write) return new long[] {0, cur};
                if (token < last) return new long[] {0, cur};
                ByteBuffer out = ByteBuffer.wrap(String.format("%020d %020d\n", token, newValue).getBytes(StandardCharsets.US_ASCII));
                while (out.hasRemaining()) ch.write(out, out.position());
                return new long[] {1, cur};
            }
        }
    }

    // ---- ZooKeeper helpers

    static long session() {
        try { return client.getZookeeperClient().getZooKeeper().getSessionId(); } catch (Exception e) { return 0; }
    }

    static long seq(String name) {
        try { return Long.parseLong(name.substring(name.length() - 10)); } catch (RuntimeException e) { return -1; }
    }

    /**
     * Czxid of our node if we really hold it right now: the node is listed, belongs to our
     * session, no child that would block us has a lower sequence, and the session did not
     * change meanwhile (RetryForever silently retries a call across a session loss); else -1.
     */
    static long verify(String ours, String kind) throws Exception {
        if (ours == null) return -1;
        int slash = ours.lastIndexOf('/');
        String dir = ours.substring(0, slash), me = ours.substring(slash + 1);
        long sid = session();
        List<String> kids = client.getChildren().forPath(dir);
        Stat st = client.checkExists().forPath(ours);
        if (!kids.contains(me) || st == null || st.getEphemeralOwner() != sid || session() != sid) return -1;
        for (String k : kids) {
            boolean blocks = switch (kind) {
                case "x" -> k.contains("lock-");
                case "w" -> true;                   // a writer must be first of all
                case "r" -> k.contains("__WRIT__"); // a reader only waits for earlier writers
                case "s" -> false;                  // a lease is counted, not ordered
                default -> k.contains("latch-");
            };
            long s = seq(k);
            if (blocks && s >= 0 && s < seq(me)) return -1;
        }
        return st.getCzxid();
    }

    // ---- one hold's work

    /** Steps 3-6: read, sleep, write unless told. Returns false if the hold must stop. */
    static boolean cycle(String t, Random rnd, String kind, long token, long told0, LeaderLatch latch) throws IOException {
        long v = store(false, 0, 0)[1];
        event(t, "read", "value=" + v);
        sleep(1 + rnd.nextInt(sleepMs));
        if (kind.equals("r") || kind.equals("s")) return true;
        if (told.get() != told0 || !client.getZookeeperClient().isConnected() || (latch != null && !latch.hasLeadership())) {
            event(t, "skip", "reason=told");
            return false;
        }
        long[] r = store(true, token, v + 1);
        event(t, "write", "token=" + token, "read=" + v, "cur=" + r[1], "result=" + (r[0] == 1 ? "accepted" : "rejected"));
        return true;
    }

    /** After acquisition: verify ownership, then run `cycles` work cycles (stops early when told). */
    static void hold(String t, Random rnd, String kind, String ours, int cycles, LeaderLatch latch) {
        long told0 = told.get();
        long token;
        try {
            token = verify(ours, kind);
        } catch (Exception e) {
            event(t, "skip", "reason=not_owner", "err=" + err(e));
            return;
        }
        if (token < 0) {
            event(t, "skip", "reason=not_owner");
            return;
        }
        event(t, "acquired", "token=" + token, "node=" + ours);
        try {
            for (int i = 0; i < cycles; i++)
                if (!cycle(t, rnd, kind, token, told0, latch)) break;
        } catch (Exception e) {
            event(t, "hold_error", "err=" + err(e));
        }
    }

    static void lockTask(int task) {
        String t = Integer.toString(task);
        Random rnd = new Random(seed * 1_000_003L + task);
        Mutex m = new Mutex(client, lockPath);
        WLock w = new WLock(client, lockPath);
        RLock r = new RLock(client, lockPath, w);
        while (!stop) {
            try {
                boolean writer = mode.equals("mutex") || rnd.nextInt(100) < writersPct;
                InterProcessMutex lock = mode.equals("mutex") ? m : writer ? w : r;
                String kind = mode.equals("mutex") ? "x" : writer ? "w" : "r";
                event(t, "acquire", "kind=" + kind);
                try {
                    lock.acquire();
                } catch (Exception e) {
                    event(t, "acquire_error", "err=" + err(e));
                    sleep(100);
                    continue;
                }
                hold(t, rnd, kind, ((OwnPath) lock).ourPath(), 1, null);
                try {
                    lock.release(); // the node delete is "guaranteed": Curator retries it in the background
                    event(t, "released", "ok=true");
                } catch (Exception e) {
                    event(t, "released", "ok=false", "err=" + err(e));
                }
            } catch (Throwable e) { // never let a task die
                event(t, "task_error", "err=" + err(e));
                sleep(100);
            }
        }
        event(t, "idle");
    }

    static void semaphoreTask(int task) {
        String t = Integer.toString(task);
        Random rnd = new Random(seed * 1_000_003L + task);
        while (!stop) {
            try {
                event(t, "acquire", "kind=s");
                Lease lease;
                try {
                    lease = semaphore.acquire();
                } catch (Exception e) {
                    event(t, "acquire_error", "err=" + err(e));
                    sleep(100);
                    continue;
                }
                hold(t, rnd, "s", lockPath + "/leases/" + lease.getNodeName(), 1, null);
                try {
                    lease.close(); // the node delete is "guaranteed": Curator retries it in the background
                    event(t, "released", "ok=true");
                } catch (Exception e) {
                    event(t, "released", "ok=false", "err=" + err(e));
                }
            } catch (Throwable e) {
                event(t, "task_error", "err=" + err(e));
                sleep(100);
            }
        }
        event(t, "idle");
    }

    static void leaderTask(int task) {
        String t = Integer.toString(task);
        Random rnd = new Random(seed * 1_000_003L + task);
        String id = ProcessHandle.current().pid() + "-" + task;
        while (!stop) {
            LeaderLatch latch = new LeaderLatch(client, lockPath, id);
            try {
                try {
                    latch.start();
                    event(t, "acquire", "kind=l");
                    latch.await();
                } catch (Exception e) {
                    event(t, "acquire_error", "err=" + err(e));
                    try { latch.close(); } catch (Exception ignored) { }
                    sleep(100);
                    continue;
                }
                hold(t, rnd, "l", latch.getOurPath(), termWrites, latch);
                try {
                    latch.close(); // deletes our node (guaranteed, in the background)
                    event(t, "released", "ok=true");
                } catch (Exception e) {
                    event(t, "released", "ok=false", "err=" + err(e));
                }
            } catch (Throwable e) {
                event(t, "task_error", "err=" + err(e));
                sleep(100);
            }
        }
        event(t, "idle");
    }

    // ---- process

    static void onState(ConnectionState s) {
        switch (s) {
            case CONNECTED, RECONNECTED -> {
                long sid = session();
                if (sid != lastSession) { // a new session (first one, or one after expiry)
                    lastSession = sid;
                    event("-", "connected", "session=" + Long.toHexString(sid));
                }
                if (s == ConnectionState.RECONNECTED) event("-", "reconnected");
                firstSession.countDown();
            }
            case SUSPENDED -> { told.incrementAndGet(); event("-", "uncertain"); }
            case LOST -> { told.incrementAndGet(); event("-", "lost"); }
            default -> { }
        }
    }

    static void usage(String why) {
        System.err.println("TortureCurator: " + why);
        System.exit(2);
    }

    static void parseArgs(String[] args) {
        Map<String, String> f = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) usage("unexpected argument " + a);
            int eq = a.indexOf('=');
            if (eq > 0) f.put(a.substring(2, eq), a.substring(eq + 1));
            else if (i + 1 < args.length) f.put(a.substring(2), args[++i]);
            else usage("missing value for " + a);
        }
        try {
            connect = f.remove("connect");
            lockPath = f.remove("path");
            storePath = f.remove("store");
            logPath = f.remove("log");
            mode = f.remove("mode");
            if (f.containsKey("tasks")) tasks = Integer.parseInt(f.remove("tasks"));
            if (f.containsKey("session-timeout-ms")) sessionTimeoutMs = Integer.parseInt(f.remove("session-timeout-ms"));
            if (f.containsKey("sleep-ms")) sleepMs = Integer.parseInt(f.remove("sleep-ms"));
            if (f.containsKey("writers-pct")) writersPct = Integer.parseInt(f.remove("writers-pct"));
            if (f.containsKey("term-writes")) termWrites = Integer.parseInt(f.remove("term-writes"));
            if (f.containsKey("seed")) seed = Long.parseLong(f.remove("seed"));
            if (f.containsKey("permits")) permits = Integer.parseInt(f.remove("permits"));
        } catch (NumberFormatException e) {
            usage("bad number: " + e.getMessage());
        }
        if (!f.isEmpty()) usage("unknown flags " + f.keySet());
        if (connect == null || lockPath == null || storePath == null || logPath == null || mode == null)
            usage("--connect, --path, --store, --log and --mode are required");
        if (!List.of("mutex", "rwlock", "leader", "semaphore").contains(mode)) usage("unsupported mode " + mode);
        if (tasks < 1 || sleepMs < 1 || termWrites < 1) usage("--tasks, --sleep-ms and --term-writes must be >= 1");
    }

    public static void main(String[] args) throws Exception {
        parseArgs(args);
        log = new FileOutputStream(logPath, true);
        event("-", "start", "kind=curator", "pid=" + ProcessHandle.current().pid());

        Thread in = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; )
                    if (line.trim().equals("stop")) stop = true;
            } catch (IOException ignored) {
                // treat like EOF
            }
            stop = true;
            stdinEof.countDown();
            // The parent is gone (or done): tasks stuck behind a dead cluster must not keep
            // this process alive.
            try {
                Thread.sleep(EXIT_GRACE_MS);
            } catch (InterruptedException ignored) {
            }
            Runtime.getRuntime().halt(0);
        }, "stdin");
        in.setDaemon(true);
        in.start();

        // Default ACL provider is world:anyone:all.
        client = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(sessionTimeoutMs)
                .connectionTimeoutMs(sessionTimeoutMs)
                .retryPolicy(new RetryForever(100))
                .build();
        client.getConnectionStateListenable().addListener((c, s) -> onState(s));
        client.start();
        firstSession.await(); // waits forever: network trouble must not end the process
        semaphore = new InterProcessSemaphoreV2(client, lockPath, permits);

        Thread[] workers = new Thread[tasks];
        for (int i = 0; i < tasks; i++) {
            int task = i;
            workers[i] = new Thread(() -> {
                if (mode.equals("leader")) leaderTask(task);
                else if (mode.equals("semaphore")) semaphoreTask(task);
                else lockTask(task);
            }, "task-" + i);
            workers[i].start();
        }
        System.out.println("READY");
        System.out.flush();
        for (Thread w : workers) w.join();
        event("-", "idle");

        stdinEof.await();
        client.close();
        log.close();
        System.exit(0); // do not wait on Curator's leftover non-daemon threads
    }
}
