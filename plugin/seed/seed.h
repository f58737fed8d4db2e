/*
 * Internal interface of libqinsn-seed.so, the QEMU TCG plugin that runs
 * a plugin written to the qemulib API (qemulib.h).  seed.c is the
 * QEMU glue and the loader, qemulib.c the functions exported to the
 * plugin, log.c the log they share; code is flushed by the plugin's own
 * flush module (../flush.h).
 */
#ifndef QINSN_SEED_H
#define QINSN_SEED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <qemu-plugin.h>

#include "qemulib.h"

/* Logged by the layer itself, in the log and on stderr at install. */
#define SEED_NAME "qinsn-seed"

/*
 * What the plugin gets as "cpu": one per vCPU for execution-time calls,
 * one per thread for translation-time calls (translated code is shared
 * by all vCPUs, so at translation no vCPU in particular is asking).
 */
typedef struct SeedCpu {
    uint64_t pc;            /* the instruction the call is about */
    unsigned int vcpu;      /* vCPU index, meaningless when translating */
    bool translating;
} SeedCpu;

/* The loaded plugin's entry points; NULL when it does not export one. */
typedef struct SeedUser {
    char *path;
    void *handle;
    bool (*init)(const char *args);
    bool (*needs_before_insn)(uint64_t pc, void *cpu);
    void (*before_insn)(uint64_t pc, void *cpu);
    bool (*needs_before_mem)(uint64_t pc, void *cpu);
    void (*before_mem)(uint64_t pc, uint64_t vaddr, int size, bool is_store,
                       uint64_t value, void *cpu);
} SeedUser;

typedef struct Seed {
    qemu_plugin_id_t id;
    const char *target;
    bool big_endian;
    SeedUser user;
} Seed;

extern Seed seed;

/*
 * The handle of the call into the plugin in progress on this thread, NULL
 * outside one.  The qemulib_* functions check their cpu argument against
 * it: QEMU aborts on register and memory reads outside a vCPU context.
 */
extern _Thread_local SeedCpu *seed_active;

/* seed.c */
void seed_register_callbacks(void);

/* qemulib.c: the register table, built on the first vCPU's thread. */
void seed_regs_init(void);
bool seed_state_exact(void);

/* log.c */
bool seed_log_open(const char *path, GError **errp);
void seed_log_write(const char *line, size_t len);
void seed_log_note(const char *fmt, ...) G_GNUC_PRINTF(1, 2);


#endif /* QINSN_SEED_H */
