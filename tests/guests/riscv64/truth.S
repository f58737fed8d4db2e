/*
 * truth_run(buf, out, x, y) for the riscv64 truth guest (common/truth.c).
 * truth_store is the third instruction of the block that starts at the
 * function's entry; the auipc/addi pair right after it computes its
 * address from the PC.  riscv64 has no flags register: out[1] = 0.
 */

    .text
    .p2align 6
    .global truth_run, truth_store
    .type   truth_run, @function
truth_run:
    add     t0, a2, a3
    sub     t1, a2, a3
truth_store:
    sd      t0, 0(a0)
1:  auipc   t2, %pcrel_hi(truth_store)
    addi    t2, t2, %pcrel_lo(1b)
    sd      t2, 0(a1)
    sd      zero, 8(a1)
    ret
    .size   truth_run, . - truth_run
