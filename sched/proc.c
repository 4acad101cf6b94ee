/*
 * proc.c - the scheduler: Ms, Ps, the schedule loop, spawning, parking.
 * See runtime.h for the data model.
 *
 * Switching.  A G that gives up the CPU (gopark, gosched, goexit) records
 * in m->after what must happen to it once its registers are saved, then
 * switches: straight to the next G of its P's queue when the fast path
 * allows (gswitch), else to the M's g0, whose schedule loop finds work.
 * Whoever runs next on that M first calls runafter, which requeues,
 * parks (calls the unlock function) or frees the previous G.  So a G is
 * never visible as runnable while it still runs on its old stack.
 *
 * Spinning Ms (Go's proc.go, "Worker thread parking/unparking").  An M
 * that has a P but no work "spins": it looks for work to steal.  At most
 * half the busy Ps have a spinning M.  Whoever makes a G runnable calls
 * wakep, which starts a spinning M if there is an idle P and no spinner.
 * A spinning M that finds work stops spinning and calls wakep, so a next
 * burst is picked up.  A spinning M that finds nothing releases its P,
 * decrements nmspinning, and then looks at every P's queue and the
 * global queue once more before it sleeps: a G submitted between its last
 * look and the decrement saw nmspinning > 0 and started nobody, so the
 * recheck is what keeps that wakeup from being lost.
 *
 * Timers.  Each P's timers run on the M that holds it; an idle M also
 * runs other Ps' due timers while it steals.  When every P is idle, one M
 * sleeps with a timeout until the earliest timer (sched_pollUntil); adding
 * an earlier timer wakes an idle M (or the M blocked in the netpoller).
 * If that M is woken early and stays busy, sysmon wakes a spinning M for
 * a timer overdue by 10 ms.
 *
 * Exit.  When the main G returns, sched.exiting is set under sched.lock
 * and every idle M is woken.  Each M stops at its next scheduling point
 * (a goroutine running without calling into gort delays that), gort_run's
 * thread joins them all and frees the run's memory.
 *
 * Deadlock.  An M about to sleep with no timer pending checks, under
 * sched.lock, whether anything could ever run again: no P busy, no M in a
 * blocking call, no timer, no goroutine waiting for I/O, and no foreign
 * thread that has fed goroutines still alive.  If nothing can, it is Go's
 * "all goroutines are asleep - deadlock!".
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "mcache.h"
#include "netpoll.h"
#include "proc.h"

struct schedt sched;
_Atomic int64_t sched_pollUntil; /* when the timer-watching M wakes; 0: none */

__thread m *tls_m __attribute__((tls_model("initial-exec")));
static _Atomic uint64_t goidgen; /* process-wide: ids are never reused */
static _Atomic int32_t maxprocs_next; /* gort_maxprocs before a run */
static g *maing;
static _Atomic long nforeign; /* foreign threads that fed goroutines, alive */
static pthread_key_t foreignkey;
static pthread_once_t foreignonce = PTHREAD_ONCE_INIT;

#if !defined(__x86_64__)
__attribute__((noinline)) m *getm(void)
{
    __asm__ __volatile__("" ::: "memory");
    return tls_m;
}
#endif

/* ---- random numbers ---------------------------------------------------- */

static __thread uint64_t tls_rand __attribute__((tls_model("initial-exec")));

uint32_t fastrand(void)
{
    /* wyrand on a thread-local state (an M's or a foreign thread's). */
    if (tls_rand == 0)
        tls_rand = (uint64_t)(uintptr_t)&tls_rand ^ (uint64_t)nanotime() ^ 0x9e3779b97f4a7c15ull;
    tls_rand += 0xa0761d6478bd642full;
    __uint128_t t = (__uint128_t)tls_rand * (tls_rand ^ 0xe7037ed1a0b428dbull);
    return (uint32_t)((uint64_t)(t >> 64) ^ (uint64_t)t);
}

uint32_t fastrandn(uint32_t n)
{
    return (uint32_t)(((uint64_t)fastrand() * n) >> 32);
}

/* ---- P and M lists (sched.lock held) ----------------------------------- */

void pidleput(p *pp)
{
    atomic_store(&pp->status, Pidle);
    pp->link = sched.pidle;
    sched.pidle = pp;
    atomic_fetch_add(&sched.npidle, 1);
}

p *pidleget(void)
{
    p *pp = sched.pidle;
    if (pp) {
        sched.pidle = pp->link;
        atomic_fetch_sub(&sched.npidle, 1);
        /* Owned from now on, though its M may acquire it a little later:
           gort_maxprocs must not retire it as idle meanwhile. */
        atomic_store(&pp->status, Prunning);
    }
    return pp;
}

static void pidleremove(p *pp)
{
    for (p **pl = &sched.pidle; *pl; pl = &(*pl)->link)
        if (*pl == pp) {
            *pl = pp->link;
            atomic_fetch_sub(&sched.npidle, 1);
            return;
        }
}

