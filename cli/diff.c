/*
 * "qinsn diff A B": where two runs of the same guest first behave
 * differently.  Hits are compared in order per watch (the k-th hit of a
 * watch in A with the k-th of its partner in B, by the rules of
 * diffcompare.c).  Run A is read in its execution order, so the first
 * divergence reported is the first in A.
 *
 * Exit status: 0 every compared hit agrees and both logs are complete;
 * 1 they differ, or the comparison is incomplete (drops, stalls, a log cut
 * off or without its summary, one run shorter, a watch without partner);
 * 2 usage or unreadable input, naming the file and line.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diff.h"
#include "output.h"

#define DIFF_DEFAULT_CONTEXT 3
#define DIFF_MAX_CONTEXT 1000

static const char diff_usage[] =
    "usage: qinsn diff [--regs R1,R2] [--ignore-regs R1,R2]\n"
    "                  [--watch ADDR|SYMBOL] [--pair A_ID=B_ID]...\n"
    "                  [--all] [--context N] [--json] A B\n"
    "A and B are logs of two runs (text or JSON; '-' is stdin).\n"
    "exit status: 0 the same, 1 different or incomplete, 2 usage or "
    "unreadable input.\n";

/* The last records read, for context: a ring of at most cap lines. */
typedef struct Ring {
    DiffLine *lines;
    int cap, len, head;
} Ring;

static void ring_init(Ring *r, int cap)
{
    r->cap = cap;
    r->lines = g_new0(DiffLine, cap ? cap : 1);
}

static void ring_clear(Ring *r)
{
    for (int i = 0; i < r->cap; i++) {
        g_free(r->lines[i].text);
    }
    g_free(r->lines);
}

static void ring_push(Ring *r, uint64_t lineno, const char *text)
{
    DiffLine *l;

    if (!r->cap) {
        return;
    }
    l = &r->lines[r->head];
    g_free(l->text);
    l->lineno = lineno;
    l->text = g_strdup(text);
    r->head = (r->head + 1) % r->cap;
    r->len = MIN(r->len + 1, r->cap);
}

static void line_clear(gpointer p)
{
    g_free(((DiffLine *)p)->text);
}

/* The ring's lines, oldest first, then the record at @lineno. */
static GArray *ring_context(const Ring *r, uint64_t lineno, const char *text)
{
    GArray *out = g_array_new(false, true, sizeof(DiffLine));
    DiffLine cur = { lineno, g_strdup(text) };

    g_array_set_clear_func(out, line_clear);
    for (int i = 0; i < r->len; i++) {
        const DiffLine *l = &r->lines[(r->head - r->len + i + r->cap) %
                                      r->cap];
        DiffLine copy = { l->lineno, g_strdup(l->text) };
        g_array_append_val(out, copy);
    }
    g_array_append_val(out, cur);
    return out;
}

/* B's reader of the hits of one watch. */
typedef struct Cursor {
    LogReader *r;
    LogRecord rec;
    Ring ring;
    bool done;
} Cursor;

static Cursor *cursor_new(const DiffLog *b, int context, GError **errp)
{
    LogReader *r = logread_open(b->name, b->path, errp);
    Cursor *c;

    if (!r) {
        return NULL;
    }
    c = g_new0(Cursor, 1);
    c->r = r;
    logrecord_init(&c->rec);
    ring_init(&c->ring, context);
    return c;
}

static void cursor_free(gpointer p)
{
    Cursor *c = p;

    logread_close(c->r);
    logrecord_clear(&c->rec);
    ring_clear(&c->ring);
    g_free(c);
}

