/*
 * Disassembly front end: turns the hex bytes of a list line into text with
 * the decoder for the target's architecture, named by the greeting's arch=.
 */
#include <capstone/capstone.h>
#include <string.h>

#include "disas.h"

struct Disas {
    bool riscv;
    csh cs;             /* capstone handle, when not riscv */
};

Disas *disas_new(const char *arch)
{
    Disas *d = g_new0(Disas, 1);
    cs_arch cs_arch;
    cs_mode cs_mode;

    if (!arch) {
        goto none;
    }
    if (g_str_equal(arch, "riscv64")) {
        d->riscv = true;
        return d;
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
        return d;
    }
none:
    g_free(d);
    return NULL;
}

void disas_free(Disas *d)
{
    if (d && !d->riscv) {
        cs_close(&d->cs);
    }
    g_free(d);
}

static GByteArray *parse_hex(const char *hex)
{
    GByteArray *b = g_byte_array_new();
    size_t len = strlen(hex);

    if (len % 2) {
        return b;
    }
    for (size_t i = 0; i < len; i += 2) {
        int hi = g_ascii_xdigit_value(hex[i]);
        int lo = g_ascii_xdigit_value(hex[i + 1]);
        guint8 v = (guint8)(hi << 4 | lo);

        if (hi < 0 || lo < 0) {
            g_byte_array_set_size(b, 0);
            break;
        }
        g_byte_array_append(b, &v, 1);
    }
    return b;
}

static char *capstone_one(Disas *d, uint64_t pc, const guint8 *code,
                          size_t len)
{
    cs_insn *insn;
    char *text;

    if (cs_disasm(d->cs, code, len, pc, 1, &insn) != 1) {
        return NULL;
    }
    text = insn->op_str[0] ?
        g_strdup_printf("%s %s", insn->mnemonic, insn->op_str) :
        g_strdup(insn->mnemonic);
    cs_free(insn, 1);
    return text;
}

char *disas_hex(Disas *d, uint64_t pc, const char *hex)
{
    g_autoptr(GByteArray) b = parse_hex(hex);
    g_autoptr(GString) out = NULL;

    if (!d || b->len == 0) {
        return NULL;
    }
    if (!d->riscv) {
        return capstone_one(d, pc, b->data, b->len);
    }
    out = g_string_new(NULL);
    if (!riscv_disas(pc, b->data, b->len, out)) {
        return NULL;
    }
    return g_string_free(g_steal_pointer(&out), false);
}
