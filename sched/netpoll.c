/*
 * netpoll.c - goroutines parked on fds: poll descriptors, deadlines and
 * close (Go's netpoll.go).  net.c makes the calls on top; netpoll_uv.c is
 * the libuv loop that reports readiness.
 *
 * A pollDesc per fd number holds, for each direction, the waiter word
 * (rw, ww):
 *
 *   0            nobody waits
 *   PD_WAIT      a G is about to park (it arms the poller, then commits)
 *   pollwait *   the G is parked; whoever swaps the word away owns the
 *                wake-up: it writes w->err and readies w->gp
 *   PD_READY     readiness (or close) came: the G was readied, or will
 *                not park; it retries its call when it runs
 *   PD_EXPIRED   the deadline fired: the same, and the call times out
 *
 * The G sets the word back to 0 when it runs again.
 * A G that got EAGAIN stores PD_WAIT, starts its deadline timer, and
 * parks; the commit function (run once its context is saved) asks the
 * loop to poll the fd (netpollarm), then CASes PD_WAIT to its pollwait.
 * Readiness, the deadline timer and close all go through pdtake, a CAS
 * on the word, so exactly one of them readies the G, and one that comes
 * before the commit makes the CAS fail, so no wake-up is lost.  The loop
 * polls level-triggered, so readiness that came before the arming is
 * reported at once; a direction stays armed after its wake-up (the next
 * wait usually follows soon) and is dropped when it fires while no G
 * waits and none woken by it is still to run (the word is 0) - or, in a
 * poll by an idle M, while the G it woke has not run yet: that M would
 * otherwise find the fd ready again at once and spin.  When the G runs again it removes its timer and waits until
 * a timer callback in flight has finished, so a timer never touches a
 * later wait.
 *
 * Lifetime.  pollDescs live in chunks of PDCHUNK, indexed by fd, made on
 * first use and freed only when the run ends, so a call racing with
 * close never touches freed memory.  A call holds a reference (ref) for
 * its duration; an open pd holds one more.  gort_net_close (pdclose)
 * moves the state to PD_CLOSING (new calls fail with -ECANCELED), wakes
 * the parked waiters with -ECANCELED, drops the open reference, waits on
 * csema for the calls in progress to leave, has the loop stop and close
 * its handle, and only then closes the fd: so the fd number cannot be
 * reused while libuv still watches it.  A later call on that fd number
 * (a new socket the kernel gave the same number) opens the pd again.
 * One reader and one writer use an fd at a time (rmu, wmu: Go's fdMutex).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "netpoll.h"
#include "proc.h"

enum { PD_WAIT = 1, PD_READY = 2, PD_EXPIRED = 3 };

#define PDCHUNK 1024
#define PDTOP 1024 /* fds below PDCHUNK * PDTOP */

static pollDesc *_Atomic pdtab[PDTOP];
static rtlock pdlock; /* guards making chunks and opening pds */

/* fd's pollDesc, making its chunk if needed; NULL if fd is out of range. */
static pollDesc *pdslot(int fd)
{
    if (fd < 0 || fd >= PDCHUNK * PDTOP)
        return NULL;
    pollDesc *c = atomic_load_explicit(&pdtab[fd / PDCHUNK], memory_order_acquire);
    if (c == NULL) {
        rtlock_lock(&pdlock);
        c = atomic_load(&pdtab[fd / PDCHUNK]);
        if (c == NULL) {
            c = calloc(PDCHUNK, sizeof *c);
            if (c == NULL)
                gort_throw("netpoll: out of memory for poll descriptors");
            for (int i = 0; i < PDCHUNK; i++)
                c[i].fd = fd / PDCHUNK * PDCHUNK + i;
            atomic_store_explicit(&pdtab[fd / PDCHUNK], c, memory_order_release);
        }
        rtlock_unlock(&pdlock);
    }
    return &c[fd % PDCHUNK];
}

