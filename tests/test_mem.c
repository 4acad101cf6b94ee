/*
 * test_mem.c - the allocator on one thread: size classes, the span bitmap,
 * mcentral and mheap refill and release, coalescing, large objects, the
 * API's rules, a random stress with pattern checks, the scavenger, fatal
 * errors and the debug option.  Criterion runs each test in a fresh
 * process, so each starts with an empty heap.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "gort.h"
#include "malloc.h"
#include "mem_testutil.h"

/* ---- size classes ------------------------------------------------------ */

Test(mem_sizeclass, smallest_class_that_fits) {
    for (size_t n = 0; n <= MAX_SMALL_SIZE; n++) {
        uint32_t c = size_to_class(n);
        cr_assert(c >= 1 && c < NUM_SIZE_CLASSES, "size %zu: class %u", n, c);
        cr_assert_geq(class_to_size[c], n, "size %zu in class %u of %u", n, c, class_to_size[c]);
        if (c > 1)
            cr_assert_lt(class_to_size[c - 1], n, "size %zu: smaller class %u fits", n, c - 1);
    }
}

Test(mem_sizeclass, alignment_and_waste) {
    for (uint32_t c = 1; c < NUM_SIZE_CLASSES; c++) {
        uint32_t size = class_to_size[c];
        size_t span = (size_t)class_to_allocnpages[c] * PAGE_SIZE;
        if (size >= 16)
            cr_assert_eq(size % 16, 0, "class %u size %u", c, size);
        cr_assert_neq(size, 24, "the 24-byte class is left out");
        cr_assert_leq(span % size, span / 8, "class %u wastes more than 1/8 of its span", c);
        cr_assert_leq(span / size, MAX_OBJS_PER_SPAN);
        if (c > 1)
            cr_assert_gt(size, class_to_size[c - 1]);
        /* Rounding waste: a request just above the previous class. */
        if (c > 2)
            cr_assert_leq((double)(size - class_to_size[c - 1] - 1) / size, 0.5,
                          "class %u rounds up by more than half", c);
    }
    cr_assert_eq(class_to_size[NUM_SIZE_CLASSES - 1], MAX_SMALL_SIZE);
}

Test(mem_sizeclass, divmul_gives_exact_index) {
    for (uint32_t c = 1; c < NUM_SIZE_CLASSES; c++) {
        mspan s = {.base = 0, .divmul = class_to_divmul[c]};
        uint32_t size = class_to_size[c];
        size_t span = (size_t)class_to_allocnpages[c] * PAGE_SIZE;
        for (size_t off = 0; off < span; off += 8)
            cr_assert_eq(span_objindex(&s, off), off / size, "class %u offset %zu", c, off);
    }
}

Test(mem_sizeclass, blockindex_accepts_exactly_block_starts) {
    for (uint32_t c = 1; c < NUM_SIZE_CLASSES; c++) {
        uint32_t size = class_to_size[c];
        size_t span = (size_t)class_to_allocnpages[c] * PAGE_SIZE;
        mspan s = {.base = 1 << 20, .divmul = class_to_divmul[c], .nelems = (uint16_t)(span / size)};
        s.nbytes = (uintptr_t)s.nelems * size;
        /* Every byte of the span and past it, and addresses below it. */
        for (uintptr_t p = s.base - 64; p < s.base + span + 64; p++) {
            uint32_t idx = UINT32_MAX;
            bool want = p >= s.base && p < s.base + s.nbytes && (p - s.base) % size == 0;
            cr_assert_eq(span_blockindex(&s, p, &idx), want, "class %u offset %ld", c,
                         (long)(p - s.base));
            if (want)
                cr_assert_eq(idx, (p - s.base) / size);
        }
        /* An address that aliases a block once its bits above ADDR_BITS
           are dropped (spanof ignores them). */
        uint32_t idx;
        cr_assert(!span_blockindex(&s, s.base + ((uintptr_t)1 << ADDR_BITS), &idx));
    }
}

Test(mem_sizeclass, direct_slots_follow_the_class_table) {
    /* malloc of 1 .. DIRECT_MAX bytes finds its span through
       mcache.direct[]: each gets a span of the class the table says. */
    for (size_t n = 1; n <= DIRECT_MAX; n++) {
        void *p = gort_malloc(n);
        mspan *s = spanof((uintptr_t)p);
        cr_assert_eq(s->spanclass, spanclass_of(size_to_class(n), false), "size %zu", n);
        gort_free(p);
    }
}

