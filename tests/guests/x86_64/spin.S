/*
 * void spin_run(cpu): the x86_64 spin loop, with its counter n.  Per
 * iteration: spin_tick sees rdi = n, rsi = 3n, rdx = cpu (always 0);
 * spin_fn is entered with rdi = n, rsi = 0x5a5a; spin_str sees
 * rdi = "spin", rsi = 4; every 1024th iteration (n % 1024 == 0)
 * spin_rare sees rdi = n.  Kept short so that an iteration costs a few
 * dozen instructions.
 */
#include "guest.h"

    .text
    .global spin_run, spin_loop_head, spin_tick, spin_rare, spin_str
    .type   spin_run, @function
spin_run:
    push    %rbx
    push    %r12
    push    %r13
    push    %r14
    push    %r15                    /* five pushes keep rsp 16-aligned */
    mov     %rdi, %r14              /* cpu */
    xor     %ebx, %ebx              /* n */
    lea     spin_text(%rip), %r12
    movabs  $SPIN_LIMIT, %r13
spin_loop_head:
    mov     %rbx, %rdi
    lea     (%rbx, %rbx, 2), %rsi
    mov     %r14, %rdx
spin_tick:
    mov     $0x5a5a, %esi
    call    spin_fn
    test    $1023, %ebx
    jnz     1f
    mov     %rbx, %rdi
spin_rare:
    nop
1:  mov     %r12, %rdi
    mov     $4, %esi
spin_str:
    inc     %rbx
    cmp     %r13, %rbx
    jb      spin_loop_head
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %rbx
    ret
    .size   spin_run, . - spin_run

/* uint64_t spin_fn(n, 0x5a5a): a called function to watch at its entry. */
    .global spin_fn
    .type   spin_fn, @function
spin_fn:
    lea     (%rdi, %rsi), %rax
    ret
    .size   spin_fn, . - spin_fn

    .section .note.GNU-stack, "", @progbits
