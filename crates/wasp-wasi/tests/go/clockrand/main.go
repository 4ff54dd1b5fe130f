// clockrand: prints what a wasip1 guest sees of its clocks, randomness, arguments and
// environment, for wasp-wasi's tests of injected clocks and random sources (tests/embed.rs).
//
// Output (stdout), one line each:
//
//	now=<time.Now() in UTC, RFC 3339 with nanoseconds>
//	rand=<math/rand.Int63()> <math/rand.Intn(1000)>   (seeded by the runtime from random_get)
//	crypto=<8 bytes of crypto/rand, hex>
//	map=<the keys of a 16-entry map in iteration order (seeded from random_get too)>
//	slept=<whether time.Since measured at least 1ms across a 1ms time.Sleep>
//	args=<os.Args, quoted>
//	env=<os.Environ(), quoted>
package main

import (
	crand "crypto/rand"
	"fmt"
	"math/rand"
	"os"
	"time"
)

func main() {
	fmt.Printf("now=%s\n", time.Now().UTC().Format(time.RFC3339Nano))
	fmt.Printf("rand=%d %d\n", rand.Int63(), rand.Intn(1000))
	b := make([]byte, 8)
	if _, err := crand.Read(b); err != nil {
		fmt.Printf("crypto error: %v\n", err)
	}
	fmt.Printf("crypto=%x\n", b)
	m := map[int]bool{}
	for i := 0; i < 16; i++ {
		m[i] = true
	}
	fmt.Print("map=")
	for k := range m {
		fmt.Printf("%d,", k)
	}
	fmt.Println()
	start := time.Now()
	time.Sleep(time.Millisecond)
	fmt.Printf("slept=%v\n", time.Since(start) >= time.Millisecond)
	fmt.Printf("args=%q\n", os.Args)
	fmt.Printf("env=%q\n", os.Environ())
}
