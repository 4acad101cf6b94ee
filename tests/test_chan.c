/*
 * test_chan.c - channels: Go's rules (DESIGN.md "Channels and select") and
 * the corner cases of Go's test/chan tests and runtime/chan_test.go: FIFO
 * order of parked waiters, non-blocking operations, close waking every
 * receiver and killing parked senders, zero-size elements, thousands of
 * goroutines on one channel, random interleavings at 1 and 2 Ps, and the
 * fatal errors with their messages and exit status 2.
 */
#include <errno.h>
#include <stdint.h>

#include "gort_test.h"

static void waitparked(gort_chan *c, bool senders, int n)
{
    while (gt_nwaiting(c, senders) < n)
        gort_yield();
}

/* ---- basic send and receive ------------------------------------------- */

typedef struct {
    gort_chan *c, *done;
    long n;
} pingarg;

/* Goroutines copy what they need from the spawner's frame: once their
   last operation completes, the spawner may return. */
static void pong(void *arg)
{
    pingarg a = *(pingarg *)arg;
    long v;
    for (long i = 0; i < a.n; i++) {
        GT_CHECK(gort_chan_recv(a.c, &v));
        GT_EQ(v, i);
        v = -i;
        gort_chan_send(a.done, &v);
    }
}

static void pingpong_main(void *arg)
{
    (void)arg;
    pingarg a = { gort_chan_new(sizeof(long), 0), gort_chan_new(sizeof(long), 0),
                  gt_scale(20000, 10) };
    gort_go(pong, &a);
    for (long i = 0; i < a.n; i++) {
        long v = i;
        gort_chan_send(a.c, &v);
        GT_CHECK(gort_chan_recv(a.done, &v));
        GT_EQ(v, -i);
    }
    gort_chan_free(a.c);
    gort_chan_free(a.done);
}

Test(chan, unbuffered_pingpong) { gt_run(pingpong_main, NULL); }

static void buffered_main(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(int), 10);
    GT_EQ(gort_chan_cap(c), 10);
    for (int round = 0; round < 3; round++) { /* wraps the ring */
        for (int i = 0; i < 7; i++) {
            int v = round * 100 + i;
            gort_chan_send(c, &v);
            GT_EQ(gort_chan_len(c), i + 1);
        }
        for (int i = 0; i < 7; i++) {
            int v;
            GT_CHECK(gort_chan_recv(c, &v));
            GT_EQ(v, round * 100 + i);
        }
        GT_EQ(gort_chan_len(c), 0);
    }
    gort_chan_free(c);
}

Test(chan, buffered_fifo_len_cap) { gt_run(buffered_main, NULL); }

/* A full buffer with parked senders: the receiver takes the head and the
   first sender's value moves to the tail, so order is kept end to end. */
typedef struct {
    gort_chan *c;
    int v;
} sendarg;

static void sender(void *arg)
{
    sendarg *s = arg;
    gort_chan_send(s->c, &s->v);
}

static void fullbuf_main(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(int), 3);
    sendarg s[8];
    for (int i = 0; i < 3; i++)
        gort_chan_send(c, &i);
    for (int i = 3; i < 8; i++) {
        s[i] = (sendarg){ c, i };
        gort_go(sender, &s[i]);
        waitparked(c, true, i - 2);
    }
    for (int i = 0; i < 8; i++) {
        int v;
        GT_CHECK(gort_chan_recv(c, &v));
        GT_EQ(v, i);
    }
    GT_EQ(gort_chan_len(c), 0);
    gort_chan_free(c);
}

Test(chan, full_buffer_parked_senders_fifo) { gt_run(fullbuf_main, NULL); }

/* ---- FIFO order of parked waiters ------------------------------------- */

typedef struct {
    gort_chan *c;
    gort_waitgroup *wg;
    int want;
} recvarg;

static void fifo_receiver(void *arg)
{
    recvarg *r = arg;
    int v;
    GT_CHECK(gort_chan_recv(r->c, &v));
    GT_EQ(v, r->want);
    gort_wg_done(r->wg);
}

