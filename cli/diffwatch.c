/*
 * The first pass of qinsn diff over each log: its watches (from their
 * watch records, or, in logs written before there were any, from their
 * hits) and whether the log is complete; then which watch of A goes with
 * which of B.
 *
 * Two builds put the same function at different addresses, so a watch is
 * matched by the symbol it was set by when both logs have one; the rest
 * in creation order; --pair overrides both.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "diff.h"
#include "proto.h"

static void watch_free(gpointer p)
{
    DiffWatch *w = p;

    g_free(w->kind);
    g_free(w->sym);
    g_free(w->options);
    g_ptr_array_unref(w->regs);
    g_array_unref(w->regnums);
    g_free(w);
}

static DiffWatch *watch_add(DiffLog *log, unsigned id)
{
    DiffWatch *w = g_new0(DiffWatch, 1);

    w->id = id;
    w->regs = g_ptr_array_new_with_free_func(g_free);
    w->regnums = g_array_new(false, false, sizeof(int));
    g_ptr_array_add(log->watches, w);
    g_hash_table_replace(log->by_id, GUINT_TO_POINTER(id), w);
    return w;
}

/* A watch record: the watch as it was created. */
static void watch_from_record(DiffLog *log, const LogRecord *rec,
                              uint64_t line)
{
    DiffWatch *w = watch_add(log, rec->watch);

    w->kind = g_strdup(rec->wkind);
    w->start = rec->start;
    w->end = rec->end;
    w->sym = g_strdup(rec->sym);
    w->options = g_strdup(rec->options);
    w->line = line;
    for (guint i = 0; i < rec->reg_names->len; i++) {
        g_ptr_array_add(w->regs, g_strdup(g_ptr_array_index(rec->reg_names,
                                                            i)));
    }
    g_array_append_vals(w->regnums, rec->regnums->data, rec->regnums->len);
}

/* A hit of a watch without a record: what the hit tells of it. */
static DiffWatch *watch_from_hit(DiffLog *log, const LogRecord *rec)
{
    DiffWatch *w = watch_add(log, rec->watch);

    w->start = w->end = rec->kind == LOG_MEM ? rec->addr : rec->pc;
    for (guint i = 0; i < rec->regs->len; i++) {
        g_ptr_array_add(w->regs,
                        g_strdup(g_array_index(rec->regs, LogReg, i).name));
    }
    return w;
}

static void note_loss(DiffLog *log, const LogRecord *rec, uint64_t line)
{
    if (log->lost_line) {
        return;
    }
    log->lost_line = line;
    log->lost_what = rec->kind == LOG_DROP ?
        g_strdup_printf("a drop record (%" G_GUINT64_FORMAT " hit record%s "
                        "lost)", rec->lost, rec->lost == 1 ? "" : "s") :
        g_strdup("a stall record");
}

/* The order of watches without a record is that of their ids. */
static gint by_creation(gconstpointer pa, gconstpointer pb)
{
    const DiffWatch *a = *(DiffWatch *const *)pa;
    const DiffWatch *b = *(DiffWatch *const *)pb;

    if (a->line && b->line) {
        return a->line < b->line ? -1 : a->line > b->line;
    }
    return a->id < b->id ? -1 : a->id > b->id;
}

/*
 * A record that does not parse makes the input unreadable (exit 2), unless
 * the log's own summary counts write errors: then it is a record the
 * writer damaged, and the comparison stops there, incomplete.
 */
static bool damaged(DiffLog *log, uint64_t bad_line, GError **bad,
                    GError **errp)
{
    if (!bad_line) {
        return true;
    }
    if (!log->sum_write_errors) {
        g_propagate_error(errp, g_steal_pointer(bad));
        return false;
    }
    if (!log->lost_line || bad_line < log->lost_line) {
        g_autofree char *where = g_strdup_printf("%s:%" G_GUINT64_FORMAT
                                                 ": ", log->name, bad_line);
        const char *msg = (*bad)->message;

        if (g_str_has_prefix(msg, where)) {
            msg += strlen(where);
        }
        g_free(log->lost_what);
        log->lost_line = bad_line;
        log->lost_what = g_strdup_printf("a damaged record (%s)", msg);
    }
    g_clear_error(bad);
    return true;
}

