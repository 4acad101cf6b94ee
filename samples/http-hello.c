/*
 * http-hello - a small HTTP/1.1 server that answers every request with
 * "Hello, world!", one goroutine per connection.
 *
 *     ./http-hello 8080 &         (PORT 0: the kernel picks a free port)
 *     curl -v localhost:8080/
 *
 * It prints "listening on port N" and runs until it is killed; the
 * accept loop, which starts a goroutine per connection, is serve.h (shared
 * with echo-server).  Each connection's goroutine reads into a buffer and answers every complete
 * request the buffer holds before it reads again, so pipelined requests
 * (several sent before any answer) and requests split over several reads
 * both work: the buffer is the connection's state, nothing else is.
 * The answers to one batch go out in one write.
 *
 * What it understands of HTTP/1.1 (RFC 9112) is what finding the end of a
 * request takes:
 *   - the request line "METHOD TARGET HTTP/1.x" (x = 0 or 1) and header
 *     lines up to the empty line, ending in CRLF or a bare LF; empty lines
 *     before a request line are skipped;
 *   - Content-Length: that many body bytes follow, and are skipped;
 *     Transfer-Encoding (a chunked body) is not implemented: the answer is
 *     501 and the connection closes, since where the request ends is
 *     unknown;
 *   - keep-alive: HTTP/1.1 keeps the connection open unless the request
 *     says "Connection: close"; HTTP/1.0 closes it unless the request says
 *     "Connection: keep-alive".  The answer echoes the decision.
 * A malformed request gets 400 and a head over 8 KiB gets 431, each
 * followed by a close.  HEAD gets the headers without the body.  A
 * connection idle for 30 s is closed (a read deadline).
 */
#include <stdbool.h>
#include <strings.h>

#include "serve.h"

enum { HEAD_MAX = 8192, OUT_MAX = 16384 };
#define IDLE_TIMEOUT_NS (30 * 1000000000LL)
#define HELLO "Hello, world!\n"

/* What the answer needs to know about a request. */
struct request {
    int status;         /* 200, or the error to answer with */
    bool head;          /* method HEAD: headers only */
    bool http10;
    bool keep_alive;
    long long body;     /* Content-Length: body bytes after the head */
};

/* Length of the request head at p[0..n) up to and including its empty
   line, or 0 when the empty line has not arrived yet. */
static size_t head_len(const char *p, size_t n)
{
    for (const char *nl = p; (nl = memchr(nl, '\n', n - (size_t)(nl - p))) != NULL; nl++) {
        size_t rest = n - (size_t)(nl - p) - 1; /* bytes after this LF */
        if (rest >= 1 && nl[1] == '\n')
            return (size_t)(nl - p) + 2;
        if (rest >= 2 && nl[1] == '\r' && nl[2] == '\n')
            return (size_t)(nl - p) + 3;
    }
    return 0;
}

/* RFC 9110's tchar: what method and header names are made of. */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Does the comma-separated list v[0..n) hold token (any case)? */
static bool has_token(const char *v, size_t n, const char *token)
{
    size_t tl = strlen(token);
    for (size_t i = 0; i < n;) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t j = i;
        while (j < n && v[j] != ',')
            j++;
        size_t e = j; /* trim the element's trailing whitespace */
        while (e > i && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e - i == tl && strncasecmp(v + i, token, tl) == 0)
            return true;
        i = j;
    }
    return false;
}

/* The request line: METHOD SP TARGET SP HTTP/1.x. */
static bool parse_request_line(const char *l, size_t n, struct request *r)
{
    size_t m = 0;
    while (m < n && is_tchar(l[m]))
        m++;
    if (m == 0 || m >= n || l[m] != ' ')
        return false;
    r->head = m == 4 && memcmp(l, "HEAD", 4) == 0;
    const char *target = l + m + 1, *sp = memchr(target, ' ', n - m - 1);
    if (sp == NULL || sp == target)
        return false;
    size_t vl = n - (size_t)(sp + 1 - l);
    if (vl != 8 || memcmp(sp + 1, "HTTP/1.", 7) != 0 || (sp[8] != '0' && sp[8] != '1'))
        return false;
    r->http10 = sp[8] == '0';
    return memchr(target, ' ', (size_t)(sp - target)) == NULL;
}

