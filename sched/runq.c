/*
 * runq.c - run queues: each P's lock-free ring, its runnext slot, and the
 * global queue.  See runtime.h for the data model.
 *
 * A P's ring holds up to RUNQ_SIZE Gs between runqhead and runqtail (both
 * free-running counters).  Only the owner writes runqtail; anyone may
 * advance runqhead with a CAS, which is how thieves take half of a
 * victim's ring (runqgrab) and how the owner itself takes one G.  The owner
 * stores a slot before publishing runqtail (release), and a taker reads the
 * slots before its CAS on runqhead validates them, so a G is taken at most
 * once.  The slots are atomics read and written relaxed: a thief may read a
 * slot that the owner is overwriting, but then its CAS fails.
 *
 * runnext holds the G that should run next, ahead of the ring: the G just
 * readied by the running one (a channel partner), so that a ping-pong pair
 * runs back to back; a thief takes a running P's runnext only once it has
 * sat there for a grace period (runnextsettles).  A ring that is full
 * spills half of itself and the new G to the global queue (runqputslow),
 * which is guarded by sched.lock.
 */
#include <time.h>

#include "runtime.h"
#include "proc.h"

#define RUNNEXT_GRACE_NS 3000

#define load_acq(x) atomic_load_explicit((x), memory_order_acquire)
#define load_rlx(x) atomic_load_explicit((x), memory_order_relaxed)
#define store_rel(x, v) atomic_store_explicit((x), (v), memory_order_release)
#define store_rlx(x, v) atomic_store_explicit((x), (v), memory_order_relaxed)
#define cas_rel(x, o, n)                                                                     \
    atomic_compare_exchange_strong_explicit((x), (o), (n), memory_order_release,            \
                                            memory_order_relaxed)

/* Moves half the ring and gp to the global queue; false if the ring
   changed meanwhile (the caller retries its put). */
static bool runqputslow(p *pp, g *gp, uint32_t h, uint32_t t)
{
    g *batch[RUNQ_SIZE / 2 + 1];
    uint32_t n = (t - h) / 2;
    for (uint32_t i = 0; i < n; i++)
        batch[i] = load_rlx(&pp->runq[(h + i) % RUNQ_SIZE]);
    if (!cas_rel(&pp->runqhead, &h, h + n))
        return false;
    batch[n] = gp;
    for (uint32_t i = 0; i < n; i++)
        batch[i]->schedlink = batch[i + 1];
    gp->schedlink = NULL;
    rtlock_lock(&sched.lock);
    globrunqputbatch(batch[0], gp, (int)n + 1);
    rtlock_unlock(&sched.lock);
    return true;
}

void runqput(p *pp, g *gp, bool next)
{
    if (next) {
        /* Only the owner stores a G in runnext; thieves only take it out.
           So an empty slot stays empty until we fill it, and a plain
           store does (the ping-pong case); a full one is swapped. */
        g *old = load_rlx(&pp->runnext);
        if (old == NULL) {
            store_rel(&pp->runnext, gp);
            return;
        }
        old = atomic_exchange_explicit(&pp->runnext, gp, memory_order_acq_rel);
        if (old == NULL)
            return;
        gp = old; /* the displaced runnext goes to the tail */
    }
    for (;;) {
        uint32_t h = load_acq(&pp->runqhead);
        uint32_t t = load_rlx(&pp->runqtail);
        if (t - h < RUNQ_SIZE) {
            store_rlx(&pp->runq[t % RUNQ_SIZE], gp);
            store_rel(&pp->runqtail, t + 1);
            return;
        }
        if (runqputslow(pp, gp, h, t))
            return;
    }
}

g *runqget(p *pp)
{
    g *next = load_rlx(&pp->runnext);
    if (next != NULL &&
        atomic_compare_exchange_strong_explicit(&pp->runnext, &next, NULL, memory_order_acquire,
                                                memory_order_relaxed))
        return next;
    for (;;) {
        uint32_t h = load_acq(&pp->runqhead);
        uint32_t t = load_rlx(&pp->runqtail);
        if (t == h)
            return NULL;
        g *gp = load_rlx(&pp->runq[h % RUNQ_SIZE]);
        if (atomic_compare_exchange_strong_explicit(&pp->runqhead, &h, h + 1,
                                                    memory_order_acq_rel, memory_order_relaxed))
            return gp;
    }
}

bool runqempty(p *pp)
{
    /* runnext is read between two reads of the ring that agree, so a G
       moving from runnext to the ring is not missed. */
    for (;;) {
        uint32_t h = load_acq(&pp->runqhead);
        uint32_t t = load_acq(&pp->runqtail);
        g *next = load_acq(&pp->runnext);
        if (load_acq(&pp->runqtail) == t)
            return h == t && next == NULL;
    }
}

