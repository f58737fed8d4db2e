/*
 * Recording hits: see record.h.  The callbacks here run on vCPU threads for
 * every watched execution, so they take no lock and allocate nothing:
 * register reads go through a per-vCPU scratch array and the record is
 * written straight into the vCPU's ring.  What happens when that ring is
 * full (wait for the writer, or drop) is overflow.c.
 */
#include <string.h>
#include <time.h>

#include "logfmt.h"
#include "memvalue.h"
#include "overflow.h"
#include "record.h"
#include "seqnum.h"
#include "stop.h"
#include "tsclock.h"

static RecordConfig config;
static const QinsnRegTable *regs;
static Ring *rings[QINSN_MAX_VCPUS];
static GByteArray *scratch[QINSN_MAX_VCPUS];
static atomic_int nrings;
static Ring *control;
static GMutex control_lock;     /* the control ring's producers */
static atomic_uint_fast64_t lost_vcpus;
static atomic_bool writer_idle;     /* the writer sleeps long: wake it */

void record_init(const RecordConfig *c)
{
    config = *c;
    overflow_init(c);
    seqnum_init(c->one_vcpu);
    if (c->timestamps) {
        tsclock_init();
    }
    control = ring_new(UINT32_MAX);
}

void record_set_regs(const QinsnRegTable *r)
{
    regs = r;
}

void record_vcpu_init(unsigned int cpu)
{
    if (cpu >= QINSN_MAX_VCPUS || scratch[cpu]) {
        return;
    }
    scratch[cpu] = g_byte_array_sized_new(256);
    rings[cpu] = ring_new(cpu);
    if ((int)cpu >= atomic_load(&nrings)) {
        atomic_store(&nrings, cpu + 1);
    }
}

int record_nrings(void)
{
    return atomic_load(&nrings);
}

Ring *record_ring(int i)
{
    return rings[i];
}

Ring *record_control_ring(void)
{
    return control;
}

uint64_t record_seq_issued(void)
{
    return seqnum_issued();
}

uint64_t record_take_seq(void)
{
    /* so every control record numbered before it is in the ring */
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&control_lock);

    return seqnum_take_other();
}

uint64_t record_lost_vcpus(void)
{
    return atomic_load(&lost_vcpus);
}

uint64_t record_now(void)
{
    return tsclock_mono();
}

/*
 * A record's timestamp: never below its ring's previous one, so that a
 * stream stays ordered in time when the clock changes segments (tsclock.h)
 * or a vCPU moves to a host CPU whose counter lags.
 */
static inline uint64_t stamp(Ring *r)
{
    uint64_t ts = tsclock_now();

    ts = MAX(ts, r->last_ts);
    r->last_ts = ts;
    return ts;
}

uint64_t record_timestamp(void)
{
    return tsclock_now();
}

/* Room in @r, waiting for the writer when it is full (overflow.c). */
static inline uint8_t *reserve(Ring *r, size_t max)
{
    uint8_t *p = ring_reserve(r, max);

    return p ? p : overflow_reserve(r, max);
}

/*
 * Time and number the record reserved at @rec, before anything else is
 * written into it: where the number is taken with a locked add (several
 * vCPUs), that add waits until every earlier store of the thread is done,
 * and taken after the record's contents it waited for the ring's lines.
 */
static inline void number(Ring *r, const Watch *w, uint8_t *rec)
{
    uint64_t ts = config.timestamps ? stamp(r) : 0;
    uint64_t n = seqnum_take_vcpu();

    trace_put_header(rec, w->ev_id, ts, n);
}

/* Publish the record numbered at @rec and built up to @end. */
static inline void publish(Ring *r, uint8_t *rec, uint8_t *end)
{
    ring_commit(r, rec, end - rec);
    if (G_UNLIKELY(atomic_load_explicit(&writer_idle,
                                        memory_order_relaxed))) {
        /* the first records after a quiet time reach the log at once */
        atomic_store(&writer_idle, false);
        config.kick();
    }
}

