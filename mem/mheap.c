/*
 * mheap.c - the page heap: arenas, the span map, the page allocator and the
 * scavenger.  See malloc.h for an overview.
 *
 * Everything here runs under mheap_.lock.
 *
 * Arenas.  The heap grows by whole 64 MiB arenas (more at once for a huge
 * object), each with a heapArena record that maps its pages to spans;
 * mheap_arenas[] maps an arena number to its record.  Arenas are never
 * unmapped; their idle pages are released instead.
 *
 * Free runs.  A maximal run of free pages is an mspan in state MSPAN_FREE;
 * the span map holds it at its first and last page (pages inside it may
 * hold stale pointers, which is why every reader checks a span's state and
 * range).  A run of n < 128 pages is on free[n], a longer one on freelarge;
 * freemask has a bit per non-empty free[n], so the smallest run that fits a
 * request is found with one count-trailing-zeros per 64 lists, and a
 * request of >= 128 pages takes the best fit of the (few) long runs.  The
 * run is split; what is left goes back on its list.  A freed span is merged
 * with the free runs just before and after it (the span map at base-1 and
 * at its end), so free runs are always maximal.
 *
 * Scavenging.  heapArena.scav has a bit per page that holds no memory: it
 * was never touched, or it was released with MADV_DONTNEED.  Such pages
 * read as zeros, so a span made only of them needs no zeroing, and they
 * count as released in the statistics.  Policy (Go's scavenger keeps
 * retained memory near 110% of its goal; gort frees explicitly, so it
 * bounds the idle memory it keeps instead): when a release leaves more than
 * max(SCAV_KEEP_MIN, in-use/8) bytes of idle, unreleased pages, the heap
 * releases the longest free runs first until half of that bound is left.
 * So a program whose heap shrinks after a burst gets its RSS back at once,
 * and one that frees and reallocates a steady working set does not pay a
 * madvise per cycle.  gort_free_os_memory() releases everything idle.
 */
#include <string.h>

#include "malloc.h"

#define SCAV_KEEP_MIN ((uint64_t)8 << 20)

mheap mheap_;
heapArena *_Atomic mheap_arenas[ARENA_L1];
static mspan *spanpool; /* recycled mspan records */

static mspan *span_new(void) {
    mspan *s = spanpool;
    if (s) {
        spanpool = s->next;
    } else {
        s = sys_persistent(sizeof *s);
        if (!s)
            mthrow("out of memory allocating span metadata", NULL);
    }
    memset(s, 0, sizeof *s);
    return s;
}

static void span_dispose(mspan *s) {
    s->state = MSPAN_DEAD;
    s->next = spanpool;
    spanpool = s;
}

static heapArena *arenaof(uintptr_t addr) {
    return atomic_load_explicit(&mheap_arenas[addr >> ARENA_SHIFT], memory_order_relaxed);
}

static void setspan(uintptr_t addr, mspan *s) {
    heapArena *ha = arenaof(addr);
    atomic_store_explicit(&ha->spans[(addr >> PAGE_SHIFT) & (PAGES_PER_ARENA - 1)], s,
                          memory_order_relaxed);
}

static uintptr_t span_end(const mspan *s) { return s->base + s->npages * PAGE_SIZE; }

/* The free run starting at s->base maps its first and last page. */
static void setrunends(mspan *s) {
    setspan(s->base, s);
    setspan(span_end(s) - PAGE_SIZE, s);
}

/* ---- the scav bitmap ------------------------------------------------- */

static bool scavbit(uintptr_t addr) {
    uintptr_t pg = (addr >> PAGE_SHIFT) & (PAGES_PER_ARENA - 1);
    return arenaof(addr)->scav[pg / 64] >> (pg % 64) & 1;
}

static void setscav(uintptr_t addr, bool on) {
    uintptr_t pg = (addr >> PAGE_SHIFT) & (PAGES_PER_ARENA - 1);
    uint64_t *w = &arenaof(addr)->scav[pg / 64];
    *w = on ? *w | 1ull << (pg % 64) : *w & ~(1ull << (pg % 64));
}

static uintptr_t countscav(uintptr_t base, uintptr_t npages) {
    uintptr_t n = 0;
    for (uintptr_t i = 0; i < npages; i++)
        n += scavbit(base + i * PAGE_SIZE);
    return n;
}

/* ---- free lists ------------------------------------------------------ */

