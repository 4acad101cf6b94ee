/*
 * mcache.c - the per-P (or per-thread) allocation cache.
 * See malloc.h for an overview.
 *
 * The malloc fast path (fastpath.h) takes an object from the allocCache
 * of c->direct[size] or c->alloc[spc]; everything else is here, run only
 * by the thread that has the cache bound, so nothing but the remote-free
 * words needs atomics.  setalloc keeps direct[] equal to alloc[] for the
 * classes it covers.
 *
 * Refill (mcache_nextfree), when the current span's cache word is empty:
 *   1. take in the spans remote freers queued on c->own (their blocks go
 *      back to their bitmaps; a full one becomes partial);
 *   2. try the rest of the current span's bitmap, then its own xfree list;
 *   3. set it aside as full (tag NOTIFY, so the next remote free queues it);
 *   4. take a partial span of ours, else one from the mcentral (which may
 *      get a fresh one from the heap).
 * A local free that leaves a full span with a free object moves it to
 * partial; one that empties a span that is not current gives it to the
 * heap, unless the class has fewer than KEEP_PARTIAL partial spans
 * (mcache_freeslow, spanlists_place; the fast path calls it when
 * allocCount falls to the span's freefloor).
 *
 * Binding: tls_bound is the cache a thread allocates from, tls_mcache the
 * one its fast paths use (bind keeps them equal unless the debug option
 * is on or there is none, when the fast paths get the inert nocache).
 *
 * Destroy hands every span to its mcentral.  A span tagged QUEUED is on,
 * or about to be pushed onto, this cache's queue by a remote freer that
 * already decided to: destroy waits for those pushes before the record is
 * reused, so a freer never writes to a dead cache.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "malloc.h"
#include "mcache.h"

mspan emptyspan;
mcache nocache = {
    .direct = {[0 ... DIRECT_SLOTS - 1] = &emptyspan},
    .alloc = {[0 ... NUM_SPAN_CLASSES - 1] = &emptyspan},
};
__thread mcache *tls_mcache __attribute__((tls_model("initial-exec"))) = &nocache;
__thread mcache *tls_bound __attribute__((tls_model("initial-exec")));
static __thread mcache *tls_own __attribute__((tls_model("initial-exec")));

memlock mcache_poollock;
mcache *mcache_all;
_Atomic uint64_t mcache_deadxfrees;
static mcache *pool;
static pthread_key_t threadkey;

static void drain(mcache *c) {
    mspan *s = atomic_exchange_explicit(&c->own.xspans, NULL, memory_order_acquire);
    while (s) {
        mspan *next = s->xnext;
        span_reclaim(s, span_xtake(s, true));
        spanlists_place(&c->lists[s->spanclass], s, true);
        s = next;
    }
}

/* Makes s the current span of class spc, in alloc[] and, for the scan
   classes of at most DIRECT_MAX bytes, in the direct[] slots of the
   sizes the class holds. */
static void setalloc(mcache *c, uint8_t spc, mspan *s) {
    c->alloc[spc] = s;
    uint32_t sc = spanclass_sizeclass(spc);
    if (sc == 0 || (spc & 1) || class_to_size[sc] > DIRECT_MAX)
        return;
    for (uint32_t i = class_to_size[sc - 1] / SMALL_SIZE_DIV; i < class_to_size[sc] / SMALL_SIZE_DIV; i++)
        c->direct[i] = s;
}

void *mcache_nextfree(mcache *c, uint8_t spc) {
    if (atomic_load_explicit(&c->own.xspans, memory_order_relaxed))
        drain(c);
    spanlists *l = &c->lists[spc];
    mspan *s = c->alloc[spc];
    if (s != &emptyspan) {
        for (;;) {
            if (s->allocCache || span_nextword(s))
                return span_alloccache(s);
            if (span_hasxfree(s)) {
                span_reclaim(s, span_xtake(s, false));
                continue;
            }
            if (span_setnotify(s))
                break;
        }
        span_setlist(s, LIST_FULL);
        list_insert(&l->full, s);
    }
    if ((s = l->partial) != NULL) {
        list_remove(&l->partial, s);
        span_setlist(s, LIST_CURRENT);
    } else if ((s = mcentral_cachespan(&mcentrals[spc], &c->own)) == NULL) {
        setalloc(c, spc, &emptyspan);
        return NULL;
    }
    /* A partial span has allocCount < nelems, so it has a free bit. */
    if (span_hasxfree(s))
        span_reclaim(s, span_xtake(s, false));
    if (!s->allocCache && !span_nextword(s))
        mthrow("partial span without a free object", (void *)s->base);
    setalloc(c, spc, s);
    return span_alloccache(s);
}

