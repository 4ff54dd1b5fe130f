// slowstdin: reads lines that arrive slowly on stdin while another goroutine keeps running.
//
// Usage: slowstdin TICK_MS
//
// Go puts stdin in non-blocking mode; when no input is ready, fd_read must return EAGAIN so
// that the reading goroutine parks and the netpoller waits in poll_oneoff. Meanwhile a ticker
// goroutine counts ticks every TICK_MS. If the host blocked the whole process inside fd_read
// instead, the ticker could not advance while the reader waits.
//
// For each line it prints "line <i>: <text> waited_ticks_ok=<at least 3 ticks passed while
// waiting for this line>". The harness writes each line after a pause of many tick periods.
// At EOF it prints "eof lines=<n> waits_with_progress=<lines for which ticks advanced>".
// With TICK_MS = 0 there is no ticker and every line reports waited_ticks_ok=false (used to
// measure the CPU spent while waiting).
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: slowstdin TICK_MS")
		os.Exit(64)
	}
	tickMS, err := strconv.Atoi(os.Args[1])
	if err != nil || tickMS < 0 {
		fmt.Fprintln(os.Stderr, "bad TICK_MS")
		os.Exit(64)
	}
	var ticks atomic.Int64
	if tickMS > 0 {
		go func() {
			t := time.NewTicker(time.Duration(tickMS) * time.Millisecond)
			for range t.C {
				ticks.Add(1)
			}
		}()
	}
	fmt.Println("ready")
	sc := bufio.NewScanner(os.Stdin)
	lines, progress := 0, 0
	before := ticks.Load()
	for sc.Scan() {
		lines++
		ok := ticks.Load()-before >= 3
		if ok {
			progress++
		}
		fmt.Printf("line %d: %s waited_ticks_ok=%v\n", lines, sc.Text(), ok)
		before = ticks.Load()
	}
	if err := sc.Err(); err != nil {
		fmt.Println("scan:", err)
		os.Exit(1)
	}
	fmt.Printf("eof lines=%d waits_with_progress=%d\n", lines, progress)
}