static void mput(m *mp)
{
    mp->schedlink = sched.midle;
    sched.midle = mp;
    sched.nmidle++;
}

static m *mget(void)
{
    m *mp = sched.midle;
    if (mp) {
        sched.midle = mp->schedlink;
        sched.nmidle--;
    }
    return mp;
}

static bool mremove(m *mp)
{
    for (m **ml = &sched.midle; *ml; ml = &(*ml)->schedlink)
        if (*ml == mp) {
            *ml = mp->schedlink;
            sched.nmidle--;
            return true;
        }
    return false;
}

/* ---- acquiring and releasing Ps ----------------------------------------- */

void acquirep(m *mp, p *pp)
{
    gort_mcache_bind(pp->mcache); /* mp is this thread's M: it allocates from pp's cache */
    mp->p = pp;
    pp->m = mp;
    atomic_store(&pp->status, Prunning);
}

p *releasep(m *mp)
{
    p *pp = mp->p;
    pp->m = NULL;
    mp->p = NULL;
    gort_mcache_bind(NULL);
    return pp;
}

static p *pnew(int id)
{
    p *pp = calloc(1, sizeof *pp);
    if (!pp)
        gort_throw("out of memory allocating a P");
    pp->id = id;
    pp->mcache = gort_mcache_new();
    if (!pp->mcache)
        gort_throw("out of memory allocating a P's mcache");
    atomic_store(&pp->status, Pdead);
    return pp;
}

static void pfree(p *pp)
{
    timersfree(pp); /* its free Gs are freed through sched.allg */
    gort_mcache_destroy(pp->mcache);
    free(pp);
}

/* ---- waking Ms -------------------------------------------------------- */

static void newm(p *pp, bool spinning);

/* Starts an M on pp (or on an idle P if pp is NULL).  If there is no P to
   start on, undoes the caller's nmspinning increment. */
void startm(p *pp, bool spinning)
{
    rtlock_lock(&sched.lock);
    if (pp == NULL) {
        pp = pidleget();
        if (pp == NULL) {
            rtlock_unlock(&sched.lock);
            if (spinning)
                atomic_fetch_sub(&sched.nmspinning, 1);
            return;
        }
    }
    m *mp = mget();
    rtlock_unlock(&sched.lock);
    if (mp == NULL) {
        newm(pp, spinning);
        return;
    }
    mp->spinning = spinning;
    mp->nextp = pp;
    notewakeup(&mp->park);
}

void wakep(void)
{
    if (atomic_load_explicit(&sched.npidle, memory_order_relaxed) == 0)
        return;
    int zero = 0;
    if (atomic_load_explicit(&sched.nmspinning, memory_order_relaxed) != 0 ||
        !atomic_compare_exchange_strong(&sched.nmspinning, &zero, 1))
        return;
    startm(NULL, true);
}

/* Wakes an idle M without a P, so that it becomes the one that watches
   the timers (an earlier timer was added while every P was idle). */
static void waketimerm(void)
{
    rtlock_lock(&sched.lock);
    m *mp = mget();
    rtlock_unlock(&sched.lock);
    if (mp) {
        mp->nextp = NULL;
        mp->spinning = false;
        notewakeup(&mp->park);
    }
}

void timerwake(int64_t when)
{
    int64_t until = atomic_load(&sched_pollUntil);
    if (atomic_load(&sched.npidle) == 0)
        return; /* a busy M checks the timers at its next schedule */
    if ((until == 0 || when < until) && !netpollbreak())
        waketimerm(); /* a blocked poller is the timer-watching M, else an idle M */
}

/* Sleeps until woken (or until `until`, a nanotime, if nonzero).  Returns
   with the P it was handed, if any, acquired. */
static void stopm(m *mp, int64_t until)
{
    rtlock_lock(&sched.lock);
    if (atomic_load(&sched.exiting)) {
        rtlock_unlock(&sched.lock);
        return;
    }
    noteclear(&mp->park);
    mput(mp);
    rtlock_unlock(&sched.lock);
    bool woken;
    if (until) {
        int64_t ns = until - nanotime();
        woken = ns > 0 ? notetsleep(&mp->park, ns) : false;
        if (!woken) {
            rtlock_lock(&sched.lock);
            bool was_idle = mremove(mp);
            rtlock_unlock(&sched.lock);
            if (!was_idle)
                notesleep(&mp->park); /* someone took us: their wakeup is coming */
        }
    } else {
        notesleep(&mp->park);
    }
    if (mp->nextp) {
        acquirep(mp, mp->nextp);
        mp->nextp = NULL;
    }
}

/* ---- running Gs --------------------------------------------------------- */

static void gfput(p *pp, g *gp);

