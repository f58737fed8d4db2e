/*
 * Which guest program QEMU runs, so that clients can find its symbols
 * without being told: the -kernel file in system mode, the program and
 * its load offset in user mode.  Reported by stats (docs/protocol.md).
 */
#ifndef QINSN_PROGRAM_H
#define QINSN_PROGRAM_H

#include <glib.h>
#include <stdbool.h>

/* At install: remember QEMU's -kernel (system mode) or directory. */
void program_init(bool system_mode);

/* On a vCPU thread, once the guest is loaded: the user-mode program. */
void program_learn(void);

/* Append the "= program=… load=…" data lines of stats, if known. */
void program_stats(GString *text);

#endif /* QINSN_PROGRAM_H */
