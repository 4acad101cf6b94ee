package main

// skynet: twin of ../skynet.c.

func init() { register("skynet", skynetBench) }

func skynet(num, size int64, out chan<- int64) {
	if size == 1 {
		out <- num
		return
	}
	const div = 10
	c := make(chan int64, div)
	step := size / div
	for i := int64(0); i < div; i++ {
		go skynet(num+i*step, step, c)
	}
	var sum int64
	for i := 0; i < div; i++ {
		sum += <-c
	}
	out <- sum
}

func skynetBench(args []string) {
	n := arg(args, 0, 1000000)
	for s := n; s > 1; s /= 10 {
		if s%10 != 0 {
			fail("N must be a power of 10, got %d", n)
		}
	}
	result := make(chan int64, 1)
	t0 := now()
	skynet(0, n, result)
	sum := <-result
	t1 := now()
	if sum != n*(n-1)/2 {
		fail("sum %d, expected %d", sum, n*(n-1)/2)
	}
	report("skynet", float64(t1-t0)/1e6, "ms")
}
