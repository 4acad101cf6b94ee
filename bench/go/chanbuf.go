package main

// chanbuf: twin of ../chanbuf.c.

import (
	"fmt"
	"sync/atomic"
)

func init() { register("chanbuf", chanbuf) }

func chanbuf(args []string) {
	if len(args) < 1 {
		fail("usage: chanbuf K [N]")
	}
	k := arg(args, 0, 1)
	n := arg(args, 1, 2000000)
	ch := make(chan int64, 128)
	producing, total := k, int64(0)
	consumed := newLatch(k)
	t0 := now()
	for i := int64(0); i < k; i++ {
		go func() {
			var sum int64
			for v := range ch {
				sum += v
			}
			atomic.AddInt64(&total, sum)
			consumed.done()
		}()
		go func(first int64) {
			for v := first; v < n; v += k {
				ch <- v
			}
			if atomic.AddInt64(&producing, -1) == 0 {
				close(ch)
			}
		}(i)
	}
	t1 := consumed.wait()
	if got := atomic.LoadInt64(&total); got != n*(n-1)/2 {
		fail("values summed to %d, expected %d", got, n*(n-1)/2)
	}
	report(fmt.Sprintf("chanbuf%d:%d", k, k), float64(t1-t0)/float64(n), "ns/op")
}