/* ---- the API's rules --------------------------------------------------- */

Test(mem_api, alignment_and_usable_size) {
    for (size_t n = 0; n <= 70000; n += (n < 512 ? 1 : 97)) {
        char *p = gort_malloc(n);
        cr_assert_not_null(p);
        uintptr_t a = (uintptr_t)p;
        cr_assert_eq(a % (n >= 16 ? 16 : 8), 0, "size %zu at %p", n, (void *)p);
        size_t u = gort_usable_size(p);
        cr_assert_geq(u, n);
        memset(p, 0xab, u);
        gort_free(p);
    }
    cr_assert_eq(gort_usable_size(NULL), 0);
    gort_free(NULL);
}

Test(mem_api, malloc0_is_unique) {
    void *a = gort_malloc(0), *b = gort_malloc(0);
    cr_assert_not_null(a);
    cr_assert_not_null(b);
    cr_assert_neq(a, b);
    gort_free(a);
    gort_free(b);
}

Test(mem_api, enomem_and_einval) {
    errno = 0;
    cr_assert_null(gort_malloc(SIZE_MAX));
    cr_assert_eq(errno, ENOMEM);
    errno = 0;
    cr_assert_null(gort_malloc(SIZE_MAX / 2));
    cr_assert_eq(errno, ENOMEM);
    FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
    int mode = 1;
    if (f) {
        if (fscanf(f, "%d", &mode) != 1)
            mode = 1;
        fclose(f);
    }
    if (mode != 1) { /* the kernel turns down what it could never back */
        errno = 0;
        cr_assert_null(gort_malloc((size_t)1 << 46), "64 TiB: more than any test machine holds");
        cr_assert_eq(errno, ENOMEM);
    }
    errno = 0;
    cr_assert_null(gort_calloc(SIZE_MAX / 2, 3));
    cr_assert_eq(errno, ENOMEM);
    errno = 0;
    cr_assert_null(gort_calloc((size_t)1 << 33, (size_t)1 << 33));
    cr_assert_eq(errno, ENOMEM);
    errno = 0;
    cr_assert_null(gort_aligned_alloc(48, 100));
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_null(gort_aligned_alloc(0, 100));
    cr_assert_eq(errno, EINVAL);
    void *p = gort_malloc(100);
    errno = 0;
    cr_assert_null(gort_realloc(p, SIZE_MAX));
    cr_assert_eq(errno, ENOMEM);
    gort_free(p); /* realloc's failure left p alone */
}

Test(mem_api, calloc_zeroes_reused_memory) {
    for (size_t n = 8; n <= 300000; n = n * 3 + 5) {
        unsigned char *p = gort_malloc(n);
        memset(p, 0x5a, n);
        gort_free(p);
        unsigned char *q = gort_calloc(1, n);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(q[i], 0, "calloc(%zu)[%zu] = %#x", n, i, q[i]);
        gort_free(q);
    }
}

Test(mem_api, realloc_rules) {
    char *p = gort_malloc(40);
    cr_assert_eq(gort_usable_size(p), 48);
    memcpy(p, "0123456789", 10);
    cr_assert_eq(gort_realloc(p, 44), p, "same class: in place");
    char *q = gort_realloc(p, 5000);
    cr_assert_neq(q, p);
    cr_assert_eq(memcmp(q, "0123456789", 10), 0);
    char *r = gort_realloc(q, 200000);
    cr_assert_eq(memcmp(r, "0123456789", 10), 0);
    cr_assert_eq(gort_realloc(r, 190000), r, "large, same pages: in place");
    char *s = gort_realloc(r, 3);
    cr_assert_eq(memcmp(s, "012", 3), 0);
    cr_assert_null(gort_realloc(s, 0), "realloc(p, 0) frees and returns NULL");
    char *t = gort_realloc(NULL, 10);
    cr_assert_not_null(t);
    gort_free(t);
}

