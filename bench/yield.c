/*
 * yield - the cost of gort_yield (runtime.Gosched): 2*P goroutines each
 * yield N times, so every P always has another goroutine to switch to.
 * Prints the wall time per yield on one P: elapsed * P / (2*P*N).  The
 * reference is the bare switch (switch.c): one yield is one switch plus
 * the scheduler's run-queue work.  Go twin: go/yield.go.
 *
 *     yield [N]        (default 1000000 yields per goroutine)
 */
#include "bench.h"

static bench_latch done;
static long n;

static void yielder(void *arg)
{
    (void)arg;
    for (long i = 0; i < n; i++)
        gort_yield();
    latch_done(&done);
}

static void bench_main(void *arg)
{
    (void)arg;
    int procs = gort_maxprocs(0);
    long g = 2L * procs;
    latch_init(&done, g);
    int64_t t0 = gort_now();
    for (long i = 0; i < g; i++)
        gort_go(yielder, NULL);
    int64_t t1 = latch_wait(&done);
    bench_report("yield", (double)(t1 - t0) * procs / ((double)g * (double)n), "ns/op");
}

int main(int argc, char **argv)
{
    n = bench_arg(argc, argv, 1, 1000000);
    bench_run(bench_main, NULL);
    return 0;
}
