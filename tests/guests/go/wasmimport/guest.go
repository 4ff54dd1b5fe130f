// The worked example of docs/go.md: a Go reactor that calls functions of its Rust host
// (//go:wasmimport) and exports functions the host calls (//go:wasmexport). Its own module, so
// the other guests' `go build ./...` leaves it alone; crates/wasp-cli/tests/go_wasmimport.rs
// builds it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o wasmimport.wasm .
//
// and provides the "example" module's functions:
//
//	log(msg string)                 (i32 pointer, i32 length): the host records msg
//	add(a, b int64) int64           a + b
//	fill(buf *byte, n uint32) uint32 the host writes up to n bytes at buf, returns how many
//	square_via_go(x int32) int64    the host calls this module's export "square" with x
package main

import (
	"fmt"
	"strings"
)

//go:wasmimport example log
func hostLog(msg string)

//go:wasmimport example add
func hostAdd(a, b int64) int64

//go:wasmimport example fill
func hostFill(buf *byte, n uint32) uint32

//go:wasmimport example square_via_go
func hostSquareViaGo(x int32) int64

// main is not called in a reactor (-buildmode=c-shared): the host calls _initialize, which
// runs package initialisation, then the exports.
func main() {}

var calls int

// fib returns the n-th Fibonacci number, doing every addition on the host.
//
//go:wasmexport fib
func fib(n int32) int64 {
	calls++
	a, b := int64(0), int64(1)
	for i := int32(0); i < n; i++ {
		a, b = b, hostAdd(a, b)
	}
	return a
}

// greet logs `times` greetings through the host and prints one line to stdout (WASI fd 1).
//
//go:wasmexport greet
func greet(times int32) int32 {
	calls++
	for i := int32(1); i <= times; i++ {
		hostLog(fmt.Sprintf("hello %d from Go", i))
	}
	fmt.Printf("greet(%d) done\n", times)
	return times
}

// shout asks the host for some bytes, upper-cases them and logs them back; returns the count.
//
//go:wasmexport shout
func shout() int32 {
	calls++
	buf := make([]byte, 64)
	n := hostFill(&buf[0], uint32(len(buf)))
	hostLog(strings.ToUpper(string(buf[:n])))
	return int32(n)
}

// square is called by the host from inside its square_via_go import: Go -> host -> Go.
//
//go:wasmexport square
func square(x int32) int64 {
	return int64(x) * int64(x)
}

// sumOfSquares adds square(1..n), each computed through the host's re-entrant call.
//
//go:wasmexport sum_of_squares
func sumOfSquares(n int32) int64 {
	calls++
	var s int64
	for i := int32(1); i <= n; i++ {
		s += hostSquareViaGo(i)
	}
	return s
}

// calls_so_far shows that package state lives on between export calls.
//
//go:wasmexport calls_so_far
func callsSoFar() int32 {
	return int32(calls)
}
