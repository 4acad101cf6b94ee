/*
 * override.c - libgort-malloc.so: the C library's allocation functions on
 * gort's allocator, so that LD_PRELOAD=libgort-malloc.so runs an unmodified
 * program on it.
 *
 * Safe at process start: nothing here or below allocates with anything but
 * mmap (the heap, span records and caches come from mem_linux.c), so the
 * dynamic loader's and dlsym's calls before main, and calls from inside
 * pthread_setspecific, never recurse into a libc allocator.  Fork-safe:
 * malloc.c's atfork handlers hold every allocator lock across fork.  A
 * thread's cache goes back to the mcentrals when the thread exits.
 *
 * The library uses initial-exec TLS: load it with LD_PRELOAD (or link it),
 * not with dlopen.
 *
 * glibc-compatible corner cases: memalign, valloc and pvalloc round a
 * non-power-of-two alignment up as glibc does; posix_memalign reports
 * EINVAL for an alignment that is not a power-of-two multiple of
 * sizeof(void *).
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include "fastpath.h"
#include "gort.h"

#define EXPORT __attribute__((visibility("default")))

/* malloc and free are the fast paths themselves (fastpath.h), not a jump
   through the PLT to gort_malloc and gort_free. */
EXPORT void *malloc(size_t n) { return mallocfast(n); }
EXPORT void free(void *p) { freefast(p); }
EXPORT void *calloc(size_t count, size_t n) { return gort_calloc(count, n); }
EXPORT void *realloc(void *p, size_t n) { return gort_realloc(p, n); }
EXPORT size_t malloc_usable_size(void *p) { return gort_usable_size(p); }
EXPORT void *aligned_alloc(size_t align, size_t n) { return gort_aligned_alloc(align, n); }

EXPORT void *reallocarray(void *p, size_t count, size_t n) {
    size_t total;
    if (__builtin_mul_overflow(count, n, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return gort_realloc(p, total);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n) {
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    int saved = errno;
    void *p = gort_aligned_alloc(align, n);
    errno = saved;
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

EXPORT void *memalign(size_t align, size_t n) {
    if (align & (align - 1)) { /* glibc rounds up to a power of two */
        size_t a = 1;
        while (a < align && a)
            a <<= 1;
        if (!a) {
            errno = EINVAL;
            return NULL;
        }
        align = a;
    }
    return gort_aligned_alloc(align ? align : 1, n);
}

static size_t syspage(void) {
    static size_t pg;
    if (!pg)
        pg = (size_t)sysconf(_SC_PAGESIZE);
    return pg;
}

EXPORT void *valloc(size_t n) { return gort_aligned_alloc(syspage(), n); }

EXPORT void *pvalloc(size_t n) {
    size_t pg = syspage();
    if (n > SIZE_MAX - pg) {
        errno = ENOMEM;
        return NULL;
    }
    return gort_aligned_alloc(pg, (n + pg - 1) & ~(pg - 1));
}
