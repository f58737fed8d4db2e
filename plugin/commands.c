/*
 * Control commands: parse a request with the shared command table and run
 * its handler (the watch set's are in watchcmds.c); the others act on the
 * flush generations, the record path and the log.
 */
#include <inttypes.h>
#include <malloc.h>
#include <string.h>

#include "commands.h"
#include "handlers.h"
#include "flush.h"
#include "program.h"
#include "record.h"
#include "seqnum.h"
#include "stop.h"
#include "writer.h"

static CommandsConfig cfg;

void reply_data(Reply *r, const char *fmt, ...)
{
    va_list ap;

    g_string_append(r->text, "= ");
    va_start(ap, fmt);
    g_string_append_vprintf(r->text, fmt, ap);
    va_end(ap);
    g_string_append_c(r->text, '\n');
}

void commands_init(const CommandsConfig *c)
{
    cfg = *c;
    watchcmds_init(c);
}

bool need_regs(GError **errp)
{
    if (!cfg.target->regs) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_STATE,
                    "the target's registers are not known until a vCPU "
                    "has started");
        return false;
    }
    return true;
}

static bool cmd_log(Client *c, const QinsnRequest *req, Reply *r,
                    GError **errp)
{
    g_autoptr(GMutexLocker) locker = NULL;
    GPtrArray *names;

    if (!need_regs(errp)) {
        return false;
    }
    locker = g_mutex_locker_new(&cfg.target->lock);
    for (guint i = 0; i < req->args->len; i++) {
        if (qinsn_regs_resolve(cfg.target->regs, g_ptr_array_index(req->args, i),
                               errp) < 0) {
            return false;
        }
    }
    if (req->args->len) {
        names = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < req->args->len; i++) {
            g_ptr_array_add(names,
                            g_strdup(g_ptr_array_index(req->args, i)));
        }
        /* watches keep their own copies, so the old list can go */
        g_ptr_array_unref(cfg.target->default_regs);
        cfg.target->default_regs = names;
    }
    g_string_append(r->text, "OK regs=");
    for (guint i = 0; i < cfg.target->default_regs->len; i++) {
        g_string_append_printf(r->text, "%s%s", i ? "," : "",
                               (char *)g_ptr_array_index(cfg.target->default_regs,
                                                         i));
    }
    g_string_append_c(r->text, '\n');
    return true;
}

static bool cmd_regs(Client *c, const QinsnRequest *req, Reply *r,
                     GError **errp)
{
    if (!need_regs(errp)) {
        return false;
    }
    for (guint i = 0; i < cfg.target->regs->regs->len; i++) {
        QinsnReg *reg = qinsn_regs_at(cfg.target->regs, i);
        reply_data(r, "name=%s gdb=%d size=%d", reg->name, reg->gdb_num,
             reg->size);
    }
    g_string_append_printf(r->text, "OK count=%u\n", cfg.target->regs->regs->len);
    return true;
}

static bool cmd_mark(Client *c, const QinsnRequest *req, Reply *r,
                     GError **errp)
{
    const char *token = g_ptr_array_index(req->args, 0);

    if (strlen(token) > QINSN_RECORD_DATA) {
        /* rather than cut it short in the log */
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_LIMIT,
                    "a mark is at most %d bytes", QINSN_RECORD_DATA);
        return false;
    }
    if (!writer_mark(token)) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_LIMIT,
                    "the mark queue is full; try again");
        return false;
    }
    g_string_append(r->text, "OK\n");
    return true;
}

static void sum_watch(Watch *w, void *opaque)
{
    uint64_t *s = opaque;
    uint64_t hits, logged;

    watch_counts(w, &hits, &logged);
    s[0] += hits;
    s[1] += logged;
}

