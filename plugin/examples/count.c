/*
 * Example plugin for the qemulib API: counts executions of the
 * instructions in an address range and logs the total when QEMU exits.
 *
 *   args=START..END    instructions from START up to, not including, END
 *   args=ADDRESS       the instruction at ADDRESS only
 *
 * The API has no exit entry point.  A destructor runs when QEMU ends
 * through exit(), which is how guests end it (a test device, semihosting,
 * a shutdown), and qemulib_log() still works then; a QEMU killed by a
 * signal reports nothing.
 */
#include <inttypes.h>
#include <stdatomic.h>

#include "qemulib.h"
#include "example-args.h"

static uint64_t range_start;
static uint64_t range_end;
static atomic_uint_fast64_t executions;
static bool running;

bool plugin_init(const char *args)
{
    if (!ex_parse_range(args, &range_start, &range_end)) {
        qemulib_log("count: args must be START..END or ADDRESS, not '%s'",
                    args);
        return false;
    }
    running = true;
    return true;
}

bool plugin_needs_before_insn(uint64_t pc, void *cpu)
{
    return pc >= range_start && pc < range_end;
}

void plugin_before_insn(uint64_t pc, void *cpu)
{
    atomic_fetch_add_explicit(&executions, 1, memory_order_relaxed);
}

static void __attribute__((destructor)) count_report(void)
{
    if (running) {
        qemulib_log("count: %" PRIu64 " executions in [0x%" PRIx64
                    ", 0x%" PRIx64 ")", (uint64_t)atomic_load(&executions),
                    range_start, range_end);
    }
}
