// deadline: prints "started", then waits or computes far longer than the limit a test sets,
// so that only a timeout, an interrupt or running out of fuel ends it.
//
// Usage: deadline sleep|read|spin|work N
//
//	sleep   time.Sleep(30 * time.Second), then prints "slept" (a test fails if it gets there)
//	read    reads stdin to its end, then prints "read <n> bytes"
//	spin    a busy loop that never ends
//	work N  N rounds of an FNV-style mix in a goroutine, then prints "work <checksum>"
//	        (deterministic: the same N consumes the same fuel)
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: deadline sleep|read|spin|work N")
		os.Exit(64)
	}
	fmt.Println("started")
	switch os.Args[1] {
	case "sleep":
		time.Sleep(30 * time.Second)
		fmt.Println("slept")
	case "read":
		n, err := io.Copy(io.Discard, os.Stdin)
		fmt.Println("read", n, "bytes", err)
	case "spin":
		// A full-period LCG from 1 reaches 0 only after 2^64 - 1 steps.
		x := uint64(1)
		for x != 0 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		fmt.Println("unreachable", x)
	case "work":
		n, err := strconv.Atoi(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad N")
			os.Exit(64)
		}
		done := make(chan uint64)
		go func() {
			h := uint64(14695981039346656037)
			for i := 0; i < n; i++ {
				h ^= uint64(i)
				h *= 1099511628211
			}
			done <- h
		}()
		fmt.Printf("work %016x\n", <-done)
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(64)
	}
}
