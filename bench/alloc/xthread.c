/* xthread.c - one thread allocates 8..1024-byte blocks and hands them
   through a ring of 4096 to a second thread that frees them: every free
   is a cross-thread free.  ns/op is wall time per block (one malloc and
   one free). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "benchutil.h"

enum { RING = 4096 };
static char *_Atomic ring[RING];
static _Atomic long head, tail;
static long ops;

static void *consumer(void *arg) {
    (void)arg;
    for (long i = 0; i < ops; i++) {
        long h = atomic_load_explicit(&head, memory_order_relaxed);
        while (atomic_load_explicit(&tail, memory_order_acquire) == h)
            sched_yield();
        char *p = atomic_load_explicit(&ring[h % RING], memory_order_relaxed);
        atomic_store_explicit(&head, h + 1, memory_order_release);
        free(p);
    }
    return NULL;
}

int main(int argc, char **argv) {
    ops = arg_ops(argc, argv, 5000000);
    pthread_t t;
    uint64_t s = 0x2545f4914f6cdd1dull;
    int64_t t0 = now_ns();
    if (pthread_create(&t, NULL, consumer, NULL) != 0)
        return 1;
    for (long i = 0; i < ops; i++) {
        char *p = malloc(8 + xorshift(&s) % 1017);
        p[0] = 1;
        long tl = atomic_load_explicit(&tail, memory_order_relaxed);
        while (tl - atomic_load_explicit(&head, memory_order_acquire) == RING)
            sched_yield();
        atomic_store_explicit(&ring[tl % RING], p, memory_order_relaxed);
        atomic_store_explicit(&tail, tl + 1, memory_order_release);
    }
    pthread_join(t, NULL);
    report("xthread", ops, now_ns() - t0);
    return 0;
}
