/*
 * truth_run(buf, out, x, y) for the x86_64 truth guest (common/truth.c).
 * truth_store is the fourth instruction of the block that starts at the
 * function's entry, right after a compare of x with y; the mov does not
 * change the flags, so the pushf right after it saves the flags
 * truth_store ran with, and the lea computes its address from the PC.
 */

    .text
    .p2align 6
    .global truth_run, truth_store
    .type   truth_run, @function
truth_run:
    mov     %rdx, %rax
    add     %rcx, %rax
    cmp     %rcx, %rdx
truth_store:
    mov     %rax, (%rdi)
    pushf
    pop     %r8
    mov     %r8, 8(%rsi)
    lea     truth_store(%rip), %r9
    mov     %r9, (%rsi)
    ret
    .size   truth_run, . - truth_run

    .section .note.GNU-stack, "", @progbits
