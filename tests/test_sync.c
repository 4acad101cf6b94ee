/*
 * test_sync.c - Mutex (mutual exclusion, trylock, unlock by another
 * goroutine, starvation mode), RWMutex (parallel readers, writer
 * exclusion, writers not starved), WaitGroup, Once and Cond (FIFO signal,
 * broadcast, no spurious wakeups), at 1 and 2 Ps, from foreign threads,
 * and the misuse that is fatal.
 */
#include <stdint.h>

#include "gort_test.h"

/* ---- Mutex ------------------------------------------------------------ */

typedef struct {
    gort_mutex mu;
    long counter;          /* plain: the mutex orders every access */
    long n;
    gort_waitgroup wg;
} mucount;

static void mu_incr(void *arg)
{
    mucount *m = arg;
    for (long i = 0; i < m->n; i++) {
        gort_mutex_lock(&m->mu);
        long v = m->counter;
        if (i % 64 == 0)
            gort_yield(); /* hold the lock across a reschedule */
        m->counter = v + 1;
        gort_mutex_unlock(&m->mu);
    }
    gort_wg_done(&m->wg);
}

static void mutex_main(void *arg)
{
    gort_maxprocs((int)(uintptr_t)arg);
    enum { G = 8 };
    mucount m = { .mu = GORT_MUTEX_INIT, .n = gt_scale(20000, 10) };
    gort_wg_add(&m.wg, G);
    for (int i = 0; i < G; i++)
        gort_go(mu_incr, &m);
    gort_wg_wait(&m.wg);
    GT_EQ(m.counter, G * m.n);
    GT_EQ(m.mu.state, 0);
}

Test(sync, mutex_excludes_1p) { gt_run(mutex_main, (void *)1); }
Test(sync, mutex_excludes_2p) { gt_run(mutex_main, (void *)2); }

static void unlocker(void *arg)
{
    gort_mutex_unlock(arg);
}

static void trylock_main(void *arg)
{
    (void)arg;
    gort_mutex mu = GORT_MUTEX_INIT;
    GT_CHECK(gort_mutex_trylock(&mu));
    GT_CHECK(!gort_mutex_trylock(&mu));
    gort_go(unlocker, &mu); /* any goroutine may unlock */
    gort_mutex_lock(&mu);   /* parks until the unlocker runs */
    GT_CHECK(!gort_mutex_trylock(&mu));
    gort_mutex_unlock(&mu);
    GT_CHECK(gort_mutex_trylock(&mu));
    gort_mutex_unlock(&mu);
}

Test(sync, mutex_trylock_and_foreign_unlock) { gt_run(trylock_main, NULL); }

/* Go's TestMutexFairness: a goroutine that holds the lock almost all the
   time cannot keep another from getting it (starvation mode), within a
   deadline measured by a timer in a select. */
typedef struct {
    gort_mutex mu;
    gort_chan *stop, *done;
} fair;

static void hog(void *arg)
{
    fair *f = arg;
    for (;;) {
        gort_mutex_lock(&f->mu);
        gort_sleep(100000);
        gort_mutex_unlock(&f->mu);
        if (gort_chan_tryrecv(f->stop, NULL, NULL))
            return;
    }
}

static void polite(void *arg)
{
    fair *f = arg;
    for (int i = 0; i < 10; i++) {
        gort_sleep(100000);
        gort_mutex_lock(&f->mu);
        gort_mutex_unlock(&f->mu);
    }
    gort_chan_send(f->done, NULL);
}

static void fairness_main(void *arg)
{
    gort_maxprocs((int)(uintptr_t)arg);
    fair f = { .stop = gort_chan_new(0, 0), .done = gort_chan_new(0, 1) };
    gort_go(hog, &f);
    gort_go(polite, &f);
    gort_timer *t = gort_timer_new(10LL * 1000000000);
    gort_case cs[2] = {
        { .chan = f.done, .dir = GORT_RECV },
        { .chan = gort_timer_chan(t), .dir = GORT_RECV },
    };
    int k = gort_select(cs, 2, true);
    GT_EQ(k, 0); /* not the 10 s deadline */
    gort_chan_send(f.stop, NULL);
    gort_timer_free(t);
    gort_chan_free(f.stop);
    gort_chan_free(f.done);
}