/* A G's status changes hands through the run queues and the wait locks,
   which order memory themselves: a release store is enough, and avoids a
   full barrier on every switch. */
static inline void setgstatus(g *gp, uint32_t st)
{
    atomic_store_explicit(&gp->status, st, memory_order_release);
}

static void runafter(m *mp)
{
    g *gp = mp->after.gp;
    switch (mp->after.kind) {
    case AFTER_NONE:
        return;
    case AFTER_READY:
        setgstatus(gp, Grunnable);
        runqput(mp->p, gp, false);
        break;
    case AFTER_PARK:
        setgstatus(gp, Gwaiting);
        if (mp->after.unlockf && !mp->after.unlockf(gp, mp->after.arg)) {
            setgstatus(gp, Grunnable);
            runqput(mp->p, gp, true);
        }
        break;
    case AFTER_EXIT:
        setgstatus(gp, Gdead);
        stackfree(mp->p, &gp->stack); /* we run on another stack now */
        gfput(mp->p, gp);
        break;
    }
    mp->after.kind = AFTER_NONE;
}

/* The G to switch to straight from a G that gives up the CPU, or NULL if
   the full scheduler must run (global queue due, timers due, exit, a
   retiring P, an empty queue). */
static g *fastnext(p *pp)
{
    if (atomic_load_explicit(&sched.exiting, memory_order_relaxed) ||
        pp->id >= atomic_load_explicit(&sched.gomaxprocs, memory_order_relaxed))
        return NULL;
    if (pp->schedtick % 61 == 0 && atomic_load_explicit(&sched.runqsize, memory_order_relaxed))
        return NULL;
    /* Reading the clock costs 50-200 ns on the VMs gort targets, so a
       pending timer is checked every 8th switch: a few switches late at
       most (findrunnable always checks). */
    int64_t tw = atomic_load_explicit(&pp->timer0when, memory_order_relaxed);
    if (tw != 0 && (pp->schedtick & 7) == 0 && tw <= nanotime())
        return NULL;
    return runqget(pp);
}

static void execute(m *mp, g *gp)
{
    if (gp->stack.lo == 0) { /* first run: now it needs a stack */
        stackalloc(mp->p, &gp->stack);
        gctx_init(&gp->ctx, gp, gp->stack.lo, gp->stack.hi);
    }
    atomic_store_explicit(&gp->status, Grunning, memory_order_relaxed);
    gp->m = mp;
    mp->curg = gp;
    /* A plain increment, but stored atomically: sysmon reads it. */
    __atomic_store_n(&mp->p->schedtick, mp->p->schedtick + 1, __ATOMIC_RELAXED);
}

/* errno is thread-local, and its address (__errno_location is declared
   const) must not be reused across a switch, after which the G may run on
   another thread.  On x86-64 libc's errno lives in the static TLS block,
   at the same offset from the thread pointer in every thread: it is read
   and written inline through %fs at that offset (errnooff, taken when the
   run starts and checked by every M).  Elsewhere, out-of-line functions
   compute its address afresh. */
#if defined(__x86_64__)
static intptr_t errnooff;

static intptr_t errnotpoff(void)
{
    uintptr_t tp;
    __asm__("movq %%fs:0, %0" : "=r"(tp));
    return (intptr_t)((uintptr_t)&errno - tp);
}

static void errnoinit(bool first)
{
    if (first)
        errnooff = errnotpoff();
    else if (errnotpoff() != errnooff)
        gort_throw("errno is not at one offset from the thread pointer in every thread");
}

static inline int errnoget(void)
{
    int e;
    __asm__ __volatile__("movl %%fs:(%1), %0" : "=r"(e) : "r"(errnooff) : "memory");
    return e;
}

static inline void errnoset(int e)
{
    __asm__ __volatile__("movl %0, %%fs:(%1)" : : "r"(e), "r"(errnooff) : "memory");
}
#else
static void errnoinit(bool first)
{
    (void)first;
}

__attribute__((noipa)) static int errnoget(void)
{
    return errno;
}

__attribute__((noipa)) static void errnoset(int e)
{
    errno = e;
}
#endif

/* The running G gives up the CPU; mp->after says what becomes of it.
   Returns when the G runs again, maybe on another M. */
static void gswitch(m *mp, g *gp, bool dying)
{
    int err = errnoget();
    if (!gp->stack.guarded)
        stackcheck(gp);
    gp->m = NULL;
    g *next = mp->p ? fastnext(mp->p) : NULL; /* no P: leaving a syscall (syscall.c) */
    if (next) {
        execute(mp, next);
        gctx_switch(&gp->ctx, &next->ctx, dying);
    } else {
        mp->curg = NULL;
        gctx_switch(&gp->ctx, &mp->g0->ctx, dying);
    }
    runafter(getm());
    errnoset(err); /* errno is the G's: it kept it on its own stack */
}

