// go-zookeeper's Lock under zk-sync's uncontended benchmark.
//   gozk_lock_bench CONNECT PATH CYCLES   prints "READY"; then, for each stdin line, runs CYCLES
//                                         lock+unlock cycles and prints "cycle_ms <mean>"; ends at EOF
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/samuel/go-zookeeper/zk"
)

func main() {
	conn, _, err := zk.Connect(strings.Split(os.Args[1], ","), 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		panic(err)
	}
	cycles, _ := strconv.Atoi(os.Args[3])
	lock := zk.NewLock(conn, os.Args[2], zk.WorldACL(zk.PermAll))
	for i := 0; i < cycles/10+1 || i < 500; i++ {
		must(lock.Lock())
		must(lock.Unlock())
	}
	fmt.Println("READY")
	rounds := bufio.NewReader(os.Stdin)
	for {
		if _, err := rounds.ReadString('\n'); err != nil {
			break
		}
		start := time.Now()
		for i := 0; i < cycles; i++ {
			must(lock.Lock())
			must(lock.Unlock())
		}
		fmt.Printf("cycle_ms %f\n", float64(time.Since(start).Microseconds())/1000/float64(cycles))
	}
	conn.Close()
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
