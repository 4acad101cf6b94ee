/*
 * chan.c - channels: Go's chan.go in C.  See chan.h for the data model.
 *
 * Every operation takes the channel's lock, so a channel is a small
 * monitor.  A send first looks for a parked receiver and, when there is one,
 * copies the value straight into the receiver's destination (Go's
 * sendDirect): no trip through the buffer.  Otherwise it puts the value in
 * the buffer if there is room, and otherwise parks on sendq with a sudog on
 * its own stack that points at the value.  A receive is the mirror image;
 * on a full buffered channel with parked senders it takes the head of the
 * buffer and moves the first sender's value into the freed tail slot, so
 * FIFO order holds across the buffer and the queue.
 *
 * A parked G is woken by whoever dequeues its sudog: the waker completes
 * the operation under the lock, stores the sudog in g->param, sets
 * sudog->success (false when woken by close) and calls goready after it
 * has unlocked.  The parked G releases the channel lock only once its
 * context is saved (gopark's unlockf), so a waker never readies a G that
 * is still running.
 *
 * Misuse is fatal, as in Go: close of a NULL or closed channel, a send on
 * a closed channel (also for a sender parked when the close happens), and
 * freeing a channel that goroutines wait on.  A NULL channel blocks forever.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"

/* ---- wait queues ------------------------------------------------------ */

void waitq_enqueue(waitq *q, sudog *sg)
{
    sg->next = NULL;
    sg->prev = q->last;
    if (q->last)
        q->last->next = sg;
    else
        q->first = sg;
    q->last = sg;
}

/* Pops the first sudog whose G can still be woken.  A G parked in a select
   sits on several queues; only the waker that wins its selectdone may
   complete one of its cases, and the losers drop the sudog (the select
   removes the rest itself once it runs). */
sudog *waitq_dequeue(waitq *q)
{
    for (;;) {
        sudog *sg = q->first;
        if (sg == NULL)
            return NULL;
        q->first = sg->next;
        if (q->first)
            q->first->prev = NULL;
        else
            q->last = NULL;
        sg->next = sg->prev = NULL;
        uint32_t zero = 0;
        if (sg->isselect &&
            !atomic_compare_exchange_strong(&sg->g->selectdone, &zero, 1))
            continue;
        return sg;
    }
}

/* Removes sg if it is still queued (a select's losing cases); a no-op if a
   waker already popped it. */
void waitq_remove(waitq *q, sudog *sg)
{
    if (sg->prev)
        sg->prev->next = sg->next;
    else if (q->first == sg)
        q->first = sg->next;
    else
        return;
    if (sg->next)
        sg->next->prev = sg->prev;
    else
        q->last = sg->prev;
    sg->next = sg->prev = NULL;
}

/* ---- element copies: a NULL side or a zero size copies nothing -------- */

static void *chanbuf(hchan *c, size_t i)
{
    return c->buf + i * c->elemsize;
}

/* Word-sized elements, the common case, are copied inline rather than
   through a call to memcpy. */
static inline void typedmemmove(hchan *c, void *dst, const void *src)
{
    if (dst == NULL || src == NULL)
        return;
    switch (c->elemsize) {
    case 0:
        return;
    case sizeof(uint32_t):
        memcpy(dst, src, sizeof(uint32_t));
        return;
    case sizeof(uint64_t):
        memcpy(dst, src, sizeof(uint64_t));
        return;
    default:
        memcpy(dst, src, c->elemsize);
    }
}

void chan_zero(hchan *c, void *dst)
{
    if (dst && c->elemsize)
        memset(dst, 0, c->elemsize);
}

void chan_checksendelem(hchan *c, const void *elem)
{
    if (elem == NULL && c->elemsize != 0)
        gort_throw("chan send: NULL elem with a non-zero element size");
}

/* ---- the steps shared with select ------------------------------------- */

static g *wake(sudog *sg)
{
    g *gp = sg->g;
    sg->elem = NULL;
    sg->success = true;
    gp->param = sg;
    return gp;
}

