/*
 * The emulated target (see target.h).
 */
#include "target.h"

static bool big_endian_arch(const char *arch)
{
    static const char *const be[] = {
        "s390x", "m68k", "sparc", "sparc64", "hppa", "mips", "mips64",
        "or1k", "ppc", NULL
    };

    return g_strv_contains(be, arch);
}

Target *target_new(const char *arch, bool system_mode, bool exact_state,
                   GPtrArray *default_regs)
{
    Target *t = g_new0(Target, 1);

    t->arch = g_strdup(arch);
    t->big_endian = big_endian_arch(arch);
    t->system_mode = system_mode;
    t->exact_state = exact_state;
    t->default_regs = default_regs;
    g_mutex_init(&t->lock);
    return t;
}

const QinsnReg *target_pc_reg(Target *t)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);

    return t->regs && t->regs->pc >= 0 ?
        qinsn_regs_at(t->regs, t->regs->pc) : NULL;
}
