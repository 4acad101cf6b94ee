/*
 * mcache.h - the allocator's face to the scheduler (sched/ includes this;
 * mem/ includes nothing from sched/).
 *
 * Each P owns an mcache.  When an M acquires a P it binds the P's cache to
 * its thread; when it releases the P it binds NULL, and the thread falls
 * back to its own thread-local cache (created on its first allocation,
 * returned to the mcentrals when the thread exits).  A cache must be bound
 * to at most one thread at a time, which holding the P guarantees.
 */
#ifndef GORT_MEM_MCACHE_H
#define GORT_MEM_MCACHE_H

/* A fresh cache for a new P; NULL if out of memory. */
void *gort_mcache_new(void);
/* Returns everything the cache holds to the mcentrals (spans with live
   objects stay valid: their blocks can be freed from anywhere) and frees
   it.  No thread may have it bound, except the calling one. */
void gort_mcache_destroy(void *c);
/* This thread allocates from c from now on (the M acquired a P); NULL:
   back to the thread's own cache.  A thread-local store. */
void gort_mcache_bind(void *c);

/* If set, a fatal allocator error ("double free", ...) calls it with the
   message instead of printing "fatal error: MSG" and exiting with status 2
   itself; the scheduler sets it to print the goroutine too.  It must not
   return. */
extern void (*gort_mem_throwhook)(const char *msg);

#endif /* GORT_MEM_MCACHE_H */
