/* mem_testutil.h - helpers shared by the tests/test_mem*.c suites, on top
   of forkrun.h (SCALE, fork-and-capture). */
#ifndef GORT_TESTS_MEM_TESTUTIL_H
#define GORT_TESTS_MEM_TESTUTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "forkrun.h"

#ifdef GORT_TEST_SANITIZED
#define MEM_SANITIZED 1 /* for expressions: shadow memory, slower code */
#else
#define MEM_SANITIZED 0
#endif

/* Runs fn in a child; asserts it exits with status 2 and that its stderr
   starts with want. */
static inline void expect_fatal(void (*fn)(void), const char *want) {
    char buf[512];
    fflush(NULL);
    int st = forkrun(fn, buf, sizeof buf);
    cr_assert_eq(st, 2, "exit status %d, stderr: %s", st, buf);
    cr_assert(strncmp(buf, want, strlen(want)) == 0, "stderr %s does not start with %s", buf, want);
}

#endif
