/*
 * select - a blocking select over four receive cases: four producers each
 * send N/4 values on their own unbuffered channel, and main receives all
 * N through gort_select.  Prints ns per select; checks every value
 * arrived once, and that each case fired exactly N/4 times.  Go twin:
 * go/select.go.
 *
 *     select [N]       (default 1000000; a multiple of 4)
 */
#include "bench.h"

enum { NCHAN = 4 };

static gort_chan *chans[NCHAN];
static long n;

static void producer(void *arg)
{
    long i = (long)(intptr_t)arg;
    for (long v = i; v < n; v += NCHAN)
        gort_chan_send(chans[i], &v);
}

static void bench_main(void *arg)
{
    (void)arg;
    long vals[NCHAN], fired[NCHAN] = {0}, sum = 0;
    gort_case cases[NCHAN];
    for (int i = 0; i < NCHAN; i++) {
        chans[i] = gort_chan_new(sizeof(long), 0);
        cases[i] = (gort_case){chans[i], GORT_RECV, &vals[i], false};
    }
    int64_t t0 = gort_now();
    for (long i = 0; i < NCHAN; i++)
        gort_go(producer, (void *)(intptr_t)i);
    for (long i = 0; i < n; i++) {
        int c = gort_select(cases, NCHAN, true);
        fired[c]++;
        sum += vals[c];
    }
    int64_t t1 = gort_now();
    for (int i = 0; i < NCHAN; i++)
        if (fired[i] != n / NCHAN) {
            fprintf(stderr, "select: case %d fired %ld times, expected %ld\n",
                    i, fired[i], n / NCHAN);
            exit(1);
        }
    if (sum != n * (n - 1) / 2) {
        fprintf(stderr, "select: values summed to %ld, expected %ld\n", sum, n * (n - 1) / 2);
        exit(1);
    }
    bench_report("select", (double)(t1 - t0) / (double)n, "ns/op");
}

int main(int argc, char **argv)
{
    n = bench_arg(argc, argv, 1, 1000000);
    if (n % NCHAN) {
        fprintf(stderr, "select: N must be a multiple of %d, got %ld\n", NCHAN, n);
        return 2;
    }
    bench_run(bench_main, NULL);
    return 0;
}
