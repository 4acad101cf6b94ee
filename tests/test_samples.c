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
 *
 * The servers (echo-server, http-hello) start on port 0, print the port
 * the kernel gave them, and are talked to over plain blocking sockets
 * with 10 s timeouts, so a hung server fails the test instead of hanging
 * it; they are killed at the end and must have been alive until then.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* For the samples that abandon goroutines (see above). */
#define ABANDONS "ASAN_OPTIONS=detect_leaks=0 GORT_MAXPROCS=2"

/* path = BUILD/samples/NAME. */
static void sample_path(const char *name, char *path, size_t size)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    cr_assert(len > 0, "readlink /proc/self/exe");
    exe[len] = 0;
    snprintf(path, size, "%s/../samples/%s", dirname(exe) /* BUILD/tests */, name);
}

/* Runs "ENV BUILD/samples/NAME ARGS" through the shell; returns its
   stdout (malloc'd, NUL-terminated) and stores its exit status. */
static char *run_sample(const char *env, const char *name, const char *args, int *status)
{
    char path[PATH_MAX], cmd[2 * PATH_MAX];
    sample_path(name, path, sizeof path);
    snprintf(cmd, sizeof cmd, "%s '%s' %s", env, path, args);
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

/* ---- the servers -------------------------------------------------------- */

#define IO_TIMEOUT_S 10

struct server {
    pid_t pid;
    int port;
    int err; /* the read end of its stderr */
};

/* Starts "BUILD/samples/NAME 0" with 2 Ps and reads the port it prints.
   The server dies with the test process if the test fails first. */
static struct server start_server(const char *name)
{
    char path[PATH_MAX];
    sample_path(name, path, sizeof path);
    int out[2], err[2];
    cr_assert_eq(pipe(out), 0);
    cr_assert_eq(pipe(err), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(out[0]);
        close(out[1]);
        close(err[0]);
        close(err[1]);
        setenv("GORT_MAXPROCS", "2", 1);
        execl(path, name, "0", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    char line[128];
    size_t n = 0;
    while (n < sizeof line - 1 && (n == 0 || line[n - 1] != '\n')) {
        struct pollfd pfd = {.fd = out[0], .events = POLLIN};
        cr_assert_eq(poll(&pfd, 1, IO_TIMEOUT_S * 1000), 1, "%s printed no port in %d s", name,
                     IO_TIMEOUT_S);
        ssize_t got = read(out[0], line + n, sizeof line - 1 - n);
        cr_assert_gt(got, 0, "%s exited before it printed its port", name);
        n += (size_t)got;
    }
    line[n] = 0;
    close(out[0]);
    struct server s = {.pid = pid, .err = err[0]};
    cr_assert_eq(sscanf(line, "listening on port %d", &s.port), 1, "%s printed '%s'", name, line);
    cr_assert(s.port > 0 && s.port < 65536, "port %d", s.port);
    return s;
}

/* Kills the server, which must still be running and must have printed
   nothing on stderr (a server prints there only what went wrong, and so
   do the sanitizers). */
static void stop_server(struct server s)
{
    int st;
    cr_assert_eq(waitpid(s.pid, &st, WNOHANG), 0, "the server exited early (status %#x)", st);
    kill(s.pid, SIGTERM);
    cr_assert_eq(waitpid(s.pid, &st, 0), s.pid);
    char msg[4096];
    ssize_t n = read(s.err, msg, sizeof msg - 1); /* the writer is gone: no wait */
    msg[n > 0 ? n : 0] = 0;
    close(s.err);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "the server ended with status %#x:\n%s",
              st, msg);
    cr_assert_eq(n, 0, "the server printed on stderr:\n%s", msg);
}

/* A blocking TCP connection to 127.0.0.1:port whose reads and writes
   time out after IO_TIMEOUT_S. */
static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
    struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0, "connect to port %d: %s",
                 port, strerror(errno));
    return fd;
}

static void send_all(int fd, const void *buf, size_t n)
{
    for (size_t off = 0; off < n;) {
        ssize_t k = send(fd, (const char *)buf + off, n - off, MSG_NOSIGNAL);
        cr_assert_gt(k, 0, "send: %s", k < 0 ? strerror(errno) : "nothing sent");
        off += (size_t)k;
    }
}

/* Reads exactly n bytes, or fails the test (end of stream, timeout);
   what names the step in the message. */
static void recv_all(int fd, void *buf, size_t n, const char *what)
{
    for (size_t off = 0; off < n;) {
        ssize_t k = recv(fd, (char *)buf + off, n - off, 0);
        cr_assert_gt(k, 0, "%s: recv after %zu of %zu bytes: %s", what, off, n,
                     k == 0 ? "end of stream" : strerror(errno));
        off += (size_t)k;
    }
}

/* Checks that the peer has closed: the next read is the end of stream. */
static void expect_eof(int fd, const char *what)
{
    char c;
    ssize_t k = recv(fd, &c, 1, 0);
    cr_assert_eq(k, 0, "%s: expected end of stream, got %zd (%s)", what, k,
                 k < 0 ? strerror(errno) : "data");
}

enum { ECHO_CONNS = 8, ECHO_ROUNDS = 4 };

/* Message r of connection c: a size from 1 byte to 16 KiB and bytes that
   name both, so a reply on the wrong connection or out of order shows. */
