/*
 * void spin_run(cpu): the aarch64 spin loop, with its counter n.  Per
 * iteration: spin_tick sees x0 = n, x1 = 3n, x2 = cpu (always 0);
 * spin_fn is entered with x0 = n, x1 = 0x5a5a; spin_str sees x0 = "spin",
 * x1 = 4; every 1024th iteration (n % 1024 == 0) spin_rare sees x0 = n.
 * Kept short so that an iteration costs a few dozen instructions.
 */
#include "guest.h"

    .text
    .global spin_run, spin_loop_head, spin_tick, spin_rare, spin_str
    .type   spin_run, %function
spin_run:
    stp     x29, x30, [sp, #-48]!
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    mov     x21, x0                 /* cpu */
    mov     x19, #0                 /* n */
    adrp    x20, spin_text
    add     x20, x20, :lo12:spin_text
    ldr     x22, =SPIN_LIMIT
spin_loop_head:
    mov     x0, x19
    add     x1, x19, x19, lsl #1
    mov     x2, x21
spin_tick:
    mov     x1, #0x5a5a
    bl      spin_fn
    tst     x19, #1023
    b.ne    1f
    mov     x0, x19
spin_rare:
    nop
1:  mov     x0, x20
    mov     x1, #4
spin_str:
    add     x19, x19, #1
    cmp     x19, x22
    b.lo    spin_loop_head
    ldp     x21, x22, [sp, #32]
    ldp     x19, x20, [sp, #16]
    ldp     x29, x30, [sp], #48
    ret
    .size   spin_run, . - spin_run

/* uint64_t spin_fn(n, 0x5a5a): a called function to watch at its entry. */
    .global spin_fn
    .type   spin_fn, %function
spin_fn:
    add     x0, x0, x1
    ret
    .size   spin_fn, . - spin_fn

    .section .note.GNU-stack, "", %progbits
