/*
 * Example plugin for the qemulib API: logs the first N executions of one
 * instruction, then stops without flushing translated code.
 *
 *   args=PC;n=N[;reg=R]
 *
 * Stopping needs no flush because the layer asks plugin_needs_before_insn
 * again before every execution of an instrumented instruction: once the
 * N hits are in, the answer is false and plugin_before_insn is no longer
 * called, although the translated code still carries the callback.  At
 * exit the plugin logs how many times it said no: how many more times the
 * instruction ran, plus one for each time it was translated again.  R is
 * shown as a little-endian number.  The log:
 *
 *   stopafter pc=0x80000010 hit=1 r10=0x0
 *   ...
 *   stopafter: 3 hits logged, declined 7 times after them
 */
#include <inttypes.h>
#include <stdatomic.h>

#include "qemulib.h"
#include "example-args.h"

static uint64_t watched_pc;
static uint64_t limit;
static int64_t reg = -1;
static atomic_uint_fast64_t claimed;
static atomic_uint_fast64_t declined;
static bool running;

static bool parse_field(const char *f)
{
    const char *count = ex_value(f, "n");
    const char *number = ex_value(f, "reg");
    uint64_t n;

    if (count) {
        return ex_parse_u64(count, &limit) && limit > 0;
    }
    if (number && ex_parse_u64(number, &n)) {
        reg = (int64_t)n;
        return true;
    }
    return false;
}

static bool parse_pc(const char *f)
{
    return ex_parse_u64(f, &watched_pc);
}

bool plugin_init(const char *args)
{
    if (!ex_parse_args(args, parse_pc, parse_field) || !limit) {
        qemulib_log("stopafter: bad args '%s' (PC;n=N[;reg=R])", args);
        return false;
    }
    running = true;
    return true;
}

bool plugin_needs_before_insn(uint64_t pc, void *cpu)
{
    if (pc != watched_pc) {
        return false;
    }
    if (atomic_load(&claimed) < limit) {
        return true;
    }
    atomic_fetch_add(&declined, 1);
    return false;
}

void plugin_before_insn(uint64_t pc, void *cpu)
{
    /* vCPUs may race past the check above: the claim decides */
    uint64_t hit = atomic_fetch_add(&claimed, 1) + 1;
    uint8_t buf[QEMULIB_MAX_REG_BYTES];
    int n;

    if (hit > limit) {
        return;
    }
    n = reg >= 0 ? qemulib_read_register(cpu, buf, (int)reg) : -1;
    if (n > 0) {
        qemulib_log("stopafter pc=0x%" PRIx64 " hit=%" PRIu64 " r%d=0x%"
                    PRIx64, pc, hit, (int)reg, ex_reg_value(buf, n, false));
    } else {
        qemulib_log("stopafter pc=0x%" PRIx64 " hit=%" PRIu64, pc, hit);
    }
}

static void __attribute__((destructor)) stopafter_report(void)
{
    if (running) {
        uint64_t c = atomic_load(&claimed);

        qemulib_log("stopafter: %" PRIu64 " hits logged, declined %" PRIu64
                    " times after them", c < limit ? c : limit,
                    (uint64_t)atomic_load(&declined));
    }
}
