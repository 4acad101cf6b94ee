/*
 * gort.h - the one header a gort user includes.
 *
 * gort is a Go-style runtime for C: goroutines (G) run on OS threads (M)
 * that must hold a processor context (P) to run them; they talk over
 * channels and select, and allocate through a per-P cache.  Every name is
 * prefixed gort_; the semantics are Go's, and DESIGN.md gives the rules
 * behind each signature.  Areas that grow beyond a few calls live in
 * gort/<area>.h, included from here.
 */
#ifndef GORT_H
#define GORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GORT_API __attribute__((visibility("default")))
#else
#define GORT_API
#endif

typedef void (*gort_fn)(void *arg);

/* ---- lifecycle and goroutines ----------------------------------------- */

/* Boots the Ps (GORT_MAXPROCS, else the CPUs in the affinity mask), runs
   main_fn(arg) as goroutine 1 and returns 0 when it returns; a negative
   errno if boot fails.  Callable again after it returns. */
GORT_API int      gort_run(gort_fn main_fn, void *arg);
GORT_API void     gort_go(gort_fn fn, void *arg);   /* spawn; never fails silently */
GORT_API void     gort_yield(void);                 /* runtime.Gosched */
GORT_API int      gort_maxprocs(int n);             /* runtime.GOMAXPROCS; n <= 0 only reads */
GORT_API uint64_t gort_id(void);                    /* running goroutine's id, 0 outside one */
GORT_API long     gort_num_goroutines(void);        /* live user goroutines, main included */
GORT_API void     gort_sleep(int64_t ns);           /* ns <= 0 returns at once */
GORT_API int64_t  gort_now(void);                   /* CLOCK_MONOTONIC, nanoseconds */

#ifdef __cplusplus
}
#endif

#include "gort/chan.h"   /* channels, select, timers */
#include "gort/sync.h"   /* Mutex, RWMutex, WaitGroup, Once, Cond */
#include "gort/mem.h"    /* malloc API and memory statistics */
#include "gort/io.h"     /* blocking calls, preemption safe points */
#include "gort/gls.h"    /* goroutine-local storage */

#endif /* GORT_H */
