/*
 * gort/chan.h - channels, select and timers.  Included by gort.h; do not
 * include directly.
 *
 * Go's semantics throughout: a send happens before the matching receive
 * completes; waiters are served in FIFO order; a NULL channel is Go's nil
 * channel (send and receive block forever, close is fatal, a select case
 * on it never fires).  Misuse is a fatal error ("fatal error: MESSAGE",
 * exit status 2): send on a closed channel (also when the sender was
 * parked before the close, and inside any select), close of a closed or
 * NULL channel, freeing a channel that goroutines wait on.
 *
 * Calls that cannot block (close, len, cap, the try forms, a non-blocking
 * select, every timer call) work from any thread while a gort_run is
 * active; a call that can block, made outside a goroutine, is fatal.
 */
#ifndef GORT_CHAN_H
#define GORT_CHAN_H

#include "../gort.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gort_chan gort_chan;

/* A channel of cap elements of elem_size bytes (cap 0: unbuffered; an
   elem_size of 0 is fine).  NULL with errno ENOMEM when elem_size * cap
   overflows or cannot be allocated. */
GORT_API gort_chan *gort_chan_new(size_t elem_size, size_t cap);
/* Frees c (NULL is a no-op).  Allowed once no goroutine is blocked on c or
   inside an operation on it; freeing a channel with waiters is fatal. */
GORT_API void gort_chan_free(gort_chan *c);
/* Blocks until the value at elem (elem_size bytes; NULL only when
   elem_size is 0) is handed over. */
GORT_API void gort_chan_send(gort_chan *c, const void *elem);
/* Blocks for a value and stores it at elem (NULL discards it).  Returns
   false when c is closed and drained; *elem is then zeroed. */
GORT_API bool gort_chan_recv(gort_chan *c, void *elem);
/* Non-blocking forms (Go's select with a default case).  trysend returns
   whether the value was sent.  tryrecv returns whether a receive
   completed; *ok (if ok is not NULL) is then as gort_chan_recv's result. */
GORT_API bool gort_chan_trysend(gort_chan *c, const void *elem);
GORT_API bool gort_chan_tryrecv(gort_chan *c, void *elem, bool *ok);
GORT_API void gort_chan_close(gort_chan *c);
GORT_API size_t gort_chan_len(gort_chan *c);   /* elements buffered; 0 for NULL */
GORT_API size_t gort_chan_cap(gort_chan *c);   /* 0 for NULL */

/* ---- select ----------------------------------------------------------- */

typedef enum { GORT_SEND, GORT_RECV } gort_dir;

typedef struct {
    gort_chan *chan;  /* NULL: the case never fires */
    gort_dir dir;
    void *elem;       /* the value to send, or where to store the received one */
    bool ok;          /* written only for the case that ran: for a receive,
                         false when the channel was closed and drained */
} gort_case;

/* Runs one ready case, chosen uniformly at random, and returns its index;
   with block, waits until one is ready.  Without block, -1 when none is
   ready.  Only the case that ran has its elem and ok written.
   gort_select(NULL, 0, true) blocks forever (Go's select {}). */
GORT_API int gort_select(gort_case *cases, size_t n, bool block);

/* ---- timers (Go's time.NewTimer and time.NewTicker) ------------------- */

typedef struct gort_timer gort_timer;

/* A timer that fires once, ns from now (ns <= 0: at once): it sends the
   fire time (gort_now's clock) on its channel.  NULL with errno ENOMEM if
   it cannot be allocated. */
GORT_API gort_timer *gort_timer_new(int64_t ns);
/* A ticker that fires every period_ns; when the reader is slow, ticks are
   dropped rather than queued.  NULL with errno EINVAL if period_ns <= 0. */
GORT_API gort_timer *gort_ticker_new(int64_t period_ns);
/* The timer's channel: capacity 1, elements are int64_t fire times. */
GORT_API gort_chan *gort_timer_chan(gort_timer *t);
/* Stops the timer; true if that prevented a pending fire.  As in Go, a
   value already sent stays in the channel. */
GORT_API bool gort_timer_stop(gort_timer *t);
/* Rearms the timer to fire ns from now (a ticker: every ns from now, ns
   must be > 0); true if it was pending.  As Go's Reset. */
GORT_API bool gort_timer_reset(gort_timer *t, int64_t ns);
/* Stops the timer and frees it and its channel. */
GORT_API void gort_timer_free(gort_timer *t);

#ifdef __cplusplus
}
#endif

#endif /* GORT_CHAN_H */
