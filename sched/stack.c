/*
 * stack.c - goroutine stacks: mapped in chunks, committed lazily, cached
 * per P.
 *
 * A G gets its stack when it first runs (execute in proc.c), not when it
 * is spawned, and gives it back when it exits: a goroutine that is spawned
 * and not yet run costs only its struct g, and a burst of short goroutines
 * runs on a handful of warm stacks.  Free stacks wait in their P's cache
 * (STACKCACHE of them); the excess goes to a global list, linked through a
 * word at the top of each free stack.  Mappings are MAP_NORESERVE: a page
 * is committed when first touched, so a parked goroutine with a shallow
 * stack costs one page.
 *
 * Guard pages cost the kernel a map each (the PROT_NONE page splits the
 * mapping in two), and vm.max_map_count is 65530 on a stock kernel, so
 * only the first quarter of that many stacks get a guard page; the rest
 * go without one and carry a canary instead: the CANARY bytes just below
 * the stack are never legitimately written, are zero from mmap, and are
 * checked every time the G switches away.  They sit at the end of the
 * slot below, in a page that is resident once that stack has run, so
 * checking them rarely costs a page fault; a chunk's first slot has a
 * page of its own below it for that.  A guarded overflow faults at once
 * and signal.c reports it; a canary overflow is reported at the next
 * switch.  Either way: "fatal error: stack overflow", exit status 2.
 *
 * Stacks are mapped CHUNK_STACKS at a time and not returned to the OS
 * while a run lasts; gfreeall unmaps everything when gort_run ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctx.h"
#include "proc.h"

#ifdef GORT_VALGRIND
#include <valgrind/valgrind.h>
#endif

enum { CANARY = 64, CHUNK_STACKS = 64 };

#if defined(GORT_ASAN) || defined(GORT_TSAN)
#define DEFAULT_STACK (256 * 1024) /* sanitizer frames are larger */
#else
#define DEFAULT_STACK (64 * 1024)
#endif

static size_t pagesize;
static size_t stacksize;   /* usable bytes, page multiple */
static size_t slotsize;    /* stack + the canary of the slot above, page multiple */
static long guardbudget;   /* guarded stacks still allowed */
static rtlock chunklock;
static char *chunk;        /* current chunk of unguarded stacks */
static int chunkused;
static struct freestack {  /* at the top of a free stack on the global list */
    struct freestack *next;
    gstack s;
} *freestacks;
static struct stackchunk {
    struct stackchunk *next;
    void *map;
    size_t len;
    bool guarded;
} *chunks;

static size_t parsesize(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end == 'k' || *end == 'K')
        v <<= 10;
    else if (*end == 'm' || *end == 'M')
        v <<= 20;
    return (size_t)v;
}

void stackinit(void)
{
    pagesize = (size_t)sysconf(_SC_PAGESIZE);
    size_t want = DEFAULT_STACK;
    const char *env = getenv("GORT_STACK_SIZE");
    if (env && *env) {
        size_t v = parsesize(env);
        if (v >= 16 * 1024 && v <= ((size_t)1 << 30))
            want = v;
    }
    stacksize = (want + pagesize - 1) & ~(pagesize - 1);
    slotsize = (stacksize + CANARY + pagesize - 1) & ~(pagesize - 1);
    long maxmaps = 65530;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f) {
        if (fscanf(f, "%ld", &maxmaps) != 1)
            maxmaps = 65530;
        fclose(f);
    }
    guardbudget = maxmaps / 4;
    chunk = NULL;
    chunkused = 0;
    chunks = NULL;
    freestacks = NULL;
}

static void *mapstack(size_t len)
{
    void *v = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (v == MAP_FAILED)
        gort_throw("out of memory allocating a goroutine stack");
    return v;
}

/* A stack slot from the current chunk, mapping a new chunk when it is
   used up.  While the map budget lasts a chunk's slots each have a guard
   page below them (one mprotect each, which splits the mapping); after
   that, chunks are unguarded and cost one map for all their slots. */
static char *slotalloc(bool *guarded)
{
    rtlock_lock(&chunklock);
    if (chunk == NULL || chunkused == CHUNK_STACKS) {
        bool guard = guardbudget >= CHUNK_STACKS;
        size_t stride = slotsize + (guard ? pagesize : 0);
        struct stackchunk *c = malloc(sizeof *c);
        if (!c)
            gort_throw("out of memory allocating a goroutine stack");
        c->len = stride * CHUNK_STACKS + (guard ? 0 : pagesize);
        c->map = mapstack(c->len);
        c->guarded = guard;
        c->next = chunks;
        chunks = c;
        chunk = (char *)c->map + (guard ? 0 : pagesize);
        chunkused = 0;
        if (guard)
            guardbudget -= CHUNK_STACKS;
    }
    bool guard = chunks->guarded;
    size_t stride = slotsize + (guard ? pagesize : 0);
    char *v = chunk + (size_t)chunkused++ * stride;
    rtlock_unlock(&chunklock);
    if (guard) {
        if (mprotect(v, pagesize, PROT_NONE) != 0)
            gort_throw("mprotect of a stack guard page failed");
        v += pagesize;
    }
    *guarded = guard;
    return v;
}

/* Gs are carved from 2 MiB slabs, dense and (where the kernel allows)
   backed by huge pages: a burst of spawns then costs a page fault per
   slab, not per G.  A G is never freed alone (dead ones wait on free
   lists); the slabs go when the run ends. */
enum { GSLAB = 2 << 20 };
static struct gslab {
    struct gslab *next;
} *gslabs;
static char *gslabnext, *gslabend;