static void freelist_insert(mspan *s) {
    if (s->npages < HEAP_FREE_LISTS) {
        list_insert(&mheap_.free[s->npages], s);
        mheap_.freemask[s->npages / 64] |= 1ull << (s->npages % 64);
    } else {
        list_insert(&mheap_.freelarge, s);
    }
}

static void freelist_remove(mspan *s) {
    if (s->npages < HEAP_FREE_LISTS) {
        list_remove(&mheap_.free[s->npages], s);
        if (!mheap_.free[s->npages])
            mheap_.freemask[s->npages / 64] &= ~(1ull << (s->npages % 64));
    } else {
        list_remove(&mheap_.freelarge, s);
    }
}

static mspan *freelist_find(uintptr_t npages) {
    if (npages < HEAP_FREE_LISTS) {
        for (uintptr_t w = npages / 64; w < HEAP_FREE_LISTS / 64; w++) {
            uint64_t m = mheap_.freemask[w];
            if (w == npages / 64)
                m &= ~0ull << (npages % 64);
            if (m)
                return mheap_.free[w * 64 + (uintptr_t)__builtin_ctzll(m)];
        }
    }
    mspan *best = NULL;
    for (mspan *s = mheap_.freelarge; s; s = s->next)
        if (s->npages >= npages && (!best || s->npages < best->npages ||
                                    (s->npages == best->npages && s->base < best->base)))
            best = s;
    return best;
}

/* Makes s (base, npages, unscav set) a free run, merged with the free runs
   on either side. */
static void addrun(mspan *s) {
    s->state = MSPAN_FREE;
    s->spanclass = 0;
    /* freefast takes a span its cache owns as small and in use. */
    atomic_store_explicit(&s->owner, NULL, memory_order_relaxed);
    mheap_.pagesfree += s->npages;
    uintptr_t prev = s->base - 1;
    mspan *p = spanof(prev);
    if (p && p->state == MSPAN_FREE && span_end(p) == s->base) {
        freelist_remove(p);
        s->base = p->base;
        s->npages += p->npages;
        s->unscav += p->unscav;
        span_dispose(p);
    }
    uintptr_t end = span_end(s);
    mspan *n = spanof(end);
    if (n && n->state == MSPAN_FREE && n->base == end) {
        freelist_remove(n);
        s->npages += n->npages;
        s->unscav += n->unscav;
        span_dispose(n);
    }
    setrunends(s);
    freelist_insert(s);
}

/* ---- growing --------------------------------------------------------- */

static bool grow(uintptr_t npages) {
    uintptr_t bytes = (npages * PAGE_SIZE + ARENA_SIZE - 1) & ~(ARENA_SIZE - 1);
    if (npages > (UINTPTR_MAX >> PAGE_SHIFT) / 2)
        return false;
    uintptr_t base = (uintptr_t)sys_map(bytes, ARENA_SIZE);
    if (!base)
        return false;
    if (((base + bytes - 1) >> ARENA_SHIFT) >= ARENA_L1) {
        sys_unmap((void *)base, bytes);
        return false;
    }
    for (uintptr_t a = base; a < base + bytes; a += ARENA_SIZE) {
        heapArena *ha = sys_map(sizeof(heapArena), 0);
        if (!ha) /* the arenas mapped so far stay; the heap keeps what it has */
            return false;
        memset(ha->scav, 0xff, sizeof ha->scav);
        atomic_store_explicit(&mheap_arenas[a >> ARENA_SHIFT], ha, memory_order_release);
    }
    mspan *s = span_new();
    s->base = base;
    s->npages = bytes / PAGE_SIZE;
    s->unscav = 0; /* fresh pages hold no memory */
    mheap_.sysbytes += bytes;
    mheap_.pagesreleased += s->npages;
    addrun(s);
    return true;
}

/* ---- allocation and release ----------------------------------------- */

/* Makes [base, base+npages), cut from a free run, a free run of its own
   with unscav unreleased pages. */
static void splitoff(uintptr_t base, uintptr_t npages, uintptr_t unscav) {
    mspan *t = span_new();
    t->base = base;
    t->npages = npages;
    t->unscav = (uint32_t)unscav;
    t->state = MSPAN_FREE;
    setrunends(t);
    freelist_insert(t);
}

