/*
 * The set of watches: what a watch is, and the table the control socket
 * changes while translation looks it up.
 *
 * Translation asks "which watches cover this PC?" under the table's lock (it
 * is rare).  Execution never takes the lock: it reaches a watch through a
 * Hook made at translation time and checks the watch's atomic flags.  A
 * removed watch is kept, disabled, until a flush has removed every hook that
 * points at it and the log writer has consumed its records (see reclaim).
 */
#ifndef QINSN_WATCH_H
#define QINSN_WATCH_H

#include "proto.h"
#include "regs.h"
#include "trace.h"
#include "watchspec.h"

#include <stdatomic.h>

#define QINSN_MAX_WATCH_REGS TRACE_MAX_REGS
/* Most payload bytes a hit record may take (registers and capture). */
#define QINSN_RECORD_DATA 2400


/* How a hit reads one logged register: resolved once, at watch_new(). */
typedef struct WatchRead {
    void *handle;               /* QEMU's register handle */
    uint16_t size;              /* bytes in the record */
    bool pc;                    /* the PC: mid-block, the hook's own */
} WatchRead;

typedef struct Watch {
    uint32_t id;
    QinsnWatchKind kind;
    int mem_dir;                /* QINSN_MEM_READ | QINSN_MEM_WRITE */
    uint64_t start;
    uint64_t end;               /* inclusive; == start for one address */
    int nregs;
    int regs[QINSN_MAX_WATCH_REGS];     /* indexes into the register table */
    char *labels[QINSN_MAX_WATCH_REGS]; /* names as the user wrote them */
    WatchRead reads[QINSN_MAX_WATCH_REGS];
    bool has_cond;
    int cond_reg;               /* -1: the accessed value (memory watches) */
    int cond_slot;              /* cond_reg's place in reads[], or -1 */
    int cond_size;              /* bytes of cond_reg (at most 8) */
    QinsnOp cond_op;
    uint64_t cond_value;
    char *cond_text;
    uint64_t ignore;
    uint64_t count;             /* 0: unlimited */
    int cpu;                    /* -1: any vCPU */
    QinsnCaptureKind capture;
    int capture_reg;
    int64_t capture_off;
    uint32_t capture_len;
    char *capture_text;
    char *sym;                  /* as the client named it, or NULL */
    size_t record_bytes;        /* payload size of one hit record */
    TraceWatch *layout;         /* its watch record: how hits are laid out */
    uint32_t ev_id;             /* event id of its hit records */
    uint32_t ev_max;            /* most bytes a hit record takes */

    atomic_bool enabled;
    atomic_bool done;           /* count reached */
    atomic_bool translated;
    atomic_uint_fast64_t hits;   /* executions where the condition held */
    atomic_uint_fast64_t claimed; /* hits past ignore (may exceed count) */
    atomic_uint_fast64_t logged;  /* hits given room for their record */

    /* Reclaim bookkeeping, under the table lock. */
    bool dead;
    uint64_t dead_flushes;
    GHashTable *hooks;          /* pc -> Hook, under the table lock */
    uint8_t insn[16];           /* bytes at start, once translated */
    int insn_len;               /* under the table lock */
} Watch;

/* What an exec callback gets: a watch and the instruction's own address. */
typedef struct Hook {
    Watch *watch;
    uint64_t pc;
    /*
     * Registers read here are the lazily kept state even on the patched
     * QEMU, which shows exact state in instruction callbacks only: so
     * memory callbacks (their hooks come from mem_site()).
     */
    bool lazy_state;
    /*
     * QEMU's disassembly of the instruction last translated here, or
     * NULL; under the table lock (translation replaces it).
     */
    char *disas;
} Hook;

/* Hits and records logged of @w, consistent with each other. */
static inline void watch_counts(const Watch *w, uint64_t *hits,
                                uint64_t *logged)
{
    /* logged first: every hit it counts is in hits read after it */
    *logged = atomic_load(&w->logged);
    *hits = atomic_load(&w->hits);
}

/* Build a watch from a parsed request against a register table. */
Watch *watch_new(const QinsnWatchSpec *o, const QinsnRegTable *regs,
                 GPtrArray *default_regs, GError **errp);
void watch_free(Watch *w);

/* Describe a watch as the `list` command does (no "= " prefix). */
void watch_describe(const Watch *w, const QinsnRegTable *regs, GString *out);

typedef struct WatchTable WatchTable;

WatchTable *watch_table_new(uint32_t max_watches, uint64_t max_range);
void watch_table_free(WatchTable *t);
/* Takes ownership of @w; assigns its id. */
bool watch_table_add(WatchTable *t, Watch *w, uint64_t flushes,
                     GError **errp);
/* Unlink a watch: disabled at once, freed later by watch_table_reclaim. */
bool watch_table_remove(WatchTable *t, uint32_t id, uint64_t flushes,
                        GError **errp);
/* Remove every watch at @pc (single-address and ranges starting there). */
int watch_table_remove_addr(WatchTable *t, uint64_t pc, uint64_t flushes);
int watch_table_remove_all(WatchTable *t, uint64_t flushes);
Watch *watch_table_lookup(WatchTable *t, uint32_t id);
guint watch_table_count(WatchTable *t);
/*
 * Free dead watches whose hooks are gone since @flushes flushes completed;
 * their ids are appended to @freed (of uint32_t) unless it is NULL.
 */
void watch_table_reclaim(WatchTable *t, uint64_t flushes, GArray *freed);
guint watch_table_graveyard(WatchTable *t);
/* Hits and logged records of removed watches (counted when removed). */
void watch_table_retired(WatchTable *t, uint64_t *hits, uint64_t *logged);

/*
 * Translation-time lookup: for each live watch covering @pc, return (in
 * @hooks) its hook for this PC, creating it on first use.  Hooks live as long
 * as their watch.  When some watch covers @pc, @disas(@opaque) gives the
 * instruction's disassembly (g_malloc'd, or NULL), set on the hooks under
 * the same lock as the instruction's bytes, so `list` never shows one
 * without the other.
 */
void watch_table_hooks_for(WatchTable *t, uint64_t pc, const uint8_t *bytes,
                           int len, char *(*disas)(void *opaque),
                           void *opaque, GPtrArray *hooks);
/*
 * Append the disassembly of @pc as last translated for watch @id (a live
 * one, or one removed but not yet reclaimed) to @out; false when unknown.
 */
bool watch_table_disas(WatchTable *t, uint32_t id, uint64_t pc,
                       GString *out);
/* Quick check without allocation: is there any live watch at all? */
bool watch_table_any(WatchTable *t);

/* The memory watches, published for lock-free reads at execution. */
typedef struct MemSet {
    int n;
    Watch *w[];
} MemSet;

const MemSet *watch_table_mem(WatchTable *t);
guint watch_table_mem_count(WatchTable *t);

/* Call @fn for each live watch in id order, under the lock. */
void watch_table_foreach(WatchTable *t, void (*fn)(Watch *, void *),
                         void *opaque);

#endif /* QINSN_WATCH_H */
