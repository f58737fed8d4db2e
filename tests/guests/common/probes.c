/*
 * Main program of the probe guests (guest_riscv64, guest_aarch64,
 * guest_x86_64).  It calls the assembly probe functions with the arguments
 * that expected-<arch>.txt lists and folds their results into a checksum
 * it checks itself, so a guest that ran wrongly says so on the console and
 * in its exit status instead of leaving only odd register values behind.
 */
#include "guest.h"

/* sum = sum * 31 + result over the seven results; README.md has the table. */
#define PROBES_CHECKSUM 0x176fabe12f21f1ULL

/* Linked at a fixed address so that tests can name the pointer value. */
static const char hello[] __attribute__((section(".fixed_str"))) =
    "hello qinsn";

/* The target of probe_mem's accesses, in a page of its own (no code). */
/* In .data, not .bss, so that start-up code clearing .bss never touches it. */
uint8_t probe_mem_buf[4096] __attribute__((aligned(4096))) = { 0xff };

/* Secondary harts that finished their probe_hart calls (riscv64 -smp N). */
static uint32_t harts_done;

static uint64_t mix(uint64_t sum, uint64_t value)
{
    return sum * 31 + value;
}

void guest_secondary(unsigned long hart)
{
    for (uint64_t i = 0; i < 5; i++) {
        probe_hart(hart, i);
    }
    __atomic_fetch_add(&harts_done, 1, __ATOMIC_RELEASE);
}

/*
 * The boot CPU must not exit while secondaries still have probe_hart hits
 * to make.  It waits for exactly the harts the machine has (from the device
 * tree), so -smp 1 does not wait at all and a slow host thread only delays.
 */
static void wait_for_secondaries(void)
{
    unsigned want = guest_cpu_count();

    if (want > GUEST_MAX_CPUS) {
        want = GUEST_MAX_CPUS;
    }
    while (__atomic_load_n(&harts_done, __ATOMIC_ACQUIRE) + 1 < want) {
        /* spin: the secondaries run on their own vCPU threads */
    }
}

int guest_main(void)
{
    uint64_t sum = 0;
    int ok;

    guest_puts("qinsn probes " GUEST_ARCH ": start\n");

    sum = mix(sum, probe_args(1, 2, 3, 4));
    sum = mix(sum, probe_args(0x1111, 0x2222, 0x3333, 0x4444));
    sum = mix(sum, probe_args(0xdeadbeef, 0xcafef00d,
                              0x0123456789abcdefULL, 0xfedcba9876543210ULL));
    sum = mix(sum, probe_loop_run());
    sum = mix(sum, probe_mid_start(0x77, 0x77));
    sum = mix(sum, probe_mid_start(0x1234, 0x1234));
    sum = mix(sum, probe_str(hello, sizeof(hello) - 1));

    ok = sum == PROBES_CHECKSUM;
    guest_puts("qinsn probes: checksum ");
    guest_put_hex(sum);
    guest_puts(ok ? " PASS\n" : " FAIL\n");

    probe_mem(probe_mem_buf);
    wait_for_secondaries();
    probe_end(sum);
    return ok ? GUEST_EXIT_PASS : GUEST_EXIT_FAIL;
}
