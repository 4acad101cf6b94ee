// migrate.go - the Go twin of migrate.c: G goroutines each allocate a
// batch of 64 blocks of 8..1024 bytes, yield (runtime.Gosched: the
// goroutine may resume on another P) and drop the batch, which Go's
// garbage collector frees.  Prints the same line as the C benchmarks:
// CPU and wall ns per block, peak RSS.
//
//	go run bench/alloc/migrate.go [blocks]
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
)

const (
	goroutines = 64
	batch      = 64
)

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func main() {
	ops := int64(4000000)
	if len(os.Args) > 1 {
		n, err := strconv.ParseInt(os.Args[1], 10, 64)
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "usage: %s [blocks]\n", os.Args[0])
			os.Exit(2)
		}
		ops = n
	}
	rounds := ops / goroutines / batch
	if rounds < 1 {
		rounds = 1
	}
	var wg sync.WaitGroup
	t0, c0 := time.Now(), cpuNs()
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			blocks := make([][]byte, batch)
			for r := int64(0); r < rounds; r++ {
				for j := range blocks {
					seed ^= seed << 13
					seed ^= seed >> 7
					seed ^= seed << 17
					b := make([]byte, 8+seed%1017)
					b[0] = 1
					blocks[j] = b
				}
				runtime.Gosched()
				for j := range blocks {
					blocks[j] = nil
				}
			}
		}(0x9e3779b97f4a7c15 * uint64(g+1))
	}
	wg.Wait()
	wall, cpu := time.Since(t0).Nanoseconds(), cpuNs()-c0
	total := rounds * goroutines * batch
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("migrate-go cpu_ns/op %.2f wall_ns/op %.2f maxrss_kb %d\n",
		float64(cpu)/float64(total), float64(wall)/float64(total), ru.Maxrss)
}
