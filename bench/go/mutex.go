package main

// mutex: twin of ../mutex.c.

import "sync"

func init() { register("mutex", mutex) }

func mutex(args []string) {
	const ng = 8
	n := arg(args, 0, 4000000)
	if n%ng != 0 {
		fail("N must be a multiple of %d, got %d", ng, n)
	}
	var mu sync.Mutex
	var counter int64
	done := newLatch(ng)
	t0 := now()
	for i := 0; i < ng; i++ {
		go func() {
			for j := int64(0); j < n/ng; j++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			done.done()
		}()
	}
	t1 := done.wait()
	mu.Lock()
	got := counter
	mu.Unlock()
	if got != n {
		fail("counter is %d, expected %d", got, n)
	}
	report("mutex", float64(t1-t0)/float64(n), "ns/op")
}
