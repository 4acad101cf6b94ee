/*
 * timer.c - gort_timer: Go's time.Timer and time.Ticker (before Go 1.23)
 * on top of the runtime's timers (sched/time.c).
 *
 * A gort_timer is a runtime gtimer plus a channel of capacity 1 carrying
 * int64_t fire times.  When the gtimer fires, sendtime makes a
 * non-blocking send of the fire time: if the channel is full, the value is
 * dropped, which is how a ticker skips ticks for a slow reader instead of
 * queueing them.  The runtime re-arms a periodic gtimer itself, so a
 * ticker costs nothing between ticks and nothing busy-waits.
 *
 * Stop and Reset return what Go's do: whether the timer was pending.  As in
 * Go before 1.23, a value sent before Stop or Reset stays in the channel.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "chan.h"

struct gort_timer {
    gtimer t;
    gort_chan *c;
    bool ticker;
};

/* Runs on g0 with no lock held: must not block. */
static void sendtime(void *arg, uintptr_t seq, int64_t now)
{
    (void)seq;
    gort_timer *t = arg;
    gort_chan_trysend(t->c, &now);
}

/* now + ns, saturating (Go's when()). */
static int64_t whenfromnow(int64_t ns)
{
    int64_t now = nanotime(), when;
    if (ns <= 0)
        return now;
    if (__builtin_add_overflow(now, ns, &when))
        return INT64_MAX;
    return when;
}

static gort_timer *newtimer(int64_t ns, int64_t period)
{
    gort_timer *t = calloc(1, sizeof *t);
    if (t == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    t->c = gort_chan_new(sizeof(int64_t), 1);
    if (t->c == NULL) {
        free(t);
        return NULL;
    }
    t->ticker = period > 0;
    t->t.when = whenfromnow(ns);
    t->t.period = period;
    t->t.f = sendtime;
    t->t.arg = t;
    addtimer(&t->t);
    return t;
}

gort_timer *gort_timer_new(int64_t ns)
{
    return newtimer(ns, 0);
}

gort_timer *gort_ticker_new(int64_t period_ns)
{
    if (period_ns <= 0) {
        errno = EINVAL;
        return NULL;
    }
    return newtimer(period_ns, period_ns);
}

gort_chan *gort_timer_chan(gort_timer *t)
{
    return t->c;
}

bool gort_timer_stop(gort_timer *t)
{
    return deltimer(&t->t);
}

bool gort_timer_reset(gort_timer *t, int64_t ns)
{
    if (t->ticker && ns <= 0)
        gort_throw("non-positive interval for gort_timer_reset of a ticker");
    return modtimer(&t->t, whenfromnow(ns), t->ticker ? ns : 0);
}

void gort_timer_free(gort_timer *t)
{
    if (t == NULL)
        return;
    deltimer(&t->t);
    /* A fire that had already begun finishes first: it touches t->c. */
    while (atomic_load(&t->t.running))
        sched_yield();
    gort_chan_free(t->c);
    free(t);
}
