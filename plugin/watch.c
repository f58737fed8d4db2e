/*
 * The watch table and the building of watches from user options.
 */
#include "watch.h"


#include <inttypes.h>
#include <limits.h>
#include <string.h>

struct WatchTable {
    GMutex lock;
    uint32_t next_id;
    uint32_t max_watches;
    uint64_t max_range;
    GHashTable *by_id;          /* id -> Watch, live watches */
    GHashTable *by_pc;          /* &start -> GPtrArray of single-PC Watch */
    GPtrArray *ranges;          /* Watch with end > start */
    GPtrArray *graveyard;       /* removed, awaiting reclaim */
    GPtrArray *mem;             /* memory watches */
    _Atomic(MemSet *) mem_set;  /* snapshot of mem for execution */
    GPtrArray *old_sets;        /* replaced snapshots, awaiting reclaim */
    uint64_t retired_hits;
    uint64_t retired_logged;
};

/* A snapshot a vCPU may still be reading until the next flush. */
typedef struct RetiredSet {
    MemSet *set;
    uint64_t flushes;
} RetiredSet;

static void retired_set_free(gpointer p)
{
    RetiredSet *r = p;

    g_free(r->set);
    g_free(r);
}

void watch_options_init(WatchOptions *o)
{
    memset(o, 0, sizeof(*o));
    o->cpu = -1;
}

void watch_options_clear(WatchOptions *o)
{
    if (o->regs) {
        g_ptr_array_unref(o->regs);
    }
    g_free(o->cond);
    g_free(o->capture_spec);
    g_free(o->sym);
    watch_options_init(o);
}

static bool parse_count(const char *key, const char *val, uint64_t *out,
                        GError **errp)
{
    if (!qinsn_parse_u64(val, out, errp)) {
        g_prefix_error(errp, "%s: ", key);
        return false;
    }
    return true;
}

/*
 * The symbol a client resolved the address from, kept for the log's watch
 * record; the wire's word splitting already refuses spaces and control bytes.
 */
static bool parse_sym(const char *v, char **out, GError **errp)
{
    if (!*v || strlen(v) > 255 || strchr(v, '"') || strchr(v, '\\')) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "sym: '%s' is not a symbol name (1 to 255 characters, "
                    "no quotes or backslashes)", v);
        return false;
    }
    *out = g_strdup(v);
    return true;
}

/* Options both kinds of watch take: regs, if, ignore, count, once, cpu. */
static bool common_options(WatchOptions *o, const QinsnRequest *req,
                           GError **errp)
{
    const char *v;
    uint64_t n;

    v = qinsn_request_opt(req, "regs");
    if (v) {
        g_auto(GStrv) names = g_strsplit_set(v, ",:", -1);
        o->regs = g_ptr_array_new_with_free_func(g_free);
        for (int i = 0; names[i]; i++) {
            if (!*names[i]) {
                continue;
            }
            if (!qinsn_regs_name_valid(names[i], errp)) {
                return false;
            }
            g_ptr_array_add(o->regs, g_strdup(names[i]));
        }
    }
    if ((v = qinsn_request_opt(req, "if"))) {
        o->cond = g_strdup(v);
    }
    if ((v = qinsn_request_opt(req, "sym")) && !parse_sym(v, &o->sym, errp)) {
        return false;
    }
    if ((v = qinsn_request_opt(req, "ignore")) &&
        !parse_count("ignore", v, &o->ignore, errp)) {
        return false;
    }
    if ((v = qinsn_request_opt(req, "count")) &&
        !parse_count("count", v, &o->count, errp)) {
        return false;
    }
    if (qinsn_request_has_flag(req, "once")) {
        if (o->count > 1) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                        "once contradicts count=%" G_GUINT64_FORMAT,
                        o->count);
            return false;
        }
        o->count = 1;
    }
    if ((v = qinsn_request_opt(req, "cpu"))) {
        if (!parse_count("cpu", v, &n, errp)) {
            return false;
        }
        if (n > 4095) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                        "cpu: %" G_GUINT64_FORMAT " is not a vCPU index", n);
            return false;
        }
        o->cpu = (int)n;
    }
    return true;
}

