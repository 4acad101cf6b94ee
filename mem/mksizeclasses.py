#!/usr/bin/env python3
"""mksizeclasses.py - generates mem/sizeclasses.h, gort's size-class table.

Run from the repository root:  python3 mem/mksizeclasses.py > mem/sizeclasses.h

This is the algorithm of Go's runtime/mksizeclasses.go with one change: the
alignment steps to 16 bytes at 16 instead of 32, because C needs every block
of 16 bytes or more 16-byte aligned (DESIGN.md, "Memory").  That removes Go's
24-byte class and nothing else; run with --go to print Go's own table (68
classes) and compare it with runtime/sizeclasses.go.

The algorithm: walk sizes upward in steps of the current alignment (8, then
16, then size/8 from 128, then 256 from 2048); for each size take the
smallest number of 8 KiB pages that wastes at most 1/8 of the span on the
tail; merge a size into the previous class when both give the same pages and
the same object count; finally grow each class to the largest size (a
multiple of 128 for big ones) that still fits that many objects.

Span sizes: Go's, except that --min-objects N raises a class's span, up
to 16 pages, until it holds at least N objects (keeping the 1/8 waste
bound); sizeclasses.h is generated with --min-objects 64.  Go's 8 KiB spans
hold only 4..16 objects from 512 bytes up; that suits Go, whose spans are
swept by the collector, but a per-P cache that frees explicitly then
switches spans every few allocations when a class's live objects are about
one span's worth.  Measured with bench/alloc/run.sh (5 runs, medians, CPU
ns per operation, gort / best of glibc, jemalloc, tcmalloc, mimalloc), Go's
spans -> --min-objects 32: st 1.53 -> 1.20, xthread 1.11 -> 0.87, larson
1.32 -> 0.80; peak RSS 0.77 -> 0.82 of mimalloc's.  32 -> 64 (with the
shorter fast paths of fastpath.h): the single-thread benchmark's refills
fall from 16,074 to 1,371 per million mallocs (callgrind: 143.6M -> 139.6M
instructions for 2M operations) and larson's CPU time by about 13%; peak
RSS rises by 3-6% (xthread 4220 -> 4476 KiB, mimalloc 4664).  The object
sizes (the size classes proper) are Go's either way; --min-objects 0 gives
Go's spans.

For each class it also emits divmul = ceil(2^32 / size), so that an object's
index is (offset * divmul) >> 32 for any offset inside the span (Go's
divMagic), and the offset is a multiple of the size exactly when the low 32
bits of that product are below divmul (checked here for every byte offset
of every class: free uses it to reject a pointer inside a block); and the
two lookup tables that map a request size to its class.
"""
import sys

PAGE_SHIFT = 13
PAGE_SIZE = 1 << PAGE_SHIFT
MAX_SMALL = 32768
SMALL_SIZE_DIV = 8
SMALL_SIZE_MAX = 1024
LARGE_SIZE_DIV = 128


def pow2(x):
    return x & (x - 1) == 0


