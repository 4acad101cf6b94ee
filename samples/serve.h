/*
 * serve.h - the part the two server samples (echo-server, http-hello)
 * share: read PORT from the command line, listen on it on every address,
 * print "listening on port N" (PORT 0: the port the kernel picked), then
 * accept connections forever and start handler(fd) in a new goroutine
 * for each.  Returns main's exit status: 2 for a usage error, 1 if the
 * server could not start or the listener failed.
 *
 * The net calls return a negative errno instead of setting errno.  An
 * accept that fails because the process is out of fds (EMFILE, ENFILE)
 * or memory is retried after a pause, as Go's http.Server does: the
 * connections being served will close and free some.
 */
#ifndef GORT_SAMPLES_SERVE_H
#define GORT_SAMPLES_SERVE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gort.h"

struct server {
    const char *name;
    int port;
    gort_fn handler;
    int status;
};

static void accept_loop(void *arg)
{
    struct server *s = arg;
    int lfd = gort_net_listen_tcp(NULL, s->port, 1024);
    if (lfd < 0) {
        fprintf(stderr, "%s: listen on port %d: %s\n", s->name, s->port, strerror(-lfd));
        s->status = 1;
        return;
    }
    printf("listening on port %d\n", gort_net_port(lfd));
    fflush(stdout);
    for (;;) {
        int fd = gort_net_accept(lfd, 0);
        if (fd >= 0) {
            gort_go(s->handler, (void *)(intptr_t)fd);
        } else if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM) {
            fprintf(stderr, "%s: accept: %s; retrying in 100 ms\n", s->name, strerror(-fd));
            gort_sleep(100 * 1000 * 1000);
        } else if (fd != -ECONNABORTED && fd != -EINTR) {
            fprintf(stderr, "%s: accept: %s\n", s->name, strerror(-fd));
            s->status = 1;
            return;
        }
    }
}

static inline int serve_main(const char *name, gort_fn handler, int argc, char **argv)
{
    char *end = NULL;
    long port = -1;
    if (argc == 2) {
        errno = 0;
        port = strtol(argv[1], &end, 10);
    }
    if (argc != 2 || errno || end == argv[1] || *end || port < 0 || port > 65535) {
        fprintf(stderr, "usage: %s PORT   (0..65535; 0: any free port)\n", argv[0]);
        return 2;
    }
    struct server s = {.name = name, .port = (int)port, .handler = handler};
    int rc = gort_run(accept_loop, &s);
    if (rc != 0) {
        fprintf(stderr, "%s: gort_run failed: %s\n", name, strerror(-rc));
        return 1;
    }
    return s.status;
}

#endif /* GORT_SAMPLES_SERVE_H */
