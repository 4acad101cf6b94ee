/*
 * test_samples.c - runs every program in samples/ and checks what it
 * prints against an answer computed here: the sum, the primes, the
 * sum of squares, which jobs time out.  The samples are found beside
 * this test's build directory (BUILD/tests/test_samples runs
 * BUILD/samples/NAME) and run with small arguments so the suite stays
 * quick under the sanitizers too.
 */
#include <criterion/criterion.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
