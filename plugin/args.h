/*
 * The plugin's own arguments: the key=value words of QEMU's -plugin option.
 *
 * Parsed without QEMU (everything that needs a vCPU, such as resolving
 * register names, waits for the first vCPU), so the parser can be tested
 * and fuzzed on its own.
 */
#ifndef QINSN_ARGS_H
#define QINSN_ARGS_H

#include "logfmt.h"
#include "watch.h"

typedef struct QinsnArgs {
    GPtrArray *initial;         /* QinsnWatchSpec from watch=, owned */
    GPtrArray *default_regs;    /* register names from regs=, owned */
    char *log_path;             /* NULL: stderr */
    char *sock_path;            /* NULL: the default path */
    bool no_sock;               /* sock=none */
    OutputFormat format;
    bool overflow_drop;         /* overflow=drop: a full ring drops */
    uint32_t stall_ms;          /* overflow=wait gives up after this */
} QinsnArgs;

void qinsn_args_init(QinsnArgs *a);
void qinsn_args_clear(QinsnArgs *a);
/*
 * Parse @argv into @a; on failure @errp says which argument and why, in
 * words fit to print after "qinsn: ".
 */
bool qinsn_args_parse(QinsnArgs *a, int argc, char **argv, GError **errp);

#endif /* QINSN_ARGS_H */
