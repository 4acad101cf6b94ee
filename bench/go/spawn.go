package main

// spawn: twin of ../spawn.c.

func init() { register("spawn", spawn) }

func spawn(args []string) {
	n := arg(args, 0, 1000000)
	done := newLatch(n)
	t0 := now()
	for i := int64(0); i < n; i++ {
		go done.done()
	}
	t1 := done.wait()
	report("spawn", float64(t1-t0)/float64(n), "ns/op")
}
