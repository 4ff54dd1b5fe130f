// goroutines: 64 goroutines cooperating over channels, a mutex and a WaitGroup.
//
// Usage: goroutines N
//
// Phase 1 (worker pool): 64 workers take the numbers 1..N from a job channel and send back
// the Collatz step count of each; the results are summed. Phase 2 (ring): 64 goroutines in a
// ring pass a token around 100 times, each adding its index. Phase 3 (shared counter): 64
// goroutines each increment a mutex-protected counter 1000 times. Output:
//
//	workers=64 jobs=<N> collatz_sum=<sum of steps> max_steps=<max> at=<argmax>
//	ring rounds=100 token=<final token>
//	counter=<final counter>
//	busy_workers=<number of workers that handled at least one job>
//	goroutines_at_end=<runtime.NumGoroutine()>
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
)

const workers = 64

func collatz(n uint64) int {
	steps := 0
	for n != 1 {
		if n%2 == 0 {
			n /= 2
		} else {
			n = 3*n + 1
		}
		steps++
	}
	return steps
}

type result struct {
	n, steps, worker int
}

func main() {
	n := 10000
	if len(os.Args) > 1 {
		var err error
		if n, err = strconv.Atoi(os.Args[1]); err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "usage: goroutines N")
			os.Exit(64)
		}
	}

	// Phase 1: worker pool.
	jobs := make(chan int)
	results := make(chan result, 16)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for j := range jobs {
				results <- result{j, collatz(uint64(j)), w}
				if j%97 == 0 {
					runtime.Gosched()
				}
			}
		}(w)
	}
	go func() {
		for i := 1; i <= n; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	sum, maxSteps, at := 0, -1, 0
	busy := map[int]bool{}
	count := 0
	for r := range results {
		count++
		sum += r.steps
		busy[r.worker] = true
		if r.steps > maxSteps || (r.steps == maxSteps && r.n < at) {
			maxSteps, at = r.steps, r.n
		}
	}
	fmt.Printf("workers=%d jobs=%d collatz_sum=%d max_steps=%d at=%d\n", workers, count, sum, maxSteps, at)

	// Phase 2: a ring of goroutines.
	const rounds = 100
	ring := make([]chan int, workers)
	for i := range ring {
		ring[i] = make(chan int)
	}
	done := make(chan int)
	for i := 0; i < workers; i++ {
		go func(i int) {
			in, out := ring[i], ring[(i+1)%workers]
			for r := 0; r < rounds; r++ {
				tok := <-in
				tok += i
				if i == workers-1 && r == rounds-1 {
					done <- tok
					return
				}
				out <- tok
			}
		}(i)
	}
	ring[0] <- 0
	fmt.Printf("ring rounds=%d token=%d\n", rounds, <-done)

	// Phase 3: a mutex-protected counter.
	var mu sync.Mutex
	counter := 0
	var wg2 sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for k := 0; k < 1000; k++ {
				mu.Lock()
				counter++
				mu.Unlock()
				if k%100 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	wg2.Wait()
	fmt.Printf("counter=%d\n", counter)
	fmt.Printf("busy_workers=%d\n", len(busy))
	runtime.Gosched()
	fmt.Printf("goroutines_at_end=%d\n", runtime.NumGoroutine())
}
