/* migrate.c - goroutines that allocate on one P and free on another: 64
   goroutines each allocate a batch of 64 blocks of 8..1024 bytes
   (gort_malloc, the running P's cache), yield (gort_yield: the goroutine
   may resume on another P, whose cache then frees the batch - remote
   frees) and free the batch.  The Go twin is migrate.go.  Per block: one
   malloc, one free.  GORT_MAXPROCS sets the Ps. */
#include <stdatomic.h>

#include "benchutil.h"
#include "gort.h"

enum { GOROUTINES = 64, BATCH = 64 };
static long rounds;
static _Atomic int live;

static void worker(void *arg) {
    uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(uintptr_t)arg;
    char *blocks[BATCH];
    for (long r = 0; r < rounds; r++) {
        for (int j = 0; j < BATCH; j++) {
            blocks[j] = gort_malloc(8 + xorshift(&seed) % 1017);
            blocks[j][0] = 1;
        }
        gort_yield();
        for (int j = 0; j < BATCH; j++)
            gort_free(blocks[j]);
    }
    atomic_fetch_sub(&live, 1);
}

static void bench_main(void *arg) {
    (void)arg;
    atomic_store(&live, GOROUTINES);
    for (uintptr_t g = 1; g <= GOROUTINES; g++)
        gort_go(worker, (void *)g);
    while (atomic_load(&live) > 0)
        gort_yield();
}

int main(int argc, char **argv) {
    long ops = arg_ops(argc, argv, 4000000);
    rounds = ops / GOROUTINES / BATCH;
    if (rounds < 1)
        rounds = 1;
    int64_t t0 = now_ns(), c0 = cpu_ns();
    if (gort_run(bench_main, NULL) != 0)
        return 1;
    int64_t wall = now_ns() - t0;
    gort_memstats ms;
    gort_read_memstats(&ms);
    fprintf(stderr, "migrate: %lu of %ld frees were remote (after a migration)\n",
            (unsigned long)ms.xfrees, rounds * GOROUTINES * BATCH);
    report("migrate", rounds * GOROUTINES * BATCH, wall, c0);
    return 0;
}