static mspan *alloc_locked(uintptr_t npages, uintptr_t alignpages) {
    uintptr_t need = npages + alignpages - 1;
    if (need < npages)
        return NULL;
    mspan *r = freelist_find(need);
    if (!r) {
        if (!grow(need))
            return NULL;
        r = freelist_find(need);
    }
    mspan *s = span_new();
    freelist_remove(r);
    mheap_.pagesfree -= r->npages;
    uintptr_t align = alignpages * PAGE_SIZE;
    uintptr_t base = (r->base + align - 1) & ~(align - 1);
    uintptr_t lead = (base - r->base) / PAGE_SIZE;
    uintptr_t trail = r->npages - lead - npages;
    uintptr_t rbase = r->base;
    /* Count the unreleased pages of the (short) lead and allocated parts;
       the (possibly long) trail has the rest. */
    uintptr_t leaddirty = lead - countscav(rbase, lead);
    uintptr_t trailunscav = r->unscav - leaddirty - (npages - countscav(base, npages));
    span_dispose(r);
    if (lead) {
        splitoff(rbase, lead, leaddirty);
        mheap_.pagesfree += lead;
    }
    if (trail) {
        splitoff(base + npages * PAGE_SIZE, trail, trailunscav);
        mheap_.pagesfree += trail;
    }
    s->base = base;
    s->npages = npages;
    s->nbytes = npages * PAGE_SIZE;
    uintptr_t released = 0;
    for (uintptr_t i = 0; i < npages; i++) {
        uintptr_t a = base + i * PAGE_SIZE;
        if (scavbit(a)) {
            released++;
            setscav(a, false);
        }
        setspan(a, s);
    }
    s->needzero = released < npages;
    mheap_.pagesreleased -= released;
    mheap_.pagesinuse += npages;
    s->state = MSPAN_INUSE;
    return s;
}

mspan *mheap_alloc(uintptr_t npages, uintptr_t alignpages, uint8_t spanclass) {
    memlock_lock(&mheap_.lock);
    mspan *s = alloc_locked(npages, alignpages ? alignpages : 1);
    if (s) {
        s->spanclass = spanclass;
        if (spanclass >= 2) {
            mheap_.nspans[spanclass_sizeclass(spanclass)]++;
        } else {
            mheap_.nlarge++;
            mheap_.largebytes += npages * PAGE_SIZE;
        }
    }
    memlock_unlock(&mheap_.lock);
    return s;
}

/* Releases the unreleased pages of free run r to the OS. */
static void scavenge_run(mspan *r) {
    uintptr_t end = span_end(r);
    for (uintptr_t a = r->base; a < end;) {
        if (scavbit(a)) {
            a += PAGE_SIZE;
            continue;
        }
        uintptr_t b = a;
        while (b < end && !scavbit(b)) {
            setscav(b, true);
            b += PAGE_SIZE;
        }
        sys_unused((void *)a, b - a);
        mheap_.pagesreleased += (b - a) / PAGE_SIZE;
        mheap_.nscavenges++;
        mheap_.scavbytes += b - a;
        a = b;
    }
    r->unscav = 0;
}

static uint64_t idledirty(void) {
    return (mheap_.pagesfree - mheap_.pagesreleased) * PAGE_SIZE;
}

static void scavenge_locked(uint64_t keep) {
    for (mspan *r = mheap_.freelarge; r && idledirty() > keep; r = r->next)
        if (r->unscav)
            scavenge_run(r);
    for (uintptr_t n = HEAP_FREE_LISTS - 1; n > 0 && idledirty() > keep; n--)
        for (mspan *r = mheap_.free[n]; r && idledirty() > keep; r = r->next)
            if (r->unscav)
                scavenge_run(r);
}

void mheap_scavenge(uint64_t keepbytes) {
    memlock_lock(&mheap_.lock);
    scavenge_locked(keepbytes);
    memlock_unlock(&mheap_.lock);
}

void mheap_free(mspan *s) {
    memlock_lock(&mheap_.lock);
    if (s->spanclass >= 2) {
        mheap_.nspans[spanclass_sizeclass(s->spanclass)]--;
    } else {
        mheap_.nlarge--;
        mheap_.largebytes -= s->npages * PAGE_SIZE;
    }
    mheap_.pagesinuse -= s->npages;
    s->unscav = (uint32_t)s->npages; /* pages in use are never released */
    addrun(s);
    uint64_t bound = mheap_.pagesinuse * PAGE_SIZE / 8;
    if (bound < SCAV_KEEP_MIN)
        bound = SCAV_KEEP_MIN;
    if (idledirty() > bound)
        scavenge_locked(bound / 2);
    memlock_unlock(&mheap_.lock);
}
