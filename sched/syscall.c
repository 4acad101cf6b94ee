/*
 * syscall.c - blocking calls that hand the P to another M (Go's
 * entersyscall/exitsyscall, handoffp).  See runtime.h for the data model.
 *
 * A goroutine about to block its thread in C (read on a pipe, sleep, a
 * database call) announces it with gort_enter_blocking (or wraps the call
 * in gort_syscall).  entersyscall marks the G Gsyscall, releases the P and
 * leaves it in status Psyscall, still remembered as the M's oldp, and
 * counts the M in sched.nmsys (an M in a blocking call may make work
 * runnable again, so no deadlock is declared meanwhile).  Nothing else is
 * done: a call that returns at once costs a few atomic operations.
 *
 * sysmon (sysmon.c) watches every Psyscall P (entersyscall wakes it if it
 * is deep in its back-off): once a P has stayed in the same call for one
 * of its ticks (20 us, up to 10 ms when sysmon is idle)
 * and has work, or for 10 ms in any case, sysmon takes it by CAS from
 * Psyscall to Prunning and calls handoffp, which starts an M on it if it
 * has work, else puts it on the idle list.
 *
 * exitsyscall, in order: the old P, if it is still Psyscall (the CAS
 * Psyscall -> Prunning races with sysmon's; one wins); else any idle P;
 * else the G is put on the global run queue and the M gives up: it parks
 * the G (switching to g0) with exitsyscall0 as the unlock function, which
 * queues it, and the M's schedule loop, with no P, looks for one or sleeps.
 *
 * Invariants: a Psyscall P has no M (pp->m == NULL) and is on no list;
 * only the winner of the CAS out of Psyscall touches it; sched.nmsys is
 * decremented only once the G holds a P again or sits on the global run
 * queue (under sched.lock), so the deadlock check never sees a gap.
 *
 * Inside the announced call the goroutine must not call gort functions
 * that can block (they need a P); gort_go and the other non-blocking
 * calls work, as from a foreign thread.
 */
#include <errno.h>

#include "proc.h"

static void entersyscall(m *mp)
{
    g *gp = mp->curg;
    p *pp = mp->p;
    atomic_fetch_add(&sched.nmsys, 1);
    atomic_store(&gp->status, Gsyscall);
    __atomic_store_n(&pp->syscalltick, pp->syscalltick + 1, __ATOMIC_RELAXED);
    mp->oldp = pp;
    releasep(mp);
    atomic_store(&pp->status, Psyscall); /* from here sysmon may take it */
    sysmonwake();
}

/* Runs on g0 once the G's context is saved: the M found no P. */
static bool exitsyscall0(g *gp, void *arg)
{
    (void)arg;
    rtlock_lock(&sched.lock);
    atomic_store(&gp->status, Grunnable);
    globrunqput(gp);
    atomic_fetch_sub(&sched.nmsys, 1);
    rtlock_unlock(&sched.lock);
    return true;
}

static void exitsyscall(m *mp)
{
    g *gp = mp->curg;
    p *pp = mp->oldp;
    int e = errno; /* the blocking call's, kept for the caller (a futex may clobber it) */
    mp->oldp = NULL;
    uint32_t st = Psyscall;
    if (!atomic_compare_exchange_strong(&pp->status, &st, Prunning)) {
        rtlock_lock(&sched.lock);
        pp = pidleget();
        rtlock_unlock(&sched.lock);
        if (pp == NULL) {
            /* Runs again on whichever M takes it from the global queue,
               with a P and status Grunning (execute); errno travels with
               the G (gswitch). */
            errno = e;
            gopark(exitsyscall0, NULL, "syscall");
            return;
        }
    }
    acquirep(mp, pp);
    atomic_store(&gp->status, Grunning);
    atomic_fetch_sub(&sched.nmsys, 1);
    errno = e;
}

void handoffp(p *pp)
{
    rtlock_lock(&sched.lock);
    if (atomic_load(&sched.exiting)) {
        pidleput(pp);
        rtlock_unlock(&sched.lock);
        return;
    }
    if (pp->id >= atomic_load(&sched.gomaxprocs)) {
        retirep(pp); /* its Gs went to the global queue */
        rtlock_unlock(&sched.lock);
        wakep();
        return;
    }
    bool work = !runqempty(pp) || atomic_load(&sched.runqsize) > 0;
    bool spinning = false;
    if (!work && atomic_load(&sched.nmspinning) + atomic_load(&sched.npidle) == 0) {
        /* No M is looking for work: this one should (Go's handoffp). */
        int zero = 0;
        spinning = atomic_compare_exchange_strong(&sched.nmspinning, &zero, 1);
    }
    if (!work && !spinning) {
        pidleput(pp);
        rtlock_unlock(&sched.lock);
        int64_t when = atomic_load(&pp->timer0when);
        if (when)
            timerwake(when); /* an idle M watches its timers */
        return;
    }
    rtlock_unlock(&sched.lock);
    startm(pp, spinning);
}

void gort_enter_blocking(void)
{
    m *mp = getm();
    if (mp == NULL || mp->curg == NULL)
        return; /* not a goroutine: there is no P to hand off */
    if (mp->oldp)
        gort_throw("gort_enter_blocking: already inside a blocking call");
    entersyscall(mp);
}

void gort_exit_blocking(void)
{
    m *mp = getm();
    if (mp == NULL || mp->curg == NULL)
        return;
    if (mp->oldp == NULL)
        gort_throw("gort_exit_blocking: no blocking call to leave");
    exitsyscall(mp);
    preemptcheck(); /* errno survives a switch (gswitch) */
}

long gort_syscall(long (*fn)(void *arg), void *arg)
{
    if (fn == NULL)
        gort_throw("gort_syscall: nil func");
    gort_enter_blocking();
    long r = fn(arg);
    gort_exit_blocking();
    return r;
}
