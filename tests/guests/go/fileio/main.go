// fileio: exercises ordinary file I/O through a preopened directory and prints a transcript
// of what it observed.
//
// Usage: fileio DIR
//
// DIR is a guest path inside a writable preopen. The harness plants DIR/input.txt before the
// run; the program reads it, then creates, writes, appends, reads, seeks, truncates, renames,
// stats, lists, links and removes files and directories below DIR/work, checking each result
// against what it wrote. Every line of the transcript comes from a real call (sizes, contents,
// errors); the harness compares it with the expected transcript and then inspects the host
// directory. It leaves DIR/out/result.txt behind, and removes everything else it created.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

var failures int

func check(what string, err error) {
	if err != nil {
		failures++
		fmt.Printf("FAIL %s: %v\n", what, err)
	}
}

func listDir(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "error: " + err.Error()
	}
	var parts []string
	for _, e := range entries {
		kind := "f"
		if e.IsDir() {
			kind = "d"
		} else if e.Type()&fs.ModeSymlink != 0 {
			kind = "l"
		}
		parts = append(parts, kind+":"+e.Name())
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, " ") + "]"
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fileio DIR")
		os.Exit(64)
	}
	dir := os.Args[1]

	// A file the host planted.
	input, err := os.ReadFile(path.Join(dir, "input.txt"))
	check("read input.txt", err)
	fmt.Printf("input: %d bytes, %q\n", len(input), strings.TrimSpace(string(input)))

	work := path.Join(dir, "work")
	check("mkdir work", os.Mkdir(work, 0o755))
	check("mkdir work/a/b/c", os.MkdirAll(path.Join(work, "a", "b", "c"), 0o755))
	err = os.Mkdir(work, 0o755)
	fmt.Printf("mkdir existing: exist=%v\n", errors.Is(err, fs.ErrExist))

	// Create and write.
	name := path.Join(work, "notes.txt")
	f, err := os.Create(name)
	check("create", err)
	n, err := f.Write([]byte("hello\n"))
	check("write", err)
	fmt.Printf("wrote %d\n", n)
	check("close", f.Close())

	// Append through O_APPEND.
	f, err = os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	check("open append", err)
	_, err = f.WriteString("world\n")
	check("append", err)
	check("close append", f.Close())

	data, err := os.ReadFile(name)
	check("read back", err)
	fmt.Printf("content: %q\n", data)

	// Stat.
	st, err := os.Stat(name)
	check("stat", err)
	fmt.Printf("stat: size=%d regular=%v dir=%v\n", st.Size(), st.Mode().IsRegular(), st.IsDir())
	dst, err := os.Stat(work)
	check("stat dir", err)
	fmt.Printf("stat dir: dir=%v\n", dst.IsDir())

	// Read/write at offsets, seek, truncate.
	f, err = os.OpenFile(name, os.O_RDWR, 0)
	check("open rdwr", err)
	_, err = f.WriteAt([]byte("J"), 6)
	check("writeat", err)
	buf := make([]byte, 5)
	_, err = f.ReadAt(buf, 6)
	check("readat", err)
	fmt.Printf("readat 6: %q\n", buf)
	off, err := f.Seek(-3, io.SeekEnd)
	check("seek end", err)
	rest, err := io.ReadAll(f)
	check("read rest", err)
	fmt.Printf("seek end-3: off=%d rest=%q\n", off, rest)
	check("truncate", f.Truncate(8))
	fst, err := f.Stat()
	check("fstat", err)
	fmt.Printf("after truncate: size=%d\n", fst.Size())
	check("sync", f.Sync())
	check("close rdwr", f.Close())
	data, _ = os.ReadFile(name)
	fmt.Printf("content: %q\n", data)

	// A large write and read back (several fd_write/fd_read calls).
	big := bytes.Repeat([]byte("0123456789abcdef"), 64*1024) // 1 MiB
	check("write big", os.WriteFile(path.Join(work, "big.bin"), big, 0o644))
	bigBack, err := os.ReadFile(path.Join(work, "big.bin"))
	check("read big", err)
	fmt.Printf("big: %d bytes, equal=%v\n", len(bigBack), bytes.Equal(big, bigBack))

	// O_EXCL on an existing file; opening a missing one.
	_, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	fmt.Printf("create excl existing: exist=%v\n", errors.Is(err, fs.ErrExist))
	_, err = os.Open(path.Join(work, "missing.txt"))
	fmt.Printf("open missing: notexist=%v\n", errors.Is(err, fs.ErrNotExist))
	// Opening a directory for writing must fail; reading it as a file gives an error too.
	_, err = os.OpenFile(work, os.O_WRONLY, 0)
	fmt.Printf("open dir for write: failed=%v\n", err != nil)

	// Rename a file, and a directory.
	renamed := path.Join(work, "a", "moved.txt")
	check("rename", os.Rename(name, renamed))
	_, err = os.Stat(name)
	fmt.Printf("old name after rename: notexist=%v\n", errors.Is(err, fs.ErrNotExist))
	st, err = os.Stat(renamed)
	check("stat renamed", err)
	fmt.Printf("renamed size=%d\n", st.Size())
	check("rename dir", os.Rename(path.Join(work, "a", "b"), path.Join(work, "b2")))

	// Timestamps.
	when := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	check("chtimes", os.Chtimes(renamed, when, when))
	st, _ = os.Stat(renamed)
	fmt.Printf("mtime set: %v\n", st.ModTime().UTC().Equal(when))

	// Hard link and symlink inside the sandbox.
	check("link", os.Link(renamed, path.Join(work, "hard.txt")))
	hard, err := os.ReadFile(path.Join(work, "hard.txt"))
	check("read hard link", err)
	fmt.Printf("hard link: %q\n", hard)
	check("symlink", os.Symlink("a/moved.txt", path.Join(work, "sym.txt")))
	target, err := os.Readlink(path.Join(work, "sym.txt"))
	check("readlink", err)
	fmt.Printf("readlink: %q\n", target)
	viaLink, err := os.ReadFile(path.Join(work, "sym.txt"))
	check("read via symlink", err)
	fmt.Printf("via symlink: %q\n", viaLink)
	lst, err := os.Lstat(path.Join(work, "sym.txt"))
	check("lstat", err)
	fmt.Printf("lstat symlink: %v\n", lst.Mode()&fs.ModeSymlink != 0)

	// Readdir.
	fmt.Printf("list work: %s\n", listDir(work))
	fmt.Printf("list work/a: %s\n", listDir(path.Join(work, "a")))
	fmt.Printf("list work/b2: %s\n", listDir(path.Join(work, "b2")))

	// Relative paths after Chdir.
	check("chdir", os.Chdir(path.Join(work, "b2")))
	check("write relative", os.WriteFile("rel.txt", []byte("relative"), 0o644))
	rel, err := os.ReadFile("../b2/rel.txt")
	check("read relative", err)
	fmt.Printf("relative: %q\n", rel)
	check("chdir back", os.Chdir(dir))

	// Removing a non-empty directory fails; RemoveAll works.
	err = os.Remove(path.Join(work, "b2"))
	fmt.Printf("remove non-empty dir: failed=%v\n", err != nil)
	check("remove file", os.Remove(path.Join(work, "hard.txt")))
	_, err = os.Stat(path.Join(work, "hard.txt"))
	fmt.Printf("removed file: notexist=%v\n", errors.Is(err, fs.ErrNotExist))
	check("remove empty dir", os.Remove(path.Join(work, "b2", "c")))
	check("removeall", os.RemoveAll(work))
	_, err = os.Stat(work)
	fmt.Printf("removed tree: notexist=%v\n", errors.Is(err, fs.ErrNotExist))

	// Leave a result for the host to check.
	check("mkdir out", os.Mkdir(path.Join(dir, "out"), 0o755))
	result := fmt.Sprintf("input had %d bytes\n", len(input))
	check("write result", os.WriteFile(path.Join(dir, "out", "result.txt"), []byte(result), 0o600))
	fmt.Printf("list dir: %s\n", listDir(dir))

	fmt.Printf("failures: %d\n", failures)
	if failures > 0 {
		os.Exit(1)
	}
}
