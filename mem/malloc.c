/*
 * malloc.c - the public allocation API: gort_malloc and friends, the slow
 * halves of their fast paths, fatal errors, the debug option and fork
 * safety.  See malloc.h for an overview of the allocator and fastpath.h
 * for the fast paths.
 *
 * malloc_generic takes what mallocfast leaves: sizes above DIRECT_MAX (the
 * size-class table, then the same ctz on the class's current span), an
 * empty cache word (mcache_nextfree refills), a thread with no cache yet
 * (made here), the debug option, and objects over 32 KiB, which take pages
 * from the heap under its lock.
 *
 * free_generic takes what freefast leaves: NULL, large objects (back to
 * the heap), the debug option (poison, then a local free), a block of a
 * span the thread's cache does not own (pushed on the span's remote list
 * with one CAS, span_xpush), and pointers that are not the start of a
 * block gort has in use (a fatal error that says which).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fastpath.h"
#include "mcache.h"

bool mem_debug;
void (*gort_mem_throwhook)(const char *msg);
static _Atomic bool inited;
static memlock initlock;

_Noreturn void mthrow(const char *msg, const void *p) {
    char buf[160], out[200];
    if (p)
        snprintf(buf, sizeof buf, "%s (address %p)", msg, p);
    else
        snprintf(buf, sizeof buf, "%s", msg);
    if (gort_mem_throwhook)
        gort_mem_throwhook(buf);
    int n = snprintf(out, sizeof out, "fatal error: %s\n", buf);
    if (write(2, out, (size_t)n) < 0) {
        /* nothing more can be done */
    }
    _exit(2);
}

void mem_init(void) {
    if (likely(atomic_load_explicit(&inited, memory_order_acquire)))
        return;
    memlock_lock(&initlock);
    if (!atomic_load_explicit(&inited, memory_order_relaxed)) {
        for (int i = 0; i < NUM_SPAN_CLASSES; i++)
            mcentral_init(&mcentrals[i], (uint8_t)i);
        const char *e = getenv("GORT_MALLOC_DEBUG");
        mem_debug = e && *e && strcmp(e, "0") != 0;
        mcache_initkey();
        atomic_store_explicit(&inited, true, memory_order_release);
    }
    memlock_unlock(&initlock);
}

static void *enomem(void) {
    errno = ENOMEM;
    return NULL;
}

/* ---- the debug option ------------------------------------------------ */

/* Checks that p's block still holds the poison gort_free put there. */
static void *debugcheck(void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = sizeof(void *); i < n; i++)
        if (b[i] != DEBUG_POISON)
            mthrow("write to freed block", p);
    return p;
}

/* ---- allocation ------------------------------------------------------ */

/* An object of at most MAX_SMALL_SIZE bytes from the thread's cache. */
static void *malloc_small(size_t n, bool noscan) {
    mcache *c = tls_mcache;
    if (unlikely(c == &nocache) && !(c = mcache_self()))
        return enomem();
    uint8_t spc = spanclass_of(size_to_class(n), noscan);
    mspan *s = c->alloc[spc];
    void *p = s->allocCache ? span_alloccache(s) : mcache_nextfree(c, spc);
    if (unlikely(!p))
        return enomem();
    if (unlikely(mem_debug))
        return debugcheck(p, class_to_size[spanclass_sizeclass(spc)]);
    return p;
}

/* An object of its own pages; zeroes it if zero and the pages may be dirty. */
static void *malloc_large(size_t n, size_t align, bool noscan, bool zero) {
    if (n > ((size_t)1 << ADDR_BITS))
        return enomem();
    uintptr_t npages = (n + PAGE_SIZE - 1) / PAGE_SIZE;
    mspan *s = mheap_alloc(npages ? npages : 1, align / PAGE_SIZE, noscan ? 1 : 0);
    if (!s)
        return enomem();
    if (zero && s->needzero)
        memset((void *)s->base, 0, s->npages * PAGE_SIZE);
    return (void *)s->base;
}

/* Everything mallocfast leaves. */
void *malloc_generic(size_t n, bool noscan) {
    if (likely(n <= MAX_SMALL_SIZE))
        return malloc_small(n, noscan);
    return malloc_large(n, PAGE_SIZE, noscan, false);
}

GORT_API void *gort_malloc(size_t n) {
    return mallocfast(n);
}

GORT_API void *gort_malloc_noscan(size_t n) {
    return malloc_generic(n, true);
}

GORT_API void *gort_calloc(size_t count, size_t n) {
    size_t total;
    if (__builtin_mul_overflow(count, n, &total))
        return enomem();
    if (total > MAX_SMALL_SIZE)
        return malloc_large(total, PAGE_SIZE, false, true);
    void *p = malloc_small(total, false);
    if (p)
        memset(p, 0, total);
    return p;
}

GORT_API void *gort_aligned_alloc(size_t align, size_t n) {
    if (align == 0 || (align & (align - 1))) {
        errno = EINVAL;
        return NULL;
    }
    if (align <= 16)
        return gort_malloc(n < align ? align : n);
    if (align <= PAGE_SIZE && n <= MAX_SMALL_SIZE) {
        /* A class whose size is a multiple of align puts every object on
           an align boundary (spans start on a page); the power-of-two
           classes 32 .. 8192 guarantee one exists. */
        uint32_t sc = size_to_class(n < align ? align : n);
        while (sc < NUM_SIZE_CLASSES && class_to_size[sc] % align)
            sc++;
        if (sc < NUM_SIZE_CLASSES)
            return malloc_small(class_to_size[sc], false);
    }
    return malloc_large(n, align < PAGE_SIZE ? PAGE_SIZE : align, false, false);
}