void record_writer_idle(bool idle)
{
    atomic_store(&writer_idle, idle);
}

/*
 * Read register @idx as seen by the instruction at @pc into @out.  @lazy:
 * the registers are the lazily kept state even on the patched QEMU, which
 * shows exact state in instruction callbacks only (not memory callbacks).
 */
static int read_reg(unsigned int cpu, uint64_t pc, bool lazy, int idx,
                    uint8_t *out, int size)
{
    const QinsnReg *r = qinsn_regs_at(regs, idx);
    GByteArray *buf = scratch[cpu];
    int n;

    if (idx == regs->pc && (lazy || !config.exact_state)) {
        /* The PC register holds the block's start mid-block: use ours. */
        n = MIN(size, 8);
        memset(out, 0, size);
        for (int i = 0; i < n; i++) {
            int k = config.big_endian ? size - 1 - i : i;
            out[k] = (uint8_t)(pc >> (8 * i));
        }
        return size;
    }
    g_byte_array_set_size(buf, 0);
    n = qemu_plugin_read_register(r->handle, buf);
    n = n < 0 ? 0 : MIN(MIN(n, size), (int)buf->len);
    memcpy(out, buf->data, n);
    memset(out + n, 0, size - n);
    return n;
}

static uint64_t reg_u64(unsigned int cpu, uint64_t pc, int idx)
{
    uint8_t v[64];
    int size = MIN(qinsn_regs_at(regs, idx)->size, (int)sizeof(v));

    read_reg(cpu, pc, false, idx, v, size);
    return format_value_u64(v, size, config.big_endian);
}

/* @size bytes of a register QEMU gave (@n of them, or an error < 0). */
static inline void put_reg(uint8_t *p, const GByteArray *buf, int n,
                           int size)
{
    /*
     * The common sizes with constant lengths: a memcpy of a variable
     * length compiles to a string move whose start-up cost showed as a
     * quarter of the hot path's samples.
     */
    if (G_LIKELY(n == size && (int)buf->len == size)) {
        switch (size) {
        case 8:
            memcpy(p, buf->data, 8);
            return;
        case 4:
            memcpy(p, buf->data, 4);
            return;
        }
    }
    n = n < 0 ? 0 : MIN(MIN(n, size), (int)buf->len);
    memcpy(p, buf->data, n);
    memset(p + n, 0, size - n);
}

/*
 * The registers of @w into @p.  @cond: the bytes of the condition's
 * register, already read for the condition, or NULL.
 */
static uint8_t *put_regs(unsigned int cpu, const Hook *h, const Watch *w,
                         uint8_t *p, const uint8_t *cond)
{
    GByteArray *buf = scratch[cpu];
    bool own_pc = h->lazy_state || !config.exact_state;

    /*
     * QEMU appends each register's bytes to @buf: reset its length by
     * hand rather than with g_byte_array_set_size(), a call per register
     * that shows in profiles of hot watches.
     */
    for (int i = 0; i < w->nregs; i++) {
        const WatchRead *r = &w->reads[i];

        if (G_UNLIKELY(r->pc && own_pc)) {
            read_reg(cpu, h->pc, true, w->regs[i], p, r->size);
        } else if (cond && i == w->cond_slot) {
            memcpy(p, cond, r->size);
        } else {
            buf->len = 0;
            put_reg(p, buf, qemu_plugin_read_register(r->handle, buf),
                    r->size);
        }
        p += r->size;
    }
    return p;
}

