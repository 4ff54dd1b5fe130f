// shimguest: the Go wasip1 program the shim's end-to-end tests run in containers.
//
// Usage: shimguest MODE [ARGS...]
//
//	hello [ARG...] [exit=N]  prints "hello from a wasp container", argc and every argument
//	                         (quoted), every environment variable (sorted, quoted), the
//	                         working directory, the contents of the file $GREETING_FILE
//	                         (a relative path resolves against the working directory) or
//	                         "no greeting"; writes "to stderr" to stderr; exits with N (0
//	                         without exit=N).
//	serve FD                 a net/http server on the preopened listener FD: GET /hello
//	                         answers "hello over http\n", GET /quit answers "bye\n" and
//	                         shuts the server down. Prints "listening" when ready and
//	                         "served <n> requests" at the end.
//	sleep                    prints "sleeping" and sleeps for an hour (for stop signals).
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: shimguest hello|serve|sleep [ARGS...]")
		os.Exit(64)
	}
	switch os.Args[1] {
	case "hello":
		hello()
	case "serve":
		serve()
	case "sleep":
		fmt.Println("sleeping")
		time.Sleep(time.Hour)
	default:
		fmt.Fprintf(os.Stderr, "unknown mode %q\n", os.Args[1])
		os.Exit(64)
	}
}

func hello() {
	fmt.Println("hello from a wasp container")
	fmt.Printf("argc=%d\n", len(os.Args))
	exit := 0
	for i, a := range os.Args {
		fmt.Printf("arg[%d]=%q\n", i, a)
		if n, ok := strings.CutPrefix(a, "exit="); ok && i > 1 {
			v, err := strconv.Atoi(n)
			if err != nil {
				fmt.Fprintf(os.Stderr, "bad %q\n", a)
				os.Exit(64)
			}
			exit = v
		}
	}
	env := os.Environ()
	sort.Strings(env)
	for _, e := range env {
		fmt.Printf("env=%q\n", e)
	}
	if wd, err := os.Getwd(); err != nil {
		fmt.Printf("cwd error: %v\n", err)
	} else {
		fmt.Printf("cwd=%s\n", wd)
	}
	if f := os.Getenv("GREETING_FILE"); f == "" {
		fmt.Println("no greeting")
	} else if b, err := os.ReadFile(f); err != nil {
		fmt.Printf("greeting error: %v\n", err)
	} else {
		fmt.Printf("greeting=%q\n", string(b))
	}
	fmt.Fprintln(os.Stderr, "to stderr")
	os.Exit(exit)
}

func serve() {
	fd := 4
	if len(os.Args) > 2 {
		var err error
		if fd, err = strconv.Atoi(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "usage: shimguest serve FD")
			os.Exit(64)
		}
	}
	ln, err := net.FileListener(os.NewFile(uintptr(fd), "listener"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "FileListener:", err)
		os.Exit(1)
	}
	var served atomic.Int64
	quit := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		io.WriteString(w, "hello over http\n")
	})
	mux.HandleFunc("GET /quit", func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		io.WriteString(w, "bye\n")
		select {
		case <-quit:
		default:
			close(quit)
		}
	})
	srv := &http.Server{Handler: mux}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Println("listening")
	select {
	case <-quit:
	case err := <-done:
		fmt.Fprintln(os.Stderr, "Serve:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "Shutdown:", err)
		os.Exit(1)
	}
	fmt.Printf("served %d requests\n", served.Load())
}
