/*
 * chanbuf - buffered channel throughput: K producers send N values in all
 * through one channel of capacity 128 to K consumers, which receive until
 * it is closed (the last producer to finish closes it).  Prints ns per
 * value, from the first spawn to the last consumer's exit; checks that
 * every value arrived once (by their sum).  Go twin: go/chanbuf.go.
 *
 *     chanbuf K [N]    (K producers and K consumers; default N 2000000)
 */
#include "bench.h"

enum { CAP = 128 };

static gort_chan *ch;
static long k, n;
static _Atomic long producing, total;
static bench_latch consumed;

static void producer(void *arg)
{
    long first = (long)(intptr_t)arg;
    for (long v = first; v < n; v += k)
        gort_chan_send(ch, &v);
    if (atomic_fetch_sub(&producing, 1) == 1)
        gort_chan_close(ch);
}

static void consumer(void *arg)
{
    (void)arg;
    long v, sum = 0;
    while (gort_chan_recv(ch, &v))
        sum += v;
    atomic_fetch_add(&total, sum);
    latch_done(&consumed);
}

static void bench_main(void *arg)
{
    (void)arg;
    ch = gort_chan_new(sizeof(long), CAP);
    atomic_store(&producing, k);
    latch_init(&consumed, k);
    int64_t t0 = gort_now();
    for (long i = 0; i < k; i++) {
        gort_go(consumer, NULL);
        gort_go(producer, (void *)(intptr_t)i);
    }
    int64_t t1 = latch_wait(&consumed);
    if (atomic_load(&total) != n * (n - 1) / 2) {
        fprintf(stderr, "chanbuf: values summed to %ld, expected %ld\n",
                atomic_load(&total), n * (n - 1) / 2);
        exit(1);
    }
    gort_chan_free(ch);
    char name[32];
    snprintf(name, sizeof name, "chanbuf%ld:%ld", k, k);
    bench_report(name, (double)(t1 - t0) / (double)n, "ns/op");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s K [N]\n", argv[0]);
        return 2;
    }
    k = bench_arg(argc, argv, 1, 1);
    n = bench_arg(argc, argv, 2, 2000000);
    bench_run(bench_main, NULL);
    return 0;
}
