/*
 * spawn - the cost of a goroutine's whole life: main spawns N goroutines
 * that each do a trivial piece of work (count themselves off a latch) and
 * exit; the time runs from the first spawn until the last one finishes.
 * Prints ns per goroutine.  Go twin: go/spawn.go.
 *
 *     spawn [N]        (default 1000000)
 */
#include "bench.h"

static bench_latch done;
static long n;

static void work(void *arg)
{
    (void)arg;
    latch_done(&done);
}

static void bench_main(void *arg)
{
    (void)arg;
    latch_init(&done, n);
    int64_t t0 = gort_now();
    for (long i = 0; i < n; i++)
        gort_go(work, NULL);
    int64_t t1 = latch_wait(&done);
    bench_report("spawn", (double)(t1 - t0) / (double)n, "ns/op");
}

int main(int argc, char **argv)
{
    n = bench_arg(argc, argv, 1, 1000000);
    bench_run(bench_main, NULL);
    return 0;
}