Test(sync, mutex_fairness_1p) { gt_run(fairness_main, (void *)1); }
Test(sync, mutex_fairness_2p) { gt_run(fairness_main, (void *)2); }

static void unlock_unlocked(void *arg)
{
    (void)arg;
    gort_mutex mu = GORT_MUTEX_INIT;
    gort_mutex_unlock(&mu);
}

Test(sync, fatal_unlock_of_unlocked_mutex)
{
    gt_expect_fatal_g(unlock_unlocked, NULL, "sync: unlock of unlocked mutex");
}

static gort_mutex foreign_mu;

static void *foreign_unlock(void *arg)
{
    GT_CHECK(!gort_mutex_trylock(&foreign_mu));
    gort_mutex_unlock(&foreign_mu);
    return arg;
}

static void foreignunlock_main(void *arg)
{
    (void)arg;
    gort_mutex_lock(&foreign_mu);
    gt_on_thread(foreign_unlock, NULL);
    GT_CHECK(gort_mutex_trylock(&foreign_mu));
    gort_mutex_unlock(&foreign_mu);
}

Test(sync, unlock_from_foreign_thread) { gt_run(foreignunlock_main, NULL); }

static void *foreign_lock(void *arg)
{
    gort_mutex_lock(&foreign_mu);
    return arg;
}

Test(sync, lock_from_foreign_thread_is_fatal)
{
    gt_expect_foreign_fatal(foreign_lock, NULL, "gort_mutex_lock");
}

/* ---- RWMutex ---------------------------------------------------------- */

/* Go's TestParallelReaders: every reader holds the read lock until all
   of them hold it, which deadlocks unless readers share. */
typedef struct {
    gort_rwmutex rw;
    gort_chan *in, *out;
} preaders;

static void preader(void *arg)
{
    preaders *p = arg;
    gort_rwmutex_rlock(&p->rw);
    gort_chan_send(p->in, NULL);
    gort_chan_recv(p->out, NULL);
    gort_rwmutex_runlock(&p->rw);
    gort_chan_send(p->in, NULL);
}

static void preaders_main(void *arg)
{
    (void)arg;
    enum { N = 10 };
    preaders p = { .in = gort_chan_new(0, 0), .out = gort_chan_new(0, 0) };
    for (int i = 0; i < N; i++)
        gort_go(preader, &p);
    for (int i = 0; i < N; i++)
        gort_chan_recv(p.in, NULL);
    for (int i = 0; i < N; i++)
        gort_chan_send(p.out, NULL);
    for (int i = 0; i < N; i++)
        gort_chan_recv(p.in, NULL);
    gort_rwmutex_lock(&p.rw);
    gort_rwmutex_unlock(&p.rw);
    gort_chan_free(p.in);
    gort_chan_free(p.out);
}

Test(sync, rwmutex_parallel_readers) { gt_run(preaders_main, NULL); }

/* Go's HammerRWMutex: readers add 1 to activity and see no writer;
   writers add 10000 and see nobody else. */
typedef struct {
    gort_rwmutex rw;
    _Atomic long activity;
    long n;
    gort_waitgroup wg;
} hammer;

static void hreader(void *arg)
{
    hammer *h = arg;
    for (long i = 0; i < h->n; i++) {
        gort_rwmutex_rlock(&h->rw);
        long a = atomic_fetch_add(&h->activity, 1) + 1;
        GT_CHECK(a >= 1 && a < 10000);
        if (i % 16 == 0)
            gort_yield();
        atomic_fetch_sub(&h->activity, 1);
        gort_rwmutex_runlock(&h->rw);
    }
    gort_wg_done(&h->wg);
}

static void hwriter(void *arg)
{
    hammer *h = arg;
    for (long i = 0; i < h->n; i++) {
        gort_rwmutex_lock(&h->rw);
        long a = atomic_fetch_add(&h->activity, 10000) + 10000;
        GT_EQ(a, 10000);
        if (i % 16 == 0)
            gort_yield();
        atomic_fetch_sub(&h->activity, 10000);
        gort_rwmutex_unlock(&h->rw);
    }
    gort_wg_done(&h->wg);
}

