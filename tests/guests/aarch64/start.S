/*
 * Entry of the aarch64 test guests on "-M virt -cpu cortex-a57".  QEMU
 * starts the boot CPU at the ELF entry point in EL1 with the MMU off; the
 * other CPUs stay powered off (PSCI), so there is one CPU only.  Sets up
 * a stack and an exception vector, clears .bss and runs guest_main().
 */

    .section .text.start, "ax"
    .global _start
_start:
    adrp    x0, stack_top
    add     x0, x0, :lo12:stack_top
    mov     sp, x0
    adrp    x0, vectors
    add     x0, x0, :lo12:vectors
    msr     vbar_el1, x0
    isb

    adrp    x0, __bss_start
    add     x0, x0, :lo12:__bss_start
    adrp    x1, __bss_end
    add     x1, x1, :lo12:__bss_end
1:  cmp     x0, x1
    b.hs    2f
    str     xzr, [x0], #8
    b       1b

2:  bl      guest_main
    bl      guest_exit

/* Every exception is fatal: report its syndrome and return address. */
    .section .text.vectors, "ax"
    .balign 2048
vectors:
    .rept   16
    .balign 128
    mrs     x0, esr_el1
    mrs     x1, elr_el1
    bl      guest_trap
    .endr

    .section .stack, "aw", %nobits
    .balign 16
    .space  16384
stack_top:

    .section .note.GNU-stack, "", @progbits
