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

/* One line run.sh parses: name, ns per operation, peak RSS in KiB. */
static inline void report(const char *name, long ops, int64_t ns) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s ns/op %.2f maxrss_kb %ld\n", name, (double)ns / (double)ops, ru.ru_maxrss);
}

#endif