/* One header line "Name: value"; updates r. */
static bool parse_header(const char *l, size_t n, struct request *r, bool *seen_length)
{
    size_t k = 0;
    while (k < n && is_tchar(l[k]))
        k++;
    if (k == 0 || k >= n || l[k] != ':') /* also rejects obsolete line folding */
        return false;
    const char *v = l + k + 1;
    size_t vn = n - k - 1;
    while (vn && (*v == ' ' || *v == '\t'))
        v++, vn--;
    while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
        vn--;
    if (k == 10 && strncasecmp(l, "Connection", 10) == 0) {
        if (has_token(v, vn, "close"))
            r->keep_alive = false;
        else if (has_token(v, vn, "keep-alive"))
            r->keep_alive = true;
    } else if (k == 14 && strncasecmp(l, "Content-Length", 14) == 0) {
        long long len = 0;
        if (vn == 0 || vn > 15)
            return false;
        for (size_t i = 0; i < vn; i++) {
            if (v[i] < '0' || v[i] > '9')
                return false;
            len = len * 10 + (v[i] - '0');
        }
        if (*seen_length && len != r->body) /* two different lengths */
            return false;
        *seen_length = true;
        r->body = len;
    } else if (k == 17 && strncasecmp(l, "Transfer-Encoding", 17) == 0) {
        r->status = 501;
    }
    return true;
}

/* Parses the complete head p[0..n) (it ends in an empty line). */
static struct request parse_head(const char *p, size_t n)
{
    struct request r = {.status = 200};
    bool seen_length = false, first = true;
    for (const char *l = p, *end = p + n; l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        size_t len = (size_t)(nl - l);
        if (len && l[len - 1] == '\r')
            len--;
        if (len == 0) /* the empty line */
            break;
        if (first) {
            if (!parse_request_line(l, len, &r))
                return (struct request){.status = 400};
            r.keep_alive = !r.http10;
            first = false;
        } else if (!parse_header(l, len, &r, &seen_length)) {
            return (struct request){.status = 400};
        }
        l = nl + 1;
    }
    if (r.status != 200)
        r.keep_alive = false;
    return r;
}

/* Appends the answer to r to out[*outlen..OUT_MAX), which has room. */
static void answer(const struct request *r, char *out, size_t *outlen)
{
    const char *reason = r->status == 200   ? "OK"
                         : r->status == 400 ? "Bad Request"
                         : r->status == 431 ? "Request Header Fields Too Large"
                                            : "Not Implemented";
    const char *body = r->status == 200 ? HELLO : "";
    const char *conn = !r->keep_alive ? "Connection: close\r\n"
                       : r->http10    ? "Connection: keep-alive\r\n"
                                      : "";
    int n = snprintf(out + *outlen, OUT_MAX - *outlen,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n%s",
                     r->status, reason, strlen(body), conn, r->head ? "" : body);
    *outlen += (size_t)n;
}

/* The longest answer, so that a batch flushes before it could overflow. */
enum { ANSWER_MAX = 256 };

/* One connection: answer requests until the peer closes, a request asks to
   close, an error, or 30 s of silence. */
static void serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char in[HEAD_MAX], out[OUT_MAX];
    size_t len = 0, outlen = 0;
    long long skip = 0; /* body bytes of the last request still to discard */
    bool open = true;
    while (open) {
        size_t off = 0;
        for (;;) { /* every complete request in in[off..len) */
            if (skip > 0) {
                size_t k = (size_t)skip < len - off ? (size_t)skip : len - off;
                off += k;
                skip -= (long long)k;
                if (skip > 0)
                    break;
            }
            while (off < len && (in[off] == '\r' || in[off] == '\n'))
                off++;
            size_t hl = head_len(in + off, len - off);
            struct request r;
            if (hl > 0)
                r = parse_head(in + off, hl);
            else if (len - off == HEAD_MAX) /* a full buffer and no end in sight */
                r = (struct request){.status = 431};
            else
                break;
            off += hl;
            skip = r.body;
            if (outlen + ANSWER_MAX > OUT_MAX) {
                if (gort_net_write(fd, out, outlen, 0) < 0)
                    goto done;
                outlen = 0;
            }
            answer(&r, out, &outlen);
            if (!r.keep_alive) {
                open = false;
                break;
            }
        }
        if (outlen > 0 && gort_net_write(fd, out, outlen, 0) < 0)
            break;
        outlen = 0;
        if (!open)
            break;
        memmove(in, in + off, len - off);
        len -= off;
        ssize_t n = gort_net_read(fd, in + len, sizeof in - len, gort_now() + IDLE_TIMEOUT_NS);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
done:
    gort_net_close(fd);
}

int main(int argc, char **argv)
{
    return serve_main("http-hello", serve, argc, argv);
}
