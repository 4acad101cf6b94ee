/*
 * test_gls.c - errno per goroutine and goroutine-local storage.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdatomic.h>

#include "forkrun.h"
#include "gort.h"

#define NG 32

static _Atomic int nbad, ndone;

/* ---- errno -------------------------------------------------------------- */

/* GORT_ERRNO, not errno: the compiler would keep errno's address across
   the gort calls (see gort/gls.h). */
static void errno_worker(void *arg)
{
    int mine = 1000 + (int)(intptr_t)arg;
    GORT_ERRNO = mine;
    for (int i = 0; i < SCALE(2000); i++) {
        if (i % 100 == 0)
            gort_sleep(10000); /* parks: may resume on another M */
        else
            gort_yield();
        if (GORT_ERRNO != mine)
            atomic_fetch_add(&nbad, 1);
        GORT_ERRNO = mine;
    }
    atomic_fetch_add(&ndone, 1);
}

static void errno_main(void *arg)
{
    (void)arg;
    for (intptr_t i = 0; i < NG; i++)
        gort_go(errno_worker, (void *)i);
    while (atomic_load(&ndone) < NG)
        gort_sleep(1000000);
}

Test(goroutine_errno, is_per_goroutine, .timeout = 30)
{
    atomic_store(&nbad, 0);
    atomic_store(&ndone, 0);
    gort_maxprocs(2);
    cr_assert_eq(gort_run(errno_main, NULL), 0);
    cr_assert_eq(atomic_load(&ndone), NG);
    cr_assert_eq(atomic_load(&nbad), 0, "%d switches changed errno", atomic_load(&nbad));
}

/* ---- values --------------------------------------------------------------- */

static gort_key key_a, key_b;

static void value_worker(void *arg)
{
    int mine[2];
    cr_assert_null(gort_getspecific(key_a), "a new goroutine starts empty");
    cr_assert_eq(gort_setspecific(key_a, &mine[0]), 0);
    cr_assert_eq(gort_setspecific(key_b, &mine[1]), 0);
    for (int i = 0; i < SCALE(1000); i++) {
        if (i % 100 == 0)
            gort_sleep(10000);
        else
            gort_yield();
        if (gort_getspecific(key_a) != &mine[0] || gort_getspecific(key_b) != &mine[1])
            atomic_fetch_add(&nbad, 1);
    }
    (void)arg;
    gort_setspecific(key_a, NULL);
    gort_setspecific(key_b, NULL);
    atomic_fetch_add(&ndone, 1);
}

static void value_main(void *arg)
{
    (void)arg;
    /* Waves, so that later goroutines reuse the Gs of finished ones. */
    for (int wave = 0; wave < 3; wave++) {
        int target = atomic_load(&ndone) + NG;
        for (int i = 0; i < NG; i++)
            gort_go(value_worker, NULL);
        while (atomic_load(&ndone) < target)
            gort_sleep(1000000);
    }
}

Test(gls, values_are_per_goroutine, .timeout = 30)
{
    cr_assert_eq(gort_key_create(&key_a, NULL), 0);
    cr_assert_eq(gort_key_create(&key_b, NULL), 0);
    cr_assert_neq(key_a, key_b);
    atomic_store(&nbad, 0);
    atomic_store(&ndone, 0);
    gort_maxprocs(2);
    cr_assert_eq(gort_run(value_main, NULL), 0);
    cr_assert_eq(atomic_load(&ndone), 3 * NG);
    cr_assert_eq(atomic_load(&nbad), 0);
}

/* ---- destructors ----------------------------------------------------------- */

static gort_key key_d;
static _Atomic int ndtor, nreset;

static void dtor(void *v)
{
    int *count = v;
    atomic_fetch_add(&ndtor, 1);
    cr_assert_neq(gort_id(), 0, "destructors run on the goroutine");
    gort_yield(); /* and may call into gort */
    if (++*count < 3) {
        gort_setspecific(key_d, count); /* set again: another round */
        atomic_fetch_add(&nreset, 1);
    }
}

static void dtor_worker(void *arg)
{
    cr_assert_eq(gort_setspecific(key_d, arg), 0);
}

static int counts[NG];

static void dtor_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < NG; i++)
        gort_go(dtor_worker, &counts[i]);
    while (atomic_load(&ndtor) < 3 * NG)
        gort_sleep(1000000);
    /* A goroutine that sets a value and leaves it NULL runs no destructor. */
    gort_go(dtor_worker, NULL);
    gort_sleep(5000000);
}

Test(gls, destructors_run_at_exit_in_rounds, .timeout = 30)
{
    cr_assert_eq(gort_key_create(&key_d, dtor), 0);
    gort_maxprocs(2);
    cr_assert_eq(gort_run(dtor_main, NULL), 0);
    cr_assert_eq(atomic_load(&ndtor), 3 * NG);
    cr_assert_eq(atomic_load(&nreset), 2 * NG);
    for (int i = 0; i < NG; i++)
        cr_assert_eq(counts[i], 3);
}

static void errors_main(void *arg)
{
    (void)arg;
    cr_assert_eq(gort_setspecific(GORT_KEYS_MAX + 5, &arg), EINVAL);
    cr_assert_null(gort_getspecific(GORT_KEYS_MAX + 5));
}

Test(gls, bad_keys_and_foreign_threads)
{
    gort_key k;
    cr_assert_eq(gort_key_create(&k, NULL), 0);
    cr_assert_eq(gort_setspecific(k, &k), EPERM, "not a goroutine");
    cr_assert_null(gort_getspecific(k));
    cr_assert_eq(gort_run(errors_main, NULL), 0);
}