/* ---- free ------------------------------------------------------------ */

/* p is not the start of a block gort has in use: say why, and die. */
static _Noreturn void badpointer(const void *p, const char *what) {
    uintptr_t a = (uintptr_t)p;
    mspan *s = spanof(a);
    char msg[96];
    if (!s || (a >> ADDR_BITS) != 0) {
        snprintf(msg, sizeof msg, "%s of pointer not allocated by gort", what);
        mthrow(msg, p);
    }
    /* A page of a free run (the map may still name an old span there). */
    if (s->state != MSPAN_INUSE || a - s->base >= s->npages * PAGE_SIZE)
        mthrow(strcmp(what, "free") == 0 ? "double free" : "use of freed block", p);
    snprintf(msg, sizeof msg, "%s of pointer inside a block", what);
    mthrow(msg, p);
}

static inline bool isblock(const mspan *s, uintptr_t a) {
    if (unlikely(s->state != MSPAN_INUSE))
        return false;
    if (s->spanclass < 2)
        return a == s->base;
    uint32_t idx;
    return span_blockindex(s, a, &idx);
}

/* The span in use that p is the start of a block of; fatal otherwise. */
static inline mspan *blockspan(const void *p, const char *what) {
    mspan *s = spanof((uintptr_t)p);
    if (unlikely(!s || !isblock(s, (uintptr_t)p)))
        badpointer(p, what);
    return s;
}

/* Everything freefast leaves: NULL, large objects, the debug option,
   remote frees, and pointers that are not gort's blocks. */
void free_generic(void *p, mspan *s) {
    if (!p)
        return;
    uintptr_t a = (uintptr_t)p;
    if (unlikely(!s || !isblock(s, a)))
        badpointer(p, "free");
    if (s->spanclass < 2) {
        mheap_free(s);
        return;
    }
    if (mem_debug)
        memset(p, DEBUG_POISON, s->elemsize);
    mcache *c = tls_bound;
    if (c && (mowner *)c == atomic_load_explicit(&s->owner, memory_order_relaxed)) {
        if (!span_freeindex(s, span_objindex(s, a)))
            mthrow("double free", p);
        mcache_freed(c, s);
        return;
    }
    if (c)
        atomic_store_explicit(&c->xfrees, atomic_load_explicit(&c->xfrees, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&mcache_deadxfrees, 1, memory_order_relaxed);
    span_xpush(s, p);
}

GORT_API void gort_free(void *p) {
    freefast(p);
}

GORT_API size_t gort_usable_size(const void *p) {
    if (!p)
        return 0;
    mspan *s = blockspan(p, "usable_size");
    return s->spanclass >= 2 ? s->elemsize : s->npages * PAGE_SIZE;
}

GORT_API void *gort_realloc(void *p, size_t n) {
    if (!p)
        return gort_malloc(n);
    if (n == 0) {
        gort_free(p);
        return NULL;
    }
    mspan *s = blockspan(p, "realloc");
    size_t old;
    if (s->spanclass >= 2) {
        old = s->elemsize;
        if (n <= MAX_SMALL_SIZE && size_to_class(n) == spanclass_sizeclass(s->spanclass))
            return p;
    } else {
        old = s->npages * PAGE_SIZE;
        uintptr_t np = (n + PAGE_SIZE - 1) / PAGE_SIZE;
        if (n > MAX_SMALL_SIZE && np <= s->npages && np > s->npages / 2)
            return p;
    }
    bool noscan = s->spanclass & 1;
    void *q = noscan ? gort_malloc_noscan(n) : gort_malloc(n);
    if (!q)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    gort_free(p);
    return q;
}

/* ---- fork ------------------------------------------------------------ */

/* Every allocator lock is held across fork, so the child's copy of the
   heap is consistent; the child then resets them (their holders are the
   parent's threads).  Caches of the parent's other threads stay owned by
   threads that do not exist in the child: their spans' blocks can still
   be freed (remotely), their free objects are not reused. */
static void forkprepare(void) {
    memlock_lock(&mcache_poollock);
    for (int i = 0; i < NUM_SPAN_CLASSES; i++)
        memlock_lock(&mcentrals[i].lock);
    memlock_lock(&mheap_.lock);
}

static void forkparent(void) {
    memlock_unlock(&mheap_.lock);
    for (int i = NUM_SPAN_CLASSES - 1; i >= 0; i--)
        memlock_unlock(&mcentrals[i].lock);
    memlock_unlock(&mcache_poollock);
}

static void forkchild(void) {
    memlock_reinit(&mheap_.lock);
    for (int i = 0; i < NUM_SPAN_CLASSES; i++)
        memlock_reinit(&mcentrals[i].lock);
    memlock_reinit(&mcache_poollock);
}

__attribute__((constructor)) static void mem_atfork(void) {
    pthread_atfork(forkprepare, forkparent, forkchild);
}
