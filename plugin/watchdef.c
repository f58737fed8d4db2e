/*
 * What a watch is: built from a parsed request (watchspec.h) against the
 * target's registers, with the layout of its hit records; freed; and
 * described as `list` shows it.  The table that holds watches is
 * watch.c.
 */
#include "watch.h"

#include <inttypes.h>
#include <string.h>

static bool add_reg(Watch *w, const QinsnRegTable *regs, const char *name,
                    GError **errp)
{
    int i = qinsn_regs_resolve(regs, name, errp);

    if (i < 0) {
        return false;
    }
    if (w->nregs == QINSN_MAX_WATCH_REGS) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_LIMIT,
                    "at most %d registers per watch", QINSN_MAX_WATCH_REGS);
        return false;
    }
    if (qinsn_regs_at(regs, i)->size > TRACE_MAX_REG_BYTES) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_LIMIT,
                    "register '%s' is %d bytes: a record holds at most %d "
                    "bytes of one register", name,
                    qinsn_regs_at(regs, i)->size, TRACE_MAX_REG_BYTES);
        return false;
    }
    w->regs[w->nregs] = i;
    w->labels[w->nregs] = qinsn_regs_label(name);
    w->nregs++;
    w->record_bytes += 1 + qinsn_regs_at(regs, i)->size;
    return true;
}

/* The condition's register: -1 for a memory watch's accessed value. */
static bool setup_cond(Watch *w, const QinsnWatchSpec *o,
                       const QinsnRegTable *regs, GError **errp)
{
    if (w->kind == QINSN_WATCH_MEM) {
        if (!g_str_equal(o->cond.reg, "value")) {
            /* -1 from a failed lookup must not read as "value" */
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                        "if: memory watches compare the accessed value, "
                        "not '%s'", o->cond.reg);
            return false;
        }
        w->cond_reg = -1;
    } else {
        w->cond_reg = qinsn_regs_resolve(regs, o->cond.reg, errp);
        if (w->cond_reg < 0) {
            g_prefix_error(errp, "if: ");
            return false;
        }
        w->cond_size = qinsn_regs_at(regs, w->cond_reg)->size;
        if (w->cond_size > 8) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                        "if: register '%s' is wider than 64 bits",
                        o->cond_text);
            return false;
        }
    }
    w->cond_op = o->cond.op;
    w->cond_value = o->cond.value;
    w->cond_text = g_strdup(o->cond_text);
    w->has_cond = true;
    return true;
}

static bool setup_capture(Watch *w, const QinsnWatchSpec *o,
                          const QinsnRegTable *regs, GError **errp)
{
    w->capture_reg = qinsn_regs_resolve(regs, o->capture_reg, errp);
    if (w->capture_reg < 0) {
        g_prefix_error(errp, "%s: ",
                       o->capture == QINSN_CAPTURE_MEM ? "mem" : "str");
        return false;
    }
    w->capture_off = o->capture_off;
    w->capture_len = o->capture_len;
    w->capture_text = g_strdup(o->capture_text);
    w->capture = o->capture;
    w->record_bytes += w->capture_len + 12;
    return true;
}

/* The watch record of @w; its id is set when the table assigns one. */
static TraceWatch *make_layout(const Watch *w, const QinsnRegTable *regs)
{
    TraceWatch *t = g_new0(TraceWatch, 1);

    t->kind = w->kind == QINSN_WATCH_MEM ? TRACE_WATCH_MEM :
        w->kind == QINSN_WATCH_BREAK ? TRACE_WATCH_BREAK : TRACE_WATCH_INSN;
    t->dir = w->mem_dir;
    t->addr = w->start;
    t->end = w->end;
    t->sym = g_strdup(w->sym);
    t->cond = g_strdup(w->cond_text);
    t->ignore = w->ignore;
    t->count = w->count;
    t->cpu = w->cpu;
    t->capture = w->capture == QINSN_CAPTURE_MEM ? TRACE_CAPTURE_MEM :
        w->capture == QINSN_CAPTURE_STR ? TRACE_CAPTURE_STR :
        TRACE_CAPTURE_NONE;
    /* "mem=SPEC" or "str=SPEC": the record keeps the spec */
    t->capture_spec = w->capture_text ? g_strdup(w->capture_text + 4) : NULL;
    t->capture_len = w->capture ? w->capture_len : 0;
    t->nregs = w->nregs;
    for (int i = 0; i < w->nregs; i++) {
        const QinsnReg *r = qinsn_regs_at(regs, w->regs[i]);
        t->labels[i] = g_strdup(w->labels[i]);
        t->regnums[i] = r->gdb_num;
        t->regsizes[i] = r->size;
        t->regflags[i] = w->regs[i] == regs->flags ? TRACE_REG_FLAGS : 0;
    }
    return t;
}

static void hook_free(gpointer p)
{
    Hook *h = p;

    g_free(h->disas);
    g_free(h);
}

/*
 * How hits read @w's registers: their handles and sizes, which ones are
 * the PC (a hit may take its value from the hook), and which slot holds
 * the condition's register (read once for both), or -1.
 */
static void setup_reads(Watch *w, const QinsnRegTable *regs)
{
    w->cond_slot = -1;
    for (int i = 0; i < w->nregs; i++) {
        if (w->has_cond && w->regs[i] == w->cond_reg &&
            w->cond_reg != regs->pc) {
            w->cond_slot = i;
        }
        w->reads[i] = (WatchRead) {
            .handle = qinsn_regs_at(regs, w->regs[i])->handle,
            .size = w->layout->regsizes[i],
            .pc = w->regs[i] == regs->pc,
        };
    }
}

