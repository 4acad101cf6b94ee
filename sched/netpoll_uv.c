/*
 * netpoll_uv.c - the libuv loop behind the netpoller: the one file that
 * talks to libuv (Go's netpoll_epoll.go).  See netpoll.c for the poll
 * descriptors and the waiting protocol.
 *
 * One loop per run, with no thread of its own: it is driven by whichever
 * M owns it, as Go's findrunnable polls.  An M that runs out of work polls
 * it without blocking (netpoll(0)); the M about to sleep while goroutines
 * wait for I/O blocks in it instead (uv_run once, bounded by the earliest
 * timer) and runs what it readies.  sysmon polls it when nobody has for
 * 10 ms, so busy Ps do not starve I/O.
 *
 * Ownership.  libuv is not thread-safe, so only the owner (np.owned, taken
 * under np.mu) calls into it, except uv_async_send.  Work for the loop
 * from other threads - a pd to re-arm, a handle to close, a file request
 * - is done at once by a thread that can take ownership, and otherwise
 * queued under np.mu for the owner, who drains the queues before it gives
 * ownership up; if the owner is blocked in uv_run (np.blocking), the
 * queuer wakes it with uv_async_send.  So a queued item is always applied
 * by an owner that is running or about to run.
 *
 * Arming.  A pd's uv_poll_t is started level-triggered when a G parks for
 * a direction it does not poll yet, and keeps polling it across waits (an
 * epoll_ctl per wait would cost more than the wait); a direction that
 * fires while nobody waits is dropped.  A handle is made at a pd's first
 * wait and closed when its fd is (netpollclose, before close(2)).
 *
 * Files and names.  gort_file_read/write hand a uv_fs request to the loop
 * (libuv's thread pool runs pread/pwrite), and name lookups a
 * uv_getaddrinfo one, and park; the completion callback, on the owner's
 * thread, readies the G.  They count as I/O waiters
 * (sched.nnetwait), so an M blocks in the loop for them and no deadlock
 * is declared while they run.
 */
#include <errno.h>
#include <stdlib.h>
#include <uv.h>

#include "netpoll.h"
#include "proc.h"

enum { REQ_CLOSE, REQ_READ, REQ_WRITE, REQ_RESOLVE };

/* A request that parks its G until the owner has done it. */
typedef struct npreq npreq;
struct npreq {
    int kind;
    pollDesc *pd;             /* REQ_CLOSE */
    g *gp;
    uv_fs_t fs;               /* REQ_READ, REQ_WRITE */
    int fd;
    uv_buf_t buf;
    int64_t off;
    uv_getaddrinfo_t gai;     /* REQ_RESOLVE */
    const char *host, *service;
    const struct addrinfo *hints;
    struct addrinfo *res;
    long result;
    npreq *next;
};

static struct {
    rtlock mu;                /* guards owned, blocking, the queues, started */
    bool owned;
    bool blocking;            /* the owner waits in uv_run: wake it to queue */
    pollDesc *queue;          /* pds to re-arm */
    npreq *reqs;
    _Atomic bool started;     /* the loop of this run exists */
    bool stopping;            /* netpollstop: completions ready nobody */
    _Atomic int64_t lastpoll; /* nanotime of the last poll */
    uv_loop_t loop;
    uv_async_t wake;
    uv_timer_t timeout;
    g *ready;                 /* owner only: Gs to ready when it gives up */
} np;

/* ---- applying work (owner only) ------------------------------------------ */

static void pollcb(uv_poll_t *h, int status, int events);

/* Gs are readied by whoever gives the loop up (disown's caller), never
   from inside it: the owner may be sysmon, which is not an M. */
static void npready(g *gp)
{
    gp->schedlink = np.ready;
    np.ready = gp;
}

static void freehandle(uv_handle_t *h)
{
    free(h);
}

/* Starts pd's handle for the directions in `want`, or stops it. */
static void setarmed(pollDesc *pd, int want)
{
    uv_poll_t *h = pd->handle;
    if (h == NULL) {
        h = malloc(sizeof *h);
        if (h == NULL || uv_poll_init(&np.loop, h, pd->fd) != 0)
            gort_throw("netpoll: cannot poll an fd (not a socket, pipe or terminal?)");
        h->data = pd;
        pd->handle = h;
    }
    int err = want ? uv_poll_start(h, ((want & POLL_READ) ? UV_READABLE : 0) |
                                          ((want & POLL_WRITE) ? UV_WRITABLE : 0),
                                   pollcb)
                   : uv_poll_stop(h);
    if (err != 0)
        gort_throw("netpoll: uv_poll_start failed");
    atomic_store(&pd->armed, want);
}

/* Makes pd's handle poll for every direction some G waits for. */
static void rearm(pollDesc *pd)
{
    int armed = atomic_load(&pd->armed);
    int want = pdwanted(pd);
    if (want & ~armed)
        setarmed(pd, armed | want);
}

