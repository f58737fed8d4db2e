/*
 * uint64_t demo_sum(table): the demo guest's checksum loop, with a planted
 * regression for qinsn demonstrations.  It should compute
 * sum = sum * 33 + table[i] for i = 0..63, but after step 36 it skips an
 * entry, so from i = 37 on it uses table[i + 1].  At demo_step a0 = i,
 * a1 = the entry actually used, a2 = the sum before this step; at
 * demo_done a0 = the final sum.  Built with -DDEMO_GOOD it is the loop
 * before the regression (guest-demo-good): the two builds are the good
 * and the bad build of a regression hunt, and their code after demo_step
 * lies at different addresses.
 */

    .text
    .global demo_sum, demo_step, demo_done
    .type   demo_sum, @function
demo_sum:
    mv      t0, a0                  /* entry pointer */
    li      t1, 0                   /* i */
    li      t2, 0                   /* sum */
    li      t3, 64
    li      t4, 33
    li      t5, 36
1:  ld      a1, 0(t0)
    mv      a0, t1
    mv      a2, t2
demo_step:
    mul     t2, t2, t4
    add     t2, t2, a1
    addi    t0, t0, 8
#ifndef DEMO_GOOD
    bne     t1, t5, 2f
    addi    t0, t0, 8               /* the planted bug: one entry too far */
#endif
2:  addi    t1, t1, 1
    bltu    t1, t3, 1b
    mv      a0, t2
demo_done:
    ret
    .size   demo_sum, . - demo_sum

    .section .note.GNU-stack, "", @progbits
