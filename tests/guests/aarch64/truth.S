/*
 * truth_run(buf, out, x, y) for the aarch64 truth guest (common/truth.c).
 * truth_store is the third instruction of the block that starts at the
 * function's entry, right after a compare of x with y; the instructions
 * after it assemble the PSTATE fields gdb shows as cpsr (NZCV, DAIF, the
 * exception level and SPSel; the guest leaves the others clear) and take
 * truth_store's address from the PC with adr.
 */

    .text
    .p2align 6
    .global truth_run, truth_store
    .type   truth_run, %function
truth_run:
    add     x4, x2, x3
    cmp     x2, x3
truth_store:
    str     x4, [x0]
    mrs     x5, nzcv
    mrs     x6, daif
    orr     x5, x5, x6
    mrs     x6, currentel
    orr     x5, x5, x6
    mrs     x6, spsel
    orr     x5, x5, x6
    adr     x6, truth_store
    stp     x6, x5, [x1]
    ret
    .size   truth_run, . - truth_run