/* Opens pd for its fd (a first use, or a new fd with a closed one's
   number): the fd becomes non-blocking.  pdlock held. */
static int pdopen(pollDesc *pd)
{
    int fl = fcntl(pd->fd, F_GETFL);
    if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(pd->fd, F_SETFL, fl | O_NONBLOCK) < 0))
        return -errno;
    atomic_store(&pd->rw, 0);
    atomic_store(&pd->ww, 0);
    atomic_fetch_add(&pd->ref, 1);
    atomic_store(&pd->state, PD_OPEN);
    return 0;
}

pollDesc *pdacquire(int fd, int *err)
{
    pollDesc *pd = pdslot(fd);
    if (pd == NULL) {
        *err = -EBADF;
        return NULL;
    }
    for (;;) {
        int st = atomic_load(&pd->state);
        if (st == PD_OPEN) {
            atomic_fetch_add(&pd->ref, 1);
            if (atomic_load(&pd->state) == PD_OPEN)
                return pd;
            pdrelease(pd);
            continue;
        }
        /* Under pdlock: PD_CLOSING then means close(2) has not run yet,
           so fd is still the fd being closed, not a new one with its
           number (pdclose closes and marks PD_CLOSED under pdlock). */
        rtlock_lock(&pdlock);
        st = atomic_load(&pd->state);
        int e = st == PD_FREE || st == PD_CLOSED ? pdopen(pd)
                : st == PD_CLOSING               ? -ECANCELED
                                                 : 0;
        rtlock_unlock(&pdlock);
        if (e) {
            *err = e;
            return NULL;
        }
    }
}

void pdrelease(pollDesc *pd)
{
    if (atomic_fetch_sub(&pd->ref, 1) == 1)
        semrelease(&pd->csema, false); /* pdclose waits for this */
}

/* Takes the waiter of *wp, leaving `mark` in its place: a parked G is
   returned with w->err set (the caller readies it); a G about to park
   will not. */
static g *pdtake(_Atomic uintptr_t *wp, uintptr_t mark, int err)
{
    uintptr_t s = atomic_load(wp);
    do {
        if (s == 0 || s == PD_READY || s == PD_EXPIRED)
            return NULL;
    } while (!atomic_compare_exchange_weak(wp, &s, mark));
    if (s == PD_WAIT)
        return NULL;
    pollwait *w = (pollwait *)s;
    w->err = err;
    return w->gp;
}

/* Readies the waiter of *wp with err, if any. */
static void pdwake(_Atomic uintptr_t *wp, uintptr_t mark, int err)
{
    g *gp = pdtake(wp, mark, err);
    if (gp)
        goready(gp);
}

/* A G waits (parked, or about to park) in word s. */
static bool waiting(uintptr_t s)
{
    return s != 0 && s != PD_READY && s != PD_EXPIRED;
}

int pdwanted(pollDesc *pd)
{
    if (atomic_load(&pd->state) != PD_OPEN)
        return 0;
    return (waiting(atomic_load(&pd->rw)) ? POLL_READ : 0) |
           (waiting(atomic_load(&pd->ww)) ? POLL_WRITE : 0);
}

int netpollready(pollDesc *pd, int events, bool idle, g **list)
{
    int keep = 0;
    for (int mode = POLL_READ; mode <= POLL_WRITE; mode <<= 1) {
        if (!(events & mode))
            continue;
        _Atomic uintptr_t *wp = mode == POLL_READ ? &pd->rw : &pd->ww;
        uintptr_t s = atomic_load(wp);
        if (waiting(s) || (s != 0 && !idle))
            keep |= mode;
        g *gp = pdtake(wp, PD_READY, 0);
        if (gp) {
            gp->schedlink = *list;
            *list = gp;
        }
    }
    return keep;
}

