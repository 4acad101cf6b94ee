/*
 * parkmem - memory per parked goroutine: N goroutines each block on a
 * receive from one channel that never gets a value; once all of them have
 * started (and main has let them settle) the growth of the resident set
 * since before the first spawn, divided by N, is the cost of one parked
 * goroutine: its stack pages actually touched, its G, and whatever the
 * runtime keeps per waiter.  Prints bytes per goroutine.  main then
 * returns without waking them, which abandons them (as a Go program's
 * exit does).  Go twin: go/parkmem.go.
 *
 *     parkmem [N]      (default 1000000)
 */
#include <unistd.h>

#include "bench.h"

static bench_latch started;
static gort_chan *never;
static long n;

static long rss_bytes(void)
{
    long size, resident;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &size, &resident) != 2) {
        perror("parkmem: /proc/self/statm");
        exit(1);
    }
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

static void parked(void *arg)
{
    (void)arg;
    latch_done(&started);
    gort_chan_recv(never, NULL);
}

static void bench_main(void *arg)
{
    (void)arg;
    never = gort_chan_new(sizeof(int), 0);
    latch_init(&started, n);
    long before = rss_bytes();
    for (long i = 0; i < n; i++)
        gort_go(parked, NULL);
    latch_wait(&started);
    gort_sleep(20 * 1000 * 1000); /* the last starters reach their park */
    long after = rss_bytes();
    bench_report("parkmem", (double)(after - before) / (double)n, "B/op");
}

int main(int argc, char **argv)
{
    n = bench_arg(argc, argv, 1, 1000000);
    bench_run(bench_main, NULL);
    return 0;
}