/* A thief found only pp's runnext, next, while pp runs: give pp a moment
   to run it itself, since the usual story is a G that readied a partner
   (a channel send) and is about to block; stealing it instead would
   bounce the pair, their channel and their stacks between cores at every
   exchange.  As Go's runqgrab, the thief sleeps "3 us", which on Linux
   is a timer-slack-rounded nanosleep (about 140 us on gort's VMs): its
   core is free meanwhile, and since it still counts as spinning, the
   readier's wakep calls cost nothing.  True if next is still there. */
static bool runnextsettles(p *pp, g *next)
{
    struct timespec ts = {0, RUNNEXT_GRACE_NS};
    nanosleep(&ts, NULL);
    return load_rlx(&pp->runnext) == next;
}

/* Takes half of pp's ring into batch[batchhead...] (a ring of the same
   size); with stealnext, also the runnext G when the ring is empty. */
static uint32_t runqgrab(p *pp, g *_Atomic *batch, uint32_t batchhead, bool stealnext)
{
    for (;;) {
        uint32_t h = load_acq(&pp->runqhead);
        uint32_t t = load_acq(&pp->runqtail);
        uint32_t n = t - h;
        n -= n / 2;
        if (n == 0) {
            if (!stealnext)
                return 0;
            g *next = load_acq(&pp->runnext);
            if (next == NULL)
                return 0;
            if (atomic_load_explicit(&pp->status, memory_order_relaxed) == Prunning &&
                !runnextsettles(pp, next))
                return 0;
            if (!atomic_compare_exchange_strong_explicit(&pp->runnext, &next, NULL,
                                                         memory_order_acq_rel,
                                                         memory_order_relaxed))
                continue;
            store_rlx(&batch[batchhead % RUNQ_SIZE], next);
            return 1;
        }
        if (n > RUNQ_SIZE / 2)
            continue; /* read h and t inconsistently: retry */
        for (uint32_t i = 0; i < n; i++)
            store_rlx(&batch[(batchhead + i) % RUNQ_SIZE],
                      load_rlx(&pp->runq[(h + i) % RUNQ_SIZE]));
        if (atomic_compare_exchange_strong_explicit(&pp->runqhead, &h, h + n,
                                                    memory_order_acq_rel, memory_order_relaxed))
            return n;
    }
}

g *runqsteal(p *pp, p *victim, bool stealnext)
{
    uint32_t t = load_rlx(&pp->runqtail);
    uint32_t n = runqgrab(victim, pp->runq, t, stealnext);
    if (n == 0)
        return NULL;
    n--;
    g *gp = load_rlx(&pp->runq[(t + n) % RUNQ_SIZE]);
    if (n == 0)
        return gp;
    store_rel(&pp->runqtail, t + n);
    return gp;
}

/* ---- the global queue, under sched.lock ---- */

void globrunqput(g *gp)
{
    globrunqputbatch(gp, gp, 1);
}

void globrunqputbatch(g *head, g *tail, int n)
{
    tail->schedlink = NULL;
    if (sched.runqtail)
        sched.runqtail->schedlink = head;
    else
        sched.runqhead = head;
    sched.runqtail = tail;
    atomic_fetch_add_explicit(&sched.runqsize, n, memory_order_relaxed);
}

/* Takes a fair share of the global queue: one G to run, the rest of the
   share onto pp's ring.  max > 0 caps the share. */
g *globrunqget(p *pp, int max)
{
    int size = atomic_load_explicit(&sched.runqsize, memory_order_relaxed);
    if (size == 0)
        return NULL;
    int procs = atomic_load_explicit(&sched.gomaxprocs, memory_order_relaxed);
    int n = size / procs + 1;
    if (n > size)
        n = size;
    if (max > 0 && n > max)
        n = max;
    if (n > RUNQ_SIZE / 2)
        n = RUNQ_SIZE / 2;
    atomic_fetch_sub_explicit(&sched.runqsize, n, memory_order_relaxed);
    g *gp = sched.runqhead;
    sched.runqhead = gp->schedlink;
    for (int i = 1; i < n; i++) {
        g *g1 = sched.runqhead;
        sched.runqhead = g1->schedlink;
        runqput(pp, g1, false);
    }
    if (sched.runqhead == NULL)
        sched.runqtail = NULL;
    return gp;
}

/* Moves everything on pp's ring and runnext to the global queue (a P that
   retires).  sched.lock must be held. */
void runqdrain(p *pp)
{
    g *gp;
    while ((gp = runqget(pp)) != NULL)
        globrunqput(gp);
}
