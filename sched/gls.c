/*
 * gls.c - goroutine-local storage (see include/gort/gls.h for the rules).
 *
 * Keys are indexes into one process-wide table of destructors, handed out
 * by an atomic counter and never reused, so a stale key can never read a
 * later key's value.  Each G has an array of values indexed by key
 * (g->gls, g->ngls), grown on the first gort_setspecific beyond its end;
 * only the G itself reads or writes it.  glsexit runs the destructors on
 * the G's own stack just before goexit and leaves every value NULL, so a
 * G reused from a free list starts empty; the array itself is freed with
 * the G (gfreeall).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

typedef void (*gls_dtor)(void *);

static _Atomic unsigned nkeys;
static _Atomic(gls_dtor) dtors[GORT_KEYS_MAX];

int gort_key_create(gort_key *key, void (*destructor)(void *))
{
    unsigned k = atomic_load(&nkeys);
    do {
        if (k >= GORT_KEYS_MAX)
            return EAGAIN;
    } while (!atomic_compare_exchange_weak(&nkeys, &k, k + 1));
    atomic_store(&dtors[k], destructor);
    *key = k;
    return 0;
}

void *gort_getspecific(gort_key key)
{
    g *gp = getg();
    if (gp == NULL || key >= gp->ngls)
        return NULL;
    return gp->gls[key];
}

int gort_setspecific(gort_key key, const void *value)
{
    if (key >= atomic_load(&nkeys))
        return EINVAL;
    g *gp = getg();
    if (gp == NULL)
        return EPERM;
    if (key >= gp->ngls) {
        unsigned n = gp->ngls ? gp->ngls : 8;
        while (n <= key)
            n *= 2;
        void **a = realloc(gp->gls, n * sizeof *a);
        if (a == NULL)
            return ENOMEM;
        memset(a + gp->ngls, 0, (n - gp->ngls) * sizeof *a);
        gp->gls = a;
        gp->ngls = n;
    }
    gp->gls[key] = (void *)value;
    return 0;
}

/* noipa: not const, not inlined, so every use looks errno up again. */
__attribute__((noipa)) int *gort_errno_location(void)
{
    return &errno;
}

void glsexit(g *gp)
{
    for (int round = 0; round < GORT_DESTRUCTOR_ITERATIONS; round++) {
        bool ran = false;
        for (unsigned k = 0; k < gp->ngls; k++) {
            void *v = gp->gls[k];
            if (v == NULL)
                continue;
            gp->gls[k] = NULL;
            gls_dtor d = atomic_load(&dtors[k]);
            if (d) {
                d(v);
                ran = true;
            }
        }
        if (!ran)
            break;
    }
    /* Values set again by the last round's destructors are dropped. */
    if (gp->ngls)
        memset(gp->gls, 0, gp->ngls * sizeof *gp->gls);
}
