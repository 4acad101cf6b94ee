/*
 * test_mem_threads.c - the allocator across threads: remote frees and their
 * batched reclaim, caches handed between threads (the scheduler's bind),
 * thread churn with inherited blocks (larson), fork while other threads
 * allocate.  The goroutine-migration tests live with the scheduler's.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "gort.h"
#include "malloc.h"
#include "mcache.h"
#include "mem_testutil.h"

/* A bounded single-producer single-consumer ring of blocks. */
enum { RING = 1024 };
typedef struct {
    void *_Atomic slot[RING];
    _Atomic size_t head, tail;
} ring;

static void ring_put(ring *r, void *p) {
    size_t t = atomic_load(&r->tail);
    while (t - atomic_load(&r->head) == RING)
        sched_yield();
    atomic_store(&r->slot[t % RING], p);
    atomic_store(&r->tail, t + 1);
}

static void *ring_get(ring *r) {
    size_t h = atomic_load(&r->head);
    while (atomic_load(&r->tail) == h)
        sched_yield();
    void *p = atomic_load(&r->slot[h % RING]);
    atomic_store(&r->head, h + 1);
    return p;
}

static ring pc;
static long pc_n;

static void *consumer(void *arg) {
    (void)arg;
    for (long i = 0; i < pc_n; i++) {
        unsigned char *p = ring_get(&pc);
        size_t n = *(size_t *)p;
        for (size_t j = sizeof n; j < n; j++)
            cr_assert_eq(p[j], (unsigned char)n, "block of %zu corrupted at %zu", n, j);
        gort_free(p);
    }
    return NULL;
}

Test(mem_xthread, producer_consumer_reclaims, .timeout = 60) {
    pc_n = SCALE(300000);
    pthread_t t;
    pthread_create(&t, NULL, consumer, NULL);
    uint64_t x = 12345;
    for (long i = 0; i < pc_n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        size_t n = 8 + (x >> 33) % 1017;
        unsigned char *p = gort_malloc(n);
        memset(p, (unsigned char)n, n);
        *(size_t *)p = n;
        ring_put(&pc, p);
    }
    pthread_join(t, NULL);
    gort_memstats ms;
    gort_read_memstats(&ms);
    cr_assert_geq(ms.xfrees, (uint64_t)pc_n, "every free was remote: %lu", (unsigned long)ms.xfrees);
    /* At most RING blocks were alive at once: the owner reclaimed the
       remote frees instead of taking new spans. */
    cr_assert_leq(ms.heap_inuse, 16 << 20, "heap grew to %lu bytes", (unsigned long)ms.heap_inuse);
}

/* Cache handed between threads, as the scheduler does when an M takes a P. */
static void *cache;
static void **blocks;
enum { NB = 20000 };

static void *alloc_on_cache(void *arg) {
    gort_mcache_bind(cache);
    for (int i = 0; i < NB; i++)
        blocks[i] = gort_malloc(64 + (size_t)(intptr_t)arg);
    gort_mcache_bind(NULL);
    return NULL;
}

static void *free_on_cache(void *arg) {
    (void)arg;
    gort_mcache_bind(cache);
    for (int i = 0; i < NB; i++)
        gort_free(blocks[i]);
    gort_mcache_bind(NULL);
    return NULL;
}

Test(mem_xthread, cache_bound_on_another_thread_frees_locally) {
    cache = gort_mcache_new();
    cr_assert_not_null(cache);
    blocks = malloc(NB * sizeof *blocks);
    pthread_t t;
    pthread_create(&t, NULL, alloc_on_cache, (void *)0);
    pthread_join(t, NULL);
    gort_memstats a, b;
    gort_read_memstats(&a);
    pthread_create(&t, NULL, free_on_cache, NULL);
    pthread_join(t, NULL);
    gort_read_memstats(&b);
    cr_assert_eq(b.xfrees, a.xfrees, "frees on the owning cache are local");
    /* Now free blocks of that cache from a thread that does not hold it. */
    pthread_create(&t, NULL, alloc_on_cache, (void *)16);
    pthread_join(t, NULL);
    for (int i = 0; i < NB; i++)
        gort_free(blocks[i]);
    gort_read_memstats(&b);
    cr_assert_eq(b.xfrees, a.xfrees + NB);
    gort_mcache_destroy(cache);
    gort_free_os_memory();
    gort_read_memstats(&b);
    cr_assert_eq(b.class_spans[size_to_class(80)], 0, "remote-freed spans went back to the heap");
    free(blocks);
}