static void fifo_main(void *arg)
{
    size_t cap = (size_t)(uintptr_t)arg;
    enum { N = 50 };
    gort_chan *c = gort_chan_new(sizeof(int), cap);
    gort_waitgroup wg = GORT_WAITGROUP_INIT;
    recvarg r[N];
    gort_wg_add(&wg, N);
    for (int i = 0; i < N; i++) {
        r[i] = (recvarg){ c, &wg, i };
        gort_go(fifo_receiver, &r[i]);
        waitparked(c, false, i + 1); /* parked in spawn order */
    }
    for (int i = 0; i < N; i++)
        gort_chan_send(c, &i);
    gort_wg_wait(&wg);
    sendarg s[N];
    for (int i = 0; i < N; i++) {
        s[i] = (sendarg){ c, i };
        gort_go(sender, &s[i]);
        if ((size_t)i < cap)
            while (gort_chan_len(c) < (size_t)i + 1)
                gort_yield();
        else
            waitparked(c, true, i + 1 - (int)cap);
    }
    for (int i = 0; i < N; i++) {
        int v;
        GT_CHECK(gort_chan_recv(c, &v));
        GT_EQ(v, i);
    }
    gort_chan_free(c);
}

Test(chan, fifo_parked_unbuffered) { gt_run(fifo_main, (void *)0); }
Test(chan, fifo_parked_buffered) { gt_run(fifo_main, (void *)4); }

/* Go's test/chan/fifo.go: a chain of goroutines, each receiving after the
   previous one, sees the values in send order. */
typedef struct {
    gort_chan *ch, *in, *out;
    int val;
} chainarg;

static void chain(void *arg)
{
    chainarg *a = arg;
    int v;
    gort_chan_recv(a->in, NULL);
    GT_CHECK(gort_chan_recv(a->ch, &v));
    GT_EQ(v, a->val);
    gort_chan_send(a->out, NULL);
}

static void chainfifo_main(void *arg)
{
    (void)arg;
    enum { N = 300 };
    static chainarg a[N];
    static gort_chan *links[N + 1];
    gort_chan *ch = gort_chan_new(sizeof(int), 0);
    for (int i = 0; i <= N; i++)
        links[i] = gort_chan_new(0, 0);
    for (int i = 0; i < N; i++) {
        a[i] = (chainarg){ ch, links[i], links[i + 1], i };
        gort_go(chain, &a[i]);
    }
    gort_chan_send(links[0], NULL);
    for (int i = 0; i < N; i++)
        gort_chan_send(ch, &i);
    gort_chan_recv(links[N], NULL);
    for (int i = 0; i <= N; i++)
        gort_chan_free(links[i]);
    gort_chan_free(ch);
}

Test(chan, synch_fifo_chain) { gt_run(chainfifo_main, NULL); }

/* ---- non-blocking operations (Go's test/chan/nonblock.go) ------------- */

static void nonblock_main(void *arg)
{
    (void)arg;
    for (size_t cap = 0; cap <= 2; cap++) {
        gort_chan *c = gort_chan_new(sizeof(int), cap);
        int v = 7, w = 99;
        bool ok = false;
        GT_CHECK(!gort_chan_tryrecv(c, &w, &ok));
        GT_EQ(w, 99); /* untouched */
        for (size_t i = 0; i < cap; i++)
            GT_CHECK(gort_chan_trysend(c, &v));
        GT_CHECK(!gort_chan_trysend(c, &v)); /* full, or no receiver */
        for (size_t i = 0; i < cap; i++) {
            GT_CHECK(gort_chan_tryrecv(c, &w, &ok));
            GT_CHECK(ok);
            GT_EQ(w, 7);
        }
        gort_chan_close(c);
        w = 5;
        GT_CHECK(gort_chan_tryrecv(c, &w, &ok));
        GT_CHECK(!ok);
        GT_EQ(w, 0);
        gort_chan_free(c);
    }
    /* NULL channel: never ready. */
    int v = 1;
    GT_CHECK(!gort_chan_trysend(NULL, &v));
    GT_CHECK(!gort_chan_tryrecv(NULL, &v, NULL));
    GT_EQ(gort_chan_len(NULL), 0);
    GT_EQ(gort_chan_cap(NULL), 0);
    gort_chan_free(NULL);
}

Test(chan, nonblocking) { gt_run(nonblock_main, NULL); }

