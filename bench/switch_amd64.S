/*
 * switch_amd64.S - the bare context switch that yield is measured against.
 *
 * bare_switch(void **save_sp, void *next_sp): pushes the callee-saved
 * registers of the System V ABI (rbp, rbx, r12-r15), stores the stack
 * pointer in *save_sp, loads next_sp and pops the same six registers of
 * the other context, then returns into it with `ret`.  Nothing else: no
 * floating-point control words, no sanitizer hooks, no scheduler.  It is
 * the same instruction sequence as gort's own gort_swapctx
 * (sched/asm_amd64.S) on purpose: the difference between the two figures
 * is then exactly what the scheduler adds.  It is repeated here because a
 * benchmark sees only the public header, and gort_swapctx is hidden.  A
 * new context's stack is laid out by switch.c to look like one that
 * called bare_switch.
 */
    .text
    .globl  bare_switch
    .type   bare_switch, @function
    .p2align 4
bare_switch:
    .cfi_startproc
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    pushq   %rbx
    .cfi_adjust_cfa_offset 8
    pushq   %r12
    .cfi_adjust_cfa_offset 8
    pushq   %r13
    .cfi_adjust_cfa_offset 8
    pushq   %r14
    .cfi_adjust_cfa_offset 8
    pushq   %r15
    .cfi_adjust_cfa_offset 8
    movq    %rsp, (%rdi)
    movq    %rsi, %rsp
    popq    %r15
    .cfi_adjust_cfa_offset -8
    popq    %r14
    .cfi_adjust_cfa_offset -8
    popq    %r13
    .cfi_adjust_cfa_offset -8
    popq    %r12
    .cfi_adjust_cfa_offset -8
    popq    %rbx
    .cfi_adjust_cfa_offset -8
    popq    %rbp
    .cfi_adjust_cfa_offset -8
    ret
    .cfi_endproc
    .size   bare_switch, .-bare_switch

    .section .note.GNU-stack, "", @progbits
