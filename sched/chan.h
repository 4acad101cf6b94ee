/*
 * chan.h - the channel's data model (Go's hchan, sudog and waitq), shared
 * by chan.c, select.c and the sync primitives that park Gs on lists.
 *
 * A channel is a ring buffer of dataqsiz elements (empty for an unbuffered
 * channel or a zero-size element) plus two FIFO queues of parked Gs: recvq
 * for receivers waiting for a value, sendq for senders waiting for room or
 * a receiver.  Everything in an hchan is guarded by its lock.
 *
 * Invariants (Go's chan.go):
 *  - at most one of sendq and recvq is non-empty, except for an unbuffered
 *    channel with a single G parked in a select that both sends and
 *    receives on it;
 *  - for a buffered channel, qcount > 0 implies recvq is empty and
 *    qcount < dataqsiz implies sendq is empty.
 *
 * A sudog is a G's entry on a wait queue.  It lives on the parked G's own
 * stack: the G cannot return (nor free the memory) before whoever dequeues
 * the sudog has finished with it, since the waker touches the sudog only
 * under the channel lock or before goready.  A G in a select has one
 * sudog per case, linked through waitlink from g->waiting.
 */
#ifndef GORT_SCHED_CHAN_H
#define GORT_SCHED_CHAN_H

#include "runtime.h"

typedef struct gort_chan hchan;

struct sudog {
    g *g;
    sudog *next, *prev;   /* waitq links */
    void *elem;           /* data element: where a receiver's value goes, or
                             where a sender's value comes from; may be NULL */
    sudog *waitlink;      /* g->waiting list (select) */
    hchan *c;             /* the channel it waits on */
    uint32_t ticket;      /* Cond's notify ticket (sched/cond.c) */
    bool isselect;        /* g is in a select: wakers must win g->selectdone */
    bool success;         /* true: a value passed; false: woken by close */
};

typedef struct {
    sudog *first, *last;
} waitq;

/* The header is allocated on a cache line of its own, and everything a
   buffered operation touches on the way in - the lock, the counts, the
   indexes and recvq - shares that line, so a channel used from two cores
   moves one line per operation.  sendq is on the next one: a receive
   looks at it only when the buffer is full (the invariants above).  The
   buffer follows the header. */
struct gort_chan {
    rtlock lock;
    bool closed;
    size_t qcount;        /* elements in the buffer */
    size_t dataqsiz;      /* capacity */
    size_t elemsize;
    size_t sendx, recvx;  /* send and receive indexes into the buffer */
    waitq recvq;
    waitq sendq;
    char *buf;            /* dataqsiz * elemsize bytes, NULL when that is 0 */
} __attribute__((aligned(64)));

/* Queue operations; the caller holds the channel lock. */
void waitq_enqueue(waitq *q, sudog *sg);
sudog *waitq_dequeue(waitq *q);
void waitq_remove(waitq *q, sudog *sg);

/* The steps select shares with chan.c (Go's send, recv and the buffer
   operations), each called with c locked; they do not unlock.  send and
   recv complete the operation of the parked G of sg, whose sudog the
   caller has dequeued, and return that G: the caller readies it once it
   has released its locks. */
g *chan_send(hchan *c, sudog *sg, const void *src);
g *chan_recv(hchan *c, sudog *sg, void *dst);
void chan_bufsend(hchan *c, const void *src);
void chan_bufrecv(hchan *c, void *dst);
void chan_zero(hchan *c, void *dst);
/* A send needs a value unless the element size is 0. */
void chan_checksendelem(hchan *c, const void *elem);

/* gopark's unlockf for a single runtime lock. */
bool parkunlock_rtlock(g *gp, void *lock);

#endif /* GORT_SCHED_CHAN_H */
