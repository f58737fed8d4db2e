/*
 * The x86_64 probe functions.  They are assembly so that what each probe
 * label sees in which register is fixed here, not by the compiler; the
 * same functions exist for riscv64 and aarch64 with the same values.
 * README.md and expected-x86_64.txt list the values at every label.
 */

    .text

/* uint64_t probe_args(a, b, c, d): a + b + c + d; label at the entry. */
    .global probe_args
    .type   probe_args, @function
probe_args:
    lea     (%rdi, %rsi), %rax
    add     %rdx, %rax
    add     %rcx, %rax
    ret
    .size   probe_args, . - probe_args

/*
 * uint64_t probe_loop_run(void): sum of i * i for i < 10.  At probe_loop
 * rdi = i, rsi = sum of j * j for j < i, rdx = i * i.
 */
    .global probe_loop_run, probe_loop
    .type   probe_loop_run, @function
probe_loop_run:
    xor     %edi, %edi
    xor     %esi, %esi
1:  mov     %rdi, %rdx
    imul    %rdi, %rdx
probe_loop:
    add     %rdx, %rsi
    inc     %rdi
    cmp     $10, %rdi
    jb      1b
    mov     %rsi, %rax
    ret
    .size   probe_loop_run, . - probe_loop_run

/*
 * uint64_t probe_mid_start(x, y): (x + y) + (x << 4).  probe_mid sits in
 * the middle of the entry block, right after a compare of two equal
 * values: ZF and PF set, CF, SF, OF and AF clear.
 */
    .global probe_mid_start, probe_mid
    .type   probe_mid_start, @function
probe_mid_start:
    lea     (%rdi, %rsi), %rax
    mov     %rdi, %rcx
    xor     %rsi, %rcx
    mov     %rdi, %rdx
    shl     $4, %rdx
    cmp     %rsi, %rdi
probe_mid:
    add     %rdx, %rax
    ret
    .size   probe_mid_start, . - probe_mid_start

/* uint64_t probe_str(s, len): sum of the bytes; label at the entry. */
    .global probe_str
    .type   probe_str, @function
probe_str:
    xor     %eax, %eax
    add     %rdi, %rsi
1:  cmp     %rsi, %rdi
    je      2f
    movzbl  (%rdi), %ecx
    add     %rcx, %rax
    inc     %rdi
    jmp     1b
2:  ret
    .size   probe_str, . - probe_str

/* void probe_end(checksum): the last probe before the guest exits. */
    .global probe_end
    .type   probe_end, @function
probe_end:
    ret
    .size   probe_end, . - probe_end

/* uint64_t probe_hart(hart, iteration): never reached, one CPU only. */
    .global probe_hart
    .type   probe_hart, @function
probe_hart:
    lea     (%rdi, %rsi), %rax
    ret
    .size   probe_hart, . - probe_hart

/*
 * void probe_mem(buf): known accesses to a 32-byte buffer, one labelled
 * instruction each, for memory-watch tests (README.md lists them).  x86
 * adds an unaligned store across the buffer's 16-byte mark.
 */
    .global probe_mem, probe_mem_sd, probe_mem_sw, probe_mem_sh
    .global probe_mem_sb, probe_mem_ld, probe_mem_lbu, probe_mem_su
    .type   probe_mem, @function
probe_mem:
    movabs  $0x1122334455667788, %rax
    mov     $0xaabbccdd, %ecx
    mov     $0xeeff, %edx
    mov     $0x5a, %esi
probe_mem_sd:
    mov     %rax, (%rdi)
probe_mem_sw:
    mov     %ecx, 8(%rdi)
probe_mem_sh:
    mov     %dx, 12(%rdi)
probe_mem_sb:
    mov     %sil, 15(%rdi)
probe_mem_ld:
    mov     (%rdi), %rax
probe_mem_lbu:
    movzbl  9(%rdi), %eax
probe_mem_su:
    mov     %rcx, 13(%rdi)
    ret
    .size   probe_mem, . - probe_mem

    .section .note.GNU-stack, "", @progbits
