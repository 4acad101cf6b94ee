/* larson.c - Larson and Krishnan's server pattern: THREADS lineages, each
   a chain of threads; a thread replaces random blocks (16..1024 bytes) of
   the 1000 it inherited from its predecessor - freeing blocks another
   thread allocated - then hands the set to a new thread and exits.
   ns/op is wall time per replacement (one free and one malloc). */
#include <pthread.h>

#include "benchutil.h"

enum { THREADS = 2, SLOTS = 1000, ROUNDS = 10000 };
static long gens;

typedef struct {
    char *slot[SLOTS];
    uint64_t seed;
} lineage;

static void *worker(void *arg) {
    lineage *l = arg;
    for (int i = 0; i < ROUNDS; i++) {
        uint64_t r = xorshift(&l->seed);
        unsigned k = (unsigned)(r % SLOTS);
        free(l->slot[k]);
        l->slot[k] = malloc(16 + (r >> 32) % 1009);
        l->slot[k][0] = 1;
    }
    return NULL;
}

/* A lineage: each generation is a new thread that inherits the blocks. */
static void *lineage_run(void *arg) {
    for (long g = 0; g < gens; g++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, arg) != 0)
            abort();
        pthread_join(t, NULL);
    }
    return NULL;
}

int main(int argc, char **argv) {
    long ops = arg_ops(argc, argv, 20000000);
    gens = ops / THREADS / ROUNDS;
    if (gens < 1)
        gens = 1;
    static lineage ls[THREADS];
    for (int i = 0; i < THREADS; i++) {
        ls[i].seed = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
        for (int k = 0; k < SLOTS; k++)
            ls[i].slot[k] = malloc(16 + (uint64_t)k * 7 % 1009);
    }
    pthread_t t[THREADS];
    int64_t t0 = now_ns(), c0 = cpu_ns();
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, lineage_run, &ls[i]) != 0)
            return 1;
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    int64_t ns = now_ns() - t0;
    for (int i = 0; i < THREADS; i++)
        for (int k = 0; k < SLOTS; k++)
            free(ls[i].slot[k]);
    report("larson", gens * THREADS * ROUNDS, ns, c0);
    return 0;
}
