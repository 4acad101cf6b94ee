/*
 * ctx.h - switching between goroutine contexts, told to the sanitizers.
 *
 * gctx_switch(from, to) saves the running context in `from` and resumes
 * `to` (asm_<arch>.S does the work).  Around it, the sanitizers that track
 * stacks are told what happens: AddressSanitizer must know the bounds of
 * the stack it is about to run on (__sanitizer_start_switch_fiber) and is
 * told when the switch is done (__sanitizer_finish_switch_fiber, called by
 * the resumed side); ThreadSanitizer keeps one fiber per context and is
 * told which one runs next.  In a build without sanitizers all of this
 * compiles away and a switch is one call to gort_swapctx.
 *
 * gctx_finish must be the first thing a context does once resumed: after
 * gctx_switch returns, and at the entry of a new goroutine (gostart).
 */
#ifndef GORT_SCHED_CTX_H
#define GORT_SCHED_CTX_H

#include "runtime.h"

#if defined(__SANITIZE_ADDRESS__)
#define GORT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GORT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define GORT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GORT_TSAN 1
#endif
#endif

#ifdef GORT_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef GORT_TSAN
#include <sanitizer/tsan_interface.h>
#endif

void gort_swapctx(void **save_sp, void *next_sp);

/* Prepares a fresh context whose first switch-in runs gostart(gp). */
void gctx_init(gctx *c, g *gp, uintptr_t stack_lo, uintptr_t stack_hi);
/* Context of the calling thread's own stack (an M's g0). */
void gctx_init_thread(gctx *c);

/* Switches to `to`.  If `dying`, the current context is never resumed
   (its sanitizer state is released).  Returns when someone switches back. */
static inline void gctx_switch(gctx *from, gctx *to, bool dying)
{
#ifdef GORT_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(dying ? NULL : &fake, to->san_bottom, to->san_size);
#endif
#ifdef GORT_TSAN
    __tsan_switch_to_fiber(to->san_fiber, 0);
#endif
    (void)dying;
    gort_swapctx(&from->sp, to->sp);
#ifdef GORT_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}

/* First act of a brand-new context. */
static inline void gctx_start(void)
{
#ifdef GORT_ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
}

#endif /* GORT_SCHED_CTX_H */
