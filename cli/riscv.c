/*
 * A small RV64 decoder for showing the instruction at a watch: the base
 * integer set, M, A, Zicsr, Zifencei, the compressed set and the FP loads
 * and stores.  Operands use the ABI register names and the usual aliases
 * (li, mv, ret, j, beqz …) so the text reads like a gdb or objdump listing.
 */
#include <inttypes.h>
#include <stdarg.h>

#include "disas.h"

static const char *const xreg[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static const char *const freg[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7",
    "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
    "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
    "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

static void put(GString *o, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void put(GString *o, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_string_append_vprintf(o, fmt, ap);
    va_end(ap);
}

static int64_t sext(uint64_t v, int bits)
{
    return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static uint32_t bits(uint32_t v, int hi, int lo)
{
    return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}

static const char *csr_name(uint32_t csr)
{
    static const struct {
        uint32_t num;
        const char *name;
    } csrs[] = {
        { 0x001, "fflags" }, { 0x002, "frm" }, { 0x003, "fcsr" },
        { 0x100, "sstatus" }, { 0x104, "sie" }, { 0x105, "stvec" },
        { 0x140, "sscratch" }, { 0x141, "sepc" }, { 0x142, "scause" },
        { 0x143, "stval" }, { 0x144, "sip" }, { 0x180, "satp" },
        { 0x300, "mstatus" }, { 0x301, "misa" }, { 0x302, "medeleg" },
        { 0x303, "mideleg" }, { 0x304, "mie" }, { 0x305, "mtvec" },
        { 0x340, "mscratch" }, { 0x341, "mepc" }, { 0x342, "mcause" },
        { 0x343, "mtval" }, { 0x344, "mip" }, { 0x3a0, "pmpcfg0" },
        { 0x3b0, "pmpaddr0" }, { 0xc00, "cycle" }, { 0xc01, "time" },
        { 0xc02, "instret" }, { 0xf14, "mhartid" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(csrs); i++) {
        if (csrs[i].num == csr) {
            return csrs[i].name;
        }
    }
    return NULL;
}

static void target(GString *o, uint64_t pc, int64_t off)
{
    put(o, "0x%" PRIx64, pc + off);
}

static bool op_imm(GString *o, uint32_t i, bool word)
{
    static const char *const names[8] = {
        "addi", "slli", "slti", "sltiu", "xori", "srli", "ori", "andi",
    };
    uint32_t rd = bits(i, 11, 7), f3 = bits(i, 14, 12), rs1 = bits(i, 19, 15);
    int64_t imm = sext(bits(i, 31, 20), 12);
    const char *w = word ? "w" : "";

    if (f3 == 1 || f3 == 5) {
        const char *mn = f3 == 1 ? "sll" : (bits(i, 30, 30) ? "sra" : "srl");
        put(o, "%si%s %s, %s, %u", mn, w, xreg[rd], xreg[rs1],
            bits(i, word ? 24 : 25, 20));
        return true;
    }
    if (word && f3 != 0) {
        return false;
    }
    if (f3 == 0 && rd == 0 && rs1 == 0 && imm == 0 && !word) {
        put(o, "nop");
    } else if (f3 == 0 && rs1 == 0 && !word) {
        put(o, "li %s, %" PRId64, xreg[rd], imm);
    } else if (f3 == 0 && imm == 0) {
        put(o, "%s %s, %s", word ? "sext.w" : "mv", xreg[rd], xreg[rs1]);
    } else {
        put(o, "%s%s %s, %s, %" PRId64, names[f3], w, xreg[rd], xreg[rs1],
            imm);
    }
    return true;
}

static bool op_reg(GString *o, uint32_t i, bool word)
{
    static const char *const base[8] = {
        "add", "sll", "slt", "sltu", "xor", "srl", "or", "and",
    };
    static const char *const muldiv[8] = {
        "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
    };
    uint32_t f3 = bits(i, 14, 12), f7 = bits(i, 31, 25);
    const char *mn;

    if (f7 == 1) {
        mn = muldiv[f3];
    } else if (f7 == 0) {
        mn = base[f3];
    } else if (f7 == 0x20 && (f3 == 0 || f3 == 5)) {
        mn = f3 == 0 ? "sub" : "sra";
    } else {
        return false;
    }
    if (word && !(f7 == 1 ? f3 == 0 || f3 >= 4 :
                  f3 == 0 || f3 == 1 || f3 == 5)) {
        return false;
    }
    put(o, "%s%s %s, %s, %s", mn, word ? "w" : "", xreg[bits(i, 11, 7)],
        xreg[bits(i, 19, 15)], xreg[bits(i, 24, 20)]);
    return true;
}

static bool op_amo(GString *o, uint32_t i)
{
    static const struct {
        uint32_t f5;
        const char *name;
    } amos[] = {
        { 0x00, "amoadd" }, { 0x01, "amoswap" }, { 0x02, "lr" },
        { 0x03, "sc" }, { 0x04, "amoxor" }, { 0x08, "amoor" },
        { 0x0c, "amoand" }, { 0x10, "amomin" }, { 0x14, "amomax" },
        { 0x18, "amominu" }, { 0x1c, "amomaxu" },
    };
    static const char *const order[4] = { "", ".rl", ".aq", ".aqrl" };
    uint32_t f3 = bits(i, 14, 12), f5 = bits(i, 31, 27);
    const char *rd = xreg[bits(i, 11, 7)], *rs1 = xreg[bits(i, 19, 15)];

    if (f3 != 2 && f3 != 3) {
        return false;
    }
    for (size_t k = 0; k < G_N_ELEMENTS(amos); k++) {
        if (amos[k].f5 != f5) {
            continue;
        }
        put(o, "%s.%c%s %s, ", amos[k].name, f3 == 2 ? 'w' : 'd',
            order[bits(i, 26, 25)], rd);
        if (f5 != 0x02) {
            put(o, "%s, ", xreg[bits(i, 24, 20)]);
        }
        put(o, "(%s)", rs1);
        return true;
    }
    return false;
}

static bool op_system(GString *o, uint32_t i)
{
    static const char *const csrop[8] = {
        NULL, "csrrw", "csrrs", "csrrc", NULL, "csrrwi", "csrrsi", "csrrci",
    };
    uint32_t f3 = bits(i, 14, 12), csr = bits(i, 31, 20);
    const char *name = csr_name(csr);

    if (f3 == 0) {
        switch (i) {
        case 0x00000073: put(o, "ecall"); return true;
        case 0x00100073: put(o, "ebreak"); return true;
        case 0x30200073: put(o, "mret"); return true;
        case 0x10200073: put(o, "sret"); return true;
        case 0x10500073: put(o, "wfi"); return true;
        }
        return false;
    }
    if (!csrop[f3]) {
        return false;
    }
    if (f3 == 2 && bits(i, 19, 15) == 0) {
        if (name) {
            put(o, "csrr %s, %s", xreg[bits(i, 11, 7)], name);
        } else {
            put(o, "csrr %s, 0x%x", xreg[bits(i, 11, 7)], csr);
        }
        return true;
    }
    put(o, "%s %s, ", csrop[f3], xreg[bits(i, 11, 7)]);
    if (name) {
        put(o, "%s, ", name);
    } else {
        put(o, "0x%x, ", csr);
    }
    if (f3 >= 5) {
        put(o, "%u", bits(i, 19, 15));
    } else {
        put(o, "%s", xreg[bits(i, 19, 15)]);
    }
    return true;
}

static bool load_store(GString *o, uint32_t i, bool store, bool fp)
{
    static const char *const loads[8] = {
        "lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", NULL,
    };
    static const char *const stores[8] = { "sb", "sh", "sw", "sd" };
    uint32_t f3 = bits(i, 14, 12);
    const char *mn;
    int64_t off;
    uint32_t r;

    if (fp) {
        mn = f3 == 2 ? (store ? "fsw" : "flw") :
             f3 == 3 ? (store ? "fsd" : "fld") : NULL;
    } else {
        mn = store ? stores[f3] : loads[f3];
    }
    if (!mn) {
        return false;
    }
    if (store) {
        off = sext(bits(i, 31, 25) << 5 | bits(i, 11, 7), 12);
        r = bits(i, 24, 20);
    } else {
        off = sext(bits(i, 31, 20), 12);
        r = bits(i, 11, 7);
    }
    put(o, "%s %s, %" PRId64 "(%s)", mn, fp ? freg[r] : xreg[r], off,
        xreg[bits(i, 19, 15)]);
    return true;
}

static bool branch(GString *o, uint64_t pc, uint32_t i)
{
    static const char *const names[8] = {
        "beq", "bne", NULL, NULL, "blt", "bge", "bltu", "bgeu",
    };
    uint32_t f3 = bits(i, 14, 12), rs1 = bits(i, 19, 15), rs2 = bits(i, 24, 20);
    int64_t off = sext(bits(i, 31, 31) << 12 | bits(i, 7, 7) << 11 |
                       bits(i, 30, 25) << 5 | bits(i, 11, 8) << 1, 13);

    if (!names[f3]) {
        return false;
    }
    if (rs2 == 0 && f3 < 2) {
        put(o, "%sz %s, ", names[f3], xreg[rs1]);
    } else {
        put(o, "%s %s, %s, ", names[f3], xreg[rs1], xreg[rs2]);
    }
    target(o, pc, off);
    return true;
}

static bool jumps(GString *o, uint64_t pc, uint32_t i)
{
    uint32_t rd = bits(i, 11, 7), rs1 = bits(i, 19, 15);

    if ((i & 0x7f) == 0x6f) {
        int64_t off = sext(bits(i, 31, 31) << 20 | bits(i, 19, 12) << 12 |
                           bits(i, 20, 20) << 11 | bits(i, 30, 21) << 1, 21);
        if (rd == 0) {
            put(o, "j ");
        } else if (rd == 1) {
            put(o, "jal ");
        } else {
            put(o, "jal %s, ", xreg[rd]);
        }
        target(o, pc, off);
        return true;
    }
    if (bits(i, 14, 12) != 0) {
        return false;
    }
    if (i == 0x00008067) {
        put(o, "ret");
    } else {
        put(o, "jalr %s, %" PRId64 "(%s)", xreg[rd],
            sext(bits(i, 31, 20), 12), xreg[rs1]);
    }
    return true;
}

static bool decode32(GString *o, uint64_t pc, uint32_t i)
{
    uint32_t rd = bits(i, 11, 7);

    switch (i & 0x7f) {
    case 0x37:
    case 0x17:
        put(o, "%s %s, 0x%x", (i & 0x7f) == 0x37 ? "lui" : "auipc", xreg[rd],
            bits(i, 31, 12));
        return true;
    case 0x6f:
    case 0x67:
        return jumps(o, pc, i);
    case 0x63:
        return branch(o, pc, i);
    case 0x03:
    case 0x23:
    case 0x07:
    case 0x27:
        return load_store(o, i, i & 0x20, i & 0x04);
    case 0x13:
    case 0x1b:
        return op_imm(o, i, (i & 0x7f) == 0x1b);
    case 0x33:
    case 0x3b:
        return op_reg(o, i, (i & 0x7f) == 0x3b);
    case 0x2f:
        return op_amo(o, i);
    case 0x0f:
        put(o, bits(i, 14, 12) == 1 ? "fence.i" : "fence");
        return true;
    case 0x73:
        return op_system(o, i);
    }
    return false;
}

/* Compressed loads and stores: quadrant 0, and the sp-based of quadrant 2. */
static bool c_mem(GString *o, uint32_t c, uint32_t f3, bool sp_based)
{
    static const char *const q0[8] = {
        NULL, "fld", "lw", "ld", NULL, "fsd", "sw", "sd",
    };
    const char *mn = q0[f3];
    bool fp = f3 == 1 || f3 == 5, wide = f3 & 1;
    bool store = f3 >= 5;
    uint32_t r, off;

    if (!mn) {
        return false;
    }
    if (!sp_based) {
        r = bits(c, 4, 2) + 8;
        off = bits(c, 12, 10) << 3 |
              (wide ? bits(c, 6, 5) << 6 : bits(c, 6, 6) << 2 |
                                           bits(c, 5, 5) << 6);
        put(o, "%s %s, %u(%s)", mn, fp ? freg[r] : xreg[r], off,
            xreg[bits(c, 9, 7) + 8]);
        return true;
    }
    r = store ? bits(c, 6, 2) : bits(c, 11, 7);
    if (store) {
        off = wide ? bits(c, 12, 10) << 3 | bits(c, 9, 7) << 6 :
                     bits(c, 12, 9) << 2 | bits(c, 8, 7) << 6;
    } else {
        off = bits(c, 12, 12) << 5 |
              (wide ? bits(c, 6, 5) << 3 | bits(c, 4, 2) << 6 :
                      bits(c, 6, 4) << 2 | bits(c, 3, 2) << 6);
    }
    put(o, "%s %s, %u(sp)", mn, fp ? freg[r] : xreg[r], off);
    return true;
}

static bool c_alu(GString *o, uint32_t c)
{
    static const char *const ops[8] = {
        "sub", "xor", "or", "and", "subw", "addw", NULL, NULL,
    };
    const char *rd = xreg[bits(c, 9, 7) + 8];
    uint32_t f2 = bits(c, 11, 10), sh = bits(c, 12, 12) << 5 | bits(c, 6, 2);
    const char *mn;

    if (f2 < 2) {
        put(o, "%s %s, %s, %u", f2 ? "srai" : "srli", rd, rd, sh);
        return true;
    }
    if (f2 == 2) {
        put(o, "andi %s, %s, %" PRId64, rd, rd, sext(sh, 6));
        return true;
    }
    mn = ops[bits(c, 12, 12) << 2 | bits(c, 6, 5)];
    if (!mn) {
        return false;
    }
    put(o, "%s %s, %s, %s", mn, rd, rd, xreg[bits(c, 4, 2) + 8]);
    return true;
}

static bool c_quadrant1(GString *o, uint64_t pc, uint32_t c)
{
    uint32_t f3 = bits(c, 15, 13), rd = bits(c, 11, 7);
    int64_t imm = sext(bits(c, 12, 12) << 5 | bits(c, 6, 2), 6);

    switch (f3) {
    case 0:
        if (rd == 0) {
            put(o, "nop");
        } else {
            put(o, "addi %s, %s, %" PRId64, xreg[rd], xreg[rd], imm);
        }
        return true;
    case 1:
        if (imm == 0) {
            put(o, "sext.w %s, %s", xreg[rd], xreg[rd]);
        } else {
            put(o, "addiw %s, %s, %" PRId64, xreg[rd], xreg[rd], imm);
        }
        return true;
    case 2:
        put(o, "li %s, %" PRId64, xreg[rd], imm);
        return true;
    case 3:
        if (rd == 2) {
            put(o, "addi sp, sp, %" PRId64,
                sext(bits(c, 12, 12) << 9 | bits(c, 6, 6) << 4 |
                     bits(c, 5, 5) << 6 | bits(c, 4, 3) << 7 |
                     bits(c, 2, 2) << 5, 10));
        } else {
            put(o, "lui %s, 0x%" PRIx64, xreg[rd], (uint64_t)imm & 0xfffff);
        }
        return true;
    case 4:
        return c_alu(o, c);
    case 5:
        put(o, "j ");
        target(o, pc, sext(bits(c, 12, 12) << 11 | bits(c, 11, 11) << 4 |
                           bits(c, 10, 9) << 8 | bits(c, 8, 8) << 10 |
                           bits(c, 7, 7) << 6 | bits(c, 6, 6) << 7 |
                           bits(c, 5, 3) << 1 | bits(c, 2, 2) << 5, 12));
        return true;
    default:
        put(o, "%s %s, ", f3 == 6 ? "beqz" : "bnez", xreg[bits(c, 9, 7) + 8]);
        target(o, pc, sext(bits(c, 12, 12) << 8 | bits(c, 11, 10) << 3 |
                           bits(c, 6, 5) << 6 | bits(c, 4, 3) << 1 |
                           bits(c, 2, 2) << 5, 9));
        return true;
    }
}

static bool c_quadrant2(GString *o, uint32_t c)
{
    uint32_t f3 = bits(c, 15, 13), rd = bits(c, 11, 7), rs2 = bits(c, 6, 2);

    if (f3 == 0) {
        put(o, "slli %s, %s, %u", xreg[rd], xreg[rd],
            bits(c, 12, 12) << 5 | rs2);
        return true;
    }
    if (f3 != 4) {
        return c_mem(o, c, f3, true);
    }
    if (!bits(c, 12, 12)) {
        if (rs2 == 0) {
            if (rd == 1) {
                put(o, "ret");
            } else {
                put(o, "jr %s", xreg[rd]);
            }
        } else {
            put(o, "mv %s, %s", xreg[rd], xreg[rs2]);
        }
    } else if (rs2 == 0) {
        if (rd == 0) {
            put(o, "ebreak");
        } else {
            put(o, "jalr %s", xreg[rd]);
        }
    } else {
        put(o, "add %s, %s, %s", xreg[rd], xreg[rd], xreg[rs2]);
    }
    return true;
}

static bool decode16(GString *o, uint64_t pc, uint32_t c)
{
    switch (c & 3) {
    case 0:
        if (bits(c, 15, 13) == 0) {
            uint32_t imm = bits(c, 12, 11) << 4 | bits(c, 10, 7) << 6 |
                           bits(c, 6, 6) << 2 | bits(c, 5, 5) << 3;
            if (imm == 0) {
                return false;
            }
            put(o, "addi %s, sp, %u", xreg[bits(c, 4, 2) + 8], imm);
            return true;
        }
        return c_mem(o, c, bits(c, 15, 13), false);
    case 1:
        return c_quadrant1(o, pc, c);
    default:
        return c_quadrant2(o, c);
    }
}

bool riscv_disas(uint64_t pc, const uint8_t *code, size_t len, GString *out)
{
    uint32_t i;

    if (len < 2) {
        return false;
    }
    if ((code[0] & 3) != 3) {
        return decode16(out, pc, code[0] | code[1] << 8);
    }
    if (len < 4) {
        return false;
    }
    i = code[0] | code[1] << 8 | code[2] << 16 | (uint32_t)code[3] << 24;
    return decode32(out, pc, i);
}
