package main

// select: twin of ../select.c.

func init() { register("select", selectBench) }

func selectBench(args []string) {
	const nchan = 4
	n := arg(args, 0, 1000000)
	if n%nchan != 0 {
		fail("N must be a multiple of %d, got %d", nchan, n)
	}
	var chans [nchan]chan int64
	for i := range chans {
		chans[i] = make(chan int64)
	}
	var fired [nchan]int64
	var sum int64
	t0 := now()
	for i := int64(0); i < nchan; i++ {
		go func(i int64) {
			for v := i; v < n; v += nchan {
				chans[i] <- v
			}
		}(i)
	}
	for i := int64(0); i < n; i++ {
		select {
		case v := <-chans[0]:
			fired[0]++
			sum += v
		case v := <-chans[1]:
			fired[1]++
			sum += v
		case v := <-chans[2]:
			fired[2]++
			sum += v
		case v := <-chans[3]:
			fired[3]++
			sum += v
		}
	}
	t1 := now()
	for i, f := range fired {
		if f != n/nchan {
			fail("case %d fired %d times, expected %d", i, f, n/nchan)
		}
	}
	if sum != n*(n-1)/2 {
		fail("values summed to %d, expected %d", sum, n*(n-1)/2)
	}
	report("select", float64(t1-t0)/float64(n), "ns/op")
}
