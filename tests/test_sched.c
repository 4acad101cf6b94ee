/*
 * test_sched.c - the scheduler core: lifecycle, spawning, yielding,
 * stealing, GOMAXPROCS, sleeping, stacks, the semaphore, fatal errors.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "forkrun.h"
#include "gort.h"
#include "runtime.h"

/* Waits (yielding) until *c reaches n, failing after `secs` seconds. */
static void waitcount(_Atomic long *c, long n, int secs)
{
    int64_t deadline = gort_now() + (int64_t)secs * 1000000000;
    while (atomic_load(c) < n) {
        cr_assert(gort_now() < deadline, "timed out: %ld of %ld", atomic_load(c), n);
        gort_yield();
    }
}

/* ---- lifecycle ---------------------------------------------------------- */

static uint64_t seen_id;
static long seen_count;

static void record_main(void *arg)
{
    *(int *)arg += 1;
    seen_id = gort_id();
    seen_count = gort_num_goroutines();
}

Test(lifecycle, run_returns_zero_and_main_is_goroutine_1)
{
    int ran = 0;
    cr_assert_eq(gort_id(), 0);
    cr_assert_eq(gort_run(record_main, &ran), 0);
    cr_assert_eq(ran, 1);
    cr_assert_eq(seen_id, 1);
    cr_assert_eq(seen_count, 1);
    cr_assert_eq(gort_num_goroutines(), 0);
}

static _Atomic long twice_count;

static void count_one(void *arg)
{
    (void)arg;
    atomic_fetch_add(&twice_count, 1);
}

static void spawn_some(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++)
        gort_go(count_one, NULL);
    waitcount(&twice_count, n, 30);
}

Test(lifecycle, run_twice_ids_never_reused)
{
    cr_assert_eq(gort_run(spawn_some, (void *)1000L), 0);
    uint64_t first = 0;
    atomic_store(&twice_count, 0);
    cr_assert_eq(gort_run(record_main, &(int){0}), 0);
    first = seen_id;
    cr_assert_gt(first, 1000, "ids continue across runs: got %lu", (unsigned long)first);
    cr_assert_eq(gort_run(spawn_some, (void *)1000L), 0);
}

static void park_forever(void *arg)
{
    (void)arg;
    semacquire(&(uint32_t){0}); /* never released */
}

static void abandon_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++)
        gort_go(park_forever, NULL);
    gort_sleep(1000000);
    cr_assert_eq(gort_num_goroutines(), 101);
}

Test(lifecycle, main_return_abandons_parked_goroutines)
{
    for (int i = 0; i < 3; i++)
        cr_assert_eq(gort_run(abandon_main, NULL), 0);
}

/* Main returns while goroutines keep readying others and Ps keep going
   idle: Ms are woken and started up to the exit.  Every M must be joined
   before the run's memory is freed (the ASan build sees a late one). */
static void nothing(void *arg)
{
    (void)arg;
}

static void churn(void *arg)
{
    (void)arg;
    for (;;) {
        gort_go(nothing, NULL);
        gort_sleep(1000 + fastrandn(20000));
    }
}

static void churn_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 8; i++)
        gort_go(churn, NULL);
    gort_sleep(fastrandn(3000000));
}

Test(lifecycle, exit_while_ms_start_and_wake, .timeout = 120)
{
    gort_maxprocs(4);
    for (int i = 0; i < SCALE(60); i++)
        cr_assert_eq(gort_run(churn_main, NULL), 0);
}

Test(lifecycle, null_main_is_einval)
{
    cr_assert_eq(gort_run(NULL, NULL), -EINVAL);
}

/* ---- spawning ------------------------------------------------------------ */

static _Atomic long spawned;

static void spawn_leaf(void *arg)
{
    (void)arg;
    atomic_fetch_add(&spawned, 1);
}

static void spawn_million(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        gort_go(spawn_leaf, NULL);
        if (i % 1024 == 0)
            gort_yield(); /* let the finished ones be reused */
    }
    waitcount(&spawned, n, 120);
}

Test(spawn, one_million_goroutines_finish, .timeout = 300)
{
    long n = SCALE(1000000);
    cr_assert_eq(gort_run(spawn_million, (void *)n), 0);
    cr_assert_eq(atomic_load(&spawned), n);
}

