/*
 * mstats.c - gort_read_memstats (runtime.MemStats) and gort_free_os_memory
 * (debug.FreeOSMemory).  See malloc.h for an overview.
 */
#include <string.h>

#include "malloc.h"

GORT_API void gort_read_memstats(gort_memstats *ms) {
    memset(ms, 0, sizeof *ms);
    _Static_assert(NUM_SIZE_CLASSES <= sizeof ms->class_size / sizeof ms->class_size[0],
                   "gort_memstats.class_size too small");
    memlock_lock(&mcache_poollock);
    uint64_t xfrees = atomic_load_explicit(&mcache_deadxfrees, memory_order_relaxed);
    for (mcache *c = mcache_all; c; c = c->allnext) {
        xfrees += atomic_load_explicit(&c->xfrees, memory_order_relaxed);
        ms->nmcache++;
    }
    memlock_unlock(&mcache_poollock);
    ms->xfrees = xfrees;
    memlock_lock(&mheap_.lock);
    ms->heap_sys = mheap_.sysbytes;
    ms->heap_inuse = mheap_.pagesinuse * PAGE_SIZE;
    ms->heap_idle = mheap_.pagesfree * PAGE_SIZE;
    ms->heap_released = mheap_.pagesreleased * PAGE_SIZE;
    ms->large_inuse = mheap_.largebytes;
    ms->nlarge = mheap_.nlarge;
    ms->nscavenge = mheap_.nscavenges;
    ms->scavenged = mheap_.scavbytes;
    ms->nclasses = NUM_SIZE_CLASSES;
    for (int i = 0; i < NUM_SIZE_CLASSES; i++) {
        ms->class_size[i] = class_to_size[i];
        ms->class_spans[i] = mheap_.nspans[i];
    }
    memlock_unlock(&mheap_.lock);
    ms->os_mappings = atomic_load_explicit(&sys_nmaps, memory_order_relaxed);
    ms->os_mapped = atomic_load_explicit(&sys_mapbytes, memory_order_relaxed);
}

GORT_API void gort_free_os_memory(void) {
    if (tls_bound)
        mcache_trim(tls_bound);
    for (int i = 0; i < NUM_SPAN_CLASSES; i++)
        mcentral_flush(&mcentrals[i]);
    mheap_scavenge(0);
}
