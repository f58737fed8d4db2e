/*
 * What the request handlers share (commands.c, watchcmds.c): the reply
 * being built and the handler signature.
 */
#ifndef QINSN_HANDLERS_H
#define QINSN_HANDLERS_H

#include <glib.h>
#include <stdint.h>

#include "commands.h"
#include "control.h"
#include "proto.h"

typedef struct Reply {
    GString *text;              /* data lines, then the status line */
    uint64_t wait_gen;          /* hold until this generation is live */
} Reply;

typedef bool (*Handler)(Client *c, const QinsnRequest *req, Reply *r,
                        GError **errp);

/* Append a "= " data line. */
void reply_data(Reply *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* False, with @errp set, until the target's registers are known. */
bool need_regs(GError **errp);

/* watchcmds.c */
void watchcmds_init(const CommandsConfig *c);
bool cmd_watch(Client *c, const QinsnRequest *req, Reply *r, GError **errp);
bool cmd_break(Client *c, const QinsnRequest *req, Reply *r, GError **errp);
bool cmd_watch_mem(Client *c, const QinsnRequest *req, Reply *r,
                   GError **errp);
bool cmd_unwatch(Client *c, const QinsnRequest *req, Reply *r,
                 GError **errp);
bool cmd_enable(Client *c, const QinsnRequest *req, Reply *r, GError **errp);
bool cmd_disable(Client *c, const QinsnRequest *req, Reply *r,
                 GError **errp);
bool cmd_list(Client *c, const QinsnRequest *req, Reply *r, GError **errp);

#endif /* QINSN_HANDLERS_H */
