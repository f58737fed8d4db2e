/*
 * riscv64 "virt" machine services for the test guests: the ns16550 UART,
 * the sifive_test device that ends QEMU with a status, and the hart count
 * read from the device tree QEMU passes at boot.
 */
#include "guest.h"

#define UART_BASE   0x10000000UL
#define UART_LSR    5
#define UART_THRE   0x20
#define SIFIVE_TEST 0x100000UL

/* Saved by start.S from a1. */
extern const void *guest_fdt;

void guest_putc(char c)
{
    volatile uint8_t *uart = (volatile uint8_t *)UART_BASE;

    while (!(uart[UART_LSR] & UART_THRE)) {
        /* wait for room */
    }
    uart[0] = c;
}

/* 0x5555 ends QEMU with status 0, (code << 16) | 0x3333 with status code. */
void guest_exit(unsigned code)
{
    volatile uint32_t *test = (volatile uint32_t *)SIFIVE_TEST;

    *test = code ? (code << 16) | 0x3333 : 0x5555;
    for (;;) {
        __asm__ volatile("wfi");
    }
}

static uint32_t fdt32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

/*
 * Count the "cpu@N" nodes of the flattened device tree: QEMU creates one
 * per hart of -smp, and nothing else in the virt tree has that name.
 * Walks the structure block token by token; any surprise counts as 1 so
 * a bad tree cannot make hart 0 wait for harts that do not exist.
 */
unsigned guest_cpu_count(void)
{
    const uint8_t *fdt = guest_fdt;
    const uint8_t *p;
    unsigned count = 0;

    if (!fdt || fdt32(fdt) != 0xd00dfeed) {
        return 1;
    }
    p = fdt + fdt32(fdt + 8);
    for (;;) {
        uint32_t token = fdt32(p);
        const char *name;
        unsigned len;

        p += 4;
        switch (token) {
        case 1: /* FDT_BEGIN_NODE: NUL-terminated name, padded to 4 */
            name = (const char *)p;
            if (name[0] == 'c' && name[1] == 'p' && name[2] == 'u' &&
                name[3] == '@') {
                count++;
            }
            for (len = 0; name[len]; len++) {
                /* find the end */
            }
            p += (len + 4) & ~3u;
            break;
        case 3: /* FDT_PROP: length, name offset, value padded to 4 */
            p += 8 + ((fdt32(p) + 3) & ~3u);
            break;
        case 2: /* FDT_END_NODE */
        case 4: /* FDT_NOP */
            break;
        case 9: /* FDT_END */
            return count ? count : 1;
        default:
            return 1;
        }
    }
}
