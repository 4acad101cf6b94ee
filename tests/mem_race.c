/*
 * mem_race.c - the allocator's cross-thread paths in one plain program, no
 * test framework and no fork per case: threads swapping blocks across
 * thread exits, a fork meanwhile, a P's cache handed between threads, all
 * in one process, which is what ThreadSanitizer sees best.  Exits 0 when
 * every block came back intact; a sanitizer report or a corrupted block
 * fails it.  The Criterion suites cover the same paths with finer
 * assertions.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gort.h"
#include "mcache.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
enum { SCALE = 1 };
#else
enum { SCALE = 4 };
#endif

static void check(unsigned char *p) {
    size_t n = *(size_t *)p;
    for (size_t j = sizeof n; j < (n < 64 ? n : 64); j++)
        if (p[j] != (unsigned char)n) {
            fprintf(stderr, "mem_race: block of %zu corrupted at byte %zu\n", n, j);
            exit(1);
        }
}

static unsigned char *block(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    size_t n = 8 + (*x >> 20) % ((*x & 15) == 0 ? 40000 : 700);
    unsigned char *p = gort_malloc(n);
    memset(p, (int)(n & 0xff), n < 64 ? n : 64);
    *(size_t *)p = n;
    return p;
}

/* All to all, in rounds of 4 threads: blocks freed by any thread, also
   while their owner's cache is being destroyed at thread exit. */
enum { SLOTS = 2048 };
static unsigned char *_Atomic slot[SLOTS];

static void *swapper(void *arg) {
    uint64_t x = 0x9e3779b97f4a7c15ull * ((uintptr_t)arg + 1);
    for (long i = 0; i < 20000L * SCALE; i++) {
        unsigned char *old = atomic_exchange(&slot[(x >> 8) % SLOTS], block(&x));
        if (old) {
            check(old);
            gort_free(old);
        }
    }
    return NULL;
}

/* A P's cache handed from thread to thread, as the scheduler does. */
static void *cache;
static void *on_cache(void *arg) {
    gort_mcache_bind(cache);
    uint64_t x = (uintptr_t)arg;
    for (int i = 0; i < 2000 * SCALE; i++) {
        unsigned char *old = atomic_exchange(&slot[i % SLOTS], block(&x));
        if (old) {
            check(old);
            gort_free(old);
        }
    }
    gort_mcache_bind(NULL);
    return NULL;
}

int main(void) {
    for (int round = 0; round < 3; round++) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
            pthread_create(&t[i], NULL, swapper, (void *)(uintptr_t)(round * 4 + i));
        if (round == 1) { /* fork while the others allocate */
            pid_t pid = fork();
            if (pid == 0) {
                uint64_t x = 7;
                for (int i = 0; i < 1000; i++)
                    gort_free(block(&x));
                _exit(0);
            }
            int st;
            if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "mem_race: fork child failed\n");
                return 1;
            }
        }
        for (int i = 0; i < 4; i++)
            pthread_join(t[i], NULL);
    }
    cache = gort_mcache_new();
    for (uintptr_t i = 1; i <= 3; i++) {
        pthread_t t;
        pthread_create(&t, NULL, on_cache, (void *)i);
        pthread_join(t, NULL);
    }
    gort_mcache_destroy(cache);
    for (int i = 0; i < SLOTS; i++) {
        unsigned char *p = atomic_exchange(&slot[i], NULL);
        if (p) {
            check(p);
            gort_free(p);
        }
    }
    gort_free_os_memory();
    gort_memstats ms;
    gort_read_memstats(&ms);
    if (ms.heap_inuse != 0 || ms.xfrees == 0) {
        fprintf(stderr, "mem_race: %lu bytes in use after all frees, %lu remote frees\n",
                (unsigned long)ms.heap_inuse, (unsigned long)ms.xfrees);
        return 1;
    }
    return 0;
}
