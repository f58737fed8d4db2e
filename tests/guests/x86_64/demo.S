/*
 * uint64_t demo_sum(table): the x86_64 twin of riscv64/demo.S, the demo
 * guest's checksum loop sum = sum * 33 + table[i] for i = 0..63, with the
 * same planted regression: after step 36 it skips an entry, so from
 * i = 37 on it uses table[i + 1].  At demo_step rdi = i, rsi = the entry
 * actually used, rdx = the sum before this step; at demo_done rax = the
 * final sum.  -DDEMO_GOOD builds the loop without the regression.
 */

    .text
    .global demo_sum, demo_step, demo_done
    .type   demo_sum, @function
demo_sum:
    mov     %rdi, %r8               /* entry pointer */
    xor     %ecx, %ecx              /* i */
    xor     %eax, %eax              /* sum */
1:  mov     (%r8), %rsi
    mov     %rcx, %rdi
    mov     %rax, %rdx
demo_step:
    imul    $33, %rax, %rax
    add     %rsi, %rax
    add     $8, %r8
#ifndef DEMO_GOOD
    cmp     $36, %rcx
    jne     2f
    add     $8, %r8                 /* the planted bug: one entry too far */
#endif
2:  inc     %rcx
    cmp     $64, %rcx
    jb      1b
demo_done:
    ret
    .size   demo_sum, . - demo_sum

    .section .note.GNU-stack, "", @progbits
