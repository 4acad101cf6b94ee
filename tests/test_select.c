/*
 * test_select.c - gort_select: ready and non-ready cases, NULL channels,
 * which elem and ok are written, closed channels, uniform choice among
 * ready cases (chi-square bounds that fail by chance far less than once in
 * a million runs), randomness among cases one event could complete, two
 * selects racing on the same channels, self-select, many cases (the heap
 * path), and the fatal errors.
 */
#include <math.h>
#include <stdint.h>

#include "gort_test.h"

/* ---- basic cases ------------------------------------------------------ */

static void basic_main(void *arg)
{
    (void)arg;
    gort_chan *a = gort_chan_new(sizeof(int), 1), *b = gort_chan_new(sizeof(int), 1);
    int va = 11, vb = -1;
    gort_case cs[2] = {
        { .chan = a, .dir = GORT_SEND, .elem = &va, .ok = false },
        { .chan = b, .dir = GORT_RECV, .elem = &vb, .ok = false },
    };
    /* Only the send is ready. */
    GT_EQ(gort_select(cs, 2, false), 0);
    GT_CHECK(cs[0].ok);
    GT_CHECK(!cs[1].ok);
    GT_EQ(vb, -1);
    /* Nothing ready: -1 and nothing written. */
    cs[0].ok = false;
    GT_EQ(gort_select(cs, 2, false), -1);
    GT_CHECK(!cs[0].ok && !cs[1].ok);
    GT_EQ(vb, -1);
    /* Receive case ready. */
    int x = 77;
    gort_chan_send(b, &x);
    gort_case r[2] = {
        { .chan = a, .dir = GORT_RECV, .elem = &x, .ok = false },
        { .chan = b, .dir = GORT_RECV, .elem = &vb, .ok = false },
    };
    int got = gort_select(r, 2, true);
    GT_CHECK(got == 0 || got == 1);
    if (got == 0) {
        GT_EQ(x, 11);
        GT_EQ(vb, -1);
    } else {
        GT_EQ(vb, 77);
        GT_EQ(x, 77);
    }
    GT_CHECK(r[got].ok && !r[1 - got].ok);
    gort_chan_free(a);
    gort_chan_free(b);
}

Test(select, ready_and_not_ready) { gt_run(basic_main, NULL); }

static void nil_main(void *arg)
{
    (void)arg;
    GT_EQ(gort_select(NULL, 0, false), -1);
    int v = 3;
    gort_case cs[3] = {
        { .chan = NULL, .dir = GORT_SEND, .elem = &v },
        { .chan = NULL, .dir = GORT_RECV, .elem = &v },
        { .chan = NULL, .dir = GORT_RECV, .elem = NULL },
    };
    GT_EQ(gort_select(cs, 3, false), -1);
    GT_EQ(v, 3);
    /* A NULL case next to a ready one never fires. */
    gort_chan *c = gort_chan_new(sizeof(int), 1);
    gort_chan_send(c, &v);
    cs[2] = (gort_case){ .chan = c, .dir = GORT_RECV, .elem = NULL };
    for (int i = 0; i < 50; i++) {
        GT_EQ(gort_select(cs, 3, true), 2);
        gort_chan_send(c, &v);
    }
    gort_chan_free(c);
}

Test(select, null_channels_never_fire) { gt_run(nil_main, NULL); }

static void closed_main(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(long), 2), *never = gort_chan_new(sizeof(long), 0);
    long v = 9, w = 5;
    gort_chan_send(c, &v);
    gort_chan_close(c);
    gort_case cs[2] = {
        { .chan = never, .dir = GORT_RECV, .elem = &w },
        { .chan = c, .dir = GORT_RECV, .elem = &v, .ok = false },
    };
    v = 0;
    GT_EQ(gort_select(cs, 2, false), 1); /* buffered value first */
    GT_CHECK(cs[1].ok);
    GT_EQ(v, 9);
    cs[1].ok = true;
    v = 123;
    GT_EQ(gort_select(cs, 2, true), 1);   /* then closed: ok false, zero */
    GT_CHECK(!cs[1].ok);
    GT_EQ(v, 0);
    GT_EQ(w, 5);
    gort_chan_free(c);
    gort_chan_free(never);
}

