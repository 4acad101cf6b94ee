/*
 * fastpath.h - the fast paths of malloc and free, inline so that
 * gort_malloc and gort_free (malloc.c) and the drop-in's malloc and free
 * (preload/override.c) are each one function with no call in between.
 * See malloc.h for an overview.
 *
 * mallocfast, for 1 .. DIRECT_MAX bytes: the thread's cache (one
 * thread-local load), the current span of the size's class from the
 * cache's direct[] table, one ctz on its allocCache.  No lock, no atomic,
 * no size-class lookup.  Anything else - an empty cache word, a bigger or
 * zero size, no cache yet (nocache), the debug option (nocache too) - is
 * malloc_generic.
 *
 * freefast: the span map gives the block's span in O(1); if the thread's
 * cache owns it, the block's offset is checked (it must be a block start
 * inside the span: the map may hold a stale entry, and a pointer inside a
 * block is fatal) and its free bit set in place, catching a double free.
 * Anything else - NULL, a pointer gort never mapped, a large object, a
 * span not in use (its owner is NULL), a span another cache or an
 * mcentral owns, the debug option, a failed check - is free_generic,
 * which tells these apart.  Every exit is a return or a tail call, so
 * freefast needs no stack frame.
 */
#ifndef GORT_MEM_FASTPATH_H
#define GORT_MEM_FASTPATH_H

#include "malloc.h"

void *malloc_generic(size_t n, bool noscan);       /* malloc.c */
void free_generic(void *p, mspan *s);              /* malloc.c; s = spanof(p) */

/* After a local free from s, which c owns: a full span becomes partial,
   an empty partial one may go back to the heap (a current one stays).
   One compare with the floor its list sets. */
static inline void mcache_freed(mcache *c, mspan *s) {
    if (unlikely(s->allocCount <= s->freefloor))
        mcache_freeslow(c, s);
}

static inline void *mallocfast(size_t n) {
    mcache *c = tls_mcache;
    if (likely(n - 1 < DIRECT_MAX)) {
        mspan *s = c->direct[(n - 1) / SMALL_SIZE_DIV];
        if (likely(s->allocCache))
            return span_alloccache(s);
    }
    return malloc_generic(n, false);
}

static inline void freefast(void *p) {
    uintptr_t a = (uintptr_t)p;
    mspan *s = spanof(a); /* NULL for NULL: gort never maps page 0 */
    mcache *c = tls_mcache;
    if (unlikely(!s || atomic_load_explicit(&s->owner, memory_order_relaxed) != &c->own)) {
        free_generic(p, s);
        return;
    }
    uint32_t idx;
    if (unlikely(!span_blockindex(s, a, &idx) || !span_freeindex(s, idx))) {
        free_generic(p, s); /* says what is wrong: no call here needs a frame */
        return;
    }
    mcache_freed(c, s);
}

#endif /* GORT_MEM_FASTPATH_H */