/* trysend reaches a parked receiver, tryrecv a parked sender. */
static void nbpeer_recv(void *arg)
{
    int v;
    GT_CHECK(gort_chan_recv(arg, &v));
    GT_EQ(v, 42);
}

static void nbpeer_main(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(int), 0);
    gort_go(nbpeer_recv, c);
    waitparked(c, false, 1);
    int v = 42;
    GT_CHECK(gort_chan_trysend(c, &v));
    sendarg s = { c, 43 };
    gort_go(sender, &s);
    waitparked(c, true, 1);
    bool ok;
    GT_CHECK(gort_chan_tryrecv(c, &v, &ok));
    GT_CHECK(ok);
    GT_EQ(v, 43);
    gort_chan_free(c);
}

Test(chan, nonblocking_meets_parked_peer) { gt_run(nbpeer_main, NULL); }

/* ---- close ------------------------------------------------------------ */

static void closedrain_main(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(long), 4);
    for (long i = 1; i <= 3; i++)
        gort_chan_send(c, &i);
    gort_chan_close(c);
    GT_EQ(gort_chan_len(c), 3);
    long v;
    for (long i = 1; i <= 3; i++) {
        GT_CHECK(gort_chan_recv(c, &v));
        GT_EQ(v, i);
    }
    for (int k = 0; k < 3; k++) { /* closed and drained: zero, false, forever */
        v = -1;
        GT_CHECK(!gort_chan_recv(c, &v));
        GT_EQ(v, 0);
    }
    GT_CHECK(!gort_chan_recv(c, NULL));
    gort_chan_free(c);
}

Test(chan, close_drains_then_zero) { gt_run(closedrain_main, NULL); }

typedef struct {
    gort_chan *c;
    gort_waitgroup *wg;
    _Atomic int *woken;
} closerecvarg;

static void closed_receiver(void *arg)
{
    closerecvarg *a = arg;
    long v = 12345;
    GT_CHECK(!gort_chan_recv(a->c, &v));
    GT_EQ(v, 0);
    atomic_fetch_add(a->woken, 1);
    gort_wg_done(a->wg);
}

static void closewake_main(void *arg)
{
    (void)arg;
    enum { N = 200 };
    gort_chan *c = gort_chan_new(sizeof(long), 0);
    gort_waitgroup wg = GORT_WAITGROUP_INIT;
    _Atomic int woken = 0;
    closerecvarg a = { c, &wg, &woken };
    gort_wg_add(&wg, N);
    for (int i = 0; i < N; i++)
        gort_go(closed_receiver, &a);
    waitparked(c, false, N);
    gort_chan_close(c);
    gort_wg_wait(&wg);
    GT_EQ(atomic_load(&woken), N);
    gort_chan_free(c);
}

Test(chan, close_wakes_every_receiver) { gt_run(closewake_main, NULL); }

/* ---- zero-size elements ----------------------------------------------- */

static void zsender(void *arg)
{
    for (int i = 0; i < 100; i++)
        gort_chan_send(arg, NULL);
}

static void zerosize_main(void *arg)
{
    (void)arg;
    for (size_t cap = 0; cap <= 5; cap += 5) {
        gort_chan *c = gort_chan_new(0, cap);
        GT_CHECK(c != NULL);
        GT_EQ(gort_chan_cap(c), cap);
        for (int i = 0; i < 4; i++)
            gort_go(zsender, c);
        for (int i = 0; i < 400; i++) {
            char dummy = 'x';
            GT_CHECK(gort_chan_recv(c, i % 2 ? NULL : &dummy));
            GT_EQ(dummy, 'x'); /* zero bytes written */
        }
        GT_EQ(gort_chan_len(c), 0);
        if (cap) {
            GT_CHECK(gort_chan_trysend(c, NULL));
            GT_EQ(gort_chan_len(c), 1);
        }
        gort_chan_close(c);
        GT_EQ(gort_chan_recv(c, NULL), cap != 0);
        GT_CHECK(!gort_chan_recv(c, NULL));
        gort_chan_free(c);
    }
}

Test(chan, zero_size_elements) { gt_run(zerosize_main, NULL); }

