/*
 * The riscv64 probe functions.  They are assembly so that what each probe
 * label sees in which register is fixed here, not by the compiler; the
 * same functions exist for aarch64 and x86_64 with the same values.
 * README.md and expected-riscv64.txt list the values at every label.
 */

    .text

/* uint64_t probe_args(a, b, c, d): a + b + c + d; label at the entry. */
    .global probe_args
    .type   probe_args, @function
probe_args:
    add     a0, a0, a1
    add     a2, a2, a3
    add     a0, a0, a2
    ret
    .size   probe_args, . - probe_args

/*
 * uint64_t probe_loop_run(void): sum of i * i for i < 10.  At probe_loop
 * a0 = i, a1 = sum of j * j for j < i, a2 = 10, a3 = i * i.
 */
    .global probe_loop_run, probe_loop
    .type   probe_loop_run, @function
probe_loop_run:
    li      a0, 0
    li      a1, 0
    li      a2, 10
1:  mul     a3, a0, a0
probe_loop:
    add     a1, a1, a3
    addi    a0, a0, 1
    bltu    a0, a2, 1b
    mv      a0, a1
    ret
    .size   probe_loop_run, . - probe_loop_run

/*
 * uint64_t probe_mid_start(x, y): (x + y) + (x << 4).  probe_mid sits in
 * the middle of the entry block.  riscv64 has no flags register: the
 * subtraction stands where aarch64 and x86_64 have their compare.
 */
    .global probe_mid_start, probe_mid
    .type   probe_mid_start, @function
probe_mid_start:
    add     a2, a0, a1
    xor     a3, a0, a1
    slli    a4, a0, 4
    sub     a5, a0, a1
probe_mid:
    add     a0, a2, a4
    ret
    .size   probe_mid_start, . - probe_mid_start

/* uint64_t probe_str(s, len): sum of the bytes; label at the entry. */
    .global probe_str
    .type   probe_str, @function
probe_str:
    add     a2, a0, a1
    mv      a3, a0
    li      a0, 0
1:  beq     a3, a2, 2f
    lbu     t0, 0(a3)
    add     a0, a0, t0
    addi    a3, a3, 1
    j       1b
2:  ret
    .size   probe_str, . - probe_str

/* void probe_end(checksum): the last probe before the guest exits. */
    .global probe_end
    .type   probe_end, @function
probe_end:
    ret
    .size   probe_end, . - probe_end

/* uint64_t probe_hart(hart, iteration): called 5 times by each secondary. */
    .global probe_hart
    .type   probe_hart, @function
probe_hart:
    add     a0, a0, a1
    ret
    .size   probe_hart, . - probe_hart

/*
 * void probe_mem(buf): known accesses to a 32-byte buffer, one labelled
 * instruction each, for memory-watch tests (README.md lists them).
 */
    .global probe_mem, probe_mem_sd, probe_mem_sw, probe_mem_sh
    .global probe_mem_sb, probe_mem_ld, probe_mem_lbu
    .type   probe_mem, @function
probe_mem:
    li      t0, 0x1122334455667788
    li      t1, 0xaabbccdd
    li      t2, 0xeeff
    li      t3, 0x5a
probe_mem_sd:
    sd      t0, 0(a0)
probe_mem_sw:
    sw      t1, 8(a0)
probe_mem_sh:
    sh      t2, 12(a0)
probe_mem_sb:
    sb      t3, 15(a0)
probe_mem_ld:
    ld      a1, 0(a0)
probe_mem_lbu:
    lbu     a2, 9(a0)
    ret
    .size   probe_mem, . - probe_mem

    .section .note.GNU-stack, "", @progbits
