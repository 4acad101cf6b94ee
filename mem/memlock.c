/*
 * memlock.c - the allocator's lock: spin briefly, then sleep on a futex.
 * See malloc.h for an overview.
 *
 * key: 0 unlocked, 1 locked, 2 locked with sleepers.  The allocator's
 * critical sections are short (list moves, a page-run split), so a waiter
 * spins first; a cross-core futex wakeup costs tens of microseconds on the
 * machines gort targets.  Built on atomics and a raw futex so that it
 * needs no allocation and works before libc's threads are set up.
 */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "malloc.h"

static void futex(_Atomic uint32_t *addr, int op, uint32_t val) {
    syscall(SYS_futex, addr, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

void memlock_lock(memlock *l) {
    uint32_t v = 0;
    if (likely(atomic_compare_exchange_strong_explicit(&l->key, &v, 1,
                                                       memory_order_acquire, memory_order_relaxed)))
        return;
    for (int i = 0; i < 100; i++) {
        cpu_relax();
        v = 0;
        if (atomic_load_explicit(&l->key, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_weak_explicit(&l->key, &v, 1,
                                                  memory_order_acquire, memory_order_relaxed))
            return;
    }
    while (atomic_exchange_explicit(&l->key, 2, memory_order_acquire) != 0)
        futex(&l->key, FUTEX_WAIT, 2);
}

void memlock_unlock(memlock *l) {
    if (atomic_exchange_explicit(&l->key, 0, memory_order_release) == 2)
        futex(&l->key, FUTEX_WAKE, 1);
}

void memlock_reinit(memlock *l) {
    atomic_store_explicit(&l->key, 0, memory_order_relaxed);
}