/* ---- creation --------------------------------------------------------- */

Test(chan, new_overflow_enomem)
{
    errno = 0;
    cr_assert_null(gort_chan_new(SIZE_MAX / 2, 3));
    cr_assert_eq(errno, ENOMEM);
    errno = 0;
    cr_assert_null(gort_chan_new(1, SIZE_MAX));
    cr_assert_eq(errno, ENOMEM);
    gort_chan *c = gort_chan_new(8, 0);
    cr_assert_not_null(c);
    gort_chan_free(c);
}

/* A value sent outlives the sender's frame: it is copied, large too. */
typedef struct {
    char bytes[1000];
} big;

static void bigsender(void *arg)
{
    big b;
    memset(b.bytes, 0x5a, sizeof b.bytes);
    gort_chan_send(arg, &b);
    memset(b.bytes, 0, sizeof b.bytes);
}

static void bigelem_main(void *arg)
{
    (void)arg;
    for (size_t cap = 0; cap <= 2; cap += 2) {
        gort_chan *c = gort_chan_new(sizeof(big), cap);
        gort_go(bigsender, c);
        gort_go(bigsender, c);
        for (int k = 0; k < 2; k++) {
            big b;
            GT_CHECK(gort_chan_recv(c, &b));
            for (size_t i = 0; i < sizeof b.bytes; i++)
                GT_EQ(b.bytes[i], 0x5a);
        }
        gort_chan_free(c);
    }
}

Test(chan, large_elements) { gt_run(bigelem_main, NULL); }

/* ---- many goroutines on one channel ----------------------------------- */

/* Thousands of goroutines on one channel: 10,000, 2,000 under ASan.
   ThreadSanitizer makes every goroutine a fiber context, which costs it
   milliseconds each on a busy machine, so under TSan it is 200. */
static long nmany(void)
{
#if defined(__SANITIZE_THREAD__)
    return 200;
#else
    return gt_scale(10000, 5);
#endif
}

static void many_sender(void *arg)
{
    sendarg *s = arg;
    gort_chan_send(s->c, &s->v);
}

static void many_main(void *arg)
{
    size_t cap = (size_t)(uintptr_t)arg;
    long n = nmany();
    gort_chan *c = gort_chan_new(sizeof(int), cap);
    sendarg *s = calloc((size_t)n, sizeof *s);
    char *seen = calloc((size_t)n, 1);
    for (long i = 0; i < n; i++) {
        s[i] = (sendarg){ c, (int)i };
        gort_go(many_sender, &s[i]);
    }
    for (long i = 0; i < n; i++) {
        int v;
        GT_CHECK(gort_chan_recv(c, &v));
        GT_CHECK(v >= 0 && v < n && !seen[v]);
        seen[v] = 1;
    }
    free(s);
    free(seen);
    gort_chan_free(c);
}

Test(chan, thousands_of_senders_unbuffered) { gt_run(many_main, (void *)0); }
Test(chan, thousands_of_senders_buffered) { gt_run(many_main, (void *)16); }

static void many_recv(void *arg)
{
    recvarg *r = arg;
    int v;
    GT_CHECK(gort_chan_recv(r->c, &v));
    gort_wg_done(r->wg);
}

static void manyrecv_main(void *arg)
{
    (void)arg;
    long n = nmany();
    gort_chan *c = gort_chan_new(sizeof(int), 0);
    gort_waitgroup wg = GORT_WAITGROUP_INIT;
    recvarg r = { c, &wg, 0 };
    gort_wg_add(&wg, n);
    for (long i = 0; i < n; i++)
        gort_go(many_recv, &r);
    for (int i = 0; i < n; i++)
        gort_chan_send(c, &i);
    gort_wg_wait(&wg);
    gort_chan_free(c);
}

Test(chan, thousands_of_receivers) { gt_run(manyrecv_main, NULL); }

/* ---- stress: random interleavings at 1 and 2 Ps ----------------------- */

/* P producers each send K tagged values on one channel (with random
   yields); C consumers check each producer's values arrive in order and
   sum them.  A send happens before its receive: the consumer reads a
   plain (non-atomic) payload written before the send. */
enum { SP = 4, SC = 4 };