static void hammer_main(void *arg)
{
    gort_maxprocs((int)(uintptr_t)arg);
    hammer h = { .n = gt_scale(5000, 10) };
    gort_wg_add(&h.wg, 8);
    for (int i = 0; i < 8; i++)
        gort_go(i % 4 == 0 ? hwriter : hreader, &h);
    gort_wg_wait(&h.wg);
    GT_EQ(h.rw.readercount, 0);
}

Test(sync, rwmutex_hammer_1p) { gt_run(hammer_main, (void *)1); }
Test(sync, rwmutex_hammer_2p) { gt_run(hammer_main, (void *)2); }

/* Readers that overlap so that the read lock is never free: a writer
   still gets in, since new readers queue behind it. */
typedef struct {
    gort_rwmutex rw;
    _Atomic bool stop;
    gort_waitgroup wg;
} wstarve;

static void overlapping_reader(void *arg)
{
    wstarve *w = arg;
    while (!atomic_load(&w->stop)) {
        gort_rwmutex_rlock(&w->rw);
        gort_sleep(200000);
        gort_rwmutex_runlock(&w->rw);
    }
    gort_wg_done(&w->wg);
}

static void wstarve_main(void *arg)
{
    (void)arg;
    wstarve w = { .rw = GORT_RWMUTEX_INIT };
    gort_wg_add(&w.wg, 4);
    for (int i = 0; i < 4; i++) {
        gort_go(overlapping_reader, &w);
        gort_sleep(50000);
    }
    int64_t t0 = gort_now();
    gort_rwmutex_lock(&w.rw); /* readers hold it in turn; we still get in */
    int64_t waited = gort_now() - t0;
    atomic_store(&w.stop, true);
    gort_rwmutex_unlock(&w.rw);
    gort_wg_wait(&w.wg);
    GT_CHECK(waited < 2000000000LL);
}

Test(sync, rwmutex_writer_not_starved) { gt_run(wstarve_main, NULL); }

static void runlock_unlocked(void *arg)
{
    (void)arg;
    gort_rwmutex rw = GORT_RWMUTEX_INIT;
    gort_rwmutex_runlock(&rw);
}

static void unlock_unlocked_rw(void *arg)
{
    (void)arg;
    gort_rwmutex rw = GORT_RWMUTEX_INIT;
    gort_rwmutex_rlock(&rw);
    gort_rwmutex_unlock(&rw);
}

Test(sync, fatal_runlock_of_unlocked_rwmutex)
{
    gt_expect_fatal_g(runlock_unlocked, NULL, "sync: RUnlock of unlocked RWMutex");
}

Test(sync, fatal_unlock_of_unlocked_rwmutex)
{
    gt_expect_fatal_g(unlock_unlocked_rw, NULL, "sync: Unlock of unlocked RWMutex");
}

/* ---- WaitGroup -------------------------------------------------------- */

/* Go's testWaitGroup: n goroutines wait on wg1, main waits on wg2. */
typedef struct {
    gort_waitgroup wg1, wg2;
    _Atomic int exited;
} wgtest;

static void wg_waiter(void *arg)
{
    wgtest *w = arg;
    gort_wg_done(&w->wg1);
    gort_wg_wait(&w->wg2);
    atomic_fetch_add(&w->exited, 1);
    gort_wg_done(&w->wg1);
}

static void waitgroup_main(void *arg)
{
    gort_maxprocs((int)(uintptr_t)arg);
    enum { N = 16 };
    wgtest w = { .wg1 = GORT_WAITGROUP_INIT };
    for (int round = 0; round < 20; round++) { /* reuse */
        atomic_store(&w.exited, 0);
        gort_wg_add(&w.wg1, N);
        gort_wg_add(&w.wg2, N);
        for (int i = 0; i < N; i++)
            gort_go(wg_waiter, &w);
        gort_wg_wait(&w.wg1);
        gort_wg_add(&w.wg1, N);
        for (int i = 0; i < N; i++) {
            GT_EQ(atomic_load(&w.exited), 0); /* wg2 still holds them */
            gort_wg_done(&w.wg2);
        }
        gort_wg_wait(&w.wg1);
        GT_EQ(atomic_load(&w.exited), N);
    }
    gort_wg_wait(&w.wg2); /* zero: returns at once */
}

Test(sync, waitgroup_1p) { gt_run(waitgroup_main, (void *)1); }
Test(sync, waitgroup_2p) { gt_run(waitgroup_main, (void *)2); }

