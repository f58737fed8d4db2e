/*
 * The naive design qinsn is compared with: a callback on every guest
 * instruction, and the watch set looked up at execution time.
 *
 * Translation decides nothing: every instruction gets an exec callback
 * carrying its address, and the callback looks that address up in a hash
 * set.  On a match it reads the chosen registers and writes a text line to
 * the log.  The cost it shows is the one qinsn avoids by deciding at
 * translation time which instructions get a callback at all.
 *
 * Arguments: addr=0xADDR (repeatable), regs=R1:R2:... (register names as
 * QEMU reports them), log=PATH (default stderr).  The last log line is
 * "summary hits=N".  System emulation only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MAX_REGS 16

typedef struct NaiveCPU {
    struct qemu_plugin_register *handles[MAX_REGS];
    GByteArray *buf;
    GString *line;
} NaiveCPU;

static GHashTable *watched;     /* set of guest addresses, read-only */
static char **reg_names;
static int n_regs;
static NaiveCPU *cpus;
static FILE *log_file;
static GMutex log_lock;
static uint64_t hits;

static void vcpu_init(qemu_plugin_id_t id, unsigned int vcpu_index)
{
    g_autoptr(GArray) descs = qemu_plugin_get_registers();
    NaiveCPU *c = &cpus[vcpu_index];

    c->buf = g_byte_array_new();
    c->line = g_string_new(NULL);
    for (int i = 0; i < n_regs; i++) {
        for (guint j = 0; j < descs->len; j++) {
            qemu_plugin_reg_descriptor *d =
                &g_array_index(descs, qemu_plugin_reg_descriptor, j);
            if (g_ascii_strcasecmp(d->name, reg_names[i]) == 0) {
                c->handles[i] = d->handle;
            }
        }
    }
}

static void log_hit(unsigned int cpu_index, uint64_t pc)
{
    NaiveCPU *c = &cpus[cpu_index];

    g_string_printf(c->line, "hit cpu=%u pc=0x%" PRIx64, cpu_index, pc);
    for (int i = 0; i < n_regs; i++) {
        uint64_t v = 0;

        if (!c->handles[i]) {
            continue;
        }
        g_byte_array_set_size(c->buf, 0);
        qemu_plugin_read_register(c->handles[i], c->buf);
        memcpy(&v, c->buf->data, MIN(c->buf->len, sizeof(v)));
        g_string_append_printf(c->line, " %s=0x%" PRIx64, reg_names[i], v);
    }
    g_string_append_c(c->line, '\n');
    g_mutex_lock(&log_lock);
    fwrite(c->line->str, 1, c->line->len, log_file);
    hits++;
    g_mutex_unlock(&log_lock);
}

/* Runs before every guest instruction: the cost being measured. */
static void vcpu_insn_exec(unsigned int cpu_index, void *udata)
{
    if (g_hash_table_contains(watched, udata)) {
        log_hit(cpu_index, (uint64_t)(uintptr_t)udata);
    }
}

static void vcpu_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);

    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uintptr_t pc = qemu_plugin_insn_vaddr(insn);

        qemu_plugin_register_vcpu_insn_exec_cb(insn, vcpu_insn_exec,
                                               QEMU_PLUGIN_CB_R_REGS,
                                               (void *)pc);
    }
}

static void plugin_exit(qemu_plugin_id_t id, void *p)
{
    fprintf(log_file, "summary hits=%" PRIu64 "\n", hits);
    fflush(log_file);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                           const qemu_info_t *info,
                                           int argc, char **argv)
{
    const char *log_path = NULL;

    watched = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (int i = 0; i < argc; i++) {
        g_auto(GStrv) kv = g_strsplit(argv[i], "=", 2);

        if (!kv[0] || !kv[1]) {
            fprintf(stderr, "naive: bad argument %s\n", argv[i]);
            return -1;
        }
        if (g_str_equal(kv[0], "addr")) {
            uintptr_t a = g_ascii_strtoull(kv[1], NULL, 0);
            g_hash_table_add(watched, (void *)a);
        } else if (g_str_equal(kv[0], "regs")) {
            reg_names = g_strsplit(kv[1], ":", MAX_REGS);
            n_regs = g_strv_length(reg_names);
        } else if (g_str_equal(kv[0], "log")) {
            log_path = g_intern_string(kv[1]);
        } else {
            fprintf(stderr, "naive: unknown argument %s\n", kv[0]);
            return -1;
        }
    }
    log_file = log_path ? fopen(log_path, "w") : stderr;
    if (!log_file) {
        perror(log_path);
        return -1;
    }
    if (!info->system_emulation) {
        fprintf(stderr, "naive: system emulation only\n");
        return -1;
    }
    cpus = g_new0(NaiveCPU, info->system.max_vcpus);

    qemu_plugin_register_vcpu_init_cb(id, vcpu_init);
    qemu_plugin_register_vcpu_tb_trans_cb(id, vcpu_tb_trans);
    qemu_plugin_register_atexit_cb(id, plugin_exit, NULL);
    return 0;
}