bool watch_options_from_request(WatchOptions *o, const QinsnRequest *req,
                                GError **errp)
{
    const char *v;

    if (!qinsn_parse_range(g_ptr_array_index(req->args, 0), &o->start,
                           &o->end, errp)) {
        return false;
    }
    if (!common_options(o, req, errp)) {
        return false;
    }
    if ((v = qinsn_request_opt(req, "mem"))) {
        o->capture = WATCH_CAPTURE_MEM;
        o->capture_spec = g_strdup(v);
    }
    if ((v = qinsn_request_opt(req, "str"))) {
        if (o->capture) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                        "mem= and str= cannot be combined on one watch");
            return false;
        }
        o->capture = WATCH_CAPTURE_STR;
        o->capture_spec = g_strdup(v);
    }
    return true;
}

bool watch_mem_options_from_request(WatchOptions *o, const QinsnRequest *req,
                                    GError **errp)
{
    const char *dir = req->args->len > 2 ?
        g_ptr_array_index(req->args, 2) : "rw";
    uint64_t len;
    const char *v;

    o->kind = WATCH_MEM;
    if (!qinsn_parse_u64(g_ptr_array_index(req->args, 0), &o->start, errp)) {
        return false;
    }
    if (!qinsn_parse_u64(g_ptr_array_index(req->args, 1), &len, errp)) {
        g_prefix_error(errp, "length: ");
        return false;
    }
    if (len == 0 || o->start + (len - 1) < o->start) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "length %" PRIu64 " is empty or wraps around", len);
        return false;
    }
    o->end = o->start + len - 1;
    if (g_str_equal(dir, "r")) {
        o->mem_dir = WATCH_MEM_READ;
    } else if (g_str_equal(dir, "w")) {
        o->mem_dir = WATCH_MEM_WRITE;
    } else if (g_str_equal(dir, "rw")) {
        o->mem_dir = WATCH_MEM_READ | WATCH_MEM_WRITE;
    } else {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "'%s' is not r, w or rw", dir);
        return false;
    }
    v = qinsn_request_opt(req, "if");
    if (v && !g_str_has_prefix(v, "value")) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "if: memory watches compare the accessed value: "
                    "if=value<op><number>");
        return false;
    }
    if (!common_options(o, req, errp)) {
        return false;
    }
    return true;
}

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
    w->regs[w->nregs] = i;
    w->labels[w->nregs] = qinsn_regs_label(name);
    w->nregs++;
    w->record_bytes += 1 + qinsn_regs_at(regs, i)->size;
    return true;
}

static bool setup_capture(Watch *w, const WatchOptions *o,
                          const QinsnRegTable *regs, GError **errp)
{
    if (o->capture == WATCH_CAPTURE_MEM) {
        QinsnMemSpec spec = { 0 };
        if (!qinsn_mem_spec_parse(o->capture_spec, &spec, QINSN_MAX_MEM,
                                  errp)) {
            return false;
        }
        w->capture_reg = qinsn_regs_resolve(regs, spec.reg, errp);
        w->capture_off = spec.offset;
        w->capture_len = spec.len;
        qinsn_mem_spec_clear(&spec);
        if (w->capture_reg < 0) {
            g_prefix_error(errp, "mem: ");
            return false;
        }
        w->capture_text = g_strdup_printf("mem=%s", o->capture_spec);
    } else {
        w->capture_reg = qinsn_regs_resolve(regs, o->capture_spec, errp);
        if (w->capture_reg < 0) {
            g_prefix_error(errp, "str: ");
            return false;
        }
        w->capture_len = QINSN_MAX_STR;
        w->capture_text = g_strdup_printf("str=%s", o->capture_spec);
    }
    w->capture = o->capture;
    w->record_bytes += w->capture_len + 12;
    return true;
}