Test(mem_api, aligned_alloc_powers_of_two) {
    for (size_t align = 1; align <= ((size_t)1 << 22); align <<= 1) {
        size_t sizes[] = {1, align / 2 + 1, align, 3 * align + 7, 40000};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            char *p = gort_aligned_alloc(align, sizes[i]);
            cr_assert_not_null(p, "align %zu size %zu", align, sizes[i]);
            cr_assert_eq((uintptr_t)p % align, 0, "align %zu size %zu: %p", align, sizes[i], p);
            cr_assert_geq(gort_usable_size(p), sizes[i]);
            memset(p, 1, sizes[i]);
            gort_free(p);
        }
    }
}

Test(mem_api, noscan_has_its_own_spans) {
    void *a = gort_malloc(64), *b = gort_malloc_noscan(64);
    mspan *sa = spanof((uintptr_t)a), *sb = spanof((uintptr_t)b);
    cr_assert_neq(sa, sb);
    cr_assert_eq(sa->spanclass & 1, 0);
    cr_assert_eq(sb->spanclass & 1, 1);
    cr_assert_eq(spanclass_sizeclass(sb->spanclass), size_to_class(64));
    void *c = gort_realloc(b, 1000);
    cr_assert_eq(spanof((uintptr_t)c)->spanclass & 1, 1, "realloc keeps noscan");
    gort_free(a);
    gort_free(c);
}

/* ---- the span bitmap --------------------------------------------------- */

/* Fills one fresh span of the class of size; returns its objects. */
static void **fillspan(size_t size, uint32_t *nelems) {
    void *first = gort_malloc(size);
    mspan *s = spanof((uintptr_t)first);
    cr_assert_eq(s->allocCount, 1, "a fresh span");
    void **objs = malloc(s->nelems * sizeof *objs);
    objs[0] = first;
    for (uint32_t i = 1; i < s->nelems; i++) {
        objs[i] = gort_malloc(size);
        cr_assert_eq(spanof((uintptr_t)objs[i]), s, "object %u left its span", i);
    }
    cr_assert_eq(s->allocCount, s->nelems);
    *nelems = s->nelems;
    return objs;
}

Test(mem_bitmap, every_object_once_then_next_span) {
    size_t sizes[] = {8, 48, 1024, 3200, 32768}; /* 1024, 170, 32, 35, 4 objects */
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint32_t n;
        void **objs = fillspan(sizes[k], &n);
        mspan *s = spanof((uintptr_t)objs[0]);
        for (uint32_t i = 0; i < n; i++) {
            uintptr_t a = (uintptr_t)objs[i];
            cr_assert_eq((a - s->base) % s->elemsize, 0);
            for (uint32_t j = 0; j < i; j++)
                cr_assert_neq(objs[j], objs[i]);
        }
        void *more = gort_malloc(sizes[k]);
        cr_assert_neq(spanof((uintptr_t)more), s, "a full span gave another object");
        /* A freed object in the set-aside span is found again once the
           new span is used up... here: freed last word's edge objects. */
        gort_free(more);
        for (uint32_t i = 0; i < n; i++)
            gort_free(objs[i]);
        free(objs);
    }
}

Test(mem_bitmap, word_edges_are_reused) {
    uint32_t n;
    void **objs = fillspan(8, &n); /* 1024 objects: 16 bitmap words */
    mspan *s = spanof((uintptr_t)objs[0]);
    uint32_t edges[] = {0, 63, 64, 127, 511, 512, 1023};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        gort_free(objs[edges[i]]);
    cr_assert_eq(s->allocCount, (int32_t)n - 7);
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        void *p = gort_malloc(8);
        bool found = false;
        for (size_t j = 0; j < sizeof edges / sizeof edges[0]; j++)
            found |= p == objs[edges[j]];
        cr_assert(found, "reallocation %zu did not reuse a freed edge object", i);
    }
    cr_assert_eq(s->allocCount, (int32_t)n);
    for (uint32_t i = 0; i < n; i++)
        gort_free(objs[i]);
    free(objs);
}

/* ---- mcentral and mheap ------------------------------------------------ */

static uint64_t class_spans(uint32_t sc) {
    gort_memstats ms;
    gort_read_memstats(&ms);
    return ms.class_spans[sc];
}

