/*
 * echo-server - a TCP echo server with one goroutine per connection, the
 * way one writes it in Go.
 *
 *     ./echo-server 7000 &        (PORT 0: the kernel picks a free port)
 *     nc localhost 7000           (type lines; they come back)
 *
 * It listens on PORT on every address and prints "listening on port N".
 * The main goroutine loops on gort_net_accept and starts a goroutine per
 * connection (serve.h, shared with http-hello); that goroutine reads what
 * arrives and writes it back until the peer closes.  gort_net_read and
 * gort_net_write look blocking, but a goroutine that would block parks in
 * the netpoller while its thread (its P) runs the other connections, so a
 * few threads serve thousands of connections.  The server runs until it
 * is killed.
 */
#include "serve.h"

/* One connection: echo until end of stream or an error, then close. */
static void serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[16384];
    ssize_t n;
    while ((n = gort_net_read(fd, buf, sizeof buf, 0)) > 0)
        if (gort_net_write(fd, buf, (size_t)n, 0) < 0)
            break;
    gort_net_close(fd);
}

int main(int argc, char **argv)
{
    return serve_main("echo-server", serve, argc, argv);
}
