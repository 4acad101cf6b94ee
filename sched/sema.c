/*
 * sema.c - a semaphore keyed by address (Go's sema.go), on which sync's
 * Mutex, RWMutex and WaitGroup sleep.
 *
 * *addr counts permits.  semacquire takes one, sleeping until there is one;
 * semrelease adds one and wakes a sleeper on the same address.  Sleepers
 * hang off one of SEMTABSZ roots chosen by address hash, each a FIFO list
 * under the root's lock (LIFO on request, for Mutex's starvation logic),
 * with nwait counting them so that a release with no sleeper takes no lock.
 *
 * A sleeper increments nwait and rechecks *addr under the root lock before
 * it parks, and the root lock is released only after it is parked (gopark's
 * unlock function); a releaser adds its permit before it reads nwait.  So
 * either the sleeper sees the permit or the releaser sees the sleeper: no
 * wakeup is lost.  With handoff, the releaser takes the permit on the
 * woken G's behalf (its ticket) and yields to it, so that a contended
 * Mutex passes straight to its waiter.
 *
 * A waiter lives on the parked G's stack, which stays put while it sleeps;
 * when a run ends, the waiters of the goroutines it abandons are dropped
 * (semareset).
 */
#include "proc.h"

enum { SEMTABSZ = 251 };

typedef struct semawaiter {
    g *g;
    uint32_t *addr;
    struct semawaiter *next;
    bool ticket;
} semawaiter;

static struct semaroot {
    rtlock lock;
    semawaiter *head, *tail;
    _Atomic uint32_t nwait;
} __attribute__((aligned(64))) semtable[SEMTABSZ];

static struct semaroot *semroot(uint32_t *addr)
{
    return &semtable[((uintptr_t)addr >> 3) % SEMTABSZ];
}

static bool cansemacquire(uint32_t *addr)
{
    uint32_t v = __atomic_load_n(addr, __ATOMIC_ACQUIRE);
    while (v > 0)
        if (__atomic_compare_exchange_n(addr, &v, v - 1, true, __ATOMIC_ACQUIRE,
                                        __ATOMIC_ACQUIRE))
            return true;
    return false;
}

static bool semunlock(g *gp, void *arg)
{
    (void)gp;
    rtlock_unlock(&((struct semaroot *)arg)->lock);
    return true;
}

static void semacquire1(uint32_t *addr, bool lifo)
{
    if (cansemacquire(addr))
        return;
    gort_checkblock("semacquire");
    struct semaroot *root = semroot(addr);
    semawaiter w = {.g = getg(), .addr = addr};
    for (;;) {
        rtlock_lock(&root->lock);
        atomic_fetch_add(&root->nwait, 1);
        if (cansemacquire(addr)) {
            atomic_fetch_sub(&root->nwait, 1);
            rtlock_unlock(&root->lock);
            return;
        }
        w.ticket = false;
        w.next = NULL;
        if (lifo) {
            w.next = root->head;
            root->head = &w;
            if (!root->tail)
                root->tail = &w;
        } else {
            if (root->tail)
                root->tail->next = &w;
            else
                root->head = &w;
            root->tail = &w;
        }
        gopark(semunlock, root, "semacquire");
        if (w.ticket || cansemacquire(addr))
            return;
    }
}

void semacquire(uint32_t *addr)
{
    semacquire1(addr, false);
}

void semacquire_lifo(uint32_t *addr)
{
    semacquire1(addr, true);
}

void semrelease(uint32_t *addr, bool handoff)
{
    struct semaroot *root = semroot(addr);
    __atomic_fetch_add(addr, 1, __ATOMIC_RELEASE);
    if (atomic_load(&root->nwait) == 0)
        return;
    rtlock_lock(&root->lock);
    semawaiter *w = root->head, *prev = NULL;
    while (w && w->addr != addr) {
        prev = w;
        w = w->next;
    }
    if (w == NULL) {
        rtlock_unlock(&root->lock);
        return;
    }
    if (prev)
        prev->next = w->next;
    else
        root->head = w->next;
    if (root->tail == w)
        root->tail = prev;
    atomic_fetch_sub(&root->nwait, 1);
    rtlock_unlock(&root->lock);
    bool ticket = handoff && cansemacquire(addr);
    w->ticket = ticket;
    g *wg = w->g;
    goready(wg); /* w is dead from here on: it lives on wg's stack */
    if (ticket && getg() != NULL)
        gosched();
}

void semareset(void)
{
    for (int i = 0; i < SEMTABSZ; i++) {
        semtable[i].head = semtable[i].tail = NULL;
        atomic_store(&semtable[i].nwait, 0);
    }
}
