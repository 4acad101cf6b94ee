/*
 * mcentral.c - the spans of one span class that no mcache owns.
 * See malloc.h for an overview.
 *
 * An mcentral holds, under its lock, the spans a destroyed cache left
 * behind: partial (some objects free) and full (none free, and tagged
 * NOTIFY so that the first remote free queues them on mcentral.own).
 * mcentral_cachespan hands a cache a span to own: it first takes in the
 * queued spans (freeing their remote blocks, sending empty ones back to
 * the heap, moving the rest to partial), then gives out a partial span,
 * and only then asks the heap for a fresh one.  Spans never come here
 * just because they are full: a cache keeps its own full spans, so the
 * common free is cache-local and an mcentral's lock is taken once per
 * span, never per object.
 */
#include "malloc.h"

mcentral mcentrals[NUM_SPAN_CLASSES];

void mcentral_init(mcentral *ct, uint8_t spc) {
    ct->spanclass = spc;
}

static void drain(mcentral *ct) {
    mspan *s = atomic_exchange_explicit(&ct->own.xspans, NULL, memory_order_acquire);
    while (s) {
        mspan *next = s->xnext;
        span_reclaim(s, span_xtake(s, true));
        spanlists_place(&ct->lists, s, false);
        s = next;
    }
}

mspan *mcentral_cachespan(mcentral *ct, mowner *newowner) {
    memlock_lock(&ct->lock);
    if (atomic_load_explicit(&ct->own.xspans, memory_order_relaxed))
        drain(ct);
    mspan *s = ct->lists.partial;
    if (s)
        list_remove(&ct->lists.partial, s);
    memlock_unlock(&ct->lock);
    if (!s) {
        uint32_t sc = spanclass_sizeclass(ct->spanclass);
        s = mheap_alloc(class_to_allocnpages[sc], 1, ct->spanclass);
        if (!s)
            return NULL;
        span_initsmall(s, ct->spanclass);
    }
    span_setlist(s, LIST_CURRENT);
    atomic_store_explicit(&s->owner, newowner, memory_order_release);
    return s;
}

void mcentral_take(mcentral *ct, mspan *s) {
    memlock_lock(&ct->lock);
    atomic_store_explicit(&s->owner, &ct->own, memory_order_release);
    span_reclaim(s, span_xtake(s, true));
    span_setlist(s, LIST_PARTIAL);
    list_insert(&ct->lists.partial, s);
    spanlists_place(&ct->lists, s, false);
    memlock_unlock(&ct->lock);
}

void mcentral_flush(mcentral *ct) {
    memlock_lock(&ct->lock);
    drain(ct);
    for (mspan *s = ct->lists.partial, *next; s; s = next) {
        next = s->next;
        span_reclaim(s, span_xtake(s, false));
        spanlists_place(&ct->lists, s, false);
    }
    memlock_unlock(&ct->lock);
}
