/*
 * switch - the floor under gort_yield: two contexts on two stacks, no
 * scheduler, switching back and forth with bare_switch
 * (switch_amd64.S: callee-saved registers and the stack pointer, ending
 * in `ret`).  Prints ns per switch (a round trip is two).  DESIGN.md's
 * target is a yield within 2x of this.  No Go twin: Go has no bare
 * switch to call; this is the reference for gort's yield, not a race.
 *
 *     switch [N]       (default 20000000 round trips)
 */
#include <stdint.h>
#include <stdlib.h>

#include "bench.h"

void bare_switch(void **save_sp, void *next_sp);

static void *main_sp, *co_sp;

/* The other context: switches straight back, forever. */
static _Noreturn void co_entry(void)
{
    for (;;)
        bare_switch(&co_sp, main_sp);
}

/* Lays out a fresh stack as bare_switch expects to find it: six zeroed
   register slots, then the address `ret` jumps to, then a fake return
   address for co_entry so its frame is aligned as after a call. */
static void *co_stack(size_t size)
{
    uintptr_t *base = malloc(size);
    if (!base) {
        perror("switch: malloc");
        exit(1);
    }
    uintptr_t top = ((uintptr_t)base + size) & ~(uintptr_t)15;
    uintptr_t *sp = (uintptr_t *)top;
    *--sp = 0;                      /* co_entry's return address: never used */
    *--sp = (uintptr_t)co_entry;    /* popped by bare_switch's ret */
    for (int i = 0; i < 6; i++)
        *--sp = 0;                  /* r15 r14 r13 r12 rbx rbp */
    return sp;
}

int main(int argc, char **argv)
{
    long n = bench_arg(argc, argv, 1, 20000000);
    co_sp = co_stack(64 * 1024);
    bare_switch(&main_sp, co_sp);   /* warm up: first entry into co_entry */
    int64_t t0 = gort_now();
    for (long i = 0; i < n; i++)
        bare_switch(&main_sp, co_sp);
    int64_t t1 = gort_now();
    bench_report("switch", (double)(t1 - t0) / (2.0 * (double)n), "ns/op");
    return 0;
}
