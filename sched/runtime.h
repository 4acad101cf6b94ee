/*
 * runtime.h - the scheduler's data model: G, M, P and the global sched.
 *
 * Go's model, in C.  A G is a goroutine: a stack, a saved stack pointer and
 * a status.  An M is an OS thread; it runs Gs only while it holds a P.  A P
 * is a processor context: a lock-free ring of runnable Gs, a runnext slot,
 * a timer heap, a stack cache and an allocation cache (mcache).  There are
 * gomaxprocs Ps; an M without a P is idle (asleep on its note) or inside a
 * blocking call.
 *
 * Every M has a g0: the goroutine that stands for the thread's own stack.
 * The scheduler loop (schedule, findrunnable) runs on g0; user code runs on
 * the Gs.  A switch from one G to another goes straight from stack to stack
 * when the next G is at hand (yield, park with a local runnable G), and
 * through g0 otherwise.  Whatever the G that gave up the CPU still needs
 * done once its registers are saved - be put on a run queue, have its wait
 * lock released, be freed - is left in m->after and done by whoever runs
 * next on that M (see switchto in proc.c): that is how a G is never made
 * runnable before its context is saved, so two Ms can never run one G.
 *
 * Locking: sched.lock guards the global run queue, the idle P and idle M
 * lists and the P array; a P's run ring is lock-free (its owner puts and
 * gets, thieves CAS the head); a P's timer heap has its own lock.
 * Invariants of the spinning-M protocol are explained above findrunnable.
 */
#ifndef GORT_SCHED_RUNTIME_H
#define GORT_SCHED_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gort.h"

typedef struct g g;
typedef struct m m;
typedef struct p p;
typedef struct sudog sudog;
typedef struct gtimer gtimer;

/* ---- small building blocks ------------------------------------------- */

/* A spin-then-futex lock for the runtime's own short critical sections
   (Go's runtime.mutex).  Zero is unlocked. */
typedef struct { _Atomic uint32_t key; } rtlock;
void rtlock_lock(rtlock *l);
void rtlock_unlock(rtlock *l);

/* A one-shot wakeup (Go's note): one sleeper, one waker.  notesleep spins
   briefly before it sleeps on a futex, since a cross-core futex wakeup
   costs tens of microseconds on the machines gort targets. */
typedef struct { _Atomic uint32_t key; } note;
void noteclear(note *n);
void notesleep(note *n);
bool notetsleep(note *n, int64_t ns); /* false on timeout */
void notewakeup(note *n);

/* A saved stack pointer plus what the sanitizers need to follow a switch. */
typedef struct {
    void *sp;
    void *san_fiber;        /* TSan fiber, NULL when not built for TSan */
    const void *san_bottom; /* ASan: stack bounds of the context */
    size_t san_size;
} gctx;

/* The stack of a G: [lo, hi) usable, growing down from hi.  A guarded
   stack has a PROT_NONE page below lo; an unguarded one has a canary just
   below lo that is checked at every switch away from the G (stack.c). */
typedef struct {
    uintptr_t lo, hi; /* lo == 0: no stack (a G gets one when it first runs) */
    bool guarded;
    unsigned valgrind_id; /* the registration, with -Dvalgrind=true */
} gstack;

/* ---- G ---------------------------------------------------------------- */

enum gstatus {
    Gidle,     /* just allocated, not yet initialised */
    Grunnable, /* on a run queue, not running */
    Grunning,  /* owns a stack and an M */
    Gwaiting,  /* parked: blocked in the runtime */
    Gsyscall,  /* in a blocking call announced with entersyscall */
    Gdead,     /* finished; on a free list */
};

struct g {
    gctx ctx;
    gstack stack;
    _Atomic uint32_t status;  /* enum gstatus */
    uint64_t id;              /* goroutine id; 0 for g0 */
    m *m;                     /* the M running it, or NULL */
    gort_fn fn;
    void *arg;
    const char *waitreason;   /* why it is parked, for traces ("chan receive") */
    bool system;              /* runtime-internal: not counted, not in deadlock traces */

    /* Channel and select support (sched/chan.c, select.c). */
    void *param;              /* passed by the waker: the sudog that completed, or NULL */
    sudog *waiting;           /* sudogs this G is parked on, select's list */
    _Atomic uint32_t selectdone;
    bool parkingonchan;

