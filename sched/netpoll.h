/*
 * netpoll.h - the poll descriptor shared by net.c (the fd calls),
 * netpoll.c (parking on an fd, deadlines, close) and netpoll_uv.c (the
 * libuv seam).  See netpoll.c for the protocol.
 */
#ifndef GORT_SCHED_NETPOLL_H
#define GORT_SCHED_NETPOLL_H

#include "runtime.h"
#include "gort/sync.h"

enum { POLL_READ = 1, POLL_WRITE = 2 };

/* What a parked G finds in its wait when it runs again. */
typedef struct pollwait {
    g *gp;
    int err;                  /* 0: the fd is ready; -ETIMEDOUT, -ECANCELED */
} pollwait;

/* One per fd number, made at its first use and reused after a close;
   never freed while a run lasts (so a late call on a closed fd finds a
   closed pollDesc, not freed memory). */
typedef struct pollDesc pollDesc;
struct pollDesc {
    int fd;
    _Atomic int state;        /* PD_FREE, PD_OPEN, PD_CLOSING, PD_CLOSED */
    _Atomic int ref;          /* 1 while open, + calls in progress */
    uint32_t csema;           /* gort_net_close waits here for ref == 0 */
    /* The waiter of each direction: 0, PD_WAIT, PD_READY, PD_EXPIRED, or
       the pollwait of the parked G (netpoll.c). */
    _Atomic uintptr_t rw, ww;
    gtimer rt, wt;            /* deadlines of the parked reader and writer */
    gort_mutex rmu, wmu;      /* one reader and one writer at a time */
    /* netpoll_uv.c's, under its lock or its loop's owner only. */
    void *handle;             /* the uv_poll_t, NULL until first armed */
    _Atomic int armed;        /* POLL_* the handle is started for */
    bool queued;              /* on the owner's queue of pds to re-arm */
    pollDesc *qlink;
};

enum { PD_FREE, PD_OPEN, PD_CLOSING, PD_CLOSED };

/* netpoll.c */
pollDesc *pdacquire(int fd, int *err); /* a reference to fd's open pd */
void pdrelease(pollDesc *pd);
int netpollblock(pollDesc *pd, int mode, int64_t deadline); /* 0: retry the call */
int pdclose(pollDesc *pd);             /* evicts the waiters, then closes fd */
int pdwanted(pollDesc *pd);            /* POLL_* some G waits for */
/* Takes the waiters of the directions in events; returns the directions
   to keep polling: those some G waits for, and (unless idle: the poll is
   an idle M's) those whose woken G has not run yet. */
int netpollready(pollDesc *pd, int events, bool idle, g **list);
void pdfreeall(void);                  /* end of a run */

/* netpoll_uv.c: the loop (see its top comment) */
void netpollarm(pollDesc *pd);         /* the handle polls for pdwanted(pd) */
void netpollclose(pollDesc *pd);       /* the handle is stopped and closed */
long netpollfs(int write, int fd, void *buf, size_t n, int64_t off);
struct addrinfo;
/* getaddrinfo on the thread pool; a libuv error (UV_EAI_*) or 0. */
int netpollresolve(const char *host, const char *service, const struct addrinfo *hints,
                   struct addrinfo **res);
int netpoll(int64_t until, g **list);  /* -1: another M polls; else Gs readied */
bool netpollbreak(void);               /* wakes a blocked netpoll; false if none */
int64_t netpolllast(void);             /* nanotime of the last poll; 0: no loop */
void netpollstop(void);                /* end of a run: closes the loop */

#endif /* GORT_SCHED_NETPOLL_H */
