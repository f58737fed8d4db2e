/*
 * Main program of the truth guests (guest_truth_riscv64,
 * guest_truth_aarch64, guest_truth_x86_64): values that a record taken in the middle of a
 * translation block must show, computed by the guest itself rather than
 * read through QEMU or gdb.
 *
 * truth_run() (<arch>/truth.S) stores to truth_buf at truth_store, an
 * instruction in the middle of its block right after a compare, and then
 * writes where that instruction is and the flags it ran with (x86 pushf,
 * aarch64 mrs) to its second argument.  gdb cannot check these values: a breakpoint or
 * a single step makes QEMU translate one-instruction blocks, so every PC
 * gdb stops at starts a block.  Tests watch truth_store (the instruction
 * and the store) with qinsn and compare the records with the console.
 */
#include "guest.h"

/* The store's target, in a page of its own (in .data: .bss is cleared). */
uint8_t truth_buf[4096] __attribute__((aligned(4096))) = { 0xff };

/* truth[0]: truth_store's address; truth[1]: its flags (riscv64: 0). */
static uint64_t truth[2];

/* <arch>/truth.S: stores x + y to buf[0..7], fills out[0..1]. */
void truth_run(uint8_t *buf, uint64_t *out, uint64_t x, uint64_t y);

/* Compares with every outcome the flags can show: equal, below, above. */
static const uint64_t runs[][2] = {
    { 5, 5 },
    { 1, 2 },
    { 3, 1 },
    { 0x8000000000000000ULL, 1 },
};

void guest_secondary(unsigned long hart)
{
    (void)hart;
}

int guest_main(void)
{
    guest_puts("qinsn truth " GUEST_ARCH ": start\n");
    for (unsigned i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        truth_run(truth_buf, truth, runs[i][0], runs[i][1]);
        guest_puts("truth hit=");
        guest_put_hex(i + 1);
        guest_puts(" pc=");
        guest_put_hex(truth[0]);
        guest_puts(" flags=");
        guest_put_hex(truth[1]);
        guest_puts(" value=");
        guest_put_hex(runs[i][0] + runs[i][1]);
        guest_puts("\n");
    }
    guest_puts("qinsn truth: done\n");
    return GUEST_EXIT_PASS;
}
