/*
 * lock_futex.c - the runtime's own lock and one-shot wakeup, on futexes.
 *
 * rtlock (Go's runtime.mutex) guards short critical sections inside the
 * runtime: key 0 is unlocked, 1 locked, 2 locked with possible sleepers.
 * A locker spins a little (the holder is usually running on the other
 * core), then marks the lock contended and sleeps in futex_wait; unlock
 * calls futex_wake only when the key says someone may sleep.
 *
 * note (Go's note) is how an idle M sleeps: key 0 is clear, 1 woken, 2 a
 * sleeper is (or is about to be) in futex_wait.  A cross-core futex wakeup
 * costs tens of microseconds on the virtual machines gort targets, against
 * well under one for a busy-wait, so notesleep first polls the key for a
 * short while before it sleeps; notewakeup makes the system call only if
 * the sleeper got as far as announcing it (key 2).  No wakeup is lost: the
 * sleeper moves 0->2 with a CAS and futex_wait rechecks that the key is
 * still 2, so a wakeup that lands in between makes futex_wait return.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax() __asm__ __volatile__("" ::: "memory")
#endif

enum {
    LOCK_SPIN = 100,      /* polls of a held rtlock before sleeping */
    NOTE_SPIN_NS = 20000, /* how long notesleep polls before sleeping */
};

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, addr, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, 0);
}

void rtlock_lock(rtlock *l)
{
    uint32_t v = 0;
    if (atomic_compare_exchange_strong_explicit(&l->key, &v, 1, memory_order_acquire,
                                                memory_order_relaxed))
        return;
    for (int i = 0; i < LOCK_SPIN; i++) {
        cpu_relax();
        v = 0;
        if (atomic_load_explicit(&l->key, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_weak_explicit(&l->key, &v, 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return;
    }
    /* Contended: take it in state 2 so that our unlock wakes the others. */
    while (atomic_exchange_explicit(&l->key, 2, memory_order_acquire) != 0)
        futex(&l->key, FUTEX_WAIT, 2, NULL);
}

void rtlock_unlock(rtlock *l)
{
    if (atomic_exchange_explicit(&l->key, 0, memory_order_release) == 2)
        futex(&l->key, FUTEX_WAKE, 1, NULL);
}

void noteclear(note *n)
{
    atomic_store_explicit(&n->key, 0, memory_order_relaxed);
}

void notewakeup(note *n)
{
    uint32_t old = atomic_exchange_explicit(&n->key, 1, memory_order_release);
    if (old == 2)
        futex(&n->key, FUTEX_WAKE, 1, NULL);
}

/* Polls for up to NOTE_SPIN_NS; true if woken meanwhile. */
static bool notespin(note *n)
{
    int64_t until = nanotime() + NOTE_SPIN_NS;
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (atomic_load_explicit(&n->key, memory_order_acquire) == 1)
                return true;
            cpu_relax();
        }
        if (nanotime() >= until)
            return false;
    }
}

bool notetsleep(note *n, int64_t ns)
{
    if (notespin(n))
        return true;
    int64_t deadline = ns >= 0 ? nanotime() + ns : -1;
    for (;;) {
        uint32_t v = 0;
        if (!atomic_compare_exchange_strong_explicit(&n->key, &v, 2, memory_order_acquire,
                                                     memory_order_acquire)) {
            if (v == 1)
                return true;
            /* v == 2: a previous timed-out round left it announced. */
        }
        struct timespec ts, *tsp = NULL;
        if (deadline >= 0) {
            int64_t left = deadline - nanotime();
            if (left <= 0) {
                /* Withdraw the announcement unless a wakeup beat us to it. */
                v = 2;
                if (atomic_compare_exchange_strong_explicit(&n->key, &v, 0, memory_order_acquire,
                                                            memory_order_acquire))
                    return false;
                return true;
            }
            ts.tv_sec = left / 1000000000;
            ts.tv_nsec = left % 1000000000;
            tsp = &ts;
        }
        futex(&n->key, FUTEX_WAIT, 2, tsp);
        if (atomic_load_explicit(&n->key, memory_order_acquire) == 1)
            return true;
    }
}

void notesleep(note *n)
{
    notetsleep(n, -1);
}
