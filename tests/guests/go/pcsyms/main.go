// Command pcsyms prints what Go's own runtime says about program counters,
// for wasp's pclntab decoder to be checked against: the function, file and
// line of runtime.FuncForPC for a spread of PCs in every function
// (PC_F << 16 | PC_B, PC_F = 0x1000 + defined function index), and the
// return addresses of a call stack through an inlined function with the
// frames runtime.CallersFrames expands them into.
//
// Usage: pcsyms NFUNCS
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
)

//go:noinline
func leaf(n int) []uintptr {
	pcs := make([]uintptr, 64)
	return pcs[:runtime.Callers(n, pcs)]
}

// middle is small enough to be inlined into outer.
func middle(n int) []uintptr {
	return leaf(n - 1)
}

//go:noinline
func outer() []uintptr {
	return middle(1)
}

func main() {
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	n, err := strconv.Atoi(os.Args[1])
	if err != nil {
		panic(err)
	}
	pcs := outer()
	for _, pc := range pcs {
		fmt.Fprintf(w, "caller %d\n", pc)
	}
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		fmt.Fprintf(w, "frame %s\t%s\t%d\n", f.Function, f.File, f.Line)
		if !more {
			break
		}
	}
	blocks := []uintptr{0, 1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 50, 100}
	for i := 0; i < n; i++ {
		for _, b := range blocks {
			pc := uintptr(0x1000+i)<<16 | b
			fn := runtime.FuncForPC(pc)
			if fn == nil {
				fmt.Fprintf(w, "pc %d\t-\n", pc)
				continue
			}
			file, line := fn.FileLine(pc)
			fmt.Fprintf(w, "pc %d\t%s\t%s\t%d\n", pc, fn.Name(), file, line)
		}
	}
}