Watch *watch_new(const QinsnWatchSpec *o, const QinsnRegTable *regs,
                 GPtrArray *default_regs, GError **errp)
{
    g_autoptr(GPtrArray) names = o->regs ? g_ptr_array_ref(o->regs) :
        g_ptr_array_ref(default_regs);
    Watch *w = g_new0(Watch, 1);

    w->kind = o->kind;
    w->mem_dir = o->mem_dir;
    w->start = o->start;
    w->end = o->end;
    if (w->kind == QINSN_WATCH_MEM) {
        /* address, size, direction and value come first in a record */
        w->record_bytes = 8 + 1 + 1 + 16;
    }
    w->ignore = o->ignore;
    w->count = o->count;
    w->sym = g_strdup(o->sym);
    w->cpu = o->cpu;
    atomic_init(&w->enabled, true);
    for (guint i = 0; i < names->len; i++) {
        if (!add_reg(w, regs, g_ptr_array_index(names, i), errp)) {
            goto fail;
        }
    }
    if (o->has_cond && !setup_cond(w, o, regs, errp)) {
        goto fail;
    }
    if (o->capture && !setup_capture(w, o, regs, errp)) {
        goto fail;
    }
    if (w->record_bytes > QINSN_RECORD_DATA) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_LIMIT,
                    "a hit of this watch would need %zu bytes, over the "
                    "record limit of %d", w->record_bytes, QINSN_RECORD_DATA);
        goto fail;
    }
    w->hooks = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
                                     hook_free);
    w->layout = make_layout(w, regs);
    setup_reads(w, regs);
    w->ev_max = trace_hit_max(w->layout);
    return w;

fail:
    watch_free(w);
    return NULL;
}

void watch_free(Watch *w)
{
    if (!w) {
        return;
    }
    for (int i = 0; i < w->nregs; i++) {
        g_free(w->labels[i]);
    }
    g_free(w->cond_text);
    g_free(w->capture_text);
    g_free(w->sym);
    trace_watch_free(w->layout);
    if (w->hooks) {
        g_hash_table_unref(w->hooks);
    }
    g_free(w);
}

/* QEMU's disassembly at the watch's first address, once translated. */
static void append_disas(const Watch *w, GString *out)
{
    const Hook *h = w->hooks ? g_hash_table_lookup(w->hooks, &w->start)
                             : NULL;

    if (h && h->disas) {
        g_string_append(out, " disas=");
        qinsn_quote(out, h->disas);
    }
}

/* done (count= reached), hit, armed (translated) or pending. */
static const char *watch_state(const Watch *w, uint64_t hits)
{
    if (atomic_load(&w->done)) {
        return "done";
    } else if (hits) {
        return "hit";
    } else if (atomic_load(&w->translated)) {
        return "armed";
    }
    return "pending";
}

/* The options a watch was set with: if=, ignore=, count=, cpu=, mem/str=. */
static void append_options(const Watch *w, GString *out)
{
    if (w->has_cond) {
        g_string_append_printf(out, " if=%s", w->cond_text);
    }
    if (w->ignore) {
        g_string_append_printf(out, " ignore=%" PRIu64, w->ignore);
    }
    if (w->count) {
        g_string_append_printf(out, " count=%" PRIu64, w->count);
    }
    if (w->cpu >= 0) {
        g_string_append_printf(out, " cpu=%d", w->cpu);
    }
    if (w->capture_text) {
        g_string_append_printf(out, " %s", w->capture_text);
    }
}

void watch_describe(const Watch *w, const QinsnRegTable *regs, GString *out)
{
    const char *state;
    uint64_t hits, logged;

    watch_counts(w, &hits, &logged);
    state = watch_state(w, hits);
    g_string_append_printf(out, "id=%u addr=0x%" PRIx64, w->id, w->start);
    if (w->kind == QINSN_WATCH_MEM) {
        g_string_append_printf(out, " len=%" PRIu64 " type=mem dir=%s%s",
                               w->end - w->start + 1,
                               w->mem_dir & QINSN_MEM_READ ? "r" : "",
                               w->mem_dir & QINSN_MEM_WRITE ? "w" : "");
    } else if (w->end != w->start) {
        g_string_append_printf(out, "..0x%" PRIx64, w->end);
    }
    if (w->kind == QINSN_WATCH_BREAK) {
        g_string_append(out, " type=break");
    }
    g_string_append_printf(out, " state=%s enabled=%s hits=%" PRIu64
                           " logged=%" PRIu64 " regs=",
                           state, atomic_load(&w->enabled) ? "yes" : "no",
                           hits, logged);
    for (int i = 0; i < w->nregs; i++) {
        g_string_append_printf(out, "%s%s", i ? "," : "", w->labels[i]);
    }
    if (!w->nregs) {
        g_string_append(out, "-");
    }
    append_options(w, out);
    if (w->insn_len) {
        g_string_append(out, " insn=");
        for (int i = 0; i < w->insn_len; i++) {
            g_string_append_printf(out, "%02x", w->insn[i]);
        }
    }
    append_disas(w, out);
    if (w->sym) {
        g_string_append_printf(out, " sym=%s", w->sym);
    }
    (void)regs;
}
