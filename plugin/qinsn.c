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
#include "program.h"
#include "qinsn.h"
#include "qemu-ext.h"
#include "stop.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

Qinsn qinsn;

/* Asked once at install: the answer does not change, and hits read it. */
static bool exact_state;

bool qinsn_exact_state(void)
{
    return exact_state;
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
        h->lazy_state = true;
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
                insn, record_insn_exec, QEMU_PLUGIN_CB_R_REGS,
                g_ptr_array_index(hooks, j));
        }
        if (mem) {
            qemu_plugin_register_vcpu_mem_cb(
                insn, record_mem_access, QEMU_PLUGIN_CB_R_REGS,
                QEMU_PLUGIN_MEM_RW,
                mem_site(qemu_plugin_insn_vaddr(insn)));
        }
    }
}

/* Learn the target's registers, and their sizes by reading each once. */
static QinsnRegTable *build_reg_table(void)
{
    g_autoptr(GArray) descs = qemu_plugin_get_registers();
    g_autoptr(GByteArray) buf = g_byte_array_new();
    QinsnRegTable *t = qinsn_regs_new(qinsn.arch);

    for (guint i = 0; descs && i < descs->len; i++) {
        qemu_plugin_reg_descriptor *d =
            &g_array_index(descs, qemu_plugin_reg_descriptor, i);
        int size;

        g_byte_array_set_size(buf, 0);
        size = qemu_plugin_read_register(d->handle, buf);
        /* the handle is the gdb remote register number plus one */
        qinsn_regs_add(t, d->name, GPOINTER_TO_INT(d->handle) - 1,
                       size < 0 ? 0 : MIN(size, 255), d->handle);
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
    program_learn();
    record_vcpu_init(cpu);
    if (qinsn.regs) {
        return;
    }
    qinsn.regs = build_reg_table();
    record_set_regs(qinsn.regs);
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
    stop_register_callbacks(qinsn.id);
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
    RecordConfig rc;
    WriterConfig wc;

    qinsn.id = id;
    qinsn.arch = g_strdup(info->target_name);
    qinsn.big_endian = target_big_endian(info->target_name);
    qinsn.system_mode = info->system_emulation;
    program_init(qinsn.system_mode);
    g_mutex_init(&qinsn.regs_lock);
    qinsn.watches = watch_table_new(200000, 1 << 24);

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
    rc = (RecordConfig) {
        .watches = qinsn.watches,
        .big_endian = qinsn.big_endian,
        .exact_state = exact_state,
        .timestamps = args.format == FORMAT_CTF,
        .overflow_drop = args.overflow_drop,
        .stall_ms = args.stall_ms,
        .kick = writer_kick,
    };
    record_init(&rc);
    wc = (WriterConfig) {
        .format = qinsn.format,
        .log_path = qinsn.log_path,
        .arch = qinsn.arch,
        .big_endian = qinsn.big_endian,
        .watches = qinsn.watches,
    };
    flush_init(qinsn.initial->len > 0);
    stop_init(id, qinsn.system_mode);
    if (!writer_start(&wc, &err) ||
        (!qinsn.no_sock && !control_start(&err))) {
        fprintf(stderr, "qinsn: %s\n", err->message);
        return -1;
    }
    qinsn_register_callbacks();
    return 0;
}
