/*
 * The command table and the handlers of the protocol's commands.
 *
 * Commands are checked here against the shared table (command, arity,
 * option keys) before they are sent, so usage errors never reach the
 * plugin; option values are the plugin's to check.  watch and unwatch also
 * accept symbols, and replies that name watches gain the disassembly of
 * the watched instruction.
 */
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "handlers.h"
#include "kv.h"
#include "output.h"

/*
 * How the client runs each command of the shared table (common/proto.c);
 * a plugin command not named here is sent as it is.  Commands the client
 * serves itself (QINSN_CMD_CLIENT) run without a QEMU unless they need
 * one here.
 */
static const struct {
    const char *name;
    CmdHandler handler;
    CmdCompleter complete;
    bool needs_conn;
} bindings[] = {
    { "watch", cmd_watch, complete_symbols, true },
    { "break", cmd_break, complete_symbols, true },
    { "watch-mem", cmd_watch_mem, complete_symbols, true },
    { "unwatch", cmd_unwatch, complete_unwatch, true },
    { "enable", cmd_send, complete_ids, true },
    { "disable", cmd_send, complete_ids, true },
    { "list", cmd_list, NULL, true },
    { "log", cmd_send, complete_registers, true },
    { "regs", cmd_regs, NULL, true },
    { "subscribe", cmd_subscribe, NULL, true },
    { "unsubscribe", cmd_subscribe, NULL, true },
    { "help", cmd_help, complete_commands, false },
    { "quit", cmd_quit, NULL, false },
    { "tail", cmd_tail, NULL, true },
    { "continue", cmd_continue, NULL, false },
    { "run", cmd_run, NULL, false },
    { "wait", cmd_wait, NULL, false },
    { "diff", cmd_diff, NULL, false },
    { "decode", cmd_decode, NULL, false },
};

static GArray *table;

static void add_row(const QinsnCommandSpec *spec)
{
    CliCommand row = {
        .spec = spec, .handler = cmd_send, .needs_conn = true,
        .shell_only = spec->served & QINSN_CMD_SHELL,
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bindings); i++) {
        if (g_str_equal(bindings[i].name, spec->name)) {
            row.handler = bindings[i].handler;
            row.complete = bindings[i].complete;
            row.needs_conn = bindings[i].needs_conn;
        }
    }
    g_array_append_val(table, row);
}

const CliCommand *commands_table(size_t *n)
{
    if (!table) {
        size_t np;
        const QinsnCommandSpec *all = qinsn_proto_commands(&np);

        table = g_array_new(false, true, sizeof(CliCommand));
        for (size_t i = 0; i < np; i++) {
            add_row(&all[i]);
        }
    }
    *n = table->len;
    return (const CliCommand *)table->data;
}

const CliCommand *commands_find(const char *name)
{
    size_t n;
    const CliCommand *t = commands_table(&n);

    for (size_t i = 0; i < n; i++) {
        if (g_str_equal(t[i].spec->name, name) ||
            g_strcmp0(t[i].spec->alias, name) == 0) {
            return &t[i];
        }
    }
    return NULL;
}

QinsnRequest *commands_parse(const char *line, const CliCommand **cmd,
                             GError **errp)
{
    g_autoptr(GPtrArray) words = qinsn_proto_split(line, errp);
    g_autoptr(GError) err = NULL;
    QinsnRequest *req;

    if (!words) {
        g_prefix_error(errp, "bad input: ");
        return NULL;
    }
    *cmd = words->len ? commands_find(g_ptr_array_index(words, 0)) : NULL;
    if (!*cmd) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "unknown command '%s' (try 'help')",
                    words->len ? (char *)g_ptr_array_index(words, 0) : "");
        return NULL;
    }
    req = qinsn_request_parse_spec(line, (*cmd)->spec, &err);
    if (!req) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE, "%s (see 'help %s')",
                    err->message, (*cmd)->spec->name);
    }
    return req;
}

