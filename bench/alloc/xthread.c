/* xthread.c - one thread allocates 8..1024-byte blocks and hands them,
   in batches of 256 through a ring of 16 batches, to a second thread that
   frees them: every free is a cross-thread free.  ns/op is wall time per
   block (one malloc and one free). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "benchutil.h"

enum { BATCH = 256, RING = 16 };
static char *batch[RING][BATCH];
static _Atomic long head, tail; /* batches taken, batches published */
static long nbatches;

static void *consumer(void *arg) {
    (void)arg;
    for (long i = 0; i < nbatches; i++) {
        while (atomic_load_explicit(&tail, memory_order_acquire) == i)
            sched_yield();
        for (int j = 0; j < BATCH; j++)
            free(batch[i % RING][j]);
        atomic_store_explicit(&head, i + 1, memory_order_release);
    }
    return NULL;
}

int main(int argc, char **argv) {
    long ops = arg_ops(argc, argv, 10000000);
    nbatches = (ops + BATCH - 1) / BATCH;
    pthread_t t;
    uint64_t s = 0x2545f4914f6cdd1dull;
    int64_t t0 = now_ns();
    if (pthread_create(&t, NULL, consumer, NULL) != 0)
        return 1;
    for (long i = 0; i < nbatches; i++) {
        while (i - atomic_load_explicit(&head, memory_order_acquire) == RING)
            sched_yield();
        for (int j = 0; j < BATCH; j++) {
            char *p = malloc(8 + xorshift(&s) % 1017);
            p[0] = 1;
            batch[i % RING][j] = p;
        }
        atomic_store_explicit(&tail, i + 1, memory_order_release);
    }
    pthread_join(t, NULL);
    report("xthread", nbatches * BATCH, now_ns() - t0);
    return 0;
}
