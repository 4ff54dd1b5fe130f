// escape: tries to leave its preopened directory through symlinks and "..", and reports each
// attempt. None may succeed.
//
// Usage: escape DIR
//
// DIR is a writable preopen (guest path), and the program assumes the preopen is fd 3 for the
// raw syscall.Openat attempts (the first --dir). The harness plants, before the run:
//
//	DIR/inside.txt              a file inside the sandbox
//	DIR/host_abs -> <absolute host path of secret.txt outside the sandbox>
//	DIR/host_rel -> ../secret.txt
//	DIR/host_dir -> ..           (the parent of the sandbox)
//	DIR/sub/host_up -> ../../secret.txt
//
// and puts the word SECRET in the file outside. The program also makes its own symlinks with
// os.Symlink (path_symlink passes the target string verbatim) and uses syscall.Openat on the
// preopen fd, which sends paths to the host without Go's lexical cleaning.
//
// Each attempt prints one line: "DENIED <name>" when the host refused, "ESCAPED <name>: ..."
// when it got through (a sandbox bug), or for the controls that must work "OK <name>: ...".
// A host may also refuse to create a symlink whose target leaves the sandbox; that prints
// "REFUSED symlink <link> -> <target>" (allowed, but then the later attempt is refused too).
// The last line is "escapes=<n> controls_ok=<n>/<total>".
package main

import (
	"fmt"
	"os"
	"path"
	"strings"
	"syscall"
)

var escapes, controlsOK, controls int

func denied(name string, err error) {
	if err != nil {
		fmt.Printf("DENIED %s\n", name)
	} else {
		escapes++
		fmt.Printf("ESCAPED %s\n", name)
	}
}

func readAttempt(name, p string) {
	data, err := os.ReadFile(p)
	if err == nil {
		escapes++
		fmt.Printf("ESCAPED %s: read %q\n", name, data)
		return
	}
	fmt.Printf("DENIED %s\n", name)
}

func rawOpen(name, rel string, mode int) {
	fd, err := syscall.Openat(3, rel, mode, 0o644)
	if err != nil {
		fmt.Printf("DENIED %s\n", name)
		return
	}
	escapes++
	buf := make([]byte, 64)
	n, _ := syscall.Read(fd, buf)
	syscall.Close(fd)
	fmt.Printf("ESCAPED %s: read %q\n", name, buf[:n])
}

