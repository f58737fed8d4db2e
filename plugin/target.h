/*
 * What the plugin knows of the emulated target: its architecture, byte
 * order and mode from QEMU's install-time info, and its registers, learnt
 * when the first vCPU starts.  One Target is made by the install glue and
 * handed to the modules that need it.
 */
#ifndef QINSN_TARGET_H
#define QINSN_TARGET_H

#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "regs.h"

/* The most vCPUs whose hits are recorded. */
#define QINSN_MAX_VCPUS 1024

typedef struct Target {
    char *arch;
    bool big_endian;
    bool system_mode;
    bool exact_state;           /* registers are exact mid-block */

    GMutex lock;                /* regs (once set) and default_regs */
    QinsnRegTable *regs;        /* NULL until the first vCPU starts */
    GPtrArray *default_regs;    /* register names for new watches */
    atomic_bool ready;          /* regs and initial watches in place */
} Target;

Target *target_new(const char *arch, bool system_mode, bool exact_state,
                   GPtrArray *default_regs);

/* The program counter register, NULL until the registers are known. */
const QinsnReg *target_pc_reg(Target *t);

#endif /* QINSN_TARGET_H */