/* Entry of every new G (asm_<arch>.S jumps here on its first switch-in). */
_Noreturn void gostart(g *gp);
static _Noreturn void goexit(g *gp);

_Noreturn void gostart(g *gp)
{
    gctx_start();
    runafter(getm());
    errno = 0;
    gp->fn(gp->arg);
    glsexit(gp); /* on the G's own stack: destructors may call into gort */
    goexit(gp);
}

static void startexit(void);

static _Noreturn void goexit(g *gp)
{
    m *mp = getm();
    if (gp == maing)
        startexit();
    if (gp->system)
        atomic_fetch_sub(&sched.ngsys, 1);
    atomic_fetch_sub(&sched.ng, 1);
    mp->after.kind = AFTER_EXIT;
    mp->after.gp = gp;
    gswitch(mp, gp, true);
    __builtin_unreachable();
}

void gopark(bool (*unlockf)(g *, void *), void *arg, const char *reason)
{
    m *mp = getm();
    g *gp = mp->curg;
    gp->waitreason = reason;
    mp->after.kind = AFTER_PARK;
    mp->after.gp = gp;
    mp->after.unlockf = unlockf;
    mp->after.arg = arg;
    gswitch(mp, gp, false);
}

void gosched(void)
{
    m *mp = getm();
    g *gp = mp->curg;
    mp->after.kind = AFTER_READY;
    mp->after.gp = gp;
    gswitch(mp, gp, false);
}

static void foreigndone(void *arg)
{
    (void)arg;
    atomic_fetch_sub(&nforeign, 1);
}

static void foreignkeyinit(void)
{
    pthread_key_create(&foreignkey, foreigndone);
}

/* A thread gort does not run is feeding goroutines: as long as it lives,
   it might feed them again, so no deadlock is declared. */
static void noteforeign(void)
{
    static __thread bool noted __attribute__((tls_model("initial-exec")));
    if (noted)
        return;
    noted = true;
    pthread_once(&foreignonce, foreignkeyinit);
    atomic_fetch_add(&nforeign, 1);
    pthread_setspecific(foreignkey, (void *)1);
}

/* Queues a runnable G: on the running P (as runnext if next), else on the
   global queue; then makes sure an idle P will pick it up. */
static void ready(g *gp, bool next)
{
    m *mp = getm();
    if (mp && mp->p) {
        runqput(mp->p, gp, next);
    } else {
        if (!mp)
            noteforeign();
        rtlock_lock(&sched.lock);
        globrunqput(gp);
        rtlock_unlock(&sched.lock);
    }
    wakep();
}

/* Only one waker can hold a parked G: whoever took it off a wait list
   under that list's lock (or won its selectdone).  And that lock orders
   the G's parking (runafter stores Gwaiting before unlockf releases it)
   before this: so a load and a store do, where a CAS would add a locked
   instruction to every wakeup. */
void goready(g *gp)
{
    if (atomic_load_explicit(&gp->status, memory_order_relaxed) != Gwaiting)
        gort_throw("bad g status in goready");
    setgstatus(gp, Grunnable);
    ready(gp, true);
}

/* ---- spawning ----------------------------------------------------------- */

/* Dead Gs (their stacks already back in the stack cache) wait on their
   P's free list for reuse; a list longer than 64 gives half to the global
   list, and an empty one takes up to 32 from there, so Gs that die on one
   P are reused by a spawner on another (as Go's gfput and gfget). */
static void gfput(p *pp, g *gp)
{
    gp->schedlink = pp->gfree;
    pp->gfree = gp;
    if (++pp->ngfree < 64)
        return;
    rtlock_lock(&sched.glock);
    while (pp->ngfree > 32) {
        g *g1 = pp->gfree;
        pp->gfree = g1->schedlink;
        pp->ngfree--;
        g1->schedlink = sched.gfree;
        sched.gfree = g1;
    }
    rtlock_unlock(&sched.glock);
}

static g *gfget(p *pp)
{
    if (pp && pp->gfree == NULL) {
        rtlock_lock(&sched.glock);
        while (pp->ngfree < 32 && sched.gfree) {
            g *g1 = sched.gfree;
            sched.gfree = g1->schedlink;
            g1->schedlink = pp->gfree;
            pp->gfree = g1;
            pp->ngfree++;
        }
        rtlock_unlock(&sched.glock);
    }
    g *gp = NULL;
    if (pp && pp->gfree) {
        gp = pp->gfree;
        pp->gfree = gp->schedlink;
        pp->ngfree--;
        return gp;
    }
    if (pp == NULL) {
        rtlock_lock(&sched.glock);
        if ((gp = sched.gfree) != NULL)
            sched.gfree = gp->schedlink;
        rtlock_unlock(&sched.glock);
        if (gp)
            return gp;
    }
    gp = galloc();
    rtlock_lock(&sched.glock);
    gp->allnext = sched.allg;
    sched.allg = gp;
    rtlock_unlock(&sched.glock);
    return gp;
}

