/*
 * The handlers and argument completers the command table points to.
 * Private to the table (commands.c) and the files that define them.
 */
#ifndef QINSN_CLI_HANDLERS_H
#define QINSN_CLI_HANDLERS_H

#include "commands.h"

/* commands.c: protocol commands */
bool cmd_send(Session *s, const QinsnRequest *req, GError **errp);
bool cmd_watch(Session *s, const QinsnRequest *req, GError **errp);
bool cmd_break(Session *s, const QinsnRequest *req, GError **errp);
bool cmd_watch_mem(Session *s, const QinsnRequest *req, GError **errp);
bool cmd_unwatch(Session *s, const QinsnRequest *req, GError **errp);
bool cmd_list(Session *s, const QinsnRequest *req, GError **errp);
bool cmd_regs(Session *s, const QinsnRequest *req, GError **errp);
bool cmd_subscribe(Session *s, const QinsnRequest *req, GError **errp);

/* local.c: the client's own commands */
bool cmd_help(Session *s, const QinsnRequest *req, GError **errp);
bool cmd_tail(Session *s, const QinsnRequest *req, GError **errp);
bool cmd_quit(Session *s, const QinsnRequest *req, GError **errp);
bool cmd_continue(Session *s, const QinsnRequest *req, GError **errp);
bool cmd_run(Session *s, const QinsnRequest *req, GError **errp);
bool cmd_diff(Session *s, const QinsnRequest *req, GError **errp);

/* wait.c */
bool cmd_wait(Session *s, const QinsnRequest *req, GError **errp);

/* decode.c */
bool cmd_decode(Session *s, const QinsnRequest *req, GError **errp);

/* complete.c: positional arguments */
void complete_commands(Session *s, const char *text, GPtrArray *out);
void complete_ids(Session *s, const char *text, GPtrArray *out);
void complete_unwatch(Session *s, const char *text, GPtrArray *out);
void complete_symbols(Session *s, const char *text, GPtrArray *out);

#endif /* QINSN_CLI_HANDLERS_H */
