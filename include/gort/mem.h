/* gort/mem.h - included by gort.h; do not include directly.
 *
 * The allocator: Go's size classes, per-P caches, central lists and page
 * heap (mem/malloc.h explains it).  Usable from any thread, inside or
 * outside gort_run.  Every block of 16 bytes or more is 16-byte aligned,
 * smaller ones 8-byte aligned.  gort_malloc(0) returns a unique block that
 * can be freed; gort_realloc(p, 0) frees p and returns NULL.  A size that
 * cannot be satisfied gives NULL with errno ENOMEM; an alignment that is
 * not a power of two gives NULL with errno EINVAL.  Freeing a block twice
 * or a pointer gort did not return is a fatal error (exit status 2) where
 * it is detected: always for a pointer outside gort's heap or not at the
 * start of a block, and for a double free by the thread that owns the
 * block's span at once, by another thread when the owner takes the block
 * back.
 *
 * Debug option: GORT_MALLOC_DEBUG=1 in the environment (read at the first
 * allocation) fills every freed small block with 0xdb and checks, when the
 * block is handed out again, that nobody wrote to it meanwhile ("fatal
 * error: write to freed block").  It costs a fill and a check per
 * operation.
 */
#ifndef GORT_MEM_H
#define GORT_MEM_H

#include "../gort.h"

#ifdef __cplusplus
extern "C" {
#endif

GORT_API void  *gort_malloc(size_t n);
GORT_API void  *gort_calloc(size_t count, size_t n);  /* overflow: NULL, ENOMEM */
GORT_API void  *gort_realloc(void *p, size_t n);      /* in place when the class allows */
GORT_API void   gort_free(void *p);                   /* NULL is fine */
GORT_API void  *gort_aligned_alloc(size_t align, size_t n);
GORT_API size_t gort_usable_size(const void *p);      /* 0 for NULL */

/* A block that will hold no pointers (Go's noscan): it comes from spans of
   its own, which a scanning tool can skip.  Freed with gort_free. */
GORT_API void  *gort_malloc_noscan(size_t n);

/* runtime.MemStats, for gort's heap.  Bytes unless named otherwise. */
typedef struct gort_memstats {
    uint64_t heap_sys;        /* arena address space mapped from the OS */
    uint64_t heap_inuse;      /* in spans that hold objects */
    uint64_t heap_idle;       /* in free page runs (includes heap_released) */
    uint64_t heap_released;   /* idle and returned to the OS (or never touched) */
    uint64_t large_inuse;     /* in objects over 32 KiB (part of heap_inuse) */
    uint64_t nlarge;          /* objects over 32 KiB in use */
    uint64_t xfrees;          /* cross-P/thread frees: blocks freed by a P or
                                 thread other than the one whose cache owned them */
    uint64_t nscavenge;       /* madvise calls that released idle pages */
    uint64_t scavenged;       /* bytes those calls released, in total */
    uint64_t os_mappings;     /* mmaps alive (arenas, their maps, metadata) */
    uint64_t os_mapped;       /* bytes in those mappings */
    uint64_t nmcache;         /* live caches (one per P and per thread that allocates) */
    uint32_t nclasses;        /* entries used in the arrays below */
    uint32_t class_size[68];  /* object size of each size class (0: unused) */
    uint64_t class_spans[68]; /* spans in use of each size class */
} gort_memstats;

/* Fills *ms.  It takes every allocator lock briefly. */
GORT_API void gort_read_memstats(gort_memstats *ms);

/* debug.FreeOSMemory: takes back blocks freed remotely into spans no cache
   owns, returns empty spans (those no cache owns, and the ones the calling
   thread's cache keeps in reserve) to the heap and releases every idle
   page to the OS. */
GORT_API void gort_free_os_memory(void);

#ifdef __cplusplus
}
#endif

#endif /* GORT_MEM_H */