/* The capture: address, status, length, bytes. */
static uint8_t *put_capture(unsigned int cpu, uint64_t pc, const Watch *w,
                            uint8_t *p)
{
    GByteArray *buf = scratch[cpu];
    uint64_t addr = reg_u64(cpu, pc, w->capture_reg) + w->capture_off;
    uint32_t len = 0, status = TRACE_CAP_UNREADABLE;
    uint8_t *bytes = p + TRACE_CAPTURE_FIXED;

    if (w->capture == QINSN_CAPTURE_MEM) {
        g_byte_array_set_size(buf, 0);
        if (qemu_plugin_read_memory_vaddr(addr, buf, w->capture_len)) {
            len = status = w->capture_len;
            memcpy(bytes, buf->data, len);
        }
    } else {
        /* Read page by page so a short string near unmapped memory works. */
        while (len < w->capture_len) {
            uint32_t chunk = MIN(w->capture_len - len,
                                 4096 - ((addr + len) & 4095));
            uint8_t *nul;

            g_byte_array_set_size(buf, 0);
            if (!qemu_plugin_read_memory_vaddr(addr + len, buf, chunk)) {
                break;
            }
            memcpy(bytes + len, buf->data, chunk);
            nul = memchr(buf->data, 0, chunk);
            if (nul) {
                len += nul - buf->data;
                status = len;
                break;
            }
            len += chunk;
            status = len;
        }
    }
    if (status == TRACE_CAP_UNREADABLE) {
        len = 0;
    }
    p = trace_put(p, &addr, 8);
    p = trace_put(p, &status, 4);
    p = trace_put(p, &len, 4);
    return p + len;
}

/* Does @w log on this vCPU at all (enabled, cpu=, a ring to log into)? */
static inline bool watch_applies(const Watch *w, unsigned int cpu)
{
    if (!atomic_load_explicit(&w->enabled, memory_order_relaxed) ||
        (w->cpu >= 0 && (unsigned int)w->cpu != cpu)) {
        return false;
    }
    if (cpu >= QINSN_MAX_VCPUS || !rings[cpu]) {
        atomic_fetch_add(&lost_vcpus, 1);
        return false;
    }
    return true;
}

/*
 * Add one to a count of a watch that only vCPU threads change; the new
 * value.  With a single vCPU, one thread changes them: a plain load and
 * store do, where each locked add was a visible share of a logged hit's
 * cost (docs/performance.md, "A logged hit without a locked instruction").
 */
static inline uint64_t count_up(atomic_uint_fast64_t *c)
{
    if (config.one_vcpu) {
        uint64_t v = atomic_load_explicit(c, memory_order_relaxed) + 1;

        /* released: whoever sees a hit logged sees it counted as a hit */
        atomic_store_explicit(c, v, memory_order_release);
        return v;
    }
    return atomic_fetch_add_explicit(c, 1, memory_order_relaxed) + 1;
}

/* Claim a hit of @w: counts, ignore= and count=; false when not logged. */
static inline bool claim_hit(Watch *w, uint64_t *n)
{
    *n = count_up(&w->hits);
    if (*n <= w->ignore) {
        return false;
    }
    if (w->count) {
        uint64_t c = count_up(&w->claimed);
        if (c > w->count) {
            return false;
        }
        if (c == w->count) {
            atomic_store(&w->enabled, false);
            atomic_store(&w->done, true);
        }
    }
    return true;
}

/*
 * Room for a claimed hit's record, or NULL: the hit is not logged.  A hit
 * given room counts as logged (its record is published right after).
 */
static inline uint8_t *reserve_hit(Watch *w, unsigned int cpu)
{
    uint8_t *rec = reserve(rings[cpu], w->ev_max);

    if (G_LIKELY(rec)) {
        count_up(&w->logged);
    }
    return rec;
}

/* The fixed part of a hit record after its header. */
static inline uint8_t *put_hit(uint8_t *p, const Watch *w, uint64_t n,
                               const Hook *h)
{
    uint8_t stale = h->lazy_state || !config.exact_state;

    /*
     * Stock QEMU reads lazily computed flags (x86 eflags) from a field
     * that misses the arithmetic flags until the vCPU leaves its execution
     * loop, at block starts as much as mid-block: say so instead of lying.
     */
    p = trace_put(p, &w->id, 4);
    p = trace_put(p, &n, 8);
    p = trace_put(p, &h->pc, 8);
    return trace_put(p, &stale, 1);
}

