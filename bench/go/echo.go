package main

// echo: twin of ../echo.c.  Package net's listener and connections,
// one goroutine per connection on both sides, the same phases (every
// client connected, 0.3 s of warm-up, SECONDS measured) and the same two
// lines.  Go raises RLIMIT_NOFILE's soft limit itself (since 1.19).

import (
	"bytes"
	"io"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

func init() { register("echo", echo) }

const (
	echoWarmup    = 300 * time.Millisecond
	echoServerBuf = 16384
	phaseWarmup   = 0
	phaseMeasure  = 1
	phaseStop     = 2
)

func echoServe(c net.Conn) {
	buf := make([]byte, echoServerBuf)
	for {
		n, err := c.Read(buf)
		if err != nil {
			break
		}
		if _, err := c.Write(buf[:n]); err != nil {
			break
		}
	}
	c.Close()
}

func echo(args []string) {
	nconns := arg(args, 0, 64)
	size := arg(args, 1, 64)
	seconds := arg(args, 2, 2)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listen: %v", err)
	}
	go func() {
		for i := int64(0); i < nconns; i++ {
			c, err := ln.Accept()
			if err != nil {
				fail("accept: %v", err)
			}
			go echoServe(c)
		}
	}()

	var phase int32
	var connected, finished sync.WaitGroup
	lat := make([][]int64, nconns) // per client, ns
	connected.Add(int(nconns))
	finished.Add(int(nconns))
	for i := int64(0); i < nconns; i++ {
		go func(i int64) {
			c, err := net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
			if err != nil {
				fail("dial: %v", err)
			}
			msg, back := make([]byte, size), make([]byte, size)
			for k := range msg {
				msg[k] = byte(i*7 + int64(k))
			}
			connected.Done()
			for atomic.LoadInt32(&phase) != phaseStop {
				t0 := now()
				if _, err := c.Write(msg); err != nil {
					fail("round trip failed: %v", err)
				}
				if _, err := io.ReadFull(c, back); err != nil {
					fail("round trip failed: %v", err)
				}
				if !bytes.Equal(msg, back) {
					fail("round trip failed: wrong bytes back")
				}
				t1 := now()
				if atomic.LoadInt32(&phase) == phaseMeasure {
					lat[i] = append(lat[i], t1-t0)
				}
			}
			c.Close()
			finished.Done()
		}(i)
	}
	connected.Wait()
	time.Sleep(echoWarmup)
	atomic.StoreInt32(&phase, phaseMeasure)
	t0 := now()
	time.Sleep(time.Duration(seconds) * time.Second)
	atomic.StoreInt32(&phase, phaseStop)
	t1 := now()
	finished.Wait()
	ln.Close()

	var all []int64
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		fail("no round trip completed in %d s", seconds)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	p99 := (len(all)*99+99)/100 - 1
	report("echo", float64(len(all))*1e9/float64(t1-t0), "req/s")
	report("echo-p99", float64(all[p99])/1e3, "us")
}
