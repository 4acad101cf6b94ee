/*
 * mem_linux.c - the allocator's only door to the OS: mmap, munmap, madvise.
 * See malloc.h for an overview.
 *
 * Arenas are mapped read-write; Linux backs a page on first touch, so
 * mapping is reserving.  (Without MAP_NORESERVE, so that the kernel's
 * overcommit check turns down a request no machine could hold with ENOMEM
 * at once.)  Releasing a page (sys_unused) is
 * MADV_DONTNEED, after which it reads as zeros and costs no RSS until
 * touched again.  Nothing here allocates with malloc: the drop-in library
 * calls this code before libc's own allocator could run.
 */
#include <sys/mman.h>

#include "malloc.h"

_Atomic uint64_t sys_nmaps, sys_mapbytes;

void *sys_map(size_t n, size_t align) {
    size_t len = n + (align > 4096 ? align : 0);
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (align > 4096) {
        char *q = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
        if (q > p)
            munmap(p, (size_t)(q - p));
        if (q + n < p + len)
            munmap(q + n, (size_t)(p + len - (q + n)));
        p = q;
    }
    atomic_fetch_add_explicit(&sys_nmaps, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&sys_mapbytes, n, memory_order_relaxed);
    return p;
}

void sys_unmap(void *p, size_t n) {
    munmap(p, n);
    atomic_fetch_sub_explicit(&sys_nmaps, 1, memory_order_relaxed);
    atomic_fetch_sub_explicit(&sys_mapbytes, n, memory_order_relaxed);
}

void sys_unused(void *p, size_t n) {
    madvise(p, n, MADV_DONTNEED);
}

/* Metadata (mspans, mcaches) is carved from 1 MiB chunks under the heap
   lock and never returned: its types are recycled through free lists. */
void *sys_persistent(size_t n) {
    static char *cur, *end;
    n = (n + 63) & ~(size_t)63;
    if (n >= (1 << 18))
        return sys_map(n, 0);
    if (cur == NULL || (size_t)(end - cur) < n) {
        cur = sys_map(1 << 20, 0);
        end = cur ? cur + (1 << 20) : NULL;
    }
    void *p = cur;
    if (cur)
        cur += n;
    return p;
}
