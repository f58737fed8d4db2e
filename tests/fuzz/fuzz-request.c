/*
 * Fuzz harness: one request line through the protocol parser and, for the
 * watch commands, through option parsing and watch_new() against a fake
 * register table, then into and out of a small watch table.
 *
 * Input: one byte choosing the target (riscv64, x86_64, aarch64), then the
 * request line.  Checks: a result or an error, never both nor neither; the
 * error's class is a known one; a watch respects every documented bound;
 * its `list` description is one printable line.
 */
#include <string.h>

#include "fuzzlib.h"
#include "ring.h"
#include "watch.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_glib();
    return 0;
}

static void check_error(const GError *err)
{
    FUZZ_CHECK(err && err->domain == QINSN_ERROR);
    FUZZ_CHECK(err->code >= QINSN_ERR_SYNTAX && err->code <= QINSN_ERR_DENIED);
    FUZZ_CHECK(!strchr(err->message, '\n'));
}

static void check_request(const QinsnRequest *req)
{
    const QinsnCommandSpec *spec = req->spec;

    FUZZ_CHECK((int)req->args->len >= spec->min_args);
    FUZZ_CHECK(spec->max_args < 0 || (int)req->args->len <= spec->max_args);
    FUZZ_CHECK(req->opt_keys->len == req->opt_values->len);
    for (guint i = 0; i < req->args->len; i++) {
        const char *a = g_ptr_array_index(req->args, i);
        FUZZ_CHECK(*a && !strpbrk(a, " \t"));
    }
}

static void check_watch(const Watch *w, const QinsnRegTable *regs)
{
    g_autoptr(GString) d = g_string_new(NULL);

    FUZZ_CHECK(w->start <= w->end);
    FUZZ_CHECK(w->nregs >= 0 && w->nregs <= QINSN_MAX_WATCH_REGS);
    for (int i = 0; i < w->nregs; i++) {
        FUZZ_CHECK(w->regs[i] >= 0 && (guint)w->regs[i] < regs->regs->len);
        FUZZ_CHECK(w->labels[i] && *w->labels[i]);
    }
    FUZZ_CHECK(w->record_bytes <= QINSN_RECORD_DATA);
    if (w->has_cond) {
        FUZZ_CHECK(w->kind == QINSN_WATCH_MEM ? w->cond_reg == -1 :
                   w->cond_reg >= 0 &&
                   qinsn_regs_at(regs, w->cond_reg)->size <= 8);
    }
    if (w->capture == QINSN_CAPTURE_MEM) {
        FUZZ_CHECK(w->capture_len >= 1 && w->capture_len <= QINSN_MAX_MEM);
    } else if (w->capture == QINSN_CAPTURE_STR) {
        FUZZ_CHECK(w->capture_len == QINSN_MAX_STR);
    }
    if (w->capture) {
        FUZZ_CHECK(w->capture_reg >= 0 &&
                   (guint)w->capture_reg < regs->regs->len);
    }
    watch_describe(w, regs, d);
    FUZZ_CHECK(fuzz_printable(d->str, d->len));
}

static void try_watch(const QinsnRequest *req, const QinsnRegTable *regs)
{
    g_autoptr(GPtrArray) defaults = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    WatchTable *t;
    QinsnWatchSpec o;
    Watch *w;
    bool ok;

    qinsn_watch_spec_init(&o);
    ok = qinsn_watch_spec_parse(&o, req, &err);
    FUZZ_CHECK(ok == !err);
    if (!ok) {
        check_error(err);
        qinsn_watch_spec_clear(&o);
        return;
    }
    FUZZ_CHECK(o.start <= o.end);
    g_ptr_array_add(defaults, g_strdup(regs->pc >= 0 ? "$pc" : "#0"));
    w = watch_new(&o, regs, defaults, &err);
    qinsn_watch_spec_clear(&o);
    FUZZ_CHECK(!w == !!err);
    if (!w) {
        check_error(err);
        return;
    }
    check_watch(w, regs);

    /* The plugin's own bounds: 200000 watches, ranges of 16 MiB. */
    t = watch_table_new(200000, 1 << 24);
    if (watch_table_add(t, w, 0, &err)) {
        uint32_t id = w->id;
        FUZZ_CHECK(!err && w->end - w->start < (1 << 24));
        FUZZ_CHECK(watch_table_count(t) == 1);
        FUZZ_CHECK(watch_table_lookup(t, id) == w);
        FUZZ_CHECK(watch_table_remove(t, id, 0, &err) && !err);
        FUZZ_CHECK(watch_table_count(t) == 0);
        watch_table_reclaim(t, 1, NULL);
        FUZZ_CHECK(watch_table_graveyard(t) == 0);
    } else {
        FUZZ_CHECK(err && err->code == QINSN_ERR_LIMIT);
        watch_free(w);
    }
    watch_table_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(QinsnRequest) req = NULL;
    g_autofree char *line = NULL;
    const QinsnRegTable *regs;

    if (size < 1 || size > 2 * QINSN_LINE_MAX) {
        return 0;
    }
    regs = fuzz_table(data[0]);
    line = fuzz_string(data + 1, size - 1);
    req = qinsn_request_parse(line, &err);
    FUZZ_CHECK(!req == !!err);
    if (!req) {
        check_error(err);
        FUZZ_CHECK(err->code == QINSN_ERR_SYNTAX ||
                   err->code == QINSN_ERR_ARG);
        return 0;
    }
    check_request(req);
    if (g_str_equal(req->spec->name, "watch") ||
        g_str_equal(req->spec->name, "break") ||
        g_str_equal(req->spec->name, "watch-mem")) {
        try_watch(req, regs);
    } else if (g_str_equal(req->spec->name, "log")) {
        for (guint i = 0; i < req->args->len; i++) {
            int idx = qinsn_regs_resolve(regs, g_ptr_array_index(req->args, i),
                                         &err);
            FUZZ_CHECK((idx < 0) == !!err);
            FUZZ_CHECK(idx < (int)regs->regs->len);
            g_clear_error(&err);
        }
    }
    return 0;
}
