/*
 * qinsn command-line client: what every part of the client shares.
 *
 * The exit codes are part of the interface (documented in qinsn(1)), so
 * errors carry theirs from the place they happen: a GError in the CLI_ERROR
 * domain has a CliExit as its code, and the top level only maps it.
 */
#ifndef QINSN_CLI_H
#define QINSN_CLI_H

#include <glib.h>
#include <signal.h>
#include <stdbool.h>

typedef enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_REMOTE = 1,    /* the plugin answered ERR */
    CLI_EXIT_USAGE = 2,     /* refused before sending: command or arguments */
    CLI_EXIT_CONNECT = 3,   /* no connection, lost it, or protocol mismatch */
} CliExit;

#define CLI_ERROR (cli_error_quark())
GQuark cli_error_quark(void);

/* The exit code an error stands for; errors of other domains are usage. */
int cli_exit_code(const GError *err);

/* Print "qinsn: <message>" on stderr. */
void cli_report(const GError *err);

/*
 * Set by SIGINT (interrupt what runs now) and by SIGTERM/SIGHUP (leave).
 * Handlers are installed without SA_RESTART so blocking calls return EINTR.
 */
extern volatile sig_atomic_t cli_interrupted;
extern volatile sig_atomic_t cli_terminated;
void cli_signals_init(void);

/*
 * Readable after a signal: poll it with the other descriptors so that a
 * signal that lands just before poll() is not missed.
 */
int cli_signal_fd(void);
void cli_signal_drain(void);

/* Global options, shared by the modes and the launcher. */
typedef struct CliOptions {
    char *socket;       /* -s */
    char *script;       /* -f, or run -x */
    char *elf;          /* -e: symbols */
    char *qmp;          /* --qmp */
    bool keep_going;    /* -k */
    bool json;          /* --json */
} CliOptions;

typedef struct Session Session;

/* The REPL on the terminal; returns the exit code. */
int repl_run(Session *s);

/* Run the commands of @path ("-": stdin); returns the first error's code. */
int script_run(Session *s, const char *path, bool keep_going);

/* After connecting: -f script, else the REPL on a tty, else stdin. */
int cli_drive(Session *s, const CliOptions *o);

/* "qinsn run …": @argv starts with "run". */
int run_main(int argc, char **argv, CliOptions *o);

/* "qinsn diff …": @argv starts with "diff" (diff.c). */
int diff_main(int argc, char **argv, CliOptions *o);

#endif /* QINSN_CLI_H */
