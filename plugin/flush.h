/*
 * Making a changed watch set take effect: flush generations (see flush.c).
 */
#ifndef QINSN_FLUSH_H
#define QINSN_FLUSH_H

#include <qemu-plugin.h>
#include <stdbool.h>
#include <stdint.h>

#include "watch.h"

typedef enum {
    FLUSH_PATH_STOCK,
    FLUSH_PATH_PATCHED,
} FlushPath;

typedef struct FlushConfig {
    qemu_plugin_id_t id;
    WatchTable *watches;
    bool watches_at_start;      /* plugin arguments set watches */
    /* After a stock reset: register every QEMU callback again. */
    void (*reregister)(void);
    /* Register (@on) or drop the translation callback. */
    void (*set_translation)(bool on);
    /* A generation became live (any thread). */
    void (*notify)(void);
} FlushConfig;

void flush_init(const FlushConfig *c);
/* Whether the translation callback is registered (else dormant). */
bool flush_translating(void);
FlushPath flush_path(void);
const char *flush_path_name(void);
/* Ask for a flush; returns the generation to wait for. */
uint64_t flush_request(void);
uint64_t flush_live_gen(void);
uint64_t flush_count(void);
/* From the translation callback, for every block translated. */
void flush_note_translation(struct qemu_plugin_tb *tb);

#endif /* QINSN_FLUSH_H */
