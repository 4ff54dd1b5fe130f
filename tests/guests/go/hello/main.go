// hello: prints its arguments and environment exactly as the host passed them, writes to
// stderr, and exits with the status given by an "exit=N" argument.
//
// Output (stdout), one line each:
//
//	hello from wasp
//	argc=<len(os.Args)>
//	arg[i]=<quoted os.Args[i]>      for every argument, including arg[0]
//	envc=<number of environment variables>
//	env=<quoted NAME=VALUE>         for every variable, sorted
//	cwd=<os.Getwd()>
//
// stderr gets "to stderr: <argc>". With "exit=N" among the arguments it ends with os.Exit(N),
// otherwise it returns from main (exit status 0).
package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	fmt.Println("hello from wasp")
	fmt.Printf("argc=%d\n", len(os.Args))
	exit := -1
	for i, a := range os.Args {
		fmt.Printf("arg[%d]=%q\n", i, a)
		if i > 0 && strings.HasPrefix(a, "exit=") {
			n, err := strconv.Atoi(strings.TrimPrefix(a, "exit="))
			if err != nil {
				fmt.Fprintf(os.Stderr, "bad exit argument %q: %v\n", a, err)
				os.Exit(100)
			}
			exit = n
		}
	}
	env := os.Environ()
	sort.Strings(env)
	fmt.Printf("envc=%d\n", len(env))
	for _, e := range env {
		fmt.Printf("env=%q\n", e)
	}
	if wd, err := os.Getwd(); err != nil {
		fmt.Printf("cwd error: %v\n", err)
	} else {
		fmt.Printf("cwd=%s\n", wd)
	}
	fmt.Fprintf(os.Stderr, "to stderr: %d\n", len(os.Args))
	if exit >= 0 {
		os.Exit(exit)
	}
}