/* A deadline timer: arg is the pd, seq the direction. */
static void pddeadline(void *arg, uintptr_t seq, int64_t now)
{
    (void)now;
    pollDesc *pd = arg;
    pdwake(seq == POLL_READ ? &pd->rw : &pd->ww, PD_EXPIRED, -ETIMEDOUT);
}

struct commit {
    pollDesc *pd;
    int mode;
    _Atomic uintptr_t *wp;
    pollwait *w;
};

static bool netpollcommit(g *gp, void *arg)
{
    (void)gp;
    struct commit *c = arg;
    /* Already polled for (the usual case) needs no call into the loop:
       the loop re-checks pdwanted after it narrows `armed` (netpoll_uv.c). */
    if ((atomic_load(&c->pd->armed) & c->mode) == 0)
        netpollarm(c->pd);
    uintptr_t s = PD_WAIT;
    return atomic_compare_exchange_strong(c->wp, &s, (uintptr_t)c->w);
}

int netpollblock(pollDesc *pd, int mode, int64_t deadline)
{
    if (atomic_load(&pd->state) != PD_OPEN)
        return -ECANCELED;
    if (deadline && deadline <= nanotime())
        return -ETIMEDOUT;
    _Atomic uintptr_t *wp = mode == POLL_READ ? &pd->rw : &pd->ww;
    gtimer *t = mode == POLL_READ ? &pd->rt : &pd->wt;
    pollwait w = {.gp = getg()};
    struct commit c = {pd, mode, wp, &w};
    atomic_store(wp, PD_WAIT);
    atomic_fetch_add(&sched.nnetwait, 1);
    if (deadline) {
        t->when = deadline;
        t->period = 0;
        t->f = pddeadline;
        t->arg = pd;
        t->seq = (uintptr_t)mode;
        addtimer(t);
    }
    gopark(netpollcommit, &c, "IO wait");
    atomic_fetch_sub(&sched.nnetwait, 1);
    if (deadline) {
        deltimer(t);
        while (atomic_load(&t->running))
            ; /* a callback in flight: it ends in a few instructions */
    }
    uintptr_t s = atomic_exchange(wp, 0);
    if (s == PD_EXPIRED)
        return -ETIMEDOUT;
    if (w.err)
        return w.err;
    return atomic_load(&pd->state) == PD_OPEN ? 0 : -ECANCELED;
}

/* close(2) and PD_CLOSED in one step under pdlock: between the two, the
   kernel may give the fd number to a new socket (an accept on another
   thread), whose first call must not find the old pd still closing. */
static int pdcloseunder(pollDesc *pd)
{
    rtlock_lock(&pdlock);
    int r = close(pd->fd) == 0 ? 0 : -errno;
    atomic_store(&pd->state, PD_CLOSED);
    rtlock_unlock(&pdlock);
    return r;
}

int pdclose(pollDesc *pd)
{
    bool inrun = getg() != NULL;
    if (!inrun && atomic_load(&sched.running))
        gort_checkblock("gort_net_close"); /* it waits for calls in flight */
    int st = PD_OPEN;
    if (!atomic_compare_exchange_strong(&pd->state, &st, PD_CLOSING))
        return st == PD_CLOSING ? -ECANCELED : -EBADF;
    if (!inrun) { /* no run: nobody waits, no loop polls */
        atomic_store(&pd->ref, 0);
        return pdcloseunder(pd);
    }
    pdwake(&pd->rw, PD_READY, -ECANCELED);
    pdwake(&pd->ww, PD_READY, -ECANCELED);
    pdrelease(pd);
    while (atomic_load(&pd->ref) != 0)
        semacquire(&pd->csema); /* a late pdrelease may leave a count: loop */
    netpollclose(pd);
    return pdcloseunder(pd);
}

void pdfreeall(void)
{
    for (int i = 0; i < PDTOP; i++) {
        free(atomic_load(&pdtab[i]));
        atomic_store(&pdtab[i], NULL);
    }
}
