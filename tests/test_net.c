/*
 * test_net.c - the netpoller and the fd calls: echo round trips over
 * thousands of connections (TCP and Unix), deadlines (and their race with
 * readiness), close waking parked readers and writers, a reader and a
 * writer at once, readers taking turns, errors, file I/O on the thread
 * pool, and no fd left open after many connect/close cycles.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "forkrun.h"
#include "gort.h"

/* xorshift32 on the caller's own state: goroutines move between threads,
   so a thread-local one would be shared. */
static uint32_t xrand(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* Open sockets, epoll and eventfd descriptors: what a leak of the
   netpoller or of the net calls would leave.  (libuv's process-wide
   signal pipe is not counted: it lives as long as the process.) */
static int nfds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[300], target[256];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = 0;
        if (strncmp(target, "socket:", 7) == 0 || strncmp(target, "anon_inode:", 11) == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* ---- echo ------------------------------------------------------------------ */

static _Atomic int nclosed;

static void echo_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[4096];
    ssize_t n;
    while ((n = gort_net_read(fd, buf, sizeof buf, 0)) > 0)
        cr_assert_eq(gort_net_write(fd, buf, (size_t)n, 0), n);
    gort_net_close(fd);
    atomic_fetch_add(&nclosed, 1);
}

static int lfd;
static _Atomic int nok;

static void acceptor(void *arg)
{
    int want = (int)(intptr_t)arg;
    for (int i = 0; i < want; i++) {
        int c = gort_net_accept(lfd, 0);
        cr_assert_geq(c, 0, "accept: %s", strerror(-c));
        gort_go(echo_conn, (void *)(intptr_t)c);
    }
}

static int port;
static const char *unixpath;

static void client(void *arg)
{
    int id = (int)(intptr_t)arg;
    int fd = unixpath ? gort_net_dial_unix(unixpath, gort_now() + 5000000000)
                      : gort_net_dial_tcp("127.0.0.1", port, gort_now() + 5000000000);
    cr_assert_geq(fd, 0, "dial: %s", strerror(-fd));
    for (int round = 0; round < 10; round++) {
        char msg[64], got[64];
        int len = snprintf(msg, sizeof msg, "client %d round %d", id, round);
        cr_assert_eq(gort_net_write(fd, msg, (size_t)len, 0), len);
        int have = 0;
        while (have < len) {
            ssize_t n = gort_net_read(fd, got + have, sizeof got - (size_t)have, 0);
            cr_assert_gt(n, 0, "read: %zd", n);
            have += (int)n;
        }
        cr_assert_eq(memcmp(msg, got, (size_t)len), 0);
    }
    gort_net_close(fd);
    atomic_fetch_add(&nok, 1);
}

static void echo_main(void *arg)
{
    int n = (int)(intptr_t)arg;
    gort_go(acceptor, (void *)(intptr_t)n);
    for (int i = 0; i < n; i++)
        gort_go(client, (void *)(intptr_t)i);
    while (atomic_load(&nok) < n || atomic_load(&nclosed) < n)
        gort_sleep(1000000);
    gort_net_close(lfd);
}

/* Thousands of connections: two fds each, so the soft fd limit is raised
   to the hard one (as Go does at start); fewer if the hard one is low. */
static int nconn(void)
{
    int want = SCALE(2000) < 100 ? 100 : SCALE(2000);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)(2 * want + 64) > rl.rlim_cur)
        want = (int)(rl.rlim_cur - 64) / 2;
    return want;
}

#define NCONN nconn()

/* before: the fds open before the listener was made. */
static void run_echo(int before)
{
    atomic_store(&nok, 0);
    atomic_store(&nclosed, 0);
    int n = NCONN;
    gort_maxprocs(2);
    cr_assert_eq(gort_run(echo_main, (void *)(intptr_t)n), 0);
    cr_assert_eq(atomic_load(&nok), n);
    cr_assert_eq(nfds(), before, "fds before %d after %d", before, nfds());
}

