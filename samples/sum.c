/*
 * sum - a parallel sum over a tree of goroutines (divide and conquer).
 * To sum a range, a goroutine splits it in two, spawns a goroutine for
 * the left half, sums the right half itself and then waits for the left
 * one on a WaitGroup; ranges of up to 64K numbers are summed in a plain
 * loop.  The work spreads over all Ps through stealing.  Checks the sum
 * against n*(n-1)/2.
 *
 *     ./sum [N]        sums 0, 1, ..., N-1 stored in an array (default 2^22)
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "gort.h"

enum { LEAF = 64 * 1024 };

typedef struct {
    const long *a;
    long n;
    long sum;             /* the result */
    gort_waitgroup *done; /* told when the result is in, if not NULL */
} task;

static _Atomic long spawned;

static void sum(void *arg)
{
    task *t = arg;
    if (t->n <= LEAF) {
        t->sum = 0;
        for (long i = 0; i < t->n; i++)
            t->sum += t->a[i];
    } else {
        gort_waitgroup wg = GORT_WAITGROUP_INIT;
        long half = t->n / 2;
        task left = {t->a, half, 0, &wg};
        task right = {t->a + half, t->n - half, 0, NULL};
        gort_wg_add(&wg, 1);
        atomic_fetch_add(&spawned, 1);
        gort_go(sum, &left);
        sum(&right);
        gort_wg_wait(&wg); /* left lives on this stack: wait before returning */
        t->sum = left.sum + right.sum;
    }
    if (t->done)
        gort_wg_done(t->done);
}

static long n = 1L << 22;

static void main_fn(void *arg)
{
    (void)arg;
    long *a = malloc(n * sizeof *a);
    if (!a) {
        perror("sum: malloc");
        exit(1);
    }
    for (long i = 0; i < n; i++)
        a[i] = i;
    int64_t t0 = gort_now();
    task all = {a, n, 0, NULL};
    sum(&all);
    int64_t t1 = gort_now();
    printf("sum of 0..%ld = %ld (expected %ld) by %ld goroutines on %d Ps in %.2f ms\n",
           n - 1, all.sum, n * (n - 1) / 2, atomic_load(&spawned) + 1, gort_maxprocs(0),
           (double)(t1 - t0) / 1e6);
    free(a);
}

int main(int argc, char **argv)
{
    if (argc > 1 && (n = atol(argv[1])) <= 0) {
        fprintf(stderr, "usage: %s [N > 0]\n", argv[0]);
        return 2;
    }
    int rc = gort_run(main_fn, NULL);
    if (rc != 0)
        fprintf(stderr, "sum: gort_run failed: %d\n", rc);
    return rc != 0;
}
