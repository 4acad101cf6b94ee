/*
 * sysmon.c - the system monitor: a thread without a P that retakes the Ps
 * of Ms blocked in C calls, asks goroutines that hog a P to yield, and
 * prints GORT_DEBUG=schedtrace lines.  See runtime.h for the data model
 * and syscall.c for the blocking-call protocol.
 *
 * Ticks.  sysmon sleeps 20 us between looks while it has something to do;
 * after 50 looks that found nothing the sleep doubles each time, up to
 * 10 ms (Go's numbers).  A blocking call that begins while sysmon sleeps
 * 1 ms or more wakes it (sysmonwake), so a blocked P is retaken within
 * about two 20 us ticks rather than two 10 ms ones.  At each look it compares every P's schedtick and
 * syscalltick with what it saw last time (struct sysmontick, per P id):
 *
 * - A P in Psyscall whose syscalltick has not moved since the last look
 *   is retaken (CAS Psyscall -> Prunning, then handoffp) if it has queued
 *   Gs or timers, or if no M is idle or spinning to take new work, or if
 *   the call has lasted 10 ms.  So a blocked M holds its P for at most one
 *   sysmon tick while other work waits, and at most 10 ms otherwise.
 *
 * - A P in Prunning whose schedtick has not moved for 10 ms runs one G
 *   that has not scheduled for that long.  gort cannot stop it: switching
 *   goroutines from a signal handler would run another goroutine over
 *   whatever libc or malloc lock the interrupted code holds.  So sysmon
 *   (1) stores that schedtick in pp->preempttick, a request the G honours
 *   at its next safe point (preemptcheck), and (2) if a P is idle, moves
 *   the P's queued Gs to the global run queue and wakes an M for it, so
 *   they run elsewhere meanwhile.
 *
 * What is preemptible, exactly: a goroutine yields its P only inside gort
 * calls.  Every call that parks (channel operations that block, mutex and
 * semaphore waits, gort_sleep, gort_select with block) switches anyway;
 * on top of that gort_yield, gort_exit_blocking (the end of gort_syscall)
 * and gort_safepoint honour a pending request.  gort_go does not: a
 * goroutine spawning a batch is not cut off in the middle of it.  A goroutine
 * looping in C without any of these is never preempted: it keeps its P
 * (the other Ps still run and steal its queue), and a program with
 * GORT_MAXPROCS=1 stalls until it calls into gort.  Once it does, the
 * delay it caused to the other Gs of its P is bounded by 10 ms plus one
 * sysmon tick (at most 10 ms), plus the time to its next safe point.
 *
 * Two safety nets, as Go's sysmon has: when goroutines wait for I/O and
 * nobody has polled the netpoller for 10 ms (every P busy), sysmon polls
 * it and puts the readied goroutines on the global queue; and a timer
 * overdue by 10 ms (its watching M was woken early and stayed busy) makes
 * it wake a spinning M, which runs other Ps' due timers as it steals.
 *
 * schedtrace.  GORT_DEBUG=schedtrace=MS (comma-separated GORT_DEBUG
 * settings, as Go's GODEBUG) prints every MS milliseconds to stderr:
 *   SCHED 12ms: gomaxprocs=2 idleprocs=1 threads=5 spinningthreads=0
 *   idlethreads=2 runqueue=0 [0 0]
 * (one line): time since gort_run began, Ps, idle Ps, threads (Ms and
 * sysmon), spinning Ms, idle Ms, the global queue and each P's queue.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "netpoll.h"
#include "proc.h"

#define SYSMON_MIN_NS 20000ll          /* 20 us */
#define SYSMON_MAX_NS 10000000ll       /* 10 ms */
#define FORCE_PREEMPT_NS 10000000ll    /* a G may hold its P this long */
#define SYSCALL_RETAKE_NS 10000000ll   /* an idle-system syscall P is retaken after this */

struct sysmontick {
    uint32_t schedtick;
    int64_t schedwhen;
    uint32_t syscalltick;
    int64_t syscallwhen;
};