Test(net, tcp_echo_many_connections, .timeout = 60)
{
    unixpath = NULL;
    int before = nfds();
    lfd = gort_net_listen_tcp("127.0.0.1", 0, 4096); /* the kernel picks the port */
    cr_assert_geq(lfd, 0);
    port = gort_net_port(lfd);
    cr_assert_gt(port, 0);
    run_echo(before);
}

Test(net, unix_echo, .timeout = 60)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/gort-test-%d.sock", (int)getpid());
    unlink(path);
    unixpath = path;
    int before = nfds();
    lfd = gort_net_listen_unix(path, 4096);
    cr_assert_geq(lfd, 0);
    run_echo(before);
    unlink(path);
}

/* ---- deadlines and close ----------------------------------------------------- */

static int pair[2];
static ssize_t got_read;
static int64_t read_took;

static void deadline_main(void *arg)
{
    (void)arg;
    char c;
    int64_t t0 = gort_now();
    got_read = gort_net_read(pair[0], &c, 1, t0 + 30000000);
    read_took = gort_now() - t0;
}

Test(net, read_deadline_fires, .timeout = 20)
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
    cr_assert_eq(gort_run(deadline_main, NULL), 0);
    cr_assert_eq(got_read, -ETIMEDOUT);
    cr_assert_geq(read_took, 29000000, "took %lld", (long long)read_took);
    cr_assert_lt(read_took, 1000000000, "took %lld", (long long)read_took);
    close(pair[0]);
    close(pair[1]);
}

static _Atomic int reader_state;

static void parked_reader(void *arg)
{
    (void)arg;
    char c;
    atomic_store(&reader_state, 1);
    got_read = gort_net_read(pair[0], &c, 1, 0);
    atomic_store(&reader_state, 2);
}

static void close_main(void *arg)
{
    (void)arg;
    gort_go(parked_reader, NULL);
    while (atomic_load(&reader_state) == 0)
        gort_yield();
    gort_sleep(20000000); /* it is parked in the poller by now */
    cr_assert_eq(atomic_load(&reader_state), 1);
    cr_assert_eq(gort_net_close(pair[0]), 0);
    while (atomic_load(&reader_state) != 2)
        gort_sleep(1000000);
}

Test(net, close_wakes_a_parked_reader, .timeout = 20)
{
    atomic_store(&reader_state, 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
    cr_assert_eq(gort_run(close_main, NULL), 0);
    cr_assert_eq(got_read, -ECANCELED);
    close(pair[1]);
}

static void connect_cycles_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < SCALE(500); i++) {
        int c = gort_net_dial_tcp("127.0.0.1", port, gort_now() + 5000000000);
        cr_assert_geq(c, 0);
        int a = gort_net_accept(lfd, gort_now() + 5000000000);
        cr_assert_geq(a, 0);
        cr_assert_eq(gort_net_write(c, "x", 1, 0), 1);
        char ch;
        cr_assert_eq(gort_net_read(a, &ch, 1, 0), 1);
        cr_assert_eq(gort_net_close(c), 0);
        cr_assert_eq(gort_net_read(a, &ch, 1, 0), 0, "EOF after the peer closed");
        cr_assert_eq(gort_net_close(a), 0);
    }
    gort_net_close(lfd);
}

Test(net, no_fd_leaks_after_connect_close_cycles, .timeout = 60)
{
    int before = nfds();
    lfd = gort_net_listen_tcp("127.0.0.1", 0, 128);
    cr_assert_geq(lfd, 0);
    port = gort_net_port(lfd);
    cr_assert_eq(gort_run(connect_cycles_main, NULL), 0);
    cr_assert_eq(nfds(), before, "fds before %d after %d", before, nfds());
}

/* ---- deadlines ---------------------------------------------------------- */

static int64_t accept_took;
static int accept_got;

static void accept_deadline_main(void *arg)
{
    (void)arg;
    int64_t t0 = gort_now();
    accept_got = gort_net_accept(lfd, t0 + 20000000);
    accept_took = gort_now() - t0;
    gort_net_close(lfd);
}