/* B's next hit of watch @id: 1, 0 at B's end or loss, -1 on error. */
static int cursor_next(Cursor *c, const DiffLog *b, unsigned id,
                       GError **errp)
{
    const char *line;
    int got;

    if (c->done) {
        return 0;
    }
    if (c->rec.line) {
        ring_push(&c->ring, logread_lineno(c->r), c->rec.line);
    }
    while ((got = logread_next_line(c->r, &line, errp)) > 0) {
        uint64_t lineno = logread_lineno(c->r);
        long peek = logread_peek_watch(line);

        if (b->lost_line && lineno >= b->lost_line) {
            break;
        }
        /* another watch's hit: the first pass has checked it already */
        if (peek >= 0 && (unsigned long)peek != id) {
            ring_push(&c->ring, lineno, line);
            continue;
        }
        if (!logread_parse(c->r, &c->rec, errp)) {
            got = -1;
            break;
        }
        if ((c->rec.kind == LOG_HIT || c->rec.kind == LOG_MEM) &&
            c->rec.watch == id) {
            return 1;
        }
        ring_push(&c->ring, lineno, c->rec.line);
    }
    c->done = true;
    return got < 0 ? -1 : 0;
}

static void divergence_clear(Divergence *d)
{
    g_clear_pointer(&d->items, g_array_unref);
    g_clear_pointer(&d->ctx_a, g_array_unref);
    g_clear_pointer(&d->ctx_b, g_array_unref);
}

typedef struct DiffRun {
    DiffLog *a, *b;
    const DiffOptions *o;
    LogReader *ra;
    LogRecord rec;
    Ring ring;
    uint64_t compared, divergences;
    Divergence first;       /* kept for a one-object JSON answer */
} DiffRun;

/* Compare A's record @rec of @wa with B's next of the partner. */
static int compare_one(DiffRun *run, DiffWatch *wa, GError **errp)
{
    DiffWatch *wb = wa->partner;
    Cursor *c = wb->cursor;
    Divergence d = { .wa = wa, .wb = wb };
    int got;

    if (!c && !(c = wb->cursor = cursor_new(run->b, run->o->context,
                                             errp))) {
        return -1;
    }
    got = cursor_next(c, run->b, wb->id, errp);
    if (got <= 0) {
        wa->exhausted = true;
        return got;
    }
    d.index = ++wa->compared;
    run->compared++;
    d.items = diff_compare(wa, &run->rec, wb, &c->rec, run->o);
    if (!d.items->len) {
        divergence_clear(&d);
        return 0;
    }
    run->divergences++;
    d.hit_a = run->rec.hit;
    d.hit_b = c->rec.hit;
    d.ctx_a = ring_context(&run->ring, logread_lineno(run->ra),
                           run->rec.line);
    d.ctx_b = ring_context(&c->ring, logread_lineno(c->r), c->rec.line);
    if (run->o->all || !run->o->json) {
        diff_print_divergence(run->a, run->b, &d, run->o);
    }
    if (run->divergences == 1 && !run->o->all) {
        run->first = d;
        return 1;
    }
    divergence_clear(&d);
    return 1;
}

/* Whether A's hits of @wa are compared now. */
static bool comparing(const DiffWatch *wa)
{
    return wa && wa->selected && wa->partner && !wa->exhausted;
}

/* Read A in order; stops at the first divergence unless --all. */
static bool compare_logs(DiffRun *run, GError **errp)
{
    const char *line;
    int got;

    while ((got = logread_next_line(run->ra, &line, errp)) > 0) {
        uint64_t lineno = logread_lineno(run->ra);
        long peek = logread_peek_watch(line);
        DiffWatch *wa;

        if (run->a->lost_line && lineno >= run->a->lost_line) {
            break;
        }
        if (peek >= 0 && !comparing(g_hash_table_lookup(
                run->a->by_id, GUINT_TO_POINTER((guint)peek)))) {
            ring_push(&run->ring, lineno, line);
            continue;
        }
        if (!logread_parse(run->ra, &run->rec, errp)) {
            return false;
        }
        wa = g_hash_table_lookup(run->a->by_id,
                                 GUINT_TO_POINTER(run->rec.watch));
        if ((run->rec.kind == LOG_HIT || run->rec.kind == LOG_MEM) &&
            comparing(wa)) {
            int r = compare_one(run, wa, errp);
            if (r < 0) {
                return false;
            }
            if (r > 0 && !run->o->all) {
                return true;
            }
        }
        ring_push(&run->ring, lineno, run->rec.line);
    }
    return got >= 0;
}

