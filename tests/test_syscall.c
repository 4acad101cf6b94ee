/*
 * test_syscall.c - blocking C calls hand their P to another M
 * (gort_syscall, gort_enter_blocking / gort_exit_blocking).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "forkrun.h"
#include "gort.h"

static long sleep_us(void *arg)
{
    usleep((useconds_t)(uintptr_t)arg);
    return 7;
}

/* ---- a blocked goroutine does not stall its P ------------------------- */

static _Atomic int blocker_state; /* 1: in the call, 2: back */
static long blocker_result;

static void blocker(void *arg)
{
    atomic_store(&blocker_state, 1);
    blocker_result = gort_syscall(sleep_us, arg);
    atomic_store(&blocker_state, 2);
}

static int64_t ticks_elapsed;
static int state_after_ticks;

static void ticker_main(void *arg)
{
    (void)arg;
    gort_go(blocker, (void *)(uintptr_t)600000); /* 600 ms in usleep */
    while (atomic_load(&blocker_state) == 0)
        gort_yield();
    int64_t t0 = gort_now();
    for (int i = 0; i < 20; i++)
        gort_sleep(1000000);
    ticks_elapsed = gort_now() - t0;
    state_after_ticks = atomic_load(&blocker_state);
    while (atomic_load(&blocker_state) != 2)
        gort_sleep(1000000);
}

Test(syscall, blocking_call_does_not_stall_its_p, .timeout = 20)
{
    gort_maxprocs(1);
    cr_assert_eq(gort_run(ticker_main, NULL), 0);
    cr_assert_eq(state_after_ticks, 1, "the ticks ran while the blocking call was on");
    cr_assert_lt(ticks_elapsed, 400000000, "20 ticks of 1 ms took %lld ns",
                 (long long)ticks_elapsed);
    cr_assert_eq(blocker_result, 7);
}

/* ---- many blocking calls at once on one P ------------------------------ */

#define NBLOCK 8
static _Atomic int nback;

static void parallel_blocker(void *arg)
{
    (void)arg;
    long r = gort_syscall(sleep_us, (void *)(uintptr_t)200000);
    cr_assert_eq(r, 7);
    /* Back with a P: goroutines keep working after the call. */
    for (int i = 0; i < 100; i++)
        gort_yield();
    atomic_fetch_add(&nback, 1);
}

static int64_t parallel_elapsed;

static void parallel_main(void *arg)
{
    (void)arg;
    int64_t t0 = gort_now();
    for (int i = 0; i < NBLOCK; i++)
        gort_go(parallel_blocker, NULL);
    while (atomic_load(&nback) < NBLOCK)
        gort_sleep(1000000);
    parallel_elapsed = gort_now() - t0;
}

Test(syscall, blocking_calls_overlap_on_one_p, .timeout = 20)
{
    gort_maxprocs(1);
    cr_assert_eq(gort_run(parallel_main, NULL), 0);
    cr_assert_eq(atomic_load(&nback), NBLOCK);
    /* Serialised they would take 8 x 200 ms. */
    cr_assert_lt(parallel_elapsed, 1000000000, "%d calls of 200 ms took %lld ns", NBLOCK,
                 (long long)parallel_elapsed);
}

/* ---- errno and the enter/exit pair ------------------------------------- */

static long fail_eio(void *arg)
{
    usleep((useconds_t)(uintptr_t)arg); /* long enough for sysmon to hand the P off */
    errno = EIO;
    return -1;
}

static void errno_main(void *arg)
{
    (void)arg;
    /* GORT_ERRNO: the G may come back on another thread (gort/gls.h). */
    for (int i = 0; i < 4; i++) {
        GORT_ERRNO = 0;
        long r = gort_syscall(fail_eio, (void *)(uintptr_t)(i * 20000));
        cr_assert_eq(r, -1);
        cr_assert_eq(GORT_ERRNO, EIO, "errno after the call: %d", GORT_ERRNO);
    }
    gort_enter_blocking();
    usleep(20000);
    GORT_ERRNO = ENOENT;
    gort_exit_blocking();
    cr_assert_eq(GORT_ERRNO, ENOENT);
}

Test(syscall, errno_of_the_call_is_kept, .timeout = 20)
{
    gort_maxprocs(1);
    cr_assert_eq(gort_run(errno_main, NULL), 0);
}

Test(syscall, outside_a_goroutine_it_just_calls)
{
    cr_assert_eq(gort_syscall(sleep_us, (void *)(uintptr_t)10), 7);
    gort_enter_blocking();
    gort_exit_blocking();
}

/* ---- deadlock detection and misuse ------------------------------------- */

/* main in a long blocking call is the only goroutine: its P is handed off
   and every P is idle, but that is no deadlock. */
static void lone_blocker_main(void *arg)
{
    (void)arg;
    gort_syscall(sleep_us, (void *)(uintptr_t)100000);
}

static void run_lone_blocker(void)
{
    gort_maxprocs(2);
    _exit(gort_run(lone_blocker_main, NULL) == 0 ? 0 : 1);
}

Test(syscall, a_blocking_call_is_not_a_deadlock, .timeout = 20)
{
    char buf[4096];
    int st = forkrun(run_lone_blocker, buf, sizeof buf);
    cr_assert_eq(st, 0, "exit %d: %s", st, buf);
    cr_assert_null(strstr(buf, "deadlock"), "%s", buf);
}

/* Runs fn in a child and expects a fatal error starting with msg. */
static void expect_fatal(void (*fn)(void), const char *msg)
{
    char buf[4096];
    int st = forkrun(fn, buf, sizeof buf);
    cr_assert_eq(st, 2, "exit %d: %s", st, buf);
    cr_assert_not_null(strstr(buf, msg), "%s", buf);
}

static void exit_unmatched_main(void *arg)
{
    (void)arg;
    gort_exit_blocking();
}

static void run_exit_unmatched(void)
{
    gort_run(exit_unmatched_main, NULL);
}

Test(syscall, exit_without_enter_is_fatal, .timeout = 20)
{
    expect_fatal(run_exit_unmatched, "fatal error: gort_exit_blocking: no blocking call to leave");
}

static void enter_twice_main(void *arg)
{
    (void)arg;
    gort_enter_blocking();
    gort_enter_blocking();
}

static void run_enter_twice(void)
{
    gort_run(enter_twice_main, NULL);
}

Test(syscall, nested_enter_is_fatal, .timeout = 20)
{
    expect_fatal(run_enter_twice, "fatal error: gort_enter_blocking: already inside");
}

static long sleep_inside(void *arg)
{
    (void)arg;
    gort_sleep(1000); /* needs a P: not allowed here */
    return 0;
}

static void blocking_inside_main(void *arg)
{
    (void)arg;
    gort_syscall(sleep_inside, NULL);
}

static void run_blocking_inside(void)
{
    gort_run(blocking_inside_main, NULL);
}

Test(syscall, a_blocking_gort_call_inside_is_fatal, .timeout = 20)
{
    expect_fatal(run_blocking_inside, "fatal error: gort_sleep called inside a blocking call");
}
