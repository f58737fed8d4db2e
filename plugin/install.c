/*
 * qinsn: a QEMU TCG plugin that logs registers at watched guest PCs.
 *
 * This file is the install glue: it parses the plugin arguments, creates
 * the modules and wires them together (what flows upward, such as events
 * for subscribers and flush completion, goes through the callbacks given
 * here), learns the target's registers when the first vCPU starts and adds
 * the watches the arguments asked for.
 *
 * From the bottom up: the watch table (watch.c, watches built in
 * watchdef.c) and the target (target.c) are data; the record path
 * (translate.c, record.c with tsclock.c, writer.c, ctf.c), the flush
 * module (flush.c) and stops (stop.c) use them; requests enter at the
 * control socket (control.c, its file in sockfile.c) and are served by
 * commands.c and watchcmds.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "commands.h"
#include "control.h"
#include "flush.h"
#include "program.h"
#include "qemu-ext.h"
#include "record.h"
#include "stop.h"
#include "translate.h"
#include "writer.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* For QEMU's callbacks, which carry no user data. */
static qemu_plugin_id_t plugin_id;
static Target *target;
static WatchTable *watches;
static GPtrArray *initial;      /* QinsnWatchSpec from plugin arguments */

/* Learn the target's registers, and their sizes by reading each once. */
static QinsnRegTable *build_reg_table(void)
{
    g_autoptr(GArray) descs = qemu_plugin_get_registers();
    g_autoptr(GByteArray) buf = g_byte_array_new();
    QinsnRegTable *t = qinsn_regs_new(target->arch);

    for (guint i = 0; descs && i < descs->len; i++) {
        qemu_plugin_reg_descriptor *d =
            &g_array_index(descs, qemu_plugin_reg_descriptor, i);
        int size;

        g_byte_array_set_size(buf, 0);
        size = qemu_plugin_read_register(d->handle, buf);
        /*
         * The handle is the gdb remote register number plus one.  The size
         * is the true one (gdb checks it); watch_new() refuses registers
         * wider than a record can hold.
         */
        qinsn_regs_add(t, d->name, GPOINTER_TO_INT(d->handle) - 1,
                       MAX(size, 0), d->handle);
    }
    return t;
}

/* The registers named by regs= must exist; called with the target lock. */
static void check_default_regs(void)
{
    for (guint i = 0; i < target->default_regs->len; i++) {
        g_autoptr(GError) err = NULL;

        if (qinsn_regs_resolve(target->regs,
                               g_ptr_array_index(target->default_regs, i),
                               &err) < 0) {
            fprintf(stderr, "qinsn: regs: %s\n", err->message);
            exit(1);
        }
    }
}

static void add_initial_watches(void)
{
    for (guint i = 0; i < initial->len; i++) {
        QinsnWatchSpec *o = g_ptr_array_index(initial, i);
        g_autoptr(GError) err = NULL;
        Watch *w = watch_new(o, target->regs, target->default_regs, &err);

        if (!w || !commands_add_watch(w, &err)) {
            fprintf(stderr, "qinsn: watch=0x%" PRIx64 ": %s\n", o->start,
                    err->message);
            exit(1);
        }
    }
}

static void vcpu_init(qemu_plugin_id_t id, unsigned int cpu)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&target->lock);

    if (cpu >= QINSN_MAX_VCPUS) {
        return;
    }
    program_learn();
    record_vcpu_init(cpu);
    if (target->regs) {
        return;
    }
    target->regs = build_reg_table();
    record_set_regs(target->regs);
    check_default_regs();
    add_initial_watches();
    atomic_store(&target->ready, true);
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

/* Every QEMU callback; again after a stock flush (qemu_plugin_reset). */
static void register_callbacks(void)
{
    qemu_plugin_register_vcpu_init_cb(plugin_id, vcpu_init);
    if (flush_translating()) {
        translate_set(true);
    }
    qemu_plugin_register_atexit_cb(plugin_id, plugin_exit, NULL);
    stop_register_callbacks(plugin_id);
}

/*
 * Whether a watch exists, or will once the first vCPU starts (plugin
 * arguments): while none does, the patched path leaves translation alone.
 */
static bool watch_wanted(void)
{
    return watch_table_any(watches) ||
        (!atomic_load(&target->ready) && initial->len > 0);
}

static void stop_event(const char *line)
{
    control_broadcast(line);
    control_wake();
}

static void start_record_path(const QinsnArgs *args, const qemu_info_t *info)
{
    RecordConfig rc = {
        .watches = watches,
        .big_endian = target->big_endian,
        .exact_state = target->exact_state,
        .timestamps = args->format == FORMAT_CTF,
        /* user mode runs a thread per guest thread */
        .one_vcpu = info->system_emulation && info->system.max_vcpus == 1,
        .overflow_drop = args->overflow_drop,
        .stall_ms = args->stall_ms,
        .kick = writer_kick,
    };
    FlushConfig fc = {
        .id = plugin_id,
        .wanted = watch_wanted,
        .reregister = register_callbacks,
        .set_translation = translate_set,
        .notify = control_wake,
    };
    StopConfig sc = { .target = target, .event = stop_event };

    record_init(&rc);
    translate_init(plugin_id, watches);
    flush_init(&fc);
    stop_init(&sc);
}

static bool start_threads(const QinsnArgs *args, GError **errp)
{
    WriterConfig wc = {
        .format = args->format,
        .log_path = args->log_path,
        .arch = target->arch,
        .big_endian = target->big_endian,
        .watches = watches,
        .subscribers = control_subscribers,
        .event = control_broadcast_event,
        .wake = control_wake,
        .flush_count = flush_count,
    };
    CommandsConfig cc = {
        .target = target,
        .watches = watches,
        .format = args->format,
        .log_path = args->log_path,
    };
    ControlConfig ctl = { .sock_path = args->sock_path, .target = target,
                          .caps = commands_caps(), .serve = commands_run };

    commands_init(&cc);
    return writer_start(&wc, errp) &&
        (args->no_sock || control_start(&ctl, errp));
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                           const qemu_info_t *info,
                                           int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    /* the paths and format live as long as QEMU: never cleared */
    static QinsnArgs args;

    plugin_id = id;
    program_init(info->system_emulation);
    watches = watch_table_new(200000, 1 << 24);
    qinsn_args_init(&args);
    if (!qinsn_args_parse(&args, argc, argv, &err)) {
        fprintf(stderr, "qinsn: %s\n", err->message);
        qinsn_args_clear(&args);
        return -1;
    }
    initial = g_steal_pointer(&args.initial);
    target = target_new(info->target_name, info->system_emulation,
                        qemu_plugin_insn_state_exact &&
                        qemu_plugin_insn_state_exact(),
                        g_steal_pointer(&args.default_regs));
    start_record_path(&args, info);
    if (!start_threads(&args, &err)) {
        fprintf(stderr, "qinsn: %s\n", err->message);
        return -1;
    }
    register_callbacks();
    return 0;
}
