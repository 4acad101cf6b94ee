/*
 * test_mem_sched.c - the allocator under the scheduler: each P has its own
 * mcache, bound to whichever M holds the P, so a goroutine that allocates,
 * migrates to another P and frees makes remote frees, which the first P's
 * cache takes back in batches.
 *
 * Migration is forced through GOMAXPROCS: each round the goroutines
 * allocate with 2 Ps (the second P steals half of the first's queue), then
 * gort_maxprocs(1) retires the second P, which moves its goroutines to the
 * first, and they free what they allocated.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "gort.h"
#include "malloc.h"
#include "mem_testutil.h"

enum { GS = 16, BATCH = 64, ROUNDS = 20 };
static _Atomic int phase, allocated, freed, migrated;

/* The cache the running goroutine allocates from: read afresh each time,
   never kept across a yield (the goroutine may resume on another M). */
static mcache *cache_now(void) {
    return tls_bound;
}

static void waitphase(int want) {
    while (atomic_load(&phase) < want)
        gort_yield();
}

static void migrant(void *arg) {
    uint64_t x = 0x9e3779b97f4a7c15ull * ((uintptr_t)arg + 1);
    for (int r = 0; r < ROUNDS; r++) {
        unsigned char *b[BATCH];
        size_t n[BATCH];
        waitphase(2 * r + 1);
        mcache *from = cache_now();
        cr_assert_not_null(from, "a goroutine runs with its P's cache bound");
        for (int j = 0; j < BATCH; j++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            n[j] = 8 + x % 2000;
            b[j] = gort_malloc(n[j]);
            memset(b[j], (int)(n[j] & 0xff), n[j]);
        }
        atomic_fetch_add(&allocated, 1);
        waitphase(2 * r + 2);
        /* Nothing parks from here to the last free: a batch that moved is
           freed entirely from the other P's cache. */
        if (cache_now() != from)
            atomic_fetch_add(&migrated, 1);
        for (int j = 0; j < BATCH; j++) {
            for (size_t k = 0; k < n[j]; k += 97)
                cr_assert_eq(b[j][k], (unsigned char)(n[j] & 0xff));
            gort_free(b[j]);
        }
        atomic_fetch_add(&freed, 1);
    }
}

static void migrate_main(void *arg) {
    (void)arg;
    for (uintptr_t g = 0; g < GS; g++)
        gort_go(migrant, (void *)g);
    for (int r = 0; r < ROUNDS; r++) {
        gort_maxprocs(2);
        atomic_store(&phase, 2 * r + 1);
        while (atomic_load(&allocated) < GS * (r + 1))
            gort_yield();
        gort_maxprocs(1);
        atomic_store(&phase, 2 * r + 2);
        while (atomic_load(&freed) < GS * (r + 1))
            gort_yield();
    }
}

Test(mem_sched, allocate_migrate_free_on_another_p, .timeout = 60) {
    gort_memstats a, b;
    gort_read_memstats(&a);
    cr_assert_eq(gort_run(migrate_main, NULL), 0);
    gort_read_memstats(&b);
    cr_assert_gt(atomic_load(&migrated), 0, "no goroutine ever resumed on another P");
    cr_assert_geq(b.xfrees - a.xfrees, (uint64_t)atomic_load(&migrated) * BATCH,
                  "frees after a migration are remote: %lu for %d migrated batches",
                  (unsigned long)(b.xfrees - a.xfrees), atomic_load(&migrated));
}

/* Inside gort_run, allocator errors go through gort_throw, which adds the
   goroutine. */
static void double_free_main(void *arg) {
    (void)arg;
    void *p = gort_malloc(64);
    gort_free(p);
    gort_free(p);
}

static void double_free_in_goroutine(void) {
    gort_run(double_free_main, NULL);
}

Test(mem_sched, fatal_error_names_the_goroutine) {
    char buf[512];
    fflush(NULL);
    int st = forkrun(double_free_in_goroutine, buf, sizeof buf);
    cr_assert_eq(st, 2, "exit status %d: %s", st, buf);
    cr_assert(strncmp(buf, "fatal error: double free", 24) == 0, "%s", buf);
    cr_assert_not_null(strstr(buf, "goroutine 1 ["), "%s", buf);
}
