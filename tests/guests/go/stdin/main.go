// stdin: reads standard input to its end.
//
// Usage: stdin count | stdin cat
//
// "count" reads lines with a bufio.Scanner and prints
//
//	lines=<number of lines> longest=<length of the longest line>
//	sum=<sum of the first integer field of each line that has one>
//	fnv=<FNV-1a 64 of the whole input, hex>
//
// "cat" copies stdin to stdout unchanged (with io.Copy through a 4 KiB buffer) and then
// prints "copied <n>" to stderr.
package main

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strconv"
	"strings"
)

func main() {
	mode := "count"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "count":
		count()
	case "cat":
		n, err := io.CopyBuffer(os.Stdout, os.Stdin, make([]byte, 4096))
		if err != nil {
			fmt.Fprintln(os.Stderr, "copy:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "copied %d\n", n)
	default:
		fmt.Fprintln(os.Stderr, "usage: stdin count|cat")
		os.Exit(64)
	}
}

func count() {
	h := fnv.New64a()
	sc := bufio.NewScanner(io.TeeReader(os.Stdin, h))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	lines, longest := 0, 0
	var sum int64
	for sc.Scan() {
		line := sc.Text()
		lines++
		if len(line) > longest {
			longest = len(line)
		}
		if fields := strings.Fields(line); len(fields) > 0 {
			if v, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
				sum += v
			}
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Println("scan:", err)
		os.Exit(1)
	}
	// Drain anything after a final partial read so the hash covers the whole input.
	io.Copy(h, os.Stdin)
	fmt.Printf("lines=%d longest=%d\n", lines, longest)
	fmt.Printf("sum=%d\n", sum)
	fmt.Printf("fnv=%016x\n", h.Sum64())
}
