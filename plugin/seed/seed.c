/*
 * libqinsn-seed.so: a QEMU TCG plugin that runs one plugin written to the
 * qemulib API (plugin/seed/qemulib.h, docs/seed-api.md).
 *
 * This file is the QEMU side: the layer's arguments, loading the plugin,
 * and the callbacks that put the plugin's questions to it.  When QEMU
 * translates a block, the plugin is asked about each instruction; only
 * those it wants get an execution callback, which asks it again and calls
 * it.  Instruction addresses travel to those callbacks as their user data,
 * so nothing is allocated per translated instruction.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "flush.h"
#include "memvalue.h"
#include "seed.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* Guest addresses are passed as callback user data. */
G_STATIC_ASSERT(sizeof(void *) >= sizeof(uint64_t));

#define SEED_MAX_VCPUS 1024

Seed seed;
_Thread_local SeedCpu *seed_active;

/*
 * Execution-time handles, one per vCPU so that a plugin sees the same
 * handle for the same vCPU; a cache line each, as each vCPU thread writes
 * its own.  vCPUs beyond the table share a per-thread one.
 */
typedef union SeedCpuSlot {
    SeedCpu cpu;
    char pad[64];
} SeedCpuSlot;

static SeedCpuSlot vcpu_slots[SEED_MAX_VCPUS];
static _Thread_local SeedCpu overflow_cpu;
static _Thread_local SeedCpu translate_cpu;

typedef struct SeedArgs {
    char *plugin;
    char *args;
    char *log;
} SeedArgs;

static inline SeedCpu *cpu_enter(unsigned int vcpu, uint64_t pc)
{
    SeedCpu *c = vcpu < SEED_MAX_VCPUS ? &vcpu_slots[vcpu].cpu :
        &overflow_cpu;

    c->pc = pc;
    c->vcpu = vcpu;
    c->translating = false;
    seed_active = c;
    return c;
}

static void vcpu_insn_exec(unsigned int vcpu, void *udata)
{
    uint64_t pc = (uintptr_t)udata;
    SeedCpu *c = cpu_enter(vcpu, pc);

    if (!seed.user.needs_before_insn || seed.user.needs_before_insn(pc, c)) {
        seed.user.before_insn(pc, c);
    }
    seed_active = NULL;
}

static void vcpu_mem(unsigned int vcpu, qemu_plugin_meminfo_t info,
                     uint64_t vaddr, void *udata)
{
    uint64_t pc = (uintptr_t)udata;
    uint64_t hi;
    uint64_t value = mem_value(info, &hi);
    SeedCpu *c = cpu_enter(vcpu, pc);

    seed.user.before_mem(pc, vaddr, 1 << qemu_plugin_mem_size_shift(info),
                         qemu_plugin_mem_is_store(info), value, c);
    seed_active = NULL;
}

static void vcpu_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    const SeedUser *u = &seed.user;
    SeedCpu *c = &translate_cpu;
    size_t n = qemu_plugin_tb_n_insns(tb);

    if (!u->before_insn && !u->before_mem) {
        return;     /* nothing to call, nothing a flush could change */
    }
    if (u->needs_before_insn || u->needs_before_mem) {
        flush_note_translation(tb);
    }
    c->vcpu = UINT32_MAX;
    c->translating = true;
    seed_active = c;
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        void *udata = (void *)(uintptr_t)pc;

        c->pc = pc;
        if (u->before_insn &&
            (!u->needs_before_insn || u->needs_before_insn(pc, c))) {
            qemu_plugin_register_vcpu_insn_exec_cb(
                insn, vcpu_insn_exec, QEMU_PLUGIN_CB_R_REGS, udata);
        }
        if (u->before_mem &&
            (!u->needs_before_mem || u->needs_before_mem(pc, c))) {
            qemu_plugin_register_vcpu_mem_cb(
                insn, vcpu_mem, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_MEM_RW,
                udata);
        }
    }
    seed_active = NULL;
}

static void vcpu_init(qemu_plugin_id_t id, unsigned int vcpu)
{
    seed_regs_init();
}

void seed_register_callbacks(void)
{
    qemu_plugin_register_vcpu_init_cb(seed.id, vcpu_init);
    qemu_plugin_register_vcpu_tb_trans_cb(seed.id, vcpu_tb_trans);
}

static bool set_once(char **slot, const char *key, const char *val,
                     GError **errp)
{
    if (*slot) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "%s= given twice (the layer runs one plugin; QEMU "
                    "merges -plugin options that name the same file)", key);
        return false;
    }
    if (!*val && !g_str_equal(key, "args")) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "%s=: empty path", key);
        return false;
    }
    *slot = g_strdup(val);
    return true;
}