/* A new G for fn(arg), not yet runnable. */
static g *newg(gort_fn fn, void *arg, bool system)
{
    m *mp = getm();
    g *gp = gfget(mp ? mp->p : NULL);
    gp->fn = fn;
    gp->arg = arg;
    gp->system = system;
    gp->id = atomic_fetch_add_explicit(&goidgen, 1, memory_order_relaxed) + 1;
    gp->waitreason = NULL;
    gp->param = NULL;
    gp->waiting = NULL;
    gp->m = NULL;
    if (system)
        atomic_fetch_add(&sched.ngsys, 1);
    atomic_fetch_add(&sched.ng, 1);
    atomic_store(&gp->status, Grunnable);
    return gp;
}

g *newproc(gort_fn fn, void *arg, bool system)
{
    if (!atomic_load(&sched.running))
        gort_throw("gort_go: no gort_run is active");
    g *gp = newg(fn, arg, system);
    ready(gp, true);
    return gp;
}

/* ---- finding work --------------------------------------------------------- */

/* Tries to steal from the other Ps (in random order, four rounds, the
   last also taking runnext and running due timers). */
static g *stealwork(m *mp)
{
    p *pp = mp->p;
    int procs = atomic_load(&sched.gomaxprocs);
    for (int round = 0; round < 4; round++) {
        bool last = round == 3;
        uint32_t start = fastrandn((uint32_t)procs);
        for (int i = 0; i < procs; i++) {
            p *p2 = sched.allp[(start + (uint32_t)i) % (uint32_t)procs];
            if (p2 == pp)
                continue;
            if (last && atomic_load_explicit(&p2->timer0when, memory_order_relaxed)) {
                checktimers(p2, nanotime());
                g *gp = runqget(pp);
                if (gp)
                    return gp;
            }
            if (atomic_load(&p2->status) == Pidle && !last)
                continue;
            g *gp = runqsteal(pp, p2, last);
            if (gp)
                return gp;
        }
    }
    return NULL;
}

/* One retiring P less; the last one readies gort_maxprocs's caller.
   sched.lock held. */
static void pretired(void)
{
    if (--sched.pretiring == 0 && sched.maxprocs_waiter) {
        g *w = sched.maxprocs_waiter;
        sched.maxprocs_waiter = NULL;
        uint32_t st = Gwaiting;
        if (atomic_compare_exchange_strong(&w->status, &st, Grunnable))
            globrunqput(w);
    }
}

/* pp retires (its id is no longer below gomaxprocs): its Gs go to the
   global queue, its timers to P 0, and it is marked dead.  sched.lock
   held. */
void retirep(p *pp)
{
    runqdrain(pp);
    timersmove(pp, sched.allp[0]);
    atomic_store(&pp->status, Pdead);
    pretired();
}

static bool deadlocked(void)
{
    return atomic_load(&sched.npidle) == atomic_load(&sched.gomaxprocs) &&
           atomic_load(&sched.runqsize) == 0 && atomic_load(&sched.nmsys) == 0 &&
           atomic_load(&sched.ntimers) == 0 && atomic_load(&sched.nnetwait) == 0 &&
           atomic_load(&nforeign) == 0 && sched.pretiring == 0 &&
           !atomic_load(&sched.exiting);
}

void injectglist(m *mp, g *list)
{
    if (mp && mp->p == NULL) {
        rtlock_lock(&sched.lock);
        p *pp = pidleget();
        rtlock_unlock(&sched.lock);
        if (pp)
            acquirep(mp, pp);
    }
    bool more = list->schedlink != NULL;
    while (list) {
        g *gp = list;
        list = gp->schedlink;
        setgstatus(gp, Grunnable);
        if (mp && mp->p) {
            runqput(mp->p, gp, false);
        } else {
            rtlock_lock(&sched.lock);
            globrunqput(gp);
            rtlock_unlock(&sched.lock);
        }
    }
    if (more || !mp || mp->p == NULL)
        wakep();
}

/* An M without a P sleeps.  If goroutines wait for I/O, it blocks in the
   netpoller instead, unless another M does.  If timers are pending and no
   M wakes for them sooner, it sleeps (or polls) only until the earliest;
   if nothing at all is pending, it checks for a deadlock first. */