/* The watch record of @w; its id is set when the table assigns one. */
static TraceWatch *make_layout(const Watch *w, const QinsnRegTable *regs)
{
    TraceWatch *t = g_new0(TraceWatch, 1);

    t->kind = w->kind == WATCH_MEM ? TRACE_WATCH_MEM :
        w->kind == WATCH_BREAK ? TRACE_WATCH_BREAK : TRACE_WATCH_INSN;
    t->dir = w->mem_dir;
    t->addr = w->start;
    t->end = w->end;
    t->sym = g_strdup(w->sym);
    t->cond = g_strdup(w->cond_text);
    t->ignore = w->ignore;
    t->count = w->count;
    t->cpu = w->cpu;
    t->capture = w->capture == WATCH_CAPTURE_MEM ? TRACE_CAPTURE_MEM :
        w->capture == WATCH_CAPTURE_STR ? TRACE_CAPTURE_STR :
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

Watch *watch_new(const WatchOptions *o, const QinsnRegTable *regs,
                 GPtrArray *default_regs, GError **errp)
{
    g_autoptr(GPtrArray) names = o->regs ? g_ptr_array_ref(o->regs) :
        g_ptr_array_ref(default_regs);
    Watch *w = g_new0(Watch, 1);

    w->kind = o->kind;
    w->mem_dir = o->mem_dir;
    w->start = o->start;
    w->end = o->end;
    if (w->kind == WATCH_MEM) {
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
    if (o->cond) {
        QinsnCond c = { 0 };
        if (!qinsn_cond_parse(o->cond, &c, errp)) {
            goto fail;
        }
        if (w->kind != WATCH_MEM) {
            w->cond_reg = qinsn_regs_resolve(regs, c.reg, errp);
        } else if (g_str_equal(c.reg, "value")) {
            w->cond_reg = -1;
        } else {
            /* not resolved: -1 from a failed lookup would read as "value" */
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                        "memory watches compare the accessed value, not "
                        "'%s'", c.reg);
            w->cond_reg = -2;
        }
        w->cond_op = c.op;
        w->cond_value = c.value;
        qinsn_cond_clear(&c);
        if (w->cond_reg < -1 || (w->cond_reg == -1 && w->kind != WATCH_MEM)) {
            g_prefix_error(errp, "if: ");
            goto fail;
        }
        if (w->cond_reg >= 0 && qinsn_regs_at(regs, w->cond_reg)->size > 8) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                        "if: register '%s' is wider than 64 bits", o->cond);
            goto fail;
        }
        w->has_cond = true;
        w->cond_text = g_strdup(o->cond);
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
                                     g_free);
    w->layout = make_layout(w, regs);
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

void watch_describe(const Watch *w, const QinsnRegTable *regs, GString *out)
{
    const char *state;
    uint64_t hits, logged;

    watch_counts(w, &hits, &logged);
    if (atomic_load(&w->done)) {
        state = "done";
    } else if (hits) {
        state = "hit";
    } else if (atomic_load(&w->translated)) {
        state = "armed";
    } else {
        state = "pending";
    }
    g_string_append_printf(out, "id=%u addr=0x%" PRIx64, w->id, w->start);
    if (w->kind == WATCH_MEM) {
        g_string_append_printf(out, " len=%" PRIu64 " type=mem dir=%s%s",
                               w->end - w->start + 1,
                               w->mem_dir & WATCH_MEM_READ ? "r" : "",
                               w->mem_dir & WATCH_MEM_WRITE ? "w" : "");
    } else if (w->end != w->start) {
        g_string_append_printf(out, "..0x%" PRIx64, w->end);
    }
    if (w->kind == WATCH_BREAK) {
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
    if (w->insn_len) {
        g_string_append(out, " insn=");
        for (int i = 0; i < w->insn_len; i++) {
            g_string_append_printf(out, "%02x", w->insn[i]);
        }
    }
    if (w->sym) {
        g_string_append_printf(out, " sym=%s", w->sym);
    }
    (void)regs;
}

WatchTable *watch_table_new(uint32_t max_watches, uint64_t max_range)
{
    WatchTable *t = g_new0(WatchTable, 1);

    g_mutex_init(&t->lock);
    t->next_id = 1;
    t->max_watches = max_watches;
    t->max_range = max_range;
    t->by_id = g_hash_table_new(NULL, NULL);
    t->by_pc = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
                                     (GDestroyNotify)g_ptr_array_unref);
    t->ranges = g_ptr_array_new();
    t->graveyard = g_ptr_array_new();
    t->mem = g_ptr_array_new();
    t->old_sets = g_ptr_array_new_with_free_func(retired_set_free);
    atomic_init(&t->mem_set, NULL);
    return t;
}

void watch_table_free(WatchTable *t)
{
    GHashTableIter it;
    gpointer w;

    g_hash_table_iter_init(&it, t->by_id);
    while (g_hash_table_iter_next(&it, NULL, &w)) {
        watch_free(w);
    }
    for (guint i = 0; i < t->graveyard->len; i++) {
        watch_free(g_ptr_array_index(t->graveyard, i));
    }
    g_hash_table_unref(t->by_id);
    g_hash_table_unref(t->by_pc);
    g_ptr_array_unref(t->ranges);
    g_ptr_array_unref(t->graveyard);
    g_ptr_array_unref(t->mem);
    g_ptr_array_unref(t->old_sets);
    g_free(atomic_load(&t->mem_set));
    g_mutex_clear(&t->lock);
    g_free(t);
}

