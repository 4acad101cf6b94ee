/*
 * test_mem_preload.c - unmodified Debian programs (sqlite3, python3) run
 * under LD_PRELOAD=libgort-malloc.so print exactly what they print on
 * glibc's malloc.  Registered only in builds without a sanitizer: a
 * sanitizer's runtime must come first in the process.
 */
#include <stdlib.h>

#include "mem_testutil.h"

#ifndef GORT_MALLOC_LIB
#error "GORT_MALLOC_LIB: the path of libgort-malloc.so (set by tests/meson.build)"
#endif

static const char sql[] =
    "create table t(a integer primary key, b text, c real);\n"
    "with recursive r(i) as (select 1 union all select i+1 from r where i < 200000)\n"
    "  insert into t select i, printf('row-%d-%s', i,\n"
    "    substr('abcdefghijklmnopqrstuvwxyz', 1 + i % 26)), i * 0.5 from r;\n"
    "create index tb on t(b);\n"
    "select count(*), sum(c), max(b), min(length(b)) from t;\n"
    "select substr(b, 1, 6), count(*) from t group by substr(b, 1, 6) order by 2 desc limit 5;\n"
    "select group_concat(b, ',') from (select b from t order by b desc limit 20);\n"
    "delete from t where a % 3 = 0;\n"
    "vacuum;\n"
    "select count(*), total(length(b)) from t;\n";

/* Threads, fork, a child process, big dicts and strings; the last line
   shows whose malloc ran (gort rounds 20 bytes up to its 32-byte class,
   glibc to 24). */
static const char py[] =
    "import json, hashlib, threading, collections, os, subprocess, sys, ctypes\n"
    "d = {}\n"
    "for i in range(100000):\n"
    "    d['k%d' % i] = [i, str(i) * (i % 7), {'x': i}]\n"
    "s = json.dumps({k: d[k] for k in list(d)[:5000]}, sort_keys=True)\n"
    "print(len(s), hashlib.sha256(s.encode()).hexdigest())\n"
    "res = collections.Counter()\n"
    "def work(n):\n"
    "    local = [bytes(range(n % 256)) * 3 for _ in range(10000)]\n"
    "    res[n] = sum(len(x) for x in local)\n"
    "ts = [threading.Thread(target=work, args=(i,)) for i in range(16)]\n"
    "for t in ts: t.start()\n"
    "for t in ts: t.join()\n"
    "print(sorted(res.items()))\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    x = [str(i) for i in range(100000)]\n"
    "    os._exit(0 if len(x) == 100000 else 1)\n"
    "print(os.waitpid(pid, 0)[1])\n"
    "print(subprocess.run([sys.executable, '-c', 'print(sum(range(10**6)))'],\n"
    "                     capture_output=True).stdout.decode().strip())\n"
    "libc = ctypes.CDLL(None)\n"
    "libc.malloc.restype = ctypes.c_void_p\n"
    "p = ctypes.c_void_p(libc.malloc(20))\n"
    "print('usable', libc.malloc_usable_size(p))\n"
    "libc.free(p)\n";

static char *run(const char *cmd, const char *input_path) {
    char line[1024];
    snprintf(line, sizeof line, "%s < %s 2>&1", cmd, input_path);
    FILE *f = popen(line, "r");
    cr_assert_not_null(f);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    size_t r;
    while ((r = fread(out + len, 1, cap - len - 1, f)) > 0) {
        len += r;
        if (len + 1 == cap)
            out = realloc(out, cap *= 2);
    }
    out[len] = 0;
    cr_assert_eq(pclose(f), 0, "%s failed: %s", cmd, out);
    return out;
}

static void compare(const char *prog, const char *script, const char *suffix) {
    char path[] = "/tmp/gort-preload-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, script, strlen(script)), (ssize_t)strlen(script));
    close(fd);
    char with[512];
    snprintf(with, sizeof with, "LD_PRELOAD=%s %s", GORT_MALLOC_LIB, prog);
    char *plain = run(prog, path), *gort = run(with, path);
    unlink(path);
    if (suffix) {
        /* The programs agree up to the line that names the allocator. */
        char *a = strstr(plain, "usable "), *b = strstr(gort, "usable ");
        cr_assert(a && b);
        cr_assert_str_eq(b, suffix, "libgort-malloc.so was not in use: %s", b);
        *a = *b = 0;
    }
    cr_assert_str_eq(gort, plain, "%s differs under LD_PRELOAD", prog);
    cr_assert_gt(strlen(plain), 10);
    free(plain);
    free(gort);
}

Test(mem_preload, sqlite3, .timeout = 120) {
    cr_assert_eq(system("command -v sqlite3 >/dev/null"), 0, "sqlite3 is not installed (make.sh installs it)");
    compare("sqlite3 :memory:", sql, NULL);
}

Test(mem_preload, python3, .timeout = 120) {
    if (system("command -v python3 >/dev/null") != 0)
        cr_skip_test("python3 is not installed");
    compare("python3 -", py, "usable 32\n");
}
