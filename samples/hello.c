/*
 * hello - gort's first program.  Spawns two goroutines per P; each does a
 * few milliseconds of work, so idle Ps steal some and they spread over
 * the threads, then says which goroutine it is and which thread (M) ran
 * it.  main waits for all of them on a WaitGroup and returns, which ends
 * gort_run.
 *
 *     GORT_MAXPROCS=4 ./hello
 */
#include <stdio.h>
#include <unistd.h>

#include "gort.h"

static gort_waitgroup wg = GORT_WAITGROUP_INIT;

static void hello(void *arg)
{
    int n = (int)(intptr_t)arg;
    volatile unsigned long x = 0;
    for (long i = 0; i < 5 * 1000 * 1000; i++) /* a few ms of work */
        x += i;
    printf("hello from goroutine %d (id %llu) on thread %d\n",
           n, (unsigned long long)gort_id(), gettid());
    gort_wg_done(&wg);
}

static void main_fn(void *arg)
{
    (void)arg;
    int n = 2 * gort_maxprocs(0);
    printf("main is goroutine %llu; %d Ps; spawning %d goroutines\n",
           (unsigned long long)gort_id(), gort_maxprocs(0), n);
    gort_wg_add(&wg, n);
    for (int i = 0; i < n; i++)
        gort_go(hello, (void *)(intptr_t)i);
    gort_wg_wait(&wg);
    printf("all %d goroutines done\n", n);
}

int main(void)
{
    int rc = gort_run(main_fn, NULL);
    if (rc != 0)
        fprintf(stderr, "hello: gort_run failed: %d\n", rc);
    return rc != 0;
}
