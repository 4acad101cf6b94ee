/*
 * waitgroup.c - gort_waitgroup: Go's sync.WaitGroup in C.
 *
 * state holds the counter in its high 32 bits and the number of parked
 * waiters in its low 32.  Wait increments the waiter count with a CAS
 * (only while the counter is non-zero) and parks on sema; the Add that
 * brings the counter to zero resets state to 0 and releases sema once per
 * waiter.  Go's misuse checks are kept: a negative counter, an Add racing
 * with the final wakeup, a reuse before the previous Wait returned.
 */
#include "chan.h"

void gort_wg_add(gort_waitgroup *wg, long delta)
{
    if (delta > INT32_MAX || delta < INT32_MIN)
        gort_throw("sync: WaitGroup delta out of range");
    uint64_t state = __atomic_add_fetch(&wg->state, (uint64_t)delta << 32, __ATOMIC_ACQ_REL);
    int32_t v = (int32_t)(state >> 32);
    uint32_t w = (uint32_t)state;
    if (v < 0)
        gort_throw("sync: negative WaitGroup counter");
    if (w != 0 && delta > 0 && v == (int32_t)delta)
        gort_throw("sync: WaitGroup misuse: Add called concurrently with Wait");
    if (v > 0 || w == 0)
        return;
    /* The counter reached 0 with waiters: nobody may touch state now but
       us (a concurrent Add or Wait is misuse). */
    if (__atomic_load_n(&wg->state, __ATOMIC_ACQUIRE) != state)
        gort_throw("sync: WaitGroup misuse: Add called concurrently with Wait");
    __atomic_store_n(&wg->state, 0, __ATOMIC_RELEASE);
    for (; w != 0; w--)
        semrelease(&wg->sema, false);
}

void gort_wg_done(gort_waitgroup *wg)
{
    gort_wg_add(wg, -1);
}

void gort_wg_wait(gort_waitgroup *wg)
{
    gort_checkblock("gort_wg_wait");
    for (;;) {
        uint64_t state = __atomic_load_n(&wg->state, __ATOMIC_ACQUIRE);
        if ((state >> 32) == 0)
            return;
        if (__atomic_compare_exchange_n(&wg->state, &state, state + 1, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            semacquire(&wg->sema);
            if (__atomic_load_n(&wg->state, __ATOMIC_ACQUIRE) != 0)
                gort_throw("sync: WaitGroup is reused before previous Wait has returned");
            return;
        }
    }
}
