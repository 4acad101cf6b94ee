/*
 * pingpong - unbuffered channel ping-pong: main sends a value on one
 * channel, a partner goroutine receives it and sends it back on another,
 * N times.  Every round trip is two rendezvous and two goroutine
 * switches (or, on two Ps, two cross-P wakeups).  Prints ns per round
 * trip.  Go twin: go/pingpong.go.
 *
 *     pingpong [N]     (default 1000000 round trips)
 */
#include "bench.h"

static gort_chan *ping, *pong;

static void partner(void *arg)
{
    (void)arg;
    long v;
    while (gort_chan_recv(ping, &v))
        gort_chan_send(pong, &v);
}

static long n;

static void bench_main(void *arg)
{
    (void)arg;
    ping = gort_chan_new(sizeof(long), 0);
    pong = gort_chan_new(sizeof(long), 0);
    gort_go(partner, NULL);
    int64_t t0 = gort_now();
    for (long i = 0; i < n; i++) {
        long v = i;
        gort_chan_send(ping, &v);
        gort_chan_recv(pong, &v);
        if (v != i) {
            fprintf(stderr, "pingpong: got %ld back, sent %ld\n", v, i);
            exit(1);
        }
    }
    int64_t t1 = gort_now();
    bench_report("pingpong", (double)(t1 - t0) / (double)n, "ns/op");
}

int main(int argc, char **argv)
{
    n = bench_arg(argc, argv, 1, 1000000);
    bench_run(bench_main, NULL);
    return 0;
}