Test(select, closed_channel_receive) { gt_run(closed_main, NULL); }

/* Closes c once a goroutine is parked on it (as a sender if senders). */
typedef struct {
    gort_chan *c;
    bool senders;
} closearg;

static void closer(void *arg)
{
    closearg *a = arg;
    while (gt_nwaiting(a->c, a->senders) == 0)
        gort_yield();
    gort_chan_close(a->c);
}

/* A parked select woken by close: the case on the closed channel runs. */
static void closewake_main(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(int), 0), *d = gort_chan_new(sizeof(int), 0);
    int vc = 4, vd = 6;
    gort_case cs[2] = {
        { .chan = d, .dir = GORT_RECV, .elem = &vd, .ok = true },
        { .chan = c, .dir = GORT_RECV, .elem = &vc, .ok = true },
    };
    closearg ca = { c, false };
    gort_go(closer, &ca);
    GT_EQ(gort_select(cs, 2, true), 1);
    GT_CHECK(!cs[1].ok);
    GT_CHECK(cs[0].ok); /* not written */
    GT_EQ(vc, 0);
    GT_EQ(vd, 6);
    GT_EQ(gt_nwaiting(d, false), 0); /* the losing sudog is gone */
    gort_chan_free(c);
    gort_chan_free(d);
}

Test(select, close_wakes_parked_select) { gt_run(closewake_main, NULL); }

/* ---- fairness --------------------------------------------------------- */

/* Chi-square with k-1 degrees of freedom for k equiprobable cells; the
   bound is the 1 - 1e-7 quantile (Wilson-Hilferty approximation). */
static double chi2(const long *count, int k, long n)
{
    double e = (double)n / k, x = 0;
    for (int i = 0; i < k; i++)
        x += (count[i] - e) * (count[i] - e) / e;
    return x;
}

static double chi2bound(int df)
{
    double z = 5.2; /* one-sided normal quantile for 1e-7 */
    double a = 2.0 / (9.0 * df);
    return df * pow(1 - a + z * sqrt(a), 3);
}

static void fair_main(void *arg)
{
    (void)arg;
    enum { K = 4 };
    long n = gt_scale(40000, 4);
    gort_chan *c[K];
    gort_case cs[K];
    long count[K] = { 0 };
    int v = 0;
    for (int i = 0; i < K; i++) {
        c[i] = gort_chan_new(sizeof(int), 1);
        gort_chan_send(c[i], &i);
        cs[i] = (gort_case){ .chan = c[i], .dir = GORT_RECV, .elem = &v };
    }
    for (long j = 0; j < n; j++) {
        int i = gort_select(cs, K, false);
        GT_CHECK(i >= 0 && i < K);
        GT_EQ(v, i);
        count[i]++;
        gort_chan_send(c[i], &i); /* every case stays ready */
    }
    double x = chi2(count, K, n), bound = chi2bound(K - 1);
    if (x > bound)
        fprintf(stderr, "counts %ld %ld %ld %ld chi2 %.1f > %.1f\n", count[0], count[1],
                count[2], count[3], x, bound);
    GT_CHECK(x <= bound);
    for (int i = 0; i < K; i++)
        gort_chan_free(c[i]);
}

Test(select, uniform_among_ready_cases) { gt_run(fair_main, NULL); }

/* A parked select with two receive cases on one channel: one send can
   complete either, and each must win half the time. */
typedef struct {
    gort_chan *c;
    long n;
} fairpark;