g *chan_send(hchan *c, sudog *sg, const void *src)
{
    typedmemmove(c, sg->elem, src);
    return wake(sg);
}

g *chan_recv(hchan *c, sudog *sg, void *dst)
{
    if (c->dataqsiz == 0) {
        typedmemmove(c, dst, sg->elem);
    } else {
        /* Full buffer: take the head, put the sender's value at the tail
           (the same slot, since the buffer is full). */
        void *qp = chanbuf(c, c->recvx);
        typedmemmove(c, dst, qp);
        typedmemmove(c, qp, sg->elem);
        if (++c->recvx == c->dataqsiz)
            c->recvx = 0;
        c->sendx = c->recvx;
    }
    return wake(sg);
}

void chan_bufsend(hchan *c, const void *src)
{
    typedmemmove(c, chanbuf(c, c->sendx), src);
    if (++c->sendx == c->dataqsiz)
        c->sendx = 0;
    c->qcount++;
}

void chan_bufrecv(hchan *c, void *dst)
{
    typedmemmove(c, dst, chanbuf(c, c->recvx));
    if (++c->recvx == c->dataqsiz)
        c->recvx = 0;
    c->qcount--;
}

bool parkunlock_rtlock(g *gp, void *lock)
{
    (void)gp;
    rtlock_unlock(lock);
    return true;
}

/* Parks the running G on q with a sudog for elem; c is locked and is
   unlocked once the G is parked.  Returns whether a value passed (false:
   woken by close). */
static bool chanpark(hchan *c, waitq *q, void *elem, const char *reason)
{
    g *gp = getg();
    sudog mysg = { .g = gp, .elem = elem, .c = c };
    gp->waiting = &mysg;
    gp->param = NULL;
    waitq_enqueue(q, &mysg);
    gopark(parkunlock_rtlock, &c->lock, reason);
    if (gp->param != &mysg)
        gort_throw("chan: spurious wakeup");
    gp->waiting = NULL;
    gp->param = NULL;
    return mysg.success;
}

/* A NULL channel blocks forever; deadlock detection sees the G parked. */
static _Noreturn void parkforever(const char *reason)
{
    for (;;)
        gopark(NULL, NULL, reason);
}

/* ---- the public operations ------------------------------------------- */

gort_chan *gort_chan_new(size_t elem_size, size_t cap)
{
    size_t bytes, hdr = sizeof(hchan); /* a multiple of its 64-byte alignment */
    if (__builtin_mul_overflow(elem_size, cap, &bytes) || bytes > PTRDIFF_MAX - hdr) {
        errno = ENOMEM;
        return NULL;
    }
    void *v;
    if (posix_memalign(&v, _Alignof(hchan), hdr + bytes) != 0) {
        errno = ENOMEM;
        return NULL;
    }
    hchan *c = memset(v, 0, hdr); /* the buffer's slots are written before they are read */
    c->elemsize = elem_size;
    c->dataqsiz = cap;
    if (bytes)
        c->buf = (char *)c + hdr;
    return c;
}

void gort_chan_free(gort_chan *c)
{
    if (c == NULL)
        return;
    rtlock_lock(&c->lock);
    bool waiters = c->recvq.first || c->sendq.first;
    rtlock_unlock(&c->lock);
    if (waiters)
        gort_throw("free of a channel that goroutines wait on");
    free(c);
}

/* Go's chansend; returns false only when !block and it would block. */
static bool chansend(hchan *c, const void *elem, bool block)
{
    if (c == NULL) {
        if (!block)
            return false;
        parkforever("chan send (nil chan)");
    }
    chan_checksendelem(c, elem);
    rtlock_lock(&c->lock);
    if (c->closed) {
        rtlock_unlock(&c->lock);
        gort_throw("send on closed channel");
    }
    sudog *sg = waitq_dequeue(&c->recvq);
    if (sg) {
        g *gp = chan_send(c, sg, elem);
        rtlock_unlock(&c->lock);
        goready(gp);
        return true;
    }
    if (c->qcount < c->dataqsiz) {
        chan_bufsend(c, elem);
        rtlock_unlock(&c->lock);
        return true;
    }
    if (!block) {
        rtlock_unlock(&c->lock);
        return false;
    }
    /* The receiver copies from elem while we are parked, so the caller's
       value stays in place until then. */
    if (!chanpark(c, &c->sendq, (void *)elem, "chan send"))
        gort_throw("send on closed channel");
    return true;
}

