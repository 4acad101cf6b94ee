package main

// yield: twin of ../yield.c.

import "runtime"

func init() { register("yield", yield) }

func yield(args []string) {
	n := arg(args, 0, 1000000)
	procs := int64(runtime.GOMAXPROCS(0))
	g := 2 * procs
	done := newLatch(g)
	t0 := now()
	for i := int64(0); i < g; i++ {
		go func() {
			for j := int64(0); j < n; j++ {
				runtime.Gosched()
			}
			done.done()
		}()
	}
	t1 := done.wait()
	report("yield", float64(t1-t0)*float64(procs)/(float64(g)*float64(n)), "ns/op")
}