static void msleep(m *mp)
{
    int64_t until = timersnext();
    if (until) {
        int64_t cur = atomic_load(&sched_pollUntil);
        while (cur == 0 || until < cur)
            if (atomic_compare_exchange_weak(&sched_pollUntil, &cur, until))
                break;
        if (cur != 0 && until >= cur)
            until = 0; /* another M wakes sooner for the timers */
    } else if (atomic_load(&sched.nnetwait) == 0) {
        rtlock_lock(&sched.lock);
        bool dead = deadlocked();
        rtlock_unlock(&sched.lock);
        if (dead && timersnext() == 0)
            gort_throw_all("all goroutines are asleep - deadlock!");
    }
    g *list = NULL;
    int polled = atomic_load(&sched.nnetwait) > 0 ? netpoll(until ? until : -1, &list) : -1;
    if (polled > 0)
        injectglist(mp, list);
    else if (polled == -2) /* another M polls without blocking: look again soon */
        stopm(mp, nanotime() + 50000);
    else if (polled == -1) /* no I/O waiters, or another M blocks in the poller */
        stopm(mp, until);
    if (until) {
        int64_t mine = until;
        atomic_compare_exchange_strong(&sched_pollUntil, &mine, 0);
    }
}

/* Finds a runnable G; sleeps as long as there is none.  NULL: the run is
   exiting. */
static g *findrunnable(m *mp)
{
    for (;;) {
        if (atomic_load(&sched.exiting)) {
            if (mp->p) {
                rtlock_lock(&sched.lock);
                pidleput(releasep(mp));
                rtlock_unlock(&sched.lock);
            }
            return NULL;
        }
        if (mp->p == NULL) {
            rtlock_lock(&sched.lock);
            p *pp = pidleget();
            rtlock_unlock(&sched.lock);
            if (pp == NULL) {
                msleep(mp);
                continue;
            }
            acquirep(mp, pp);
        }
        p *pp = mp->p;
        if (pp->id >= atomic_load(&sched.gomaxprocs)) {
            rtlock_lock(&sched.lock);
            if (pp->id < atomic_load(&sched.gomaxprocs)) {
                rtlock_unlock(&sched.lock); /* wanted again meanwhile */
                continue;
            }
            releasep(mp);
            if (mp->spinning) {
                mp->spinning = false;
                atomic_fetch_sub(&sched.nmspinning, 1);
            }
            retirep(pp);
            rtlock_unlock(&sched.lock);
            wakep();
            continue;
        }
        if (atomic_load_explicit(&pp->timer0when, memory_order_relaxed))
            checktimers(pp, nanotime());
        g *gp;
        if (pp->schedtick % 61 == 0 && atomic_load(&sched.runqsize) > 0) {
            rtlock_lock(&sched.lock);
            gp = globrunqget(pp, 1);
            rtlock_unlock(&sched.lock);
            if (gp)
                return gp;
        }
        if ((gp = runqget(pp)) != NULL)
            return gp;
        if (atomic_load(&sched.runqsize) > 0) {
            rtlock_lock(&sched.lock);
            gp = globrunqget(pp, 0);
            rtlock_unlock(&sched.lock);
            if (gp)
                return gp;
        }
        /* Goroutines that waited for I/O may be ready.  Polled before
           stealing, as Go does: an M that finds its next G here has not
           become a spinning M, so it wakes no other M for it (one that
           would then take the loop and block in it, and be woken by the
           next event: a thread switch per round trip). */
        if (atomic_load(&sched.nnetwait) > 0) {
            g *list;
            if (netpoll(0, &list) > 0) {
                injectglist(mp, list);
                continue;
            }
        }
        int procs = atomic_load(&sched.gomaxprocs);
        if (mp->spinning ||
            2 * atomic_load(&sched.nmspinning) < procs - atomic_load(&sched.npidle)) {
            if (!mp->spinning) {
                mp->spinning = true;
                atomic_fetch_add(&sched.nmspinning, 1);
            }
            if ((gp = stealwork(mp)) != NULL)
                return gp;
        }

        /* Nothing to do: give up the P. */
        rtlock_lock(&sched.lock);
        if (atomic_load(&sched.runqsize) > 0) {
            gp = globrunqget(pp, 0);
            rtlock_unlock(&sched.lock);
            return gp;
        }
        if (pp->id >= atomic_load(&sched.gomaxprocs)) {
            rtlock_unlock(&sched.lock);
            continue; /* gort_maxprocs shrank while we looked: retire pp above */
        }
        releasep(mp);
        pidleput(pp);
        rtlock_unlock(&sched.lock);

        if (mp->spinning) {
            mp->spinning = false;
            atomic_fetch_sub(&sched.nmspinning, 1);
            /* The recheck that keeps a wakeup from being lost (see top):
               every P's queue, and the global one, which a thread
               without a P (a foreign thread, sysmon) fills and then
               calls wakep, which did nothing while we still counted as
               spinning. */
            procs = atomic_load(&sched.gomaxprocs);
            for (int i = 0; i <= procs; i++) {
                if (i == procs ? atomic_load(&sched.runqsize) > 0 : !runqempty(sched.allp[i])) {
                    rtlock_lock(&sched.lock);
                    pp = pidleget();
                    rtlock_unlock(&sched.lock);
                    if (pp) {
                        acquirep(mp, pp);
                        mp->spinning = true;
                        atomic_fetch_add(&sched.nmspinning, 1);
                    }
                    break;
                }
            }
            if (mp->p)
                continue;
        }
        msleep(mp);
    }
}

