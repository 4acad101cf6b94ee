/*
 * sieve - Go's concurrent prime sieve: a generator sends 2, 3, 4, ...
 * down an unbuffered channel; each prime found spawns a filter goroutine
 * that passes on the numbers it does not divide, so the chain grows to
 * one goroutine per prime.  Finds the first N primes and checks the last
 * one.  Prints the total time in ms.  Go twin: go/sieve.go.
 *
 *     sieve [N]        (default 4000 primes)
 */
#include "bench.h"

typedef struct {
    gort_chan *in, *out;
    long prime;
} filter_args;

static void generate(void *arg)
{
    gort_chan *out = arg;
    for (long i = 2;; i++)
        gort_chan_send(out, &i);
}

static void filter(void *arg)
{
    filter_args f = *(filter_args *)arg;
    free(arg);
    long v;
    for (;;) {
        gort_chan_recv(f.in, &v);
        if (v % f.prime != 0)
            gort_chan_send(f.out, &v);
    }
}

/* The N-th prime, by trial division, to check the sieve against. */
static long nth_prime(long n)
{
    long p = 1;
    while (n > 0) {
        p++;
        bool prime = true;
        for (long d = 2; d * d <= p && prime; d++)
            prime = p % d != 0;
        n -= prime;
    }
    return p;
}

static long n;

static void bench_main(void *arg)
{
    (void)arg;
    int64_t t0 = gort_now();
    gort_chan *ch = gort_chan_new(sizeof(long), 0);
    gort_go(generate, ch);
    long prime = 0;
    for (long i = 0; i < n; i++) {
        gort_chan_recv(ch, &prime);
        filter_args *f = malloc(sizeof *f);
        if (!f) {
            perror("sieve: malloc");
            exit(1);
        }
        *f = (filter_args){ch, gort_chan_new(sizeof(long), 0), prime};
        ch = f->out;
        gort_go(filter, f);
    }
    int64_t t1 = gort_now();
    if (prime != nth_prime(n)) {
        fprintf(stderr, "sieve: prime %ld is %ld, expected %ld\n", n, prime, nth_prime(n));
        exit(1);
    }
    bench_report("sieve", (double)(t1 - t0) / 1e6, "ms");
}

int main(int argc, char **argv)
{
    n = bench_arg(argc, argv, 1, 4000);
    bench_run(bench_main, NULL);
    return 0;
}
