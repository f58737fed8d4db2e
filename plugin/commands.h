/*
 * Request handlers of the control socket, one per protocol command: they
 * act on the watch table, the flush generations, the record path and the
 * log.
 */
#ifndef QINSN_COMMANDS_H
#define QINSN_COMMANDS_H

#include <glib.h>
#include <stdbool.h>

#include "control.h"
#include "logfmt.h"
#include "target.h"
#include "watch.h"

typedef struct CommandsConfig {
    Target *target;
    WatchTable *watches;
    OutputFormat format;        /* of the log, for stats */
    const char *log_path;       /* NULL: stderr */
} CommandsConfig;

void commands_init(const CommandsConfig *c);

/* Handle one request line of @c and queue (or hold) its reply. */
void commands_run(Client *c, const char *line);

/*
 * The greeting's capabilities: the commands served (break only when this
 * QEMU can stop the guest), "range", and watch's options.
 */
char *commands_caps(void);
/* Whether every plugin command of the shared table has a handler. */
bool commands_all_bound(void);

/*
 * Add @w (owned from now on, freed on failure) to the watch table and its
 * definition record to the log, before any hit of it can be recorded.
 */
bool commands_add_watch(Watch *w, GError **errp);

#endif /* QINSN_COMMANDS_H */