static _Atomic long alive;
static uint32_t release_sema;

static void park_until_released(void *arg)
{
    (void)arg;
    atomic_fetch_add(&alive, 1);
    semacquire(&release_sema);
    atomic_fetch_sub(&alive, 1);
}

static void many_alive(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++)
        gort_go(park_until_released, NULL);
    waitcount(&alive, n, 120);
    cr_assert_eq(gort_num_goroutines(), n + 1);
    for (long i = 0; i < n; i++)
        semrelease(&release_sema, false);
    int64_t deadline = gort_now() + 60000000000LL;
    while (atomic_load(&alive) > 0) {
        cr_assert(gort_now() < deadline);
        gort_yield();
    }
}

/* Beyond the guard-page budget (a quarter of vm.max_map_count), so that
   canary stacks are exercised too. */
Test(spawn, goroutines_alive_at_once_beyond_guard_budget, .timeout = 300)
{
    long n = SCALE(40000);
    cr_assert_eq(gort_run(many_alive, (void *)n), 0);
}

#ifdef GORT_TEST_SANITIZED
#define NESTED_DEPTH 4
#else
#define NESTED_DEPTH 7
#endif

struct tree {
    int depth;
    _Atomic long *count;
};

static void tree_node(void *arg)
{
    struct tree *t = arg;
    atomic_fetch_add(t->count, 1);
    if (t->depth == 0) {
        free(t);
        return;
    }
    for (int i = 0; i < 4; i++) {
        struct tree *c = malloc(sizeof *c);
        c->depth = t->depth - 1;
        c->count = t->count;
        gort_go(tree_node, c);
    }
    free(t);
}

static void nested_main(void *arg)
{
    (void)arg;
    static _Atomic long count;
    struct tree *t = malloc(sizeof *t);
    t->depth = NESTED_DEPTH;
    t->count = &count;
    gort_go(tree_node, t);
    long want = ((1L << (2 * NESTED_DEPTH + 2)) - 1) / 3; /* 1 + 4 + ... + 4^depth */
    waitcount(&count, want, 60);
    cr_assert_eq(atomic_load(&count), want);
}

Test(spawn, nested_spawns)
{
    cr_assert_eq(gort_run(nested_main, NULL), 0);
}

static void *foreign_spawner(void *arg)
{
    for (int i = 0; i < 1000; i++)
        gort_go(spawn_leaf, arg);
    return NULL;
}

static void foreign_main(void *arg)
{
    (void)arg;
    pthread_t t;
    pthread_create(&t, NULL, foreign_spawner, NULL);
    waitcount(&spawned, 1000, 30);
    pthread_join(t, NULL);
}

Test(spawn, from_a_foreign_thread)
{
    atomic_store(&spawned, 0);
    cr_assert_eq(gort_run(foreign_main, NULL), 0);
    cr_assert_eq(atomic_load(&spawned), 1000);
}

/* ---- yielding and fairness ----------------------------------------------- */

enum { NFAIR = 8 };
static _Atomic long fair_counts[NFAIR];
static _Atomic bool fair_stop;

static void fair_worker(void *arg)
{
    long i = (long)arg;
    while (!atomic_load(&fair_stop)) {
        atomic_fetch_add(&fair_counts[i], 1);
        gort_yield();
    }
}

static void fair_main(void *arg)
{
    (void)arg;
    for (long i = 0; i < NFAIR; i++)
        gort_go(fair_worker, (void *)i);
    /* main itself yields, so it takes part in the round robin. */
    int64_t until = gort_now() + 200000000;
    while (gort_now() < until)
        gort_yield();
    atomic_store(&fair_stop, true);
}

Test(yield, round_robin_is_fair_on_one_p)
{
    gort_maxprocs(1);
    cr_assert_eq(gort_run(fair_main, NULL), 0);
    long min = LONG_MAX, max = 0;
    for (int i = 0; i < NFAIR; i++) {
        long c = atomic_load(&fair_counts[i]);
        min = c < min ? c : min;
        max = c > max ? c : max;
    }
    cr_assert_gt(min, 100, "every goroutine ran: min %ld", min);
    /* One P, FIFO ring: each round every goroutine runs once. */
    cr_assert_leq(max - min, 2, "round robin on one P: min %ld max %ld", min, max);
}

