/*
 * mutex.c - gort_mutex: Go's sync.Mutex (sync/mutex.go) in C.
 *
 * state packs four things: mutexLocked (bit 0), mutexWoken (bit 1: a
 * woken or spinning waiter is about to retry, so Unlock need not wake
 * another), mutexStarving (bit 2) and the number of parked waiters above
 * them.  sema is the address-keyed runtime semaphore the waiters park on.
 *
 * Normal mode: a waiter that wakes competes with newly arriving goroutines,
 * which usually win since they are already running; before parking, a
 * goroutine spins a little while the owner runs on another P.  A waiter
 * that has waited over 1 ms switches the mutex to starvation mode: Unlock
 * hands ownership straight to the front waiter (semrelease with handoff),
 * newcomers neither spin nor grab the lock, and a re-parked waiter queues
 * at the front (LIFO).  The last waiter, or one that waited under 1 ms,
 * switches back to normal mode.
 *
 * The fields are plain integers in the public header; every access goes
 * through the __atomic builtins.
 */
#include <unistd.h>

#include "chan.h"

enum {
    mutexLocked = 1,
    mutexWoken = 2,
    mutexStarving = 4,
    mutexWaiterShift = 3,
};

#define STARVATION_THRESHOLD_NS 1000000
#define ACTIVE_SPIN 4        /* spin rounds before parking */
#define ACTIVE_SPIN_CNT 30   /* pause instructions per round */

static inline int32_t load(int32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline bool cas(int32_t *p, int32_t old, int32_t new)
{
    return __atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_RELAXED);
}

static int ncpu(void)
{
    static int n;
    int v = __atomic_load_n(&n, __ATOMIC_RELAXED);
    if (v == 0) {
        v = (int)sysconf(_SC_NPROCESSORS_ONLN);
        __atomic_store_n(&n, v, __ATOMIC_RELAXED);
    }
    return v;
}

/* Go's sync_runtime_canSpin: spin only a few rounds, on a multicore
   machine, while another P is running (the owner may release soon) and
   this P has nothing else to run. */
static bool canspin(int iter)
{
    if (iter >= ACTIVE_SPIN || ncpu() <= 1 ||
        atomic_load(&sched.gomaxprocs) <=
            atomic_load(&sched.npidle) + atomic_load(&sched.nmspinning) + 1)
        return false;
    p *pp = getm()->p;
    return pp && atomic_load(&pp->runqhead) == atomic_load(&pp->runqtail) &&
           atomic_load(&pp->runnext) == NULL;
}

static void dospin(void)
{
    for (int i = 0; i < ACTIVE_SPIN_CNT; i++) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        __asm__ __volatile__("yield");
#endif
    }
}

__attribute__((noinline)) static void lockslow(gort_mutex *m)
{
    int64_t waitstart = 0;
    bool starving = false, awoke = false;
    int iter = 0;
    int32_t old = load(&m->state);
    for (;;) {
        /* Spin while locked in normal mode; setting mutexWoken tells
           Unlock not to wake a parked waiter meanwhile. */
        if ((old & (mutexLocked | mutexStarving)) == mutexLocked && canspin(iter)) {
            if (!awoke && !(old & mutexWoken) && (old >> mutexWaiterShift) != 0 &&
                cas(&m->state, old, old | mutexWoken))
                awoke = true;
            dospin();
            iter++;
            old = load(&m->state);
            continue;
        }
        int32_t new = old;
        if (!(old & mutexStarving))
            new |= mutexLocked; /* newcomers do not grab a starving mutex */
        if (old & (mutexLocked | mutexStarving))
            new += 1 << mutexWaiterShift;
        if (starving && (old & mutexLocked))
            new |= mutexStarving;
        if (awoke) {
            if (!(new & mutexWoken))
                gort_throw("sync: inconsistent mutex state");
            new &= ~mutexWoken;
        }
        if (!cas(&m->state, old, new)) {
            old = load(&m->state);
            continue;
        }
        if (!(old & (mutexLocked | mutexStarving)))
            return; /* locked it with the CAS */
        bool lifo = waitstart != 0;
        if (waitstart == 0)
            waitstart = nanotime();
        if (lifo)
            semacquire_lifo(&m->sema);
        else
            semacquire(&m->sema);
        starving = starving || nanotime() - waitstart > STARVATION_THRESHOLD_NS;
        old = load(&m->state);
        if (old & mutexStarving) {
            /* Handed off to us: the lock is ours, but state still counts
               us as a waiter and lacks mutexLocked. */
            if ((old & (mutexLocked | mutexWoken)) || (old >> mutexWaiterShift) == 0)
                gort_throw("sync: inconsistent mutex state");
            int32_t delta = mutexLocked - (1 << mutexWaiterShift);
            if (!starving || (old >> mutexWaiterShift) == 1)
                delta -= mutexStarving; /* leave starvation mode */
            __atomic_add_fetch(&m->state, delta, __ATOMIC_ACQ_REL);
            return;
        }
        awoke = true;
        iter = 0;
    }
}

void gort_mutex_lock(gort_mutex *m)
{
    gort_checkblock("gort_mutex_lock");
    if (cas(&m->state, 0, mutexLocked))
        return;
    lockslow(m);
}

bool gort_mutex_trylock(gort_mutex *m)
{
    int32_t old = load(&m->state);
    if (old & (mutexLocked | mutexStarving))
        return false;
    return cas(&m->state, old, old | mutexLocked);
}

__attribute__((noinline)) static void unlockslow(gort_mutex *m, int32_t new)
{
    if (!((new + mutexLocked) & mutexLocked))
        gort_throw("sync: unlock of unlocked mutex");
    if (new & mutexStarving) {
        /* Hand ownership to the front waiter; it runs next on this P. */
        semrelease(&m->sema, true);
        return;
    }
    int32_t old = new;
    for (;;) {
        /* Nobody to wake, or a woken/spinning goroutine or the owner will
           take care of it. */
        if ((old >> mutexWaiterShift) == 0 ||
            (old & (mutexLocked | mutexWoken | mutexStarving)))
            return;
        new = (old - (1 << mutexWaiterShift)) | mutexWoken;
        if (cas(&m->state, old, new)) {
            semrelease(&m->sema, false);
            return;
        }
        old = load(&m->state);
    }
}

void gort_mutex_unlock(gort_mutex *m)
{
    int32_t new = __atomic_sub_fetch(&m->state, mutexLocked, __ATOMIC_ACQ_REL);
    if (new != 0)
        unlockslow(m, new);
}
