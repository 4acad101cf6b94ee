/*
 * asm_amd64.S - the goroutine context switch for x86-64 (System V ABI).
 *
 * gort_swapctx(void **save_sp, void *next_sp) pushes the callee-saved
 * registers (rbp, rbx, r12-r15) on the current stack, stores the stack
 * pointer in *save_sp, loads next_sp and pops the same registers from the
 * next stack; its `ret` resumes wherever that context last called
 * gort_swapctx.  Caller-saved registers need no saving: the C caller already
 * assumes the call clobbers them.  The x87 control word and MXCSR are not
 * switched: gort assumes goroutines leave the floating-point environment at
 * its default.
 *
 * A new goroutine's stack is made (stack.c, gctx_init) to look as if it had
 * called gort_swapctx: six register slots, r12 holding the g, and the return
 * address gort_gostart_amd64, which calls gostart(g) and never returns.  Its
 * CFI marks the return address undefined, so a debugger's backtrace of a
 * goroutine ends there cleanly.
 */
	.text
	.globl	gort_swapctx
	.hidden	gort_swapctx
	.type	gort_swapctx, @function
	.p2align 4
gort_swapctx:
	.cfi_startproc
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	pushq	%r14
	.cfi_adjust_cfa_offset 8
	pushq	%r15
	.cfi_adjust_cfa_offset 8
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	popq	%r15
	.cfi_adjust_cfa_offset -8
	popq	%r14
	.cfi_adjust_cfa_offset -8
	popq	%r13
	.cfi_adjust_cfa_offset -8
	popq	%r12
	.cfi_adjust_cfa_offset -8
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	popq	%rbp
	.cfi_adjust_cfa_offset -8
	ret
	.cfi_endproc
	.size	gort_swapctx, .-gort_swapctx

	.globl	gort_gostart_amd64
	.hidden	gort_gostart_amd64
	.type	gort_gostart_amd64, @function
	.p2align 4
gort_gostart_amd64:
	.cfi_startproc
	.cfi_undefined rip
	xorl	%ebp, %ebp
	movq	%r12, %rdi
	call	gostart
	ud2
	.cfi_endproc
	.size	gort_gostart_amd64, .-gort_gostart_amd64

	.section .note.GNU-stack,"",@progbits
