/*
 * forkrun.h - run a piece of a test in a child process and collect what it
 * printed on stderr and how it ended.  For fatal errors, which end the
 * process: the test asserts on the message and the exit status.
 */
#ifndef GORT_TESTS_FORKRUN_H
#define GORT_TESTS_FORKRUN_H

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs fn() in a child; returns its exit status (or 128 + the signal that
   killed it) and puts the start of its stderr in buf (NUL-terminated). */
static inline int forkrun(void (*fn)(void), char *buf, size_t len)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        close(fds[1]);
        fn();
        _exit(0);
    }
    close(fds[1]);
    size_t got = 0;
    for (;;) {
        char tmp[4096];
        ssize_t n = read(fds[0], tmp, sizeof tmp);
        if (n <= 0)
            break;
        if (got + 1 < len) {
            size_t take = (size_t)n < len - 1 - got ? (size_t)n : len - 1 - got;
            memcpy(buf + got, tmp, take);
            got += take;
        }
    }
    buf[got] = 0;
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}

#if defined(__SANITIZE_THREAD__)
#define GORT_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GORT_TEST_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define GORT_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GORT_TEST_ASAN 1
#endif
#endif
#if defined(GORT_TEST_TSAN) || defined(GORT_TEST_ASAN)
#define GORT_TEST_SANITIZED 1
#endif

/* Loop counts shrink under the sanitizers, which run code 5-20x slower;
   under TSan every goroutine is also a TSan fiber, costly to create. */
#if defined(GORT_TEST_TSAN)
#define SCALE(n) ((n) / 200 > 0 ? (n) / 200 : 1)
#elif defined(GORT_TEST_ASAN)
#define SCALE(n) ((n) / 20 > 0 ? (n) / 20 : 1)
#else
#define SCALE(n) (n)
#endif

#endif /* GORT_TESTS_FORKRUN_H */
