/*
 * proc.h - functions shared by the scheduler's own files (proc.c, runq.c,
 * stack.c, time.c, signal.c, traceback.c).  Other parts of sched/ use
 * runtime.h only.
 */
#ifndef GORT_SCHED_PROC_H
#define GORT_SCHED_PROC_H

#include "runtime.h"

#define MAXPROCS 1024 /* allp's fixed capacity: Ps are never reallocated */

/* runq.c */
void runqput(p *pp, g *gp, bool next);
g *runqget(p *pp);
bool runqempty(p *pp);
g *runqsteal(p *pp, p *victim, bool stealnext);
void runqdrain(p *pp);
void globrunqput(g *gp);
void globrunqputbatch(g *head, g *tail, int n);
/* Call with max > 1 only when pp's ring is empty: the share is put there
   and must not spill back to the global queue whose lock is held. */
g *globrunqget(p *pp, int max);

/* stack.c */
void stackinit(void);               /* reads GORT_STACK_SIZE, the map budget */
g *galloc(void);                    /* a new G, without a stack */
void stackalloc(p *pp, gstack *s);  /* a stack from pp's cache, or a new one */
void stackfree(p *pp, gstack *s);   /* back to pp's cache */
void gfreeall(void);                /* every G and stack of this run */
void stackcheck(g *gp);             /* canary of an unguarded stack */
bool stackguardhit(g *gp, uintptr_t addr);

/* time.c */
void checktimers(p *pp, int64_t now);
int64_t timersnext(void);           /* earliest pending timer over all Ps, 0 if none */
void timersmove(p *from, p *to);    /* a retiring P hands its timers over */
void timersfree(p *pp);

/* signal.c */
void signalinit(void);              /* installs the SIGSEGV handler */
void signalfini(void);
void *sigstackalloc(void);          /* this thread's alternate signal stack */
void sigstackfree(void *ss);

/* traceback.c */
void tracebackall(void);
void traceback(g *gp);
void printstr(const char *s);

/* sema.c */
void semareset(void);               /* drops the waiters of an ended run */

/* proc.c */
void wakep(void);
void timerwake(int64_t when);
/* P and M hand-offs for syscall.c and sysmon.c (sched.lock held for
   pidleput, pidleget and retirep). */
void acquirep(m *mp, p *pp);
p *releasep(m *mp);
void pidleput(p *pp);
p *pidleget(void);
void retirep(p *pp);
void startm(p *pp, bool spinning);
/* Makes the Gs netpoll readied runnable: on mp's P, which it takes if it
   has none and one is idle, else (or with no M: sysmon) on the global
   queue.  Wakes an M for the others when there is more than one. */
void injectglist(m *mp, g *list);

/* syscall.c */
void handoffp(p *pp);               /* pp (owned by the caller) to an M or the idle list */

/* sysmon.c */
void sysmonstart(void);
void sysmonstop(void);
void sysmonwake(void);              /* a blocking call began */

/* gls.c */
void glsexit(g *gp);                /* runs the destructors of gp's values */
extern _Atomic int64_t sched_pollUntil;

#endif /* GORT_SCHED_PROC_H */