static void fairpark_sender(void *arg)
{
    fairpark f = *(fairpark *)arg; /* main may return after the last send */
    for (long i = 0; i < f.n; i++) {
        while (gt_nwaiting(f.c, false) < 2)
            gort_yield(); /* the select is parked on both cases */
        gort_chan_send(f.c, &i);
    }
}

static void fairpark_main(void *arg)
{
    (void)arg;
    fairpark f = { gort_chan_new(sizeof(long), 0), gt_scale(4000, 4) };
    long a = -1, b = -1, count[2] = { 0 };
    gort_case cs[2] = {
        { .chan = f.c, .dir = GORT_RECV, .elem = &a },
        { .chan = f.c, .dir = GORT_RECV, .elem = &b },
    };
    gort_go(fairpark_sender, &f);
    for (long i = 0; i < f.n; i++) {
        int k = gort_select(cs, 2, true);
        GT_EQ(k == 0 ? a : b, i);
        count[k]++;
    }
    double x = chi2(count, 2, f.n), bound = chi2bound(1);
    if (x > bound)
        fprintf(stderr, "parked counts %ld %ld chi2 %.1f\n", count[0], count[1], x);
    GT_CHECK(x <= bound);
    gort_chan_free(f.c);
}

Test(select, uniform_among_parked_cases_on_one_channel) { gt_run(fairpark_main, NULL); }

/* ---- racing selects --------------------------------------------------- */

/* Go's TestSelfSelect: goroutines select both a send and a receive on one
   channel; on an unbuffered channel a goroutine never receives its own
   value, and nothing deadlocks. */
typedef struct {
    gort_chan *c;
    long n;
    gort_waitgroup wg;
    size_t cap;
} selfsel;

typedef struct {
    selfsel *s;
    int id;
} selfarg;

static void selfselect(void *arg)
{
    selfarg *a = arg;
    int out = a->id, in = -1;
    for (long i = 0; i < a->s->n; i++) {
        gort_case cs[2] = {
            { .chan = a->s->c, .dir = GORT_SEND, .elem = &out },
            { .chan = a->s->c, .dir = GORT_RECV, .elem = &in },
        };
        if (i % 2)
            cs[0] = cs[1], cs[1] = (gort_case){ .chan = a->s->c, .dir = GORT_SEND, .elem = &out };
        int k = gort_select(cs, 2, true);
        if (cs[k].dir == GORT_RECV && a->s->cap == 0)
            GT_CHECK(in != a->id);
    }
    gort_wg_done(&a->s->wg);
}

static void selfselect_main(void *arg)
{
    int procs = (int)((uintptr_t)arg >> 8);
    gort_maxprocs(procs);
    selfsel s = { .c = NULL, .n = gt_scale(10000, 10) };
    for (size_t cap = 0; cap <= 1; cap++) {
        s.c = gort_chan_new(sizeof(int), cap);
        s.cap = cap;
        selfarg a[2] = { { &s, 0 }, { &s, 1 } };
        gort_wg_add(&s.wg, 2);
        gort_go(selfselect, &a[0]);
        gort_go(selfselect, &a[1]);
        gort_wg_wait(&s.wg);
        gort_chan_free(s.c);
    }
}

Test(select, self_select_1p) { gt_run(selfselect_main, (void *)(1 << 8)); }
Test(select, self_select_2p) { gt_run(selfselect_main, (void *)(2 << 8)); }

/* Two selects racing on the same two channels against two senders:
   every value is delivered exactly once. */
typedef struct {
    gort_chan *a, *b;
    long n;
    _Atomic long got;
    _Atomic long sum;
    gort_waitgroup senders, selects;
} race;

static void race_sender(void *arg)
{
    race *r = arg;
    for (long i = 1; i <= r->n; i++)
        gort_chan_send(i % 2 ? r->a : r->b, &i);
    gort_wg_done(&r->senders);
}

