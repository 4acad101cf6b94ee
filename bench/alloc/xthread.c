/* xthread.c - one thread allocates 8..1024-byte blocks and hands them,
   in batches of 256 through a ring of 16 batches, to a second thread that
   frees them: every free is a cross-thread free.  A thread that finds the
   ring full or empty sleeps on a condition variable, so the CPU time
   counts the allocator's work, not waiting.  Per block: one malloc, one
   free. */
#include <pthread.h>

#include "benchutil.h"

enum { BATCH = 256, RING = 16 };
static char *batch[RING][BATCH];
static long head, tail; /* batches taken, batches published */
static long nbatches;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;

static void *consumer(void *arg) {
    (void)arg;
    for (long i = 0; i < nbatches; i++) {
        pthread_mutex_lock(&mu);
        while (tail == i)
            pthread_cond_wait(&changed, &mu);
        pthread_mutex_unlock(&mu);
        for (int j = 0; j < BATCH; j++)
            free(batch[i % RING][j]);
        pthread_mutex_lock(&mu);
        head = i + 1;
        pthread_cond_signal(&changed);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

int main(int argc, char **argv) {
    long ops = arg_ops(argc, argv, 10000000);
    nbatches = (ops + BATCH - 1) / BATCH;
    pthread_t t;
    uint64_t s = 0x2545f4914f6cdd1dull;
    int64_t t0 = now_ns(), c0 = cpu_ns();
    if (pthread_create(&t, NULL, consumer, NULL) != 0)
        return 1;
    for (long i = 0; i < nbatches; i++) {
        pthread_mutex_lock(&mu);
        while (i - head == RING)
            pthread_cond_wait(&changed, &mu);
        pthread_mutex_unlock(&mu);
        for (int j = 0; j < BATCH; j++) {
            char *p = malloc(8 + xorshift(&s) % 1017);
            p[0] = 1;
            batch[i % RING][j] = p;
        }
        pthread_mutex_lock(&mu);
        tail = i + 1;
        pthread_cond_signal(&changed);
        pthread_mutex_unlock(&mu);
    }
    pthread_join(t, NULL);
    report("xthread", nbatches * BATCH, now_ns() - t0, c0);
    return 0;
}
