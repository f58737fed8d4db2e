/*
 * Entry of the x86_64 test guests, loaded by "qemu-system-x86_64 -kernel"
 * as a PVH kernel: QEMU's PVH option ROM jumps to the address in the
 * Xen PHYS32_ENTRY note below in 32-bit protected mode, paging off, with
 * no usable stack.  This stub clears .bss, identity-maps the first GiB
 * with 2 MiB pages, turns on PAE, long mode and paging, switches to its
 * own 64-bit GDT and calls guest_main().
 */

#define CR0_PE      0x00000001
#define CR0_PG      0x80000000
#define CR4_PAE     0x20
#define MSR_EFER    0xc0000080
#define EFER_LME    0x100
#define PTE_P_RW    0x3
#define PDE_2M      0x83            /* present, writable, 2 MiB page */

/*
 * QEMU looks for this note only in a PT_NOTE segment (see link.ld) and
 * finds the descriptor by rounding the name size up to that segment's
 * alignment, which must therefore be 4.  QEMU 10.0 reads 8 bytes of
 * descriptor from an ELF64, later versions 4: a .quad of an address below
 * 4 GiB reads the same either way.
 */
    .section .note.pvh, "a", @note
    .balign 4
    .long   4                       /* name size */
    .long   8                       /* descriptor size */
    .long   18                      /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz  "Xen"
    .balign 4
    .quad   pvh_entry

    .section .text.start, "ax"
    .code32
    .global pvh_entry
pvh_entry:
    cli
    cld
    mov     $__bss_start, %edi
    mov     $__bss_end, %ecx
    sub     %edi, %ecx
    shr     $2, %ecx
    xor     %eax, %eax
    rep stosl

    movl    $pdpt + PTE_P_RW, pml4
    movl    $pd + PTE_P_RW, pdpt
    xor     %ecx, %ecx
1:  mov     %ecx, %eax
    shl     $21, %eax
    or      $PDE_2M, %eax
    mov     %eax, pd(, %ecx, 8)
    inc     %ecx
    cmp     $512, %ecx
    jb      1b

    mov     %cr4, %eax
    or      $CR4_PAE, %eax
    mov     %eax, %cr4
    mov     $pml4, %eax
    mov     %eax, %cr3
    mov     $MSR_EFER, %ecx
    rdmsr
    or      $EFER_LME, %eax
    wrmsr
    mov     %cr0, %eax
    or      $(CR0_PG | CR0_PE), %eax
    mov     %eax, %cr0

    lgdt    gdt_desc
    ljmp    $0x08, $long_entry

    .code64
long_entry:
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     %eax, %fs
    mov     %eax, %gs
    mov     $stack_top, %esp
    call    guest_main
    mov     %eax, %edi
    call    guest_exit

    .section .rodata
    .balign 8
gdt:
    .quad   0
    .quad   0x00af9a000000ffff      /* 0x08: 64-bit code */
    .quad   0x00cf92000000ffff      /* 0x10: data */
gdt_desc:
    .word   gdt_desc - gdt - 1
    .long   gdt

    .section .bss
    .balign 4096
pml4:
    .space  4096
pdpt:
    .space  4096
pd:
    .space  4096

    .section .stack, "aw", @nobits
    .balign 16
    .space  16384
stack_top:

    .section .note.GNU-stack, "", @progbits