def raise_spans(classes, min_objects):
    out = [(0, 0)]
    for size, npages in classes[1:]:
        n = max(npages, min(16, -(-min_objects * size // PAGE_SIZE)))
        while (n * PAGE_SIZE) % size > n * PAGE_SIZE // 8:
            n += 1
        out.append((size, n))
    return out


def make_classes(go_original):
    classes = [(0, 0)]  # class 0: large objects
    align = 8
    size = align
    while size <= MAX_SMALL:
        if pow2(size):
            if size >= 2048:
                align = 256
            elif size >= 128:
                align = size // 8
            elif size >= (32 if go_original else 16):
                align = 16
        alloc = PAGE_SIZE
        while alloc % size > alloc // 8:
            alloc += PAGE_SIZE
        npages = alloc // PAGE_SIZE
        if len(classes) > 1:
            psize, pnpages = classes[-1]
            if npages == pnpages and alloc // size == alloc // psize:
                classes[-1] = (size, npages)
                size += align
                continue
        classes.append((size, npages))
        size += align
    out = [(0, 0)]
    for size, npages in classes[1:]:
        span = npages * PAGE_SIZE
        grown = (span // (span // size)) & ~(LARGE_SIZE_DIV - 1)
        out.append((max(size, grown), npages))
    return out


def check(classes):
    for i, (size, npages) in enumerate(classes[1:], 1):
        if size >= 16 and size % 16:
            sys.exit("class %d: size %d not 16-byte aligned" % (i, size))
        if i > 1 and size <= classes[i - 1][0]:
            sys.exit("class %d: sizes not increasing" % i)
        span = npages * PAGE_SIZE
        nelems = span // size
        divmul = (1 << 32) // size + 1 if size & (size - 1) else (1 << 32) // size
        for off in range(0, nelems * size):
            # The index, and exactness from the low 32 bits (span_blockindex).
            m = off * divmul
            if m >> 32 != off // size or ((m & 0xffffffff) < divmul) != (off % size == 0):
                sys.exit("class %d: divmul wrong at %d" % (i, off))
        if nelems > 1024:
            sys.exit("class %d: %d objects per span, bitmap holds 1024" % (i, nelems))


def main():
    args = sys.argv[1:]
    go_original = "--go" in args
    min_objects = 0
    if "--min-objects" in args:
        min_objects = int(args[args.index("--min-objects") + 1])
    classes = make_classes(go_original)
    if min_objects:
        classes = raise_spans(classes, min_objects)
    if go_original:
        for i, (size, npages) in enumerate(classes):
            print(i, size, npages * PAGE_SIZE)
        return
    check(classes)
    n = len(classes)
    w = sys.stdout.write
    w("/* Code generated by mem/mksizeclasses.py; DO NOT EDIT. */\n")
    w("/*\n * sizeclasses.h - gort's size classes: Go's table less its 24-byte class%s.\n"
      % (", spans of at least %d objects (see mksizeclasses.py)" % min_objects if min_objects else ""))
    w(" * Regenerate with: python3 mem/mksizeclasses.py%s > mem/sizeclasses.h\n *\n"
      % (" --min-objects %d" % min_objects if min_objects else ""))
    w(" * class  bytes/obj  bytes/span  objects  tail waste  max waste\n")
    for i, (size, npages) in enumerate(classes[1:], 1):
        span = npages * PAGE_SIZE
        prev = classes[i - 1][0]
        nelems = span // size
        tail = span - nelems * size
        maxwaste = float((size - prev - 1) * nelems + tail) / span * 100
        w(" * %5d  %9d  %10d  %7d  %10d  %8.2f%%\n" % (i, size, span, nelems, tail, maxwaste))
    w(" */\n#ifndef GORT_MEM_SIZECLASSES_H\n#define GORT_MEM_SIZECLASSES_H\n\n#include <stdint.h>\n\n")
    w("#define PAGE_SHIFT %d\n#define PAGE_SIZE %d\n" % (PAGE_SHIFT, PAGE_SIZE))
    w("#define MAX_SMALL_SIZE %d\n#define NUM_SIZE_CLASSES %d\n" % (MAX_SMALL, n))
    w("#define SMALL_SIZE_DIV %d\n#define SMALL_SIZE_MAX %d\n#define LARGE_SIZE_DIV %d\n\n"
      % (SMALL_SIZE_DIV, SMALL_SIZE_MAX, LARGE_SIZE_DIV))

    def table(ctype, name, vals):
        w("static const %s %s[%d] = {" % (ctype, name, len(vals)))
        for j, v in enumerate(vals):
            w(("\n    " if j % 12 == 0 else " ") + "%d," % v)
        w("\n};\n\n")

    table("uint16_t", "class_to_size", [c[0] for c in classes])
    table("uint8_t", "class_to_allocnpages", [c[1] for c in classes])
    divs = [0] + [((1 << 32) // s + (1 if s & (s - 1) else 0)) & 0xffffffff for s, _ in classes[1:]]
    # A power of two needs no rounding; 2^32/1 does not occur (smallest size is 8).
    table("uint32_t", "class_to_divmul", divs)

    def class_of(size):
        for i, (s, _) in enumerate(classes[1:], 1):
            if s >= size:
                return i
        raise ValueError(size)

    s8 = [class_of(max(1, i * SMALL_SIZE_DIV)) for i in range(SMALL_SIZE_MAX // SMALL_SIZE_DIV + 1)]
    s128 = [class_of(SMALL_SIZE_MAX + i * LARGE_SIZE_DIV) for i in
            range((MAX_SMALL - SMALL_SIZE_MAX) // LARGE_SIZE_DIV + 1)]
    s8[0] = class_of(1)  # malloc(0) gets a unique 8-byte block
    table("uint8_t", "size_to_class8", s8)
    table("uint8_t", "size_to_class128", s128)
    w("#endif /* GORT_MEM_SIZECLASSES_H */\n")


main()
