/*
 * Example plugin for the qemulib API: starts tracing one instruction once
 * another has run, flushing translated code to make the change count.
 *
 *   args=TRIGGER:TARGET[;reg=R]
 *
 * Until TRIGGER first runs, TARGET is not instrumented: code holding it
 * is translated without a callback there.  At the first execution of
 * TRIGGER the answer for TARGET changes, and qemulib_flush_tb() throws
 * that code away so that it is translated, and asked about, again.  The
 * block running at that moment finishes as it was translated, so a TARGET
 * later in the same block is first logged on its next execution.  R is
 * shown as a little-endian number.
 *
 *   follow: 0x80000010 reached, tracing 0x80000014
 *   follow pc=0x80000014 hit=1 r10=0x1
 */
#include <inttypes.h>
#include <stdatomic.h>

#include "qemulib.h"
#include "example-args.h"

static uint64_t trigger;
static uint64_t target;
static int64_t reg = -1;
static atomic_bool triggered;
static atomic_uint_fast64_t hits;

static bool parse_pair(const char *f)
{
    uint64_t pair[2];

    if (ex_parse_list(f, pair, 2) != 2 || pair[0] == pair[1]) {
        return false;
    }
    trigger = pair[0];
    target = pair[1];
    return true;
}

/* One optional field, reg=R. */
static bool parse_reg(const char *f)
{
    const char *number = ex_value(f, "reg");
    uint64_t n;

    if (reg >= 0 || !number || !ex_parse_u64(number, &n)) {
        return false;
    }
    reg = (int64_t)n;
    return true;
}

bool plugin_init(const char *args)
{
    if (!ex_parse_args(args, parse_pair, parse_reg)) {
        qemulib_log("follow: bad args '%s' (TRIGGER:TARGET[;reg=R])", args);
        return false;
    }
    return true;
}

bool plugin_needs_before_insn(uint64_t pc, void *cpu)
{
    if (pc == trigger) {
        return !atomic_load(&triggered);
    }
    return pc == target && atomic_load(&triggered);
}

void plugin_before_insn(uint64_t pc, void *cpu)
{
    uint8_t buf[QEMULIB_MAX_REG_BYTES];
    uint64_t hit;
    int n;

    if (pc == trigger) {
        if (!atomic_exchange(&triggered, true)) {
            qemulib_log("follow: 0x%" PRIx64 " reached, tracing 0x%" PRIx64,
                        trigger, target);
            qemulib_flush_tb();
        }
        return;
    }
    hit = atomic_fetch_add(&hits, 1) + 1;
    n = reg >= 0 ? qemulib_read_register(cpu, buf, (int)reg) : -1;
    if (n > 0) {
        qemulib_log("follow pc=0x%" PRIx64 " hit=%" PRIu64 " r%d=0x%"
                    PRIx64, pc, hit, (int)reg, ex_reg_value(buf, n, false));
    } else {
        qemulib_log("follow pc=0x%" PRIx64 " hit=%" PRIu64, pc, hit);
    }
}
