/*
 * criterion.h - the subset of Criterion's API that gort's suites use, for
 * the thread-sanitizer build only.
 *
 * Criterion cannot start under ThreadSanitizer: its BoxFort runner maps an
 * "inheritable arena" at an address TSan reserves, and aborts with "Could
 * not initialize inheritable arena" (Criterion issue 274).  So the TSan
 * build compiles the same test files against this header and tests/tsan/
 * runner.c instead: every Test() runs in a forked child, with its
 * .timeout, and the runner prints Criterion's closing line.  Only what the
 * suites use is here: Test with .timeout, cr_assert and its comparisons,
 * cr_skip_test.
 */
#ifndef GORT_TSAN_CRITERION_H
#define GORT_TSAN_CRITERION_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cr_test_opts {
    double timeout;
};

struct cr_test {
    const char *suite, *name;
    void (*fn)(void);
    struct cr_test_opts opts;
    struct cr_test *next;
};

void cr_register(struct cr_test *t);
/* Not format-checked: the message is optional, as in Criterion. */
_Noreturn void cr_fail(const char *file, int line, const char *expr, const char *fmt, ...);
_Noreturn void cr_skip(const char *fmt, ...);

#define Test(suite, name, ...)                                                                 \
    static void suite##_##name##_impl(void);                                                   \
    static struct cr_test suite##_##name##_test = {                                            \
        #suite, #name, suite##_##name##_impl, {__VA_ARGS__}, NULL};                         \
    __attribute__((constructor)) static void suite##_##name##_reg(void)                        \
    {                                                                                          \
        cr_register(&suite##_##name##_test);                                                   \
    }                                                                                          \
    static void suite##_##name##_impl(void)

#define cr_assert(cond, ...)                                                                   \
    do {                                                                                       \
        if (!(cond))                                                                           \
            cr_fail(__FILE__, __LINE__, #cond, "" __VA_ARGS__);                                \
    } while (0)
#define cr_assert_op_(a, op, b, ...) cr_assert((a)op(b), __VA_ARGS__)
#define cr_assert_eq(a, b, ...) cr_assert_op_(a, ==, b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) cr_assert_op_(a, !=, b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...) cr_assert_op_(a, <, b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) cr_assert_op_(a, <=, b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...) cr_assert_op_(a, >, b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) cr_assert_op_(a, >=, b, __VA_ARGS__)
#define cr_assert_null(a, ...) cr_assert((a) == NULL, __VA_ARGS__)
#define cr_assert_not_null(a, ...) cr_assert((a) != NULL, __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) cr_assert(strcmp((a), (b)) == 0, __VA_ARGS__)
#define cr_skip_test(...) cr_skip("" __VA_ARGS__)

#endif /* GORT_TSAN_CRITERION_H */