/* Replace the execution-time snapshot; the old one waits for reclaim. */
static void publish_mem_locked(WatchTable *t, uint64_t flushes)
{
    MemSet *set = NULL, *old;

    if (t->mem->len) {
        set = g_malloc(sizeof(MemSet) + t->mem->len * sizeof(Watch *));
        set->n = t->mem->len;
        memcpy(set->w, t->mem->pdata, t->mem->len * sizeof(Watch *));
    }
    old = atomic_exchange(&t->mem_set, set);
    if (old) {
        RetiredSet *r = g_new(RetiredSet, 1);
        r->set = old;
        r->flushes = flushes;
        g_ptr_array_add(t->old_sets, r);
    }
}

const MemSet *watch_table_mem(WatchTable *t)
{
    return atomic_load_explicit(&t->mem_set, memory_order_acquire);
}

guint watch_table_mem_count(WatchTable *t)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);

    return t->mem->len;
}

bool watch_table_add(WatchTable *t, Watch *w, uint64_t flushes,
                     GError **errp)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);
    GPtrArray *list;

    if (g_hash_table_size(t->by_id) >= t->max_watches) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_LIMIT,
                    "already %u watches, the limit (max-watches)",
                    t->max_watches);
        return false;
    }
    if (w->end - w->start >= t->max_range) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_LIMIT,
                    "range of %" PRIu64 " bytes is over the limit of %"
                    PRIu64, w->end - w->start + 1, t->max_range);
        return false;
    }
    w->id = t->next_id++;
    if (w->layout) {
        w->layout->id = w->id;
        w->ev_id = TRACE_EV_WATCH_BASE + w->id;
    }
    g_hash_table_insert(t->by_id, GUINT_TO_POINTER(w->id), w);
    if (w->kind == WATCH_MEM) {
        g_ptr_array_add(t->mem, w);
        publish_mem_locked(t, flushes);
        return true;
    }
    if (w->end != w->start) {
        g_ptr_array_add(t->ranges, w);
        return true;
    }
    list = g_hash_table_lookup(t->by_pc, &w->start);
    if (!list) {
        list = g_ptr_array_new();
        g_hash_table_insert(t->by_pc, &w->start, list);
    }
    g_ptr_array_add(list, w);
    return true;
}

static void unlink_locked(WatchTable *t, Watch *w, uint64_t flushes)
{
    atomic_store(&w->enabled, false);
    g_hash_table_remove(t->by_id, GUINT_TO_POINTER(w->id));
    if (w->kind == WATCH_MEM) {
        g_ptr_array_remove(t->mem, w);
        publish_mem_locked(t, flushes);
    } else if (w->end != w->start) {
        g_ptr_array_remove(t->ranges, w);
    } else {
        GPtrArray *list = g_hash_table_lookup(t->by_pc, &w->start);
        Watch *first = g_ptr_array_index(list, 0);

        g_ptr_array_remove(list, w);
        if (list->len == 0) {
            g_hash_table_remove(t->by_pc, &w->start);
        } else if (first == w) {
            /* the key points into the first watch: re-key the list */
            g_hash_table_steal(t->by_pc, &w->start);
            first = g_ptr_array_index(list, 0);
            g_hash_table_insert(t->by_pc, &first->start, list);
        }
    }
    w->dead = true;
    w->dead_flushes = flushes;

    g_ptr_array_add(t->graveyard, w);
}

bool watch_table_remove(WatchTable *t, uint32_t id, uint64_t flushes,
                        GError **errp)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);
    Watch *w = g_hash_table_lookup(t->by_id, GUINT_TO_POINTER(id));

    if (!w) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_NOTFOUND,
                    "no watch with id %u", id);
        return false;
    }
    unlink_locked(t, w, flushes);
    return true;
}

static int remove_matching(WatchTable *t, bool all, uint64_t pc,
                           uint64_t flushes)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);
    g_autoptr(GPtrArray) victims = g_ptr_array_new();
    GHashTableIter it;
    gpointer w;

    g_hash_table_iter_init(&it, t->by_id);
    while (g_hash_table_iter_next(&it, NULL, &w)) {
        if (all || ((Watch *)w)->start == pc) {
            g_ptr_array_add(victims, w);
        }
    }
    for (guint i = 0; i < victims->len; i++) {
        unlink_locked(t, g_ptr_array_index(victims, i), flushes);
    }
    return victims->len;
}