Test(mem_xthread, destroyed_cache_leaves_blocks_valid) {
    cache = gort_mcache_new();
    blocks = malloc(NB * sizeof *blocks);
    pthread_t t;
    pthread_create(&t, NULL, alloc_on_cache, (void *)0);
    pthread_join(t, NULL);
    gort_mcache_destroy(cache);
    for (int i = 0; i < NB; i += 2)
        gort_free(blocks[i]);
    /* The survivors are intact and new allocations reuse the holes. */
    for (int i = 1; i < NB; i += 2)
        memset(blocks[i], 7, 64);
    for (int i = 0; i < NB; i += 2)
        blocks[i] = gort_malloc(64);
    for (int i = 0; i < NB; i++)
        gort_free(blocks[i]);
    free(blocks);
}

/* Larson: each thread frees a random part of the blocks its predecessor
   left, allocates replacements and passes the array on to a new thread. */
enum { LSLOTS = 2000 };
#define LGENS (SCALE(200) < 4 ? 4 : SCALE(200)) /* generations per lineage */
typedef struct {
    void *p[LSLOTS];
    _Atomic int gen; /* -1: the lineage is done */
} lineage;

static void *larson(void *arg) {
    lineage *l = arg;
    uint64_t x = 0x51ed2701u + (uint64_t)atomic_load(&l->gen) * 7919;
    for (int i = 0; i < LSLOTS * 4; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int k = (int)(x % LSLOTS);
        if (l->p[k]) {
            cr_assert_eq(*(int *)l->p[k], k);
            gort_free(l->p[k]);
        }
        l->p[k] = gort_malloc(16 + (x >> 40) % 500);
        *(int *)l->p[k] = k;
    }
    if (atomic_fetch_add(&l->gen, 1) + 1 < LGENS) {
        pthread_t t;
        pthread_create(&t, NULL, larson, l);
        pthread_detach(t);
    } else {
        for (int k = 0; k < LSLOTS; k++)
            gort_free(l->p[k]);
        atomic_store(&l->gen, -1);
    }
    return NULL;
}

Test(mem_xthread, larson_thread_lineages, .timeout = 60) {
    static lineage ls[4];
    for (int i = 0; i < 4; i++) {
        pthread_t t;
        pthread_create(&t, NULL, larson, &ls[i]);
        pthread_detach(t);
    }
    for (int i = 0; i < 4; i++)
        while (atomic_load(&ls[i].gen) != -1)
            usleep(1000);
    usleep(10000); /* the last threads' exit hooks */
    gort_free_os_memory();
    gort_memstats ms;
    gort_read_memstats(&ms);
    cr_assert_gt(ms.xfrees, 0);
    cr_assert_leq(ms.nmcache, 2, "exited threads' caches were returned: %lu live",
                  (unsigned long)ms.nmcache);
    cr_assert_leq(ms.heap_inuse, 4 << 20, "%lu bytes still in use", (unsigned long)ms.heap_inuse);
}

/* fork while other threads allocate: the child's heap is consistent. */
static _Atomic bool stop;

static void *churn(void *arg) {
    (void)arg;
    void *p[64] = {0};
    for (unsigned i = 0; !atomic_load(&stop); i++) {
        gort_free(p[i % 64]);
        p[i % 64] = gort_malloc(i % 3000);
        if (i % 97 == 0) {
            void *big = gort_malloc(100000);
            gort_free(big);
        }
    }
    for (int i = 0; i < 64; i++)
        gort_free(p[i]);
    return NULL;
}

Test(mem_xthread, fork_while_allocating, .timeout = 60) {
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, churn, NULL);
    for (int f = 0; f < SCALE(50) + 5; f++) {
        pid_t pid = fork();
        if (pid == 0) {
            void *p[1000];
            for (int i = 0; i < 1000; i++)
                p[i] = gort_malloc((size_t)i * 37 % 40000);
            for (int i = 0; i < 1000; i++)
                gort_free(p[i]);
            _exit(0);
        }
        int st;
        cr_assert_eq(waitpid(pid, &st, 0), pid);
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d status %#x", f, st);
    }
    atomic_store(&stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
}

/* Many short threads, each allocating and freeing its own and others'. */
static void *_Atomic shared[256];

