/*
 * What qinsn diff prints: each divergence (the watch, the hit, every
 * differing register or capture with both values, and the records before
 * it in both logs), then the verdict with what made the comparison
 * incomplete.  Text for people; with --json one object (or, with --all,
 * one line per divergence and a closing result line).
 */
#include <stdio.h>

#include "diff.h"
#include "proto.h"

static void json_str(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    qinsn_json_escape(out, s ? s : "");
    g_string_append_c(out, '"');
}

static void json_watch(GString *out, const DiffWatch *w)
{
    g_string_append_printf(out, "{\"id\":%u,\"addr\":\"0x%"
                           G_GINT64_MODIFIER "x\"", w->id, w->start);
    if (w->end != w->start) {
        g_string_append_printf(out, ",\"end\":\"0x%" G_GINT64_MODIFIER "x\"",
                               w->end);
    }
    if (w->sym) {
        g_string_append(out, ",\"sym\":");
        json_str(out, w->sym);
    }
    g_string_append_c(out, '}');
}

static void json_context(GString *out, const GArray *ctx)
{
    g_string_append_c(out, '[');
    for (guint i = 0; i < ctx->len; i++) {
        const DiffLine *l = &g_array_index(ctx, DiffLine, i);
        g_string_append_printf(out, "%s{\"line\":%" G_GUINT64_FORMAT
                               ",\"record\":", i ? "," : "", l->lineno);
        json_str(out, l->text);
        g_string_append_c(out, '}');
    }
    g_string_append_c(out, ']');
}

static void json_divergence(GString *out, const Divergence *d)
{
    g_string_append(out, "{\"watch\":{\"a\":");
    json_watch(out, d->wa);
    g_string_append(out, ",\"b\":");
    json_watch(out, d->wb);
    g_string_append_printf(out, "},\"index\":%" G_GUINT64_FORMAT
                           ",\"hit\":{\"a\":%" G_GUINT64_FORMAT ",\"b\":%"
                           G_GUINT64_FORMAT "},\"diffs\":[", d->index,
                           d->hit_a, d->hit_b);
    for (guint i = 0; i < d->items->len; i++) {
        const DiffItem *it = &g_array_index(d->items, DiffItem, i);
        g_string_append(out, i ? ",{\"name\":" : "{\"name\":");
        json_str(out, it->name);
        if (it->regnum >= 0) {
            g_string_append_printf(out, ",\"regnum\":%d", it->regnum);
        }
        g_string_append(out, ",\"a\":");
        json_str(out, it->a);
        g_string_append(out, ",\"b\":");
        json_str(out, it->b);
        g_string_append_c(out, '}');
    }
    g_string_append(out, "],\"context\":{\"a\":");
    json_context(out, d->ctx_a);
    g_string_append(out, ",\"b\":");
    json_context(out, d->ctx_b);
    g_string_append(out, "}}");
}

static void text_context(GString *out, const DiffLog *log, const GArray *ctx)
{
    g_string_append_printf(out, "  in %s:\n", log->name);
    for (guint i = 0; i < ctx->len; i++) {
        const DiffLine *l = &g_array_index(ctx, DiffLine, i);
        g_string_append_printf(out, "  %s %s:%" G_GUINT64_FORMAT ": %s\n",
                               i + 1 == ctx->len ? ">" : " ", log->name,
                               l->lineno, l->text);
    }
}

static void text_divergence(GString *out, const DiffLog *a, const DiffLog *b,
                            const Divergence *d, const DiffOptions *o)
{
    g_autofree char *wa = diff_watch_describe(d->wa);
    g_autofree char *wb = diff_watch_describe(d->wb);

    g_string_append_printf(out, "%s: watch %s", o->all ? "divergence"
                           : "first divergence", wa);
    if (g_strcmp0(wa, wb) != 0) {
        g_string_append_printf(out, " in %s, %s in %s", a->name, wb,
                               b->name);
    }
    if (d->hit_a == d->index && d->hit_b == d->index) {
        g_string_append_printf(out, ", hit #%" G_GUINT64_FORMAT ":\n",
                               d->index);
    } else {
        g_string_append_printf(out, ", hit #%" G_GUINT64_FORMAT " in %s, #%"
                               G_GUINT64_FORMAT " in %s (logged hit %"
                               G_GUINT64_FORMAT " of both):\n", d->hit_a,
                               a->name, d->hit_b, b->name, d->index);
    }
    for (guint i = 0; i < d->items->len; i++) {
        const DiffItem *it = &g_array_index(d->items, DiffItem, i);
        g_autofree char *num = it->regnum >= 0 ?
            g_strdup_printf(" (gdb %d)", it->regnum) : g_strdup("");
        g_string_append_printf(out, "  %s%s: %s %s, %s %s\n", it->name, num,
                               a->name, it->a, b->name, it->b);
    }
    text_context(out, a, d->ctx_a);
    text_context(out, b, d->ctx_b);
}