void mcache_freeslow(mcache *c, mspan *s) {
    spanlists *l = &c->lists[s->spanclass];
    if (s->list == LIST_FULL && s->allocCount > 0) { /* the common case */
        list_remove(&l->full, s);
        list_insert(&l->partial, s);
        span_setlist(s, LIST_PARTIAL);
        return;
    }
    spanlists_place(l, s, true);
}

void mcache_trim(mcache *c) {
    for (int spc = 0; spc < NUM_SPAN_CLASSES; spc++) {
        for (mspan *s = c->lists[spc].partial, *next; s; s = next) {
            next = s->next;
            if (s->allocCount == 0 && !span_isqueued(s)) {
                list_remove(&c->lists[spc].partial, s);
                mheap_free(s);
            }
        }
    }
}

/* ---- creation and destruction ---------------------------------------- */

/* This thread allocates from c (NULL: none yet).  The debug option keeps
   the fast paths on nocache, so that every call takes the checked path. */
static void bind(mcache *c) {
    tls_bound = c;
    tls_mcache = c && !mem_debug ? c : &nocache;
}

void *gort_mcache_new(void) {
    mem_init();
    memlock_lock(&mcache_poollock);
    mcache *c = pool;
    if (c) {
        pool = c->poolnext;
    } else {
        memlock_lock(&mheap_.lock);
        c = sys_persistent(sizeof *c);
        memlock_unlock(&mheap_.lock);
    }
    if (c) {
        memset(c, 0, sizeof *c);
        for (int i = 0; i < NUM_SPAN_CLASSES; i++)
            setalloc(c, (uint8_t)i, &emptyspan);
        c->allnext = mcache_all;
        if (mcache_all)
            mcache_all->allprev = c;
        mcache_all = c;
    }
    memlock_unlock(&mcache_poollock);
    return c;
}

/* Gives s to its mcentral unless a remote freer is queueing it on c;
   returns false in that case. */
static bool handover(mspan *s) {
    uintptr_t old = atomic_load_explicit(&s->xfree, memory_order_relaxed);
    for (;;) {
        if ((old & XF_TAGMASK) == XF_QUEUED)
            return false;
        if (atomic_compare_exchange_weak_explicit(&s->xfree, &old, old & ~XF_TAGMASK,
                                                  memory_order_acq_rel, memory_order_relaxed))
            break;
    }
    mcentral_take(&mcentrals[s->spanclass], s);
    return true;
}

void gort_mcache_destroy(void *cv) {
    mcache *c = cv;
    if (!c)
        return;
    if (tls_bound == c)
        bind(tls_own != c ? tls_own : NULL);
    drain(c);
    long waiting = 0;
    for (int spc = 0; spc < NUM_SPAN_CLASSES; spc++) {
        mspan *lists[3] = {c->alloc[spc], c->lists[spc].partial, c->lists[spc].full};
        for (int i = 0; i < 3; i++) {
            for (mspan *s = lists[i], *next; s && s != &emptyspan; s = next) {
                next = i ? s->next : NULL;
                s->next = s->prev = NULL;
                if (!handover(s))
                    waiting++;
            }
        }
    }
    while (waiting > 0) {
        mspan *s = atomic_exchange_explicit(&c->own.xspans, NULL, memory_order_acquire);
        if (!s)
            sched_yield();
        for (mspan *next; s; s = next, waiting--) {
            next = s->xnext;
            mcentral_take(&mcentrals[s->spanclass], s);
        }
    }
    memlock_lock(&mcache_poollock);
    atomic_fetch_add_explicit(&mcache_deadxfrees,
                              atomic_load_explicit(&c->xfrees, memory_order_relaxed),
                              memory_order_relaxed);
    if (c->allprev)
        c->allprev->allnext = c->allnext;
    else
        mcache_all = c->allnext;
    if (c->allnext)
        c->allnext->allprev = c->allprev;
    c->poolnext = pool;
    pool = c;
    memlock_unlock(&mcache_poollock);
}

void gort_mcache_bind(void *c) {
    bind(c ? c : tls_own);
}

/* ---- the thread's own cache ------------------------------------------ */

static void threadexit(void *c) {
    if (tls_own == c)
        tls_own = NULL;
    gort_mcache_destroy(c);
}

mcache *mcache_self(void) {
    if (tls_bound)
        return tls_bound;
    mcache *c = gort_mcache_new();
    if (!c)
        return NULL;
    tls_own = c;
    bind(c);
    pthread_setspecific(threadkey, c); /* may allocate: the cache is bound */
    return c;
}

void mcache_initkey(void) {
    pthread_key_create(&threadkey, threadexit);
}
