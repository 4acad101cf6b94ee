/*
 * mutex - mutex contention: 8 goroutines each increment one shared
 * counter N/8 times under one gort_mutex.  Prints ns per increment (lock,
 * add, unlock) from the first spawn to the last goroutine's exit; checks
 * the counter.  Go twin: go/mutex.go.
 *
 *     mutex [N]        (default 4000000; a multiple of 8)
 */
#include "bench.h"

enum { NG = 8 };

static gort_mutex mu = GORT_MUTEX_INIT;
static long counter;
static long n;
static bench_latch done;

static void incrementer(void *arg)
{
    (void)arg;
    for (long i = 0; i < n / NG; i++) {
        gort_mutex_lock(&mu);
        counter++;
        gort_mutex_unlock(&mu);
    }
    latch_done(&done);
}

static void bench_main(void *arg)
{
    (void)arg;
    latch_init(&done, NG);
    int64_t t0 = gort_now();
    for (int i = 0; i < NG; i++)
        gort_go(incrementer, NULL);
    int64_t t1 = latch_wait(&done);
    gort_mutex_lock(&mu);
    long got = counter;
    gort_mutex_unlock(&mu);
    if (got != n) {
        fprintf(stderr, "mutex: counter is %ld, expected %ld\n", got, n);
        exit(1);
    }
    bench_report("mutex", (double)(t1 - t0) / (double)n, "ns/op");
}

int main(int argc, char **argv)
{
    n = bench_arg(argc, argv, 1, 4000000);
    if (n % NG) {
        fprintf(stderr, "mutex: N must be a multiple of %d, got %ld\n", NG, n);
        return 2;
    }
    bench_run(bench_main, NULL);
    return 0;
}