static void *shortlived(void *arg) {
    uintptr_t id = (uintptr_t)arg;
    for (int i = 0; i < 200; i++) {
        void *mine = gort_malloc(24 + (id + (uintptr_t)i) % 300);
        void *old = atomic_exchange(&shared[(id * 7 + (uintptr_t)i) % 256], mine);
        gort_free(old);
    }
    return NULL;
}

Test(mem_xthread, thread_churn) {
    for (int round = 0; round < SCALE(100); round++) {
        pthread_t t[8];
        for (int i = 0; i < 8; i++)
            pthread_create(&t[i], NULL, shortlived, (void *)(uintptr_t)(round * 8 + i));
        for (int i = 0; i < 8; i++)
            pthread_join(t[i], NULL);
    }
    for (int i = 0; i < 256; i++)
        gort_free(atomic_exchange(&shared[i], NULL));
    gort_memstats ms;
    gort_read_memstats(&ms);
    cr_assert_leq(ms.nmcache, 2);
}

/* All to all: threads swap blocks through shared slots, so each frees
   blocks any other allocated - also while that one's cache is being
   destroyed at thread exit (rounds of 4 threads); contents are checked. */
enum { A2A_SLOTS = 4096 };
static unsigned char *_Atomic a2a[A2A_SLOTS];

static void *swapper(void *arg) {
    uint64_t x = 0x9e3779b97f4a7c15ull * ((uintptr_t)arg + 1);
    for (long i = 0; i < SCALE(100000); i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t n = 8 + (x >> 20) % ((x & 15) == 0 ? 40000 : 700);
        unsigned char *p = gort_malloc(n);
        size_t fill = n < 64 ? n : 64;
        memset(p, (unsigned char)n, fill);
        *(size_t *)p = n;
        unsigned char *old = atomic_exchange(&a2a[(x >> 8) % A2A_SLOTS], p);
        if (old) {
            size_t m = *(size_t *)old;
            for (size_t j = sizeof m; j < (m < 64 ? m : 64); j++)
                cr_assert_eq(old[j], (unsigned char)m, "block of %zu corrupted at %zu", m, j);
            gort_free(old);
        }
    }
    return NULL;
}

Test(mem_xthread, all_to_all_with_exits, .timeout = 60) {
    for (int round = 0; round < 4; round++) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
            pthread_create(&t[i], NULL, swapper, (void *)(uintptr_t)(round * 4 + i));
        for (int i = 0; i < 4; i++)
            pthread_join(t[i], NULL);
    }
    for (int i = 0; i < A2A_SLOTS; i++)
        gort_free(atomic_exchange(&a2a[i], NULL));
    gort_free_os_memory();
    gort_memstats ms;
    gort_read_memstats(&ms);
    cr_assert_gt(ms.xfrees, 0);
    cr_assert_eq(ms.nlarge, 0);
    cr_assert_eq(ms.heap_inuse, 0, "all blocks freed, all caches gone: %lu bytes in use",
                 (unsigned long)ms.heap_inuse);
}

/* A thread's spans go to the mcentral when it exits; the next cache that
   needs that class takes those partial spans before asking the heap. */
static void *half_and_exit(void *arg) {
    void **p = arg;
    for (int i = 0; i < NB; i++)
        p[i] = gort_malloc(256);
    for (int i = 0; i < NB; i += 2)
        gort_free(p[i]);
    return NULL;
}

Test(mem_xthread, mcentral_refills_from_orphaned_spans) {
    void **p = malloc(NB * sizeof *p);
    pthread_t t;
    pthread_create(&t, NULL, half_and_exit, p);
    pthread_join(t, NULL);
    uint32_t sc = size_to_class(256);
    gort_memstats a, b;
    gort_read_memstats(&a);
    cr_assert_geq(a.class_spans[sc], NB / (class_to_allocnpages[sc] * PAGE_SIZE / 256),
                  "the exited thread's spans are still in use");
    for (int i = 0; i < NB; i += 2)
        p[i] = gort_malloc(256);
    gort_read_memstats(&b);
    cr_assert_eq(b.class_spans[sc], a.class_spans[sc], "refilled from the mcentral, not the heap");
    for (int i = 0; i < NB; i++)
        gort_free(p[i]);
    gort_free_os_memory();
    gort_read_memstats(&b);
    cr_assert_leq(b.class_spans[sc], 1, "%lu spans left; only this thread's current one may stay",
                  (unsigned long)b.class_spans[sc]);
    free(p);
}
