// manyfiles: lists a directory with many entries (the harness plants 10,000 files) twice, once
// with os.ReadDir and once in batches of 100 through File.ReadDir (each batch resumes from the
// previous fd_readdir cookie), and prints what it saw.
//
// Usage: manyfiles DIR
//
// Output:
//
//	entries=<n> batches=<number of non-empty batches>
//	unique=<distinct names> files=<regular files> same=<whether both listings agree>
//	checksum=<FNV-1a 64 of the sorted names joined by "\n", hex>
//	first=<smallest name> last=<largest name>
package main

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"sort"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: manyfiles DIR")
		os.Exit(64)
	}
	dir := os.Args[1]

	all, err := os.ReadDir(dir)
	if err != nil {
		fmt.Println("readdir:", err)
		os.Exit(1)
	}
	var names []string
	files := 0
	for _, e := range all {
		names = append(names, e.Name())
		if e.Type().IsRegular() {
			files++
		}
	}

	f, err := os.Open(dir)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	var batched []string
	batches := 0
	for {
		ents, err := f.ReadDir(100)
		if len(ents) > 0 {
			batches++
		}
		for _, e := range ents {
			batched = append(batched, e.Name())
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println("readdir batch:", err)
			os.Exit(1)
		}
		if len(ents) > 100 {
			fmt.Println("batch too large:", len(ents))
			os.Exit(1)
		}
	}
	f.Close()

	sort.Strings(names)
	sort.Strings(batched)
	unique := map[string]bool{}
	for _, n := range names {
		unique[n] = true
	}
	same := strings.Join(names, "\n") == strings.Join(batched, "\n")
	h := fnv.New64a()
	h.Write([]byte(strings.Join(names, "\n")))

	fmt.Printf("entries=%d batches=%d\n", len(names), batches)
	fmt.Printf("unique=%d files=%d same=%v\n", len(unique), files, same)
	fmt.Printf("checksum=%016x\n", h.Sum64())
	if len(names) > 0 {
		fmt.Printf("first=%s last=%s\n", names[0], names[len(names)-1])
	}
}
