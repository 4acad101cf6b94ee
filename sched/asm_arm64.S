/*
 * asm_arm64.S - the goroutine context switch for AArch64 (AAPCS64).
 *
 * The same contract as asm_amd64.S: gort_swapctx(save_sp, next_sp) saves
 * the callee-saved registers x19-x28, the frame pointer x29, the link
 * register x30 and d8-d15 on the current stack, stores sp in *save_sp,
 * switches to next_sp, restores the same set and returns through x30.
 * A new goroutine's frame (stack.c, gctx_init) holds the g in the x19
 * slot and gort_gostart_arm64 in the x30 slot.
 */
	.text
	.globl	gort_swapctx
	.hidden	gort_swapctx
	.type	gort_swapctx, %function
	.p2align 4
gort_swapctx:
	.cfi_startproc
	sub	sp, sp, #160
	.cfi_adjust_cfa_offset 160
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mov	x9, sp
	str	x9, [x0]
	mov	sp, x1
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #160
	.cfi_adjust_cfa_offset -160
	ret
	.cfi_endproc
	.size	gort_swapctx, .-gort_swapctx

	.globl	gort_gostart_arm64
	.hidden	gort_gostart_arm64
	.type	gort_gostart_arm64, %function
	.p2align 4
gort_gostart_arm64:
	.cfi_startproc
	.cfi_undefined x30
	mov	x29, #0
	mov	x0, x19
	bl	gostart
	brk	#0
	.cfi_endproc
	.size	gort_gostart_arm64, .-gort_gostart_arm64

	.section .note.GNU-stack,"",@progbits
