/*
 * Disassembly of the instruction at a watch, for watch replies, list lines
 * and hits: capstone for x86_64 and aarch64, and a small decoder of our own
 * for riscv64 (capstone 4, as packaged by Debian 12, has no RISC-V).
 */
#ifndef QINSN_CLI_DISAS_H
#define QINSN_CLI_DISAS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct Disas Disas;

/* NULL (without an error: there is just no disassembly) for other arches. */
Disas *disas_new(const char *arch);
void disas_free(Disas *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Disas, disas_free)

/*
 * The first instruction of @hex (bytes as the plugin's insn= gives them)
 * at address @pc, as "mnemonic operands"; NULL when it does not decode.
 */
char *disas_hex(Disas *d, uint64_t pc, const char *hex);

/* RV64GC subset (I, M, A, C, Zicsr, Zifencei, FP loads and stores). */
bool riscv_disas(uint64_t pc, const uint8_t *code, size_t len, GString *out);

#endif /* QINSN_CLI_DISAS_H */