    /* Linkage. */
    g *schedlink;             /* global run queue, free lists */
    g *allnext;               /* sched.allg, for traces and teardown */
    gtimer *sleeptimer;       /* gort_sleep's timer, allocated on first use */
    void **gls;               /* goroutine-local values by key (gls.c), NULL until set */
    unsigned ngls;            /* gls's length */
};

/* ---- P ---------------------------------------------------------------- */

enum pstatus { Pidle, Prunning, Psyscall, Pdead };

#define RUNQ_SIZE 256
#define STACKCACHE 32

struct p {
    int id;
    _Atomic uint32_t status;  /* enum pstatus */
    m *m;                     /* the M that holds it, NULL when idle */
    p *link;                  /* sched.pidle */
    uint32_t schedtick;       /* incremented at every schedule (written by the owner,
                                 read atomically by sysmon) */
    uint32_t syscalltick;     /* incremented at every entersyscall (read by sysmon) */
    _Atomic uint32_t preempttick; /* sysmon's preemption request: the G that runs while
                                 schedtick equals it should yield at a safe point */

    /* Local run queue: owner puts at tail, anyone takes at head. */
    _Atomic uint32_t runqhead;
    _Atomic uint32_t runqtail;
    g *_Atomic runq[RUNQ_SIZE];
    g *_Atomic runnext;       /* the G to run next, ahead of the ring */

    /* Free Gs for reuse, and free stacks (stack.c). */
    g *gfree;
    int ngfree;
    gstack stackcache[STACKCACHE];
    int nstackcache;

    /* Timers: a 4-ary min-heap on when, under timerslock (sched/time.c). */
    rtlock timerslock;
    gtimer **timers;
    int ntimers, captimers;
    _Atomic int64_t timer0when; /* when of the earliest timer, 0 if none */

    void *mcache;             /* the allocator's per-P cache (mem/) */
};

/* ---- M ---------------------------------------------------------------- */

/* What the G that just switched away needs done on its behalf (see the
   comment at the top and switchto in proc.c). */
enum afterkind { AFTER_NONE, AFTER_READY, AFTER_PARK, AFTER_EXIT };

struct m {
    int id;
    g *g0;
    g *curg;                  /* the running user G, or NULL on g0 */
    p *p;                     /* the P held, NULL if none */
    p *nextp;                 /* the P to take on wakeup (startm) */
    p *oldp;                  /* the P before entersyscall */
    pthread_t thread;
    note park;                /* idle Ms sleep here */
    bool spinning;
    bool blocked;
    m *schedlink;             /* sched.midle */
    m *alllink;

    struct {
        enum afterkind kind;
        g *gp;
        bool (*unlockf)(g *, void *);
        void *arg;
    } after;

    uint32_t fastrand[2];
};

/* ---- sched: the global state of one gort_run -------------------------- */

struct schedt {
    rtlock lock;

    m *midle;                 /* idle Ms, waiting for work */
    int nmidle;
    int mnext;                /* next M id */
    int mcount;               /* Ms alive (not counting the one in gort_run's thread) */
    m *allm;

    p *pidle;                 /* idle Ps */
    _Atomic int npidle;
    _Atomic int nmspinning;

    g *runqhead, *runqtail;   /* global run queue */
    _Atomic int runqsize;

    p **allp;
    int nallp;                /* allp's length; Ps >= gomaxprocs are Pdead */
    _Atomic int gomaxprocs;

    rtlock glock;             /* guards allg, gfree (global), goidgen */
    g *allg;
    g *gfree;                 /* Gs whose P is gone; stacks freed */
    _Atomic long ngsys;       /* live system Gs, not counted by gort_num_goroutines */
    _Atomic long ng;          /* live Gs, user and system */

    _Atomic bool running;     /* a gort_run is active */
    _Atomic bool exiting;     /* main returned: every M stops at its next schedule */
    note exitnote;            /* the last M to stop wakes gort_run */
    _Atomic int mrunning;     /* Ms that have not stopped (exit protocol) */

    _Atomic int nmsys;        /* Ms in blocking calls (for deadlock detection) */
    _Atomic long ntimers;     /* pending timers in all heaps (deadlock detection) */
    _Atomic long nnetwait;    /* goroutines parked on I/O (deadlock detection) */

    g *maxprocs_waiter;       /* gort_maxprocs waiting for Ps to retire */
    int pretiring;            /* Ps still to retire */
};

