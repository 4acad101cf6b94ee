package main

// sieve: twin of ../sieve.c.

func init() { register("sieve", sieve) }

func generate(out chan<- int64) {
	for i := int64(2); ; i++ {
		out <- i
	}
}

func filter(in <-chan int64, out chan<- int64, prime int64) {
	for {
		if v := <-in; v%prime != 0 {
			out <- v
		}
	}
}

func nthPrime(n int64) int64 {
	p := int64(1)
	for n > 0 {
		p++
		prime := true
		for d := int64(2); d*d <= p && prime; d++ {
			prime = p%d != 0
		}
		if prime {
			n--
		}
	}
	return p
}

func sieve(args []string) {
	n := arg(args, 0, 4000)
	t0 := now()
	ch := make(chan int64)
	go generate(ch)
	var prime int64
	for i := int64(0); i < n; i++ {
		prime = <-ch
		out := make(chan int64)
		go filter(ch, out, prime)
		ch = out
	}
	t1 := now()
	if want := nthPrime(n); prime != want {
		fail("prime %d is %d, expected %d", n, prime, want)
	}
	report("sieve", float64(t1-t0)/1e6, "ms")
}
