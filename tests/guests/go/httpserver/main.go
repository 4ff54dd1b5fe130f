// httpserver: a net/http server on the TCP listener the host preopens (`--listen`).
//
// Usage: httpserver [FD]
//
// FD (default 3) is the preopened listening socket; net.FileListener(os.NewFile(FD, "")) turns
// it into a net.Listener. Routes:
//
//	GET  /hello          200 "hello from wasp\n"
//	GET  /echo?msg=X     200 "X" reversed, with header X-Len: <len(X)>
//	POST /sum            body: whitespace-separated integers; 200 "<sum>\n"
//	GET  /big?n=N        200, N bytes: byte i is 'a' + i%26 (sent with chunked encoding)
//	GET  /sleep?ms=M     sleeps M ms in the handler, then 200 "slept\n"
//	GET  /quit           200 "bye\n", then the server shuts down gracefully
//	anything else        404
//
// It prints "listening" to stdout once the listener is ready and, after /quit,
// "served <n> requests" and exits 0.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

func main() {
	fd := 3
	if len(os.Args) > 1 {
		var err error
		if fd, err = strconv.Atoi(os.Args[1]); err != nil {
			fmt.Fprintln(os.Stderr, "usage: httpserver [FD]")
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
		io.WriteString(w, "hello from wasp\n")
	})
	mux.HandleFunc("GET /echo", func(w http.ResponseWriter, r *http.Request) {
		msg := r.URL.Query().Get("msg")
		b := []byte(msg)
		for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
		w.Header().Set("X-Len", strconv.Itoa(len(msg)))
		w.Write(b)
	})
	mux.HandleFunc("POST /sum", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var sum int64
		for _, f := range strings.Fields(string(body)) {
			v, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				http.Error(w, "bad number "+f, http.StatusBadRequest)
				return
			}
			sum += v
		}
		fmt.Fprintf(w, "%d\n", sum)
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 0 {
			http.Error(w, "bad n", http.StatusBadRequest)
			return
		}
		chunk := make([]byte, 8192)
		for off := 0; off < n; off += len(chunk) {
			m := min(len(chunk), n-off)
			for i := 0; i < m; i++ {
				chunk[i] = byte('a' + (off+i)%26)
			}
			if _, err := w.Write(chunk[:m]); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("GET /sleep", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		io.WriteString(w, "slept\n")
	})
	mux.HandleFunc("GET /quit", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "bye\n")
		select {
		case <-quit:
		default:
			close(quit)
		}
	})
	counting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		mux.ServeHTTP(w, r)
	})

	srv := &http.Server{Handler: counting}
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