Test(mem_heap, spans_return_to_heap_when_empty) {
    enum { N = 5000 };
    static void *p[N];
    uint32_t sc = size_to_class(256);
    for (int i = 0; i < N; i++)
        p[i] = gort_malloc(256);
    uint64_t spans = class_spans(sc);
    cr_assert_geq(spans, N / (class_to_allocnpages[sc] * PAGE_SIZE / 256));
    for (int i = 0; i < N; i++)
        gort_free(p[i]);
    cr_assert_leq(class_spans(sc), 1 + KEEP_PARTIAL, "only the current span and a few empty ones may stay");
    for (int i = 0; i < N; i++)
        p[i] = gort_malloc(256);
    cr_assert_eq(class_spans(sc), spans, "refilled from the heap again");
    for (int i = 0; i < N; i++)
        gort_free(p[i]);
}

Test(mem_heap, coalescing) {
    char *a = gort_malloc(100 * PAGE_SIZE);
    char *b = gort_malloc(100 * PAGE_SIZE);
    char *c = gort_malloc(100 * PAGE_SIZE);
    char *d = gort_malloc(100 * PAGE_SIZE);
    cr_assert_eq(b, a + 100 * PAGE_SIZE);
    cr_assert_eq(c, b + 100 * PAGE_SIZE);
    gort_free(a);
    gort_free(c);
    mspan *ra = spanof((uintptr_t)a), *rc = spanof((uintptr_t)c);
    cr_assert_eq(ra->state, MSPAN_FREE);
    cr_assert_eq(ra->npages, 100);
    cr_assert_eq(rc->state, MSPAN_FREE);
    cr_assert_eq(rc->npages, 100);
    gort_free(b);
    mspan *r = spanof((uintptr_t)a);
    cr_assert_eq(r->state, MSPAN_FREE);
    cr_assert_eq(r->base, (uintptr_t)a);
    cr_assert_eq(r->npages, 300, "a, b and c merged into one run");
    cr_assert_eq(spanof((uintptr_t)c + 100 * PAGE_SIZE - 1), r, "the run's last page maps to it");
    /* A 300-page request now fits exactly where a was. */
    char *e = gort_malloc(300 * PAGE_SIZE);
    cr_assert_eq(e, a);
    gort_free(e);
    gort_free(d);
}

Test(mem_heap, large_objects) {
    size_t sizes[] = {32769, 65536, 1 << 20, 10 << 20, 100 << 20, 200 << 20};
    gort_memstats before, during;
    gort_read_memstats(&before);
    char *p[6];
    for (int i = 0; i < 6; i++) {
        p[i] = gort_malloc(sizes[i]);
        cr_assert_not_null(p[i]);
        cr_assert_eq((uintptr_t)p[i] % PAGE_SIZE, 0);
        cr_assert_geq(gort_usable_size(p[i]), sizes[i]);
        p[i][0] = 1;
        p[i][sizes[i] - 1] = 2;
    }
    gort_read_memstats(&during);
    cr_assert_eq(during.nlarge, before.nlarge + 6);
    cr_assert_geq(during.large_inuse, before.large_inuse + (311 << 20));
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(p[i][0], 1);
        cr_assert_eq(p[i][sizes[i] - 1], 2);
        gort_free(p[i]);
    }
    gort_read_memstats(&during);
    cr_assert_eq(during.nlarge, before.nlarge);
}

/* ---- random stress ----------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static size_t randsize(void) {
    uint64_t r = next();
    switch (r % 64) {
    case 0: return 32768 + (r >> 8) % 200000;     /* large */
    case 1: case 2: case 3: case 4:
        return (r >> 8) % 33000;                  /* any small class */
    default: return (r >> 8) % 1025;             /* mostly up to 1 KiB */
    }
}