typedef struct {
    gort_chan *c;
    long k;
    long payload[SP];      /* written by producer p before each send */
    long last[SC][SP];     /* per consumer: last sequence seen per producer */
    _Atomic long sum;
    gort_waitgroup wg;
} stress;

typedef struct {
    stress *s;
    int id;
} stressarg;

static void stress_producer(void *arg)
{
    stressarg *a = arg;
    uint32_t x = 2463534242u + (uint32_t)a->id;
    for (long i = 0; i < a->s->k; i++) {
        long v = (long)a->id << 32 | i;
        if (gt_rand(&x) % 4 == 0)
            gort_yield();
        gort_chan_send(a->s->c, &v);
    }
    gort_wg_done(&a->s->wg);
}

static void stress_consumer(void *arg)
{
    stressarg *a = arg;
    uint32_t x = 88675123u + (uint32_t)a->id;
    for (int p = 0; p < SP; p++)
        a->s->last[a->id][p] = -1;
    long v;
    while (gort_chan_recv(a->s->c, &v)) {
        int p = (int)(v >> 32);
        long seq = v & 0xffffffff;
        GT_CHECK(seq > a->s->last[a->id][p]); /* per-producer order */
        a->s->last[a->id][p] = seq;
        atomic_fetch_add(&a->s->sum, seq);
        if (gt_rand(&x) % 8 == 0)
            gort_yield();
    }
    gort_wg_done(&a->s->wg);
}

static void stress_main(void *arg)
{
    int procs = (int)((uintptr_t)arg >> 8);
    size_t cap = (uintptr_t)arg & 0xff;
    gort_maxprocs(procs);
    stress *s = calloc(1, sizeof *s);
    s->c = gort_chan_new(sizeof(long), cap);
    s->k = gt_scale(20000, 10);
    stressarg pa[SP], ca[SC];
    gort_wg_add(&s->wg, SP);
    for (int i = 0; i < SP; i++) {
        pa[i] = (stressarg){ s, i };
        gort_go(stress_producer, &pa[i]);
    }
    for (int i = 0; i < SC; i++) {
        ca[i] = (stressarg){ s, i };
        gort_go(stress_consumer, &ca[i]);
    }
    gort_wg_wait(&s->wg);             /* producers done */
    gort_wg_add(&s->wg, SC);
    gort_chan_close(s->c);
    gort_wg_wait(&s->wg);             /* consumers drained */
    GT_EQ(atomic_load(&s->sum), (long)SP * (s->k * (s->k - 1) / 2));
    gort_chan_free(s->c);
    free(s);
}

#define STRESS(procs, cap) (void *)(uintptr_t)((procs) << 8 | (cap))
Test(chan, stress_1p_unbuffered) { gt_run(stress_main, STRESS(1, 0)); }
Test(chan, stress_1p_buffered) { gt_run(stress_main, STRESS(1, 3)); }
Test(chan, stress_2p_unbuffered) { gt_run(stress_main, STRESS(2, 0)); }
Test(chan, stress_2p_buffered) { gt_run(stress_main, STRESS(2, 3)); }

/* ---- foreign threads -------------------------------------------------- */

static void *foreign_feed(void *arg)
{
    gort_chan *c = arg;
    gt_foreign_announce();
    GT_EQ(gort_chan_cap(c), 8);
    for (int i = 0; i < 8; i++)
        GT_CHECK(gort_chan_trysend(c, &i)); /* never full: capacity 8 */
    GT_CHECK(gort_chan_len(c) <= 8);
    gort_chan_close(c);
    return NULL;
}

static void foreign_main(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(int), 8);
    pthread_t t;
    GT_EQ(pthread_create(&t, NULL, foreign_feed, c), 0);
    gt_wait_announced();
    int v, n = 0;
    while (gort_chan_recv(c, &v))
        GT_EQ(v, n++);
    GT_EQ(n, 8);
    pthread_join(t, NULL);
    gort_chan_free(c);
}

Test(chan, nonblocking_calls_from_foreign_thread) { gt_run(foreign_main, NULL); }

