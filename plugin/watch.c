/*
 * The watch table: the live watches by id, address and kind, the removed
 * ones until they can be freed, and the translation-time lookup that
 * gives each watched instruction its hooks.  What a watch itself is (how
 * it is built from a request and described) is in watchdef.c.
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
    if (w->kind == QINSN_WATCH_MEM) {
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
    if (w->kind == QINSN_WATCH_MEM) {
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

/* The hooks' disassembly: retranslation mostly finds the same text. */
static void set_disas(GPtrArray *hooks, const char *text)
{
    for (guint i = 0; i < hooks->len; i++) {
        Hook *h = g_ptr_array_index(hooks, i);

        if (g_strcmp0(h->disas, text) != 0) {
            g_free(h->disas);
            h->disas = g_strdup(text);
        }
    }
}

void watch_table_hooks_for(WatchTable *t, uint64_t pc, const uint8_t *bytes,
                           int len, char *(*disas)(void *opaque),
                           void *opaque, GPtrArray *hooks)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);
    GPtrArray *list = g_hash_table_lookup(t->by_pc, &pc);
    guint first = hooks->len;

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
    if (hooks->len > first) {
        g_autofree char *text = disas ? disas(opaque) : NULL;

        set_disas(hooks, text);
    }
}

/* A watch the writer may still format records of: live or in the grave. */
static Watch *find_locked(WatchTable *t, uint32_t id)
{
    Watch *w = g_hash_table_lookup(t->by_id, GUINT_TO_POINTER(id));

    for (guint i = 0; !w && i < t->graveyard->len; i++) {
        Watch *dead = g_ptr_array_index(t->graveyard, i);
        if (dead->id == id) {
            w = dead;
        }
    }
    return w;
}

bool watch_table_disas(WatchTable *t, uint32_t id, uint64_t pc,
                       GString *out)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);
    Watch *w = find_locked(t, id);
    const Hook *h = w ? g_hash_table_lookup(w->hooks, &pc) : NULL;

    if (!h || !h->disas) {
        return false;
    }
    g_string_append(out, h->disas);
    return true;
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
