/*
 * Disassembly with capstone, set up for the target named by the
 * greeting's arch=.  x86 uses AT&T syntax because QEMU's own disassembly
 * (the plugin's disas=) does: a watch reads the same before and after its
 * translation.
 */
#include <capstone/capstone.h>

#include "disas.h"

struct Disas {
    csh cs;
};

Disas *disas_new(const char *arch)
{
    Disas *d = g_new0(Disas, 1);
    cs_arch cs_arch;
    cs_mode cs_mode;

    if (!arch) {
        goto none;
    }
    if (g_str_equal(arch, "x86_64")) {
        cs_arch = CS_ARCH_X86;
        cs_mode = CS_MODE_64;
    } else if (g_str_equal(arch, "aarch64")) {
        cs_arch = CS_ARCH_ARM64;
        cs_mode = CS_MODE_LITTLE_ENDIAN;
    } else {
        goto none;
    }
    if (cs_open(cs_arch, cs_mode, &d->cs) == CS_ERR_OK) {
        if (cs_arch == CS_ARCH_X86) {
            cs_option(d->cs, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
        }
        return d;
    }
none:
    g_free(d);
    return NULL;
}

void disas_free(Disas *d)
{
    if (d) {
        cs_close(&d->cs);
    }
    g_free(d);
}

char *disas_code(Disas *d, uint64_t pc, const uint8_t *code, size_t len)
{
    cs_insn *insn;
    char *text;

    if (!d || !len || cs_disasm(d->cs, code, len, pc, 1, &insn) != 1) {
        return NULL;
    }
    text = insn->op_str[0] ?
        g_strdup_printf("%s %s", insn->mnemonic, insn->op_str) :
        g_strdup(insn->mnemonic);
    cs_free(insn, 1);
    return text;
}
