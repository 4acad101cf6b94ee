/*
 * net.c - fd I/O that parks only the goroutine: TCP and Unix sockets,
 * with deadlines (Go's net package over the netpoller, netpoll.c).
 *
 * Every fd made here is non-blocking.  A call tries the system call
 * first; on EAGAIN it waits in the netpoller (the goroutine parks, its P
 * runs others) and tries again.  Errors are returned as negative errno
 * values, never through errno, which a goroutine that moved threads may
 * not read reliably (gort/gls.h).  Host names are resolved by getaddrinfo
 * inside gort_syscall, so a slow resolver blocks only its goroutine.
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

#include "proc.h"

int netpollwait(int fd, int events, int64_t deadline); /* netpoll.c */
void netpollcancel(int fd);

enum { WAIT_READ = 1, WAIT_WRITE = 2 };

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

static long resolve_blocking(void *arg)
{
    struct resolve *r = arg;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE}, *res;
    char port[16];
    snprintf(port, sizeof port, "%d", r->port);
    int err = getaddrinfo(r->host, port, &hints, &res);
    if (err != 0)
        return err == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
    memcpy(&r->addr, res->ai_addr, res->ai_addrlen);
    r->len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static int resolve(struct resolve *r)
{
    if (r->port < 0 || r->port > 65535)
        return -EINVAL;
    return (int)gort_syscall(resolve_blocking, r);
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

int gort_net_accept(int fd, int64_t deadline)
{
    for (;;) {
        int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0)
            return c;
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            return -errno;
        if (errno == EAGAIN) {
            int err = netpollwait(fd, WAIT_READ, deadline);
            if (err)
                return err;
        }
    }
}

static int dial(int family, const struct sockaddr *sa, socklen_t len, int64_t deadline)
{
    int fd = nonblocksocket(family);
    if (fd < 0)
        return fd;
    int err = 0;
    if (connect(fd, sa, len) != 0) {
        err = -errno;
        if (err == -EINPROGRESS || err == -EAGAIN) {
            err = netpollwait(fd, WAIT_WRITE, deadline);
            if (err == 0) {
                int soerr = 0;
                socklen_t sl = sizeof soerr;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
                err = -soerr;
            }
        }
    }
    if (err) {
        close(fd);
        return err;
    }
    if (family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
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

ssize_t gort_net_read(int fd, void *buf, size_t n, int64_t deadline)
{
    for (;;) {
        ssize_t r = read(fd, buf, n);
        if (r >= 0)
            return r;
        if (errno != EAGAIN && errno != EINTR)
            return -errno;
        if (errno == EAGAIN) {
            int err = netpollwait(fd, WAIT_READ, deadline);
            if (err)
                return err;
        }
    }
}

ssize_t gort_net_write(int fd, const void *buf, size_t n, int64_t deadline)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = send(fd, (const char *)buf + done, n - done, MSG_NOSIGNAL);
        if (r >= 0) {
            done += (size_t)r;
            continue;
        }
        if (errno != EAGAIN && errno != EINTR)
            return -errno;
        if (errno == EAGAIN) {
            int err = netpollwait(fd, WAIT_WRITE, deadline);
            if (err)
                return err;
        }
    }
    return (ssize_t)done;
}

int gort_net_close(int fd)
{
    netpollcancel(fd); /* wakes its waiter with -ECANCELED */
    return close(fd) == 0 ? 0 : -errno;
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
