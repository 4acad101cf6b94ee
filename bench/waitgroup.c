/*
 * waitgroup - WaitGroup fan-out: R rounds, each of which adds K to a
 * WaitGroup, spawns K goroutines that each do a trivial piece of work and
 * call gort_wg_done, and waits.  Prints ns per goroutine (spawned, run,
 * counted off and waited for).  Go twin: go/waitgroup.go.
 *
 *     waitgroup [R [K]]   (default 10000 rounds of 100)
 */
#include "bench.h"

static gort_waitgroup wg = GORT_WAITGROUP_INIT;
static _Atomic long work;
static long rounds, width;

static void worker(void *arg)
{
    (void)arg;
    atomic_fetch_add_explicit(&work, 1, memory_order_relaxed);
    gort_wg_done(&wg);
}

static void bench_main(void *arg)
{
    (void)arg;
    int64_t t0 = gort_now();
    for (long r = 0; r < rounds; r++) {
        gort_wg_add(&wg, width);
        for (long i = 0; i < width; i++)
            gort_go(worker, NULL);
        gort_wg_wait(&wg);
        if (atomic_load(&work) != (r + 1) * width) {
            fprintf(stderr, "waitgroup: wait returned after %ld of %ld workers\n",
                    atomic_load(&work) - r * width, width);
            exit(1);
        }
    }
    int64_t t1 = gort_now();
    bench_report("waitgroup", (double)(t1 - t0) / (double)(rounds * width), "ns/op");
}

int main(int argc, char **argv)
{
    rounds = bench_arg(argc, argv, 1, 10000);
    width = bench_arg(argc, argv, 2, 100);
    bench_run(bench_main, NULL);
    return 0;
}
