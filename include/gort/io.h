/*
 * gort/io.h - blocking C calls and preemption safe points.
 *
 * A goroutine that calls a C function which blocks its thread (a read on a
 * pipe, sleep, a database client) wraps it in gort_syscall, or brackets it
 * with gort_enter_blocking / gort_exit_blocking: while it blocks, the P is
 * handed to another thread, so the other goroutines keep running (Go's
 * entersyscall/exitsyscall).  A call that returns quickly costs a few
 * atomic operations; the P is handed off only once the call has lasted one
 * sysmon tick (20 us to 10 ms).  Between the two, the goroutine may call
 * only the gort functions that never block (gort_go, unlocks, a
 * non-blocking select...): one that can block is a fatal error.  errno set
 * by the call is kept.  When main returns, gort_run still waits for the
 * threads inside such calls to come back, as for any running goroutine.
 *
 * Preemption.  gort never switches goroutines from a signal handler, so a
 * goroutine is preempted only at safe points: calls that park, gort_yield,
 * gort_exit_blocking and gort_safepoint.  A goroutine that has run
 * 10 ms without scheduling is asked to yield at its next safe point, and
 * its P's queued goroutines are moved to where idle Ps can take them.  A
 * CPU-bound loop should call gort_safepoint (a few ns when nothing is
 * asked) to bound the delay it causes to ~20 ms.
 */
#ifndef GORT_IO_H
#define GORT_IO_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Runs fn(arg) with the P handed off while it blocks; returns its result.
   Outside a goroutine it just calls fn. */
GORT_API long gort_syscall(long (*fn)(void *arg), void *arg);
/* The same as a pair around inline code; they must match (fatal if not). */
GORT_API void gort_enter_blocking(void);
GORT_API void gort_exit_blocking(void);
/* A preemption safe point: yields if sysmon asked this goroutine to. */
GORT_API void gort_safepoint(void);

/* fd I/O that parks only the goroutine (sched/net.c over the netpoller,
   sched/netpoll.c).  Results are fds or byte counts, or a negative errno
   (never errno).  A deadline is a gort_now() time, 0 for none; past it a
   call returns -ETIMEDOUT.  Every fd these calls touch is put in
   non-blocking mode.  One goroutine reads and another writes the same fd
   at once freely; two readers (or two writers) take turns, as in Go.
   gort_net_close wakes the goroutines parked on the fd with -ECANCELED
   and closes it; an fd these calls used must be closed with it, not with
   close(2), while gort_run runs.  Host names are looked up on libuv's thread pool (a name
   that does not resolve: -EHOSTUNREACH).
   Calls that can park are fatal outside a goroutine. */
GORT_API int     gort_net_listen_tcp(const char *host, int port, int backlog); /* host NULL: any
                                                   address; port 0: the kernel picks (gort_net_port) */
GORT_API int     gort_net_listen_unix(const char *path, int backlog);
GORT_API int     gort_net_port(int fd);          /* local TCP port of fd, or a negative errno */
GORT_API int     gort_net_accept(int fd, int64_t deadline);
GORT_API int     gort_net_dial_tcp(const char *host, int port, int64_t deadline);
GORT_API int     gort_net_dial_unix(const char *path, int64_t deadline);
GORT_API ssize_t gort_net_read(int fd, void *buf, size_t n, int64_t deadline); /* 0: end of stream */
GORT_API ssize_t gort_net_write(int fd, const void *buf, size_t n, int64_t deadline); /* all of buf,
                                                   or an error (bytes sent before it are lost count) */
GORT_API int     gort_net_close(int fd);

/* File I/O on libuv's thread pool: the goroutine parks while a pool
   thread runs pread/pwrite (off < 0: the file position, read/write). */
GORT_API ssize_t gort_file_read(int fd, void *buf, size_t n, int64_t off);
GORT_API ssize_t gort_file_write(int fd, const void *buf, size_t n, int64_t off);

#ifdef __cplusplus
}
#endif

#endif /* GORT_IO_H */