static void race_select(void *arg)
{
    race *r = arg;
    long va, vb;
    /* Go's idiom: a channel that reports closed is set to NULL, so its
       case never fires again; done when both are. */
    gort_chan *a = r->a, *b = r->b;
    while (a || b) {
        gort_case cs[2] = {
            { .chan = a, .dir = GORT_RECV, .elem = &va },
            { .chan = b, .dir = GORT_RECV, .elem = &vb },
        };
        int k = gort_select(cs, 2, true);
        if (!cs[k].ok) {
            *(k == 0 ? &a : &b) = NULL;
            continue;
        }
        atomic_fetch_add(&r->sum, k == 0 ? va : vb);
        atomic_fetch_add(&r->got, 1);
    }
    gort_wg_done(&r->selects);
}

static void race_main(void *arg)
{
    gort_maxprocs((int)(uintptr_t)arg);
    for (size_t cap = 0; cap <= 2; cap += 2) {
        race r = { .a = gort_chan_new(sizeof(long), cap), .b = gort_chan_new(sizeof(long), cap),
                   .n = gt_scale(20000, 10) };
        gort_wg_add(&r.selects, 2);
        gort_go(race_select, &r);
        gort_go(race_select, &r);
        gort_wg_add(&r.senders, 2);
        gort_go(race_sender, &r);
        gort_go(race_sender, &r);
        gort_wg_wait(&r.senders);
        gort_chan_close(r.a);
        gort_chan_close(r.b);
        gort_wg_wait(&r.selects);
        GT_EQ(atomic_load(&r.got), 2 * r.n);
        GT_EQ(atomic_load(&r.sum), r.n * (r.n + 1));
        gort_chan_free(r.a);
        gort_chan_free(r.b);
    }
}

Test(select, two_selects_racing_1p) { gt_run(race_main, (void *)1); }
Test(select, two_selects_racing_2p) { gt_run(race_main, (void *)2); }

/* ---- many cases: the heap path, duplicates, mixed directions ---------- */

typedef struct {
    gort_chan **c;
    int n;
    long rounds;
} manyc;

static void many_feeder(void *arg)
{
    manyc m = *(manyc *)arg; /* main may return after the last send */
    uint32_t x = 12345;
    for (long i = 0; i < m.rounds; i++) {
        x = x * 1103515245 + 12345;
        long v = i;
        gort_chan_send(m.c[(x >> 8) % (uint32_t)m.n], &v);
    }
}

static void manycases_main(void *arg)
{
    (void)arg;
    enum { NC = 40, NCASE = 100 };
    gort_chan *c[NC];
    for (int i = 0; i < NC; i++)
        c[i] = gort_chan_new(sizeof(long), 0); /* unbuffered: values in order */
    manyc m = { c, NC, gt_scale(5000, 5) };
    gort_go(many_feeder, &m);
    /* Each channel appears 2 or 3 times among the cases; sink channel
       cases (sends to a channel nobody reads, full) and NULL cases are
       mixed in and never fire. */
    gort_chan *sink = gort_chan_new(sizeof(long), 0);
    long vals[NCASE], junk = 0;
    gort_case cs[NCASE];
    for (int i = 0; i < NCASE; i++) {
        if (i < NC) /* every channel has a receive case */
            cs[i] = (gort_case){ .chan = c[i], .dir = GORT_RECV, .elem = &vals[i] };
        else if (i % 10 == 9)
            cs[i] = (gort_case){ .chan = sink, .dir = GORT_SEND, .elem = &junk };
        else if (i % 10 == 4)
            cs[i] = (gort_case){ .chan = NULL, .dir = GORT_RECV, .elem = &vals[i] };
        else
            cs[i] = (gort_case){ .chan = c[(i * 7) % NC], .dir = GORT_RECV, .elem = &vals[i] };
    }
    for (long i = 0; i < m.rounds; i++) {
        for (int k = 0; k < NCASE; k++)
            vals[k] = -1;
        int k = gort_select(cs, NCASE, true);
        GT_CHECK(k >= 0 && cs[k].dir == GORT_RECV && cs[k].chan != NULL);
        GT_EQ(vals[k], i);
        for (int j = 0; j < NCASE; j++)
            if (j != k)
                GT_EQ(vals[j], -1);
        for (int j = 0; j < NC; j++)
            GT_EQ(gt_nwaiting(c[j], false), 0);
    }
    for (int i = 0; i < NC; i++)
        gort_chan_free(c[i]);
    gort_chan_free(sink);
}