/* The schedule loop of an M, on its g0.  Returns when the run exits. */
static void schedule(m *mp)
{
    g *gp;
    while ((gp = findrunnable(mp)) != NULL) {
        if (mp->spinning) {
            mp->spinning = false;
            if (atomic_fetch_sub(&sched.nmspinning, 1) == 1)
                wakep(); /* we were the last spinner: there may be more work */
        }
        execute(mp, gp);
        gctx_switch(&mp->g0->ctx, &gp->ctx, false);
        runafter(mp);
    }
}

/* ---- Ms ------------------------------------------------------------------- */

static m *mcommoninit(void)
{
    m *mp = calloc(1, sizeof *mp);
    g *g0 = calloc(1, sizeof *g0);
    if (!mp || !g0)
        gort_throw("out of memory allocating an M");
    g0->system = true;
    g0->m = mp;
    atomic_store(&g0->status, Grunning);
    mp->g0 = g0;
    return mp;
}

static void *mstart(void *arg)
{
    m *mp = arg;
    tls_m = mp;
    errnoinit(false);
    void *ss = sigstackalloc();
    gctx_init_thread(&mp->g0->ctx);
    if (mp->nextp) {
        acquirep(mp, mp->nextp);
        mp->nextp = NULL;
    }
    schedule(mp);
    sigstackfree(ss);
    tls_m = NULL;
    return NULL;
}

/* The thread is created under sched.lock, after a look at sched.exiting
   (set under it): so once the run exits no M is started, and gort_run
   finds every M it must join in allm, with its thread id set. */
static void newm(p *pp, bool spinning)
{
    m *mp = mcommoninit();
    mp->nextp = pp;
    mp->spinning = spinning;
    rtlock_lock(&sched.lock);
    if (atomic_load(&sched.exiting)) {
        pidleput(pp);
        rtlock_unlock(&sched.lock);
        if (spinning)
            atomic_fetch_sub(&sched.nmspinning, 1);
        free(mp->g0);
        free(mp);
        return;
    }
    mp->id = sched.mnext++;
    mp->alllink = sched.allm;
    sched.allm = mp;
    int err = pthread_create(&mp->thread, NULL, mstart, mp);
    rtlock_unlock(&sched.lock);
    if (err != 0) {
        errno = err;
        gort_throw("cannot create an OS thread for an M");
    }
}

/* ---- the lifecycle ----------------------------------------------------------- */

static int defaultprocs(void)
{
    const char *env = getenv("GORT_MAXPROCS");
    if (env && *env) {
        long n = strtol(env, NULL, 10);
        if (n > 0)
            return n > MAXPROCS ? MAXPROCS : (int)n;
    }
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n > MAXPROCS ? MAXPROCS : n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (n > MAXPROCS ? MAXPROCS : (int)n) : 1;
}

/* Main returned: every M stops at its next scheduling point. */
static void startexit(void)
{
    rtlock_lock(&sched.lock);
    atomic_store(&sched.exiting, true);
    m *mp;
    while ((mp = mget()) != NULL) {
        mp->nextp = NULL;
        notewakeup(&mp->park);
    }
    rtlock_unlock(&sched.lock);
    netpollbreak();
}

static void schedfree(void)
{
    semareset();
    gfreeall();
    for (int i = 0; i < sched.nallp; i++)
        pfree(sched.allp[i]);
    free(sched.allp);
    m *mp = sched.allm;
    while (mp) {
        m *next = mp->alllink;
        free(mp->g0);
        free(mp);
        mp = next;
    }
}

