/*
 * Register names of a target as gdb knows them.
 *
 * QEMU lists a vCPU's registers with their gdb remote numbers; users name
 * them the way gdb accepts them, which includes aliases QEMU never prints
 * (riscv64 s0 = fp = x8, the generic $pc/$sp/$fp/$ps, "#16" for a number).
 * This module resolves such a name to an entry of the table.
 */
#ifndef QINSN_REGS_H
#define QINSN_REGS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct QinsnReg {
    char *name;         /* as QEMU (and gdb's target description) spells it */
    int gdb_num;        /* gdb remote register number */
    int size;           /* bytes; 0 when not known yet */
    void *handle;       /* QEMU's opaque handle */
} QinsnReg;

typedef struct QinsnRegTable {
    char *arch;         /* QEMU target name: x86_64, riscv64, aarch64 ... */
    GArray *regs;       /* of QinsnReg */
    int pc;             /* index of the program counter, -1 if none */
    int flags;          /* index of the lazily computed flags, -1 if none */
} QinsnRegTable;

QinsnRegTable *qinsn_regs_new(const char *arch);
void qinsn_regs_add(QinsnRegTable *t, const char *name, int gdb_num,
                    int size, void *handle);
void qinsn_regs_free(QinsnRegTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QinsnRegTable, qinsn_regs_free)

/*
 * Resolve a user's register name: a name or alias, optionally with '$', or
 * '#N' for gdb number N, or LABEL/REG for register REG logged under the
 * name LABEL (a client that maps names itself, such as gdb's, keeps the
 * name its user typed).  Returns the index into t->regs, or -1 with @errp
 * set (class ARG) naming the register and the target.
 */
int qinsn_regs_resolve(const QinsnRegTable *t, const char *name,
                       GError **errp);

/* Check a name's syntax without a table (for arguments parsed early). */
bool qinsn_regs_name_valid(const char *name, GError **errp);

/* The name records show for @name: LABEL of LABEL/REG, else @name; no '$'. */
char *qinsn_regs_label(const char *name);

static inline QinsnReg *qinsn_regs_at(const QinsnRegTable *t, int i)
{
    return &g_array_index(t->regs, QinsnReg, i);
}

#endif /* QINSN_REGS_H */