Test(net, accept_deadline_fires, .timeout = 20)
{
    lfd = gort_net_listen_tcp("127.0.0.1", 0, 16);
    cr_assert_geq(lfd, 0);
    cr_assert_eq(gort_run(accept_deadline_main, NULL), 0);
    cr_assert_eq(accept_got, -ETIMEDOUT);
    cr_assert_geq(accept_took, 19000000, "took %lld", (long long)accept_took);
}

static ssize_t wrote;

static void write_deadline_main(void *arg)
{
    (void)arg;
    /* Nobody reads pair[1]: the socket buffers fill, then the deadline. */
    static char big[1 << 22];
    wrote = gort_net_write(pair[0], big, sizeof big, gort_now() + 30000000);
}

Test(net, write_deadline_fires_when_the_peer_does_not_read, .timeout = 20)
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    cr_assert_eq(gort_run(write_deadline_main, NULL), 0);
    cr_assert_eq(wrote, -ETIMEDOUT);
    close(pair[0]);
    close(pair[1]);
}

/* Readiness and deadlines race: data is written around the time the
   deadline fires.  Every byte is received exactly once, each read ends in
   a byte or -ETIMEDOUT, and a timeout never carries over to the next
   wait (a read with a long deadline after it gets the next byte). */
#define NRACE (SCALE(2000) < 300 ? 300 : SCALE(2000))
static _Atomic int race_sent;
static int race_got, race_timeouts;

static void race_writer(void *arg)
{
    (void)arg;
    uint32_t x = 2463534242u;
    for (int i = 0; i < NRACE; i++) {
        gort_sleep((int64_t)(xrand(&x) % 60000));
        unsigned char b = (unsigned char)i;
        cr_assert_eq(gort_net_write(pair[1], &b, 1, 0), 1);
        atomic_fetch_add(&race_sent, 1);
    }
}

static void race_main(void *arg)
{
    (void)arg;
    gort_go(race_writer, NULL);
    uint32_t x = 88675123u;
    int next = 0;
    while (next < NRACE) {
        unsigned char b;
        int64_t dl = gort_now() + (int64_t)(xrand(&x) % 40000);
        ssize_t r = gort_net_read(pair[0], &b, 1, dl);
        if (r == -ETIMEDOUT) {
            race_timeouts++;
            continue;
        }
        cr_assert_eq(r, 1, "read: %zd", r);
        cr_assert_eq(b, (unsigned char)next, "byte %d came as %d", next, b);
        next++;
    }
    race_got = next;
}

Test(net, deadline_racing_readiness_loses_nothing, .timeout = 60)
{
    atomic_store(&race_sent, 0);
    race_got = race_timeouts = 0;
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    gort_maxprocs(2);
    cr_assert_eq(gort_run(race_main, NULL), 0);
    cr_assert_eq(race_got, NRACE);
    cr_assert_gt(race_timeouts, 0, "the deadlines never fired: the race was not exercised");
    close(pair[0]);
    close(pair[1]);
}

/* ---- close -------------------------------------------------------------- */

static _Atomic int writer_state;

static void parked_writer(void *arg)
{
    (void)arg;
    static char big[1 << 22];
    atomic_store(&writer_state, 1);
    wrote = gort_net_write(pair[0], big, sizeof big, 0);
    atomic_store(&writer_state, 2);
}

static void close_writer_main(void *arg)
{
    (void)arg;
    gort_go(parked_writer, NULL);
    gort_go(parked_reader, NULL);
    while (atomic_load(&writer_state) == 0 || atomic_load(&reader_state) == 0)
        gort_yield();
    gort_sleep(20000000);
    cr_assert_eq(atomic_load(&writer_state), 1);
    cr_assert_eq(atomic_load(&reader_state), 1);
    cr_assert_eq(gort_net_close(pair[0]), 0);
    while (atomic_load(&writer_state) != 2 || atomic_load(&reader_state) != 2)
        gort_sleep(1000000);
    char c;
    cr_assert_eq(gort_net_read(pair[0], &c, 1, 0), -EBADF, "a call after close");
    cr_assert_eq(gort_net_close(pair[0]), -EBADF, "a second close");
}