bool commands_execute(Session *s, const char *line, GError **errp)
{
    const CliCommand *cmd;
    g_autoptr(QinsnRequest) req = commands_parse(line, &cmd, errp);

    if (!req) {
        return false;
    }
    if (cmd->shell_only && s->conn) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "%s: only from the shell, as 'qinsn %s …'",
                    cmd->spec->name, cmd->spec->name);
        return false;
    }
    return cmd->handler(s, req, errp);
}

/* The request as words again, with positional argument 0 replaced. */
static char *rebuild(const QinsnRequest *req, const char *arg0)
{
    g_autoptr(GString) line = g_string_new(NULL);

    for (guint i = 0; i < req->words->len; i++) {
        const char *w = g_ptr_array_index(req->words, i);

        if (req->args->len && w == g_ptr_array_index(req->args, 0) && arg0) {
            w = arg0;
        }
        g_string_append_printf(line, "%s%s", i ? " " : "", w);
    }
    return g_string_free(g_steal_pointer(&line), false);
}

/*
 * The request with its address argument replaced by @addr, and, when the
 * user named the place by a symbol, that symbol as sym=: the log then
 * says which function a watch was set on, and qinsn diff matches the
 * watches of two builds by it.
 */
static char *rebuild_watch(const QinsnRequest *req, const char *addr)
{
    const char *arg = g_ptr_array_index(req->args, 0);
    char *line = rebuild(req, addr);
    char *with;

    if (g_ascii_isdigit(arg[0]) || qinsn_request_opt(req, "sym")) {
        return line;
    }
    with = g_strdup_printf("%s sym=%s", line, arg);
    g_free(line);
    return with;
}

static bool print_reply(Session *s, const Reply *r, const char *extra,
                        const char *note)
{
    g_autoptr(GString) out = g_string_new(NULL);

    output_reply(s, r, extra, note, out);
    session_print(s, out->str, false);
    return true;
}

bool cmd_send(Session *s, const QinsnRequest *req, GError **errp)
{
    g_autofree char *line = rebuild(req, NULL);
    g_autoptr(Reply) r = session_request(s, line, errp);

    return r && print_reply(s, r, NULL, NULL);
}

bool cmd_subscribe(Session *s, const QinsnRequest *req, GError **errp)
{
    if (!cmd_send(s, req, errp)) {
        return false;
    }
    s->subscribed = g_str_equal(req->spec->name, "subscribe");
    /* the user's choice now: every event, printed as usual */
    s->holding = false;
    s->conn->max_events = 0;
    s->conn->events_dropped = 0;
    return true;
}

bool cmd_list(Session *s, const QinsnRequest *req, GError **errp)
{
    g_autoptr(Reply) r = session_request(s, "list", errp);

    if (!r) {
        return false;
    }
    session_learn_list(s, r);
    return print_reply(s, r, NULL, NULL);
}

bool cmd_regs(Session *s, const QinsnRequest *req, GError **errp)
{
    g_autoptr(Reply) r = session_request(s, "regs", errp);

    return r && print_reply(s, r, NULL, NULL);
}

/* "A" or "A..B", each a number or a symbol, as numbers. */
static char *resolve_range(Session *s, const char *arg, GError **errp)
{
    const char *dots = strstr(arg, "..");
    g_autofree char *first = dots ? g_strndup(arg, dots - arg)
                                  : g_strdup(arg);
    g_autofree char *a = session_resolve_addr(s, first, errp);
    g_autofree char *b = NULL;
    uint64_t start, end;
    g_autofree char *range = NULL;

    if (!a || (dots && !(b = session_resolve_addr(s, dots + 2, errp)))) {
        return NULL;
    }
    range = b ? g_strdup_printf("%s..%s", a, b) : g_strdup(a);
    if (!qinsn_parse_range(range, &start, &end, errp)) {
        return NULL;
    }
    return g_steal_pointer(&range);
}

