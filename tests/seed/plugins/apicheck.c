/*
 * Test plugin for libqinsn-seed.so that tries the edge cases of the
 * qemulib functions from inside a running guest: handles used outside
 * their call, unknown registers, unreadable memory, odd lengths, the PC at
 * translation and at execution, long log lines.  Each check logs
 * "apicheck: NAME ok" or "apicheck: NAME FAIL"; the test wants them all.
 *
 *   args=PC;pc=N;bad=ADDR
 *
 * PC is an instruction the guest executes, N the gdb number of the PC
 * register, ADDR a guest address that cannot be read.
 */
#include <stdatomic.h>
#include <stdio.h>

#include "qemulib.h"
#include "example-args.h"

#define LONG_LINE 1500

static uint64_t watched;
static uint64_t pc_reg;
static uint64_t bad_addr;
static void *translate_handle;
static uint8_t code[4];
static atomic_bool checked;

static void check(const char *name, bool good)
{
    qemulib_log("apicheck: %s %s", name, good ? "ok" : "FAIL");
}

bool plugin_init(const char *args)
{
    char *copy = strdup(args);
    char *save = NULL;
    char *f = strtok_r(copy, ";", &save);
    bool ok = f && ex_parse_u64(f, &watched);
    uint8_t buf[QEMULIB_MAX_REG_BYTES];

    while (ok && (f = strtok_r(NULL, ";", &save))) {
        const char *pc = ex_value(f, "pc");
        const char *bad = ex_value(f, "bad");

        if (pc) {
            ok = ex_parse_u64(pc, &pc_reg);
        } else if (bad) {
            ok = ex_parse_u64(bad, &bad_addr);
        } else {
            ok = false;
        }
    }
    free(copy);
    if (!ok) {
        qemulib_log("apicheck: bad args '%s'", args);
        return false;
    }
    /* No vCPU exists yet: these must fail, not abort QEMU. */
    check("init-read-register-refused",
          qemulib_read_register(NULL, buf, 0) == -1);
    check("init-read-memory-refused",
          qemulib_read_memory(buf, watched, buf, 1) == -1);
    qemulib_flush_tb();
    check("init-flush-returns", true);
    return true;
}

bool plugin_needs_before_insn(uint64_t pc, void *cpu)
{
    uint8_t buf[QEMULIB_MAX_REG_BYTES];
    int n;

    if (pc != watched) {
        return false;
    }
    /* An instruction is translated before it runs: this is translation. */
    if (!translate_handle) {
        translate_handle = cpu;
        n = qemulib_read_register(cpu, buf, (int)pc_reg);
        check("translate-pc", n > 0 && ex_reg_value(buf, n, false) == pc);
        check("translate-read-code",
              qemulib_read_memory(cpu, pc, code, sizeof(code)) == 0);
    }
    return true;
}

void plugin_before_insn(uint64_t pc, void *cpu)
{
    uint8_t buf[QEMULIB_MAX_REG_BYTES];
    uint8_t page[8192];
    char line[LONG_LINE + 1];
    int n;

    if (atomic_exchange(&checked, true)) {
        return;
    }
    n = qemulib_read_register(cpu, buf, (int)pc_reg);
    check("exec-pc", n > 0 && ex_reg_value(buf, n, false) == pc);
    check("unknown-register", qemulib_read_register(cpu, buf, 100000) == -1);
    check("negative-register", qemulib_read_register(cpu, buf, -1) == -1);
    check("null-register-buffer",
          qemulib_read_register(cpu, NULL, (int)pc_reg) == -1);
    check("exec-read-code",
          qemulib_read_memory(cpu, pc, buf, sizeof(code)) == 0 &&
          memcmp(buf, code, sizeof(code)) == 0);
    check("unreadable-memory",
          qemulib_read_memory(cpu, bad_addr, buf, 8) == -1);
    check("zero-length-read", qemulib_read_memory(cpu, pc, buf, 0) == 0);
    check("negative-length-read",
          qemulib_read_memory(cpu, pc, buf, -1) == -1);
    check("null-memory-buffer", qemulib_read_memory(cpu, pc, NULL, 4) == -1);
    check("page-crossing-read",
          qemulib_read_memory(cpu, pc & ~(uint64_t)0xfff, page,
                              sizeof(page)) == 0 &&
          memcmp(page + (pc & 0xfff), code, sizeof(code)) == 0);
    check("translation-handle-refused-at-execution",
          qemulib_read_register(translate_handle, buf, (int)pc_reg) == -1);
    memset(line, 'x', LONG_LINE);
    line[LONG_LINE] = '\0';
    qemulib_log("apicheck: long %s", line);
    qemulib_log("apicheck: one newline only\n");
    qemulib_log("apicheck: done");
}
