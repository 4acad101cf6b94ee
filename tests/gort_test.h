/*
 * gort_test.h - helpers for the channel, select, sync, timer and deadlock
 * suites: running a scenario under gort_run, checking that a scenario dies
 * with a given fatal error, and scaling loops down under the sanitizers.
 */
#ifndef GORT_TEST_H
#define GORT_TEST_H

#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h" /* internal: wait queues, for tests that wait for parked Gs */
#include "gort.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define GT_SANITIZED 1
#endif
#endif
#ifndef GT_SANITIZED
#define GT_SANITIZED 0
#endif

/* n, or n/scale under a sanitizer (at least 1). */
static inline long gt_scale(long n, long scale)
{
    return GT_SANITIZED ? (n / scale > 0 ? n / scale : 1) : n;
}

/* xorshift32: the tests' own cheap random numbers (x must not be 0). */
static inline uint32_t gt_rand(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* An assertion for goroutines and foreign threads: Criterion's cr_assert
   unwinds to the test's own stack, which a goroutine must not do. */
static inline _Noreturn void gt_fail(const char *file, int line, const char *what,
                                     long long a, long long b)
{
    fprintf(stderr, "%s:%d: check failed: %s (%lld, %lld)\n", file, line, what, a, b);
    abort();
}
#define GT_CHECK(cond)                                                        \
    do {                                                                      \
        if (!(cond))                                                          \
            gt_fail(__FILE__, __LINE__, #cond, 0, 0);                         \
    } while (0)
#define GT_EQ(a, b)                                                           \
    do {                                                                      \
        long long a_ = (long long)(a), b_ = (long long)(b);                   \
        if (a_ != b_)                                                         \
            gt_fail(__FILE__, __LINE__, #a " == " #b, a_, b_);                \
    } while (0)

static inline void gt_run(gort_fn fn, void *arg)
{
    cr_assert_eq(gort_run(fn, arg), 0, "gort_run failed");
}

/* Runs gort_run(fn, arg) in a child process and asserts that it dies with
   exit status 2 and that its stderr has the line "fatal error: MSG" (with
   msg NULL: a line starting "fatal error: ").  Returns the captured stderr
   (malloc'd) for further checks. */
static inline char *gt_expect_fatal(gort_fn fn, void *arg, const char *msg)
{
    int pfd[2];
    cr_assert_eq(pipe(pfd), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(pfd[0]);
        dup2(pfd[1], 2);
        alarm(60); /* a hang fails the test instead of stalling the suite */
        gort_run(fn, arg);
        _exit(0);
    }
    close(pfd[1]);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    ssize_t r;
    while ((r = read(pfd[0], out + len, cap - 1 - len)) > 0) {
        len += (size_t)r;
        if (len == cap - 1)
            out = realloc(out, cap *= 2);
    }
    out[len] = 0;
    close(pfd[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2,
              "expected exit status 2 (fatal error: %s), got status 0x%x; stderr:\n%s",
              msg ? msg : "...",
              status, out);
    char want[256];
    snprintf(want, sizeof want, "fatal error: %s%s", msg ? msg : "", msg ? "\n" : "");
    cr_assert(strstr(out, want) != NULL, "stderr lacks \"%s\":\n%s", want, out);
    return out;
}

/* Same, also requiring the trace of a goroutine. */
static inline void gt_expect_fatal_g(gort_fn fn, void *arg, const char *msg)
{
    char *out = gt_expect_fatal(fn, arg, msg);
    cr_assert(strstr(out, "goroutine ") != NULL, "no goroutine trace:\n%s", out);
    free(out);
}

/* Runs fn(arg) on a new OS thread (not a goroutine) and joins it. */
static inline void gt_on_thread(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, fn, arg), 0);
    cr_assert_eq(pthread_join(t, NULL), 0);
}

/* The deadlock detector counts a foreign thread as a possible feeder of
   goroutines once it has readied one (sched/proc.c): a goroutine that
   parks waiting for a thread that has not yet done so is declared
   deadlocked.  A foreign thread announces itself with a gort_go, and the
   goroutine it will feed waits for that before it parks. */
static _Atomic bool gt_announced;

static inline void gt_noop(void *arg)
{
    (void)arg;
}

static inline void gt_foreign_announce(void)
{
    gort_go(gt_noop, NULL);
    atomic_store(&gt_announced, true);
}

static inline void gt_wait_announced(void)
{
    while (!atomic_load(&gt_announced))
        gort_yield();
}

/* How many goroutines wait on c, as receivers or as senders. */
static inline int gt_nwaiting(gort_chan *c, bool senders)
{
    rtlock_lock(&c->lock);
    int n = 0;
    for (sudog *sg = senders ? c->sendq.first : c->recvq.first; sg; sg = sg->next)
        n++;
    rtlock_unlock(&c->lock);
    return n;
}

/* Checks that fn(arg), run on a foreign thread during a gort_run, dies
   with the fatal error for a blocking call outside a goroutine, naming
   call. */
static struct {
    void *(*fn)(void *);
    void *arg;
} gt_foreign;

static inline void gt_foreign_main(void *unused)
{
    (void)unused;
    pthread_t t;
    GT_EQ(pthread_create(&t, NULL, gt_foreign.fn, gt_foreign.arg), 0);
    pthread_join(t, NULL);
}

static inline void gt_expect_foreign_fatal(void *(*fn)(void *), void *arg, const char *call)
{
    gt_foreign.fn = fn;
    gt_foreign.arg = arg;
    char *out = gt_expect_fatal(gt_foreign_main, NULL, NULL);
    cr_assert(strstr(out, call) != NULL, "message should name %s:\n%s", call, out);
    free(out);
}

#endif /* GORT_TEST_H */
