/*
 * The comparison of two hits, one of each run: registers by gdb number,
 * so that s0 and fp are one register (by name only when a log has no
 * numbers, as logs written before watch records); only registers both
 * hold; never the record's own address (pc), since builds move code, nor
 * a value marked stale, which is not the register's.
 */
#include <stdlib.h>
#include <string.h>

#include "diff.h"

/* A filter word names a register: its label in A or B, or #N. */
static bool reg_named(char **list, const char *la, const char *lb, int num)
{
    for (char **f = list; f && *f; f++) {
        const char *n = **f == '$' ? *f + 1 : *f;

        if (g_str_equal(n, la) || (lb && g_str_equal(n, lb)) ||
            (n[0] == '#' && num >= 0 && atoi(n + 1) == num)) {
            return true;
        }
    }
    return false;
}

static bool wanted(const DiffOptions *o, const char *la, const char *lb,
                   int num)
{
    return (!o->regs || reg_named(o->regs, la, lb, num)) &&
           !reg_named(o->ignore_regs, la, lb, num);
}

static void add_item(GArray *items, const char *name, int regnum,
                     const char *a, const char *b)
{
    DiffItem it = { g_strdup(name), regnum, g_strdup(a ? a : "none"),
                    g_strdup(b ? b : "none") };

    g_array_append_val(items, it);
}

/* The gdb number of the register at @pos of a hit of @w, or -1. */
static int regnum_of(const DiffWatch *w, const char *name, guint pos)
{
    int i = pos < w->regs->len &&
            g_str_equal(g_ptr_array_index(w->regs, pos), name) ?
            (int)pos : diff_watch_reg(w, name);

    return i >= 0 && (guint)i < w->regnums->len ?
           g_array_index(w->regnums, int, i) : -1;
}

static void compare_regs(const DiffWatch *wa, const LogRecord *ra,
                         const DiffWatch *wb, const LogRecord *rb,
                         const DiffOptions *o, GArray *items)
{
    for (guint i = 0; i < ra->regs->len; i++) {
        const LogReg *x = &g_array_index(ra->regs, LogReg, i);
        int num = regnum_of(wa, x->name, i);
        const LogReg *y = NULL;

        for (guint j = 0; !y && j < rb->regs->len; j++) {
            const LogReg *c = &g_array_index(rb->regs, LogReg, j);
            int nb = regnum_of(wb, c->name, j);

            /* by number when both logs know it, else by name */
            if (num >= 0 && nb >= 0 ? num == nb
                                    : g_str_equal(x->name, c->name)) {
                y = c;
            }
        }
        /* a stale value is not the register's: nothing to compare */
        if (!y || x->stale || y->stale || !wanted(o, x->name, y->name, num)) {
            continue;
        }
        if (!g_str_equal(x->value, y->value)) {
            add_item(items, x->name, num, x->value, y->value);
        }
    }
}

static void compare_field(GArray *items, const DiffOptions *o,
                          const char *name, const char *a, const char *b)
{
    if (g_strcmp0(a, b) != 0 && wanted(o, name, NULL, -1)) {
        add_item(items, name, -1, a, b);
    }
}

/*
 * What else a record holds: a memory access (its offset in the watched
 * range, not its address, which moves with the build), and a capture.
 */
static void compare_rest(const DiffWatch *wa, const LogRecord *ra,
                         const DiffWatch *wb, const LogRecord *rb,
                         const DiffOptions *o, GArray *items)
{
    if (ra->kind == LOG_MEM && rb->kind == LOG_MEM) {
        g_autofree char *sa = g_strdup_printf("%u", ra->size);
        g_autofree char *sb = g_strdup_printf("%u", rb->size);
        g_autofree char *oa = g_strdup_printf("0x%" G_GINT64_MODIFIER "x",
                                              ra->addr - wa->start);
        g_autofree char *ob = g_strdup_printf("0x%" G_GINT64_MODIFIER "x",
                                              rb->addr - wb->start);

        compare_field(items, o, "offset", oa, ob);
        compare_field(items, o, "size", sa, sb);
        compare_field(items, o, "dir", ra->dir, rb->dir);
        compare_field(items, o, "value", ra->value, rb->value);
    }
    if (ra->cap_kind || rb->cap_kind) {
        const char *name = ra->cap_kind ? ra->cap_kind : rb->cap_kind;

        if (g_strcmp0(ra->cap_kind, rb->cap_kind) != 0) {
            compare_field(items, o, name, ra->cap_kind, rb->cap_kind);
        } else {
            compare_field(items, o, name, ra->cap_value, rb->cap_value);
        }
    }
}

static void item_clear(gpointer p)
{
    DiffItem *it = p;

    g_free(it->name);
    g_free(it->a);
    g_free(it->b);
}

GArray *diff_compare(const DiffWatch *wa, const LogRecord *ra,
                     const DiffWatch *wb, const LogRecord *rb,
                     const DiffOptions *o)
{
    GArray *items = g_array_new(false, true, sizeof(DiffItem));

    g_array_set_clear_func(items, item_clear);
    compare_regs(wa, ra, wb, rb, o, items);
    compare_rest(wa, ra, wb, rb, o, items);
    return items;
}