static bool parse_args(int argc, char **argv, SeedArgs *a, GError **errp)
{
    for (int i = 0; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        g_autofree char *key =
            g_strndup(argv[i], eq ? (size_t)(eq - argv[i]) : strlen(argv[i]));
        const char *val = eq ? eq + 1 : "";
        bool ok;

        if (g_str_equal(key, "plugin")) {
            ok = set_once(&a->plugin, key, val, errp);
        } else if (g_str_equal(key, "args")) {
            ok = set_once(&a->args, key, val, errp);
        } else if (g_str_equal(key, "log")) {
            ok = set_once(&a->log, key, val, errp);
        } else {
            /* QEMU splits option values at commas: args=a,b gives "b=on". */
            g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                        "unknown argument '%s' (known: plugin, args, log)%s",
                        key, a->args ? "; a comma inside args= is written "
                        "',,'" : "");
            ok = false;
        }
        if (!ok) {
            return false;
        }
    }
    if (!a->plugin) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "missing plugin=PATH, the plugin to run");
        return false;
    }
    return true;
}

/*
 * QEMU opens plugins with RTLD_LOCAL, so the qemulib_* functions of this
 * object would stay invisible to the plugin it loads.  Opening itself
 * again with RTLD_NOLOAD | RTLD_GLOBAL puts them in the global scope,
 * where the plugin's undefined references find them: plugins link
 * against nothing and load with any copy of the layer.  Two copies at
 * once would bind every plugin (and the second copy's own references) to
 * the first, so a second is refused.  This object is found through a
 * static function: a reference to qemulib_log here may already resolve to
 * another copy.
 */
static bool export_qemulib(GError **errp)
{
    void *first = dlsym(RTLD_DEFAULT, "qemulib_log");
    Dl_info self, other;

    if (!dladdr((void *)export_qemulib, &self) || !self.dli_fname) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "cannot find the layer's own file to export qemulib_*");
        return false;
    }
    if (first && dladdr(first, &other) &&
        other.dli_fbase != self.dli_fbase) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "another copy of the layer is already loaded (%s): "
                    "one per QEMU", other.dli_fname);
        return false;
    }
    /* kept open: QEMU never unloads a plugin it runs */
    if (!dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL)) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "cannot export qemulib_*: %s", dlerror());
        return false;
    }
    return true;
}

/* dlsym()'s object pointer as the function pointer it is. */
#define LOOKUP(handle, name, var) \
    ((var) = (__typeof__(var))dlsym((handle), (name)))

static bool load_user(const char *path, GError **errp)
{
    SeedUser *u = &seed.user;

    u->path = g_strdup(path);
    u->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!u->handle) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "plugin=%s: cannot load it: %s", path, dlerror());
        return false;
    }
    if (!LOOKUP(u->handle, "plugin_init", u->init)) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "plugin=%s: not a plugin of this API: it does not "
                    "export plugin_init", path);
        dlclose(u->handle);
        u->handle = NULL;
        return false;
    }
    LOOKUP(u->handle, "plugin_needs_before_insn", u->needs_before_insn);
    LOOKUP(u->handle, "plugin_before_insn", u->before_insn);
    LOOKUP(u->handle, "plugin_needs_before_mem", u->needs_before_mem);
    LOOKUP(u->handle, "plugin_before_mem", u->before_mem);
    return true;
}

static bool target_big_endian(const char *target)
{
    static const char *const big[] = {
        "hppa", "m68k", "microblaze", "mips", "mips64", "mipsn32", "or1k",
        "ppc", "ppc64", "s390x", "sparc", "sparc32plus", "sparc64", NULL
    };

    return g_strv_contains(big, target);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                           const qemu_info_t *info,
                                           int argc, char **argv)
{
    static bool installed;
    g_autoptr(GError) err = NULL;
    SeedArgs a = { 0 };
    g_autofree char *plugin = NULL;
    g_autofree char *log = NULL;
    bool ok;

    if (installed) {
        fprintf(stderr, SEED_NAME ": already running a plugin (one per "
                "QEMU)\n");
        return -1;
    }
    seed.id = id;
    seed.target = g_strdup(info->target_name);
    seed.big_endian = target_big_endian(info->target_name);

    ok = parse_args(argc, argv, &a, &err);
    plugin = a.plugin;
    log = a.log;
    if (!ok || (log && !seed_log_open(log, &err)) || !export_qemulib(&err) ||
        !load_user(plugin, &err)) {
        fprintf(stderr, SEED_NAME ": %s\n", err->message);
        return -1;
    }
    flush_init(&(FlushConfig) {
        .id = id, .reregister = seed_register_callbacks,
    });
    /* a.args is never freed: a plugin may keep the string it is given */
    if (!seed.user.init(a.args ? a.args : "")) {
        fprintf(stderr, SEED_NAME ": plugin=%s: plugin_init returned false, "
                "the plugin cannot work here\n", plugin);
        return -1;
    }
    seed_register_callbacks();
    installed = true;
    return 0;
}
