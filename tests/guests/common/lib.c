/*
 * Console helpers shared by all test guests: just enough formatting for a
 * start line, a result line and a trap report, built on the one-character
 * output each architecture provides.
 */
#include "guest.h"

void guest_puts(const char *s)
{
    while (*s) {
        if (*s == '\n') {
            guest_putc('\r');
        }
        guest_putc(*s++);
    }
}

/* Lower-case hex without leading zeros, the notation expected-*.txt uses. */
void guest_put_hex(uint64_t value)
{
    char buf[16];
    int n = 0;

    do {
        buf[n++] = "0123456789abcdef"[value & 0xf];
        value >>= 4;
    } while (value);

    guest_puts("0x");
    while (n) {
        guest_putc(buf[--n]);
    }
}

/*
 * Reached from the architecture's exception vector: report and stop, so a
 * broken guest fails at once instead of hanging a test until its timeout.
 */
void guest_trap(uint64_t cause, uint64_t pc)
{
    guest_puts("\ntrap: cause ");
    guest_put_hex(cause);
    guest_puts(" pc ");
    guest_put_hex(pc);
    guest_puts("\n");
    guest_exit(GUEST_EXIT_TRAP);
}