Test(net, close_wakes_a_parked_reader_and_writer, .timeout = 20)
{
    atomic_store(&reader_state, 0);
    atomic_store(&writer_state, 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    cr_assert_eq(gort_run(close_writer_main, NULL), 0);
    cr_assert_eq(got_read, -ECANCELED);
    cr_assert_eq(wrote, -ECANCELED);
    close(pair[1]);
}

/* ---- sharing an fd ------------------------------------------------------ */

/* One goroutine writes while another reads the same socket, each parked
   in turn: a full-duplex stream through an echo peer. */
#define DUPLEX_BYTES (SCALE(1 << 22) < (1 << 16) ? (1 << 16) : SCALE(1 << 22))
static long duplex_read;

static void duplex_echo(void *arg)
{
    (void)arg;
    char buf[8192];
    ssize_t n;
    while ((n = gort_net_read(pair[1], buf, sizeof buf, 0)) > 0)
        cr_assert_eq(gort_net_write(pair[1], buf, (size_t)n, 0), n);
}

static void duplex_writer(void *arg)
{
    gort_waitgroup *wg = arg;
    static char chunk[3000];
    for (long sent = 0; sent < DUPLEX_BYTES; sent += (long)sizeof chunk) {
        for (size_t i = 0; i < sizeof chunk; i++)
            chunk[i] = (char)((sent + (long)i) % 251);
        cr_assert_eq(gort_net_write(pair[0], chunk, sizeof chunk, 0), (ssize_t)sizeof chunk);
    }
    gort_wg_done(wg);
}

static void duplex_main(void *arg)
{
    (void)arg;
    gort_waitgroup wg = GORT_WAITGROUP_INIT;
    gort_wg_add(&wg, 1);
    gort_go(duplex_echo, NULL);
    gort_go(duplex_writer, &wg);
    long want = (DUPLEX_BYTES + 2999) / 3000 * 3000;
    char buf[5000];
    while (duplex_read < want) {
        ssize_t n = gort_net_read(pair[0], buf, sizeof buf, 0);
        cr_assert_gt(n, 0);
        for (ssize_t i = 0; i < n; i++)
            cr_assert_eq(buf[i], (char)((duplex_read + i) % 251), "byte %ld", duplex_read + i);
        duplex_read += n;
    }
    gort_wg_wait(&wg);
    gort_net_close(pair[0]);
    gort_net_close(pair[1]);
}

Test(net, a_reader_and_a_writer_at_once, .timeout = 60)
{
    duplex_read = 0;
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    gort_maxprocs(2);
    cr_assert_eq(gort_run(duplex_main, NULL), 0);
}

/* Several readers of one socket take turns: each byte goes to exactly
   one of them. */
#define NREADERS 8
#define TURN_BYTES SCALE(20000)
static _Atomic long turn_count[256];
static _Atomic int turn_total;

static void turn_reader(void *arg)
{
    gort_waitgroup *wg = arg;
    unsigned char b;
    while (gort_net_read(pair[0], &b, 1, 0) == 1) {
        atomic_fetch_add(&turn_count[b], 1);
        atomic_fetch_add(&turn_total, 1);
    }
    gort_wg_done(wg);
}

static void turns_main(void *arg)
{
    (void)arg;
    gort_waitgroup wg = GORT_WAITGROUP_INIT;
    gort_wg_add(&wg, NREADERS);
    for (int i = 0; i < NREADERS; i++)
        gort_go(turn_reader, &wg);
    for (int i = 0; i < TURN_BYTES; i++) {
        unsigned char b = (unsigned char)(i % 256);
        cr_assert_eq(gort_net_write(pair[1], &b, 1, 0), 1);
        if (i % 64 == 0)
            gort_yield();
    }
    gort_net_close(pair[1]); /* the readers see the end of the stream */
    gort_wg_wait(&wg);
    gort_net_close(pair[0]);
}

Test(net, readers_take_turns, .timeout = 60)
{
    atomic_store(&turn_total, 0);
    for (int i = 0; i < 256; i++)
        atomic_store(&turn_count[i], 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    gort_maxprocs(2);
    cr_assert_eq(gort_run(turns_main, NULL), 0);
    cr_assert_eq(atomic_load(&turn_total), TURN_BYTES);
    for (int i = 0; i < 256; i++)
        cr_assert_eq(atomic_load(&turn_count[i]), TURN_BYTES / 256 + (i < TURN_BYTES % 256),
                     "byte %d", i);
}

/* ---- errors ------------------------------------------------------------- */

static int dial_refused, dial_badhost, dial_badport, read_badfd, dial_byname;

static void errors_main(void *arg)
{
    (void)arg;
    int l = gort_net_listen_tcp("localhost", 0, 1); /* a name, looked up on the pool */
    int p = gort_net_port(l);
    dial_byname = gort_net_dial_tcp("localhost", p, gort_now() + 2000000000);
    if (dial_byname >= 0)
        gort_net_close(dial_byname);
    gort_net_close(l); /* nobody listens on p now */
    dial_refused = gort_net_dial_tcp("127.0.0.1", p, gort_now() + 2000000000);
    dial_badhost = gort_net_dial_tcp("no-such-host.invalid", 80, gort_now() + 2000000000);
    dial_badport = gort_net_dial_tcp("127.0.0.1", 70000, 0);
    char c;
    read_badfd = (int)gort_net_read(-1, &c, 1, 0);
}

Test(net, errors_are_negative_errnos, .timeout = 30)
{
    cr_assert_eq(gort_run(errors_main, NULL), 0);
    cr_assert_eq(dial_refused, -ECONNREFUSED, "%s", strerror(-dial_refused));
    cr_assert_geq(dial_byname, 0, "%s", strerror(-dial_byname));
    cr_assert_eq(dial_badhost, -EHOSTUNREACH);
    cr_assert_eq(dial_badport, -EINVAL);
    cr_assert_eq(read_badfd, -EBADF);
}

static void read_outside(void)
{
    int sp[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp);
    char c;
    gort_net_read(sp[0], &c, 1, 0); /* would block: not in a goroutine */
}

Test(net, a_read_that_would_block_outside_a_goroutine_is_fatal, .timeout = 20)
{
    char buf[4096];
    int st = forkrun(read_outside, buf, sizeof buf);
    cr_assert_eq(st, 2, "exit %d: %s", st, buf);
    cr_assert_not_null(strstr(buf, "fatal error: gort_net_read called from a thread that is not "
                                   "running a goroutine"), "%s", buf);
}

/* ---- files on the thread pool ------------------------------------------- */

static char fpath[64];
static ssize_t fwrote, fread1, fread2;
static char fbuf[64];
static _Atomic long spins;

static void spinner(void *arg)
{
    _Atomic bool *stop = arg;
    while (!atomic_load(stop)) {
        atomic_fetch_add(&spins, 1);
        gort_yield();
    }
}

static void file_main(void *arg)
{
    (void)arg;
    _Atomic bool stop = false;
    gort_go(spinner, &stop);
    int fd = open(fpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    fwrote = gort_file_write(fd, "hello, file", 11, 0);
    fread1 = gort_file_read(fd, fbuf, sizeof fbuf, 7);      /* at an offset */
    lseek(fd, 0, SEEK_SET);
    fread2 = gort_file_read(fd, fbuf + 8, 5, -1);          /* at the position */
    close(fd);
    cr_assert_eq(gort_file_read(fd, fbuf, 1, 0), -EBADF);
    atomic_store(&stop, true);
}

Test(net, file_io_on_the_thread_pool, .timeout = 20)
{
    snprintf(fpath, sizeof fpath, "/tmp/gort-test-file-%d", (int)getpid());
    cr_assert_eq(gort_run(file_main, NULL), 0);
    unlink(fpath);
    cr_assert_eq(fwrote, 11);
    cr_assert_eq(fread1, 4);
    cr_assert_eq(memcmp(fbuf, "file", 4), 0);
    cr_assert_eq(fread2, 5);
    cr_assert_eq(memcmp(fbuf + 8, "hello", 5), 0);
}

/* ---- a reset connection ---------------------------------------------------- */

static int rst_fd;
static ssize_t rst_read1, rst_read2, rst_write;

static void rst_reader(void *arg)
{
    gort_waitgroup *wg = arg;
    char c;
    rst_read1 = gort_net_read(rst_fd, &c, 1, gort_now() + 5000000000);
    rst_read2 = gort_net_read(rst_fd, &c, 1, gort_now() + 5000000000);
    rst_write = gort_net_write(rst_fd, "x", 1, gort_now() + 5000000000);
    gort_wg_done(wg);
}

static void reset_main(void *arg)
{
    (void)arg;
    int l = gort_net_listen_tcp("127.0.0.1", 0, 4);
    int c = gort_net_dial_tcp("127.0.0.1", gort_net_port(l), 0);
    rst_fd = gort_net_accept(l, 0);
    cr_assert_geq(rst_fd, 0);
    gort_waitgroup wg = GORT_WAITGROUP_INIT;
    gort_wg_add(&wg, 1);
    gort_go(rst_reader, &wg);
    gort_sleep(20000000); /* the reader is parked */
    struct linger lg = {1, 0}; /* close sends a reset */
    setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    gort_net_close(c);
    gort_wg_wait(&wg);
    gort_net_close(rst_fd);
    gort_net_close(l);
}

Test(net, a_reset_wakes_the_parked_reader_with_the_error, .timeout = 20)
{
    cr_assert_eq(gort_run(reset_main, NULL), 0);
    cr_assert_eq(rst_read1, -ECONNRESET, "%zd", rst_read1);
    cr_assert_eq(rst_read2, 0, "%zd", rst_read2);
    cr_assert_eq(rst_write, -EPIPE, "%zd", rst_write);
}

/* ---- fd numbers reused at once -------------------------------------------- */

/* Servers close their connection while the acceptor takes new ones: the
   kernel hands a just-closed fd number to the next connection, whose
   first call must see a new fd, not the one being closed. */
static _Atomic int reuse_bad;

static void reuse_serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char c;
    if (gort_net_read(fd, &c, 1, gort_now() + 5000000000) != 1 ||
        gort_net_write(fd, &c, 1, 0) != 1)
        atomic_fetch_add(&reuse_bad, 1);
    if (gort_net_close(fd) != 0)
        atomic_fetch_add(&reuse_bad, 1);
}

static void reuse_acceptor(void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 0; i < n; i++) {
        int fd = gort_net_accept(lfd, gort_now() + 5000000000);
        cr_assert_geq(fd, 0);
        gort_go(reuse_serve, (void *)(intptr_t)fd);
    }
}

static void reuse_client(void *arg)
{
    gort_waitgroup *wg = arg;
    for (int i = 0; i < SCALE(250); i++) {
        int fd = gort_net_dial_tcp("127.0.0.1", port, gort_now() + 5000000000);
        cr_assert_geq(fd, 0);
        char c = 'x';
        cr_assert_eq(gort_net_write(fd, &c, 1, 0), 1);
        cr_assert_eq(gort_net_read(fd, &c, 1, gort_now() + 5000000000), 1, "no answer");
        gort_net_close(fd);
    }
    gort_wg_done(wg);
}

static void reuse_main(void *arg)
{
    (void)arg;
    gort_waitgroup wg = GORT_WAITGROUP_INIT;
    gort_go(reuse_acceptor, (void *)(intptr_t)(8 * SCALE(250)));
    gort_wg_add(&wg, 8);
    for (int i = 0; i < 8; i++)
        gort_go(reuse_client, &wg);
    gort_wg_wait(&wg);
    gort_net_close(lfd);
}

Test(net, fd_numbers_reused_while_others_close, .timeout = 60)
{
    atomic_store(&reuse_bad, 0);
    lfd = gort_net_listen_tcp("127.0.0.1", 0, 1024);
    cr_assert_geq(lfd, 0);
    port = gort_net_port(lfd);
    gort_maxprocs(2);
    cr_assert_eq(gort_run(reuse_main, NULL), 0);
    cr_assert_eq(atomic_load(&reuse_bad), 0);
}
