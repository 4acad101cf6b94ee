/*
 * echo - TCP echo over loopback: an echo server and its clients in one
 * process, one goroutine per connection on both sides.  Go twin:
 * go/echo.go (package net).
 *
 *     echo [CONNS [SIZE [SECONDS]]]     (defaults 64 connections, 64-byte
 *                                        messages, 2 s)
 *
 * The server listens on 127.0.0.1 (a kernel-chosen port); an acceptor
 * goroutine starts one goroutine per accepted connection that reads
 * whatever arrives (up to 16 KiB at a time) and writes it back.  CONNS
 * client goroutines each dial, then loop: write one SIZE-byte message,
 * read until SIZE bytes are back, check them, repeat.  Once every client
 * is connected, a warm-up of WARMUP_NS runs unmeasured; then for SECONDS
 * every round trip that completes is counted and its latency (write to
 * last byte read, gort_now) kept, per client, so measuring takes no
 * lock.  At the end the clients close and their samples are merged.
 *
 * Prints two lines (see bench.h; the first is the one run.sh sets its
 * goal on):
 *
 *     echo RPS req/s       round trips completed per second, all clients
 *     echo-p99 P99 us      99th percentile round-trip latency
 *
 * 1000 connections take 2000 fds: the soft RLIMIT_NOFILE is raised to
 * the hard limit first (Go's runtime does the same at start).
 */
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"

#define WARMUP_NS 300000000LL   /* 0.3 s */
#define DIAL_TIMEOUT_NS 10000000000LL
enum { SERVER_BUF = 16384 };

enum { WARMUP, MEASURE, STOP };
static _Atomic int phase;

static long nconns, size;
static int lfd, port;

/* ---- the server ---------------------------------------------------------- */

static void serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char *buf = malloc(SERVER_BUF);
    ssize_t n;
    while ((n = gort_net_read(fd, buf, SERVER_BUF, 0)) > 0)
        if (gort_net_write(fd, buf, (size_t)n, 0) < 0)
            break;
    free(buf);
    gort_net_close(fd);
}

static void acceptor(void *arg)
{
    (void)arg;
    for (long i = 0; i < nconns; i++) {
        int fd = gort_net_accept(lfd, 0);
        if (fd < 0) {
            fprintf(stderr, "echo: accept: %s\n", strerror(-fd));
            exit(1);
        }
        gort_go(serve, (void *)(intptr_t)fd);
    }
}

/* ---- the clients ------------------------------------------------------- */

typedef struct {
    int64_t *lat;   /* round-trip latencies measured, ns */
    size_t n, cap;
} client;

static client *clients;
static gort_waitgroup connected = GORT_WAITGROUP_INIT, finished = GORT_WAITGROUP_INIT;

static void record(client *c, int64_t ns)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->lat = realloc(c->lat, c->cap * sizeof *c->lat);
        if (c->lat == NULL) {
            fprintf(stderr, "echo: out of memory for latency samples\n");
            exit(1);
        }
    }
    c->lat[c->n++] = ns;
}

static void run_client(void *arg)
{
    client *c = arg;
    int fd = gort_net_dial_tcp("127.0.0.1", port, gort_now() + DIAL_TIMEOUT_NS);
    if (fd < 0) {
        fprintf(stderr, "echo: dial: %s\n", strerror(-fd));
        exit(1);
    }
    char *msg = malloc((size_t)size), *back = malloc((size_t)size);
    for (long i = 0; i < size; i++)
        msg[i] = (char)((c - clients) * 7 + i);
    gort_wg_done(&connected);
    while (atomic_load_explicit(&phase, memory_order_relaxed) != STOP) {
        int64_t t0 = gort_now();
        ssize_t n = gort_net_write(fd, msg, (size_t)size, 0);
        for (long got = 0; n >= 0 && got < size; got += n)
            n = gort_net_read(fd, back + got, (size_t)(size - got), 0);
        if (n <= 0 || memcmp(msg, back, (size_t)size) != 0) {
            fprintf(stderr, "echo: round trip failed: %s\n",
                    n < 0 ? strerror((int)-n) : n == 0 ? "end of stream" : "wrong bytes back");
            exit(1);
        }
        int64_t t1 = gort_now();
        if (atomic_load_explicit(&phase, memory_order_relaxed) == MEASURE)
            record(c, t1 - t0);
    }
    free(msg);
    free(back);
    gort_net_close(fd);
    gort_wg_done(&finished);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t seconds;

static void bench_main(void *arg)
{
    (void)arg;
    lfd = gort_net_listen_tcp("127.0.0.1", 0, 4096);
    if (lfd < 0 || (port = gort_net_port(lfd)) < 0) {
        fprintf(stderr, "echo: listen: %s\n", strerror(lfd < 0 ? -lfd : -port));
        exit(1);
    }
    gort_go(acceptor, NULL);
    clients = calloc((size_t)nconns, sizeof *clients);
    gort_wg_add(&connected, nconns);
    gort_wg_add(&finished, nconns);
    for (long i = 0; i < nconns; i++)
        gort_go(run_client, &clients[i]);
    gort_wg_wait(&connected);
    gort_sleep(WARMUP_NS);
    atomic_store(&phase, MEASURE);
    int64_t t0 = gort_now();
    gort_sleep(seconds * 1000000000LL);
    atomic_store(&phase, STOP);
    int64_t t1 = gort_now();
    gort_wg_wait(&finished);
    gort_net_close(lfd);

    size_t total = 0;
    for (long i = 0; i < nconns; i++)
        total += clients[i].n;
    if (total == 0) {
        fprintf(stderr, "echo: no round trip completed in %lld s\n", (long long)seconds);
        exit(1);
    }
    int64_t *all = malloc(total * sizeof *all);
    for (long i = 0, k = 0; i < nconns; k += (long)clients[i].n, i++) {
        memcpy(all + k, clients[i].lat, clients[i].n * sizeof *all);
        free(clients[i].lat);
    }
    qsort(all, total, sizeof *all, cmp_i64);
    size_t p99 = (total * 99 + 99) / 100 - 1; /* the ceil(0.99 total)-th smallest */
    bench_report("echo", (double)total * 1e9 / (double)(t1 - t0), "req/s");
    bench_report("echo-p99", (double)all[p99] / 1e3, "us");
    free(all);
    free(clients);
}

int main(int argc, char **argv)
{
    nconns = bench_arg(argc, argv, 1, 64);
    size = bench_arg(argc, argv, 2, 64);
    seconds = bench_arg(argc, argv, 3, 2);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    bench_run(bench_main, NULL);
    return 0;
}
