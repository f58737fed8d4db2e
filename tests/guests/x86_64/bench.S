/*
 * uint64_t bench_tight(n): the worst case for per-block costs, a loop of
 * three-instruction blocks run n times.  bench_tight_body is its one block.
 */
    .text
    .global bench_tight, bench_tight_body
    .type   bench_tight, @function
bench_tight:
    xor     %eax, %eax
    xor     %ecx, %ecx
bench_tight_body:
    inc     %rcx
    xor     %rcx, %rax
    cmp     %rdi, %rcx
    jb      bench_tight_body
    ret
    .size   bench_tight, . - bench_tight

    .section .note.GNU-stack, "", @progbits
