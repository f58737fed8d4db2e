/*
 * Example plugin for the qemulib API: logs the memory accesses made by
 * the instructions in an address range.  It uses only the memory pair of
 * entry points, so no instruction gets an execution callback of its own.
 *
 *   args=START..END[;data=START..END][;loads|;stores]
 *
 * START..END is the range of instruction addresses (END excluded; a
 * single ADDRESS means that instruction only).  data= keeps only accesses
 * to that range of data addresses; loads or stores keeps only those.
 * Data addresses are only known at execution, so data= filters there,
 * while the instruction range is chosen at translation.  One line per
 * access:
 *
 *   mem pc=0x80000044 load addr=0x80001000 size=1 value=0x68
 */
#include <inttypes.h>

#include "qemulib.h"
#include "example-args.h"

static uint64_t code_start;
static uint64_t code_end;
static uint64_t data_start;
static uint64_t data_end = UINT64_MAX;
static bool want_loads = true;
static bool want_stores = true;

static bool parse_field(const char *f)
{
    const char *data = ex_value(f, "data");

    if (data) {
        return ex_parse_range(data, &data_start, &data_end);
    }
    if (strcmp(f, "loads") == 0) {
        want_stores = false;
        return want_loads;
    }
    if (strcmp(f, "stores") == 0) {
        want_loads = false;
        return want_stores;
    }
    return false;
}

static bool parse_code(const char *f)
{
    return ex_parse_range(f, &code_start, &code_end);
}

bool plugin_init(const char *args)
{
    bool ok = ex_parse_args(args, parse_code, parse_field);

    if (!ok) {
        qemulib_log("memtrace: bad args '%s' (START..END[;data=START..END]"
                    "[;loads|;stores])", args);
    }
    return ok;
}

bool plugin_needs_before_mem(uint64_t pc, void *cpu)
{
    return pc >= code_start && pc < code_end;
}

void plugin_before_mem(uint64_t pc, uint64_t vaddr, int size, bool is_store,
                       uint64_t value, void *cpu)
{
    if ((is_store ? !want_stores : !want_loads) ||
        vaddr < data_start || vaddr >= data_end) {
        return;
    }
    qemulib_log("mem pc=0x%" PRIx64 " %s addr=0x%" PRIx64 " size=%d "
                "value=0x%" PRIx64, pc, is_store ? "store" : "load", vaddr,
                size, value);
}
