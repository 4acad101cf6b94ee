/* benchutil.h - timing, a PRNG and the result line shared by the
   allocator benchmarks.  Each benchmark calls plain malloc/free, so that
   run.sh measures every allocator with the same binary via LD_PRELOAD. */
#ifndef GORT_BENCH_ALLOC_BENCHUTIL_H
#define GORT_BENCH_ALLOC_BENCHUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static inline int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline uint64_t xorshift(uint64_t *s) {
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* The count of operations from argv[1], else the default. */
static inline long arg_ops(int argc, char **argv, long dflt) {
    if (argc < 2)
        return dflt;
    char *end;
    long n = strtol(argv[1], &end, 10);
    if (*end || n <= 0) {
        fprintf(stderr, "usage: %s [operations]\n", argv[0]);
        exit(2);
    }
    return n;
}

/* CPU time (user + system) of the whole process so far. */
static inline int64_t cpu_ns(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* One line run.sh parses: name, CPU ns per operation (all threads; robust
   on a machine shared with other work), wall ns per operation, peak RSS
   in KiB.  cpu0 is cpu_ns() at the start of the timed part. */
static inline void report(const char *name, long ops, int64_t wall, int64_t cpu0) {
    int64_t cpu = cpu_ns() - cpu0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s cpu_ns/op %.2f wall_ns/op %.2f maxrss_kb %ld\n", name, (double)cpu / (double)ops,
           (double)wall / (double)ops, ru.ru_maxrss);
}

#endif
