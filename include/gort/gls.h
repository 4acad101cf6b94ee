/*
 * gort/gls.h - goroutine-local storage, as pthread keys are thread-local.
 *
 * A key is made once (process-wide, keys are never reused) with an
 * optional destructor; each goroutine then has its own value for it,
 * NULL until set.  When a goroutine returns, the destructor of every
 * non-NULL value runs on that goroutine (so it may call into gort), its
 * value set to NULL first; destructors that set values again are run
 * again, up to GORT_DESTRUCTOR_ITERATIONS rounds, as pthreads do.
 * Goroutines abandoned when main returns run no destructors (as in Go, the
 * program is over).  Outside a goroutine, gort_getspecific returns NULL and
 * gort_setspecific fails with EPERM.
 *
 * errno is per goroutine too: gort saves it when a goroutine gives up its
 * thread and restores it, on whichever thread, when it runs again.  But
 * glibc declares errno's accessor const, so the compiler may keep errno's
 * address in a register across a call in the same function; after a gort
 * call that parks, that is maybe another thread's errno.  Read and write
 * errno after such a call through GORT_ERRNO (or in another function).
 */
#ifndef GORT_GLS_H
#define GORT_GLS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned gort_key;

#define GORT_KEYS_MAX 1024
#define GORT_DESTRUCTOR_ITERATIONS 4

/* 0, or EAGAIN when GORT_KEYS_MAX keys exist. */
GORT_API int   gort_key_create(gort_key *key, void (*destructor)(void *value));
/* The running goroutine's value for key; NULL if unset or not a key. */
GORT_API void *gort_getspecific(gort_key key);
/* 0, or EINVAL (not a key), EPERM (not a goroutine), ENOMEM. */
GORT_API int   gort_setspecific(gort_key key, const void *value);

/* The running thread's errno, looked up afresh at every call. */
GORT_API int *gort_errno_location(void);
#define GORT_ERRNO (*gort_errno_location())

#ifdef __cplusplus
}
#endif

#endif /* GORT_GLS_H */
