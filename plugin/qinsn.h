/*
 * State shared by the parts of the qinsn plugin: the QEMU glue (qinsn.c),
 * flushing (flush.c), the log writer (writer.c) and the control socket
 * (control.c, commands.c).
 */
#ifndef QINSN_PLUGIN_H
#define QINSN_PLUGIN_H

#include <qemu-plugin.h>

#include "logfmt.h"
#include "record.h"
#include "watch.h"
#include "writer.h"

typedef struct Qinsn {
    qemu_plugin_id_t id;
    char *arch;
    bool big_endian;
    bool system_mode;

    /* Known after the first vCPU is initialised. */
    GMutex regs_lock;
    QinsnRegTable *regs;
    atomic_bool ready;          /* regs and initial watches in place */
    GPtrArray *default_regs;    /* register names for new watches */
    GPtrArray *initial;         /* WatchOptions from plugin arguments */

    WatchTable *watches;

    OutputFormat format;
    char *log_path;
    char *sock_path;
    bool no_sock;
} Qinsn;

extern Qinsn qinsn;

/* qinsn.c */
void qinsn_register_callbacks(void);
/* Register (or drop) the translation callback. */
void qinsn_set_translation(bool on);
bool qinsn_exact_state(void);
/*
 * Add @w (owned from now on, freed on failure) to the watch table and its
 * definition record to the log, before any hit of it can be recorded.
 */
bool qinsn_add_watch(Watch *w, GError **errp);

/* flush.c */
typedef enum {
    FLUSH_PATH_STOCK,
    FLUSH_PATH_PATCHED,
} FlushPath;

/* @watches: watches are set from the start (plugin arguments). */
void flush_init(bool watches);
/* Whether the translation callback is registered (else dormant). */
bool flush_translating(void);
FlushPath flush_path(void);
const char *flush_path_name(void);
/* Ask for a flush; returns the generation to wait for. */
uint64_t flush_request(void);
uint64_t flush_live_gen(void);
uint64_t flush_count(void);
void flush_note_translation(struct qemu_plugin_tb *tb);
/* Wake-up hook run when a generation becomes live (any thread). */
void flush_set_notify(void (*fn)(void));


/* control.c */
bool control_start(GError **errp);
void control_stop(void);
/* Queue an event line for subscribers; control_wake() sends them. */
void control_broadcast(const char *line);
/* @skippable: a hit event, which a client reading too slowly may miss. */
void control_broadcast_event(const char *line, bool skippable);
void control_wake(void);
uint32_t control_clients(void);
uint32_t control_subscribers(void);

#endif /* QINSN_PLUGIN_H */
