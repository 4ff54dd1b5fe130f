// Command hotloop keeps the CPU busy in two known places, for the profiler
// tests and docs/profiling.md: work calls checksum (a tight loop, about
// two thirds of the time) and fill (about one third), ROUNDS times.
//
// Usage: hotloop [ROUNDS]
package main

import (
	"fmt"
	"os"
	"strconv"
)

// checksum mixes every word of data (an xorshift step per word).
//
//go:noinline
func checksum(data []uint64) uint64 {
	var h uint64 = 1469598103934665603
	for _, v := range data {
		h ^= v
		h ^= h << 13
		h ^= h >> 7
		h ^= h << 17
	}
	return h
}

// fill writes a counter pattern into data.
//
//go:noinline
func fill(data []uint64, seed uint64) {
	for i := range data {
		data[i] = seed + uint64(i)*0x9e3779b97f4a7c15
	}
}

//go:noinline
func work(rounds int) uint64 {
	data := make([]uint64, 4096)
	var sum uint64
	for r := 0; r < rounds; r++ {
		fill(data, uint64(r))
		sum += checksum(data)
		sum += checksum(data)
	}
	return sum
}

func main() {
	rounds := 300
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "usage: hotloop [ROUNDS]")
			os.Exit(2)
		}
		rounds = n
	}
	fmt.Println(work(rounds))
}
