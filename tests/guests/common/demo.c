/*
 * Main program of the demo guest: a table checksum whose assembly loop
 * (riscv64/demo.S) carries a planted regression, checked against the
 * plain C reference below.  It is the thing to hunt with qinsn: the guest
 * only says that the checksum is wrong, the watches show where.
 */
#include "guest.h"

#define DEMO_LEN 64

/*
 * One entry more than the loop should read: the buggy loop reads one past
 * the end on its last step, and that read must stay in bounds.
 */
static uint64_t table[DEMO_LEN + 1];

static uint64_t demo_reference(const uint64_t *t)
{
    uint64_t sum = 0;

    for (int i = 0; i < DEMO_LEN; i++) {
        sum = sum * 33 + t[i];
    }
    return sum;
}

void guest_secondary(unsigned long hart)
{
    (void)hart;
}

int guest_main(void)
{
    uint64_t got, want;

    guest_puts("demo start\n");
    for (uint64_t i = 0; i <= DEMO_LEN; i++) {
        table[i] = i * i + 1;
    }

    got = demo_sum(table);
    want = demo_reference(table);

    guest_puts("checksum ");
    guest_put_hex(got);
    guest_puts(" expected ");
    guest_put_hex(want);
    guest_puts(got == want ? ": OK\n" : ": MISMATCH\n");
    return got == want ? GUEST_EXIT_PASS : GUEST_EXIT_FAIL;
}
