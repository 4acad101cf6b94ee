/*
 * gort/sync.h - Mutex, RWMutex, WaitGroup, Once and Cond (Go's sync
 * package).  Included by gort.h; do not include directly.
 *
 * Each is a plain struct whose all-zero value is ready to use (the
 * GORT_*_INIT initialisers are all zero), so zeroed memory needs no
 * initialisation and nothing needs destroying.  Do not copy one in use.
 * The fields are private to gort.
 *
 * Misuse is fatal as in Go: unlock of an unlocked Mutex, RUnlock or Unlock
 * of an RWMutex not so held, a negative WaitGroup counter.  The calls that
 * cannot block (the unlocks, trylock, gort_wg_add and _done,
 * gort_cond_signal and _broadcast) work from any thread while a gort_run
 * is active; the ones that can block, made outside a goroutine, are fatal.
 */
#ifndef GORT_SYNC_H
#define GORT_SYNC_H

#include "../gort.h"

#ifdef __cplusplus
extern "C" {
#define GORT_ZERO_INIT {}   /* C++ warns about {0} under -Wextra */
#else
#define GORT_ZERO_INIT {0}
#endif

/* Go's sync.Mutex: a short spin, then a park on the runtime's semaphore;
   a waiter passed over for more than 1 ms switches the mutex to starvation
   mode, where it is handed straight to the oldest waiter.  Any goroutine
   may unlock it. */
typedef struct {
    int32_t state;
    uint32_t sema;
} gort_mutex;
#define GORT_MUTEX_INIT GORT_ZERO_INIT
GORT_API void gort_mutex_lock(gort_mutex *m);
GORT_API bool gort_mutex_trylock(gort_mutex *m);   /* true when acquired */
GORT_API void gort_mutex_unlock(gort_mutex *m);

/* Go's sync.RWMutex: once a writer waits, new readers wait behind it, so
   writers are not starved. */
typedef struct {
    int32_t readercount;  /* a scalar first: {0} nests without warnings */
    int32_t readerwait;
    uint32_t writersem;
    uint32_t readersem;
    gort_mutex w;
} gort_rwmutex;
#define GORT_RWMUTEX_INIT GORT_ZERO_INIT
GORT_API void gort_rwmutex_rlock(gort_rwmutex *rw);
GORT_API void gort_rwmutex_runlock(gort_rwmutex *rw);
GORT_API void gort_rwmutex_lock(gort_rwmutex *rw);
GORT_API void gort_rwmutex_unlock(gort_rwmutex *rw);

/* Go's sync.WaitGroup. */
typedef struct {
    uint64_t state;   /* counter in the high 32 bits, waiters in the low */
    uint32_t sema;
} gort_waitgroup;
#define GORT_WAITGROUP_INIT GORT_ZERO_INIT
GORT_API void gort_wg_add(gort_waitgroup *wg, long delta);
GORT_API void gort_wg_done(gort_waitgroup *wg);
GORT_API void gort_wg_wait(gort_waitgroup *wg);

/* Go's sync.Once: fn runs once; every gort_once_do returns after it has. */
typedef struct {
    uint32_t done;
    gort_mutex m;
} gort_once;
#define GORT_ONCE_INIT GORT_ZERO_INIT
GORT_API void gort_once_do(gort_once *o, gort_fn fn, void *arg);

/* Go's sync.Cond over a gort_mutex, with Go's ticket-based notify list:
   no spurious wakeups; signal wakes the longest waiter. */
typedef struct {
    uint32_t wait;    /* next ticket to hand out */
    uint32_t notify;  /* next ticket to notify */
    uint32_t lock;
    void *head, *tail;
} gort_cond;
#define GORT_COND_INIT GORT_ZERO_INIT
GORT_API void gort_cond_wait(gort_cond *cv, gort_mutex *m);
GORT_API void gort_cond_signal(gort_cond *cv);
GORT_API void gort_cond_broadcast(gort_cond *cv);

#ifdef __cplusplus
}
#endif

#endif /* GORT_SYNC_H */