/* A foreign thread wakes a parked receiver with trysend and close. */
static void *foreign_wake(void *arg)
{
    gort_chan *c = arg;
    gt_foreign_announce();
    int v = 5;
    while (!gort_chan_trysend(c, &v))
        sched_yield();
    while (gt_nwaiting(c, false) == 0)
        sched_yield();
    gort_chan_close(c);
    return NULL;
}

static void foreignwake_main(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(int), 0);
    pthread_t t;
    GT_EQ(pthread_create(&t, NULL, foreign_wake, c), 0);
    gt_wait_announced();
    int v;
    GT_CHECK(gort_chan_recv(c, &v));
    GT_EQ(v, 5);
    GT_CHECK(!gort_chan_recv(c, &v));
    pthread_join(t, NULL);
    gort_chan_free(c);
}

Test(chan, foreign_thread_wakes_parked_goroutine) { gt_run(foreignwake_main, NULL); }

static void *foreign_block(void *c)
{
    int v = 1;
    gort_chan_send(c, &v); /* can block: fatal outside a goroutine */
    return NULL;
}

Test(chan, blocking_send_from_foreign_thread_is_fatal)
{
    gt_expect_foreign_fatal(foreign_block, gort_chan_new(sizeof(int), 1), "gort_chan_send");
}

/* ---- fatal errors ----------------------------------------------------- */

static void send_closed(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(int), 1);
    gort_chan_close(c);
    int v = 1;
    gort_chan_send(c, &v);
}

Test(chan, fatal_send_on_closed) { gt_expect_fatal_g(send_closed, NULL, "send on closed channel"); }

static void trysend_closed(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(int), 1);
    gort_chan_close(c);
    int v = 1;
    gort_chan_trysend(c, &v);
}

Test(chan, fatal_trysend_on_closed) { gt_expect_fatal_g(trysend_closed, NULL, "send on closed channel"); }

static void close_closed(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(0, 0);
    gort_chan_close(c);
    gort_chan_close(c);
}

Test(chan, fatal_close_of_closed) { gt_expect_fatal_g(close_closed, NULL, "close of closed channel"); }

static void close_nil(void *arg)
{
    (void)arg;
    gort_chan_close(NULL);
}

Test(chan, fatal_close_of_nil) { gt_expect_fatal_g(close_nil, NULL, "close of nil channel"); }

static void parked_sender(void *arg)
{
    int v = 1;
    gort_chan_send(arg, &v);
    _exit(0); /* never: the close kills it */
}

static void close_parked_sender(void *arg)
{
    size_t cap = (size_t)(uintptr_t)arg;
    gort_chan *c = gort_chan_new(sizeof(int), cap);
    for (size_t i = 0; i < cap; i++)
        gort_chan_send(c, &i);
    gort_go(parked_sender, c);
    waitparked(c, true, 1);
    gort_chan_close(c);
    gort_sleep(1000000000); /* the sender dies first */
    _exit(0);
}

Test(chan, fatal_close_kills_parked_sender)
{
    gt_expect_fatal_g(close_parked_sender, (void *)0, "send on closed channel");
}

Test(chan, fatal_close_kills_parked_sender_buffered)
{
    gt_expect_fatal_g(close_parked_sender, (void *)2, "send on closed channel");
}

static void free_waited(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(int), 0);
    gort_go(fifo_receiver, &(recvarg){ c, NULL, 0 });
    waitparked(c, false, 1);
    gort_chan_free(c);
}

Test(chan, fatal_free_with_waiters)
{
    gt_expect_fatal_g(free_waited, NULL, "free of a channel that goroutines wait on");
}

static void null_elem(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(int), 1);
    gort_chan_send(c, NULL);
}

Test(chan, fatal_null_elem_for_sized_send)
{
    gt_expect_fatal_g(null_elem, NULL, "chan send: NULL elem with a non-zero element size");
}

/* A goroutine blocked forever on a NULL channel is abandoned when main
   returns: gort_run returns 0. */
static void nilblock(void *arg)
{
    (void)arg;
    int v;
    gort_chan_recv(NULL, &v);
    _exit(3);
}

static void nilchan_main(void *arg)
{
    (void)arg;
    gort_go(nilblock, NULL);
    gort_sleep(2000000);
}

Test(chan, nil_channel_blocks_forever) { gt_run(nilchan_main, NULL); }