int watch_table_remove_addr(WatchTable *t, uint64_t pc, uint64_t flushes)
{
    return remove_matching(t, false, pc, flushes);
}

int watch_table_remove_all(WatchTable *t, uint64_t flushes)
{
    return remove_matching(t, true, 0, flushes);
}

Watch *watch_table_lookup(WatchTable *t, uint32_t id)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);

    return g_hash_table_lookup(t->by_id, GUINT_TO_POINTER(id));
}

guint watch_table_count(WatchTable *t)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);

    return g_hash_table_size(t->by_id);
}

void watch_table_reclaim(WatchTable *t, uint64_t flushes, GArray *freed)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);

    for (guint i = 0; i < t->old_sets->len;) {
        RetiredSet *r = g_ptr_array_index(t->old_sets, i);
        if (r->flushes < flushes) {
            g_ptr_array_remove_index_fast(t->old_sets, i);
        } else {
            i++;
        }
    }
    for (guint i = 0; i < t->graveyard->len;) {
        Watch *w = g_ptr_array_index(t->graveyard, i);
        if (w->dead_flushes < flushes) {
            /* no callback can run for it any more: its counts are final */
            uint64_t hits, logged;

            watch_counts(w, &hits, &logged);
            t->retired_hits += hits;
            t->retired_logged += logged;
            g_ptr_array_remove_index_fast(t->graveyard, i);
            if (freed) {
                g_array_append_val(freed, w->id);
            }
            watch_free(w);
        } else {
            i++;
        }
    }
}

void watch_table_retired(WatchTable *t, uint64_t *hits, uint64_t *logged)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);

    *hits = t->retired_hits;
    *logged = t->retired_logged;
    for (guint i = 0; i < t->graveyard->len; i++) {
        Watch *w = g_ptr_array_index(t->graveyard, i);
        uint64_t h, l;

        watch_counts(w, &h, &l);
        *hits += h;
        *logged += l;
    }
}

guint watch_table_graveyard(WatchTable *t)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);

    return t->graveyard->len;
}

static Hook *hook_for(Watch *w, uint64_t pc, const uint8_t *bytes, int len)
{
    Hook *h = g_hash_table_lookup(w->hooks, &pc);

    if (!h) {
        h = g_new0(Hook, 1);
        h->watch = w;
        h->pc = pc;
        g_hash_table_insert(w->hooks, &h->pc, h);
    }
    atomic_store(&w->translated, true);
    if (pc == w->start && !w->insn_len && len > 0) {
        w->insn_len = MIN(len, (int)sizeof(w->insn));
        memcpy(w->insn, bytes, w->insn_len);
    }
    return h;
}

void watch_table_hooks_for(WatchTable *t, uint64_t pc, const uint8_t *bytes,
                           int len, GPtrArray *hooks)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);
    GPtrArray *list = g_hash_table_lookup(t->by_pc, &pc);

    for (guint i = 0; list && i < list->len; i++) {
        g_ptr_array_add(hooks, hook_for(g_ptr_array_index(list, i), pc,
                                        bytes, len));
    }
    for (guint i = 0; i < t->ranges->len; i++) {
        Watch *w = g_ptr_array_index(t->ranges, i);
        if (pc >= w->start && pc <= w->end) {
            g_ptr_array_add(hooks, hook_for(w, pc, bytes, len));
        }
    }
}

bool watch_table_any(WatchTable *t)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);

    return g_hash_table_size(t->by_id) > 0;
}

static gint by_id_cmp(gconstpointer a, gconstpointer b)
{
    const Watch *wa = *(Watch *const *)a, *wb = *(Watch *const *)b;

    return wa->id < wb->id ? -1 : wa->id > wb->id;
}

void watch_table_foreach(WatchTable *t, void (*fn)(Watch *, void *),
                         void *opaque)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);
    g_autoptr(GPtrArray) all = g_ptr_array_new();
    GHashTableIter it;
    gpointer w;

    g_hash_table_iter_init(&it, t->by_id);
    while (g_hash_table_iter_next(&it, NULL, &w)) {
        g_ptr_array_add(all, w);
    }
    g_ptr_array_sort(all, by_id_cmp);
    for (guint i = 0; i < all->len; i++) {
        fn(g_ptr_array_index(all, i), opaque);
    }
}
