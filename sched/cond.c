/*
 * cond.c - gort_cond: Go's sync.Cond with the runtime's notifyList
 * (runtime/sema.go).
 *
 * A waiter takes a ticket (cv->wait++) while it still holds the user's
 * mutex, unlocks the mutex, then parks with its ticket on the cond's list
 * unless that ticket has been notified already.  cv->notify is the next
 * ticket to wake: signal wakes ticket notify (found by search, since a
 * waiter may take its ticket and be slow to enqueue) and increments it;
 * broadcast sets notify = wait and wakes every parked waiter.  A waiter
 * whose ticket is below notify when it comes to park returns at once.
 * Since only a notification moves notify, a waiter never returns without
 * one: no spurious wakeups.  Tickets compare modulo 2^32.
 *
 * The list's lock is the runtime's rtlock, kept in the public struct as a
 * uint32_t; the list is a singly linked chain of sudogs on the parked
 * waiters' stacks.
 */
#include "chan.h"

_Static_assert(sizeof(rtlock) == sizeof(uint32_t), "gort_cond.lock holds an rtlock");

static rtlock *condlock(gort_cond *cv)
{
    return (rtlock *)&cv->lock;
}

/* t < n modulo 2^32. */
static bool lessticket(uint32_t t, uint32_t n)
{
    return (int32_t)(t - n) < 0;
}

void gort_cond_wait(gort_cond *cv, gort_mutex *m)
{
    gort_checkblock("gort_cond_wait");
    uint32_t t = __atomic_fetch_add(&cv->wait, 1, __ATOMIC_ACQ_REL);
    gort_mutex_unlock(m);

    rtlock_lock(condlock(cv));
    if (lessticket(t, __atomic_load_n(&cv->notify, __ATOMIC_ACQUIRE))) {
        rtlock_unlock(condlock(cv)); /* notified before we could park */
    } else {
        g *gp = getg();
        sudog s = { .g = gp, .ticket = t };
        if (cv->tail)
            ((sudog *)cv->tail)->next = &s;
        else
            cv->head = &s;
        cv->tail = &s;
        gopark(parkunlock_rtlock, condlock(cv), "sync.Cond.Wait");
    }
    gort_mutex_lock(m);
}

void gort_cond_signal(gort_cond *cv)
{
    /* Fast path: no waiter since the last notification. */
    if (__atomic_load_n(&cv->wait, __ATOMIC_ACQUIRE) ==
        __atomic_load_n(&cv->notify, __ATOMIC_ACQUIRE))
        return;
    rtlock_lock(condlock(cv));
    uint32_t t = __atomic_load_n(&cv->notify, __ATOMIC_RELAXED);
    if (t == __atomic_load_n(&cv->wait, __ATOMIC_ACQUIRE)) {
        rtlock_unlock(condlock(cv));
        return;
    }
    __atomic_store_n(&cv->notify, t + 1, __ATOMIC_RELEASE);
    /* The waiter with ticket t may not have enqueued yet: then it will see
       its ticket notified and not park. */
    for (sudog *prev = NULL, *s = cv->head; s; prev = s, s = s->next) {
        if (s->ticket != t)
            continue;
        if (prev)
            prev->next = s->next;
        else
            cv->head = s->next;
        if (cv->tail == s)
            cv->tail = prev;
        rtlock_unlock(condlock(cv));
        goready(s->g);
        return;
    }
    rtlock_unlock(condlock(cv));
}

void gort_cond_broadcast(gort_cond *cv)
{
    if (__atomic_load_n(&cv->wait, __ATOMIC_ACQUIRE) ==
        __atomic_load_n(&cv->notify, __ATOMIC_ACQUIRE))
        return;
    rtlock_lock(condlock(cv));
    sudog *s = cv->head;
    cv->head = cv->tail = NULL;
    __atomic_store_n(&cv->notify, __atomic_load_n(&cv->wait, __ATOMIC_ACQUIRE),
                     __ATOMIC_RELEASE);
    rtlock_unlock(condlock(cv));
    while (s) {
        sudog *next = s->next; /* s dies once its G runs */
        goready(s->g);
        s = next;
    }
}