void record_insn_exec(unsigned int cpu, void *udata)
{
    const Hook *h = udata;
    Watch *w = h->watch;
    uint8_t *rec, *p, cond[8];
    uint64_t n;

    if (!watch_applies(w, cpu)) {
        return;
    }
    if (w->has_cond) {
        /* kept for the record */
        read_reg(cpu, h->pc, false, w->cond_reg, cond, w->cond_size);
        if (!qinsn_cond_eval(w->cond_op,
                             format_value_u64(cond, w->cond_size,
                                              config.big_endian),
                             w->cond_value)) {
            return;
        }
    }
    if (!claim_hit(w, &n) ||
        !(rec = reserve_hit(w, cpu))) {
        return;
    }
    number(rings[cpu], w, rec);
    p = put_hit(rec + TRACE_HEADER_SIZE, w, n, h);
    p = put_regs(cpu, h, w, p, w->has_cond ? cond : NULL);
    if (w->capture) {
        p = put_capture(cpu, h->pc, w, p);
    }
    publish(rings[cpu], rec, p);
    if (w->kind == QINSN_WATCH_BREAK) {
        stop_request(cpu, h, n);
    }
}

static void mem_hit(unsigned int cpu, const Hook *site, Watch *w,
                    qemu_plugin_meminfo_t info, uint64_t vaddr,
                    unsigned int size, bool store)
{
    uint64_t lo, hi, n;
    uint8_t *rec, *p, sz = size, st = store;

    if (!watch_applies(w, cpu)) {
        return;
    }
    lo = mem_value(info, &hi);
    if ((w->has_cond && !qinsn_cond_eval(w->cond_op, lo, w->cond_value)) ||
        !claim_hit(w, &n) ||
        !(rec = reserve_hit(w, cpu))) {
        return;
    }
    number(rings[cpu], w, rec);
    p = put_hit(rec + TRACE_HEADER_SIZE, w, n, site);
    p = trace_put(p, &vaddr, 8);
    p = trace_put(p, &sz, 1);
    p = trace_put(p, &st, 1);
    p = trace_put(p, &lo, 8);
    p = trace_put(p, &hi, 8);
    p = put_regs(cpu, site, w, p, NULL);
    publish(rings[cpu], rec, p);
}

/* Every access of every instruction while memory watches exist. */
void record_mem_access(unsigned int cpu, qemu_plugin_meminfo_t info,
                       uint64_t vaddr, void *udata)
{
    const MemSet *set = watch_table_mem(config.watches);
    unsigned int size;
    bool store;

    if (!set) {
        return;
    }
    size = 1u << qemu_plugin_mem_size_shift(info);
    store = qemu_plugin_mem_is_store(info);
    for (int i = 0; i < set->n; i++) {
        Watch *w = set->w[i];
        if ((w->mem_dir & (store ? QINSN_MEM_WRITE : QINSN_MEM_READ)) &&
            vaddr <= w->end && vaddr + size - 1 >= w->start) {
            mem_hit(cpu, udata, w, info, vaddr, size, store);
        }
    }
}

bool record_control_put(GByteArray *ev)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&control_lock);
    uint8_t *rec = ring_reserve(control, ev->len);
    uint64_t n, ts = stamp(control);

    /*
     * A full queue refuses the record and the caller says so: it is not a
     * lost hit, which the drop counters would count.
     */
    if (!rec) {
        return false;
    }
    memcpy(rec, ev->data, ev->len);
    n = seqnum_take_other();
    memcpy(rec + 4, &ts, 8);
    memcpy(rec + 12, &n, 8);
    ring_commit(control, rec, ev->len);
    return true;
}
