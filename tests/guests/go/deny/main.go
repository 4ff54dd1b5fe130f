// deny: reads one file and creates another through preopened directories, reporting whether
// each failure is errors.ErrUnsupported (what a WASI function denied by the host returns:
// ENOSYS), and shows that stdout and stderr keep working.
//
// Usage: deny READ_PATH WRITE_PATH
//
// Output (stdout), one line each:
//
//	stdout works
//	read ok: <quoted contents>                        or
//	read failed: unsupported=<bool>: <error>
//	write ok                                          or
//	write failed: unsupported=<bool>: <error>
//	done
//
// stderr gets "stderr works". Exit status 0 unless the arguments are wrong (64).
package main

import (
	"errors"
	"fmt"
	"os"
)

func report(op string, err error) {
	fmt.Printf("%s failed: unsupported=%v: %v\n", op, errors.Is(err, errors.ErrUnsupported), err)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: deny READ_PATH WRITE_PATH")
		os.Exit(64)
	}
	fmt.Println("stdout works")
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		report("read", err)
	} else {
		fmt.Printf("read ok: %q\n", data)
	}
	if err := os.WriteFile(os.Args[2], []byte("written by the guest\n"), 0o644); err != nil {
		report("write", err)
	} else {
		fmt.Println("write ok")
	}
	fmt.Fprintln(os.Stderr, "stderr works")
	fmt.Println("done")
}
