/*
 * test_timer.c - gort_timer and gort_ticker: fire times, Stop and Reset
 * return values as Go's, a ticker dropping ticks for a slow reader, a
 * timer as a select timeout, timers made and stopped from a foreign
 * thread, and freeing timers while they fire.
 */
#include <errno.h>
#include <stdint.h>

#include "gort_test.h"

#define MS 1000000LL

static void fire_main(void *arg)
{
    (void)arg;
    int64_t t0 = gort_now();
    gort_timer *t = gort_timer_new(20 * MS);
    gort_chan *c = gort_timer_chan(t);
    GT_EQ(gort_chan_cap(c), 1);
    int64_t when;
    GT_CHECK(gort_chan_recv(c, &when));
    int64_t t1 = gort_now();
    GT_CHECK(when >= t0 + 20 * MS);
    GT_CHECK(when <= t1);
    GT_CHECK(t1 - t0 < 2000 * MS);
    GT_CHECK(!gort_timer_stop(t)); /* already fired */
    gort_timer_free(t);

    t = gort_timer_new(0); /* fires at once */
    GT_CHECK(gort_chan_recv(gort_timer_chan(t), &when));
    GT_CHECK(!gort_timer_stop(t));
    gort_timer_free(t);

    t = gort_timer_new(-5);
    GT_CHECK(gort_chan_recv(gort_timer_chan(t), &when));
    gort_timer_free(t);
}

Test(timer, fires_once_with_fire_time) { gt_run(fire_main, NULL); }

static void stop_main(void *arg)
{
    (void)arg;
    gort_timer *t = gort_timer_new(10 * MS);
    GT_CHECK(gort_timer_stop(t));   /* stopped a pending fire */
    GT_CHECK(!gort_timer_stop(t));  /* nothing pending now */
    gort_sleep(30 * MS);
    GT_EQ(gort_chan_len(gort_timer_chan(t)), 0);
    /* Reset of a stopped timer: false, and it fires again. */
    GT_CHECK(!gort_timer_reset(t, 5 * MS));
    int64_t when;
    GT_CHECK(gort_chan_recv(gort_timer_chan(t), &when));
    /* Reset of a pending timer: true; the later time wins. */
    int64_t t0 = gort_now();
    GT_CHECK(!gort_timer_reset(t, 1000 * MS));
    GT_CHECK(gort_timer_reset(t, 10 * MS));
    GT_CHECK(gort_chan_recv(gort_timer_chan(t), &when));
    GT_CHECK(when >= t0 + 10 * MS);
    GT_CHECK(gort_now() - t0 < 900 * MS);
    /* A fired value stays in the channel after Stop (Go before 1.23). */
    GT_CHECK(!gort_timer_reset(t, 1 * MS));
    gort_sleep(20 * MS);
    GT_CHECK(!gort_timer_stop(t));
    GT_EQ(gort_chan_len(gort_timer_chan(t)), 1);
    gort_timer_free(t);
}

Test(timer, stop_and_reset_results) { gt_run(stop_main, NULL); }

static void ticker_main(void *arg)
{
    (void)arg;
    const int64_t period = 5 * MS;
    int64_t t0 = gort_now(), prev = t0;
    gort_timer *t = gort_ticker_new(period);
    for (int i = 0; i < 5; i++) {
        int64_t when;
        GT_CHECK(gort_chan_recv(gort_timer_chan(t), &when));
        GT_CHECK(when >= prev);
        GT_CHECK(when >= t0 + (i + 1) * period);
        prev = when;
    }
    /* A slow reader: ticks are dropped, the channel holds one. */
    gort_sleep(20 * period);
    GT_EQ(gort_chan_len(gort_timer_chan(t)), 1);
    int64_t when;
    GT_CHECK(gort_chan_recv(gort_timer_chan(t), &when));
    int64_t t1 = gort_now();
    GT_CHECK(gort_chan_recv(gort_timer_chan(t), &when));
    GT_CHECK(when > t1 - period); /* a fresh tick, not a queued one */
    /* Stop: no more ticks. */
    GT_CHECK(gort_timer_stop(t));
    gort_chan_tryrecv(gort_timer_chan(t), NULL, NULL);
    gort_sleep(4 * period);
    GT_EQ(gort_chan_len(gort_timer_chan(t)), 0);
    /* Reset a ticker to a new period: it ticks again. */
    GT_CHECK(!gort_timer_reset(t, 2 * MS));
    for (int i = 0; i < 3; i++)
        GT_CHECK(gort_chan_recv(gort_timer_chan(t), &when));
    GT_CHECK(gort_timer_reset(t, 3 * MS));
    gort_timer_free(t);
}

Test(timer, ticker_ticks_and_drops) { gt_run(ticker_main, NULL); }

Test(timer, ticker_rejects_nonpositive_period)
{
    errno = 0;
    cr_assert_null(gort_ticker_new(0));
    cr_assert_eq(errno, EINVAL);
    cr_assert_null(gort_ticker_new(-1));
}

static void timeout_main(void *arg)
{
    (void)arg;
    gort_chan *never = gort_chan_new(sizeof(int), 0);
    gort_timer *t = gort_timer_new(10 * MS);
    int v = 5;
    int64_t when = 0;
    gort_case cs[2] = {
        { .chan = never, .dir = GORT_RECV, .elem = &v },
        { .chan = gort_timer_chan(t), .dir = GORT_RECV, .elem = &when },
    };
    GT_EQ(gort_select(cs, 2, true), 1);
    GT_CHECK(cs[1].ok);
    GT_CHECK(when > 0);
    GT_EQ(v, 5);
    gort_timer_free(t);
    gort_chan_free(never);
}

Test(timer, select_timeout) { gt_run(timeout_main, NULL); }

static gort_timer *foreign_t;

static void *foreign_make(void *arg)
{
    gort_timer *s = gort_timer_new(1000 * MS);
    GT_CHECK(gort_timer_stop(s));
    gort_timer_free(s);
    foreign_t = gort_timer_new(5 * MS);
    GT_CHECK(gort_timer_reset(foreign_t, 2 * MS));
    return arg;
}

static void foreign_main(void *arg)
{
    (void)arg;
    gt_on_thread(foreign_make, NULL);
    int64_t when;
    GT_CHECK(gort_chan_recv(gort_timer_chan(foreign_t), &when));
    gort_timer_free(foreign_t);
}

Test(timer, timer_calls_from_foreign_thread) { gt_run(foreign_main, NULL); }

/* Many tickers and timers freed while they are firing, from several
   goroutines at 2 Ps. */
static void churn(void *arg)
{
    gort_waitgroup *wg = arg;
    for (int i = 0; i < (int)gt_scale(300, 3); i++) {
        gort_timer *t = i % 2 ? gort_ticker_new(50000) : gort_timer_new(i % 3 * 20000);
        if (i % 5 == 0)
            gort_sleep(100000);
        else
            gort_yield();
        gort_timer_free(t);
    }
    gort_wg_done(wg);
}

static void churn_main(void *arg)
{
    (void)arg;
    gort_maxprocs(2);
    gort_waitgroup wg = GORT_WAITGROUP_INIT;
    gort_wg_add(&wg, 4);
    for (int i = 0; i < 4; i++)
        gort_go(churn, &wg);
    gort_wg_wait(&wg);
}

Test(timer, free_while_firing) { gt_run(churn_main, NULL); }
