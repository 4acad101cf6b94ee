package main

// pingpong: twin of ../pingpong.c.

func init() { register("pingpong", pingpong) }

func pingpong(args []string) {
	n := arg(args, 0, 1000000)
	ping, pong := make(chan int64), make(chan int64)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	t0 := now()
	for i := int64(0); i < n; i++ {
		ping <- i
		if v := <-pong; v != i {
			fail("got %d back, sent %d", v, i)
		}
	}
	t1 := now()
	report("pingpong", float64(t1-t0)/float64(n), "ns/op")
}
