/*
 * stack.c - goroutine stacks, allocated together with their G.
 *
 * A G lives at the top of its own stack mapping: [guard][stack...][g].
 * Both come and go together, so a G on a free list keeps a ready stack, as
 * in Go's gfree lists, and a parked G with a shallow stack costs one page.
 * Mappings are MAP_NORESERVE: a page is committed when first touched.
 *
 * Guard pages cost the kernel a map each (the PROT_NONE page splits the
 * mapping in two), and vm.max_map_count is 65530 on a stock kernel, so
 * only the first quarter of that many stacks get a guard page; the rest
 * go without one and carry a canary instead: the CANARY bytes just below
 * the stack are never legitimately written, are zero from mmap, and are
 * checked every time the G switches away.  They sit at the end of the
 * slot below (after that slot's g), in a page that is resident anyway, so
 * checking them costs no page fault; a chunk's first slot has a page of
 * its own below it for that.  A guarded overflow faults at once and
 * signal.c reports it; a canary overflow is reported at the next switch.
 * Either way: "fatal error: stack overflow", exit status 2.
 *
 * Stacks are mapped CHUNK_STACKS at a time.  They are not returned to the
 * OS while a run lasts (a dead G keeps its
 * stack on a free list); gfreeall unmaps everything when gort_run ends.
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
static size_t slotsize;    /* stack + canary + g, page multiple */
static long guardbudget;   /* guarded stacks still allowed */
static rtlock chunklock;
static char *chunk;        /* current chunk of unguarded stacks */
static int chunkused;
static struct stackchunk {
    struct stackchunk *next;
    void *map;
    size_t len;
    bool guarded;
} *chunks;

static size_t gsize(void)
{
    return (sizeof(struct g) + 63) & ~(size_t)63;
}

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
    slotsize = (stacksize + CANARY + gsize() + pagesize - 1) & ~(pagesize - 1);
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

g *galloc(void)
{
    bool guarded;
    char *slot = slotalloc(&guarded);
    g *gp = (g *)(slot + slotsize - CANARY - gsize());
    memset(gp, 0, sizeof *gp);
    gp->stack.guarded = guarded;
    gp->stack.lo = (uintptr_t)slot;
    gp->stack.hi = (uintptr_t)gp & ~(uintptr_t)15;
#ifdef GORT_TSAN
    gp->ctx.san_fiber = __tsan_create_fiber(0);
#endif
#ifdef GORT_VALGRIND
    gp->valgrind_id = VALGRIND_STACK_REGISTER(gp->stack.lo, gp->stack.hi);
#endif
    atomic_store(&gp->status, Gidle);
    return gp;
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
        VALGRIND_STACK_DEREGISTER(gp->valgrind_id);
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
