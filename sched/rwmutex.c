/*
 * rwmutex.c - gort_rwmutex: Go's sync.RWMutex (sync/rwmutex.go) in C.
 *
 * readercount counts the readers holding or waiting; a writer first takes
 * w (excluding other writers), then subtracts RWMUTEX_MAX_READERS from
 * readercount, which turns it negative: readers arriving after that see
 * the negative count and park on readersem, so a waiting writer is not
 * starved by a stream of readers.  The writer waits (on writersem) for the
 * readerwait readers that were active when it announced itself; the last
 * of them wakes it.  Unlock adds RWMUTEX_MAX_READERS back and wakes the
 * readers that queued meanwhile, then releases w.
 */
#include "chan.h"

#define RWMUTEX_MAX_READERS (1 << 30)

static inline int32_t add(int32_t *p, int32_t d)
{
    return __atomic_add_fetch(p, d, __ATOMIC_ACQ_REL);
}

void gort_rwmutex_rlock(gort_rwmutex *rw)
{
    gort_checkblock("gort_rwmutex_rlock");
    if (add(&rw->readercount, 1) < 0)
        semacquire(&rw->readersem); /* a writer is pending: wait for it */
}

void gort_rwmutex_runlock(gort_rwmutex *rw)
{
    int32_t r = add(&rw->readercount, -1);
    if (r >= 0)
        return;
    if (r + 1 == 0 || r + 1 == -RWMUTEX_MAX_READERS)
        gort_throw("sync: RUnlock of unlocked RWMutex");
    /* A writer is pending; the last departing reader wakes it. */
    if (add(&rw->readerwait, -1) == 0)
        semrelease(&rw->writersem, false);
}

void gort_rwmutex_lock(gort_rwmutex *rw)
{
    gort_checkblock("gort_rwmutex_lock");
    gort_mutex_lock(&rw->w);
    int32_t r = add(&rw->readercount, -RWMUTEX_MAX_READERS) + RWMUTEX_MAX_READERS;
    if (r != 0 && add(&rw->readerwait, r) != 0)
        semacquire(&rw->writersem);
}

void gort_rwmutex_unlock(gort_rwmutex *rw)
{
    int32_t r = add(&rw->readercount, RWMUTEX_MAX_READERS);
    if (r >= RWMUTEX_MAX_READERS)
        gort_throw("sync: Unlock of unlocked RWMutex");
    for (int32_t i = 0; i < r; i++)
        semrelease(&rw->readersem, false);
    gort_mutex_unlock(&rw->w);
}