Test(yield, nobody_starves_on_two_ps)
{
    gort_maxprocs(2);
    cr_assert_eq(gort_run(fair_main, NULL), 0);
    long min = LONG_MAX, max = 0;
    for (int i = 0; i < NFAIR; i++) {
        long c = atomic_load(&fair_counts[i]);
        min = c < min ? c : min;
        max = c > max ? c : max;
    }
    cr_assert_gt(min, 100, "every goroutine ran: min %ld max %ld", min, max);
#ifndef GORT_TEST_SANITIZED
    /* Two Ps may hold unequal shares of the goroutines, but none starves. */
    cr_assert_lt(max, 20 * min, "no goroutine starves: min %ld max %ld", min, max);
#endif
}

/* ---- stealing and migration ------------------------------------------------ */

static _Atomic long busy_done;
static _Atomic unsigned long busy_threads[16]; /* pthread_t values */
static _Atomic bool busy_spread;

/* CPU-bound, never yields: only another P can run the rest meanwhile.
   Each keeps its CPU until some worker has been seen on a second thread
   (or 5 s pass), so a slow thread start cannot make the test flaky. */
static void busy_worker(void *arg)
{
    long i = (long)arg;
    atomic_store(&busy_threads[i], (unsigned long)pthread_self());
    int64_t until = gort_now() + 5000000000LL;
    while (!atomic_load(&busy_spread) && gort_now() < until)
        for (long k = 0; k < 16; k++)
            if (atomic_load(&busy_threads[k]) &&
                atomic_load(&busy_threads[k]) != atomic_load(&busy_threads[i]))
                atomic_store(&busy_spread, true);
    atomic_fetch_add(&busy_done, 1);
}

static void steal_main(void *arg)
{
    (void)arg;
    for (long i = 0; i < 16; i++)
        gort_go(busy_worker, (void *)i);
    waitcount(&busy_done, 16, 60);
}

Test(steal, work_spreads_to_an_idle_p)
{
    gort_maxprocs(2);
    cr_assert_eq(gort_run(steal_main, NULL), 0);
    cr_assert(atomic_load(&busy_spread), "all CPU-bound goroutines ran on one thread");
}

static _Atomic long migrations, stale;

/* pthread_self is declared const, so a compiler may reuse its value across
   a yield; the thread must be asked again after every possible switch. */
static pthread_t (*volatile thread_self)(void) = pthread_self;

/* Yields and sleeps until goroutines have been seen to move to another M
   (a timer readies its G on whichever P runs it, or a P steals), checking after every switch that the M
   the goroutine runs on is the thread it runs on. */
static void migrate_worker(void *arg)
{
    (void)arg;
    int64_t deadline = gort_now() + 20000000000LL;
    for (long i = 0; atomic_load(&migrations) < 20 && gort_now() < deadline; i++) {
        pthread_t before = thread_self();
        if (i % 2)
            gort_yield();
        else
            gort_sleep(50000); /* woken by whichever M runs the timer */
        if (!pthread_equal(getm()->thread, thread_self()))
            atomic_fetch_add(&stale, 1);
        if (!pthread_equal(before, thread_self()))
            atomic_fetch_add(&migrations, 1);
        if (i % 64 == 0) {
            int64_t until = gort_now() + 100000; /* keep the other P hungry */
            while (gort_now() < until)
                ;
        }
    }
    atomic_fetch_add(&busy_done, 1);
}

static void migrate_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 8; i++)
        gort_go(migrate_worker, NULL);
    waitcount(&busy_done, 8, 60);
}

Test(steal, resumed_goroutine_sees_its_new_m)
{
    gort_maxprocs(2);
    cr_assert_eq(gort_run(migrate_main, NULL), 0);
    cr_assert_eq(atomic_load(&stale), 0);
    cr_assert_gt(atomic_load(&migrations), 0, "no goroutine ever moved to another M");
}

/* ---- GOMAXPROCS ------------------------------------------------------------ */

static _Atomic long churn_stop, churn_ops;

static void churn_worker(void *arg)
{
    (void)arg;
    while (!atomic_load(&churn_stop)) {
        atomic_fetch_add(&churn_ops, 1);
        gort_yield();
    }
}

