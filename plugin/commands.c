/*
 * Control commands: parse a request with the shared protocol table and act on
 * the watch table, the flush generations and the log.
 */
#include <inttypes.h>
#include <string.h>

#include "commands.h"
#include "program.h"
#include "qinsn.h"
#include "stop.h"

typedef struct Reply {
    GString *text;              /* data lines, then the status line */
    uint64_t wait_gen;          /* hold until this generation is live */
} Reply;

static void data(Reply *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void data(Reply *r, const char *fmt, ...)
{
    va_list ap;

    g_string_append(r->text, "= ");
    va_start(ap, fmt);
    g_string_append_vprintf(r->text, fmt, ap);
    va_end(ap);
    g_string_append_c(r->text, '\n');
}

static bool need_regs(GError **errp)
{
    if (!qinsn.regs) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_STATE,
                    "the target's registers are not known until a vCPU "
                    "has started");
        return false;
    }
    return true;
}

/* Parse, build and add a watch of either kind; NULL with @errp set. */
static Watch *add_watch(const QinsnRequest *req,
                        bool (*parse)(WatchOptions *, const QinsnRequest *,
                                      GError **),
                        bool *first_mem, GError **errp)
{
    WatchOptions o;
    Watch *w = NULL;

    watch_options_init(&o);
    if (!need_regs(errp) || !parse(&o, req, errp)) {
        goto out;
    }
    g_mutex_lock(&qinsn.regs_lock);
    w = watch_new(&o, qinsn.regs, qinsn.default_regs, errp);
    g_mutex_unlock(&qinsn.regs_lock);
    *first_mem = w && w->kind == WATCH_MEM &&
        watch_table_mem_count(qinsn.watches) == 0;
    if (w && !qinsn_add_watch(w, errp)) {
        w = NULL;
    }
out:
    watch_options_clear(&o);
    return w;
}

/* An instruction watch (or break): live once a flush has completed. */
static bool add_insn_watch(const QinsnRequest *req,
                           bool (*parse)(WatchOptions *,
                                         const QinsnRequest *, GError **),
                           Reply *r, GError **errp)
{
    bool first_mem;
    Watch *w = add_watch(req, parse, &first_mem, errp);

    if (!w) {
        return false;
    }
    r->wait_gen = flush_request();
    g_string_append_printf(r->text, "OK id=%u gen=%" PRIu64 "\n", w->id,
                           r->wait_gen);
    return true;
}

static bool cmd_watch(const QinsnRequest *req, Reply *r, GError **errp)
{
    return add_insn_watch(req, watch_options_from_request, r, errp);
}

static bool break_options_from_request(WatchOptions *o,
                                      const QinsnRequest *req, GError **errp)
{
    if (!stop_available(errp) || !watch_options_from_request(o, req, errp)) {
        return false;
    }
    o->kind = WATCH_BREAK;
    return true;
}

/* A break is a watch that also stops the guest (stop.c). */
static bool cmd_break(const QinsnRequest *req, Reply *r, GError **errp)
{
    return add_insn_watch(req, break_options_from_request, r, errp);
}

/*
 * Memory callbacks are put on every instruction while any memory watch
 * exists: the first memory watch needs a flush, later ones only wait for
 * that same generation, and removing the last one flushes to remove them.
 */
static uint64_t mem_gen;

static bool cmd_watch_mem(const QinsnRequest *req, Reply *r, GError **errp)
{
    bool first;
    Watch *w = add_watch(req, watch_mem_options_from_request, &first, errp);

    if (!w) {
        return false;
    }
    if (first) {
        mem_gen = flush_request();
    }
    r->wait_gen = MAX(mem_gen, flush_live_gen());
    g_string_append_printf(r->text, "OK id=%u gen=%" PRIu64 "\n", w->id,
                           r->wait_gen);
    return true;
}

static void after_removal(bool had_mem)
{
    /*
     * The last memory watch takes the memory callbacks with it; the last
     * watch of all, on the patched path, the translation callback.
     */
    if ((had_mem && watch_table_mem_count(qinsn.watches) == 0) ||
        (flush_translating() && flush_path() == FLUSH_PATH_PATCHED &&
         !watch_table_any(qinsn.watches))) {
        flush_request();
    }
}

static bool parse_id(const char *s, uint32_t *id, GError **errp)
{
    uint64_t v;

    if (g_str_has_prefix(s, "0x") || !qinsn_parse_u64(s, &v, NULL) ||
        v > UINT32_MAX) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "'%s' is not a watch id (a decimal number)", s);
        return false;
    }
    *id = (uint32_t)v;
    return true;
}

