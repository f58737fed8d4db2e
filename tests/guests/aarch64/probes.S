/*
 * The aarch64 probe functions.  They are assembly so that what each probe
 * label sees in which register is fixed here, not by the compiler; the
 * same functions exist for riscv64 and x86_64 with the same values.
 * README.md and expected-aarch64.txt list the values at every label.
 */

    .text

/* uint64_t probe_args(a, b, c, d): a + b + c + d; label at the entry. */
    .global probe_args
    .type   probe_args, %function
probe_args:
    add     x0, x0, x1
    add     x2, x2, x3
    add     x0, x0, x2
    ret
    .size   probe_args, . - probe_args

/*
 * uint64_t probe_loop_run(void): sum of i * i for i < 10.  At probe_loop
 * x0 = i, x1 = sum of j * j for j < i, x2 = 10, x3 = i * i.
 */
    .global probe_loop_run, probe_loop
    .type   probe_loop_run, %function
probe_loop_run:
    mov     x0, #0
    mov     x1, #0
    mov     x2, #10
1:  mul     x3, x0, x0
probe_loop:
    add     x1, x1, x3
    add     x0, x0, #1
    cmp     x0, x2
    b.lo    1b
    mov     x0, x1
    ret
    .size   probe_loop_run, . - probe_loop_run

/*
 * uint64_t probe_mid_start(x, y): (x + y) + (x << 4).  probe_mid sits in
 * the middle of the entry block, right after a compare of two equal
 * values: Z and C set, N and V clear.
 */
    .global probe_mid_start, probe_mid
    .type   probe_mid_start, %function
probe_mid_start:
    add     x2, x0, x1
    eor     x3, x0, x1
    lsl     x4, x0, #4
    cmp     x0, x1
probe_mid:
    add     x0, x2, x4
    ret
    .size   probe_mid_start, . - probe_mid_start

/* uint64_t probe_str(s, len): sum of the bytes; label at the entry. */
    .global probe_str
    .type   probe_str, %function
probe_str:
    add     x2, x0, x1
    mov     x3, x0
    mov     x0, #0
1:  cmp     x3, x2
    b.eq    2f
    ldrb    w4, [x3], #1
    add     x0, x0, x4
    b       1b
2:  ret
    .size   probe_str, . - probe_str

/* void probe_end(checksum): the last probe before the guest exits. */
    .global probe_end
    .type   probe_end, %function
probe_end:
    ret
    .size   probe_end, . - probe_end

/* uint64_t probe_hart(hart, iteration): never reached, one CPU only. */
    .global probe_hart
    .type   probe_hart, %function
probe_hart:
    add     x0, x0, x1
    ret
    .size   probe_hart, . - probe_hart

/*
 * void probe_mem(buf): known accesses to a 32-byte buffer, one labelled
 * instruction each, for memory-watch tests (README.md lists them).
 */
    .global probe_mem, probe_mem_sd, probe_mem_sw, probe_mem_sh
    .global probe_mem_sb, probe_mem_ld, probe_mem_lbu
    .type   probe_mem, %function
probe_mem:
    ldr     x9, =0x1122334455667788
    ldr     w10, =0xaabbccdd
    mov     w11, #0xeeff
    mov     w12, #0x5a
probe_mem_sd:
    str     x9, [x0]
probe_mem_sw:
    str     w10, [x0, #8]
probe_mem_sh:
    strh    w11, [x0, #12]
probe_mem_sb:
    strb    w12, [x0, #15]
probe_mem_ld:
    ldr     x1, [x0]
probe_mem_lbu:
    ldrb    w2, [x0, #9]
    ret
    .ltorg
    .size   probe_mem, . - probe_mem

    .section .note.GNU-stack, "", %progbits
