// panic: fails in the ways a Go program can, so the harness can check the exit status (2) and
// the message on stderr.
//
// Usage: panic MODE [ARG]
//
//	message ARG   panic(fmt.Sprintf("boom: %s", ARG)) from a nested call
//	index         an out-of-range slice index computed at run time
//	nil           a nil map write
//	goroutine     a panic in a goroutine other than main
//	deadlock      every goroutine blocked: "fatal error: all goroutines are asleep - deadlock!"
//	error ARG     panic with an error value
//
// Before failing it prints "about to fail: MODE" to stdout.
package main

import (
	"errors"
	"fmt"
	"os"
	"time"
)

func nested(depth int, msg string) {
	if depth == 0 {
		panic(fmt.Sprintf("boom: %s", msg))
	}
	nested(depth-1, msg)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: panic MODE [ARG]")
		os.Exit(64)
	}
	mode := os.Args[1]
	arg := ""
	if len(os.Args) > 2 {
		arg = os.Args[2]
	}
	fmt.Printf("about to fail: %s\n", mode)
	switch mode {
	case "message":
		nested(5, arg)
	case "index":
		s := make([]int, 3, 3+len(os.Args))
		i := len(os.Args) + 2
		fmt.Println(s[i])
	case "nil":
		var m map[string]int
		if len(os.Args) > 1 {
			m[mode] = 1
		}
	case "goroutine":
		go func() { panic("boom in goroutine") }()
		time.Sleep(10 * time.Second)
		fmt.Println("not reached")
	case "deadlock":
		ch := make(chan int)
		<-ch
	case "error":
		panic(errors.New("error value " + arg))
	default:
		fmt.Fprintln(os.Stderr, "unknown mode")
		os.Exit(64)
	}
	fmt.Println("survived")
}
