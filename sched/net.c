/*
 * net.c - fd I/O that parks only the goroutine: TCP and Unix sockets,
 * with deadlines (Go's net package over the netpoller, netpoll.c).
 *
 * Every fd used here is non-blocking.  A call takes a reference to the
 * fd's poll descriptor (netpoll.c; the fd's reader or writer lock too),
 * tries the system call, and on EAGAIN waits in the netpoller (the
 * goroutine parks, its P runs others) and tries again.  Errors are returned as negative errno
 * values, never through errno, which a goroutine that moved threads may
 * not read reliably (gort/gls.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "netpoll.h"
#include "proc.h"

static int nonblocksocket(int family)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    return fd < 0 ? -errno : fd;
}

struct resolve {
    const char *host;
    int port;
    struct sockaddr_storage addr;
    socklen_t len;
};

/* A numeric address (or none: any address) is parsed at once.  Host
   names are looked up by libuv on its thread pool, so a slow resolver
   parks only the goroutine; outside a goroutine (a listener made before
   gort_run) the lookup just blocks.  A name that does not resolve gives
   -EHOSTUNREACH. */
static int resolve(struct resolve *r)
{
    if (r->port < 0 || r->port > 65535)
        return -EINVAL;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV},
                    *res = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", r->port);
    int err = getaddrinfo(r->host, port, &hints, &res);
    if (err == EAI_NONAME) {
        hints.ai_flags &= ~AI_NUMERICHOST;
        err = getg() ? netpollresolve(r->host, port, &hints, &res)
                     : getaddrinfo(r->host, port, &hints, &res);
    }
    if (err != 0 || res == NULL)
        return -EHOSTUNREACH;
    memcpy(&r->addr, res->ai_addr, res->ai_addrlen);
    r->len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static int unixaddr(const char *path, struct sockaddr_un *sun)
{
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    if (path == NULL || strlen(path) >= sizeof sun->sun_path)
        return -EINVAL;
    strcpy(sun->sun_path, path);
    return 0;
}

static int listenon(int family, const struct sockaddr *sa, socklen_t len, int backlog)
{
    int fd = nonblocksocket(family);
    if (fd < 0)
        return fd;
    int one = 1;
    if (family != AF_UNIX)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, sa, len) != 0 || listen(fd, backlog > 0 ? backlog : SOMAXCONN) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int gort_net_listen_tcp(const char *host, int port, int backlog)
{
    struct resolve r = {.host = host, .port = port};
    int err = resolve(&r);
    if (err)
        return err;
    return listenon(r.addr.ss_family, (struct sockaddr *)&r.addr, r.len, backlog);
}

int gort_net_listen_unix(const char *path, int backlog)
{
    struct sockaddr_un sun;
    int err = unixaddr(path, &sun);
    return err ? err : listenon(AF_UNIX, (struct sockaddr *)&sun, sizeof sun, backlog);
}

/* One non-blocking system call, retried while it would block: `call`
   returns a result >= 0, or -errno.  Takes fd's reader or writer turn. */
static long fdio(const char *what, int fd, int mode, int64_t deadline,
                 long (*call)(int fd, void *arg), void *arg)
{
    gort_checkblock(what);
    int err;
    pollDesc *pd = pdacquire(fd, &err);
    if (pd == NULL)
        return err;
    gort_mutex *mu = mode == POLL_READ ? &pd->rmu : &pd->wmu;
    gort_mutex_lock(mu);
    long r;
    for (;;) {
        r = atomic_load(&pd->state) == PD_OPEN ? call(fd, arg) : -ECANCELED;
        if (r != -EAGAIN && r != -EINTR)
            break;
        if (r == -EAGAIN && (r = netpollblock(pd, mode, deadline)) != 0)
            break;
    }
    gort_mutex_unlock(mu);
    pdrelease(pd);
    return r;
}

/* TCP connections send small writes at once, as Go's do. */
static void nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails on Unix sockets */
}

static long acceptcall(int fd, void *arg)
{
    (void)arg;
    int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0)
        return errno == ECONNABORTED ? -EINTR : -errno; /* retry an aborted one */
    nodelay(c);
    return c;
}

int gort_net_accept(int fd, int64_t deadline)
{
    return (int)fdio("gort_net_accept", fd, POLL_READ, deadline, acceptcall, NULL);
}

/* A connect in progress has finished once the fd is writable. */
static long connectdone(int fd, void *arg)
{
    (void)arg;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        return -errno;
    return -soerr;
}

static int dial(int family, const struct sockaddr *sa, socklen_t len, int64_t deadline)
{
    int fd = nonblocksocket(family);
    if (fd < 0)
        return fd;
    int err = 0;
    if (connect(fd, sa, len) != 0) {
        /* EAGAIN (a Unix socket's full backlog) is returned as it is. */
        err = errno == EINPROGRESS || errno == EINTR
                  ? (int)fdio("gort_net_dial", fd, POLL_WRITE, deadline, connectdone, NULL)
                  : -errno;
    }
    if (err) {
        gort_net_close(fd);
        return err;
    }
    nodelay(fd);
    return fd;
}

int gort_net_dial_tcp(const char *host, int port, int64_t deadline)
{
    struct resolve r = {.host = host, .port = port};
    int err = resolve(&r);
    if (err)
        return err;
    return dial(r.addr.ss_family, (struct sockaddr *)&r.addr, r.len, deadline);
}

int gort_net_dial_unix(const char *path, int64_t deadline)
{
    struct sockaddr_un sun;
    int err = unixaddr(path, &sun);
    return err ? err : dial(AF_UNIX, (struct sockaddr *)&sun, sizeof sun, deadline);
}

struct iobuf {
    char *p;
    size_t n, done;
};

static long readcall(int fd, void *arg)
{
    struct iobuf *b = arg;
    ssize_t r = read(fd, b->p, b->n);
    return r >= 0 ? r : -errno;
}

ssize_t gort_net_read(int fd, void *buf, size_t n, int64_t deadline)
{
    struct iobuf b = {buf, n, 0};
    return fdio("gort_net_read", fd, POLL_READ, deadline, readcall, &b);
}

/* Sends until the whole buffer is gone: EAGAIN only when nothing more
   fits, so the wait in between resumes where it stopped. */
static long writecall(int fd, void *arg)
{
    struct iobuf *b = arg;
    while (b->done < b->n) {
        ssize_t r = send(fd, b->p + b->done, b->n - b->done, MSG_NOSIGNAL);
        if (r < 0)
            return -errno;
        b->done += (size_t)r;
    }
    return (long)b->done;
}

ssize_t gort_net_write(int fd, const void *buf, size_t n, int64_t deadline)
{
    struct iobuf b = {(char *)buf, n, 0};
    return fdio("gort_net_write", fd, POLL_WRITE, deadline, writecall, &b);
}

int gort_net_close(int fd)
{
    int err;
    pollDesc *pd = pdacquire(fd, &err);
    if (pd == NULL)
        return err;
    pdrelease(pd);
    return pdclose(pd);
}

ssize_t gort_file_read(int fd, void *buf, size_t n, int64_t off)
{
    return netpollfs(0, fd, buf, n, off);
}

ssize_t gort_file_write(int fd, const void *buf, size_t n, int64_t off)
{
    return netpollfs(1, fd, (void *)buf, n, off);
}

int gort_net_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -errno;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -EAFNOSUPPORT;
}
