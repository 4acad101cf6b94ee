package main

// waitgroup: twin of ../waitgroup.c.

import (
	"sync"
	"sync/atomic"
)

func init() { register("waitgroup", waitgroup) }

func waitgroup(args []string) {
	rounds := arg(args, 0, 10000)
	width := arg(args, 1, 100)
	var wg sync.WaitGroup
	var work int64
	t0 := now()
	for r := int64(0); r < rounds; r++ {
		wg.Add(int(width))
		for i := int64(0); i < width; i++ {
			go func() {
				atomic.AddInt64(&work, 1)
				wg.Done()
			}()
		}
		wg.Wait()
		if got := atomic.LoadInt64(&work); got != (r+1)*width {
			fail("wait returned after %d of %d workers", got-r*width, width)
		}
	}
	t1 := now()
	report("waitgroup", float64(t1-t0)/float64(rounds*width), "ns/op")
}
