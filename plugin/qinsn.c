/*
 * qinsn: a QEMU TCG plugin that logs registers at watched guest PCs.
 *
 * This file is the QEMU glue: argument parsing at install, the register
 * table at the first vCPU's start, the translation-time choice of watched
 * instructions and the execution-time callback that records a hit.  Only
 * watched instructions get a callback; deciding is done at translation.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "qinsn.h"
#include "qemu-ext.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

Qinsn qinsn;

/* Per-vCPU scratch for register and memory reads: no allocation per hit. */
static GByteArray *scratch[QINSN_MAX_VCPUS];

/* Asked once at install: the answer does not change, and hits read it. */
static bool exact_state;

bool qinsn_exact_state(void)
{
    return exact_state;
}

/* Read register @idx as seen by the instruction at @h->pc into @out. */
static int read_reg(unsigned int cpu, const Hook *h, int idx, uint8_t *out,
                    int room)
{
    const QinsnReg *r = qinsn_regs_at(qinsn.regs, idx);
    GByteArray *buf = scratch[cpu];
    int n;

    if (idx == qinsn.regs->pc && !qinsn_exact_state()) {
        /* The PC register holds the block's start mid-block: use ours. */
        n = MIN(r->size, 8);
        for (int i = 0; i < n; i++) {
            int k = qinsn.big_endian ? n - 1 - i : i;
            out[k] = (uint8_t)(h->pc >> (8 * i));
        }
        return n;
    }
    g_byte_array_set_size(buf, 0);
    n = qemu_plugin_read_register(r->handle, buf);
    if (n < 0) {
        return 0;
    }
    n = MIN(MIN(n, room), (int)buf->len);
    memcpy(out, buf->data, n);
    return n;
}

static uint64_t reg_u64(unsigned int cpu, const Hook *h, int idx)
{
    uint8_t v[64];
    int n = read_reg(cpu, h, idx, v, sizeof(v));

    return format_value_u64(v, n, qinsn.big_endian);
}