static void pollcb(uv_poll_t *h, int status, int events)
{
    pollDesc *pd = h->data;
    if (status < 0) {
        /* An error (a reset connection, say): libuv has stopped the
           handle.  Both directions wake, retry their calls and see the
           error; a later wait arms the handle again. */
        atomic_store(&pd->armed, 0);
        netpollready(pd, POLL_READ | POLL_WRITE, true, &np.ready);
        rearm(pd);
        return;
    }
    int ev = ((events & UV_READABLE) ? POLL_READ : 0) | ((events & UV_WRITABLE) ? POLL_WRITE : 0);
    int idle = ev & ~netpollready(pd, ev, np.blocking, &np.ready);
    if (idle == 0)
        return;
    /* A direction that fired with nobody waiting stops being polled, or
       it would fire on every poll.  A G that read `armed` before this
       store skipped netpollarm, but stored its wait first: the rearm
       after it sees that wait (both sides store, then load). */
    setarmed(pd, atomic_load(&pd->armed) & ~idle);
    rearm(pd);
}

static void fsdone(uv_fs_t *fs)
{
    npreq *r = fs->data;
    r->result = (long)fs->result;
    uv_fs_req_cleanup(fs);
    if (!np.stopping)
        npready(r->gp);
}

static void resolved(uv_getaddrinfo_t *gai, int status, struct addrinfo *res)
{
    npreq *r = gai->data;
    r->result = status;
    r->res = res;
    if (!np.stopping)
        npready(r->gp);
    else
        uv_freeaddrinfo(res);
}

static void startreq(npreq *r)
{
    if (r->kind == REQ_CLOSE) {
        pollDesc *pd = r->pd;
        if (pd->handle) {
            uv_close(pd->handle, freehandle); /* stops polling the fd now */
            pd->handle = NULL;
            atomic_store(&pd->armed, 0);
        }
        npready(r->gp);
        return;
    }
    int err;
    if (r->kind == REQ_RESOLVE) {
        r->gai.data = r;
        err = uv_getaddrinfo(&np.loop, &r->gai, resolved, r->host, r->service, r->hints);
        if (err != 0) {
            r->result = err;
            npready(r->gp);
        }
        return;
    }
    r->fs.data = r;
    err = r->kind == REQ_READ
                  ? uv_fs_read(&np.loop, &r->fs, r->fd, &r->buf, 1, r->off, fsdone)
                  : uv_fs_write(&np.loop, &r->fs, r->fd, &r->buf, 1, r->off, fsdone);
    if (err != 0) {
        r->result = err;
        npready(r->gp);
    }
}

/* Applies queued work; np.mu held on entry and on return.  A pd is taken
   off the queue one at a time under np.mu: once `queued` is false another
   thread may queue it again, which rewrites its qlink. */
static void drain(void)
{
    while (np.queue || np.reqs) {
        pollDesc *pd = np.queue;
        if (pd) {
            np.queue = pd->qlink;
            pd->queued = false;
            rtlock_unlock(&np.mu);
            rearm(pd);
            rtlock_lock(&np.mu);
            continue;
        }
        npreq *rq = np.reqs; /* each is its parked G's: nobody else links it */
        np.reqs = NULL;
        rtlock_unlock(&np.mu);
        npreq *rev = NULL; /* the queue is LIFO: start in submission order */
        while (rq) {
            npreq *next = rq->next;
            rq->next = rev;
            rev = rq;
            rq = next;
        }
        while (rev) {
            npreq *next = rev->next; /* startreq may ready rev's G */
            startreq(rev);
            rev = next;
        }
        rtlock_lock(&np.mu);
    }
}

/* Drains what was queued meanwhile and gives the loop up; returns the
   Gs readied meanwhile (the caller readies them). */
static g *disown(void)
{
    rtlock_lock(&np.mu);
    drain();
    g *ready = np.ready;
    np.ready = NULL;
    np.owned = false;
    rtlock_unlock(&np.mu);
    return ready;
}

static void readylist(g *list)
{
    while (list) {
        g *gp = list;
        list = gp->schedlink;
        goready(gp);
    }
}

static void wakecb(uv_async_t *h)
{
    (void)h;
    rtlock_lock(&np.mu);
    drain();
    rtlock_unlock(&np.mu);
}

static void nop(uv_timer_t *h)
{
    (void)h;
}

/* Makes this run's loop if it has none.  np.mu held. */
static void start(void)
{
    if (atomic_load(&np.started))
        return;
    if (uv_loop_init(&np.loop) != 0 || uv_async_init(&np.loop, &np.wake, wakecb) != 0 ||
        uv_timer_init(&np.loop, &np.timeout) != 0)
        gort_throw("netpoll: cannot initialise the libuv loop");
    atomic_store(&np.lastpoll, nanotime());
    atomic_store(&np.started, true);
}

/* ---- from any thread --------------------------------------------------- */