static struct {
    pthread_t thread;
    _Atomic uint32_t kick;       /* futex word: 1 wakes sysmon early */
    _Atomic bool deep;           /* sysmon sleeps 1 ms or more: entersyscall kicks it */
    _Atomic bool stop;
    int64_t start;               /* nanotime at gort_run */
    int64_t traceperiod;         /* GORT_DEBUG=schedtrace, ns; 0: off */
    struct sysmontick pd[MAXPROCS];
} mon;

void preemptcheck(void)
{
    m *mp = getm();
    if (mp == NULL || mp->curg == NULL || mp->p == NULL)
        return;
    p *pp = mp->p;
    if (__builtin_expect(atomic_load_explicit(&pp->preempttick, memory_order_relaxed) ==
                             pp->schedtick, 0))
        gosched();
}

void gort_safepoint(void)
{
    preemptcheck();
}

/* pp's G has run 10 ms: ask it to yield and let its queue run elsewhere.
   Returns true if this is a new request. */
static bool preemptone(p *pp, uint32_t tick)
{
    bool fresh = atomic_exchange(&pp->preempttick, tick) != tick;
    /* Only an idle P can run them sooner; with none, moving them to the
       global queue would only reorder them behind the ones left. */
    if (atomic_load(&sched.npidle) == 0 || runqempty(pp))
        return fresh;
    rtlock_lock(&sched.lock);
    if (atomic_load(&pp->status) == Prunning && !atomic_load(&sched.exiting))
        runqdrain(pp);
    rtlock_unlock(&sched.lock);
    wakep();
    return true;
}

/* One look at every P; returns how many it acted on. */
static int retake(int64_t now)
{
    int n = 0;
    int procs = atomic_load(&sched.gomaxprocs);
    for (int i = 0; i < procs; i++) {
        p *pp = sched.allp[i];
        struct sysmontick *pd = &mon.pd[i];
        uint32_t s = atomic_load(&pp->status);
        if (s == Prunning) {
            uint32_t t = __atomic_load_n(&pp->schedtick, __ATOMIC_RELAXED);
            if (pd->schedtick != t) {
                pd->schedtick = t;
                pd->schedwhen = now;
            } else if (now - pd->schedwhen >= FORCE_PREEMPT_NS && preemptone(pp, t)) {
                n++;
            }
        } else if (s == Psyscall) {
            uint32_t t = __atomic_load_n(&pp->syscalltick, __ATOMIC_RELAXED);
            if (pd->syscalltick != t) {
                pd->syscalltick = t;
                pd->syscallwhen = now;
                continue;
            }
            if (runqempty(pp) && atomic_load(&pp->timer0when) == 0 &&
                atomic_load(&sched.nmspinning) + atomic_load(&sched.npidle) > 0 &&
                now - pd->syscallwhen < SYSCALL_RETAKE_NS)
                continue;
            uint32_t st = Psyscall;
            if (atomic_compare_exchange_strong(&pp->status, &st, Prunning)) {
                handoffp(pp);
                n++;
            }
        }
    }
    return n;
}

static void schedtrace(int64_t now)
{
    char buf[4096];
    rtlock_lock(&sched.lock);
    int procs = atomic_load(&sched.gomaxprocs);
    int len = snprintf(buf, sizeof buf,
                       "SCHED %lldms: gomaxprocs=%d idleprocs=%d threads=%d spinningthreads=%d "
                       "idlethreads=%d runqueue=%d [",
                       (long long)((now - mon.start) / 1000000), procs, atomic_load(&sched.npidle),
                       sched.mnext + 1, atomic_load(&sched.nmspinning), sched.nmidle,
                       atomic_load(&sched.runqsize));
    for (int i = 0; i < procs && len < (int)sizeof buf - 16; i++) {
        p *pp = sched.allp[i];
        uint32_t q = atomic_load(&pp->runqtail) - atomic_load(&pp->runqhead);
        len += snprintf(buf + len, sizeof buf - (size_t)len, i ? " %u" : "%u", q);
    }
    rtlock_unlock(&sched.lock);
    if (len > (int)sizeof buf - 3)
        len = (int)sizeof buf - 3;
    buf[len++] = ']';
    buf[len++] = '\n';
    fwrite(buf, 1, (size_t)len, stderr);
}

/* Sleeps ns or until kicked; true if kicked.  A plain futex wait: a
   note would spin first, and sysmon must not burn a CPU at 20 us ticks. */