static uint8_t *capture(unsigned int cpu, const Hook *h, const Watch *w,
                        uint8_t *p)
{
    GByteArray *buf = scratch[cpu];
    uint64_t addr = reg_u64(cpu, h, w->capture_reg) + w->capture_off;
    uint32_t len = 0, status = UINT32_MAX;

    if (w->capture == WATCH_CAPTURE_MEM) {
        g_byte_array_set_size(buf, 0);
        if (qemu_plugin_read_memory_vaddr(addr, buf, w->capture_len)) {
            len = status = w->capture_len;
            memcpy(p + 12, buf->data, len);
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
            memcpy(p + 12 + len, buf->data, chunk);
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
    memcpy(p, &status, 4);
    memcpy(p + 4, &addr, 8);
    return p + 12 + (status == UINT32_MAX ? 0 : status);
}

/* Does @w log on this vCPU at all (enabled, cpu=, a ring to log into)? */
static inline bool watch_applies(const Watch *w, unsigned int cpu)
{
    if (!atomic_load_explicit(&w->enabled, memory_order_relaxed) ||
        (w->cpu >= 0 && (unsigned int)w->cpu != cpu)) {
        return false;
    }
    if (cpu >= QINSN_MAX_VCPUS || !qinsn.rings[cpu]) {
        atomic_fetch_add(&qinsn.lost_vcpus, 1);
        return false;
    }
    return true;
}

/* A ring slot for a hit of @w at @pc, its header filled; NULL: dropped. */
static inline Record *record_begin(RecordKind kind, Watch *w,
                                   unsigned int cpu, uint64_t pc, uint64_t n)
{
    Record *rec = ring_reserve(qinsn.rings[cpu]);

    if (rec) {
        rec->kind = kind;
        rec->watch = w;
        rec->cpu = cpu;
        rec->pc = pc;
        rec->hit = n;
        /*
         * Stock QEMU reads lazily computed flags (x86 eflags) from a field
         * that misses the arithmetic flags until the vCPU leaves its
         * execution loop, at block starts as much as mid-block: say so
         * instead of lying.
         */
        rec->stale = !qinsn_exact_state();
    }
    return rec;
}

static inline void record_commit(Record *rec, Watch *w, unsigned int cpu,
                                 const uint8_t *end)
{
    rec->len = end - rec->data;
    atomic_fetch_add(&w->logged, 1);
    rec->seq = atomic_fetch_add(&qinsn.seq, 1);
    ring_commit(qinsn.rings[cpu]);
}

/* Claim a hit of @w: counts, ignore= and count=; false when not logged. */
static bool claim_hit(Watch *w, uint64_t *n)
{
    *n = atomic_fetch_add(&w->hits, 1) + 1;
    if (*n <= w->ignore) {
        return false;
    }
    if (w->count) {
        uint64_t c = atomic_fetch_add(&w->claimed, 1) + 1;
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

static uint8_t *put_regs(unsigned int cpu, const Hook *h, const Watch *w,
                         uint8_t *p)
{
    for (int i = 0; i < w->nregs; i++) {
        int len = read_reg(cpu, h, w->regs[i], p + 1,
                           qinsn_regs_at(qinsn.regs, w->regs[i])->size);
        *p = (uint8_t)len;
        p += 1 + len;
    }
    return p;
}

static void vcpu_insn_exec(unsigned int cpu, void *udata)
{
    const Hook *h = udata;
    Watch *w = h->watch;
    Record *rec;
    uint8_t *p;
    uint64_t n;

    if (!watch_applies(w, cpu) ||
        (w->has_cond &&
         !qinsn_cond_eval(w->cond_op, reg_u64(cpu, h, w->cond_reg),
                          w->cond_value)) ||
        !claim_hit(w, &n) ||
        !(rec = record_begin(RECORD_HIT, w, cpu, h->pc, n))) {
        return;
    }
    p = put_regs(cpu, h, w, rec->data);
    if (w->capture) {
        p = capture(cpu, h, w, p);
    }
    record_commit(rec, w, cpu, p);
}

static void mem_hit(unsigned int cpu, const Hook *site, Watch *w,
                    qemu_plugin_meminfo_t info, uint64_t vaddr,
                    unsigned int size, bool store)
{
    qemu_plugin_mem_value mv;
    uint64_t lo = 0, hi = 0, n;
    Record *rec;
    uint8_t *p;

    if (!watch_applies(w, cpu)) {
        return;
    }
    mv = qemu_plugin_mem_get_value(info);
    switch (mv.type) {
    case QEMU_PLUGIN_MEM_VALUE_U8:
        lo = mv.data.u8;
        break;
    case QEMU_PLUGIN_MEM_VALUE_U16:
        lo = mv.data.u16;
        break;
    case QEMU_PLUGIN_MEM_VALUE_U32:
        lo = mv.data.u32;
        break;
    case QEMU_PLUGIN_MEM_VALUE_U64:
        lo = mv.data.u64;
        break;
    case QEMU_PLUGIN_MEM_VALUE_U128:
        lo = mv.data.u128.low;
        hi = mv.data.u128.high;
        break;
    }
    if (w->has_cond && !qinsn_cond_eval(w->cond_op, lo, w->cond_value)) {
        return;
    }
    if (!claim_hit(w, &n) ||
        !(rec = record_begin(RECORD_MEM, w, cpu, site->pc, n))) {
        return;
    }
    memcpy(rec->data, &vaddr, 8);
    rec->data[8] = (uint8_t)size;
    rec->data[9] = store;
    memcpy(rec->data + 10, &lo, 8);
    memcpy(rec->data + 18, &hi, 8);
    p = put_regs(cpu, site, w, rec->data + 26);
    record_commit(rec, w, cpu, p);
}

/* Every access of every instruction while memory watches exist. */
static void vcpu_mem(unsigned int cpu, qemu_plugin_meminfo_t info,
                     uint64_t vaddr, void *udata)
{
    const MemSet *set = watch_table_mem(qinsn.watches);
    unsigned int size;
    bool store;

    if (!set) {
        return;
    }
    size = 1u << qemu_plugin_mem_size_shift(info);
    store = qemu_plugin_mem_is_store(info);
    for (int i = 0; i < set->n; i++) {
        Watch *w = set->w[i];
        if ((w->mem_dir & (store ? WATCH_MEM_WRITE : WATCH_MEM_READ)) &&
            vaddr <= w->end && vaddr + size - 1 >= w->start) {
            mem_hit(cpu, udata, w, info, vaddr, size, store);
        }
    }
}

/* The address of an instruction with memory callbacks, kept per PC. */
static Hook *mem_site(uint64_t pc)
{
    static GMutex lock;
    static GHashTable *sites;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
    Hook *h;

    if (!sites) {
        sites = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
                                      g_free);
    }
    h = g_hash_table_lookup(sites, &pc);
    if (!h) {
        h = g_new0(Hook, 1);
        h->pc = pc;
        g_hash_table_insert(sites, &h->pc, h);
    }
    return h;
}

static void vcpu_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    g_autoptr(GPtrArray) hooks = NULL;

    bool mem = false;

    flush_note_translation(tb);
    if (!watch_table_any(qinsn.watches)) {
        return;
    }
    mem = watch_table_mem_count(qinsn.watches) > 0;
    if (mem) {
        const MemSet *set = watch_table_mem(qinsn.watches);
        /* memory watches are armed once code carries memory callbacks */
        for (int i = 0; set && i < set->n; i++) {
            atomic_store(&set->w[i]->translated, true);
        }
    }
    hooks = g_ptr_array_new();
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint8_t bytes[16];
        size_t len = qemu_plugin_insn_data(insn, bytes, sizeof(bytes));

        g_ptr_array_set_size(hooks, 0);
        watch_table_hooks_for(qinsn.watches, qemu_plugin_insn_vaddr(insn),
                              bytes, (int)len, hooks);
        for (guint j = 0; j < hooks->len; j++) {
            qemu_plugin_register_vcpu_insn_exec_cb(
                insn, vcpu_insn_exec, QEMU_PLUGIN_CB_R_REGS,
                g_ptr_array_index(hooks, j));
        }
        if (mem) {
            qemu_plugin_register_vcpu_mem_cb(
                insn, vcpu_mem, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_MEM_RW,
                mem_site(qemu_plugin_insn_vaddr(insn)));
        }
    }
}

/* Learn the target's registers, and their sizes by reading each once. */
static QinsnRegTable *build_reg_table(unsigned int cpu)
{
    g_autoptr(GArray) descs = qemu_plugin_get_registers();
    QinsnRegTable *t = qinsn_regs_new(qinsn.arch);

    for (guint i = 0; descs && i < descs->len; i++) {
        qemu_plugin_reg_descriptor *d =
            &g_array_index(descs, qemu_plugin_reg_descriptor, i);
        int size;

        g_byte_array_set_size(scratch[cpu], 0);
        size = qemu_plugin_read_register(d->handle, scratch[cpu]);
        /* the handle is the gdb remote register number plus one */
        qinsn_regs_add(t, d->name, GPOINTER_TO_INT(d->handle) - 1,
                       size < 0 ? 0 : size, d->handle);
    }
    return t;
}

bool qinsn_add_watch(Watch *w, GError **errp)
{
    bool enabled = atomic_load(&w->enabled);

    /*
     * The watch's definition goes to the log before any of its hits: it
     * joins the table disabled, and is enabled once its record is queued.
     */
    atomic_store(&w->enabled, false);
    if (!watch_table_add(qinsn.watches, w, flush_count(), errp)) {
        watch_free(w);
        return false;
    }
    if (!writer_watch(w)) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_LIMIT,
                    "the log's queue is full: watch not added");
        watch_table_remove(qinsn.watches, w->id, flush_count(), NULL);
        return false;
    }
    atomic_store(&w->enabled, enabled);
    return true;
}