static size_t echo_msg(int c, int r, char *buf)
{
    static const size_t sizes[] = {1, 100, 5000, 16384};
    size_t n = sizes[(c + r) % 4];
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)(c * 31 + r * 7 + i % 251);
    return n;
}

Test(samples, echo_server_echoes_on_concurrent_connections, .timeout = 60)
{
    struct server s = start_server("echo-server");
    int fds[ECHO_CONNS];
    for (int c = 0; c < ECHO_CONNS; c++)
        fds[c] = dial(s.port);
    static char want[16384], got[16384];
    for (int r = 0; r < ECHO_ROUNDS; r++) {
        /* A message in flight on every connection at once, read back in
           the reverse order: the server cannot serve them one by one. */
        for (int c = 0; c < ECHO_CONNS; c++)
            send_all(fds[c], want, echo_msg(c, r, want));
        for (int c = ECHO_CONNS - 1; c >= 0; c--) {
            size_t n = echo_msg(c, r, want);
            char what[64];
            snprintf(what, sizeof what, "connection %d round %d", c, r);
            recv_all(fds[c], got, n, what);
            cr_assert(memcmp(got, want, n) == 0, "%s: wrong bytes", what);
        }
    }
    /* The server closes its side when the peer does. */
    for (int c = 0; c < ECHO_CONNS; c++) {
        shutdown(fds[c], SHUT_WR);
        expect_eof(fds[c], "after shutdown");
        close(fds[c]);
    }
    /* And goes on serving new connections, one after the other (the fd
       numbers of closed ones get reused). */
    for (int i = 0; i < 50; i++) {
        int fd = dial(s.port);
        send_all(fd, "again", 5);
        recv_all(fd, got, 5, "a new connection");
        cr_assert(memcmp(got, "again", 5) == 0);
        shutdown(fd, SHUT_WR);
        expect_eof(fd, "a new connection");
        close(fd);
    }
    stop_server(s);
}

#define HELLO_HEAD "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n"
#define HELLO_BODY "\r\nHello, world!\n"
#define HELLO HELLO_HEAD HELLO_BODY
#define HELLO_CLOSE HELLO_HEAD "Connection: close\r\n" HELLO_BODY
#define HELLO_KEEP HELLO_HEAD "Connection: keep-alive\r\n" HELLO_BODY

/* Reads exactly the answer want, or fails the test. */
static void expect_answer(int fd, const char *want, const char *what)
{
    char got[512];
    size_t n = strlen(want);
    cr_assert_lt(n, sizeof got);
    recv_all(fd, got, n, what);
    got[n] = 0;
    cr_assert_str_eq(got, want, "%s: wrong answer", what);
}

Test(samples, http_hello_keeps_alive_and_pipelines, .timeout = 60)
{
    struct server s = start_server("http-hello");
    int fd = dial(s.port);

    /* Keep-alive: three requests, one at a time, on one connection. */
    for (int i = 0; i < 3; i++) {
        send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
        expect_answer(fd, HELLO, "keep-alive");
    }
    /* Two pipelined requests in one write, the first with a body that
       must be skipped; bare-LF line ends are accepted. */
    const char *two = "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello=world"
                      "GET /second HTTP/1.1\nHost: x\n\n";
    send_all(fd, two, strlen(two));
    expect_answer(fd, HELLO HELLO, "two pipelined requests");
    /* A request split over several writes, cut inside the request line,
       a header name, the final CRLF and the body. */
    const char *parts[] = {"GE", "T / HTTP/1.1\r\nHo", "st: x\r\nContent-Length: 4\r\n\r",
                           "\nab", "cd"};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        send_all(fd, parts[i], strlen(parts[i]));
        usleep(20000);
    }
    expect_answer(fd, HELLO, "a request in pieces");
    /* HEAD: the headers only. */
    send_all(fd, "HEAD / HTTP/1.1\r\n\r\n", 19);
    expect_answer(fd, HELLO_HEAD "\r\n", "HEAD");
    /* Connection: close: the answer says so and the server closes. */
    const char *last = "GET / HTTP/1.1\r\nConnection: Close\r\n\r\n";
    send_all(fd, last, strlen(last));
    expect_answer(fd, HELLO_CLOSE, "Connection: close");
    expect_eof(fd, "Connection: close");
    close(fd);

    /* HTTP/1.0 closes by default... */
    fd = dial(s.port);
    send_all(fd, "GET / HTTP/1.0\r\n\r\n", 18);
    expect_answer(fd, HELLO_CLOSE, "HTTP/1.0");
    expect_eof(fd, "HTTP/1.0");
    close(fd);
    /* ...and keeps the connection when asked. */
    fd = dial(s.port);
    const char *ka = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    for (int i = 0; i < 2; i++) {
        send_all(fd, ka, strlen(ka));
        expect_answer(fd, HELLO_KEEP, "HTTP/1.0 keep-alive");
    }
    close(fd);

    /* A malformed request line: 400, then close. */
    fd = dial(s.port);
    send_all(fd, "GARBAGE\r\n\r\n", 11);
    expect_answer(fd, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                      "Content-Length: 0\r\nConnection: close\r\n\r\n",
                  "a malformed request");
    expect_eof(fd, "a malformed request");
    close(fd);
    stop_server(s);
}
