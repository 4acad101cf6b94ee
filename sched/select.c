/*
 * select.c - gort_select: Go's selectgo (select.go) in C.  See chan.h.
 *
 * Cases with a NULL channel are dropped.  The others are visited in a
 * random permutation, pollorder (fastrandn), so that among ready cases each
 * is chosen uniformly; their channels are locked in lockorder, sorted by
 * address so that two selects can never deadlock on each other, each
 * channel once even when several cases name it.
 *
 * pass 1: with every channel locked, take the first case in pollorder that
 *         can proceed (a parked peer, buffer data or room, a closed
 *         channel).  Non-blocking: none ready returns -1.
 * pass 2: enqueue one sudog per case, in lockorder, linked from g->waiting,
 *         and park; selparkcommit unlocks the channels once the G is parked.
 *         Whoever dequeues one of these sudogs must first win
 *         g->selectdone (see waitq_dequeue): exactly one case completes,
 *         by the waker, who leaves the winning sudog in g->param.
 * pass 3: relock, dequeue the sudogs of the other cases, unlock.
 *
 * Cases naming the same channel are locked in pollorder among themselves
 * (the sort key is address, then pollorder position), so when a parked
 * select could be completed through several of them, which one completes
 * is uniform too.  Sudogs and the order arrays live on the G's stack for
 * up to SELECT_STACK_CASES cases and in one malloc'd block above that.
 *
 * Only the case that ran is written: its ok (true for a send; for a
 * receive, false when the channel was closed and drained), and its elem.
 */
#include <stdlib.h>

#include "chan.h"

#define SELECT_STACK_CASES 8

typedef struct {
    gort_case *cases;
    uint32_t *lockorder;    /* case indexes, by channel address */
    size_t norder;
} selstate;

static void sellock(selstate *s)
{
    gort_chan *last = NULL;
    for (size_t i = 0; i < s->norder; i++) {
        gort_chan *c = s->cases[s->lockorder[i]].chan;
        if (c != last)
            rtlock_lock(&c->lock);
        last = c;
    }
}

static void selunlock(selstate *s)
{
    for (size_t i = s->norder; i-- > 0;) {
        gort_chan *c = s->cases[s->lockorder[i]].chan;
        if (i > 0 && c == s->cases[s->lockorder[i - 1]].chan)
            continue; /* unlock only the first occurrence */
        rtlock_unlock(&c->lock);
    }
}

/* gopark's unlockf: unlocks the channels of g->waiting (in lockorder, each
   once).  The last unlock must be the last touch: once it is released the
   select may run pass 3 and return, freeing the sudogs. */
static bool selparkcommit(g *gp, void *arg)
{
    (void)arg;
    gort_chan *last = NULL;
    for (sudog *sg = gp->waiting; sg; sg = sg->waitlink) {
        if (sg->c != last && last != NULL)
            rtlock_unlock(&last->lock);
        last = sg->c;
    }
    if (last)
        rtlock_unlock(&last->lock);
    return true;
}

/* Order key of pollorder position i: the channel address, then i. */
static bool lockless(const gort_case *cases, const uint32_t *pollorder, uint32_t a, uint32_t b)
{
    uintptr_t ca = (uintptr_t)cases[pollorder[a]].chan;
    uintptr_t cb = (uintptr_t)cases[pollorder[b]].chan;
    return ca < cb || (ca == cb && a < b);
}

/* Heap sort of pollorder positions into lockorder (Go sorts in place the
   same way: no allocation, O(n log n)), then mapped to case indexes. */
static void sortlockorder(const gort_case *cases, const uint32_t *pollorder,
                          uint32_t *lo, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* sift up position i */
        uint32_t v = (uint32_t)i;
        size_t j = i;
        while (j > 0) {
            size_t parent = (j - 1) / 2;
            if (!lockless(cases, pollorder, lo[parent], v))
                break;
            lo[j] = lo[parent];
            j = parent;
        }
        lo[j] = v;
    }
    for (size_t i = n; i-- > 1;) {
        uint32_t v = lo[i];
        lo[i] = lo[0];
        size_t j = 0;
        for (;;) {
            size_t k = 2 * j + 1;
            if (k >= i)
                break;
            if (k + 1 < i && lockless(cases, pollorder, lo[k], lo[k + 1]))
                k++;
            if (!lockless(cases, pollorder, v, lo[k]))
                break;
            lo[j] = lo[k];
            j = k;
        }
        lo[j] = v;
    }
    for (size_t i = 0; i < n; i++)
        lo[i] = pollorder[lo[i]];
}

/* Pass 1 for one case, channels locked.  Returns true when the case ran;
   *gp is then a G to ready after unlocking (or NULL), *ok the case's ok. */
