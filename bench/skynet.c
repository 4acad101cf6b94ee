/*
 * skynet - the skynet benchmark: a tree of goroutines ten wide, N leaves
 * (1M: 1,111,111 goroutines in all); each leaf sends its number to its
 * parent over a channel, each inner node sums its ten children's values
 * and sends the sum up.  The root's sum must be N*(N-1)/2.  Prints the
 * total time in ms.  Go twin: go/skynet.go.
 *
 *     skynet [N]       (default 1000000; a power of 10)
 */
#include "bench.h"

typedef struct {
    long num, size;
    gort_chan *out;
} node;

/* Each inner node keeps its children's arguments on its own stack: it
   returns only after all ten have sent, and a child reads its node before
   it sends. */
static void skynet(void *arg)
{
    node me = *(node *)arg;
    long sum = 0;
    if (me.size == 1) {
        sum = me.num;
    } else {
        enum { DIV = 10 };
        gort_chan *c = gort_chan_new(sizeof(long), DIV);
        node kids[DIV];
        long step = me.size / DIV;
        for (int i = 0; i < DIV; i++) {
            kids[i] = (node){me.num + i * step, step, c};
            gort_go(skynet, &kids[i]);
        }
        for (int i = 0; i < DIV; i++) {
            long v;
            gort_chan_recv(c, &v);
            sum += v;
        }
        gort_chan_free(c);
    }
    gort_chan_send(me.out, &sum);
}

static long n;

static void bench_main(void *arg)
{
    (void)arg;
    gort_chan *result = gort_chan_new(sizeof(long), 1);
    node root = {0, n, result};
    int64_t t0 = gort_now();
    skynet(&root);
    long sum;
    gort_chan_recv(result, &sum);
    int64_t t1 = gort_now();
    gort_chan_free(result);
    if (sum != n * (n - 1) / 2) {
        fprintf(stderr, "skynet: sum %ld, expected %ld\n", sum, n * (n - 1) / 2);
        exit(1);
    }
    bench_report("skynet", (double)(t1 - t0) / 1e6, "ms");
}

int main(int argc, char **argv)
{
    n = bench_arg(argc, argv, 1, 1000000);
    for (long s = n; s > 1; s /= 10)
        if (s % 10) {
            fprintf(stderr, "skynet: N must be a power of 10, got %ld\n", n);
            return 2;
        }
    bench_run(bench_main, NULL);
    return 0;
}
