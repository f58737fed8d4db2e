/*
 * The client's command table: one row per command of the shared table
 * (common/proto.c), the plugin's and the client's own, with how the client
 * runs it.  It drives dispatch, argument checking, help and completion, in
 * one-shot, script and REPL mode alike.
 */
#ifndef QINSN_CLI_COMMANDS_H
#define QINSN_CLI_COMMANDS_H

#include <glib.h>
#include <stdbool.h>

#include "proto.h"
#include "session.h"

typedef bool (*CmdHandler)(Session *s, const QinsnRequest *req,
                           GError **errp);
/* Add candidates for a positional argument starting with @text to @out. */
typedef void (*CmdCompleter)(Session *s, const char *text, GPtrArray *out);

typedef struct CliCommand {
    const QinsnCommandSpec *spec;   /* name, alias, usage, arity, keys */
    CmdHandler handler;
    CmdCompleter complete;          /* positional arguments, or NULL */
    bool needs_conn;                /* false: runs without a QEMU */
    bool shell_only;                /* only as "qinsn CMD" from the shell */
} CliCommand;

/* The table, protocol commands first. */
const CliCommand *commands_table(size_t *n);

/* The row named @name (or by its alias), or NULL. */
const CliCommand *commands_find(const char *name);

/*
 * Check @line against the table without running it: unknown command,
 * argument count and option keys.  Errors are CLI_EXIT_USAGE.
 */
QinsnRequest *commands_parse(const char *line, const CliCommand **cmd,
                             GError **errp);

/* Check and run one command line. */
bool commands_execute(Session *s, const char *line, GError **errp);

/*
 * Completion candidates for the word @text, with @before the line before
 * it.  @space: whether a space should follow a unique match.
 */
GPtrArray *commands_complete(Session *s, const char *before,
                             const char *text, bool *space);

/* Register names, for completion of regs=, if=, log … */
void complete_registers(Session *s, const char *text, GPtrArray *out);

#endif /* QINSN_CLI_COMMANDS_H */