static gort_waitgroup foreign_wg;

static void *foreign_done(void *arg)
{
    gt_foreign_announce();
    gort_wg_add(&foreign_wg, 2);
    gort_wg_done(&foreign_wg);
    gort_wg_done(&foreign_wg);
    gort_wg_done(&foreign_wg); /* the one main waits for */
    return arg;
}

static void foreignwg_main(void *arg)
{
    (void)arg;
    gort_wg_add(&foreign_wg, 1);
    pthread_t t;
    GT_EQ(pthread_create(&t, NULL, foreign_done, NULL), 0);
    gt_wait_announced();
    gort_wg_wait(&foreign_wg);
    pthread_join(t, NULL);
}

Test(sync, waitgroup_done_from_foreign_thread) { gt_run(foreignwg_main, NULL); }

static void wg_negative(void *arg)
{
    (void)arg;
    gort_waitgroup wg = GORT_WAITGROUP_INIT;
    gort_wg_add(&wg, 1);
    gort_wg_done(&wg);
    gort_wg_done(&wg);
}

Test(sync, fatal_negative_waitgroup)
{
    gt_expect_fatal_g(wg_negative, NULL, "sync: negative WaitGroup counter");
}

/* ---- Once ------------------------------------------------------------- */

typedef struct {
    gort_once once;
    _Atomic int calls;
    int value;              /* plain: ordered by Once */
    gort_waitgroup wg;
} oncetest;

static void once_fn(void *arg)
{
    oncetest *o = arg;
    atomic_fetch_add(&o->calls, 1);
    gort_sleep(1000000); /* others pile up meanwhile */
    o->value = 42;
}

static void once_caller(void *arg)
{
    oncetest *o = arg;
    gort_once_do(&o->once, once_fn, o);
    GT_EQ(o->value, 42); /* fn has run before any do returns */
    gort_wg_done(&o->wg);
}

static void once_main(void *arg)
{
    gort_maxprocs((int)(uintptr_t)arg);
    oncetest o = { .once = GORT_ONCE_INIT };
    gort_wg_add(&o.wg, 20);
    for (int i = 0; i < 20; i++)
        gort_go(once_caller, &o);
    gort_wg_wait(&o.wg);
    GT_EQ(atomic_load(&o.calls), 1);
}

Test(sync, once_1p) { gt_run(once_main, (void *)1); }
Test(sync, once_2p) { gt_run(once_main, (void *)2); }

/* ---- Cond ------------------------------------------------------------- */

/* Waiters park in order; each signal wakes exactly the oldest one, and
   nobody wakes without a signal. */
typedef struct {
    gort_mutex mu;
    gort_cond cv;
    int parked;       /* under mu */
    int woken[64];    /* wake order, under mu */
    int nwoken;
    gort_waitgroup wg;
} condtest;

typedef struct {
    condtest *c;
    int id;
} condarg;

static void cond_waiter(void *arg)
{
    condarg *a = arg;
    condtest *c = a->c;
    gort_mutex_lock(&c->mu);
    c->parked++;
    gort_cond_wait(&c->cv, &c->mu);
    c->woken[c->nwoken++] = a->id;
    gort_mutex_unlock(&c->mu);
    gort_wg_done(&c->wg);
}

static int parkedcount(condtest *c)
{
    gort_mutex_lock(&c->mu);
    int n = c->parked;
    gort_mutex_unlock(&c->mu);
    return n;
}

static int wokencount(condtest *c)
{
    gort_mutex_lock(&c->mu);
    int n = c->nwoken;
    gort_mutex_unlock(&c->mu);
    return n;
}

static void cond_main(void *arg)
{
    (void)arg;
    enum { N = 10 };
    condtest c = { .mu = GORT_MUTEX_INIT };
    condarg a[N];
    gort_wg_add(&c.wg, N);
    for (int i = 0; i < N; i++) {
        a[i] = (condarg){ &c, i };
        gort_go(cond_waiter, &a[i]);
        while (parkedcount(&c) < i + 1) /* parked in order (mu held until then) */
            gort_yield();
    }
    /* Signals wake one each, oldest first. */
    for (int i = 0; i < 4; i++) {
        gort_cond_signal(&c.cv);
        while (wokencount(&c) < i + 1)
            gort_yield();
        gort_sleep(200000);
        GT_EQ(wokencount(&c), i + 1); /* no extra wakeup */
        GT_EQ(c.woken[i], i);
    }
    gort_cond_broadcast(&c.cv);
    gort_wg_wait(&c.wg);
    GT_EQ(c.nwoken, N);
    gort_cond_signal(&c.cv);    /* nobody waits: no effect */
    gort_cond_broadcast(&c.cv);
}

