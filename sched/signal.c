/*
 * signal.c - stack overflow detection: the SIGSEGV handler and each M's
 * alternate signal stack.
 *
 * A goroutine that runs off the bottom of a guarded stack faults in the
 * guard page.  The handler runs on the M's alternate stack (the faulting
 * stack has no room left), sees that the address lies in the running G's
 * guard page, prints Go's "fatal error: stack overflow" with the goroutine
 * and exits with status 2.  Any other SIGSEGV is not gort's business: the
 * previous handler is put back and the fault re-executed, so the program
 * dies (or its own handler runs) exactly as it would without gort.
 *
 * The handler is installed when gort_run starts and removed when it ends.
 * It only reads the thread's M and G and writes to stderr.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

static struct sigaction oldsegv, oldbus;

static void onfault(int sig, siginfo_t *si, void *uctx)
{
    m *mp = getm();
    g *gp = mp ? mp->curg : NULL;
    if (gp && stackguardhit(gp, (uintptr_t)si->si_addr))
        gort_throw("stack overflow");
    /* Not ours: restore the previous disposition and let the fault
       happen again under it. */
    struct sigaction *old = sig == SIGSEGV ? &oldsegv : &oldbus;
    if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
        old->sa_sigaction(sig, si, uctx);
        return;
    }
    sigaction(sig, old, NULL);
}

void signalinit(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = onfault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &oldsegv);
    sigaction(SIGBUS, &sa, &oldbus);
}

void signalfini(void)
{
    sigaction(SIGSEGV, &oldsegv, NULL);
    sigaction(SIGBUS, &oldbus, NULL);
}

void *sigstackalloc(void)
{
    size_t size = SIGSTKSZ > 65536 ? SIGSTKSZ : 65536;
    stack_t ss;
    ss.ss_sp = malloc(size);
    if (!ss.ss_sp)
        gort_throw("out of memory allocating a signal stack");
    ss.ss_size = size;
    ss.ss_flags = 0;
    if (sigaltstack(&ss, NULL) != 0)
        gort_throw("sigaltstack failed");
    return ss.ss_sp;
}

void sigstackfree(void *sp)
{
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    free(sp);
}
