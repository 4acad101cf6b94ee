/*
 * test_net.c - the netpoller: echo round trips over many connections,
 * deadlines, close waking a parked reader, no fd leaks.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "forkrun.h"
#include "gort.h"

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

#define NCONN (SCALE(200) < 20 ? 20 : SCALE(200))

/* before: the fds open before the listener was made. */
static void run_echo(int before)
{
    atomic_store(&nok, 0);
    atomic_store(&nclosed, 0);
    gort_maxprocs(2);
    cr_assert_eq(gort_run(echo_main, (void *)(intptr_t)(NCONN)), 0);
    cr_assert_eq(atomic_load(&nok), NCONN);
    cr_assert_eq(nfds(), before, "fds before %d after %d", before, nfds());
}

Test(net, tcp_echo_many_connections, .timeout = 60)
{
    unixpath = NULL;
    int before = nfds();
    /* port 0: the kernel picks; read it back. */
    int fd = -1;
    for (port = 20000 + (int)(getpid() % 20000); fd < 0; port++)
        fd = gort_net_listen_tcp("127.0.0.1", port, 4096);
    port--;
    lfd = fd;
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
    int fd = -1;
    for (port = 40000 + (int)(getpid() % 20000); fd < 0; port++)
        fd = gort_net_listen_tcp("127.0.0.1", port, 128);
    port--;
    lfd = fd;
    cr_assert_eq(gort_run(connect_cycles_main, NULL), 0);
    cr_assert_eq(nfds(), before, "fds before %d after %d", before, nfds());
}