Test(sync, cond_signal_fifo_and_broadcast) { gt_run(cond_main, NULL); }

/* A bounded queue built on Cond, from Go's tests: producers and
   consumers, at 1 and 2 Ps. */
typedef struct {
    gort_mutex mu;
    gort_cond notempty, notfull;
    int buf[4], n, head;
    long items, sum;
    gort_waitgroup wg;
} bq;

static void bq_put(bq *q, int v)
{
    gort_mutex_lock(&q->mu);
    while (q->n == 4)
        gort_cond_wait(&q->notfull, &q->mu);
    q->buf[(q->head + q->n++) % 4] = v;
    gort_cond_signal(&q->notempty);
    gort_mutex_unlock(&q->mu);
}

static int bq_get(bq *q)
{
    gort_mutex_lock(&q->mu);
    while (q->n == 0)
        gort_cond_wait(&q->notempty, &q->mu);
    int v = q->buf[q->head];
    q->head = (q->head + 1) % 4;
    q->n--;
    gort_cond_signal(&q->notfull);
    gort_mutex_unlock(&q->mu);
    return v;
}

static void bq_producer(void *arg)
{
    bq *q = arg;
    for (long i = 0; i < q->items; i++)
        bq_put(q, (int)(i % 1000));
    gort_wg_done(&q->wg);
}

static void bq_consumer(void *arg)
{
    bq *q = arg;
    long s = 0;
    for (long i = 0; i < q->items; i++)
        s += bq_get(q);
    gort_mutex_lock(&q->mu);
    q->sum += s;
    gort_mutex_unlock(&q->mu);
    gort_wg_done(&q->wg);
}

static void bq_main(void *arg)
{
    gort_maxprocs((int)(uintptr_t)arg);
    bq q = { .items = gt_scale(20000, 10) };
    gort_wg_add(&q.wg, 6);
    for (int i = 0; i < 3; i++) {
        gort_go(bq_producer, &q);
        gort_go(bq_consumer, &q);
    }
    gort_wg_wait(&q.wg);
    long want = 0;
    for (long i = 0; i < q.items; i++)
        want += i % 1000;
    GT_EQ(q.sum, 3 * want);
}

Test(sync, cond_bounded_queue_1p) { gt_run(bq_main, (void *)1); }
Test(sync, cond_bounded_queue_2p) { gt_run(bq_main, (void *)2); }

static condtest foreign_cond;

static void *foreign_broadcast(void *arg)
{
    gt_foreign_announce();
    /* trylock only: lock could block, which is fatal on this thread.
       Once all three have counted themselves (under mu), they hold
       tickets. */
    for (;;) {
        gort_mutex *mu = &foreign_cond.mu;
        if (gort_mutex_trylock(mu)) {
            int n = foreign_cond.parked;
            gort_mutex_unlock(mu);
            if (n == 3)
                break;
        }
        sched_yield();
    }
    gort_cond_signal(&foreign_cond.cv);
    gort_cond_broadcast(&foreign_cond.cv);
    return arg;
}

static void foreigncond_main(void *arg)
{
    (void)arg;
    condarg a[3];
    gort_wg_add(&foreign_cond.wg, 3);
    for (int i = 0; i < 3; i++) {
        a[i] = (condarg){ &foreign_cond, i };
        gort_go(cond_waiter, &a[i]);
    }
    pthread_t t;
    GT_EQ(pthread_create(&t, NULL, foreign_broadcast, NULL), 0);
    gt_wait_announced();
    gort_wg_wait(&foreign_cond.wg);
    pthread_join(t, NULL);
    GT_EQ(foreign_cond.nwoken, 3);
}

Test(sync, cond_signal_broadcast_from_foreign_thread) { gt_run(foreigncond_main, NULL); }
