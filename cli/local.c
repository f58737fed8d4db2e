/*
 * The client's own commands: help (from the command table), tail (stream
 * hits), quit, continue (resume a paused guest over QMP), and the stub of
 * run that only refuses: run starts a QEMU, so it belongs to the shell.
 */
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "handlers.h"
#include "output.h"
#include "qmp.h"

/* What the command does, as the client runs it. */
static const char *summary(const CliCommand *c)
{
    return c->spec->client_summary ? c->spec->client_summary :
        c->spec->summary;
}

static void help_line(GPtrArray *data, const CliCommand *c)
{
    g_autoptr(GString) use = g_string_new(c->spec->name);

    if (c->spec->alias) {
        g_string_append_printf(use, "|%s", c->spec->alias);
    }
    if (*c->spec->args) {
        g_string_append_printf(use, " %s", c->spec->args);
    }
    if (c->spec->keys || c->spec->flags) {
        g_string_append(use, " [<options>]");
    }
    g_ptr_array_add(data, g_strdup_printf("%-32s %s", use->str,
                                          summary(c)));
}

static char *option_list(const QinsnCommandSpec *spec)
{
    g_autoptr(GString) s = g_string_new("options:");

    for (const char *const *k = spec->keys; k && *k; k++) {
        g_string_append_printf(s, " %s=", *k);
    }
    for (const char *const *f = spec->flags; f && *f; f++) {
        g_string_append_printf(s, " %s", *f);
    }
    return g_string_free(g_steal_pointer(&s), false);
}

static void help_one(GPtrArray *data, const CliCommand *c)
{
    g_ptr_array_add(data, g_strdup_printf("usage: %s %s", c->spec->name,
                                          c->spec->args));
    g_ptr_array_add(data, g_strdup(summary(c)));
    if (c->spec->keys || c->spec->flags) {
        g_ptr_array_add(data, option_list(c->spec));
    }
    if (c->spec->alias) {
        g_ptr_array_add(data, g_strdup_printf("alias: %s", c->spec->alias));
    }
    if (c->complete == complete_symbols) {
        g_ptr_array_add(data, g_strdup(
            "an address may be a symbol of the ELF file (--elf): it means "
            "the symbol's address, as gdb's 'break *SYMBOL' (no prologue "
            "skipping)"));
    }
    if (g_str_equal(c->spec->name, "break")) {
        g_ptr_array_add(data, g_strdup(
            "the stop is shown as an event ('! stop ...'); without gdb the "
            "guest stays paused until 'continue' resumes it over QMP; with "
            "gdb attached, gdb's continue resumes it"));
    }
}

bool cmd_help(Session *s, const QinsnRequest *req, GError **errp)
{
    Reply r = { .ok = true, .fields = (char *)"" };
    g_autoptr(GPtrArray) data = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) out = g_string_new(NULL);
    size_t n;
    const CliCommand *t = commands_table(&n);

    if (req->args->len) {
        const char *name = g_ptr_array_index(req->args, 0);
        const CliCommand *c = commands_find(name);

        if (!c) {
            g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                        "help: no command '%s' (try 'help')", name);
            return false;
        }
        help_one(data, c);
    } else {
        for (size_t i = 0; i < n; i++) {
            help_line(data, &t[i]);
        }
    }
    r.data = data;
    output_reply(s, &r, NULL, NULL, out);
    session_print(s, out->str, false);
    return true;
}

bool cmd_quit(Session *s, const QinsnRequest *req, GError **errp)
{
    s->quit = true;
    return true;
}

bool cmd_run(Session *s, const QinsnRequest *req, GError **errp)
{
    g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                "run: only from the shell, as 'qinsn run [<options>] -- "
                "<kernel.elf>'");
    return false;
}

bool cmd_diff(Session *s, const QinsnRequest *req, GError **errp)
{
    g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                "diff: only from the shell, as 'qinsn diff [<options>] A B'");
    return false;
}

bool cmd_continue(Session *s, const QinsnRequest *req, GError **errp)
{
    if (!s->qmp_path) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "continue: QEMU's QMP socket is not known (start QEMU "
                    "with 'qinsn run --paused', or pass --qmp PATH)");
        return false;
    }
    if (!qmp_execute(s->qmp_path, "cont", errp)) {
        g_prefix_error(errp, "continue: ");
        return false;
    }
    if (s->json) {
        session_print(s, "{\"ok\":true}\n", false);
    } else {
        session_print(s, "OK\n", false);
    }
    return true;
}

static bool send_subscribe(Session *s, bool on, GError **errp)
{
    g_autoptr(Reply) r = session_request(s, on ? "subscribe" : "unsubscribe",
                                         errp);

    return r != NULL;
}

/*
 * Events held before tail came (session_hold_events) are its first hits;
 * say so if some could not be kept.
 */
static void tail_start(Session *s)
{
    g_autofree char *msg = NULL;

    s->conn->max_events = 0;
    if (s->conn->events_dropped) {
        msg = g_strdup_printf("qinsn: tail: %" G_GUINT64_FORMAT " events "
                              "came before tail and were not kept\n",
                              s->conn->events_dropped);
        session_print(s, msg, true);
        s->conn->events_dropped = 0;
    }
}

/* After tail: events that came after the last one shown are dropped. */
static void tail_done(Session *s, bool own_subscription)
{
    char *ev;

    if (own_subscription && conn_is_open(s->conn)) {
        send_subscribe(s, false, NULL);
    }
    while (s->conn && (ev = conn_next_event(s->conn))) {
        g_free(ev);
    }
    if (s->conn && s->holding && !s->subscribed) {
        s->conn->max_events = HELD_EVENTS_MAX;
    }
    cli_interrupted = 0;
}

bool cmd_tail(Session *s, const QinsnRequest *req, GError **errp)
{
    uint64_t limit = 0, seen = 0;
    g_autoptr(GError) err = NULL;
    /* subscribed for its own duration unless events already come */
    bool own = !s->subscribed && !s->holding;

    if (req->args->len &&
        !qinsn_parse_u64(g_ptr_array_index(req->args, 0), &limit, errp)) {
        g_prefix_error(errp, "tail: ");
        return false;
    }
    if (own && !send_subscribe(s, true, errp)) {
        return false;
    }
    tail_start(s);
    cli_interrupted = 0;
    for (;;) {
        seen += session_flush_hits(s, limit ? limit - seen : 0);
        if ((limit && seen >= limit) || cli_interrupted || cli_terminated) {
            break;
        }
        if (!conn_pump(s->conn, -1, &err)) {
            if (err) {
                /* the end of the stream, not a failure of tail */
                g_autofree char *msg = g_strdup_printf("qinsn: tail: %s\n",
                                                       err->message);
                session_flush_events(s);
                session_print(s, msg, true);
            }
            break;
        }
    }
    tail_done(s, own);
    return true;
}
