package main

// parkmem: twin of ../parkmem.c.

import (
	"fmt"
	"os"
	"time"
)

func init() { register("parkmem", parkmem) }

func rssBytes() int64 {
	var size, resident int64
	f, err := os.Open("/proc/self/statm")
	if err == nil {
		_, err = fmt.Fscan(f, &size, &resident)
		f.Close()
	}
	if err != nil {
		fail("/proc/self/statm: %v", err)
	}
	return resident * int64(os.Getpagesize())
}

func parkmem(args []string) {
	n := arg(args, 0, 1000000)
	never := make(chan int)
	started := newLatch(n)
	before := rssBytes()
	for i := int64(0); i < n; i++ {
		go func() {
			started.done()
			<-never
		}()
	}
	started.wait()
	time.Sleep(20 * time.Millisecond)
	after := rssBytes()
	report("parkmem", float64(after-before)/float64(n), "B/op")
}
