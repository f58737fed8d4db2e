/*
 * Interface between the shared C code of the test guests and the
 * per-architecture code beside it.  Each architecture supplies start-up,
 * serial output, exit and the assembly probe functions; the C in common/
 * is the same everywhere, so the three probe guests compute the same
 * values and expected-<arch>.txt differ only in register names.
 */
#ifndef GUEST_H
#define GUEST_H

#if defined(__riscv)
#define GUEST_ARCH "riscv64"
#elif defined(__aarch64__)
#define GUEST_ARCH "aarch64"
#elif defined(__x86_64__)
#define GUEST_ARCH "x86_64"
#else
#error "unsupported guest architecture"
#endif

/* Harts beyond this many park at once (riscv64 start.S has their stacks). */
#define GUEST_MAX_CPUS 8

/* Exit codes handed to guest_exit(); README.md maps them to QEMU statuses. */
#define GUEST_EXIT_PASS 0
#define GUEST_EXIT_FAIL 1
#define GUEST_EXIT_TRAP 3

/* The spin loops return after this many iterations (about 10 minutes). */
#ifndef SPIN_LIMIT
#define SPIN_LIMIT 0x500000000
#endif

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Per architecture: <arch>/platform.c. */
void guest_putc(char c);
void guest_exit(unsigned code) __attribute__((noreturn));
unsigned guest_cpu_count(void);

/* common/lib.c */
void guest_puts(const char *s);
void guest_put_hex(uint64_t value);
void guest_trap(uint64_t cause, uint64_t pc) __attribute__((noreturn));

/*
 * Per guest (probes.c, spin.c, demo.c): the boot CPU runs guest_main()
 * and exits with its result; on riscv64 every other hart runs
 * guest_secondary() and parks when it returns.
 */
int guest_main(void);
void guest_secondary(unsigned long hart);

/* <arch>/probes.S */
uint64_t probe_args(uint64_t a, uint64_t b, uint64_t c, uint64_t d);
uint64_t probe_loop_run(void);
uint64_t probe_mid_start(uint64_t x, uint64_t y);
uint64_t probe_str(const char *s, uint64_t len);
void probe_end(uint64_t checksum);
uint64_t probe_hart(uint64_t hart, uint64_t iteration);
void probe_mem(uint8_t *buf);

/* <arch>/spin.S: returns once the safety limit is reached. */
void spin_run(unsigned long cpu);

/* <arch>/demo.S */
uint64_t demo_sum(const uint64_t *table);

#endif /* __ASSEMBLER__ */

#endif /* GUEST_H */