Test(select, many_cases_with_duplicates) { gt_run(manycases_main, NULL); }

/* select {} and select with only NULL channels block forever; main
   returning abandons them. */
static void blockforever(void *arg)
{
    gort_case cs[1] = { { .chan = NULL, .dir = GORT_RECV } };
    gort_select(arg ? cs : NULL, arg ? 1 : 0, true);
    _exit(3);
}

static void forever_main(void *arg)
{
    (void)arg;
    gort_go(blockforever, NULL);
    gort_go(blockforever, (void *)1);
    gort_sleep(2000000);
}

Test(select, empty_select_blocks_forever) { gt_run(forever_main, NULL); }

/* ---- foreign threads -------------------------------------------------- */

static void *foreign_select(void *arg)
{
    gort_chan *c = arg;
    gt_foreign_announce();
    int v = 0;
    gort_case cs[1] = { { .chan = c, .dir = GORT_SEND, .elem = &v } };
    for (v = 0; v < 4; v++)
        while (gort_select(cs, 1, false) != 0)
            sched_yield();
    return NULL;
}

static void foreign_main(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(int), 0);
    pthread_t t;
    GT_EQ(pthread_create(&t, NULL, foreign_select, c), 0);
    gt_wait_announced();
    for (int i = 0; i < 4; i++) {
        int v;
        GT_CHECK(gort_chan_recv(c, &v));
        GT_EQ(v, i);
    }
    pthread_join(t, NULL);
    gort_chan_free(c);
}

Test(select, nonblocking_select_from_foreign_thread) { gt_run(foreign_main, NULL); }

/* ---- fatal errors ----------------------------------------------------- */

static void send_closed(void *arg)
{
    bool block = arg != NULL;
    gort_chan *c = gort_chan_new(sizeof(int), 1), *never = gort_chan_new(sizeof(int), 0);
    gort_chan_close(c);
    int v = 1, w;
    gort_case cs[2] = {
        { .chan = never, .dir = GORT_RECV, .elem = &w },
        { .chan = c, .dir = GORT_SEND, .elem = &v },
    };
    gort_select(cs, 2, block);
    _exit(0); /* never: not even -1 from the non-blocking select */
}

Test(select, fatal_send_on_closed_blocking)
{
    gt_expect_fatal_g(send_closed, (void *)1, "send on closed channel");
}

Test(select, fatal_send_on_closed_nonblocking)
{
    gt_expect_fatal_g(send_closed, NULL, "send on closed channel");
}

static void close_parked_select_sender(void *arg)
{
    (void)arg;
    gort_chan *c = gort_chan_new(sizeof(int), 0), *never = gort_chan_new(sizeof(int), 0);
    closearg ca = { never, true };
    gort_go(closer, &ca);
    int v = 1, w;
    gort_case cs[2] = {
        { .chan = c, .dir = GORT_RECV, .elem = &w },
        { .chan = never, .dir = GORT_SEND, .elem = &v },
    };
    gort_select(cs, 2, true);
    _exit(0);
}

Test(select, fatal_close_kills_parked_select_sender)
{
    gt_expect_fatal_g(close_parked_select_sender, NULL, "send on closed channel");
}

static void *foreign_blocking_select(void *arg)
{
    gort_select(NULL, 0, true);
    return arg;
}

Test(select, blocking_select_from_foreign_thread_is_fatal)
{
    gt_expect_foreign_fatal(foreign_blocking_select, NULL, "gort_select");
}

