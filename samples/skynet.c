/*
 * skynet - a million goroutines.  Builds a tree ten wide: each inner
 * goroutine spawns ten children and adds up what they send it over a
 * buffered channel; each of the N leaves sends its own number.  With
 * N = 1,000,000 that is 1,111,111 goroutines, most of them alive at once,
 * and the root's sum is N*(N-1)/2.
 *
 *     ./skynet [N]     N a power of 10 (default 1000000)
 */
#include <stdio.h>
#include <stdlib.h>

#include "gort.h"

enum { WIDTH = 10 };

typedef struct {
    long first, count; /* the leaves first .. first+count-1 */
    gort_chan *parent; /* where to send the sum */
} node;

static void skynet(void *arg)
{
    node me = *(node *)arg; /* copied: the parent's array may be reused */
    long sum = 0;
    if (me.count == 1) {
        sum = me.first;
    } else {
        gort_chan *c = gort_chan_new(sizeof(long), WIDTH);
        node kids[WIDTH]; /* valid until every kid has sent, below */
        for (int i = 0; i < WIDTH; i++) {
            long step = me.count / WIDTH;
            kids[i] = (node){me.first + i * step, step, c};
            gort_go(skynet, &kids[i]);
        }
        for (int i = 0; i < WIDTH; i++) {
            long v;
            gort_chan_recv(c, &v);
            sum += v;
        }
        gort_chan_free(c);
    }
    gort_chan_send(me.parent, &sum);
}

static long n = 1000000;

static void main_fn(void *arg)
{
    (void)arg;
    gort_chan *result = gort_chan_new(sizeof(long), 1);
    node root = {0, n, result};
    int64_t t0 = gort_now();
    gort_go(skynet, &root);
    long sum;
    gort_chan_recv(result, &sum);
    int64_t t1 = gort_now();
    gort_chan_free(result);
    printf("skynet: sum %ld (expected %ld) in %.1f ms on %d Ps\n",
           sum, n * (n - 1) / 2, (double)(t1 - t0) / 1e6, gort_maxprocs(0));
}

int main(int argc, char **argv)
{
    if (argc > 1)
        n = atol(argv[1]);
    long s = n;
    while (s >= WIDTH && s % WIDTH == 0)
        s /= WIDTH;
    if (s != 1) {
        fprintf(stderr, "usage: %s [N], N a power of 10\n", argv[0]);
        return 2;
    }
    int rc = gort_run(main_fn, NULL);
    if (rc != 0)
        fprintf(stderr, "skynet: gort_run failed: %d\n", rc);
    return rc != 0;
}
