/*
 * runner.c - main() for the suites in the thread-sanitizer build (see
 * criterion/criterion.h beside it): runs each registered test in a forked
 * child with its timeout, reports each as Criterion does, and ends with
 * Criterion's synthesis line and the plain "N passed, N failed" line.
 * Exit status 0 only if every test passed or was skipped.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "criterion/criterion.h"

enum { EXIT_SKIP = 77, EXIT_FAIL = 99 };

static struct cr_test *tests, **tail = &tests;

void cr_register(struct cr_test *t)
{
    *tail = t;
    tail = &t->next;
}

void cr_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
    fprintf(stderr, "[----] %s:%d: Assertion Failed\n[----]   %s\n", file, line, expr);
    if (fmt && *fmt) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "[----]   ");
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
        va_end(ap);
    }
    fflush(stdout);
    _exit(EXIT_FAIL);
}

void cr_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[SKIP] ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    _exit(EXIT_SKIP);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL; /* "suite" or "suite::name" */
    int passed = 0, failed = 0, skipped = 0;
    for (struct cr_test *t = tests; t; t = t->next) {
        char full[256];
        snprintf(full, sizeof full, "%s::%s", t->suite, t->name);
        if (only && strncmp(full, only, strlen(only)) != 0)
            continue;
        fflush(stdout);
        double t0 = now();
        pid_t pid = fork();
        if (pid == 0) {
            if (t->opts.timeout > 0)
                alarm((unsigned)t->opts.timeout + 1);
            t->fn();
            fflush(stdout);
            _exit(0);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        double dt = now() - t0;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            passed++;
            printf("[PASS] %s: (%.2fs)\n", full, dt);
        } else if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_SKIP) {
            skipped++;
            printf("[SKIP] %s\n", full);
        } else {
            failed++;
            if (WIFSIGNALED(st))
                printf("[FAIL] %s: CRASH! (signal %d%s)\n", full, WTERMSIG(st),
                       WTERMSIG(st) == SIGALRM ? ", timed out" : "");
            else
                printf("[FAIL] %s: exit status %d (%.2fs)\n", full, WEXITSTATUS(st), dt);
        }
    }
    printf("[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Crashing: 0 \n",
           passed + failed, passed, failed);
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