/* ---- stress: random selects at 1 and 2 Ps ----------------------------- */

/* Goroutines run random selects (random subsets of send and receive cases
   over unbuffered and buffered channels, blocking or not, with random
   yields).  Every select also offers a send and a receive on the
   unbuffered ch[0], so two blocked goroutines always have a match and
   nothing deadlocks, and a receive on quit, closed at the end.  Values
   are conserved: what was sent is what was received plus what the
   buffers still hold. */
enum { SNCH = 4, SNG = 6 };

typedef struct {
    gort_chan *ch[SNCH], *quit;
    _Atomic unsigned long sent, recvd; /* sums of values (mod 2^64) */
    _Atomic long ops;
    gort_waitgroup wg;
} selstress;

typedef struct {
    selstress *s;
    uint32_t seed;
    int id;
} selstressarg;

static void selstress_g(void *arg)
{
    selstressarg *a = arg;
    selstress *s = a->s;
    uint32_t x = a->seed;
    unsigned long seq = 0;
    for (;;) {
        gort_case cs[2 * SNCH + 1];
        unsigned long out[2 * SNCH + 1], in[2 * SNCH + 1];
        size_t n = 0;
        cs[n++] = (gort_case){ .chan = s->quit, .dir = GORT_RECV };
        for (int i = 0; i < SNCH; i++) {
            uint32_t r = gt_rand(&x);
            if (i == 0 || r % 3 == 0) {
                out[n] = ((unsigned long)a->id << 40) | ++seq;
                cs[n] = (gort_case){ .chan = s->ch[i], .dir = GORT_SEND, .elem = &out[n] };
                n++;
            }
            if (i == 0 || r % 3 == 1) {
                in[n] = 0;
                cs[n] = (gort_case){ .chan = s->ch[i], .dir = GORT_RECV, .elem = &in[n] };
                n++;
            }
        }
        bool block = gt_rand(&x) % 4 != 0;
        int k = gort_select(cs, n, block);
        if (k == 0)
            break; /* quit closed */
        if (k > 0) {
            GT_CHECK(cs[k].ok); /* nothing but quit is ever closed */
            if (cs[k].dir == GORT_SEND)
                atomic_fetch_add(&s->sent, out[k]);
            else
                atomic_fetch_add(&s->recvd, in[k]);
            atomic_fetch_add(&s->ops, 1);
        }
        if (gt_rand(&x) % 16 == 0)
            gort_yield();
    }
    gort_wg_done(&s->wg);
}

static void selstress_main(void *arg)
{
    gort_maxprocs((int)(uintptr_t)arg);
    selstress s = { .quit = gort_chan_new(0, 0) };
    for (int i = 0; i < SNCH; i++)
        s.ch[i] = gort_chan_new(sizeof(unsigned long), (size_t)i); /* caps 0..3 */
    selstressarg a[SNG];
    gort_wg_add(&s.wg, SNG);
    for (int i = 0; i < SNG; i++) {
        a[i] = (selstressarg){ &s, 2463534242u * (uint32_t)(i + 1), i };
        gort_go(selstress_g, &a[i]);
    }
    long target = gt_scale(500000, 10); /* 50,000 under sanitizers: seconds under TSan */
    while (atomic_load(&s.ops) < target)
        gort_sleep(1000000);
    gort_chan_close(s.quit);
    gort_wg_wait(&s.wg);
    unsigned long left = 0, v;
    for (int i = 0; i < SNCH; i++) {
        while (gort_chan_tryrecv(s.ch[i], &v, NULL))
            left += v;
        gort_chan_free(s.ch[i]);
    }
    GT_EQ(atomic_load(&s.sent), atomic_load(&s.recvd) + left);
    gort_chan_free(s.quit);
}

Test(select, stress_random_selects_1p) { gt_run(selstress_main, (void *)1); }
Test(select, stress_random_selects_2p) { gt_run(selstress_main, (void *)2); }
