// go-zookeeper's zk.Lock, driven by the zk-sync mutex tests:
//   hold_lock CONNECT PATH   lock, print "LOCKED <node>", unlock on a stdin line, print "RELEASED"
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/samuel/go-zookeeper/zk"
)

func main() {
	conn, _, err := zk.Connect(strings.Split(os.Args[1], ","), 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		os.Exit(1)
	}
	defer conn.Close()
	lock := zk.NewLock(conn, os.Args[2], zk.WorldACL(zk.PermAll))
	if err := lock.Lock(); err != nil {
		fmt.Fprintln(os.Stderr, "lock:", err)
		os.Exit(1)
	}
	fmt.Println("LOCKED")
	bufio.NewReader(os.Stdin).ReadString('\n')
	if err := lock.Unlock(); err != nil {
		fmt.Fprintln(os.Stderr, "unlock:", err)
		os.Exit(1)
	}
	fmt.Println("RELEASED")
}
