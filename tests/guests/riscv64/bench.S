/*
 * uint64_t bench_tight(n): the worst case for per-block costs, a loop of
 * three-instruction blocks run n times.  bench_tight_body is its one block.
 */
    .text
    .global bench_tight, bench_tight_body
    .type   bench_tight, @function
bench_tight:
    li      t0, 0
    li      t1, 0
bench_tight_body:
    addi    t0, t0, 1
    xor     t1, t1, t0
    bltu    t0, a0, bench_tight_body
    mv      a0, t1
    ret
    .size   bench_tight, . - bench_tight

    .section .note.GNU-stack, "", @progbits
