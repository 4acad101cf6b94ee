// Command gobench is the Go twin of gort's C benchmarks: one program,
// one subcommand per benchmark, each in the file named after the C
// program it mirrors (spawn.go twins ../spawn.c).  Each takes the same
// arguments as its C twin and prints the same one line, "NAME VALUE
// UNIT", lower being better, so ../run.sh can divide one by the other.
// GOMAXPROCS sets the number of Ps as GORT_MAXPROCS does for gort.
//
// Usage: gobench BENCHMARK [ARG...]
package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var benchmarks = map[string]func(args []string){}

func register(name string, f func(args []string)) { benchmarks[name] = f }

func main() {
	if len(os.Args) < 2 || benchmarks[os.Args[1]] == nil {
		var names []string
		for name := range benchmarks {
			names = append(names, name)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: gobench BENCHMARK [ARG...]; benchmarks: %v\n", names)
		os.Exit(2)
	}
	benchmarks[os.Args[1]](os.Args[2:])
}

// arg returns args[i] as a positive count, or def when absent; anything
// else is a usage error, as in bench.h.
func arg(args []string, i int, def int64) int64 {
	if i >= len(args) {
		return def
	}
	v, err := strconv.ParseInt(args[i], 10, 64)
	if err != nil || v <= 0 {
		fail("argument %d: expected a positive count, got '%s'", i+1, args[i])
	}
	return v
}

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "gobench %s: %s\n", os.Args[1], fmt.Sprintf(format, a...))
	os.Exit(1)
}

func report(name string, value float64, unit string) {
	fmt.Printf("%s %.2f %s\n", name, value, unit)
}

var epoch = time.Now()

// now is the monotonic clock in nanoseconds, as gort_now.
func now() int64 { return int64(time.Since(epoch)) }

// latch is bench.h's: a WaitGroup whose last worker to finish also
// stamps the time; wait parks until then and returns the stamp.
type latch struct {
	wg        sync.WaitGroup
	left, end int64
}

func newLatch(n int64) *latch {
	l := &latch{left: n}
	l.wg.Add(int(n))
	return l
}

func (l *latch) done() {
	if atomic.AddInt64(&l.left, -1) == 0 {
		atomic.StoreInt64(&l.end, now())
	}
	l.wg.Done()
}

func (l *latch) wait() int64 {
	l.wg.Wait()
	return atomic.LoadInt64(&l.end)
}
