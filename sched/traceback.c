/*
 * traceback.c - fatal errors and goroutine listings, as Go prints them.
 *
 * gort_throw("msg") writes
 *
 *     fatal error: msg
 *
 *     goroutine 7 [running]:
 *     	entry: worker (0x55d0c0a01234)
 *
 * to stderr and exits with status 2; gort_throw_all lists every goroutine
 * (for a deadlock).  Only the first of simultaneous fatal errors is
 * printed; the other threads wait for its exit.  A goroutine's state is its wait reason when parked
 * ("chan receive", "sleep", ...).  The output is built with write(2) and
 * no allocation, so it works from a signal handler and with the heap or
 * the runtime's locks in any state; stdout is flushed first only if its
 * lock is free.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

void printstr(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(2, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void printu64(uint64_t v)
{
    char buf[24];
    int i = sizeof buf - 1;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    printstr(buf + i);
}

static void printhex(uintptr_t v)
{
    char buf[24];
    int i = sizeof buf - 1;
    buf[i] = 0;
    do {
        buf[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    buf[--i] = 'x';
    buf[--i] = '0';
    printstr(buf + i);
}

static const char *gstate(g *gp)
{
    switch (atomic_load(&gp->status)) {
    case Grunnable:
        return "runnable";
    case Grunning:
        return "running";
    case Gsyscall:
        return "syscall";
    case Gwaiting:
        return gp->waitreason ? gp->waitreason : "waiting";
    default:
        return "dead";
    }
}

void traceback(g *gp)
{
    printstr("goroutine ");
    printu64(gp->id);
    printstr(" [");
    printstr(gstate(gp));
    printstr("]:\n\tentry: ");
    Dl_info info;
    if (dladdr((void *)(uintptr_t)gp->fn, &info) && info.dli_sname &&
        info.dli_saddr == (void *)(uintptr_t)gp->fn) {
        printstr(info.dli_sname);
        printstr(" (");
        printhex((uintptr_t)gp->fn);
        printstr(")\n\n");
    } else {
        printhex((uintptr_t)gp->fn);
        printstr("\n\n");
    }
}

void tracebackall(void)
{
    /* Read without sched.glock: the world is going down, and the lock may
       be held by the thread that failed. */
    for (g *gp = sched.allg; gp; gp = gp->allnext) {
        uint32_t st = atomic_load(&gp->status);
        if (st == Gdead || st == Gidle || gp->system)
            continue;
        traceback(gp);
    }
}

static void flushstdout(void)
{
    if (ftrylockfile(stdout) == 0) {
        fflush_unlocked(stdout);
        funlockfile(stdout);
    }
}

/* Only the first fatal error is reported: another thread that fails at
   the same time (two idle Ms both finding the deadlock, say) waits for
   the first one's _exit, as Go's startpanic does. */
static void startfatal(void)
{
    static _Atomic bool dying;
    if (atomic_exchange(&dying, true))
        for (;;)
            pause();
    flushstdout();
    printstr("fatal error: ");
}

static void fatalhead(const char *msg)
{
    startfatal();
    printstr(msg);
    printstr("\n\n");
}

_Noreturn void gort_throw(const char *msg)
{
    fatalhead(msg);
    g *gp = getg();
    if (gp)
        traceback(gp);
    _exit(2);
}

_Noreturn void gort_throw_all(const char *msg)
{
    fatalhead(msg);
    tracebackall();
    _exit(2);
}

_Noreturn void gort_checkblock_fail(g *gp, const char *what)
{
    startfatal();
    printstr(what);
    if (gp == NULL)
        printstr(" called from a thread that is not running a goroutine (it would block)\n");
    else
        printstr(" called inside a blocking call (gort_syscall, gort_enter_blocking)\n");
    _exit(2);
}
