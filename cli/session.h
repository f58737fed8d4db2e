/*
 * A client session: the connection and what the client learns over it
 * (registers, instruction bytes, symbols), the output mode, and where
 * output goes (straight to stdout, or above the REPL's prompt).
 */
#ifndef QINSN_CLI_SESSION_H
#define QINSN_CLI_SESSION_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "disas.h"
#include "elffile.h"

/* Print @text (one or more whole lines) without clobbering the prompt. */
typedef void (*SessionEmitFn)(const char *text, bool to_stderr);

/*
 * Set by "qinsn run", which owns the QEMU: whether it has exited, waiting
 * at most @timeout_ms (relaying its output meanwhile).
 */
typedef bool (*SessionQemuWaitFn)(void *opaque, int timeout_ms);

typedef struct Session {
    Conn *conn;             /* NULL for client-only commands */
    Disas *disas;           /* NULL when capstone has not the arch */
    ElfFile *elf;           /* symbols of the guest (-e, run, or learned) */
    bool elf_learned;       /* asked the plugin which program runs */
    gint64 elf_asked_at;    /* when, if it did not know yet */
    char *elf_problem;      /* why there are no symbols */
    GHashTable *insn;       /* pc -> QEMU's disassembly, from disas= */
    GPtrArray *reg_names;   /* from regs, fetched on first use */
    char *qmp_path;         /* QEMU's QMP socket, when known */
    char *err_class;        /* class of the last ERR reply */
    char *err_text;         /* "command: text" of the last ERR reply */
    bool json;              /* --json: replies and events as JSON */
    bool subscribed;        /* the user subscribed (or the REPL did) */
    bool holding;           /* subscribed by the client for a later tail */
    bool quit;              /* quit/exit was given */
    SessionEmitFn emit;     /* set by the REPL while it waits for input */
    SessionQemuWaitFn qemu_wait;    /* NULL: QEMU is not ours */
    void *qemu_opaque;
} Session;

Session *session_new(Conn *conn, bool json);
void session_free(Session *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Session, session_free)

/* Output @text on stdout (or stderr), above the prompt if there is one. */
void session_print(Session *s, const char *text, bool to_stderr);

/* Report an error of a command: JSON on stdout with --json, else stderr. */
void session_report(Session *s, const GError *err, const char *where);

/*
 * Send @line; an ERR reply becomes an error (CLI_EXIT_REMOTE) naming the
 * command and, where one helps, the way out.
 */
Reply *session_request(Session *s, const char *line, GError **errp);

/*
 * Subscribe on the user's behalf, before a command that makes hits come
 * (watch, continue…), so that a tail later in a script shows them: they
 * are held (a bounded number) and printed only by tail.
 */
bool session_hold_events(Session *s, GError **errp);
/* At most this many events are held for a tail. */
#define HELD_EVENTS_MAX 10000

/*
 * Print the queued events; returns how many of them were hits.  Events
 * held for a tail the user never asked to see are dropped instead.
 */
unsigned session_flush_events(Session *s);
/* The same, stopping after @max hits (0: no limit). */
unsigned session_flush_hits(Session *s, unsigned max);

/* Remember QEMU's disassembly (list's disas=) of the watches of a list. */
void session_learn_list(Session *s, const Reply *r);
/* Remember @value, a disas= field as on the wire, as the text at @pc. */
void session_learn_disas(Session *s, uint64_t pc, const char *value);

/*
 * The instruction at @pc: QEMU's disassembly when a disas= field gave it,
 * else capstone's of the bytes in the ELF file; NULL when neither knows.
 */
char *session_insn_text(Session *s, uint64_t pc);
/* "sym: insn" for the instruction at @pc, or either alone, or NULL. */
char *session_describe_pc(Session *s, uint64_t pc);

/* Register names of the target (fetched once); empty on failure. */
GPtrArray *session_registers(Session *s);

/* The ids of the current watches, as strings (fetched now). */
GPtrArray *session_watch_ids(Session *s);

/*
 * The guest's symbols: from -e or qinsn run, else from the program the
 * plugin reports (stats: program=, load=); NULL with s->elf_problem set
 * when there are none.  A position-independent program gets its load
 * offset either way.
 */
ElfFile *session_elf(Session *s);

/* A word naming an address: a number, or a symbol with optional +off. */
char *session_resolve_addr(Session *s, const char *word, GError **errp);

#endif /* QINSN_CLI_SESSION_H */