static bool selpoll(selstate *s, gort_case *cas, g **gp, bool *ok)
{
    gort_chan *c = cas->chan;
    sudog *sg;
    *gp = NULL;
    *ok = true;
    if (cas->dir == GORT_RECV) {
        if ((sg = waitq_dequeue(&c->sendq)) != NULL)
            *gp = chan_recv(c, sg, cas->elem);
        else if (c->qcount > 0)
            chan_bufrecv(c, cas->elem);
        else if (c->closed) {
            chan_zero(c, cas->elem);
            *ok = false;
        } else
            return false;
        return true;
    }
    if (c->closed) {
        selunlock(s);
        gort_throw("send on closed channel");
    }
    if ((sg = waitq_dequeue(&c->recvq)) != NULL)
        *gp = chan_send(c, sg, cas->elem);
    else if (c->qcount < c->dataqsiz)
        chan_bufsend(c, cas->elem);
    else
        return false;
    return true;
}

/* Passes 2 and 3: park on every case and return the one that completed. */
static size_t selpark(selstate *s, sudog *sgs, bool *ok)
{
    g *gp = getg();
    sudog **nextp = &gp->waiting;
    for (size_t i = 0; i < s->norder; i++) {
        uint32_t k = s->lockorder[i];
        gort_case *cas = &s->cases[k];
        sudog *sg = &sgs[k];
        *sg = (sudog){ .g = gp, .elem = cas->elem, .c = cas->chan, .isselect = true };
        *nextp = sg;
        nextp = &sg->waitlink;
        waitq_enqueue(cas->dir == GORT_SEND ? &cas->chan->sendq : &cas->chan->recvq, sg);
    }
    *nextp = NULL;
    gp->param = NULL;
    gopark(selparkcommit, NULL, "select");

    sellock(s);
    atomic_store(&gp->selectdone, 0);
    sudog *won = gp->param;
    gp->param = NULL;
    gp->waiting = NULL;
    size_t casi = SIZE_MAX;
    for (size_t i = 0; i < s->norder; i++) {
        uint32_t k = s->lockorder[i];
        gort_case *cas = &s->cases[k];
        if (&sgs[k] == won)
            casi = k;
        else
            waitq_remove(cas->dir == GORT_SEND ? &cas->chan->sendq : &cas->chan->recvq, &sgs[k]);
    }
    if (casi == SIZE_MAX)
        gort_throw("select: bad wakeup");
    *ok = won->success;
    if (s->cases[casi].dir == GORT_SEND && !won->success) {
        selunlock(s);
        gort_throw("send on closed channel");
    }
    selunlock(s);
    return casi;
}

int gort_select(gort_case *cases, size_t n, bool block)
{
    if (block)
        gort_checkblock("gort_select");
    if (n > INT32_MAX)
        gort_throw("select: too many cases");

    uint32_t stackorder[2 * SELECT_STACK_CASES];
    sudog stacksgs[SELECT_STACK_CASES];
    uint32_t *order = stackorder;
    sudog *sgs = stacksgs;
    void *heap = NULL;
    if (n > SELECT_STACK_CASES) {
        heap = malloc(n * (sizeof(sudog) + 2 * sizeof(uint32_t)));
        if (heap == NULL)
            gort_throw("select: out of memory");
        sgs = heap;
        order = (uint32_t *)(sgs + n);
    }
    uint32_t *pollorder = order, *lockorder = order + n;

    /* Random permutation of the cases that have a channel (inside-out
       Fisher-Yates). */
    size_t norder = 0;
    for (size_t i = 0; i < n; i++) {
        if (cases[i].chan == NULL)
            continue;
        if (cases[i].dir == GORT_SEND)
            chan_checksendelem(cases[i].chan, cases[i].elem);
        uint32_t j = fastrandn((uint32_t)norder + 1);
        pollorder[norder] = pollorder[j];
        pollorder[j] = (uint32_t)i;
        norder++;
    }
    int result = -1;
    if (norder == 0) {
        if (block)
            for (;;)
                gopark(NULL, NULL, "select (no cases)");
        goto out;
    }
    sortlockorder(cases, pollorder, lockorder, norder);
    selstate s = { cases, lockorder, norder };

    sellock(&s);
    for (size_t i = 0; i < norder; i++) {
        gort_case *cas = &cases[pollorder[i]];
        g *gp;
        bool ok;
        if (selpoll(&s, cas, &gp, &ok)) {
            selunlock(&s);
            if (gp)
                goready(gp);
            cas->ok = ok;
            result = (int)pollorder[i];
            goto out;
        }
    }
    if (!block) {
        selunlock(&s);
        goto out;
    }
    bool ok;
    result = (int)selpark(&s, sgs, &ok);
    cases[result].ok = ok;
out:
    free(heap);
    return result;
}
