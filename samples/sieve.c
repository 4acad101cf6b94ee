/*
 * sieve - the concurrent prime sieve from Go's tour, in C.  A generator
 * goroutine sends 2, 3, 4, ... on an unbuffered channel.  main receives
 * the first number, which is prime, prints it and puts a filter goroutine
 * behind it that drops the multiples of that prime; the next number out
 * of the filter is the next prime, and so on: a daisy chain with one
 * goroutine per prime, every number handed from one to the next.
 *
 *     ./sieve [N]      prints the first N primes (default 25)
 */
#include <stdio.h>
#include <stdlib.h>

#include "gort.h"

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

/* Passes on from in to out the numbers that prime does not divide. */
static void filter(void *arg)
{
    filter_args f = *(filter_args *)arg;
    free(arg);
    for (;;) {
        long v;
        gort_chan_recv(f.in, &v);
        if (v % f.prime != 0)
            gort_chan_send(f.out, &v);
    }
}

static long n = 25;

static void main_fn(void *arg)
{
    (void)arg;
    gort_chan *ch = gort_chan_new(sizeof(long), 0);
    gort_go(generate, ch);
    for (long i = 0; i < n; i++) {
        long prime;
        gort_chan_recv(ch, &prime);
        printf("%ld\n", prime);
        filter_args *f = malloc(sizeof *f);
        if (!f) {
            perror("sieve: malloc");
            exit(1);
        }
        *f = (filter_args){ch, gort_chan_new(sizeof(long), 0), prime};
        ch = f->out;
        gort_go(filter, f);
    }
    /* Returning from main abandons the generator and the filters. */
}

int main(int argc, char **argv)
{
    if (argc > 1 && (n = atol(argv[1])) <= 0) {
        fprintf(stderr, "usage: %s [N > 0]\n", argv[0]);
        return 2;
    }
    int rc = gort_run(main_fn, NULL);
    if (rc != 0)
        fprintf(stderr, "sieve: gort_run failed: %d\n", rc);
    return rc != 0;
}
