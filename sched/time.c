/*
 * time.c - per-P timer heaps, gort_sleep and the clock.
 *
 * Each P keeps its pending timers in a 4-ary min-heap ordered by `when`,
 * under the P's timerslock, with the earliest `when` mirrored in
 * timer0when so that the scheduler can tell without the lock whether a
 * timer is due.  A timer is added to the running P's heap (P 0's when the
 * caller holds no P).  t->pp names the heap that holds it and is cleared
 * when it leaves, so deltimer finds it with one lock and no search.
 *
 * checktimers pops the due timers of a P and calls each f(arg, seq, now)
 * with no lock held, on the g0 of whichever M holds a P (its own, or an
 * idle M stealing); f must not block.  A periodic timer is put back in the
 * heap, at its next period in the future, before the lock is released, so
 * that a concurrent modtimer or deltimer always finds it in some heap.
 * sched.ntimers counts pending timers: an M that finds every P idle sleeps
 * until the earliest one (proc.c), and none pending is part of a deadlock.
 */
#include <stdlib.h>
#include <time.h>

#include "proc.h"

int64_t nanotime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t gort_now(void)
{
    return nanotime();
}

/* ---- the heap (pp->timerslock held) ---------------------------------- */

static void heapset(p *pp, int i, gtimer *t)
{
    pp->timers[i] = t;
    t->idx = i;
}

static void siftup(p *pp, int i)
{
    gtimer *t = pp->timers[i];
    while (i > 0) {
        int parent = (i - 1) / 4;
        if (pp->timers[parent]->when <= t->when)
            break;
        heapset(pp, i, pp->timers[parent]);
        i = parent;
    }
    heapset(pp, i, t);
}

static void siftdown(p *pp, int i)
{
    gtimer *t = pp->timers[i];
    int n = pp->ntimers;
    for (;;) {
        int c = 4 * i + 1;
        if (c >= n)
            break;
        int best = c;
        for (int k = c + 1; k < c + 4 && k < n; k++)
            if (pp->timers[k]->when < pp->timers[best]->when)
                best = k;
        if (pp->timers[best]->when >= t->when)
            break;
        heapset(pp, i, pp->timers[best]);
        i = best;
    }
    heapset(pp, i, t);
}

static void update0(p *pp)
{
    atomic_store(&pp->timer0when, pp->ntimers ? pp->timers[0]->when : 0);
}

static void heappush(p *pp, gtimer *t)
{
    if (pp->ntimers == pp->captimers) {
        int cap = pp->captimers ? 2 * pp->captimers : 16;
        gtimer **nt = realloc(pp->timers, (size_t)cap * sizeof *nt);
        if (!nt)
            gort_throw("out of memory growing a timer heap");
        pp->timers = nt;
        pp->captimers = cap;
    }
    heapset(pp, pp->ntimers++, t);
    siftup(pp, t->idx);
    atomic_store(&t->pp, pp);
    atomic_fetch_add(&sched.ntimers, 1);
    update0(pp);
}

static void heapremove(p *pp, gtimer *t)
{
    int i = t->idx;
    int last = --pp->ntimers;
    if (i != last) {
        heapset(pp, i, pp->timers[last]);
        if (i > 0 && pp->timers[i]->when < pp->timers[(i - 1) / 4]->when)
            siftup(pp, i);
        else
            siftdown(pp, i);
    }
    atomic_store(&t->pp, NULL);
    atomic_fetch_sub(&sched.ntimers, 1);
    update0(pp);
}

/* ---- the timer calls ---------------------------------------------------- */

void timerwake(int64_t when); /* proc.c */

void addtimer(gtimer *t)
{
    m *mp = getm();
    p *pp = mp && mp->p ? mp->p : sched.allp[0];
    int64_t when = t->when; /* t may fire and be re-armed once unlocked */
    rtlock_lock(&pp->timerslock);
    heappush(pp, t);
    rtlock_unlock(&pp->timerslock);
    timerwake(when);
}

bool deltimer(gtimer *t)
{
    for (;;) {
        p *pp = atomic_load(&t->pp);
        if (pp == NULL)
            return false;
        rtlock_lock(&pp->timerslock);
        if (atomic_load(&t->pp) == pp) {
            heapremove(pp, t);
            rtlock_unlock(&pp->timerslock);
            return true;
        }
        rtlock_unlock(&pp->timerslock);
    }
}

bool modtimer(gtimer *t, int64_t when, int64_t period)
{
    bool pending = deltimer(t);
    t->when = when;
    t->period = period;
    addtimer(t);
    return pending;
}

void checktimers(p *pp, int64_t now)
{
    for (;;) {
        int64_t w = atomic_load_explicit(&pp->timer0when, memory_order_relaxed);
        if (w == 0 || w > now)
            return;
        rtlock_lock(&pp->timerslock);
        if (pp->ntimers == 0 || pp->timers[0]->when > now) {
            rtlock_unlock(&pp->timerslock);
            return;
        }
        gtimer *t = pp->timers[0];
        void (*f)(void *, uintptr_t, int64_t) = t->f;
        void *arg = t->arg;
        uintptr_t seq = t->seq;
        /* running counts the calls of f in progress (a periodic timer can
           fire again on another M before the last f returns); it is raised
           before t leaves the heap (t->pp cleared), so that whoever sees
           it gone (deltimer) also sees it running. */
        atomic_fetch_add(&t->running, 1);
        if (t->period > 0) {
            int64_t next = t->when + t->period;
            if (next <= now)
                next += ((now - next) / t->period + 1) * t->period;
            t->when = next;
            siftdown(pp, 0);
            update0(pp);
        } else {
            heapremove(pp, t);
        }
        rtlock_unlock(&pp->timerslock);
        f(arg, seq, now);
        atomic_fetch_sub(&t->running, 1);
    }
}

int64_t timersnext(void)
{
    int64_t next = 0;
    int procs = atomic_load(&sched.gomaxprocs);
    for (int i = 0; i < procs; i++) {
        int64_t w = atomic_load(&sched.allp[i]->timer0when);
        if (w != 0 && (next == 0 || w < next))
            next = w;
    }
    return next;
}

void timersmove(p *from, p *to)
{
    rtlock_lock(&from->timerslock);
    rtlock_lock(&to->timerslock);
    while (from->ntimers > 0) {
        gtimer *t = from->timers[0];
        heapremove(from, t);
        heappush(to, t);
    }
    rtlock_unlock(&to->timerslock);
    rtlock_unlock(&from->timerslock);
}

void timersfree(p *pp)
{
    free(pp->timers);
    pp->timers = NULL;
    pp->ntimers = pp->captimers = 0;
}

/* ---- gort_sleep ------------------------------------------------------------ */

static void sleepwake(void *arg, uintptr_t seq, int64_t now)
{
    (void)seq;
    (void)now;
    goready(arg);
}

static bool sleeppark(g *gp, void *arg)
{
    (void)arg;
    addtimer(gp->sleeptimer);
    return true;
}

void gort_sleep(int64_t ns)
{
    if (ns <= 0)
        return;
    gort_checkblock("gort_sleep");
    g *gp = getg();
    if (gp->sleeptimer == NULL) {
        gp->sleeptimer = calloc(1, sizeof *gp->sleeptimer);
        if (!gp->sleeptimer)
            gort_throw("out of memory allocating a timer");
    }
    gtimer *t = gp->sleeptimer;
    int64_t now = nanotime();
    t->when = ns > INT64_MAX - now ? INT64_MAX : now + ns;
    t->period = 0;
    t->f = sleepwake;
    t->arg = gp;
    gopark(sleeppark, NULL, "sleep");
}
