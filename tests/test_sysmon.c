/*
 * test_sysmon.c - sysmon: a CPU-bound goroutine is asked to yield at its
 * next safe point (a sleeper and a ticker on its P are late by at most the
 * documented bound), and GORT_DEBUG=schedtrace lines.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forkrun.h"
#include "gort.h"

/* ---- preemption at safe points ------------------------------------------ */

static _Atomic bool hog_running, hog_done;
static bool hog_safepoints;
static int64_t hog_ns;

static void hog(void *arg)
{
    (void)arg;
    atomic_store(&hog_running, true);
    int64_t until = gort_now() + hog_ns;
    while (gort_now() < until)
        if (hog_safepoints)
            gort_safepoint();
    atomic_store(&hog_done, true);
}

static int64_t max_late;
static int wakeups;

/* Waits 1 ms at a time on the hog's P while the hog runs - with
   gort_sleep, or (arg non-NULL) on a 1 ms ticker - and records the worst
   lateness. */
static void sleeper_main(void *arg)
{
    gort_timer *ticker = arg ? gort_ticker_new(1000000) : NULL;
    gort_go(hog, NULL);
    /* The first wait lets the hog start: it is on the P from then on. */
    int64_t t0 = gort_now();
    do {
        if (ticker) {
            /* The gap between two ticks received, less the period. */
            gort_chan_recv(gort_timer_chan(ticker), NULL);
        } else {
            t0 = gort_now();
            gort_sleep(1000000);
        }
        int64_t now = gort_now();
        int64_t late = now - t0 - 1000000;
        t0 = now;
        if (late > max_late)
            max_late = late;
        wakeups++;
    } while (!atomic_load(&hog_done));
    cr_assert(atomic_load(&hog_running));
    if (ticker)
        gort_timer_free(ticker);
}

static void run_hog_with(bool safepoints, int64_t ns, bool ticker)
{
    atomic_store(&hog_running, false);
    atomic_store(&hog_done, false);
    hog_safepoints = safepoints;
    hog_ns = ns;
    max_late = 0;
    wakeups = 0;
    gort_maxprocs(1);
    cr_assert_eq(gort_run(sleeper_main, ticker ? (void *)1 : NULL), 0);
}

static void run_hog(bool safepoints, int64_t ns)
{
    run_hog_with(safepoints, ns, false);
}

/* The documented bound is 10 ms of running plus one sysmon tick (at most
   10 ms) plus the gap between safe points; the machine is shared, so the
   assertion leaves room for the OS scheduler. */
#ifdef GORT_TEST_SANITIZED
#define LATE_BOUND 150000000
#else
#define LATE_BOUND 100000000
#endif

Test(preempt, cpu_hog_with_safepoints_does_not_stall_a_sleeper, .timeout = 20)
{
    /* Without the preemption request the sleeper would wait 500 ms. */
    run_hog(true, 500000000);
    cr_assert_lt(max_late, LATE_BOUND, "sleeper was %lld ns late", (long long)max_late);
    cr_assert_geq(wakeups, 500 / 100, "sleeper woke %d times in 500 ms", wakeups);
}

Test(preempt, cpu_hog_with_safepoints_does_not_stall_a_ticker, .timeout = 20)
{
    run_hog_with(true, 500000000, true);
    cr_assert_lt(max_late, LATE_BOUND, "a tick was %lld ns late", (long long)max_late);
    cr_assert_geq(wakeups, 500 / 100, "the ticker fired %d times in 500 ms", wakeups);
}

/* What is not preemptible: a loop that never calls into gort keeps its P
   (here the only one) until it ends. */
Test(preempt, cpu_hog_without_safepoints_keeps_its_p, .timeout = 20)
{
    run_hog(false, 150000000);
    cr_assert_geq(max_late, 100000000, "sleeper was only %lld ns late", (long long)max_late);
}

/* ---- schedtrace ----------------------------------------------------------- */

static void sleep_main(void *arg)
{
    (void)arg;
    gort_sleep(80000000);
}

static void run_schedtrace(void)
{
    setenv("GORT_DEBUG", "gctrace=1,schedtrace=10", 1);
    gort_maxprocs(2);
    _exit(gort_run(sleep_main, NULL) == 0 ? 0 : 1);
}

Test(schedtrace, prints_go_style_lines, .timeout = 20)
{
    char buf[16384];
    int st = forkrun(run_schedtrace, buf, sizeof buf);
    cr_assert_eq(st, 0, "exit %d: %s", st, buf);
    int lines = 0;
    long lastms = -1;
    for (char *l = strstr(buf, "SCHED "); l; l = strstr(l + 1, "SCHED ")) {
        long ms;
        int procs, idle, threads, spinning, idlem, runq, q0, q1, n = 0;
        int got = sscanf(l,
                         "SCHED %ldms: gomaxprocs=%d idleprocs=%d threads=%d spinningthreads=%d "
                         "idlethreads=%d runqueue=%d [%d %d]%n",
                         &ms, &procs, &idle, &threads, &spinning, &idlem, &runq, &q0, &q1, &n);
        cr_assert_eq(got, 9, "bad line: %.120s", l);
        cr_assert_eq(l[n], '\n', "bad line end: %.120s", l);
        cr_assert_eq(procs, 2);
        cr_assert(idle >= 0 && idle <= 2, "idleprocs=%d", idle);
        cr_assert_geq(threads, 2, "an M and sysmon at least: %d", threads);
        cr_assert_gt(ms, lastms, "time goes forward: %ld after %ld", ms, lastms);
        lastms = ms;
        lines++;
    }
    /* 80 ms at one line per 10 ms. */
    cr_assert(lines >= 4 && lines <= 9, "%d lines:\n%s", lines, buf);
}

static void run_bad_schedtrace(void)
{
    setenv("GORT_DEBUG", "schedtrace=soon", 1);
    gort_run(sleep_main, NULL);
}

Test(schedtrace, a_bad_period_is_fatal, .timeout = 20)
{
    char buf[4096];
    int st = forkrun(run_bad_schedtrace, buf, sizeof buf);
    cr_assert_eq(st, 2, "exit %d: %s", st, buf);
    cr_assert_not_null(strstr(buf, "fatal error: GORT_DEBUG: schedtrace"), "%s", buf);
}
