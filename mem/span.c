/*
 * span.c - an mspan's allocation bitmap and its remote-free list.
 * See malloc.h for an overview.
 *
 * freeBits has one bit per object, set while the object is free; the bits
 * past nelems in the last word stay clear so they never look free.  One
 * word, *cachedword, is held in allocCache instead: while it is there the
 * word in freeBits is stale, so the fast path touches only allocCache.
 * A local free of an object in that word sets its cache bit again, so it
 * is reused at once; a free elsewhere sets its freeBits bit and is seen
 * when the scan reaches its word.  When the cache is empty span_nextword
 * writes it back and moves to the next word with a free bit, wrapping once
 * around the span; the span is full when allocCount == nelems.
 *
 * The xfree word: a LIFO of blocks freed by threads that do not own the
 * span, the next pointer in each block's first word, and the two-bit tag
 * in the low bits (see malloc.h).  Freers push with one CAS; the owner takes
 * the whole list at once (span_xtake) and gives its blocks back to the
 * bitmap (span_reclaim), which is also where a block freed twice is caught:
 * its free bit is already set.
 */
#include <string.h>

#include "malloc.h"

void span_initsmall(mspan *s, uint8_t spc) {
    uint32_t sc = spanclass_sizeclass(spc);
    s->spanclass = spc;
    s->elemsize = class_to_size[sc];
    s->divmul = class_to_divmul[sc];
    s->nelems = (uint16_t)(s->npages * PAGE_SIZE / s->elemsize);
    s->nbytes = (uintptr_t)s->nelems * s->elemsize;
    s->allocCount = 0;
    memset(s->freeBits, 0, sizeof s->freeBits);
    memset(s->freeBits, 0xff, s->nelems / 64 * sizeof s->freeBits[0]);
    if (s->nelems % 64)
        s->freeBits[s->nelems / 64] = ~(~0ull << (s->nelems % 64));
    s->cachedword = &s->freeBits[0];
    s->allocCache = s->freeBits[0];
    s->curbase = s->base;
    if (mem_debug)
        memset((void *)s->base, DEBUG_POISON, s->npages * PAGE_SIZE);
    atomic_store_explicit(&s->xfree, XF_NONE, memory_order_relaxed);
    s->xnext = NULL;
}

bool span_nextword(mspan *s) {
    if (s->allocCount >= s->nelems)
        return false;
    uint32_t nwords = (s->nelems + 63u) / 64u;
    uint32_t w = (uint32_t)(s->cachedword - s->freeBits);
    s->freeBits[w] = s->allocCache;
    for (uint32_t i = 0; i < nwords; i++) {
        w = w + 1 == nwords ? 0 : w + 1;
        if (s->freeBits[w]) {
            s->cachedword = &s->freeBits[w];
            s->allocCache = s->freeBits[w];
            s->curbase = s->base + (uintptr_t)w * 64 * s->elemsize;
            return true;
        }
    }
    return false; /* not reached while allocCount < nelems */
}

uintptr_t span_xtake(mspan *s, bool clearqueued) {
    uintptr_t old = atomic_load_explicit(&s->xfree, memory_order_relaxed);
    for (;;) {
        uintptr_t tag = old & XF_TAGMASK;
        uintptr_t keep = (clearqueued && tag == XF_QUEUED) ? XF_NONE : tag;
        if ((old & ~XF_TAGMASK) == 0 && tag == keep)
            return 0;
        if (atomic_compare_exchange_weak_explicit(&s->xfree, &old, keep,
                                                  memory_order_acquire, memory_order_relaxed))
            return old & ~XF_TAGMASK;
    }
}

void span_reclaim(mspan *s, uintptr_t list) {
    while (list) {
        uintptr_t next = *(uintptr_t *)list;
        if (!span_freeindex(s, span_objindex(s, list)))
            mthrow("double free", (void *)list);
        list = next;
    }
}

bool span_setnotify(mspan *s) {
    uintptr_t old = atomic_load_explicit(&s->xfree, memory_order_relaxed);
    for (;;) {
        if (old & ~XF_TAGMASK)
            return false;
        if ((old & XF_TAGMASK) != XF_NONE)
            return true; /* already NOTIFY, or QUEUED: the owner will hear */
        if (atomic_compare_exchange_weak_explicit(&s->xfree, &old, XF_NOTIFY,
                                                  memory_order_release, memory_order_relaxed))
            return true;
    }
}

bool span_isqueued(mspan *s) {
    return (atomic_load_explicit(&s->xfree, memory_order_acquire) & XF_TAGMASK) == XF_QUEUED;
}

void span_xpush(mspan *s, void *p) {
    uintptr_t old = atomic_load_explicit(&s->xfree, memory_order_relaxed);
    uintptr_t tag;
    do {
        *(uintptr_t *)p = old & ~XF_TAGMASK;
        tag = old & XF_TAGMASK;
    } while (!atomic_compare_exchange_weak_explicit(
        &s->xfree, &old, (uintptr_t)p | (tag == XF_NOTIFY ? XF_QUEUED : tag),
        memory_order_acq_rel, memory_order_relaxed));
    if (tag == XF_NOTIFY) {
        /* We moved the span from NOTIFY to QUEUED: tell its owner.  The
           owner cannot change or free the span until it pops it. */
        mowner *o = atomic_load_explicit(&s->owner, memory_order_relaxed);
        mspan *head = atomic_load_explicit(&o->xspans, memory_order_relaxed);
        do {
            s->xnext = head;
        } while (!atomic_compare_exchange_weak_explicit(&o->xspans, &head, s,
                                                        memory_order_release, memory_order_relaxed));
    }
}

/* ---- an owner's partial and full spans ------------------------------- */

/* True if l's partial list has fewer than n spans besides s. */
static bool fewpartial(spanlists *l, mspan *s, int n) {
    for (mspan *p = l->partial; p; p = p->next)
        if (p != s && --n == 0)
            return false;
    return true;
}

void spanlists_place(spanlists *l, mspan *s, bool keep) {
    if (s->list == LIST_CURRENT)
        return;
    for (;;) {
        if (s->allocCount == 0 && !span_isqueued(s) && !(keep && fewpartial(l, s, KEEP_PARTIAL))) {
            list_remove(s->list == LIST_FULL ? &l->full : &l->partial, s);
            mheap_free(s);
            return;
        }
        if (s->allocCount < s->nelems) {
            if (s->list == LIST_FULL) {
                list_remove(&l->full, s);
                list_insert(&l->partial, s);
                span_setlist(s, LIST_PARTIAL);
            }
            return;
        }
        if (s->list == LIST_PARTIAL) {
            list_remove(&l->partial, s);
            list_insert(&l->full, s);
            span_setlist(s, LIST_FULL);
        }
        if (span_setnotify(s))
            return;
        span_reclaim(s, span_xtake(s, false));
    }
}
