// readonly: attempts every kind of mutation on a read-only preopen and reports each attempt;
// reading must still work.
//
// Usage: readonly DIR
//
// The harness plants DIR/data.txt (containing "original"), DIR/sub/ and DIR/sub/inner.txt, and
// preopens DIR read-only. Each mutation prints "DENIED <what>" when refused or "ALLOWED <what>"
// when it went through (a bug). Reads print "READ <what>: <result>". The last line is
// "allowed=<number of mutations that went through>".
package main

import (
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"syscall"
	"time"
)

var allowed int

func attempt(what string, err error) {
	if err != nil {
		fmt.Printf("DENIED %s\n", what)
	} else {
		allowed++
		fmt.Printf("ALLOWED %s\n", what)
	}
}

// openFor tries to open p with flag; if that succeeds, it also tries to write one byte.
func openFor(what, p string, flag int) {
	f, err := os.OpenFile(p, flag, 0o644)
	if err == nil {
		_, werr := f.Write([]byte("X"))
		f.Close()
		if werr != nil && flag&os.O_TRUNC == 0 && flag&os.O_CREATE == 0 {
			// The open went through but nothing could be changed.
			err = werr
		}
	}
	attempt(what, err)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: readonly DIR")
		os.Exit(64)
	}
	dir := os.Args[1]
	p := func(elem ...string) string { return path.Join(append([]string{dir}, elem...)...) }

	data, err := os.ReadFile(p("data.txt"))
	fmt.Printf("READ data.txt: %q %v\n", strings.TrimSpace(string(data)), err)
	ents, err := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	fmt.Printf("READ dir: %v %v\n", names, err)
	st, err := os.Stat(p("sub", "inner.txt"))
	if err == nil {
		fmt.Printf("READ stat sub/inner.txt: size=%d\n", st.Size())
	} else {
		fmt.Printf("READ stat sub/inner.txt: %v\n", err)
	}

	openFor("create new.txt", p("new.txt"), os.O_WRONLY|os.O_CREATE)
	openFor("create exclusive new2.txt", p("new2.txt"), os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	openFor("create sub/new.txt", p("sub", "new.txt"), os.O_RDWR|os.O_CREATE)
	openFor("open data.txt O_WRONLY", p("data.txt"), os.O_WRONLY)
	openFor("open data.txt O_RDWR", p("data.txt"), os.O_RDWR)
	openFor("open data.txt O_APPEND", p("data.txt"), os.O_WRONLY|os.O_APPEND)
	openFor("open data.txt O_TRUNC", p("data.txt"), os.O_WRONLY|os.O_TRUNC)
	openFor("open data.txt O_RDONLY|O_TRUNC", p("data.txt"), os.O_RDONLY|os.O_TRUNC)
	attempt("WriteFile data.txt", os.WriteFile(p("data.txt"), []byte("changed"), 0o644))

	// A read-only descriptor must not become writable.
	f, err := os.Open(p("data.txt"))
	if err != nil {
		fmt.Printf("READ open data.txt: %v\n", err)
	} else {
		_, err = f.Write([]byte("X"))
		attempt("write on O_RDONLY fd", err)
		_, err = f.WriteAt([]byte("X"), 0)
		attempt("pwrite on O_RDONLY fd", err)
		attempt("ftruncate on O_RDONLY fd", f.Truncate(0))
		b, _ := io.ReadAll(f)
		fmt.Printf("READ via fd: %q\n", strings.TrimSpace(string(b)))
		f.Close()
	}
	// fd_fdstat_set_rights cannot add rights back; Go doesn't expose it, so this is covered by
	// the hand-written .wat tests.

	attempt("truncate data.txt", os.Truncate(p("data.txt"), 0))
	when := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	attempt("chtimes data.txt", os.Chtimes(p("data.txt"), when, when))
	attempt("chtimes dir", os.Chtimes(dir, when, when))
	attempt("mkdir newdir", os.Mkdir(p("newdir"), 0o755))
	attempt("mkdir sub/newdir", os.Mkdir(p("sub", "newdir"), 0o755))
	attempt("remove data.txt", os.Remove(p("data.txt")))
	attempt("remove sub/inner.txt", os.Remove(p("sub", "inner.txt")))
	attempt("rmdir sub", syscall.Rmdir(p("sub")))
	attempt("rename data.txt", os.Rename(p("data.txt"), p("renamed.txt")))
	attempt("rename over sub/inner.txt", os.Rename(p("data.txt"), p("sub", "inner.txt")))
	attempt("rename sub", os.Rename(p("sub"), p("sub2")))
	attempt("link data.txt", os.Link(p("data.txt"), p("hard.txt")))
	attempt("symlink", os.Symlink("data.txt", p("sym.txt")))
	attempt("removeall sub", os.RemoveAll(p("sub")))

	data, err = os.ReadFile(p("data.txt"))
	fmt.Printf("READ data.txt again: %q %v\n", strings.TrimSpace(string(data)), err)
	fmt.Printf("allowed=%d\n", allowed)
}