Test(mem_stress, random_operations_with_patterns, .timeout = 120) {
    enum { SLOTS = 4096 };
    static unsigned char *p[SLOTS];
    static size_t len[SLOTS];
    long ops = SCALE(2000000);
    for (long i = 0; i < ops; i++) {
        uint64_t r = next();
        size_t k = r % SLOTS;
        if (p[k]) {
            unsigned char pat = (unsigned char)(k * 31 + len[k]);
            size_t checks[3] = {0, len[k] / 2, len[k] - 1};
            for (int j = 0; j < 3; j++)
                if (len[k])
                    cr_assert_eq(p[k][checks[j]], pat, "slot %zu byte %zu", k, checks[j]);
            if ((r >> 40) % 4 == 0) {
                size_t n = randsize();
                unsigned char *q = gort_realloc(p[k], n ? n : 1);
                cr_assert_not_null(q);
                size_t keep = len[k] < n ? len[k] : n;
                for (size_t j = 0; j < keep; j += 61)
                    cr_assert_eq(q[j], pat);
                p[k] = q;
                len[k] = n ? n : 1;
                memset(q, (unsigned char)(k * 31 + len[k]), len[k]);
            } else {
                gort_free(p[k]);
                p[k] = NULL;
            }
        } else {
            len[k] = randsize();
            p[k] = (r >> 40) % 8 == 0 ? gort_calloc(1, len[k]) : gort_malloc(len[k]);
            cr_assert_not_null(p[k]);
            cr_assert_eq((uintptr_t)p[k] % (len[k] >= 16 ? 16 : 8), 0);
            memset(p[k], (unsigned char)(k * 31 + len[k]), len[k]);
        }
    }
    for (size_t k = 0; k < SLOTS; k++)
        gort_free(p[k]);
    gort_free_os_memory();
    gort_memstats ms;
    gort_read_memstats(&ms);
    cr_assert_eq(ms.nlarge, 0);
    uint64_t current = 0; /* at most one current span per class may stay */
    for (uint32_t c = 1; c < NUM_SIZE_CLASSES; c++)
        current += (uint64_t)class_to_allocnpages[c] * PAGE_SIZE;
    cr_assert_leq(ms.heap_inuse, current, "only current spans are left, got %lu bytes",
                  (unsigned long)ms.heap_inuse);
}

/* ---- the scavenger ----------------------------------------------------- */

static long resident_pages(void *p, size_t n) {
    size_t pages = n / 4096;
    unsigned char *vec = malloc(pages);
    cr_assert_eq(mincore(p, n, vec), 0);
    long r = 0;
    for (size_t i = 0; i < pages; i++)
        r += vec[i] & 1;
    free(vec);
    return r;
}

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long size, res;
    cr_assert_eq(fscanf(f, "%ld %ld", &size, &res), 2);
    fclose(f);
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

Test(mem_scavenge, rss_falls_after_a_burst, .timeout = 60) {
    size_t burst = MEM_SANITIZED ? (48 << 20) : (256 << 20);
    size_t nsmall = burst / 2 / 4096, nlarge = burst / 2 / (1 << 20);
    char **small = malloc(nsmall * sizeof *small), **large = malloc(nlarge * sizeof *large);
    long before = rss_kb();
    for (size_t i = 0; i < nsmall; i++)
        memset(small[i] = gort_malloc(4096), 1, 4096);
    for (size_t i = 0; i < nlarge; i++)
        memset(large[i] = gort_malloc(1 << 20), 1, 1 << 20);
    long peak = rss_kb();
    cr_assert_geq(peak - before, (long)(burst / 1024) * 9 / 10, "the burst is resident");
    cr_assert_eq(resident_pages(large[0], 1 << 20), 256);
    for (size_t i = 0; i < nsmall; i++)
        gort_free(small[i]);
    for (size_t i = 0; i < nlarge; i++)
        gort_free(large[i]);
    long after = rss_kb();
    gort_memstats ms;
    gort_read_memstats(&ms);
    cr_assert_geq(ms.heap_released, burst * 8 / 10, "released %lu of a %zu burst",
                  (unsigned long)ms.heap_released, burst);
    cr_assert_eq(resident_pages(large[0], 1 << 20), 0, "a freed large block is still resident");
    cr_assert_eq(resident_pages(large[nlarge / 2], 1 << 20), 0);
    if (!MEM_SANITIZED) /* shadow memory stays resident under a sanitizer */
        cr_assert_leq(after - before, (long)(burst / 1024) / 10,
                      "RSS before %ld kB, peak %ld kB, after %ld kB", before, peak, after);
    free(small);
    free(large);
}

Test(mem_scavenge, steady_churn_keeps_pages) {
    /* Freeing and reallocating a working set below the bound costs no
       madvise: the scavenger leaves SCAV_KEEP_MIN of idle pages alone. */
    gort_memstats a, b;
    void *p[64];
    for (int round = 0; round < 50; round++) {
        if (round == 1)
            gort_read_memstats(&a);
        for (int i = 0; i < 64; i++)
            p[i] = gort_malloc(40000);
        for (int i = 0; i < 64; i++)
            gort_free(p[i]);
    }
    gort_read_memstats(&b);
    cr_assert_eq(b.nscavenge, a.nscavenge);
}

