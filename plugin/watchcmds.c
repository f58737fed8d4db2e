/*
 * The handlers of requests that change or show the watch set: watch,
 * break, watch-mem, unwatch, enable, disable and list.
 */
#include <inttypes.h>
#include <string.h>

#include "commands.h"
#include "flush.h"
#include "handlers.h"
#include "record.h"
#include "stop.h"
#include "writer.h"

static CommandsConfig cfg;

void watchcmds_init(const CommandsConfig *c)
{
    cfg = *c;
}

bool commands_add_watch(Watch *w, GError **errp)
{
    bool enabled = atomic_load(&w->enabled);

    /*
     * The watch's definition goes to the log before any of its hits: it
     * joins the table disabled, and is enabled once its record is queued.
     */
    atomic_store(&w->enabled, false);
    if (!watch_table_add(cfg.watches, w, flush_count(), errp)) {
        watch_free(w);
        return false;
    }
    if (!writer_watch(w)) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_LIMIT,
                    "the log's queue is full: watch not added");
        watch_table_remove(cfg.watches, w->id, flush_count(), NULL);
        return false;
    }
    atomic_store(&w->enabled, enabled);
    return true;
}

/* Parse, build and add a watch of any kind; NULL with @errp set. */
static Watch *add_watch(const QinsnRequest *req, bool *first_mem,
                        GError **errp)
{
    QinsnWatchSpec o;
    Watch *w = NULL;

    qinsn_watch_spec_init(&o);
    if (!need_regs(errp) || !qinsn_watch_spec_parse(&o, req, errp)) {
        goto out;
    }
    g_mutex_lock(&cfg.target->lock);
    w = watch_new(&o, cfg.target->regs, cfg.target->default_regs, errp);
    g_mutex_unlock(&cfg.target->lock);
    *first_mem = w && w->kind == QINSN_WATCH_MEM &&
        watch_table_mem_count(cfg.watches) == 0;
    if (w && !commands_add_watch(w, errp)) {
        w = NULL;
    }
out:
    qinsn_watch_spec_clear(&o);
    return w;
}

/* An instruction watch (or break): live once a flush has completed. */
bool cmd_watch(Client *c, const QinsnRequest *req, Reply *r,
                      GError **errp)
{
    bool first_mem;
    Watch *w = add_watch(req, &first_mem, errp);

    if (!w) {
        return false;
    }
    r->wait_gen = flush_request();
    g_string_append_printf(r->text, "OK id=%u gen=%" PRIu64 "\n", w->id,
                           r->wait_gen);
    return true;
}

/* A break is a watch that also stops the guest (stop.c). */
bool cmd_break(Client *c, const QinsnRequest *req, Reply *r,
                      GError **errp)
{
    return stop_available(errp) && cmd_watch(c, req, r, errp);
}

/*
 * Memory callbacks are put on every instruction while any memory watch
 * exists: the first memory watch needs a flush, later ones only wait for
 * that same generation, and removing the last one flushes to remove them.
 */
static uint64_t mem_gen;

bool cmd_watch_mem(Client *c, const QinsnRequest *req, Reply *r,
                          GError **errp)
{
    bool first;
    Watch *w = add_watch(req, &first, errp);

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
    if ((had_mem && watch_table_mem_count(cfg.watches) == 0) ||
        (flush_translating() && flush_path() == FLUSH_PATH_PATCHED &&
         !watch_table_any(cfg.watches))) {
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

bool cmd_unwatch(Client *c, const QinsnRequest *req, Reply *r,
                        GError **errp)
{
    const char *arg = g_ptr_array_index(req->args, 0);
    uint64_t flushes = flush_count();
    bool had_mem = watch_table_mem_count(cfg.watches) > 0;
    uint64_t addr;
    uint32_t id;
    int n;

    if (g_str_equal(arg, "all")) {
        n = watch_table_remove_all(cfg.watches, flushes);
        record_end_waits();
    } else if (g_str_has_prefix(arg, "0x")) {
        if (!qinsn_parse_u64(arg, &addr, errp)) {
            return false;
        }
        n = watch_table_remove_addr(cfg.watches, addr, flushes);
        if (!n) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_NOTFOUND,
                        "no watch at %s", arg);
            return false;
        }
    } else {
        if (!parse_id(arg, &id, errp) ||
            !watch_table_remove(cfg.watches, id, flushes, errp)) {
            return false;
        }
        n = 1;
    }
    after_removal(had_mem);
    /* Stale hooks only cost a check; reclaim them in batches. */
    if (watch_table_graveyard(cfg.watches) > 1024) {
        flush_request();
    }
    g_string_append_printf(r->text, "OK removed=%d\n", n);
    return true;
}

static bool enable_disable(const QinsnRequest *req, Reply *r, bool on,
                           GError **errp)
{
    Watch *w;
    uint32_t id;

    if (!parse_id(g_ptr_array_index(req->args, 0), &id, errp)) {
        return false;
    }
    w = watch_table_lookup(cfg.watches, id);
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
    watch_describe(w, cfg.target->regs, r->text);
    g_string_append_c(r->text, '\n');
}

bool cmd_list(Client *c, const QinsnRequest *req, Reply *r,
                     GError **errp)
{
    watch_table_foreach(cfg.watches, list_one, r);
    g_string_append_printf(r->text, "OK watches=%u\n",
                           watch_table_count(cfg.watches));
    return true;
}

bool cmd_enable(Client *c, const QinsnRequest *req, Reply *r,
                       GError **errp)
{
    return enable_disable(req, r, true, errp);
}

bool cmd_disable(Client *c, const QinsnRequest *req, Reply *r,
                        GError **errp)
{
    return enable_disable(req, r, false, errp);
}
