/* mem_testutil.h - helpers shared by the tests/test_mem*.c suites. */
#ifndef GORT_TESTS_MEM_TESTUTIL_H
#define GORT_TESTS_MEM_TESTUTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MEM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MEM_SANITIZED 1
#endif
#endif
#ifndef MEM_SANITIZED
#define MEM_SANITIZED 0
#endif

/* Loop counts: full size in the plain build, a tenth under a sanitizer. */
#define SCALED(n) (MEM_SANITIZED ? (n) / 10 : (n))

/* Runs fn in a child whose stderr goes to a pipe; asserts it exits with
   status 2 and its stderr starts with want. */
static inline void expect_fatal(void (*fn)(void), const char *want) {
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn();
        _exit(0); /* fn was expected to die */
    }
    close(fds[1]);
    char buf[512] = {0};
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf - 1 && (r = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)r;
    close(fds[0]);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "child did not exit normally (status %#x): %s", st, buf);
    cr_assert_eq(WEXITSTATUS(st), 2, "exit status %d, stderr: %s", WEXITSTATUS(st), buf);
    cr_assert(strncmp(buf, want, strlen(want)) == 0, "stderr %s does not start with %s", buf, want);
}

#endif
