// Command gotrap ends in a WebAssembly trap, for the Go-aware backtrace
// tests: "recurse" recurses without end (the wasm call stack runs out),
// "breakpoint" calls runtime.Breakpoint (an `unreachable` on wasm),
// "panic" panics (with GOTRACEBACK=crash the runtime then crashes through
// runtime.abort, an `unreachable`), "spin" loops until interrupted.
//
// Usage: gotrap recurse|breakpoint|panic|spin
package main

import (
	"fmt"
	"os"
	"runtime"
)

//go:noinline
func recurse(n int) int {
	if n == 0 {
		return 0
	}
	return recurse(n+1) + 1
}

//go:noinline
func stop() {
	runtime.Breakpoint()
}

//go:noinline
func fail(what string) {
	panic("gotrap: " + what)
}

//go:noinline
func spin() {
	x := 1
	for x != 0 {
		x = x*3 + 1
	}
	fmt.Println(x)
}

func main() {
	switch os.Args[1] {
	case "recurse":
		fmt.Println(recurse(1))
	case "breakpoint":
		stop()
	case "panic":
		fail("deliberate")
	case "spin":
		spin()
	}
}
