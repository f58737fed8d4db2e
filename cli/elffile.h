/*
 * What the client reads from a guest ELF file: the architecture (to pick a
 * QEMU), whether it looks like a user-mode program, and the symbols, so
 * that "watch demo_step" works and hits can be labelled.
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
} ElfFile;

ElfFile *elf_open(const char *path, GError **errp);
void elf_free(ElfFile *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ElfFile, elf_free)

/* Resolve "name" or "name+off" (off decimal or 0x hex). */
bool elf_lookup(const ElfFile *e, const char *expr, uint64_t *addr);

/* "name" or "name+0x4" for @addr, or NULL when no symbol covers it. */
char *elf_symbolize(const ElfFile *e, uint64_t addr);

/* Symbol names starting with @prefix, for completion (names borrowed). */
void elf_complete(const ElfFile *e, const char *prefix, GPtrArray *out);

#endif /* QINSN_CLI_ELFFILE_H */