static void add_initial_watches(void)
{
    for (guint i = 0; i < qinsn.initial->len; i++) {
        WatchOptions *o = g_ptr_array_index(qinsn.initial, i);
        g_autoptr(GError) err = NULL;
        Watch *w = watch_new(o, qinsn.regs, qinsn.default_regs, &err);

        if (!w || !qinsn_add_watch(w, &err)) {
            fprintf(stderr, "qinsn: watch=0x%" PRIx64 ": %s\n", o->start,
                    err->message);
            exit(1);
        }
    }
}

static void vcpu_init(qemu_plugin_id_t id, unsigned int cpu)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&qinsn.regs_lock);

    if (cpu >= QINSN_MAX_VCPUS) {
        return;
    }
    if (!scratch[cpu]) {
        scratch[cpu] = g_byte_array_sized_new(256);
        qinsn.rings[cpu] = ring_new();
        if ((int)cpu >= atomic_load(&qinsn.nrings)) {
            atomic_store(&qinsn.nrings, cpu + 1);
        }
    }
    if (qinsn.regs) {
        return;
    }
    qinsn.regs = build_reg_table(cpu);
    for (guint i = 0; i < qinsn.default_regs->len; i++) {
        g_autoptr(GError) err = NULL;
        if (qinsn_regs_resolve(qinsn.regs,
                               g_ptr_array_index(qinsn.default_regs, i),
                               &err) < 0) {
            fprintf(stderr, "qinsn: regs: %s\n", err->message);
            exit(1);
        }
    }
    add_initial_watches();
    atomic_store(&qinsn.ready, true);
    control_wake();
}