static bool cmd_stats(Client *c, const QinsnRequest *req, Reply *r,
                      GError **errp)
{
    uint64_t sums[2] = { 0, 0 };
    uint64_t written, dropped, errors, busy, in_write;
    FlushTimes ft;

    /* written first: a record is counted as logged before it is written */
    writer_stats(&written, &dropped, &errors);
    watch_table_retired(cfg.watches, &sums[0], &sums[1]);
    watch_table_foreach(cfg.watches, sum_watch, sums);
    reply_data(r, "hits=%" PRIu64, sums[0]);
    reply_data(r, "logged=%" PRIu64, sums[1]);
    reply_data(r, "written=%" PRIu64, written);
    reply_data(r, "dropped=%" PRIu64, dropped);
    reply_data(r, "write_errors=%" PRIu64, errors);
    reply_data(r, "watches=%u", watch_table_count(cfg.watches));
    reply_data(r, "flushes=%" PRIu64, flush_count());
    reply_data(r, "gen=%" PRIu64, flush_live_gen());
    reply_data(r, "flush_path=%s", flush_path_name());
    reply_data(r, "dormant=%s", flush_translating() ? "no" : "yes");
    flush_last_times(&ft);
    reply_data(r, "flush_wait_ns=%" PRIu64, ft.wait_ns);
    reply_data(r, "flush_ns=%" PRIu64, ft.flush_ns);
    reply_data(r, "flush_done_ns=%" PRIu64, ft.done_ns);
    reply_data(r, "exact=%s", cfg.target->exact_state ? "yes" : "no");
    reply_data(r, "stop=%s", stop_method_name());
    reply_data(r, "clients=%u", control_clients());
    reply_data(r, "log=%s", cfg.log_path ? cfg.log_path : "stderr");
    reply_data(r, "format=%s", cfg.format == FORMAT_JSON ? "json" :
         cfg.format == FORMAT_CTF ? "ctf" : "text");
    reply_data(r, "overflow=%s", record_overflow_drop() ? "drop" : "wait");
    reply_data(r, "stalls=%" PRIu64, writer_stalls());
    reply_data(r, "stall_ms=%u", record_stall_ms());
    reply_data(r, "seq=%s", seqnum_plain() ? "plain" : "locked");
    writer_times(&busy, &in_write);
    reply_data(r, "writer_busy_ns=%" PRIu64, busy);
    reply_data(r, "writer_write_ns=%" PRIu64, in_write);
    /* what the process has allocated and not freed: leaks show here */
    reply_data(r, "heap_bytes=%zu", mallinfo2().uordblks);
    program_stats(r->text);
    g_string_append(r->text, "OK\n");
    return true;
}

static bool cmd_overflow(Client *c, const QinsnRequest *req, Reply *r,
                         GError **errp)
{
    if (req->args->len) {
        const char *mode = g_ptr_array_index(req->args, 0);
        if (!g_str_equal(mode, "wait") && !g_str_equal(mode, "drop")) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                        "overflow: '%s' is not wait or drop", mode);
            return false;
        }
        record_set_overflow_drop(g_str_equal(mode, "drop"));
    }
    g_string_append_printf(r->text, "OK overflow=%s\n",
                           record_overflow_drop() ? "drop" : "wait");
    return true;
}

static bool cmd_help(Client *c, const QinsnRequest *req, Reply *r,
                     GError **errp)
{
    const char *only = req->args->len ? g_ptr_array_index(req->args, 0) :
        NULL;
    const QinsnCommandSpec *cmds;
    size_t n;

    if (only && !qinsn_proto_find_command(only)) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG, "no command '%s'",
                    only);
        return false;
    }
    cmds = qinsn_proto_commands(&n);
    for (size_t i = 0; i < n; i++) {
        if (!(cmds[i].served & QINSN_CMD_PLUGIN) ||
            (only && !g_str_equal(cmds[i].name, only))) {
            continue;
        }
        reply_data(r, "%s %s: %s", cmds[i].name, cmds[i].args, cmds[i].summary);
        if (only && cmds[i].keys) {
            g_autofree char *keys = g_strjoinv(",", (char **)cmds[i].keys);
            reply_data(r, "options: %s", keys);
        }
    }
    g_string_append(r->text, "OK\n");
    return true;
}

static bool cmd_subscribe(Client *c, const QinsnRequest *req, Reply *r,
                          GError **errp)
{
    client_subscribe(c, req->spec->name[0] == 's');
    g_string_append(r->text, "OK\n");
    return true;
}

