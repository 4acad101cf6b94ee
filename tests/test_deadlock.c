/*
 * test_deadlock.c - "all goroutines are asleep - deadlock!" through every
 * way a goroutine can block for good in channels, select and sync (the
 * detection itself is the scheduler's), the trace naming every goroutine,
 * and what must not count as a deadlock: a pending timer, a sleeping
 * goroutine, goroutines left blocked when main returns.
 */
#include <stdint.h>

#include "gort_test.h"

#define DEADLOCK "all goroutines are asleep - deadlock!"
#define MS 1000000LL

static void recv_unbuffered(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(int), 0);
    int v;
    gort_chan_recv(c, &v);
}

static void send_full(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(int), 1);
    int v = 1;
    gort_chan_send(c, &v);
    gort_chan_send(c, &v);
}

static void nil_send(void *arg)
{
    (void)arg;
    gort_chan_send(NULL, NULL);
}

static void nil_recv(void *arg)
{
    (void)arg;
    gort_chan_recv(NULL, NULL);
}

static void empty_select(void *arg)
{
    (void)arg;
    gort_select(NULL, 0, true);
}

static void select_stuck(void *arg)
{
    (void)arg;
    gort_chan *a = gort_chan_new(sizeof(int), 0), *b = gort_chan_new(sizeof(int), 1);
    int v = 0, w = 0;
    gort_chan_send(b, &v);
    gort_case cs[3] = {
        { .chan = a, .dir = GORT_RECV, .elem = &v },
        { .chan = b, .dir = GORT_SEND, .elem = &w },
        { .chan = NULL, .dir = GORT_RECV, .elem = &w },
    };
    gort_select(cs, 3, true);
}

static void mutex_twice(void *arg)
{
    (void)arg;
    gort_mutex mu = GORT_MUTEX_INIT;
    gort_mutex_lock(&mu);
    gort_mutex_lock(&mu);
}

static void rwmutex_upgrade(void *arg)
{
    (void)arg;
    gort_rwmutex rw = GORT_RWMUTEX_INIT;
    gort_rwmutex_rlock(&rw);
    gort_rwmutex_lock(&rw);
}

static void wg_never_done(void *arg)
{
    (void)arg;
    gort_waitgroup wg = GORT_WAITGROUP_INIT;
    gort_wg_add(&wg, 1);
    gort_wg_wait(&wg);
}

static void cond_nobody(void *arg)
{
    (void)arg;
    gort_mutex mu = GORT_MUTEX_INIT;
    gort_cond cv = GORT_COND_INIT;
    gort_mutex_lock(&mu);
    gort_cond_wait(&cv, &mu);
}

static void stopped_timer(void *arg)
{
    (void)arg;
    gort_timer *t = gort_timer_new(10 * MS);
    gort_timer_stop(t);
    int64_t when;
    gort_chan_recv(gort_timer_chan(t), &when); /* nothing will ever fire */
}

Test(deadlock, recv_on_unbuffered) { gt_expect_fatal_g(recv_unbuffered, NULL, DEADLOCK); }
Test(deadlock, send_on_full_buffer) { gt_expect_fatal_g(send_full, NULL, DEADLOCK); }
Test(deadlock, send_on_nil_channel) { gt_expect_fatal_g(nil_send, NULL, DEADLOCK); }
Test(deadlock, recv_on_nil_channel) { gt_expect_fatal_g(nil_recv, NULL, DEADLOCK); }
Test(deadlock, empty_select) { gt_expect_fatal_g(empty_select, NULL, DEADLOCK); }
Test(deadlock, select_nothing_ready) { gt_expect_fatal_g(select_stuck, NULL, DEADLOCK); }
Test(deadlock, mutex_locked_twice) { gt_expect_fatal_g(mutex_twice, NULL, DEADLOCK); }
Test(deadlock, rwmutex_rlock_then_lock) { gt_expect_fatal_g(rwmutex_upgrade, NULL, DEADLOCK); }
Test(deadlock, waitgroup_never_done) { gt_expect_fatal_g(wg_never_done, NULL, DEADLOCK); }
Test(deadlock, cond_without_signal) { gt_expect_fatal_g(cond_nobody, NULL, DEADLOCK); }
Test(deadlock, stopped_timer_does_not_count) { gt_expect_fatal_g(stopped_timer, NULL, DEADLOCK); }

/* Goroutines blocked on each other, main waiting for them: every
   goroutine is in the trace. */