func control(name string, got string, err error, want string) {
	controls++
	if err == nil && got == want {
		controlsOK++
		fmt.Printf("OK %s: %q\n", name, got)
	} else {
		fmt.Printf("BROKEN %s: got %q, err %v\n", name, got, err)
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: escape DIR")
		os.Exit(64)
	}
	dir := os.Args[1]
	p := func(elem ...string) string { return path.Join(append([]string{dir}, elem...)...) }

	// Controls: the sandbox itself works, including symlinks that stay inside.
	data, err := os.ReadFile(p("inside.txt"))
	control("read inside.txt", strings.TrimSpace(string(data)), err, "inside")
	err = os.Symlink("inside.txt", p("ok_link"))
	data, err2 := os.ReadFile(p("ok_link"))
	if err == nil {
		err = err2
	}
	control("relative symlink inside", strings.TrimSpace(string(data)), err, "inside")
	err = os.Mkdir(p("d"), 0o755)
	if err == nil {
		err = os.Symlink("../inside.txt", p("d", "up_inside"))
	}
	data, err2 = os.ReadFile(p("d", "up_inside"))
	if err == nil {
		err = err2
	}
	control("symlink with .. staying inside", strings.TrimSpace(string(data)), err, "inside")
	fd, err := syscall.Openat(3, "d/../inside.txt", syscall.O_RDONLY, 0)
	got := ""
	if err == nil {
		buf := make([]byte, 64)
		n, _ := syscall.Read(fd, buf)
		syscall.Close(fd)
		got = strings.TrimSpace(string(buf[:n]))
	}
	control("raw d/../inside.txt", got, err, "inside")

	// Host-planted symlinks pointing outside.
	readAttempt("read host_abs", p("host_abs"))
	readAttempt("read host_rel", p("host_rel"))
	readAttempt("read host_dir/secret.txt", p("host_dir", "secret.txt"))
	readAttempt("read sub/host_up", p("sub", "host_up"))
	_, err = os.ReadDir(p("host_dir"))
	denied("readdir host_dir", err)
	_, err = os.Stat(p("host_dir", "secret.txt"))
	denied("stat host_dir/secret.txt", err)
	err = os.WriteFile(p("host_dir", "planted_by_guest.txt"), []byte("x"), 0o644)
	denied("create host_dir/planted_by_guest.txt", err)
	err = os.Mkdir(p("host_dir", "guest_dir"), 0o755)
	denied("mkdir host_dir/guest_dir", err)
	err = os.WriteFile(p("host_abs"), []byte("overwritten"), 0o644)
	denied("write through host_abs", err)
	err = os.WriteFile(p("host_rel"), []byte("overwritten"), 0o644)
	denied("write through host_rel", err)

	// Symlinks the guest makes itself.
	mk := func(target, link string) {
		if err := os.Symlink(target, p(link)); err != nil {
			// Refusing to create an escaping symlink is also fine.
			fmt.Printf("REFUSED symlink %s -> %s\n", link, target)
		}
	}
	mk("../secret.txt", "g_rel")
	readAttempt("read g_rel", p("g_rel"))
	mk("/secret.txt", "g_abs")
	readAttempt("read g_abs", p("g_abs"))
	mk("..", "g_parent")
	readAttempt("read g_parent/secret.txt", p("g_parent", "secret.txt"))
	mk("d/../../secret.txt", "g_deep")
	readAttempt("read g_deep", p("g_deep"))
	mk("g_chain2", "g_chain1")
	mk("g_chain3", "g_chain2")
	mk("../secret.txt", "g_chain3")
	readAttempt("read g_chain1", p("g_chain1"))
	mk("g_loop_b", "g_loop_a")
	mk("g_loop_a", "g_loop_b")
	readAttempt("read g_loop_a", p("g_loop_a"))
	mk("../newfile_by_guest.txt", "g_dangling_out")
	err = os.WriteFile(p("g_dangling_out"), []byte("x"), 0o644)
	denied("create through g_dangling_out", err)
	err = os.Rename(p("inside.txt"), p("g_parent", "stolen.txt"))
	denied("rename into g_parent", err)
	err = os.Link(p("host_rel"), p("hardlink_to_secret"))
	if err == nil {
		data, err = os.ReadFile(p("hardlink_to_secret"))
	}
	denied("hard link to host_rel", err)

	// Raw paths that Go would otherwise clean.
	rawOpen("raw ../secret.txt", "../secret.txt", syscall.O_RDONLY)
	rawOpen("raw d/../../secret.txt", "d/../../secret.txt", syscall.O_RDONLY)
	rawOpen("raw host_dir/secret.txt", "host_dir/secret.txt", syscall.O_RDONLY)
	rawOpen("raw host_rel/", "host_rel/", syscall.O_RDONLY)
	rawOpen("raw host_dir/", "host_dir/", syscall.O_RDONLY)
	rawOpen("raw /secret.txt", "/secret.txt", syscall.O_RDONLY)
	rawOpen("raw ../created_by_guest.txt", "../created_by_guest.txt", syscall.O_WRONLY|syscall.O_CREAT)
	rawOpen("raw host_dir/created_by_guest.txt", "host_dir/created_by_guest.txt", syscall.O_WRONLY|syscall.O_CREAT)

	fmt.Printf("escapes=%d controls_ok=%d/%d\n", escapes, controlsOK, controls)
}
