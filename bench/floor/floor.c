/*
 * The floor of a register-logging hit on stock QEMU: one callback on one
 * instruction that reads the chosen registers and keeps nothing.
 *
 * Nothing cheaper can log those registers through the plugin API, so the
 * bench reports qinsn's cost per logged hit beside this one.  It counts
 * hits and folds the bytes read into a checksum, so the reads cannot be
 * optimised away and a run can be checked.
 *
 * Arguments: addr=0xADDR, regs=R1:R2:... (names as QEMU reports them).
 * At exit it prints "floor hits=N sum=0x..." on stderr.  System emulation.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MAX_REGS 16

static uint64_t addr;
static char **names;
static int n_regs;
static struct qemu_plugin_register *handles[MAX_REGS];
static GByteArray *buf;
static uint64_t hits, sum;

static void vcpu_init(qemu_plugin_id_t id, unsigned int cpu)
{
    g_autoptr(GArray) descs = qemu_plugin_get_registers();

    for (int i = 0; i < n_regs; i++) {
        for (guint k = 0; k < descs->len; k++) {
            qemu_plugin_reg_descriptor *d =
                &g_array_index(descs, qemu_plugin_reg_descriptor, k);
            if (g_str_equal(d->name, names[i])) {
                handles[i] = d->handle;
            }
        }
        if (!handles[i]) {
            fprintf(stderr, "floor: no register %s\n", names[i]);
            exit(1);
        }
    }
}

static void insn_exec(unsigned int cpu, void *udata)
{
    for (int i = 0; i < n_regs; i++) {
        g_byte_array_set_size(buf, 0);
        qemu_plugin_read_register(handles[i], buf);
        sum += buf->data[0];
    }
    hits++;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        if (qemu_plugin_insn_vaddr(insn) == addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(
                insn, insn_exec, QEMU_PLUGIN_CB_R_REGS, NULL);
        }
    }
}

static void plugin_exit(qemu_plugin_id_t id, void *p)
{
    fprintf(stderr, "floor hits=%" PRIu64 " sum=0x%" PRIx64 "\n", hits,
            sum);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                           const qemu_info_t *info,
                                           int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (g_str_has_prefix(argv[i], "addr=")) {
            addr = g_ascii_strtoull(argv[i] + 5, NULL, 0);
        } else if (g_str_has_prefix(argv[i], "regs=")) {
            names = g_strsplit(argv[i] + 5, ":", MAX_REGS);
            n_regs = g_strv_length(names);
        } else {
            fprintf(stderr, "floor: unknown argument %s\n", argv[i]);
            return -1;
        }
    }
    buf = g_byte_array_sized_new(64);
    qemu_plugin_register_vcpu_init_cb(id, vcpu_init);
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, plugin_exit, NULL);
    return 0;
}
