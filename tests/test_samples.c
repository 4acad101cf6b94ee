/*
 * test_samples.c - runs every program in samples/ and checks what it
 * prints against an answer computed here: the sum, the primes, the
 * sum of squares, which jobs time out.  The samples are found beside
 * this test's build directory (BUILD/tests/test_samples runs
 * BUILD/samples/NAME) and run with small arguments so the suite stays
 * quick under the sanitizers too.  sieve and workerpool return from main
 * while goroutines still hold channels, which gort (like Go) abandons:
 * they run with LeakSanitizer off, since what those goroutines hold is
 * never freed by design.
 */
#include <criterion/criterion.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* For the samples that abandon goroutines (see above). */
#define ABANDONS "ASAN_OPTIONS=detect_leaks=0 GORT_MAXPROCS=2"

/* Runs "ENV BUILD/samples/NAME ARGS" through the shell; returns its
   stdout (malloc'd, NUL-terminated) and stores its exit status. */
static char *run_sample(const char *env, const char *name, const char *args, int *status)
{
    char exe[PATH_MAX], cmd[2 * PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    cr_assert(len > 0, "readlink /proc/self/exe");
    exe[len] = 0;
    char *tests = dirname(exe); /* BUILD/tests */
    snprintf(cmd, sizeof cmd, "%s '%s/../samples/%s' %s", env, tests, name, args);
    FILE *p = popen(cmd, "r");
    cr_assert(p, "popen %s", cmd);
    size_t cap = 4096, n = 0;
    char *out = malloc(cap);
    for (size_t got; (got = fread(out + n, 1, cap - n - 1, p)) > 0;) {
        n += got;
        if (cap - n < 2)
            out = realloc(out, cap *= 2);
        cr_assert(out);
    }
    out[n] = 0;
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return out;
}

/* The next line of *text (NUL-terminated in place), or NULL at the end. */
static char *next_line(char **text)
{
    if (!**text)
        return NULL;
    char *line = *text, *nl = strchr(line, '\n');
    if (nl) {
        *nl = 0;
        *text = nl + 1;
    } else {
        *text += strlen(line);
    }
    return line;
}

/* Checks that the next line of *text is want. */
static void expect_line(char **text, const char *want)
{
    char *line = next_line(text);
    cr_assert(line && strcmp(line, want) == 0, "expected '%s', got '%s'", want,
              line ? line : "(end of output)");
}

Test(samples, hello_runs_every_goroutine_once)
{
    int st;
    char *out = run_sample("GORT_MAXPROCS=2", "hello", "", &st), *text = out, *line;
    cr_assert_eq(st, 0, "hello exited %d:\n%s", st, out);
    expect_line(&text, "main is goroutine 1; 2 Ps; spawning 4 goroutines");
    int seen[4] = {0};
    unsigned long long ids[4];
    for (int i = 0; i < 4; i++) {
        int k, tid;
        line = next_line(&text);
        cr_assert(line && sscanf(line, "hello from goroutine %d (id %llu) on thread %d",
                                 &k, &ids[i], &tid) == 3, "line %d: %s", i + 2, line);
        cr_assert(k >= 0 && k < 4 && !seen[k]++, "goroutine %d twice or out of range", k);
        cr_assert(ids[i] > 1, "a spawned goroutine has main's id");
        for (int j = 0; j < i; j++)
            cr_assert_neq(ids[i], ids[j], "two goroutines share id %llu", ids[i]);
    }
    expect_line(&text, "all 4 goroutines done");
    cr_assert_null(next_line(&text));
    free(out);
}

Test(samples, sum_adds_up)
{
    int st;
    long n = 1000000, last, sum, expected;
    char *out = run_sample("GORT_MAXPROCS=2", "sum", "1000000", &st);
    cr_assert_eq(st, 0, "sum exited %d:\n%s", st, out);
    cr_assert_eq(sscanf(out, "sum of 0..%ld = %ld (expected %ld)", &last, &sum, &expected), 3,
                 "unexpected output: %s", out);
    cr_assert_eq(last, n - 1);
    cr_assert_eq(sum, n * (n - 1) / 2, "sum %ld", sum);
    free(out);
}

Test(samples, skynet_sums_its_tree)
{
    int st;
    long sum;
    char *out = run_sample("GORT_MAXPROCS=2", "skynet", "10000", &st);
    cr_assert_eq(st, 0, "skynet exited %d:\n%s", st, out);
    cr_assert_eq(sscanf(out, "skynet: sum %ld", &sum), 1, "unexpected output: %s", out);
    cr_assert_eq(sum, 10000L * 9999 / 2, "sum %ld", sum);
    free(out);
}

Test(samples, sieve_prints_the_first_primes)
{
    int st;
    char *out = run_sample(ABANDONS, "sieve", "100", &st), *text = out;
    cr_assert_eq(st, 0, "sieve exited %d:\n%s", st, out);
    long p = 1;
    for (int i = 0; i < 100; i++) {
        bool prime;
        do { /* the next prime, by trial division */
            p++;
            prime = true;
            for (long d = 2; d * d <= p && prime; d++)
                prime = p % d != 0;
        } while (!prime);
        char *line = next_line(&text);
        cr_assert(line && atol(line) == p, "prime %d: got '%s', expected %ld", i + 1, line, p);
    }
    cr_assert_null(next_line(&text));
    free(out);
}

Test(samples, pipeline_squares_every_number_once)
{
    int st;
    long n = 1000, sum, expected, handled = 0;
    char *out = run_sample("GORT_MAXPROCS=2", "pipeline", "1000 3", &st), *text = out, *line;
    cr_assert_eq(st, 0, "pipeline exited %d:\n%s", st, out);
    line = next_line(&text);
    cr_assert(line && sscanf(line, "sum of squares 1..1000 = %ld (expected %ld)", &sum, &expected) == 2,
              "unexpected output: %s", out);
    cr_assert_eq(sum, n * (n + 1) * (2 * n + 1) / 6, "sum %ld", sum);
    for (long i = 0; i < 3; i++) {
        long k, c;
        line = next_line(&text);
        cr_assert(line && sscanf(line, "worker %ld squared %ld numbers", &k, &c) == 2 && k == i,
                  "line %ld: %s", i + 2, line);
        handled += c;
    }
    cr_assert_eq(handled, n, "the workers squared %ld numbers, not %ld", handled, n);
    cr_assert_null(next_line(&text));
    free(out);
}

Test(samples, workerpool_times_out_the_slow_jobs)
{
    int st;
    char *out = run_sample(ABANDONS, "workerpool", "", &st);
    cr_assert_eq(st, 0, "workerpool exited %d:\n%s", st, out);
    char *text = out;
    for (int i = 0; i < 8; i++) {
        char want[64];
        if (i % 3 == 2) /* the slow jobs */
            snprintf(want, sizeof want, "job %d: timed out after 200 ms", i);
        else
            snprintf(want, sizeof want, "job %d: result %d", i, i * i);
        expect_line(&text, want);
    }
    cr_assert_null(next_line(&text));
    free(out);
}