/* Go's chanrecv: *selected is false only when !block and it would block;
   the result is false when the channel is closed and drained. */
static bool chanrecv(hchan *c, void *elem, bool block, bool *selected)
{
    *selected = true;
    if (c == NULL) {
        if (!block) {
            *selected = false;
            return false;
        }
        parkforever("chan receive (nil chan)");
    }
    rtlock_lock(&c->lock);
    /* Senders wait only while the buffer is full (always, unbuffered):
       otherwise sendq, on the header's second line, is not looked at. */
    sudog *sg = NULL;
    if (!c->closed && c->qcount == c->dataqsiz)
        sg = waitq_dequeue(&c->sendq);
    if (sg) {
        g *gp = chan_recv(c, sg, elem);
        rtlock_unlock(&c->lock);
        goready(gp);
        return true;
    }
    if (c->qcount > 0) {
        chan_bufrecv(c, elem);
        rtlock_unlock(&c->lock);
        return true;
    }
    if (c->closed) {
        rtlock_unlock(&c->lock);
        chan_zero(c, elem);
        return false;
    }
    if (!block) {
        rtlock_unlock(&c->lock);
        *selected = false;
        return false;
    }
    return chanpark(c, &c->recvq, elem, "chan receive");
}

void gort_chan_send(gort_chan *c, const void *elem)
{
    gort_checkblock("gort_chan_send");
    chansend(c, elem, true);
}

bool gort_chan_recv(gort_chan *c, void *elem)
{
    gort_checkblock("gort_chan_recv");
    bool selected;
    return chanrecv(c, elem, true, &selected);
}

bool gort_chan_trysend(gort_chan *c, const void *elem)
{
    return chansend(c, elem, false);
}

bool gort_chan_tryrecv(gort_chan *c, void *elem, bool *ok)
{
    bool selected, received = chanrecv(c, elem, false, &selected);
    if (selected && ok)
        *ok = received;
    return selected;
}

void gort_chan_close(gort_chan *c)
{
    if (c == NULL)
        gort_throw("close of nil channel");
    rtlock_lock(&c->lock);
    if (c->closed) {
        rtlock_unlock(&c->lock);
        gort_throw("close of closed channel");
    }
    c->closed = true;
    /* Collect every waiter (through the now unused sudog->next) and ready
       them once the lock is released: receivers get the zero value,
       senders wake to die with "send on closed channel". */
    sudog *list = NULL, *sg;
    while ((sg = waitq_dequeue(&c->recvq)) != NULL) {
        chan_zero(c, sg->elem);
        sg->next = list;
        list = sg;
    }
    while ((sg = waitq_dequeue(&c->sendq)) != NULL) {
        sg->next = list;
        list = sg;
    }
    for (sg = list; sg; sg = sg->next) {
        sg->elem = NULL;
        sg->success = false;
        sg->g->param = sg;
    }
    rtlock_unlock(&c->lock);
    /* A sudog dies with its G's stack frame once the G runs: take the link
       before readying. */
    while (list) {
        sg = list;
        list = sg->next;
        goready(sg->g);
    }
}

size_t gort_chan_len(gort_chan *c)
{
    if (c == NULL)
        return 0;
    rtlock_lock(&c->lock);
    size_t n = c->qcount;
    rtlock_unlock(&c->lock);
    return n;
}

size_t gort_chan_cap(gort_chan *c)
{
    return c ? c->dataqsiz : 0;
}
