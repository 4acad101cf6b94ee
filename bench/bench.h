/*
 * bench.h - what every gort benchmark shares: argument parsing, the
 * timing clock, a latch that records when the last goroutine finished,
 * and the one line each benchmark prints.
 *
 * Output contract (read by bench/run.sh): one line on stdout per
 * measured quantity, the first being the benchmark's headline,
 *
 *     NAME VALUE UNIT
 *
 * where VALUE is a cost, for which lower is better (ns per operation, ms
 * in total, bytes per goroutine, us of latency), or a rate, for which
 * higher is better, whose UNIT then ends in "/s" (requests per second).
 * The Go twin of each benchmark (bench/go/NAME.go) prints the same lines
 * for the same arguments, so the runner can divide one by the other.
 *
 * Timing is gort_now (CLOCK_MONOTONIC) around the measured loop only:
 * process start, runtime boot and teardown are outside it.  A benchmark
 * whose work ends in other goroutines uses a latch: a WaitGroup whose
 * last worker to finish also stamps the time, so the measurement ends
 * when the work does, not when main gets round to noticing.  main parks
 * on the WaitGroup meanwhile: it neither competes with the workers nor
 * leaves a timer pending (with a timer pending the scheduler reads the
 * clock at every switch).  The Go twins do the same with sync.WaitGroup.
 */
#ifndef GORT_BENCH_H
#define GORT_BENCH_H

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "gort.h"

/* argv[i] as a positive count, or def when absent; anything else is a
   usage error (exit status 2). */
static inline long bench_arg(int argc, char **argv, int i, long def)
{
    if (i >= argc)
        return def;
    char *end;
    errno = 0;
    long v = strtol(argv[i], &end, 10);
    if (errno || end == argv[i] || *end || v <= 0) {
        fprintf(stderr, "%s: argument %d: expected a positive count, got '%s'\n",
                argv[0], i, argv[i]);
        exit(2);
    }
    return v;
}

/* Prints the benchmark's one result line. */
static inline void bench_report(const char *name, double value, const char *unit)
{
    printf("%s %.2f %s\n", name, value, unit);
    fflush(stdout);
}

/* Runs main_fn as gort's main goroutine; a boot failure is fatal. */
static inline void bench_run(gort_fn main_fn, void *arg)
{
    int rc = gort_run(main_fn, arg);
    if (rc != 0) {
        fprintf(stderr, "gort_run failed: %d\n", rc);
        exit(1);
    }
}

typedef struct {
    gort_waitgroup wg;
    _Atomic long left;
    _Atomic int64_t end; /* gort_now when left reached zero */
} bench_latch;

static inline void latch_init(bench_latch *l, long n)
{
    atomic_store(&l->left, n);
    atomic_store(&l->end, 0);
    gort_wg_add(&l->wg, n);
}

static inline void latch_done(bench_latch *l)
{
    if (atomic_fetch_sub(&l->left, 1) == 1)
        atomic_store(&l->end, gort_now());
    gort_wg_done(&l->wg);
}

/* Parks until the latch opens; returns the time it opened. */
static inline int64_t latch_wait(bench_latch *l)
{
    gort_wg_wait(&l->wg);
    return atomic_load(&l->end);
}

#endif /* GORT_BENCH_H */
