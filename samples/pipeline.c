/*
 * pipeline - a pipeline with fan-out and fan-in, Go's classic pattern.
 *
 *     generate --> in --+--> square 0 --> out[0] --+
 *                       +--> square 1 --> out[1] --+--> merged --> main
 *                       +--> ...                   +
 *
 * Fan-out: several square goroutines receive from one channel, so the
 * work is shared among them.  Fan-in: merge starts one forwarding
 * goroutine per input channel, all sending to one output channel; a
 * WaitGroup tells a last goroutine when every forwarder is done, and it
 * closes the output.  Each stage closes its output when its input is
 * closed and drained, so closing ripples down the pipe and main's receive
 * loop ends.  main checks the sum of squares against n(n+1)(2n+1)/6.
 *
 *     ./pipeline [N [W]]   squares 1..N with W workers (default 100000, 4)
 */
#include <stdio.h>
#include <stdlib.h>

#include "gort.h"

typedef struct {
    gort_chan *in, *out; /* the generator has no in */
    long handled;        /* numbers this stage passed on */
} stage;

static long n = 100000, w = 4;

static void generate(void *arg)
{
    stage *s = arg;
    for (long i = 1; i <= n; i++, s->handled++)
        gort_chan_send(s->out, &i);
    gort_chan_close(s->out);
}

static void square(void *arg)
{
    stage *s = arg;
    long v;
    while (gort_chan_recv(s->in, &v)) {
        v *= v;
        gort_chan_send(s->out, &v);
        s->handled++;
    }
    gort_chan_close(s->out);
}

/* Fan-in. */
static gort_waitgroup forwarding = GORT_WAITGROUP_INIT;

static void forward(void *arg)
{
    stage *s = arg;
    long v;
    while (gort_chan_recv(s->in, &v))
        gort_chan_send(s->out, &v);
    gort_wg_done(&forwarding);
}

static void close_when_done(void *arg)
{
    gort_wg_wait(&forwarding);
    gort_chan_close(arg);
}

static void main_fn(void *arg)
{
    (void)arg;
    stage gen = {NULL, gort_chan_new(sizeof(long), 16), 0};
    stage *sq = calloc(w, sizeof *sq), *fw = calloc(w, sizeof *fw);
    gort_chan *merged = gort_chan_new(sizeof(long), 16);
    if (!sq || !fw || !gen.out || !merged) {
        perror("pipeline");
        exit(1);
    }
    gort_go(generate, &gen);
    gort_wg_add(&forwarding, w);
    for (long i = 0; i < w; i++) {
        sq[i] = (stage){gen.out, gort_chan_new(sizeof(long), 16), 0};
        fw[i] = (stage){sq[i].out, merged, 0};
        gort_go(square, &sq[i]);
        gort_go(forward, &fw[i]);
    }
    gort_go(close_when_done, merged);

    long sum = 0, v;
    while (gort_chan_recv(merged, &v))
        sum += v;
    printf("sum of squares 1..%ld = %ld (expected %ld)\n", n, sum, n * (n + 1) * (2 * n + 1) / 6);
    for (long i = 0; i < w; i++) {
        printf("worker %ld squared %ld numbers\n", i, sq[i].handled);
        gort_chan_free(sq[i].out);
    }
    gort_chan_free(gen.out);
    gort_chan_free(merged);
    free(sq);
    free(fw);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        n = atol(argv[1]);
    if (argc > 2)
        w = atol(argv[2]);
    if (n <= 0 || n > 1000000 || w <= 0 || w > 1000) {
        fprintf(stderr, "usage: %s [N [W]], 0 < N <= 1000000, 0 < W <= 1000\n", argv[0]);
        return 2;
    }
    int rc = gort_run(main_fn, NULL);
    if (rc != 0)
        fprintf(stderr, "pipeline: gort_run failed: %d\n", rc);
    return rc != 0;
}
