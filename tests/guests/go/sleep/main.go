// sleep: sleeps with time.Sleep, a time.Ticker and a time.Timer for a total of MS
// milliseconds, measuring each phase with the monotonic clock.
//
// Usage: sleep MS
//
// With MS = 0 it exits at once (the harness's baseline for CPU time). Otherwise the phases are
// time.Sleep(MS/2), 10 ticks of a ticker with period MS/40, and a timer of MS/4 raced in a
// select against a longer one. Output, one line per phase and then a summary:
//
//	sleep ok=<slept at least MS/2>
//	ticker ticks=10 ok=<took at least 10*MS/40>
//	timer first=short ok=<took at least MS/4>
//	total ok=<at least MS> within=<less than MS+5s>
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: sleep MS")
		os.Exit(64)
	}
	ms, err := strconv.Atoi(os.Args[1])
	if err != nil || ms < 0 {
		fmt.Fprintln(os.Stderr, "bad MS")
		os.Exit(64)
	}
	if ms == 0 {
		fmt.Println("nothing to do")
		return
	}
	total := time.Duration(ms) * time.Millisecond
	start := time.Now()

	t0 := time.Now()
	time.Sleep(total / 2)
	fmt.Printf("sleep ok=%v\n", time.Since(t0) >= total/2)

	t0 = time.Now()
	ticker := time.NewTicker(total / 40)
	ticks := 0
	for range ticker.C {
		ticks++
		if ticks == 10 {
			break
		}
	}
	ticker.Stop()
	fmt.Printf("ticker ticks=%d ok=%v\n", ticks, time.Since(t0) >= 10*(total/40))

	t0 = time.Now()
	short := time.NewTimer(total / 4)
	long := time.NewTimer(total)
	first := ""
	select {
	case <-short.C:
		first = "short"
	case <-long.C:
		first = "long"
	}
	long.Stop()
	fmt.Printf("timer first=%s ok=%v\n", first, time.Since(t0) >= total/4)

	elapsed := time.Since(start)
	fmt.Printf("total ok=%v within=%v\n", elapsed >= total, elapsed < total+5*time.Second)
}