int gort_run(gort_fn main_fn, void *arg)
{
    if (main_fn == NULL)
        return -EINVAL;
    bool no = false;
    if (!atomic_compare_exchange_strong(&sched.running, &no, true))
        return -EBUSY;
    gort_mem_throwhook = gort_throw; /* allocator errors show the goroutine too */
    sched.midle = NULL;
    sched.nmidle = 0;
    sched.mnext = 0;
    sched.allm = NULL;
    sched.pidle = NULL;
    atomic_store(&sched.npidle, 0);
    atomic_store(&sched.nmspinning, 0);
    sched.runqhead = sched.runqtail = NULL;
    atomic_store(&sched.runqsize, 0);
    sched.allg = NULL;
    sched.gfree = NULL;
    atomic_store(&sched.ng, 0);
    atomic_store(&sched.ngsys, 0);
    atomic_store(&sched.exiting, false);
    atomic_store(&sched.ntimers, 0);
    atomic_store(&sched_pollUntil, 0);
    sched.maxprocs_waiter = NULL;
    sched.pretiring = 0;

    errnoinit(true);
    stackinit();
    signalinit();
    int procs = atomic_load(&maxprocs_next);
    if (procs <= 0)
        procs = defaultprocs();
    sched.allp = calloc(MAXPROCS, sizeof *sched.allp);
    if (!sched.allp) {
        atomic_store(&sched.running, false);
        return -ENOMEM;
    }
    sched.nallp = procs;
    atomic_store(&sched.gomaxprocs, procs);
    for (int i = procs - 1; i >= 0; i--) {
        sched.allp[i] = pnew(i);
        if (i > 0)
            pidleput(sched.allp[i]);
    }

    m *m0 = mcommoninit();
    m0->thread = pthread_self();
    m0->id = sched.mnext++;
    sched.allm = m0;
    tls_m = m0;
    void *ss = sigstackalloc();
    gctx_init_thread(&m0->g0->ctx);
    acquirep(m0, sched.allp[0]);
    maing = newg(main_fn, arg, false);
    ready(maing, true);
    sysmonstart();
    schedule(m0);
    sysmonstop(); /* before the joins: sysmon may start Ms */

    /* Main returned: wait for every other M, then free the run. */
    for (m *mp = sched.allm; mp; mp = mp->alllink)
        if (mp != m0)
            pthread_join(mp->thread, NULL);
    netpollstop(); /* no M polls any more */
    pdfreeall();
    sigstackfree(ss);
    tls_m = NULL;
    schedfree();
    signalfini();
    maing = NULL;
    atomic_store(&sched.running, false);
    return 0;
}

void gort_go(gort_fn fn, void *arg)
{
    if (fn == NULL)
        gort_throw("gort_go: nil func");
    newproc(fn, arg, false);
}

void gort_yield(void)
{
    m *mp = getm();
    if (mp == NULL || mp->curg == NULL) {
        sched_yield(); /* a thread gort does not run */
        return;
    }
    mp->after.kind = AFTER_READY;
    mp->after.gp = mp->curg;
    gswitch(mp, mp->curg, false);
}

uint64_t gort_id(void)
{
    g *gp = getg();
    return gp ? gp->id : 0;
}

long gort_num_goroutines(void)
{
    if (!atomic_load(&sched.running))
        return 0;
    return atomic_load(&sched.ng) - atomic_load(&sched.ngsys);
}

static bool parkmaxprocs(g *gp, void *arg)
{
    (void)arg;
    if (sched.pretiring == 0) {
        rtlock_unlock(&sched.lock);
        return false;
    }
    sched.maxprocs_waiter = gp;
    rtlock_unlock(&sched.lock);
    return true;
}

/* GOMAXPROCS.  Growing makes new (or retired) Ps idle and wakes Ms for
   them; shrinking marks the Ps above n to retire: idle ones at once, busy
   ones at their M's next scheduling point.  The caller waits until every
   retiring P has retired, so the change holds when this returns. */
int gort_maxprocs(int n)
{
    if (!atomic_load(&sched.running)) {
        int old = atomic_load(&maxprocs_next);
        if (old <= 0)
            old = defaultprocs();
        if (n > 0)
            atomic_store(&maxprocs_next, n > MAXPROCS ? MAXPROCS : n);
        return old;
    }
    rtlock_lock(&sched.lock);
    int old = atomic_load(&sched.gomaxprocs);
    if (n <= 0 || n == old) {
        rtlock_unlock(&sched.lock);
        return old;
    }
    if (n > MAXPROCS)
        n = MAXPROCS;
    atomic_store(&maxprocs_next, n);
    if (n > old) {
        for (int i = old; i < n; i++) {
            if (i >= sched.nallp)
                sched.allp[sched.nallp++] = pnew(i);
            p *pp = sched.allp[i];
            if (atomic_load(&pp->status) == Pdead)
                pidleput(pp);
            else
                pretired(); /* was still retiring: it is wanted again */
        }
        atomic_store(&sched.gomaxprocs, n);
        rtlock_unlock(&sched.lock);
        for (int i = old; i < n; i++)
            wakep();
        return old;
    }
    atomic_store(&sched.gomaxprocs, n);
    for (int i = n; i < old; i++) {
        p *pp = sched.allp[i];
        sched.pretiring++;
        if (atomic_load(&pp->status) == Pidle) {
            pidleremove(pp);
            retirep(pp);
        }
    }
    if (sched.pretiring == 0) {
        rtlock_unlock(&sched.lock);
        return old;
    }
    if (getg() != NULL) {
        gopark(parkmaxprocs, NULL, "GOMAXPROCS"); /* unlocks sched.lock */
        return old;
    }
    rtlock_unlock(&sched.lock);
    while (__atomic_load_n(&sched.pretiring, __ATOMIC_ACQUIRE) > 0)
        sched_yield();
    return old;
}