static bool sysmonsleep(int64_t ns)
{
    struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    if (atomic_load(&mon.kick) == 0)
        syscall(SYS_futex, &mon.kick, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
    return atomic_exchange(&mon.kick, 0) != 0;
}

static void sysmonkick(void)
{
    if (atomic_exchange(&mon.kick, 1) == 0)
        syscall(SYS_futex, &mon.kick, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* A blocking call begins: a sysmon deep in its back-off would leave the P
   stuck for up to two 10 ms ticks, so it is woken to its 20 us pace (Go's
   sysmonwait).  One relaxed load when sysmon is awake. */
void sysmonwake(void)
{
    if (atomic_load_explicit(&mon.deep, memory_order_relaxed) && atomic_exchange(&mon.deep, false))
        sysmonkick();
}

static void *sysmon(void *arg)
{
    (void)arg;
    int idle = 0;
    int64_t delay = SYSMON_MIN_NS;
    int64_t nexttrace = mon.traceperiod ? mon.start + mon.traceperiod : 0;
    while (!atomic_load(&mon.stop)) {
        if (idle == 0)
            delay = SYSMON_MIN_NS;
        else if (idle > 50)
            delay *= 2;
        if (delay > SYSMON_MAX_NS)
            delay = SYSMON_MAX_NS;
        int64_t sleep = delay;
        if (nexttrace && nexttrace - nanotime() < sleep)
            sleep = nexttrace - nanotime();
        atomic_store(&mon.deep, sleep >= 1000000);
        if (sleep > 0 && sysmonsleep(sleep)) {
            idle = 0; /* kicked: a blocking call began (or stop) */
            delay = SYSMON_MIN_NS;
        }
        atomic_store(&mon.deep, false);
        if (atomic_load(&mon.stop))
            break;
        int64_t now = nanotime();
        if (atomic_load(&sched.exiting))
            continue;
        if (retake(now))
            idle = 0;
        else
            idle++;
        /* Busy Ps never poll: poll for them when nobody has for 10 ms. */
        int64_t last = netpolllast();
        g *list;
        if (last && now - last > SYSMON_MAX_NS && atomic_load(&sched.nnetwait) > 0 &&
            netpoll(0, &list) > 0)
            injectglist(NULL, list);
        /* A timer overdue on an idle P: the M that watched it was woken
           early (by I/O, say) and is busy; the idle Ms sleep believing it
           watches.  Wake a spinning M, which runs other Ps' due timers
           as it steals (Go's sysmon starts an M for them too). */
        int64_t next = timersnext();
        if (next && now - next > SYSMON_MAX_NS)
            wakep();
        if (nexttrace && now >= nexttrace) {
            schedtrace(now);
            nexttrace = now + mon.traceperiod;
        }
    }
    return NULL;
}

/* GORT_DEBUG=...,schedtrace=MS,...: the period in ns, 0 if absent.  A bad
   value is a fatal error that says so. */
static int64_t traceperiod(void)
{
    const char *env = getenv("GORT_DEBUG");
    for (const char *s = env; s && *s;) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        static const char key[] = "schedtrace=";
        if (len > sizeof key - 1 && memcmp(s, key, sizeof key - 1) == 0) {
            char *stop;
            long ms = strtol(s + sizeof key - 1, &stop, 10);
            if (stop != s + len || ms <= 0 || ms > 3600000)
                gort_throw("GORT_DEBUG: schedtrace wants milliseconds, 1 to 3600000");
            return (int64_t)ms * 1000000;
        }
        s = end ? end + 1 : NULL;
    }
    return 0;
}

void sysmonstart(void)
{
    memset(mon.pd, 0, sizeof mon.pd);
    atomic_store(&mon.kick, 0);
    atomic_store(&mon.deep, false);
    atomic_store(&mon.stop, false);
    mon.start = nanotime();
    mon.traceperiod = traceperiod();
    int err = pthread_create(&mon.thread, NULL, sysmon, NULL);
    if (err != 0) {
        errno = err;
        gort_throw("cannot create the sysmon thread");
    }
}

void sysmonstop(void)
{
    atomic_store(&mon.stop, true);
    sysmonkick();
    pthread_join(mon.thread, NULL);
}
