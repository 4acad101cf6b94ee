/*
 * netpoll.c - the netpoller: one libuv loop on a dedicated thread that
 * readies goroutines waiting for an fd (the only file that talks to
 * libuv).  See sched/net.c for the fd calls built on it.
 *
 * A goroutine that would block on an fd (read/accept got EAGAIN) fills a
 * pollreq on its own stack - fd, events, deadline - and parks; the unlock
 * function, which runs once the G's context is saved, appends the request
 * to a locked queue and calls uv_async_send, the only libuv call made from
 * other threads.  The loop thread drains the queue: for each request it
 * starts a uv_poll_t (and a uv_timer_t for a deadline); the first of
 * readiness, deadline, or cancellation (gort_close of the fd) stops both
 * and closes the handles, and the last close callback readies the G with
 * the result.  So the request, which lives on the parked G's stack, is
 * never touched after goready, and a handle is never freed while libuv
 * still holds it.
 *
 * sched.nnetwait counts parked waiters: while it is nonzero no deadlock is
 * declared.  libuv allows one poll handle per fd, so at most one goroutine
 * may wait on an fd at a time (a second one gets EBUSY).
 *
 * The loop thread starts with the first wait of a run; netpollstop (from
 * gort_run, before the run's memory is freed) closes every handle, lets
 * the loop finish and joins it.  Waiters still parked then are abandoned
 * with their goroutines.
 */
#include <errno.h>
#include <stdlib.h>
#include <uv.h>

#include "proc.h"

enum { REQ_WAIT, REQ_CANCEL };

typedef struct pollreq pollreq;
struct pollreq {
    int kind;                 /* REQ_WAIT or REQ_CANCEL (all waits on fd) */
    int fd;
    int events;               /* UV_READABLE | UV_WRITABLE */
    int64_t deadline;         /* nanotime; 0: none */
    g *gp;
    int result;               /* 0 ready, -ETIMEDOUT, -ECANCELED, -errno */
    int open;                 /* handles not yet closed */
    bool done;
    uv_poll_t poll;
    uv_timer_t timer;
    pollreq *next;            /* the submission queue, then the loop's active list */
};

static struct {
    pthread_mutex_t mu;       /* guards started, queue */
    bool started, stopping;
    pthread_t thread;
    uv_loop_t loop;
    uv_async_t async;
    pollreq *queue;           /* submitted, not yet seen by the loop */
    pollreq *active;          /* loop thread only */
} np = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void reqclosed(uv_handle_t *h)
{
    pollreq *r = h->data;
    if (--r->open > 0)
        return;
    if (r->kind == REQ_WAIT)
        atomic_fetch_sub(&sched.nnetwait, 1);
    goready(r->gp);
}

static void unlink_active(pollreq *r)
{
    for (pollreq **pp = &np.active; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            return;
        }
}

/* Finishes a wait: stops and closes its handles; the last close readies. */
static void finish(pollreq *r, int result)
{
    if (r->done)
        return;
    r->done = true;
    r->result = result;
    unlink_active(r);
    uv_close((uv_handle_t *)&r->poll, reqclosed);
    if (r->deadline)
        uv_close((uv_handle_t *)&r->timer, reqclosed);
}

static void pollcb(uv_poll_t *h, int status, int events)
{
    (void)events;
    finish(h->data, status < 0 ? status : 0);
}

static void timercb(uv_timer_t *h)
{
    finish(h->data, -ETIMEDOUT);
}