static bool cmd_unwatch(const QinsnRequest *req, Reply *r, GError **errp)
{
    const char *arg = g_ptr_array_index(req->args, 0);
    uint64_t flushes = flush_count();
    bool had_mem = watch_table_mem_count(qinsn.watches) > 0;
    uint64_t addr;
    uint32_t id;
    int n;

    if (g_str_equal(arg, "all")) {
        n = watch_table_remove_all(qinsn.watches, flushes);
        record_end_waits();
    } else if (g_str_has_prefix(arg, "0x")) {
        if (!qinsn_parse_u64(arg, &addr, errp)) {
            return false;
        }
        n = watch_table_remove_addr(qinsn.watches, addr, flushes);
        if (!n) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_NOTFOUND,
                        "no watch at %s", arg);
            return false;
        }
    } else {
        if (!parse_id(arg, &id, errp) ||
            !watch_table_remove(qinsn.watches, id, flushes, errp)) {
            return false;
        }
        n = 1;
    }
    after_removal(had_mem);
    /* Stale hooks only cost a check; reclaim them in batches. */
    if (watch_table_graveyard(qinsn.watches) > 1024) {
        flush_request();
    }
    g_string_append_printf(r->text, "OK removed=%d\n", n);
    return true;
}

static bool cmd_enable_disable(const QinsnRequest *req, Reply *r, bool on,
                               GError **errp)
{
    Watch *w;
    uint32_t id;

    if (!parse_id(g_ptr_array_index(req->args, 0), &id, errp)) {
        return false;
    }
    w = watch_table_lookup(qinsn.watches, id);
    if (!w) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_NOTFOUND,
                    "no watch with id %u", id);
        return false;
    }
    if (on && atomic_load(&w->done)) {
        /* a spent count starts again, as gdb's enable count does */
        atomic_store(&w->claimed, 0);
        atomic_store(&w->done, false);
    }
    atomic_store(&w->enabled, on);
    g_string_append_printf(r->text, "OK id=%u enabled=%s\n", id,
                           on ? "yes" : "no");
    return true;
}

static void list_one(Watch *w, void *opaque)
{
    Reply *r = opaque;

    g_string_append(r->text, "= ");
    watch_describe(w, qinsn.regs, r->text);
    g_string_append_c(r->text, '\n');
}

static bool cmd_list(Reply *r)
{
    watch_table_foreach(qinsn.watches, list_one, r);
    g_string_append_printf(r->text, "OK watches=%u\n",
                           watch_table_count(qinsn.watches));
    return true;
}