static pthread_t window_threads[4096];
static _Atomic int window_n;
static _Atomic bool window_on;

static void window_worker(void *arg)
{
    (void)arg;
    while (!atomic_load(&churn_stop)) {
        if (atomic_load(&window_on)) {
            int i = atomic_fetch_add(&window_n, 1);
            if (i < 4096)
                window_threads[i] = pthread_self();
        }
        gort_yield();
    }
}

static void maxprocs_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 16; i++)
        gort_go(churn_worker, NULL);
    for (int i = 0; i < 4; i++)
        gort_go(window_worker, NULL);
    int seq[] = {1, 2, 4, 1, 3, 2, 1, 8, 2};
    int prev = gort_maxprocs(0);
    for (size_t k = 0; k < sizeof seq / sizeof *seq; k++) {
        cr_assert_eq(gort_maxprocs(seq[k]), prev);
        prev = seq[k];
        cr_assert_eq(gort_maxprocs(0), seq[k]);
        long before = atomic_load(&churn_ops);
        gort_sleep(5000000);
        cr_assert_gt(atomic_load(&churn_ops), before, "work continues at maxprocs %d", seq[k]);
        if (seq[k] == 1) {
            /* The change holds on return: one P, so one thread at a time
               runs goroutines; over a window, the workers see one thread. */
            atomic_store(&window_n, 0);
            atomic_store(&window_on, true);
            gort_sleep(5000000);
            atomic_store(&window_on, false);
            int n = atomic_load(&window_n);
            n = n > 4096 ? 4096 : n;
            for (int i = 1; i < n; i++)
                cr_assert(pthread_equal(window_threads[i], pthread_self()) ||
                              pthread_equal(window_threads[i], window_threads[0]),
                          "two threads ran goroutines at GOMAXPROCS 1");
        }
    }
    atomic_store(&churn_stop, true);
}

Test(maxprocs, change_under_load)
{
    gort_maxprocs(2);
    cr_assert_eq(gort_run(maxprocs_main, NULL), 0);
}

Test(maxprocs, reads_and_sets_before_run)
{
    int old = gort_maxprocs(3);
    cr_assert_gt(old, 0);
    cr_assert_eq(gort_maxprocs(0), 3);
}

/* ---- sleeping ---------------------------------------------------------------- */

static void sleep_main(void *arg)
{
    (void)arg;
    int64_t t0 = gort_now();
    gort_sleep(0);
    gort_sleep(-5);
    cr_assert_lt(gort_now() - t0, 1000000, "non-positive sleeps return at once");
    t0 = gort_now();
    gort_sleep(20000000);
    int64_t d = gort_now() - t0;
    cr_assert_geq(d, 20000000);
    cr_assert_lt(d, 500000000, "slept %ld ns for 20 ms", (long)d);
}

Test(sleep, duration)
{
    cr_assert_eq(gort_run(sleep_main, NULL), 0);
}

/* Deadlines 15 ms apart: a loaded 2-core machine may wake a thread a few
   milliseconds late, but not so late that the order changes. */
enum { NSLEEPERS = 8, SLEEP_GAP = 15000000 };
static _Atomic int wake_order[NSLEEPERS];
static _Atomic int wake_n;
static _Atomic long early;

static void sleeper(void *arg)
{
    long i = (long)arg;
    int64_t want = (NSLEEPERS - i) * SLEEP_GAP;
    int64_t t0 = gort_now();
    gort_sleep(want);
    if (gort_now() - t0 < want)
        atomic_fetch_add(&early, 1);
    wake_order[atomic_fetch_add(&wake_n, 1)] = (int)i;
}

static void sleepers_main(void *arg)
{
    (void)arg;
    for (long i = 0; i < NSLEEPERS; i++)
        gort_go(sleeper, (void *)i);
    while (atomic_load(&wake_n) < NSLEEPERS)
        gort_sleep(1000000);
}

