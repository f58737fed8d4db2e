/*
 * Test plugin for libqinsn-seed.so with plugin_before_insn but no
 * plugin_needs_before_insn: every instruction is then instrumented.  It
 * counts the executions in the range given as args=START..END and the
 * total, and logs both at exit; the range count must equal what the count
 * example finds for it.
 */
#include <inttypes.h>
#include <stdatomic.h>

#include "qemulib.h"
#include "example-args.h"

static uint64_t start;
static uint64_t end;
static atomic_uint_fast64_t in_range;
static atomic_uint_fast64_t total;
static bool running;

bool plugin_init(const char *args)
{
    running = ex_parse_range(args, &start, &end);
    return running;
}

void plugin_before_insn(uint64_t pc, void *cpu)
{
    atomic_fetch_add_explicit(&total, 1, memory_order_relaxed);
    if (pc >= start && pc < end) {
        atomic_fetch_add_explicit(&in_range, 1, memory_order_relaxed);
    }
}

static void __attribute__((destructor)) allinsn_report(void)
{
    if (running) {
        qemulib_log("allinsn: %" PRIu64 " in range, %" PRIu64 " in all",
                    (uint64_t)atomic_load(&in_range),
                    (uint64_t)atomic_load(&total));
    }
}