static bool cmd_log(const QinsnRequest *req, Reply *r, GError **errp)
{
    g_autoptr(GMutexLocker) locker = NULL;
    GPtrArray *names;

    if (!need_regs(errp)) {
        return false;
    }
    locker = g_mutex_locker_new(&qinsn.regs_lock);
    for (guint i = 0; i < req->args->len; i++) {
        if (qinsn_regs_resolve(qinsn.regs, g_ptr_array_index(req->args, i),
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
        g_ptr_array_unref(qinsn.default_regs);
        qinsn.default_regs = names;
    }
    g_string_append(r->text, "OK regs=");
    for (guint i = 0; i < qinsn.default_regs->len; i++) {
        g_string_append_printf(r->text, "%s%s", i ? "," : "",
                               (char *)g_ptr_array_index(qinsn.default_regs,
                                                         i));
    }
    g_string_append_c(r->text, '\n');
    return true;
}

static bool cmd_regs(Reply *r, GError **errp)
{
    if (!need_regs(errp)) {
        return false;
    }
    for (guint i = 0; i < qinsn.regs->regs->len; i++) {
        QinsnReg *reg = qinsn_regs_at(qinsn.regs, i);
        data(r, "name=%s gdb=%d size=%d", reg->name, reg->gdb_num,
             reg->size);
    }
    g_string_append_printf(r->text, "OK count=%u\n", qinsn.regs->regs->len);
    return true;
}

static bool cmd_mark(const QinsnRequest *req, Reply *r, GError **errp)
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

static bool cmd_stats(Reply *r)
{
    uint64_t sums[2] = { 0, 0 };
    uint64_t written, dropped, errors, busy, in_write;

    /* written first: a record is counted as logged before it is written */
    writer_stats(&written, &dropped, &errors);
    watch_table_retired(qinsn.watches, &sums[0], &sums[1]);
    watch_table_foreach(qinsn.watches, sum_watch, sums);
    data(r, "hits=%" PRIu64, sums[0]);
    data(r, "logged=%" PRIu64, sums[1]);
    data(r, "written=%" PRIu64, written);
    data(r, "dropped=%" PRIu64, dropped);
    data(r, "write_errors=%" PRIu64, errors);
    data(r, "watches=%u", watch_table_count(qinsn.watches));
    data(r, "flushes=%" PRIu64, flush_count());
    data(r, "gen=%" PRIu64, flush_live_gen());
    data(r, "flush_path=%s", flush_path_name());
    data(r, "dormant=%s", flush_translating() ? "no" : "yes");
    data(r, "exact=%s", qinsn_exact_state() ? "yes" : "no");
    data(r, "stop=%s", stop_method_name());
    data(r, "clients=%u", control_clients());
    data(r, "log=%s", qinsn.log_path ? qinsn.log_path : "stderr");
    data(r, "format=%s", qinsn.format == FORMAT_JSON ? "json" :
         qinsn.format == FORMAT_CTF ? "ctf" : "text");
    data(r, "overflow=%s", record_overflow_drop() ? "drop" : "wait");
    data(r, "stalls=%" PRIu64, writer_stalls());
    data(r, "stall_ms=%u", record_stall_ms());
    writer_times(&busy, &in_write);
    data(r, "writer_busy_ns=%" PRIu64, busy);
    data(r, "writer_write_ns=%" PRIu64, in_write);
    program_stats(r->text);
    g_string_append(r->text, "OK\n");
    return true;
}

static bool cmd_overflow(const QinsnRequest *req, Reply *r, GError **errp)
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

static bool cmd_help(const QinsnRequest *req, Reply *r, GError **errp)
{
    size_t n;
    const QinsnCommandSpec *cmds = qinsn_proto_commands(&n);

    for (size_t i = 0; i < n; i++) {
        if (req->args->len &&
            !g_str_equal(cmds[i].name, g_ptr_array_index(req->args, 0))) {
            continue;
        }
        data(r, "%s %s: %s", cmds[i].name, cmds[i].args, cmds[i].summary);
        if (req->args->len && cmds[i].keys) {
            g_autofree char *keys = g_strjoinv(",", (char **)cmds[i].keys);
            data(r, "options: %s", keys);
        }
    }
    if (req->args->len && !qinsn_proto_find_command(
            g_ptr_array_index(req->args, 0))) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG, "no command '%s'",
                    (char *)g_ptr_array_index(req->args, 0));
        return false;
    }
    g_string_append(r->text, "OK\n");
    return true;
}

static bool dispatch(Client *c, const QinsnRequest *req, Reply *r,
                     GError **errp)
{
    const char *name = req->spec->name;

    if (g_str_equal(name, "watch")) {
        return cmd_watch(req, r, errp);
    } else if (g_str_equal(name, "break")) {
        return cmd_break(req, r, errp);
    } else if (g_str_equal(name, "watch-mem")) {
        return cmd_watch_mem(req, r, errp);
    } else if (g_str_equal(name, "unwatch")) {
        return cmd_unwatch(req, r, errp);
    } else if (g_str_equal(name, "enable")) {
        return cmd_enable_disable(req, r, true, errp);
    } else if (g_str_equal(name, "disable")) {
        return cmd_enable_disable(req, r, false, errp);
    } else if (g_str_equal(name, "list")) {
        return cmd_list(r);
    } else if (g_str_equal(name, "log")) {
        return cmd_log(req, r, errp);
    } else if (g_str_equal(name, "regs")) {
        return cmd_regs(r, errp);
    } else if (g_str_equal(name, "subscribe") ||
               g_str_equal(name, "unsubscribe")) {
        control_subscribe(c, name[0] == 's');
        g_string_append(r->text, "OK\n");
        return true;
    } else if (g_str_equal(name, "mark")) {
        return cmd_mark(req, r, errp);
    } else if (g_str_equal(name, "stats")) {
        return cmd_stats(r);
    } else if (g_str_equal(name, "flush")) {
        r->wait_gen = flush_request();
        g_string_append_printf(r->text, "OK gen=%" PRIu64 "\n", r->wait_gen);
        return true;
    } else if (g_str_equal(name, "overflow")) {
        return cmd_overflow(req, r, errp);
    } else if (g_str_equal(name, "help")) {
        return cmd_help(req, r, errp);
    } else if (g_str_equal(name, "quit")) {
        /* a vCPU waiting for a stuck log must not outlive its client */
        record_end_waits();
        g_string_append(r->text, "OK bye\n");
        c->closing = true;
        return true;
    }
    g_set_error(errp, QINSN_ERROR, QINSN_ERR_SYNTAX,
                "command '%s' is not served here", name);
    return false;
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
