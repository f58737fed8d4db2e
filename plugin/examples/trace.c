/*
 * Example plugin for the qemulib API: logs registers, and optionally a
 * string in guest memory, every time one of the chosen instructions runs.
 *
 *   args=PC[:PC...][;regs=N[:N...]][;str=N][;be]
 *
 * PCs are instruction addresses (up to 16), registers are gdb numbers
 * (riscv64 a0 = 10, aarch64 x0 = 0, x86_64 rdi = 5; pc is 32, 32 and 16).
 * str=N logs the NUL-terminated string register N points to.  Registers
 * come in the target's byte order; be says it is big-endian; registers
 * wider than 8 bytes show their low 8.  One line per execution:
 *
 *   trace pc=0x80000010 hit=1 r10=0x1 r11=0x2 str="hello"
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>

#include "qemulib.h"
#include "example-args.h"

#define MAX_PCS 16
#define MAX_REGS 16
#define MAX_STR 64

static uint64_t pcs[MAX_PCS];
static atomic_uint_fast64_t hits[MAX_PCS];
static int npcs;
static uint64_t regs[MAX_REGS];
static int nregs;
static int64_t str_reg = -1;
static bool big_endian;

static bool parse_field(const char *f)
{
    const char *list = ex_value(f, "regs");
    const char *str = ex_value(f, "str");
    uint64_t n;

    if (list) {
        nregs = ex_parse_list(list, regs, MAX_REGS);
        return nregs >= 0;
    }
    if (str) {
        if (!ex_parse_u64(str, &n)) {
            return false;
        }
        str_reg = (int64_t)n;
        return true;
    }
    if (strcmp(f, "be") == 0) {
        big_endian = true;
        return true;
    }
    return false;
}

static bool parse_pcs(const char *f)
{
    npcs = ex_parse_list(f, pcs, MAX_PCS);
    return npcs > 0;
}

bool plugin_init(const char *args)
{
    bool ok = ex_parse_args(args, parse_pcs, parse_field);

    if (!ok) {
        qemulib_log("trace: bad args '%s' (PC[:PC...][;regs=N[:N...]]"
                    "[;str=N][;be])", args);
    }
    return ok;
}

static int pc_index(uint64_t pc)
{
    for (int i = 0; i < npcs; i++) {
        if (pcs[i] == pc) {
            return i;
        }
    }
    return -1;
}

bool plugin_needs_before_insn(uint64_t pc, void *cpu)
{
    return pc_index(pc) >= 0;
}

/* Append the string at guest address @addr to @out, quoted. */
static int format_string(void *cpu, uint64_t addr, char *out, size_t room)
{
    char text[MAX_STR * 4 + 1];
    size_t len = 0;

    for (int i = 0; i < MAX_STR; i++) {
        uint8_t c;

        if (qemulib_read_memory(cpu, addr + i, &c, 1) < 0) {
            return snprintf(out, room, " str=<unreadable at 0x%" PRIx64 ">",
                            addr + i);
        }
        if (c == 0) {
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            text[len++] = c;
        } else {
            len += sprintf(text + len, "\\x%02x", c);
        }
    }
    text[len] = '\0';
    return snprintf(out, room, " str=\"%s\"", text);
}

void plugin_before_insn(uint64_t pc, void *cpu)
{
    int i = pc_index(pc);
    uint8_t buf[QEMULIB_MAX_REG_BYTES];
    char line[1024];
    uint64_t hit;
    size_t len;
    int n;

    if (i < 0) {
        return;
    }
    hit = atomic_fetch_add(&hits[i], 1) + 1;
    len = snprintf(line, sizeof(line), "trace pc=0x%" PRIx64 " hit=%" PRIu64,
                   pc, hit);
    for (int r = 0; r < nregs && len < sizeof(line); r++) {
        n = qemulib_read_register(cpu, buf, (int)regs[r]);
        if (n < 0) {
            len += snprintf(line + len, sizeof(line) - len, " r%d=?",
                            (int)regs[r]);
        } else {
            len += snprintf(line + len, sizeof(line) - len,
                            " r%d=0x%" PRIx64, (int)regs[r],
                            ex_reg_value(buf, n, big_endian));
        }
    }
    if (str_reg >= 0 && len < sizeof(line)) {
        n = qemulib_read_register(cpu, buf, (int)str_reg);
        if (n > 0) {
            len += format_string(cpu, ex_reg_value(buf, n, big_endian),
                                 line + len, sizeof(line) - len);
        }
    }
    qemulib_log("%s", line);
}