Test(sleep, many_sleepers_wake_in_deadline_order)
{
    cr_assert_eq(gort_run(sleepers_main, NULL), 0);
    cr_assert_eq(atomic_load(&early), 0, "a sleep returned early");
#ifndef GORT_TEST_SANITIZED
    /* Under a sanitizer on a loaded machine a thread can lose the CPU for
       longer than the gap; there only "never early" is checked. */
    for (int k = 0; k < NSLEEPERS; k++)
        cr_assert_eq(wake_order[k], NSLEEPERS - 1 - k);
#endif
}

/* ---- the semaphore ---------------------------------------------------------- */

static uint32_t ping_sema, pong_sema;
static _Atomic long pings;

static void ponger(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        semacquire(&ping_sema);
        atomic_fetch_add(&pings, 1);
        semrelease(&pong_sema, i % 2 == 0);
    }
}

static void sema_main(void *arg)
{
    long n = (long)arg;
    gort_go(ponger, arg);
    for (long i = 0; i < n; i++) {
        semrelease(&ping_sema, false);
        semacquire(&pong_sema);
        cr_assert_eq(atomic_load(&pings), i + 1);
    }
}

Test(sema, ping_pong_on_one_and_two_ps)
{
    gort_maxprocs(1);
    cr_assert_eq(gort_run(sema_main, (void *)SCALE(100000L)), 0);
    atomic_store(&pings, 0);
    gort_maxprocs(2);
    cr_assert_eq(gort_run(sema_main, (void *)SCALE(100000L)), 0);
}

/* ---- fatal errors ------------------------------------------------------------ */

static volatile int recurse_forever = 1;

static int recurse(int depth)
{
    volatile char pad[512];
    pad[0] = (char)depth;
    if (!recurse_forever)
        return 0;
    return recurse(depth + 1) + pad[0];
}

static void overflow_goroutine(void *arg)
{
    (void)arg;
    recurse(0);
}

static void overflow_main(void *arg)
{
    (void)arg;
    gort_go(overflow_goroutine, NULL);
    gort_sleep(10000000000LL);
}

static void overflow_child(void)
{
    gort_run(overflow_main, NULL);
}

Test(fatal, stack_overflow_guarded)
{
#ifdef GORT_TEST_SANITIZED
    cr_skip_test("the sanitizers report stack overflows themselves");
#endif
    char buf[4096];
    int st = forkrun(overflow_child, buf, sizeof buf);
    cr_assert_eq(st, 2, "exit status %d, stderr:\n%s", st, buf);
    cr_assert(strncmp(buf, "fatal error: stack overflow\n", 28) == 0, "stderr:\n%s", buf);
    cr_assert(strstr(buf, "goroutine 2 [running]:") != NULL, "stderr:\n%s", buf);
}

static void deadlock_main(void *arg)
{
    (void)arg;
    gort_go(park_forever, NULL);
    semacquire(&(uint32_t){0});
}

static void deadlock_child(void)
{
    gort_run(deadlock_main, NULL);
}

Test(fatal, deadlock)
{
    char buf[4096];
    int st = forkrun(deadlock_child, buf, sizeof buf);
    cr_assert_eq(st, 2, "exit status %d, stderr:\n%s", st, buf);
    cr_assert(strncmp(buf, "fatal error: all goroutines are asleep - deadlock!\n", 51) == 0,
              "stderr:\n%s", buf);
    cr_assert(strstr(buf, "goroutine 1 [semacquire]:") != NULL, "stderr:\n%s", buf);
    cr_assert(strstr(buf, "goroutine 2 [semacquire]:") != NULL, "stderr:\n%s", buf);
}

static void sleeping_not_deadlocked_main(void *arg)
{
    (void)arg;
    gort_go(park_forever, NULL);
    gort_sleep(30000000); /* a pending timer: not a deadlock */
}

Test(fatal, pending_timer_is_not_a_deadlock)
{
    cr_assert_eq(gort_run(sleeping_not_deadlocked_main, NULL), 0);
}

static void sleep_outside_child(void)
{
    gort_sleep(1000);
}

Test(fatal, blocking_call_outside_a_goroutine)
{
    char buf[4096];
    int st = forkrun(sleep_outside_child, buf, sizeof buf);
    cr_assert_eq(st, 2, "exit status %d, stderr:\n%s", st, buf);
    cr_assert(strncmp(buf, "fatal error: gort_sleep called from a thread", 44) == 0, "stderr:\n%s",
              buf);
}
