/*
 * void spin_run(cpu): the riscv64 spin loop, run by every hart with its
 * own counter n.  Per iteration: spin_tick sees a0 = n, a1 = 3n, a2 = cpu;
 * spin_fn is entered with a0 = n, a1 = 0x5a5a; spin_str sees a0 = "spin",
 * a1 = 4; every 1024th iteration (n % 1024 == 0) spin_rare sees a0 = n.
 * Kept short so that an iteration costs a few dozen instructions.
 */
#include "guest.h"

    .text
    .global spin_run, spin_loop_head, spin_tick, spin_rare, spin_str
    .type   spin_run, @function
spin_run:
    addi    sp, sp, -48
    sd      ra, 0(sp)
    sd      s0, 8(sp)
    sd      s1, 16(sp)
    sd      s2, 24(sp)
    sd      s3, 32(sp)
    mv      s0, a0                  /* cpu */
    li      s1, 0                   /* n */
    la      s2, spin_text
    li      s3, SPIN_LIMIT
spin_loop_head:
    mv      a0, s1
    slli    a1, s1, 1
    add     a1, a1, s1
    mv      a2, s0
spin_tick:
    li      a1, 0x5a5a
    call    spin_fn
    andi    t0, s1, 1023
    bnez    t0, 1f
    mv      a0, s1
spin_rare:
    nop
1:  mv      a0, s2
    li      a1, 4
spin_str:
    addi    s1, s1, 1
    bltu    s1, s3, spin_loop_head
    ld      ra, 0(sp)
    ld      s0, 8(sp)
    ld      s1, 16(sp)
    ld      s2, 24(sp)
    ld      s3, 32(sp)
    addi    sp, sp, 48
    ret
    .size   spin_run, . - spin_run

/* uint64_t spin_fn(n, 0x5a5a): a called function to watch at its entry. */
    .global spin_fn
    .type   spin_fn, @function
spin_fn:
    add     a0, a0, a1
    ret
    .size   spin_fn, . - spin_fn

    .section .note.GNU-stack, "", @progbits