/* Takes the loop, or queues: returns true if the caller now owns it. */
static bool ownorqueue(pollDesc *pd, npreq *r)
{
    rtlock_lock(&np.mu);
    start();
    if (!np.owned) {
        np.owned = true;
        rtlock_unlock(&np.mu);
        return true;
    }
    if (pd && !pd->queued) {
        pd->queued = true;
        pd->qlink = np.queue;
        np.queue = pd;
    }
    if (r) {
        r->next = np.reqs;
        np.reqs = r;
    }
    bool wake = np.blocking;
    rtlock_unlock(&np.mu);
    if (wake)
        uv_async_send(&np.wake);
    return false;
}

void netpollarm(pollDesc *pd)
{
    if (ownorqueue(pd, NULL)) {
        rearm(pd);
        readylist(disown());
    }
}

static bool submit(g *gp, void *arg)
{
    (void)gp;
    npreq *r = arg;
    if (ownorqueue(NULL, r)) {
        startreq(r);
        readylist(disown());
    }
    return true;
}

void netpollclose(pollDesc *pd)
{
    npreq r = {.kind = REQ_CLOSE, .pd = pd, .gp = getg()};
    atomic_fetch_add(&sched.nnetwait, 1);
    gopark(submit, &r, "IO close");
    atomic_fetch_sub(&sched.nnetwait, 1);
}

long netpollfs(int write, int fd, void *buf, size_t n, int64_t off)
{
    gort_checkblock(write ? "gort_file_write" : "gort_file_read");
    if (n > UINT32_MAX) /* uv_buf_t's length on some platforms; short I/O is fine */
        n = UINT32_MAX;
    npreq r = {.kind = write ? REQ_WRITE : REQ_READ, .gp = getg(), .fd = fd,
               .buf = uv_buf_init(buf, (unsigned)n), .off = off};
    atomic_fetch_add(&sched.nnetwait, 1);
    gopark(submit, &r, write ? "file write" : "file read");
    atomic_fetch_sub(&sched.nnetwait, 1);
    return r.result;
}

int netpollresolve(const char *host, const char *service, const struct addrinfo *hints,
                   struct addrinfo **res)
{
    npreq r = {.kind = REQ_RESOLVE, .gp = getg(), .host = host, .service = service,
               .hints = hints};
    atomic_fetch_add(&sched.nnetwait, 1);
    gopark(submit, &r, "DNS lookup");
    atomic_fetch_sub(&sched.nnetwait, 1);
    *res = r.res;
    return (int)r.result;
}

int netpoll(int64_t until, g **list)
{
    *list = NULL;
    if (!atomic_load(&np.started))
        return 0;
    rtlock_lock(&np.mu);
    if (np.owned) {
        int busy = np.blocking ? -1 : -2;
        rtlock_unlock(&np.mu);
        return busy;
    }
    np.owned = true;
    /* An exit or an earlier timer that comes from now on sees blocking
       and wakes us (netpollbreak); one that came before is seen here. */
    if (atomic_load(&sched.exiting))
        until = 0;
    np.blocking = until != 0;
    drain();
    rtlock_unlock(&np.mu);
    if (until != 0) {
        int64_t next = timersnext();
        if (next && (until < 0 || next < until))
            until = next;
    }
    if (until > 0) {
        int64_t ns = until - nanotime();
        if (ns <= 0) {
            until = 0;
        } else {
            uv_update_time(&np.loop);
            uv_timer_start(&np.timeout, nop, (uint64_t)(ns + 999999) / 1000000, 0);
        }
    }
    uv_run(&np.loop, until ? UV_RUN_ONCE : UV_RUN_NOWAIT);
    uv_timer_stop(&np.timeout);
    atomic_store(&np.lastpoll, nanotime());
    rtlock_lock(&np.mu);
    np.blocking = false;
    rtlock_unlock(&np.mu);
    g *ready = disown();
    int n = 0;
    for (g *gp = ready; gp; gp = gp->schedlink)
        n++;
    *list = ready;
    return n;
}

int64_t netpolllast(void)
{
    return atomic_load(&np.started) ? atomic_load(&np.lastpoll) : 0;
}

bool netpollbreak(void)
{
    if (!atomic_load(&np.started))
        return false;
    rtlock_lock(&np.mu);
    bool blocked = np.owned && np.blocking;
    rtlock_unlock(&np.mu);
    if (blocked)
        uv_async_send(&np.wake);
    return blocked;
}

static void closeall(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, h->type == UV_POLL ? freehandle : NULL);
}

void netpollstop(void)
{
    if (!atomic_load(&np.started))
        return;
    /* Every M has stopped: this thread owns the loop.  Waiters left are
       abandoned with their goroutines; file requests in a pool thread are
       waited for. */
    np.queue = NULL;
    np.reqs = NULL;
    np.owned = np.blocking = false;
    np.stopping = true;
    uv_walk(&np.loop, closeall, NULL);
    uv_run(&np.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&np.loop) != 0)
        gort_throw("netpoll: libuv handles left open at exit");
    np.ready = NULL; /* closes of abandoned goroutines */
    np.stopping = false;
    atomic_store(&np.started, false);
}