typedef struct {
    gort_chan *a, *b;
    gort_waitgroup wg;
} cycle;

static void cycle_ab(void *arg)
{
    cycle *c = arg;
    int v;
    gort_chan_recv(c->a, &v);
    gort_chan_send(c->b, &v);
    gort_wg_done(&c->wg);
}

static void cycle_ba(void *arg)
{
    cycle *c = arg;
    int v;
    gort_chan_recv(c->b, &v);
    gort_chan_send(c->a, &v);
    gort_wg_done(&c->wg);
}

static void cycle_main(void *arg)
{
    gort_maxprocs((int)(uintptr_t)arg);
    static cycle c;
    c.a = gort_chan_new(sizeof(int), 0);
    c.b = gort_chan_new(sizeof(int), 0);
    gort_wg_add(&c.wg, 2);
    gort_go(cycle_ab, &c);
    gort_go(cycle_ba, &c);
    gort_wg_wait(&c.wg);
}

static void cycle_test(int procs)
{
    char *out = gt_expect_fatal(cycle_main, (void *)(uintptr_t)procs, DEADLOCK);
    cr_assert(strstr(out, "goroutine 1 [") != NULL, "main missing:\n%s", out);
    int n = 0;
    for (char *p = out; (p = strstr(p, "goroutine ")) != NULL; p++)
        n++;
    cr_assert_geq(n, 3, "every goroutine should be listed:\n%s", out);
    free(out);
}

Test(deadlock, cycle_lists_every_goroutine_1p) { cycle_test(1); }
Test(deadlock, cycle_lists_every_goroutine_2p) { cycle_test(2); }

/* ---- not deadlocks ---------------------------------------------------- */

/* Main waits on a channel only a timer will feed: a pending timer keeps
   the program alive. */
static void timer_pending_main(void *arg)
{
    (void)arg;
    gort_timer *t = gort_timer_new(50 * MS);
    int64_t when;
    GT_CHECK(gort_chan_recv(gort_timer_chan(t), &when));
    gort_timer_free(t);
}

Test(deadlock, pending_timer_is_not_deadlock) { gt_run(timer_pending_main, NULL); }

static void late_sender(void *arg)
{
    gort_sleep(50 * MS);
    int v = 9;
    gort_chan_send(arg, &v);
}

static void sleeper_main(void *arg)
{
    gort_maxprocs((int)(uintptr_t)arg);
    gort_chan *c = gort_chan_new(sizeof(int), 0);
    gort_go(late_sender, c);
    int v;
    GT_CHECK(gort_chan_recv(c, &v));
    GT_EQ(v, 9);
    gort_chan_free(c);
}

Test(deadlock, sleeping_goroutine_is_not_deadlock_1p) { gt_run(sleeper_main, (void *)1); }
Test(deadlock, sleeping_goroutine_is_not_deadlock_2p) { gt_run(sleeper_main, (void *)2); }

/* A ticker stopped by another goroutine after a while: main is blocked
   on a WaitGroup the whole time. */
typedef struct {
    gort_timer *t;
    gort_waitgroup wg;
} tickwait;

static void tick_reader(void *arg)
{
    tickwait *tw = arg;
    int64_t when;
    for (int i = 0; i < 5; i++)
        GT_CHECK(gort_chan_recv(gort_timer_chan(tw->t), &when));
    gort_wg_done(&tw->wg);
}

static void ticker_main(void *arg)
{
    (void)arg;
    tickwait tw = { .t = gort_ticker_new(5 * MS) };
    gort_wg_add(&tw.wg, 1);
    gort_go(tick_reader, &tw);
    gort_wg_wait(&tw.wg);
    gort_timer_free(tw.t);
}

Test(deadlock, ticker_keeps_program_alive) { gt_run(ticker_main, NULL); }

/* Goroutines blocked for good when main returns are abandoned: exit 0.
   (The channel stays reachable: it cannot be freed while waited on.) */
gort_chan *abandoned_chan; /* extern: a static written once would be optimised away */

static void abandoned_recv(void *arg)
{
    gort_chan_recv(arg, NULL);
}

static void abandoned_main(void *arg)
{
    (void)arg;
    abandoned_chan = gort_chan_new(sizeof(int), 0);
    gort_go(abandoned_recv, abandoned_chan);
    gort_go(mutex_twice, NULL);
    gort_go(empty_select, NULL);
    gort_sleep(5 * MS);
}

Test(deadlock, blocked_goroutines_at_main_return) { gt_run(abandoned_main, NULL); }