static void startreq(pollreq *r)
{
    if (r->kind == REQ_CANCEL) {
        for (pollreq *a = np.active, *next; a; a = next) {
            next = a->next;
            if (a->fd == r->fd)
                finish(a, -ECANCELED);
        }
        goready(r->gp); /* every handle on fd is closing: close(fd) is safe
                           once their callbacks ran, which the loop does
                           before it polls again */
        return;
    }
    for (pollreq *a = np.active; a; a = a->next)
        if (a->fd == r->fd) {
            r->result = -EBUSY;
            atomic_fetch_sub(&sched.nnetwait, 1);
            goready(r->gp);
            return;
        }
    r->poll.data = r;
    int err = uv_poll_init(&np.loop, &r->poll, r->fd);
    if (err == 0)
        err = uv_poll_start(&r->poll, r->events, pollcb);
    r->open = 1;
    r->next = np.active;
    np.active = r;
    if (err) {
        finish(r, err);
        return;
    }
    if (r->deadline) {
        uv_timer_init(&np.loop, &r->timer);
        r->timer.data = r;
        r->open = 2;
        int64_t ns = r->deadline - nanotime();
        uv_timer_start(&r->timer, timercb, ns > 0 ? (uint64_t)(ns + 999999) / 1000000 : 0, 0);
    }
}

static void closeall(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void asynccb(uv_async_t *h)
{
    (void)h;
    pthread_mutex_lock(&np.mu);
    pollreq *q = np.queue;
    np.queue = NULL;
    bool stopping = np.stopping;
    pthread_mutex_unlock(&np.mu);
    if (stopping) {
        /* Abandoned waiters: their Gs are never readied. */
        np.active = NULL;
        uv_walk(&np.loop, closeall, NULL);
        return;
    }
    /* The queue is LIFO; start in submission order. */
    pollreq *rev = NULL;
    while (q) {
        pollreq *next = q->next;
        q->next = rev;
        rev = q;
        q = next;
    }
    while (rev) {
        pollreq *next = rev->next;
        startreq(rev);
        rev = next;
    }
}

static void *netpollthread(void *arg)
{
    (void)arg;
    uv_run(&np.loop, UV_RUN_DEFAULT);
    return NULL;
}

/* Starts the loop thread if this run has none.  np.mu held. */
static void netpollinit(void)
{
    if (np.started)
        return;
    if (uv_loop_init(&np.loop) != 0 || uv_async_init(&np.loop, &np.async, asynccb) != 0)
        gort_throw("netpoll: cannot initialise the libuv loop");
    np.active = NULL;
    np.stopping = false;
    int err = pthread_create(&np.thread, NULL, netpollthread, NULL);
    if (err != 0) {
        errno = err;
        gort_throw("netpoll: cannot create the poller thread");
    }
    np.started = true;
}

static bool submit(g *gp, void *arg)
{
    (void)gp;
    pollreq *r = arg;
    pthread_mutex_lock(&np.mu);
    if (atomic_load(&sched.exiting)) {
        pthread_mutex_unlock(&np.mu); /* the run is over: stays parked */
        return true;
    }
    netpollinit();
    r->next = np.queue;
    np.queue = r;
    pthread_mutex_unlock(&np.mu);
    uv_async_send(&np.async);
    return true;
}

int netpollwait(int fd, int events, int64_t deadline)
{
    gort_checkblock("netpoll wait");
    if (deadline && deadline <= nanotime())
        return -ETIMEDOUT;
    pollreq r = {.kind = REQ_WAIT, .fd = fd, .deadline = deadline, .gp = getg()};
    r.events = ((events & 1) ? UV_READABLE : 0) | ((events & 2) ? UV_WRITABLE : 0);
    atomic_fetch_add(&sched.nnetwait, 1);
    gopark(submit, &r, "IO wait");
    return r.result;
}

void netpollcancel(int fd)
{
    gort_checkblock("gort_close");
    pollreq r = {.kind = REQ_CANCEL, .fd = fd, .gp = getg()};
    gopark(submit, &r, "IO close");
}

void netpollstop(void)
{
    pthread_mutex_lock(&np.mu);
    if (!np.started) {
        pthread_mutex_unlock(&np.mu);
        return;
    }
    np.stopping = true;
    pthread_mutex_unlock(&np.mu);
    uv_async_send(&np.async);
    pthread_join(np.thread, NULL);
    if (uv_loop_close(&np.loop) != 0)
        gort_throw("netpoll: libuv handles left open at exit");
    np.queue = NULL;
    np.started = false;
}