/* ---- fatal errors ------------------------------------------------------ */

static void double_free_small(void) {
    void *p = gort_malloc(32);
    gort_free(p);
    gort_free(p);
}
static void double_free_large(void) {
    void *p = gort_malloc(100000);
    gort_free(p);
    gort_free(p);
}
static void free_foreign(void) {
    int x = 0;
    gort_malloc(8); /* the heap exists */
    gort_free(&x);
}
static void free_libc_block(void) {
    gort_free(malloc(100));
}
static void free_inside_block(void) {
    char *p = gort_malloc(100);
    gort_free(p + 16);
}
static void free_inside_large(void) {
    char *p = gort_malloc(100000);
    gort_free(p + PAGE_SIZE);
}
static void free_above_address_bits(void) {
    /* Its low bits name a live block: the span map, which ignores the
       high bits, finds that block's span, and free must still refuse. */
    char *p = gort_malloc(64);
    gort_free((void *)((uintptr_t)p | (uintptr_t)1 << 50));
}
static void double_free_debug(void) {
    setenv("GORT_MALLOC_DEBUG", "1", 1);
    void *p = gort_malloc(32);
    gort_free(p);
    gort_free(p);
}
static void usable_size_foreign(void) {
    int x = 0;
    gort_usable_size(&x);
}
static void *remote_free(void *p) {
    gort_free(p);
    return NULL;
}
static void double_free_remote(void) {
    /* Freed twice by another thread: caught when the owner takes the
       blocks back. */
    void *objs[8];
    for (int i = 0; i < 8; i++)
        objs[i] = gort_malloc(1024);
    pthread_t t;
    pthread_create(&t, NULL, remote_free, objs[3]);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, remote_free, objs[3]);
    pthread_join(t, NULL);
    for (int i = 0; i < 100; i++)
        gort_malloc(1024);
}

Test(mem_fatal, messages_and_exit_status) {
    expect_fatal(double_free_small, "fatal error: double free");
    expect_fatal(double_free_large, "fatal error: double free");
    expect_fatal(free_foreign, "fatal error: free of pointer not allocated by gort");
    expect_fatal(free_libc_block, "fatal error: free of pointer not allocated by gort");
    expect_fatal(free_inside_block, "fatal error: free of pointer inside a block");
    expect_fatal(free_inside_large, "fatal error: free of pointer inside a block");
    expect_fatal(free_above_address_bits, "fatal error: free of pointer not allocated by gort");
    expect_fatal(double_free_debug, "fatal error: double free");
    expect_fatal(usable_size_foreign, "fatal error: usable_size of pointer not allocated by gort");
    expect_fatal(double_free_remote, "fatal error: double free");
}

static void write_after_free(void) {
    setenv("GORT_MALLOC_DEBUG", "1", 1);
    char *p = gort_malloc(200);
    gort_free(p);
    p[100] = 'x';
    for (int i = 0; i < 1000; i++)
        gort_malloc(200);
}

Test(mem_fatal, debug_option_catches_write_after_free) {
    expect_fatal(write_after_free, "fatal error: write to freed block");
}

/* The debug option routes every malloc and free through the checked
   paths: a random mix of sizes, local and large, runs clean and really
   poisons what it frees. */
static void debug_churn(void) {
    setenv("GORT_MALLOC_DEBUG", "1", 1);
    enum { SLOTS = 200 };
    static unsigned char *slot[SLOTS];
    static size_t len[SLOTS];
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned k = (unsigned)(x % SLOTS);
        if (slot[k]) {
            for (size_t j = 0; j < len[k]; j++)
                if (slot[k][j] != (unsigned char)k)
                    _exit(3);
            gort_free(slot[k]);
            slot[k] = NULL;
        } else {
            len[k] = x >> 60 ? 1 + (x >> 32) % 1500 : 40000;
            slot[k] = gort_malloc(len[k]);
            memset(slot[k], (int)k, len[k]);
        }
    }
    unsigned char *p = gort_malloc(100);
    gort_free(p);
    if (p[50] != DEBUG_POISON)
        _exit(4);
}

Test(mem_fatal, debug_option_runs_clean) {
    char buf[256];
    fflush(NULL);
    int st = forkrun(debug_churn, buf, sizeof buf);
    cr_assert_eq(st, 0, "exit status %d, stderr: %s", st, buf);
}
