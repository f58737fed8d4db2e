/*
 * x86_64 PC services for the test guests: COM1 and the isa-debug-exit
 * device (-device isa-debug-exit,iobase=0xf4,iosize=0x04), which ends
 * QEMU with status (value << 1) | 1.
 */
#include "guest.h"

#define COM1        0x3f8
#define COM1_LSR    (COM1 + 5)
#define LSR_THRE    0x20
#define DEBUG_EXIT  0xf4

/* Added to the exit code so that a pass (33) differs from QEMU's own 0/1. */
#define DEBUG_EXIT_BIAS 0x10

static inline void outb(uint16_t port, uint8_t value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t value;

    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static void com1_putc(char c)
{
    while (!(inb(COM1_LSR) & LSR_THRE)) {
        /* wait for room */
    }
    outb(COM1, c);
}

/*
 * SeaBIOS leaves "Booting from ROM.." on the console without a line end;
 * start on a fresh line so the guest's first line can be matched whole.
 */
void guest_putc(char c)
{
    static int started;

    if (!started) {
        started = 1;
        com1_putc('\r');
        com1_putc('\n');
    }
    com1_putc(c);
}

void guest_exit(unsigned code)
{
    outb(DEBUG_EXIT, DEBUG_EXIT_BIAS + code);
    for (;;) {
        __asm__ volatile("hlt");
    }
}

unsigned guest_cpu_count(void)
{
    return 1;
}