g *galloc(void)
{
    size_t size = (sizeof(struct g) + 63) & ~(size_t)63;
    rtlock_lock(&chunklock);
    if (gslabnext == NULL || gslabnext + size > gslabend) {
        char *v = mmap(NULL, GSLAB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (v == MAP_FAILED)
            gort_throw("out of memory allocating a goroutine");
        madvise(v, GSLAB, MADV_HUGEPAGE);
        ((struct gslab *)v)->next = gslabs;
        gslabs = (struct gslab *)v;
        gslabnext = v + 64;
        gslabend = v + GSLAB;
    }
    g *gp = (g *)gslabnext;
    gslabnext += size;
    rtlock_unlock(&chunklock);
#ifdef GORT_TSAN
    gp->ctx.san_fiber = __tsan_create_fiber(0);
#endif
    atomic_store(&gp->status, Gidle);
    return gp;
}

static void stacknew(gstack *s)
{
    bool guarded;
    char *slot = slotalloc(&guarded);
    s->guarded = guarded;
    s->lo = (uintptr_t)slot;
    s->hi = ((uintptr_t)slot + slotsize - CANARY) & ~(uintptr_t)15;
}

void stackalloc(p *pp, gstack *s)
{
    if (pp->nstackcache == 0) {
        rtlock_lock(&chunklock);
        while (pp->nstackcache < STACKCACHE / 2 && freestacks) {
            pp->stackcache[pp->nstackcache++] = freestacks->s;
            freestacks = freestacks->next;
        }
        rtlock_unlock(&chunklock);
    }
    if (pp->nstackcache > 0)
        *s = pp->stackcache[--pp->nstackcache];
    else
        stacknew(s);
#ifdef GORT_VALGRIND
    s->valgrind_id = VALGRIND_STACK_REGISTER(s->lo, s->hi);
#endif
}

void stackfree(p *pp, gstack *s)
{
#ifdef GORT_VALGRIND
    VALGRIND_STACK_DEREGISTER(s->valgrind_id);
#endif
    if (pp->nstackcache == STACKCACHE) {
        rtlock_lock(&chunklock);
        while (pp->nstackcache > STACKCACHE / 2) {
            gstack *f = &pp->stackcache[--pp->nstackcache];
            struct freestack *fs = (struct freestack *)(f->hi - sizeof *fs);
            fs->s = *f;
            fs->next = freestacks;
            freestacks = fs;
        }
        rtlock_unlock(&chunklock);
    }
    pp->stackcache[pp->nstackcache++] = *s;
    s->lo = s->hi = 0;
}

void gfreeall(void)
{
    g *gp = sched.allg;
    while (gp) {
        g *next = gp->allnext;
        free(gp->sleeptimer);
        free(gp->gls);
#ifdef GORT_TSAN
        __tsan_destroy_fiber(gp->ctx.san_fiber);
#endif
#ifdef GORT_VALGRIND
        if (gp->stack.lo)
            VALGRIND_STACK_DEREGISTER(gp->stack.valgrind_id);
#endif
        gp = next;
    }
    sched.allg = NULL;
    while (chunks) {
        struct stackchunk *c = chunks;
        chunks = c->next;
        munmap(c->map, c->len);
        free(c);
    }
    chunk = NULL;
    freestacks = NULL;
    while (gslabs) {
        struct gslab *sl = gslabs;
        gslabs = sl->next;
        munmap(sl, GSLAB);
    }
    gslabnext = gslabend = NULL;
}

void stackcheck(g *gp)
{
    const uint64_t *c = (const uint64_t *)(gp->stack.lo - CANARY);
    for (int i = 0; i < CANARY / 8; i++)
        if (c[i] != 0)
            gort_throw("stack overflow");
}

bool stackguardhit(g *gp, uintptr_t addr)
{
    if (!gp->stack.guarded)
        return false;
    return addr >= gp->stack.lo - pagesize && addr < gp->stack.lo;
}

/* ---- contexts -------------------------------------------------------------- */

void gort_gostart_amd64(void);
void gort_gostart_arm64(void);

void gctx_init(gctx *c, g *gp, uintptr_t lo, uintptr_t hi)
{
#ifdef GORT_ASAN
    /* A G that died switched away from inside its frames, whose redzones
       are still poisoned: the next goroutine on this stack starts clean. */
    __asan_unpoison_memory_region((void *)lo, hi - lo);
#endif
    uintptr_t *sp = (uintptr_t *)(hi & ~(uintptr_t)15);
#if defined(__x86_64__)
    /* Popped by gort_swapctx: r15 r14 r13 r12 rbx rbp, then ret.  After
       the ret, rsp = hi - 16, 16-byte aligned, so the call in
       gort_gostart_amd64 enters gostart with rsp = 8 mod 16 as the ABI
       wants. */
    sp -= 9;
    memset(sp, 0, 9 * sizeof *sp);
    sp[3] = (uintptr_t)gp; /* r12: gostart's argument */
    sp[6] = (uintptr_t)gort_gostart_amd64;
    c->sp = sp;
#elif defined(__aarch64__)
    sp -= 20; /* 160 bytes: x19..x30, d8..d15 */
    memset(sp, 0, 160);
    sp[0] = (uintptr_t)gp;                  /* x19 */
    sp[11] = (uintptr_t)gort_gostart_arm64; /* x30 */
    c->sp = sp;
#else
#error "gort: no context switch for this architecture"
#endif
    c->san_bottom = (const void *)lo;
    c->san_size = hi - lo;
}

void gctx_init_thread(gctx *c)
{
    pthread_attr_t attr;
    void *addr = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstack(&attr, &addr, &size);
        pthread_attr_destroy(&attr);
    }
    c->san_bottom = addr;
    c->san_size = size;
#ifdef GORT_TSAN
    c->san_fiber = __tsan_get_current_fiber();
#endif
}