static bool cmd_flush(Client *c, const QinsnRequest *req, Reply *r,
                      GError **errp)
{
    r->wait_gen = flush_request();
    g_string_append_printf(r->text, "OK gen=%" PRIu64 "\n", r->wait_gen);
    return true;
}

static bool cmd_quit(Client *c, const QinsnRequest *req, Reply *r,
                     GError **errp)
{
    /* a vCPU waiting for a stuck log must not outlive its client */
    record_end_waits();
    g_string_append(r->text, "OK bye\n");
    client_close(c);
    return true;
}

/* The handler of each command the plugin serves in the shared table. */
static const struct {
    const char *name;
    Handler fn;
} handlers[] = {
    { "watch", cmd_watch },
    { "break", cmd_break },
    { "watch-mem", cmd_watch_mem },
    { "unwatch", cmd_unwatch },
    { "enable", cmd_enable },
    { "disable", cmd_disable },
    { "list", cmd_list },
    { "log", cmd_log },
    { "regs", cmd_regs },
    { "subscribe", cmd_subscribe },
    { "unsubscribe", cmd_subscribe },
    { "mark", cmd_mark },
    { "stats", cmd_stats },
    { "flush", cmd_flush },
    { "overflow", cmd_overflow },
    { "help", cmd_help },
    { "quit", cmd_quit },
};

static Handler handler_of(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(handlers); i++) {
        if (g_str_equal(handlers[i].name, name)) {
            return handlers[i].fn;
        }
    }
    return NULL;
}

bool commands_all_bound(void)
{
    size_t n;
    const QinsnCommandSpec *cmds = qinsn_proto_commands(&n);

    for (size_t i = 0; i < n; i++) {
        if (!(cmds[i].served & QINSN_CMD_PLUGIN) !=
            !handler_of(cmds[i].name)) {
            return false;
        }
    }
    return true;
}

static void add_cap(GString *caps, const char *word)
{
    g_autofree char *delimited = g_strdup_printf(",%s,", word);
    g_autofree char *have = g_strdup_printf(",%s,", caps->str);

    if (!strstr(have, delimited)) {
        g_string_append_printf(caps, "%s%s", caps->len ? "," : "", word);
    }
}

char *commands_caps(void)
{
    const QinsnCommandSpec *cmds, *watch = qinsn_proto_find_command("watch");
    GString *caps = g_string_new(NULL);
    size_t n;

    cmds = qinsn_proto_commands(&n);
    for (size_t i = 0; i < n; i++) {
        if ((cmds[i].served & QINSN_CMD_PLUGIN) &&
            (!g_str_equal(cmds[i].name, "break") ||
             stop_method() != STOP_NONE)) {
            add_cap(caps, cmds[i].name);
        }
    }
    add_cap(caps, "range");
    for (const char *const *k = watch->keys; *k; k++) {
        add_cap(caps, *k);
    }
    for (const char *const *f = watch->flags; *f; f++) {
        add_cap(caps, *f);
    }
    return g_string_free(caps, false);
}

static bool dispatch(Client *c, const QinsnRequest *req, Reply *r,
                     GError **errp)
{
    Handler fn = handler_of(req->spec->name);

    if (!fn) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_SYNTAX,
                    "command '%s' is not served here", req->spec->name);
        return false;
    }
    return fn(c, req, r, errp);
}

void commands_run(Client *c, const char *line)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(QinsnRequest) req = qinsn_request_parse(line, &err);
    Reply r = { .text = g_string_new(NULL) };

    if (!req || !dispatch(c, req, &r, &err)) {
        /* data lines of a failed command are not sent: one status only */
        g_string_printf(r.text, "ERR %s %s\n",
                        qinsn_error_class_name(err->code), err->message);
        r.wait_gen = 0;
    }
    /*
     * Replies go out in request order: one that waits for its generation
     * holds back those after it, while their requests are already served,
     * so pipelined changes share one flush.
     */
    client_reply_at(c, r.wait_gen, g_string_free(r.text, false));
}