static void note(GPtrArray *notes, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void note(GPtrArray *notes, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(notes, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

static void log_notes(const DiffLog *log, GPtrArray *notes)
{
    if (log->lost_line) {
        note(notes, "%s:%" G_GUINT64_FORMAT ": %s: hits after it are not "
             "compared", log->name, log->lost_line, log->lost_what);
    }
    if (log->summary && log->sum_dropped && !log->lost_line) {
        note(notes, "%s: its summary counts %" G_GUINT64_FORMAT " dropped "
             "hit records", log->name, log->sum_dropped);
    }
    if (log->summary && log->sum_write_errors) {
        note(notes, "%s: its summary counts %" G_GUINT64_FORMAT " write "
             "errors: records may be missing", log->name,
             log->sum_write_errors);
    } else if (log->summary && !log->lost_line &&
               log->sum_logged != log->records) {
        note(notes, "%s: its summary counts %" G_GUINT64_FORMAT " logged "
             "hits, the log holds %" G_GUINT64_FORMAT, log->name,
             log->sum_logged, log->records);
    }
    if (log->cut) {
        note(notes, "%s: its last line is cut off (the log is truncated)",
             log->name);
    } else if (!log->summary) {
        note(notes, "%s ends without a summary (a truncated log, or QEMU "
             "did not exit cleanly)", log->name);
    }
}

/* Watches compared over different lengths, or not at all. */
static void watch_notes(const DiffLog *a, const DiffLog *b,
                        GPtrArray *notes)
{
    bool lossy = a->lost_line || b->lost_line;

    for (int side = 0; side < 2; side++) {
        const DiffLog *log = side ? b : a, *other = side ? a : b;

        for (guint i = 0; i < log->watches->len; i++) {
            const DiffWatch *w = g_ptr_array_index(log->watches, i);
            g_autofree char *what = diff_watch_describe(w);

            if (!w->selected || !w->records) {
                continue;
            }
            if (!w->partner) {
                note(notes, "watch %s of %s has no counterpart in %s: its "
                     "%" G_GUINT64_FORMAT " hits are not compared", what,
                     log->name, other->name, w->records);
            } else if (!side && !lossy &&
                       w->records != w->partner->records) {
                bool a_short = w->records < w->partner->records;
                note(notes, "watch %s: %s has %" G_GUINT64_FORMAT " hits, "
                     "%s has %" G_GUINT64_FORMAT " (the run of %s is "
                     "shorter)", what, a->name, w->records, b->name,
                     w->partner->records, a_short ? a->name : b->name);
            }
        }
    }
}

/* A usage error or unreadable input: on stderr, or as JSON with --json. */
static void diff_fail(const DiffOptions *o, const char *msg)
{
    if (o->json) {
        g_autoptr(GString) out = g_string_new(NULL);
        g_autofree char *text = g_strdup_printf("diff: %s", msg);

        output_json_error(out, NULL, CLI_EXIT_USAGE, text);
        fputs(out->str, stdout);
    } else {
        fprintf(stderr, "qinsn: diff: %s\n", msg);
    }
}

static int run_diff(DiffLog *a, DiffLog *b, const DiffOptions *o)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
    DiffRun run = { .a = a, .b = b, .o = o };
    bool ok;

    if (!diff_log_scan(a, &err) || !diff_log_scan(b, &err) ||
        !diff_match(a, b, o, &err) ||
        !(run.ra = logread_open(a->name, a->path, &err))) {
        diff_fail(o, err->message);
        return CLI_EXIT_USAGE;
    }
    logrecord_init(&run.rec);
    ring_init(&run.ring, o->context);
    ok = compare_logs(&run, &err);
    for (guint i = 0; i < b->watches->len; i++) {
        DiffWatch *w = g_ptr_array_index(b->watches, i);
        g_clear_pointer(&w->cursor, cursor_free);
    }
    logread_close(run.ra);
    logrecord_clear(&run.rec);
    ring_clear(&run.ring);
    if (!ok) {
        divergence_clear(&run.first);
        diff_fail(o, err->message);
        return CLI_EXIT_USAGE;
    }
    log_notes(a, notes);
    log_notes(b, notes);
    watch_notes(a, b, notes);
    diff_print_result(a, b, o, run.compared, run.divergences, notes,
                      run.first.items ? &run.first : NULL);
    divergence_clear(&run.first);
    return run.divergences || notes->len ? CLI_EXIT_REMOTE : CLI_EXIT_OK;
}

enum {
    DIFF_REGS = 256, DIFF_IGNORE, DIFF_WATCH, DIFF_PAIR, DIFF_ALL,
    DIFF_CONTEXT, DIFF_JSON,
};

static const struct option diff_options[] = {
    { "regs", required_argument, NULL, DIFF_REGS },
    { "ignore-regs", required_argument, NULL, DIFF_IGNORE },
    { "watch", required_argument, NULL, DIFF_WATCH },
    { "pair", required_argument, NULL, DIFF_PAIR },
    { "all", no_argument, NULL, DIFF_ALL },
    { "context", required_argument, NULL, DIFF_CONTEXT },
    { "json", no_argument, NULL, DIFF_JSON },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static bool usage_error(const char *fmt, const char *arg)
{
    fputs("qinsn: diff: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n", stderr);
    fputs(diff_usage, stderr);
    return false;
}

/* Returns false on a usage error (reported); *@help for --help. */
static bool parse_diff(int argc, char **argv, DiffOptions *o, bool *help)
{
    char *end;
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "+h", diff_options, NULL)) != -1) {
        switch (c) {
        case DIFF_REGS:
            g_strfreev(o->regs);
            o->regs = g_strsplit(optarg, ",", -1);
            break;
        case DIFF_IGNORE:
            g_strfreev(o->ignore_regs);
            o->ignore_regs = g_strsplit(optarg, ",", -1);
            break;
        case DIFF_WATCH: o->watch = optarg; break;
        case DIFF_PAIR: g_ptr_array_add(o->pairs, optarg); break;
        case DIFF_ALL: o->all = true; break;
        case DIFF_JSON: o->json = true; break;
        case DIFF_CONTEXT:
            o->context = (int)strtol(optarg, &end, 10);
            if (*end || !*optarg || o->context < 0 ||
                o->context > DIFF_MAX_CONTEXT) {
                return usage_error("--context %s: give a number of records "
                                   "from 0 to 1000", optarg);
            }
            break;
        case 'h':
            fputs(diff_usage, stdout);
            *help = true;
            return true;
        default:
            fputs(diff_usage, stderr);
            return false;
        }
    }
    if (argc - optind != 2) {
        return usage_error("%s", argc - optind < 2 ? "two logs are needed, "
                           "A and B" : "only two logs, A and B");
    }
    return true;
}

int diff_main(int argc, char **argv, CliOptions *co)
{
    g_autoptr(GError) err = NULL;
    DiffOptions o = { .context = DIFF_DEFAULT_CONTEXT, .json = co->json };
    DiffLog a = { 0 }, b = { 0 };
    bool help = false;
    int rc = CLI_EXIT_USAGE;

    o.pairs = g_ptr_array_new();
    if (parse_diff(argc, argv, &o, &help) && !help) {
        a.name = argv[optind];
        b.name = argv[optind + 1];
        if (g_str_equal(a.name, "-") && g_str_equal(b.name, "-")) {
            diff_fail(&o, "only one of A and B can be stdin");
        } else if (!(a.path = logread_prepare(a.name, &a.tmp, &err)) ||
                   !(b.path = logread_prepare(b.name, &b.tmp, &err))) {
            diff_fail(&o, err->message);
        } else {
            rc = run_diff(&a, &b, &o);
        }
    } else if (help) {
        rc = CLI_EXIT_OK;
    }
    diff_log_clear(&a);
    diff_log_clear(&b);
    g_strfreev(o.regs);
    g_strfreev(o.ignore_regs);
    g_ptr_array_unref(o.pairs);
    return rc;
}
