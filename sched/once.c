/*
 * once.c - gort_once: Go's sync.Once in C.
 *
 * done is set, with release order, only after fn has returned, so the
 * fast path (an acquire load that sees done) orders fn's effects before
 * the caller's.  The slow path serialises callers on the mutex, so every
 * gort_once_do returns only after fn has run, including the calls that
 * raced with the first.
 */
#include "chan.h"

void gort_once_do(gort_once *o, gort_fn fn, void *arg)
{
    gort_checkblock("gort_once_do");
    if (__atomic_load_n(&o->done, __ATOMIC_ACQUIRE))
        return;
    gort_mutex_lock(&o->m);
    if (!__atomic_load_n(&o->done, __ATOMIC_RELAXED)) {
        fn(arg);
        __atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
    }
    gort_mutex_unlock(&o->m);
}