/* After a watch's OK: where it is and what is there. */
static void describe_new_watch(Session *s, const char *id, char **extra,
                               char **note)
{
    g_autoptr(Reply) r = conn_request(s->conn, "list", NULL);

    if (!r || !r->ok) {
        return;
    }
    session_learn_list(s, r);
    for (guint i = 0; i < r->data->len; i++) {
        g_autoptr(GArray) kv = kv_split(g_ptr_array_index(r->data, i));
        const char *addr = kv_get(kv, "addr");
        const char *state = kv_get(kv, "state");
        g_autofree char *sym = NULL;
        g_autofree char *text = NULL;
        bool pending = g_strcmp0(state, "pending") == 0;
        uint64_t pc, end;

        if (g_strcmp0(kv_get(kv, "id"), id) != 0 || !addr ||
            !qinsn_parse_range(addr, &pc, &end, NULL)) {
            continue;
        }
        *extra = g_strdup_printf("addr=%s state=%s", addr, state);
        if (s->json || !pending) {
            *note = session_describe_pc(s, pc);
            continue;
        }
        /* capstone's text (from the ELF file) or none: say so */
        sym = elf_symbolize(session_elf(s), pc);
        text = session_insn_text(s, pc);
        *note = g_strdup_printf("%s%s%s%s(not yet translated)",
                                sym ? sym : "", sym ? ": " : "",
                                text ? text : "", text ? " " : "");
    }
}

/* watch and break: an address range of numbers or symbols, options. */
static bool send_watch(Session *s, const QinsnRequest *req, GError **errp)
{
    g_autofree char *range = NULL;
    g_autofree char *line = NULL;
    g_autofree char *extra = NULL;
    g_autofree char *note = NULL;
    g_autoptr(Reply) r = NULL;
    g_autoptr(GArray) kv = NULL;

    range = resolve_range(s, g_ptr_array_index(req->args, 0), errp);
    if (!range) {
        g_prefix_error(errp, "%s: ", req->spec->name);
        return false;
    }
    line = rebuild_watch(req, range);
    r = session_request(s, line, errp);
    if (!r) {
        return false;
    }
    kv = kv_split(r->fields);
    if (kv_get(kv, "id")) {
        describe_new_watch(s, kv_get(kv, "id"), &extra, &note);
    }
    return print_reply(s, r, extra, note);
}

bool cmd_watch(Session *s, const QinsnRequest *req, GError **errp)
{
    return send_watch(s, req, errp);
}

/*
 * A break: as watch, a symbol standing for its address (gdb's "break
 * *SYMBOL", no prologue skipping).  The stop comes as an event, so the
 * session subscribes to show it.
 */
bool cmd_break(Session *s, const QinsnRequest *req, GError **errp)
{
    g_autoptr(Reply) r = NULL;

    if (!send_watch(s, req, errp)) {
        return false;
    }
    if (!s->subscribed) {
        r = session_request(s, "subscribe", errp);
        if (!r) {
            return false;
        }
        s->subscribed = true;
    }
    return true;
}

bool cmd_watch_mem(Session *s, const QinsnRequest *req, GError **errp)
{
    g_autofree char *addr = NULL;
    g_autofree char *line = NULL;
    g_autoptr(Reply) r = NULL;

    addr = session_resolve_addr(s, g_ptr_array_index(req->args, 0), errp);
    if (!addr) {
        g_prefix_error(errp, "watch-mem: ");
        return false;
    }
    line = rebuild_watch(req, addr);
    r = session_request(s, line, errp);
    return r && print_reply(s, r, NULL, NULL);
}

bool cmd_unwatch(Session *s, const QinsnRequest *req, GError **errp)
{
    const char *arg = g_ptr_array_index(req->args, 0);
    g_autofree char *addr = NULL;
    g_autofree char *line = NULL;
    g_autoptr(Reply) r = NULL;

    if (!g_ascii_isdigit(arg[0]) && !g_str_equal(arg, "all")) {
        addr = session_resolve_addr(s, arg, errp);
        if (!addr) {
            g_prefix_error(errp, "unwatch: ");
            return false;
        }
    }
    line = rebuild(req, addr);
    r = session_request(s, line, errp);
    return r && print_reply(s, r, NULL, NULL);
}
