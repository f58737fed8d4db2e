/*
 * Main program of the spin guests: every CPU runs the endless probe loop
 * of <arch>/spin.S, which tests watch and re-watch while it runs.  The
 * loop gives up after a safety limit so a forgotten QEMU still ends.
 */
#include "guest.h"

/* Linked at a fixed address, like the probe guests' "hello qinsn". */
const char spin_text[] __attribute__((section(".fixed_str"))) = "spin";

void guest_secondary(unsigned long hart)
{
    spin_run(hart);
}

int guest_main(void)
{
    guest_puts("spin start\n");
    spin_run(0);
    guest_puts("spin limit reached\n");
    return GUEST_EXIT_PASS;
}
