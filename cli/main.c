/*
 * qinsn: command-line client of the qinsn plugin's control socket.
 *
 * Global options, then the mode: a command on the command line runs once
 * (one-shot); without one, the REPL on a terminal or a script from -f or
 * stdin; "qinsn run" starts a QEMU first.  Exit codes are fixed: 0 ok,
 * 1 the plugin answered ERR, 2 usage, 3 connection or protocol.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "decode.h"
#include "output.h"
#include "session.h"

G_DEFINE_QUARK(qinsn-cli-error-quark, cli_error)

volatile sig_atomic_t cli_interrupted;
volatile sig_atomic_t cli_terminated;

int cli_exit_code(const GError *err)
{
    if (err && err->domain == CLI_ERROR) {
        return err->code;
    }
    return CLI_EXIT_USAGE;
}

void cli_report(const GError *err)
{
    fprintf(stderr, "qinsn: %s\n", err->message);
}

/* Written to by the signal handler so that poll() never misses a signal. */
static int signal_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
    int saved = errno;
    char c = 0;

    if (sig == SIGINT) {
        cli_interrupted = 1;
    } else {
        cli_terminated = 1;
    }
    if (write(signal_pipe[1], &c, 1) < 0) {
        /* the pipe is full: a wake-up is pending anyway */
    }
    errno = saved;
}

int cli_signal_fd(void)
{
    return signal_pipe[0];
}

void cli_signal_drain(void)
{
    char buf[64];

    while (read(signal_pipe[0], buf, sizeof(buf)) > 0) {
        /* just empty it */
    }
}

void cli_signals_init(void)
{
    struct sigaction sa = { .sa_handler = on_signal };

    if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        signal_pipe[0] = signal_pipe[1] = -1;
    }
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static const char usage_text[] =
    "usage: qinsn [<options>] [<command> [<args>...]]\n"
    "       qinsn [<options>] run [<run-options>] [--] <kernel.elf>|"
    "<qemu-args>\n"
    "       qinsn [<options>] diff [<diff-options>] <A> <B>\n"
    "       qinsn decode [--json] <dir>\n"
    "\n"
    "Without a command: the REPL on a terminal, else commands from stdin.\n"
    "\n"
    "options:\n"
    "  -s, --socket PATH   the plugin's control socket (default: "
    "$QINSN_SOCKET,\n"
    "                      else the only live one in the runtime directory)\n"
    "  -f, --file FILE     run the commands of FILE ('-': stdin)\n"
    "  -k, --keep-going    in a script, go on after a failed command\n"
    "  -e, --elf FILE      the guest's ELF file, for symbols\n"
    "      --qmp PATH      QEMU's QMP socket, for 'continue'\n"
    "      --json          replies and events as JSON, one per line\n"
    "  -h, --help          this help ('qinsn help' lists the commands)\n"
    "  -V, --version       the client's and the protocol's version\n"
    "\n"
    "exit status: 0 ok, 1 the plugin answered ERR, 2 usage error,\n"
    "3 cannot connect or protocol mismatch (decode: 1 trace cut short,\n"
    "2 malformed trace).  See qinsn(1).\n";

enum { OPT_JSON = 256, OPT_QMP };

static const struct option long_options[] = {
    { "socket", required_argument, NULL, 's' },
    { "file", required_argument, NULL, 'f' },
    { "keep-going", no_argument, NULL, 'k' },
    { "elf", required_argument, NULL, 'e' },
    { "qmp", required_argument, NULL, OPT_QMP },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

/* Returns -1 when parsing may go on, else an exit code. */
static int parse_options(int argc, char **argv, CliOptions *o)
{
    int c;

    while ((c = getopt_long(argc, argv, "+s:f:ke:hV", long_options,
                            NULL)) != -1) {
        switch (c) {
        case 's': o->socket = optarg; break;
        case 'f': o->script = optarg; break;
        case 'k': o->keep_going = true; break;
        case 'e': o->elf = optarg; break;
        case OPT_QMP: o->qmp = optarg; break;
        case OPT_JSON: o->json = true; break;
        case 'h':
            fputs(usage_text, stdout);
            return CLI_EXIT_OK;
        case 'V':
            printf("qinsn %s (protocol %d)\n", QINSN_VERSION,
                   QINSN_PROTO_VERSION);
            return CLI_EXIT_OK;
        default:
            fputs("qinsn: see 'qinsn --help'\n", stderr);
            return CLI_EXIT_USAGE;
        }
    }
    return -1;
}

/* Report an error that happened outside any session. */
static int fail(const CliOptions *o, const GError *err)
{
    if (o->json) {
        g_autoptr(GString) out = g_string_new(NULL);
        output_json_error(out, NULL, cli_exit_code(err), err->message);
        fputs(out->str, stdout);
    } else {
        cli_report(err);
    }
    return cli_exit_code(err);
}

static Session *open_session(const CliOptions *o, GError **errp)
{
    g_autofree char *path = conn_find_socket(o->socket, errp);
    g_autoptr(Session) s = NULL;
    Conn *c;

    if (!path || !(c = conn_open(path, errp))) {
        return NULL;
    }
    s = session_new(c, o->json);
    s->qmp_path = g_strdup(o->qmp);
    if (o->elf && !(s->elf = elf_open(o->elf, errp))) {
        return NULL;
    }
    return g_steal_pointer(&s);
}

int cli_drive(Session *s, const CliOptions *o)
{
    if (o->script) {
        return script_run(s, o->script, o->keep_going);
    }
    if (isatty(STDIN_FILENO)) {
        return repl_run(s);
    }
    return script_run(s, "-", o->keep_going);
}

static char *command_line(int argc, char **argv, GError **errp)
{
    for (int i = 0; i < argc; i++) {
        if (strpbrk(argv[i], " \t") || !*argv[i]) {
            g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                        "argument '%s': words cannot be empty or hold "
                        "spaces", argv[i]);
            return NULL;
        }
    }
    return g_strjoinv(" ", argv);
}

static int one_shot(int argc, char **argv, const CliOptions *o)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *line = command_line(argc, argv, &err);
    g_autoptr(QinsnRequest) req = NULL;
    g_autoptr(Session) s = NULL;
    const CliCommand *cmd;

    if (!line || !(req = commands_parse(line, &cmd, &err))) {
        return fail(o, err);
    }
    if (!cmd->needs_conn) {
        s = session_new(NULL, o->json);
    } else if (!(s = open_session(o, &err))) {
        return fail(o, err);
    }
    if (!s->qmp_path) {
        s->qmp_path = g_strdup(o->qmp);
    }
    if (!commands_execute(s, line, &err)) {
        session_flush_events(s);
        session_report(s, err, NULL);
        return cli_exit_code(err);
    }
    session_flush_events(s);
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    CliOptions o = { 0 };
    g_autoptr(GError) err = NULL;
    g_autoptr(Session) s = NULL;
    int rc = parse_options(argc, argv, &o);

    if (rc >= 0) {
        return rc;
    }
    cli_signals_init();
    argc -= optind;
    argv += optind;
    if (argc && g_str_equal(argv[0], "run")) {
        return run_main(argc, argv, &o);
    }
    if (argc && g_str_equal(argv[0], "diff")) {
        return diff_main(argc, argv, &o);
    }
    if (argc && g_str_equal(argv[0], "decode")) {
        return decode_main(argc, argv, &o);
    }
    if (argc) {
        return one_shot(argc, argv, &o);
    }
    s = open_session(&o, &err);
    if (!s) {
        return fail(&o, err);
    }
    return cli_drive(s, &o);
}
