/*
 * Making a changed choice of instrumentation take effect: flushing
 * translated code, counted in generations (see flush.c).  Used by the
 * qinsn plugin and by the seed-API layer.
 */
#ifndef QINSN_FLUSH_H
#define QINSN_FLUSH_H

#include <qemu-plugin.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    FLUSH_PATH_STOCK,
    FLUSH_PATH_PATCHED,
} FlushPath;

typedef struct FlushConfig {
    qemu_plugin_id_t id;
    /*
     * Whether the translation callback is wanted now; on the patched path
     * it is registered only then ("dormant" otherwise).  NULL: always.
     */
    bool (*wanted)(void);
    /* After a stock reset: register every QEMU callback again. */
    void (*reregister)(void);
    /* Register (@on) or drop the translation callback (with @wanted). */
    void (*set_translation)(bool on);
    /* A generation became live (any thread); may be NULL. */
    void (*notify)(void);
} FlushConfig;

void flush_init(const FlushConfig *c);
/* Whether the translation callback is registered (else dormant). */
bool flush_translating(void);
FlushPath flush_path(void);
const char *flush_path_name(void);
/* Ask for a flush; returns the generation to wait for. */
uint64_t flush_request(void);
/*
 * As flush_request(), from a vCPU thread in an execution callback: there
 * the stock path can start its reset at once instead of at the next block.
 */
uint64_t flush_request_on_vcpu(void);
uint64_t flush_live_gen(void);

/* Where the last flush's time went, for stats. */
typedef struct FlushTimes {
    /* stock: from the request to a vCPU starting the reset */
    uint64_t wait_ns;
    /* from the start to the completion callback: exclusive section, flush */
    uint64_t flush_ns;
    /* the completion callback (stock: registering every callback again) */
    uint64_t done_ns;
} FlushTimes;
void flush_last_times(FlushTimes *t);
uint64_t flush_count(void);
/* From the translation callback, for every block translated. */
void flush_note_translation(struct qemu_plugin_tb *tb);

#endif /* QINSN_FLUSH_H */