static void plugin_exit(qemu_plugin_id_t id, void *p)
{
    static atomic_bool exited;

    /* QEMU may run exit callbacks from more than one thread at shutdown. */
    if (atomic_exchange(&exited, true)) {
        return;
    }
    /* The writer first: its last records still reach subscribers. */
    writer_stop();
    control_stop();
}

void qinsn_set_translation(bool on)
{
    qemu_plugin_register_vcpu_tb_trans_cb(qinsn.id,
                                          on ? vcpu_tb_trans : NULL);
}

void qinsn_register_callbacks(void)
{
    qemu_plugin_register_vcpu_init_cb(qinsn.id, vcpu_init);
    if (flush_translating()) {
        qinsn_set_translation(true);
    }
    qemu_plugin_register_atexit_cb(qinsn.id, plugin_exit, NULL);
}

static bool target_big_endian(const char *arch)
{
    static const char *const be[] = {
        "s390x", "m68k", "sparc", "sparc64", "hppa", "mips", "mips64",
        "or1k", "ppc", NULL
    };

    return g_strv_contains(be, arch);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                           const qemu_info_t *info,
                                           int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    QinsnArgs args;

    qinsn.id = id;
    qinsn.arch = g_strdup(info->target_name);
    qinsn.big_endian = target_big_endian(info->target_name);
    qinsn.system_mode = info->system_emulation;
    g_mutex_init(&qinsn.regs_lock);
    qinsn.watches = watch_table_new(200000, 1 << 24);
    qinsn.control_ring = ring_new();

    qinsn_args_init(&args);
    if (!qinsn_args_parse(&args, argc, argv, &err)) {
        fprintf(stderr, "qinsn: %s\n", err->message);
        qinsn_args_clear(&args);
        return -1;
    }
    qinsn.initial = g_steal_pointer(&args.initial);
    qinsn.default_regs = g_steal_pointer(&args.default_regs);
    qinsn.log_path = g_steal_pointer(&args.log_path);
    qinsn.sock_path = g_steal_pointer(&args.sock_path);
    qinsn.no_sock = args.no_sock;
    qinsn.format = args.format;
    exact_state = qemu_plugin_insn_state_exact &&
        qemu_plugin_insn_state_exact();
    flush_init(qinsn.initial->len > 0);
    if (!writer_start(&err) || (!qinsn.no_sock && !control_start(&err))) {
        fprintf(stderr, "qinsn: %s\n", err->message);
        return -1;
    }
    qinsn_register_callbacks();
    return 0;
}