extern struct schedt sched;

/* ---- the running M and G ---------------------------------------------- */

/* The M of this thread, or NULL on a thread gort does not run.  A thread-
   local: never cache its address across a call that can park, since the G
   may resume on another M.  On x86-64 the read is one inline asm
   statement through %fs, which the compiler can neither move across a
   call nor merge with an earlier read; elsewhere it is an out-of-line
   call (the compiler could keep the thread pointer in a register across
   a switch). */
extern __thread m *tls_m __attribute__((tls_model("initial-exec")));
#if defined(__x86_64__)
static inline m *getm(void)
{
    m *mp;
    __asm__ __volatile__("movq tls_m@gottpoff(%%rip), %0\n\tmovq %%fs:(%0), %0"
                         : "=r"(mp)
                         :
                         : "memory");
    return mp;
}
#else
m *getm(void);
#endif
/* The running user G, NULL on g0 or outside gort. */
static inline g *getg(void)
{
    m *mp = getm();
    return mp ? mp->curg : NULL;
}

/* ---- parking and readying (Go's gopark/goready) ----------------------- */

/* Parks the running G: it stops running and status becomes Gwaiting.  Once
   its context is saved, unlockf(gp, arg) is called on the new context; if it
   returns false the G is made runnable again at once.  unlockf may be NULL.
   The G runs again when someone calls goready(gp). */
void gopark(bool (*unlockf)(g *gp, void *arg), void *arg, const char *reason);
/* Makes a parked G runnable, onto the current P's runnext if there is one,
   else onto the global queue (foreign threads).  Any thread may call it. */
void goready(g *gp);
/* Puts the running G at the tail of the global queue and schedules (yield). */
void gosched(void);
/* A safe point (sysmon.c): yields if sysmon asked the running G to give up
   its P (it has run 10 ms without scheduling).  Any call into gort that may
   switch goroutines should call it; costs a TLS read and a compare. */
void preemptcheck(void);

/* Spawns a G; system Gs are not counted as user goroutines. */
g *newproc(gort_fn fn, void *arg, bool system);

/* Fatal error: prints "fatal error: MSG" and the running goroutine (or,
   with all set, every goroutine) and exits with status 2. */
_Noreturn void gort_throw(const char *msg);
_Noreturn void gort_throw_all(const char *msg);
/* The same for a call that can block made outside a goroutine (or inside
   an announced blocking call): the check is inline, the report is not. */
_Noreturn void gort_checkblock_fail(g *gp, const char *what);
static inline void gort_checkblock(const char *what)
{
    g *gp = getg();
    if (__builtin_expect(gp == NULL ||
                             atomic_load_explicit(&gp->status, memory_order_relaxed) == Gsyscall,
                         0))
        gort_checkblock_fail(gp, what);
}

/* A random number from the running M's generator (or a thread-local one). */
uint32_t fastrand(void);
uint32_t fastrandn(uint32_t n);

/* Address-keyed semaphore (Go's sema.go): semacquire sleeps until *addr > 0
   and then decrements it; semrelease increments it and wakes one waiter.
   With handoff, the woken G runs next on this P. */
void semacquire(uint32_t *addr);
void semacquire_lifo(uint32_t *addr);
void semrelease(uint32_t *addr, bool handoff);

/* ---- timers (sched/time.c) -------------------------------------------- */

/* A timer runs f(arg, seq, now) on the P that holds it, at or after when,
   on g0 with no lock held.  f must not block; it may goready and do
   non-blocking channel operations.  A periodic timer is re-armed at
   when + k*period for the least k that puts it in the future. */
struct gtimer {
    int64_t when;
    int64_t period;
    void (*f)(void *arg, uintptr_t seq, int64_t now);
    void *arg;
    uintptr_t seq;
    /* Internal: the P whose heap holds it (NULL when not pending), index. */
    p *_Atomic pp;
    int idx;
    _Atomic uint32_t running; /* calls of f in progress */
};

void addtimer(gtimer *t);               /* t->when etc. set by the caller */
bool deltimer(gtimer *t);               /* true if it removed a pending timer */
bool modtimer(gtimer *t, int64_t when, int64_t period); /* true if it was pending */
int64_t nanotime(void);

#endif /* GORT_SCHED_RUNTIME_H */