static bool scan_record(DiffLog *log, const LogRecord *rec, uint64_t line,
                        uint64_t bad_line, GError **errp)
{
    DiffWatch *w = g_hash_table_lookup(log->by_id,
                                       GUINT_TO_POINTER(rec->watch));

    switch (rec->kind) {
    case LOG_WATCH:
        if (w && w->line) {
            g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                        "%s:%" G_GUINT64_FORMAT ": watch w%u created "
                        "twice (first at line %" G_GUINT64_FORMAT ")",
                        log->name, line, rec->watch, w->line);
            return false;
        }
        watch_from_record(log, rec, line);
        break;
    case LOG_HIT:
    case LOG_MEM:
        if (!w) {
            w = watch_from_hit(log, rec);
        }
        log->records++;
        if (!log->lost_line && !bad_line) {
            w->records++;
        }
        break;
    case LOG_DROP:
    case LOG_STALL:
        note_loss(log, rec, line);
        break;
    case LOG_SUMMARY:
        log->summary = true;
        log->sum_logged = rec->sum_logged;
        log->sum_dropped = rec->sum_dropped;
        log->sum_write_errors = rec->sum_write_errors;
        break;
    default:
        break;
    }
    return true;
}

bool diff_log_scan(DiffLog *log, GError **errp)
{
    g_autoptr(LogReader) r = logread_open(log->name, log->path, errp);
    g_autoptr(GError) bad = NULL;
    uint64_t bad_line = 0;
    const char *line;
    LogRecord rec;
    int got;

    if (!r) {
        return false;
    }
    log->watches = g_ptr_array_new_with_free_func(watch_free);
    log->by_id = g_hash_table_new(NULL, NULL);
    logrecord_init(&rec);
    while ((got = logread_next_line(r, &line, errp)) > 0) {
        uint64_t lineno = logread_lineno(r);

        if (!logread_parse(r, &rec, bad_line ? NULL : &bad)) {
            bad_line = bad_line ? bad_line : lineno;
            continue;
        }
        if (!scan_record(log, &rec, lineno, bad_line, errp)) {
            got = -1;
            break;
        }
    }
    log->cut = logread_cut(r);
    logrecord_clear(&rec);
    if (got < 0 || !damaged(log, bad_line, &bad, errp)) {
        return false;
    }
    g_ptr_array_sort(log->watches, by_creation);
    return true;
}

void diff_log_clear(DiffLog *log)
{
    if (log->watches) {
        g_ptr_array_unref(log->watches);
    }
    if (log->by_id) {
        g_hash_table_unref(log->by_id);
    }
    if (log->tmp) {
        unlink(log->tmp);
    }
    g_free(log->tmp);
    g_free(log->path);
    g_free(log->lost_what);
}

int diff_watch_reg(const DiffWatch *w, const char *name)
{
    for (guint i = 0; i < w->regs->len; i++) {
        if (g_str_equal(g_ptr_array_index(w->regs, i), name)) {
            return (int)i;
        }
    }
    return -1;
}

char *diff_watch_describe(const DiffWatch *w)
{
    if (w->end != w->start) {
        return g_strdup_printf("w%u (%s%s0x%" G_GINT64_MODIFIER "x..0x%"
                               G_GINT64_MODIFIER "x)", w->id,
                               w->sym ? w->sym : "", w->sym ? ", " : "",
                               w->start, w->end);
    }
    return g_strdup_printf("w%u (%s%s0x%" G_GINT64_MODIFIER "x)", w->id,
                           w->sym ? w->sym : "", w->sym ? ", " : "",
                           w->start);
}

static void pair(DiffWatch *a, DiffWatch *b)
{
    a->partner = b;
    b->partner = a;
}

static bool pair_option(DiffLog *a, DiffLog *b, const char *spec,
                        GError **errp)
{
    g_auto(GStrv) ids = g_strsplit(spec, "=", 2);
    uint64_t ia, ib;
    DiffWatch *wa, *wb;

    if (!ids[0] || !ids[1] || !qinsn_parse_u64(ids[0], &ia, NULL) ||
        !qinsn_parse_u64(ids[1], &ib, NULL)) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "--pair %s: give two watch ids, A_ID=B_ID", spec);
        return false;
    }
    wa = g_hash_table_lookup(a->by_id, GUINT_TO_POINTER((guint)ia));
    wb = g_hash_table_lookup(b->by_id, GUINT_TO_POINTER((guint)ib));
    if (!wa || !wb) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "--pair %s: %s has no watch w%" G_GUINT64_FORMAT,
                    spec, wa ? b->name : a->name, wa ? ib : ia);
        return false;
    }
    if (wa->partner || wb->partner) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "--pair %s: w%u is already paired", spec,
                    wa->partner ? wa->id : wb->id);
        return false;
    }
    pair(wa, wb);
    return true;
}

