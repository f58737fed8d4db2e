/*
 * Register-name resolution with gdb's aliases, per target.
 *
 * The aliases are those gdb itself accepts for the targets qinsn knows;
 * anything else must be spelled as QEMU's target description spells it.
 */
#include "regs.h"
#include "proto.h"

#include <string.h>

typedef struct Alias {
    const char *arch;   /* NULL: every target */
    const char *alias;
    const char *name;   /* canonical name in QEMU's description */
} Alias;

/* riscv64 x0..x31 in ABI order; s0 appears in QEMU's list as "fp". */
static const char *const riscv_abi[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static const Alias aliases[] = {
    { "riscv64", "s0", "fp" },
    { "riscv32", "s0", "fp" },
    { "x86_64", "pc", "rip" },
    { "x86_64", "sp", "rsp" },
    { "x86_64", "fp", "rbp" },
    { "x86_64", "ps", "eflags" },
    { "i386", "pc", "eip" },
    { "i386", "sp", "esp" },
    { "i386", "fp", "ebp" },
    { "i386", "ps", "eflags" },
    { "aarch64", "fp", "x29" },
    { "aarch64", "lr", "x30" },
    { "aarch64", "ip0", "x16" },
    { "aarch64", "ip1", "x17" },
    { "aarch64", "ps", "cpsr" },
};

static const char *const pc_names[] = { "pc", "rip", "eip", NULL };
static const char *const flag_names[] = { "eflags", NULL };

QinsnRegTable *qinsn_regs_new(const char *arch)
{
    QinsnRegTable *t = g_new0(QinsnRegTable, 1);

    t->arch = g_strdup(arch);
    t->regs = g_array_new(false, true, sizeof(QinsnReg));
    t->pc = -1;
    t->flags = -1;
    return t;
}

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++) {
        if (g_str_equal(*list, s)) {
            return true;
        }
    }
    return false;
}

void qinsn_regs_add(QinsnRegTable *t, const char *name, int gdb_num,
                    int size, void *handle)
{
    QinsnReg r = {
        .name = g_strdup(name), .gdb_num = gdb_num, .size = size,
        .handle = handle,
    };

    g_array_append_val(t->regs, r);
    if (t->pc < 0 && in_list(pc_names, name)) {
        t->pc = t->regs->len - 1;
    }
    if (t->flags < 0 && in_list(flag_names, name)) {
        t->flags = t->regs->len - 1;
    }
}

void qinsn_regs_free(QinsnRegTable *t)
{
    if (!t) {
        return;
    }
    for (guint i = 0; i < t->regs->len; i++) {
        g_free(qinsn_regs_at(t, i)->name);
    }
    g_array_free(t->regs, true);
    g_free(t->arch);
    g_free(t);
}

static int find_exact(const QinsnRegTable *t, const char *name)
{
    for (guint i = 0; i < t->regs->len; i++) {
        if (g_str_equal(qinsn_regs_at(t, i)->name, name)) {
            return i;
        }
    }
    return -1;
}

static const char *canonical(const QinsnRegTable *t, const char *name)
{
    static const char *const xnames[32] = {
        "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9",
        "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18",
        "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27",
        "x28", "x29", "x30", "x31",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(aliases); i++) {
        if ((!aliases[i].arch || g_str_equal(aliases[i].arch, t->arch)) &&
            g_str_equal(aliases[i].alias, name)) {
            return aliases[i].name;
        }
    }
    if (g_str_has_prefix(t->arch, "riscv")) {
        for (int i = 0; i < 32; i++) {
            if (g_str_equal(xnames[i], name)) {
                return riscv_abi[i];
            }
        }
    }
    return name;
}

/* One name, no LABEL/ part. */
static bool plain_name_valid(const char *name, GError **errp)
{
    const char *p = name[0] == '$' ? name + 1 : name;
    uint64_t n;

    if (p[0] == '#') {
        if (!qinsn_parse_u64(p + 1, &n, NULL) || n > 65535) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                        "register '%s': '#' must be followed by a gdb "
                        "register number", name);
            return false;
        }
        return true;
    }
    if (!*p) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG, "empty register name");
        return false;
    }
    for (const char *c = p; *c; c++) {
        if (!g_ascii_isalnum(*c) && *c != '_' && *c != '.') {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                        "register '%s': unexpected character '%c'", name, *c);
            return false;
        }
    }
    return true;
}

bool qinsn_regs_name_valid(const char *name, GError **errp)
{
    const char *slash = strchr(name, '/');
    g_autofree char *label = NULL;

    if (!slash) {
        return plain_name_valid(name, errp);
    }
    label = g_strndup(name, slash - name);
    if (!*label) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "register '%s': empty label before '/'", name);
        return false;
    }
    if (!plain_name_valid(label, errp)) {
        g_prefix_error(errp, "label of '%s': ", name);
        return false;
    }
    return plain_name_valid(slash + 1, errp);
}

char *qinsn_regs_label(const char *name)
{
    const char *slash = strchr(name, '/');
    const char *p = name[0] == '$' ? name + 1 : name;

    return slash ? g_strndup(p, slash - p) : g_strdup(p);
}

int qinsn_regs_resolve(const QinsnRegTable *t, const char *name,
                       GError **errp)
{
    const char *p;
    int i;

    if (!qinsn_regs_name_valid(name, errp)) {
        return -1;
    }
    if (strchr(name, '/')) {
        name = strchr(name, '/') + 1;
    }
    p = name[0] == '$' ? name + 1 : name;
    if (p[0] == '#') {
        uint64_t n;

        qinsn_parse_u64(p + 1, &n, NULL);
        for (guint j = 0; j < t->regs->len; j++) {
            if ((uint64_t)qinsn_regs_at(t, j)->gdb_num == n) {
                return j;
            }
        }
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "register '%s': %s has no gdb register number %s",
                    name, t->arch, p + 1);
        return -1;
    }
    i = find_exact(t, p);
    if (i < 0) {
        i = find_exact(t, canonical(t, p));
    }
    if (i < 0) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "unknown register '%s' for %s (the 'regs' command lists "
                    "them)", name, t->arch);
    }
    return i;
}