void diff_print_divergence(const DiffLog *a, const DiffLog *b,
                           const Divergence *d, const DiffOptions *o)
{
    g_autoptr(GString) out = g_string_new(NULL);

    if (o->json) {
        g_string_append(out, "{\"type\":\"divergence\",\"divergence\":");
        json_divergence(out, d);
        g_string_append(out, "}\n");
    } else {
        text_divergence(out, a, b, d, o);
    }
    fputs(out->str, stdout);
}

static const char *verdict(uint64_t divergences, const GPtrArray *notes)
{
    return divergences ? "differ" : notes->len ? "incomplete" : "same";
}

static guint compared_watches(const DiffLog *a)
{
    guint n = 0;

    for (guint i = 0; i < a->watches->len; i++) {
        const DiffWatch *w = g_ptr_array_index(a->watches, i);
        n += w->selected && w->partner && w->compared;
    }
    return n;
}

static void json_result(GString *out, const DiffLog *a, const DiffLog *b,
                        const DiffOptions *o, uint64_t compared,
                        uint64_t divergences, const GPtrArray *notes,
                        const Divergence *first)
{
    g_string_append(out, "{\"type\":\"result\",\"result\":");
    json_str(out, verdict(divergences, notes));
    g_string_append(out, ",\"a\":");
    json_str(out, a->name);
    g_string_append(out, ",\"b\":");
    json_str(out, b->name);
    g_string_append_printf(out, ",\"compared\":%" G_GUINT64_FORMAT
                           ",\"watches\":%u,\"divergences\":%"
                           G_GUINT64_FORMAT, compared, compared_watches(a),
                           divergences);
    if (!o->all) {
        g_string_append(out, ",\"divergence\":");
        if (first) {
            json_divergence(out, first);
        } else {
            g_string_append(out, "null");
        }
    }
    g_string_append(out, ",\"incomplete\":[");
    for (guint i = 0; i < notes->len; i++) {
        if (i) {
            g_string_append_c(out, ',');
        }
        json_str(out, g_ptr_array_index(notes, i));
    }
    g_string_append(out, "]}\n");
}

void diff_print_result(const DiffLog *a, const DiffLog *b,
                       const DiffOptions *o, uint64_t compared,
                       uint64_t divergences, GPtrArray *notes,
                       const Divergence *first)
{
    g_autoptr(GString) out = g_string_new(NULL);
    guint watches = compared_watches(a);

    if (o->json) {
        json_result(out, a, b, o, compared, divergences, notes, first);
        fputs(out->str, stdout);
        return;
    }
    if (divergences && o->all) {
        g_string_append_printf(out, "%s and %s differ: %" G_GUINT64_FORMAT
                               " of %" G_GUINT64_FORMAT " compared hits\n",
                               a->name, b->name, divergences, compared);
    } else if (divergences) {
        g_string_append_printf(out, "%s and %s differ (%" G_GUINT64_FORMAT
                               " hits compared up to there)\n", a->name,
                               b->name, compared);
    } else {
        g_string_append_printf(out, "%s and %s agree on %" G_GUINT64_FORMAT
                               " hits of %u watch%s%s\n", a->name, b->name,
                               compared, watches, watches == 1 ? "" : "es",
                               notes->len ? ", but the comparison is "
                               "incomplete:" : "; both logs are complete");
    }
    for (guint i = 0; i < notes->len; i++) {
        g_string_append_printf(out, "incomplete: %s\n",
                               (char *)g_ptr_array_index(notes, i));
    }
    fputs(out->str, stdout);
}