/* The n-th watch of @a with a symbol goes with the n-th of @b with it. */
static void pair_by_symbol(DiffLog *a, DiffLog *b)
{
    for (guint i = 0; i < a->watches->len; i++) {
        DiffWatch *wa = g_ptr_array_index(a->watches, i);

        for (guint j = 0; wa->sym && !wa->partner && j < b->watches->len;
             j++) {
            DiffWatch *wb = g_ptr_array_index(b->watches, j);
            if (!wb->partner && g_strcmp0(wa->sym, wb->sym) == 0 &&
                g_strcmp0(wa->kind, wb->kind) == 0) {
                pair(wa, wb);
            }
        }
    }
}

/*
 * The others in creation order.  Two watches that both have a symbol
 * (different ones, or they would be paired) are no pair: both are left
 * out, and the walk goes on.
 */
static void pair_by_order(DiffLog *a, DiffLog *b)
{
    guint i = 0, j = 0;

    for (;;) {
        DiffWatch *wa = NULL, *wb = NULL;

        while (i < a->watches->len &&
               (wa = g_ptr_array_index(a->watches, i))->partner) {
            i++;
        }
        while (j < b->watches->len &&
               (wb = g_ptr_array_index(b->watches, j))->partner) {
            j++;
        }
        if (i >= a->watches->len || j >= b->watches->len) {
            return;
        }
        if (!(wa->sym && wb->sym) &&
            (!wa->kind || !wb->kind || g_str_equal(wa->kind, wb->kind))) {
            pair(wa, wb);
        }
        i++;
        j++;
    }
}

/* --watch ADDR|SYMBOL: does it name @w? */
static bool watch_named(const DiffWatch *w, const char *what)
{
    uint64_t addr;

    if (w->sym && g_str_equal(w->sym, what)) {
        return true;
    }
    return qinsn_parse_u64(what, &addr, NULL) && addr >= w->start &&
           addr <= w->end;
}

static bool select_watches(DiffLog *a, DiffLog *b, const char *what,
                           GError **errp)
{
    bool any = false;

    for (int side = 0; side < 2; side++) {
        DiffLog *log = side ? b : a;
        for (guint i = 0; i < log->watches->len; i++) {
            DiffWatch *w = g_ptr_array_index(log->watches, i);
            bool hit = !what || watch_named(w, what) ||
                       (w->partner && watch_named(w->partner, what));

            w->selected = hit;
            any |= hit;
        }
    }
    if (what && !any) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "--watch %s: no watch of %s or %s is at that address "
                    "or has that symbol", what, a->name, b->name);
        return false;
    }
    return true;
}

/* Does a selected watch of @log log the register @name (or #N)? */
static bool logs_register(const DiffLog *log, const char *name)
{
    const char *n = name[0] == '$' ? name + 1 : name;

    for (guint i = 0; i < log->watches->len; i++) {
        const DiffWatch *w = g_ptr_array_index(log->watches, i);

        for (guint r = 0; w->selected && r < w->regs->len; r++) {
            if (g_str_equal(g_ptr_array_index(w->regs, r), n) ||
                (n[0] == '#' && r < w->regnums->len &&
                 atoi(n + 1) == g_array_index(w->regnums, int, r))) {
                return true;
            }
        }
    }
    return false;
}

/* A misspelt --regs would make every hit agree: refuse names of nothing. */
static bool check_reg_names(const DiffLog *a, const DiffLog *b,
                            char **names, const char *option, GError **errp)
{
    static const char *const others[] = {
        "offset", "size", "dir", "value", "mem", "str", NULL
    };

    for (char **n = names; n && *n; n++) {
        if (!g_strv_contains(others, *n) && !logs_register(a, *n) &&
            !logs_register(b, *n)) {
            g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                        "%s: no compared watch of %s or %s logs a register "
                        "'%s'", option, a->name, b->name, *n);
            return false;
        }
    }
    return true;
}

bool diff_match(DiffLog *a, DiffLog *b, const DiffOptions *o, GError **errp)
{
    for (guint i = 0; o->pairs && i < o->pairs->len; i++) {
        if (!pair_option(a, b, g_ptr_array_index(o->pairs, i), errp)) {
            return false;
        }
    }
    pair_by_symbol(a, b);
    pair_by_order(a, b);
    return select_watches(a, b, o->watch, errp) &&
           check_reg_names(a, b, o->regs, "--regs", errp) &&
           check_reg_names(a, b, o->ignore_regs, "--ignore-regs", errp);
}
