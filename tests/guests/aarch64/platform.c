/*
 * aarch64 "virt" machine services for the test guests: the PL011 UART and
 * an exit through semihosting, which makes QEMU (run with -semihosting)
 * end with the guest's status.
 */
#include "guest.h"

#define PL011_BASE   0x09000000UL
#define PL011_FR     0x18
#define PL011_CR     0x30
#define PL011_TXFF   0x20
#define PL011_ENABLE 0x301          /* UARTEN | TXE | RXE */

#define SYS_EXIT                    0x18
#define ADP_STOPPED_APPLICATIONEXIT 0x20026

void guest_putc(char c)
{
    volatile uint32_t *uart = (volatile uint32_t *)PL011_BASE;

    /* Nothing else sets the UART up when QEMU loads the ELF directly. */
    if (uart[PL011_CR / 4] != PL011_ENABLE) {
        uart[PL011_CR / 4] = PL011_ENABLE;
    }
    while (uart[PL011_FR / 4] & PL011_TXFF) {
        /* wait for room */
    }
    uart[0] = (uint8_t)c;
}

/* AArch64 SYS_EXIT takes a block: reason, then the status QEMU exits with. */
void guest_exit(unsigned code)
{
    uint64_t block[2] = { ADP_STOPPED_APPLICATIONEXIT, code };
    register uint64_t op __asm__("x0") = SYS_EXIT;
    register uint64_t arg __asm__("x1") = (uint64_t)block;

    for (;;) {
        __asm__ volatile("hlt #0xf000" : "+r"(op) : "r"(arg) : "memory");
    }
}

unsigned guest_cpu_count(void)
{
    return 1;
}
