/*
 * Disassembly of guest code read from its ELF file, for instructions QEMU
 * has not translated yet (once it has, the plugin's disas= is used):
 * capstone for x86_64 (in AT&T syntax, as QEMU prints it) and aarch64.
 * Capstone 4, as packaged by Debian 12, has no RISC-V.
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
 * The first instruction of @code (@len bytes) at address @pc, as
 * "mnemonic operands"; NULL when it does not decode.
 */
char *disas_code(Disas *d, uint64_t pc, const uint8_t *code, size_t len);

#endif /* QINSN_CLI_DISAS_H */
