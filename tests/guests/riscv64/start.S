/*
 * Entry of the riscv64 test guests on "-M virt -bios none".  QEMU's reset
 * code jumps every hart to the start of RAM (0x80000000, not the ELF entry
 * point) in M-mode with a0 = hartid and a1 = device tree address.  Hart 0
 * clears .bss and runs guest_main(); the other harts wait until that
 * clearing is done, so it cannot wipe their work, then run
 * guest_secondary().
 */
#include "guest.h"

#define STACK_SIZE 8192

    .section .text.start, "ax"
    .global _start
_start:
    la      t0, trap_entry
    csrw    mtvec, t0
    bnez    a0, secondary

    la      sp, stack_top
    la      t0, guest_fdt
    sd      a1, 0(t0)

    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  fence   rw, w
    la      t0, boot_ready
    li      t1, 1
    sw      t1, 0(t0)

    call    guest_main
    call    guest_exit

secondary:
    li      t0, GUEST_MAX_CPUS
    bgeu    a0, t0, park
    la      t0, boot_ready
1:  lw      t1, 0(t0)
    beqz    t1, 1b
    fence   r, rw

    /* hart h uses the h-th stack down from the top */
    la      sp, stack_top
    li      t0, STACK_SIZE
    mul     t0, t0, a0
    sub     sp, sp, t0
    call    guest_secondary
park:
    wfi
    j       park

    .balign 4
trap_entry:
    csrr    a0, mcause
    csrr    a1, mepc
    call    guest_trap

    .data
    .balign 8
    .global guest_fdt
guest_fdt:
    .dword  0
/* In .data, not .bss: secondaries read it while hart 0 clears .bss. */
boot_ready:
    .word   0

    .section .stack, "aw", @nobits
    .balign 16
    .space  STACK_SIZE * GUEST_MAX_CPUS
stack_top:

    .section .note.GNU-stack, "", @progbits
