/*
 * qinsn wire protocol: the one definition shared by the plugin and the CLI.
 *
 * The protocol is line based text (see docs/protocol.md).  This header holds
 * its constants, its error classes, the table of commands with their argument
 * counts and option keys, and the parsers for the values that appear on the
 * wire and in plugin arguments (numbers, address ranges, conditions).
 */
#ifndef QINSN_PROTO_H
#define QINSN_PROTO_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define QINSN_PROTO_VERSION 1
/* Longest request line accepted, newline excluded. */
#define QINSN_LINE_MAX 4096

/* Error classes: the word after ERR on a status line. */
typedef enum {
    QINSN_ERR_SYNTAX,   /* request not understood: command, arity, bytes */
    QINSN_ERR_ARG,      /* a value is malformed or names nothing known */
    QINSN_ERR_NOTFOUND, /* the watch named does not exist */
    QINSN_ERR_LIMIT,    /* a bound was exceeded */
    QINSN_ERR_STATE,    /* not possible in the current state */
    QINSN_ERR_IO,       /* an operating system call failed */
    QINSN_ERR_DENIED,   /* the peer may not use this socket */
} QinsnErrorClass;

#define QINSN_ERROR (qinsn_error_quark())
GQuark qinsn_error_quark(void);
const char *qinsn_error_class_name(QinsnErrorClass cls);
/* Parse "ARG" etc.; returns -1 when unknown. */
int qinsn_error_class_from_name(const char *name);

/* Who serves a command (QinsnCommandSpec.served). */
#define QINSN_CMD_PLUGIN 1      /* the plugin, over the socket */
#define QINSN_CMD_CLIENT 2      /* the qinsn client itself */
#define QINSN_CMD_SHELL 4       /* only as "qinsn NAME" from the shell */

/*
 * One command of qinsn: the one table drives the plugin's dispatch, help
 * and greeting, and the client's parsing, help and completion.
 */
typedef struct QinsnCommandSpec {
    const char *name;
    const char *alias;      /* another name the client takes, or NULL */
    const char *args;       /* usage of positional arguments */
    int min_args;
    int max_args;           /* -1: unbounded */
    const char *const *keys; /* option keys accepted as key=value, or NULL */
    const char *const *flags; /* bare words accepted as options, or NULL */
    unsigned served;        /* QINSN_CMD_* */
    bool changes;           /* may need a flush before its OK */
    const char *summary;
    const char *client_summary; /* what the client's own does, or NULL */
} QinsnCommandSpec;

/* Every command, the plugin's first. */
const QinsnCommandSpec *qinsn_proto_commands(size_t *n);
/* The plugin's command @name, or NULL. */
const QinsnCommandSpec *qinsn_proto_find_command(const char *name);
/* Any command named @name or by its alias, or NULL. */
const QinsnCommandSpec *qinsn_proto_find_any(const char *name);

/*
 * A request split into words.  Options are the words of the form key=value
 * (and the bare flags the command declares); everything else is positional.
 */
typedef struct QinsnRequest {
    const QinsnCommandSpec *spec;
    GPtrArray *words;   /* every word, owned */
    GPtrArray *args;    /* positional words (borrowed from words) */
    GPtrArray *opt_keys;   /* option keys, owned */
    GPtrArray *opt_values; /* option values, owned; NULL for flags */
} QinsnRequest;

QinsnRequest *qinsn_request_parse(const char *line, GError **errp);
/*
 * Like qinsn_request_parse(), but check the words against @spec whatever the
 * first word is (NULL: look it up in the protocol table).  Clients use it for
 * commands of their own that follow the same conventions.
 */
QinsnRequest *qinsn_request_parse_spec(const char *line,
                                       const QinsnCommandSpec *spec,
                                       GError **errp);
void qinsn_request_free(QinsnRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QinsnRequest, qinsn_request_free)
/* Value of option @key, the last one given wins; NULL when absent. */
const char *qinsn_request_opt(const QinsnRequest *req, const char *key);
bool qinsn_request_has_flag(const QinsnRequest *req, const char *flag);

/* Split @line into words; refuses control bytes and non-ASCII bytes. */
GPtrArray *qinsn_proto_split(const char *line, GError **errp);

/* Numbers: 0x-prefixed hex or decimal, the whole string, no overflow. */
bool qinsn_parse_u64(const char *s, uint64_t *out, GError **errp);
/* "A" or "A..B" (inclusive); B >= A. */
bool qinsn_parse_range(const char *s, uint64_t *start, uint64_t *end,
                       GError **errp);

typedef enum {
    QINSN_OP_EQ, QINSN_OP_NE, QINSN_OP_LT, QINSN_OP_LE, QINSN_OP_GT,
    QINSN_OP_GE,
} QinsnOp;

/* A condition "<reg><op><value>" as given by a user. */
typedef struct QinsnCond {
    char *reg;
    QinsnOp op;
    uint64_t value;
} QinsnCond;

bool qinsn_cond_parse(const char *s, QinsnCond *cond, GError **errp);
void qinsn_cond_clear(QinsnCond *cond);
bool qinsn_cond_eval(QinsnOp op, uint64_t lhs, uint64_t rhs);
const char *qinsn_op_name(QinsnOp op);

/* Memory capture "<reg>[+<off>]:<len>" (offset may be negative). */
typedef struct QinsnMemSpec {
    char *reg;
    int64_t offset;
    uint32_t len;
} QinsnMemSpec;

bool qinsn_mem_spec_parse(const char *s, QinsnMemSpec *spec, uint32_t max_len,
                          GError **errp);
void qinsn_mem_spec_clear(QinsnMemSpec *spec);

/* Escape @s for a JSON string body (no quotes added). */
void qinsn_json_escape(GString *out, const char *s);

/*
 * A value that may hold spaces (a path), as one word of a line: a JSON
 * string, as str= captures are written.  qinsn_unquote() reverses it
 * (NULL and @errp set if @s is not one quoted string).
 */
void qinsn_quote(GString *out, const char *s);
char *qinsn_unquote(const char *s, GError **errp);

#endif /* QINSN_PROTO_H */
