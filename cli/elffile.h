/*
 * What the client reads from a guest ELF file: the architecture (to pick a
 * QEMU), whether it looks like a user-mode program, and the symbols, so
 * that "watch demo_step" works and hits can be labelled; and its code, for
 * disassembly where QEMU has not translated an instruction yet.
 */
#ifndef QINSN_CLI_ELFFILE_H
#define QINSN_CLI_ELFFILE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct ElfFile {
    char *path;
    const char *arch;       /* QEMU target name, or NULL if unknown */
    unsigned machine;       /* e_machine */
    bool dynamic;           /* ET_DYN, or has a PT_INTERP */
    bool pie;               /* ET_DYN: loaded at an offset chosen at run */
    uint64_t bias;          /* that offset, added to every symbol */
    GArray *syms;           /* of ElfSym, sorted by address */
    GArray *code;           /* of ElfCode: executable segments */
} ElfFile;

ElfFile *elf_open(const char *path, GError **errp);
void elf_free(ElfFile *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ElfFile, elf_free)

/* Resolve "name" or "name+off" (off decimal or 0x hex). */
bool elf_lookup(const ElfFile *e, const char *expr, uint64_t *addr);

/* "name" or "name+0x4" for @addr, or NULL when no symbol covers it. */
char *elf_symbolize(const ElfFile *e, uint64_t addr);

/*
 * Up to @len bytes of code at @addr (load offset included) as the file
 * holds them, read now; how many (0 when no executable segment has it).
 */
size_t elf_read_code(const ElfFile *e, uint64_t addr, uint8_t *buf,
                     size_t len);

/* Symbol names starting with @prefix, for completion (names borrowed). */
void elf_complete(const ElfFile *e, const char *prefix, GPtrArray *out);

#endif /* QINSN_CLI_ELFFILE_H */
