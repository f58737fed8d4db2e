/*
 * Test plugin for libqinsn-seed.so whose plugin_init says it cannot work:
 * QEMU must then refuse to start, naming the plugin.  It logs why first,
 * as a real plugin would.
 */
#include "qemulib.h"

bool plugin_init(const char *args)
{
    qemulib_log("refuse: this plugin never runs (args '%s')", args);
    return false;
}

/* Never called: the layer must not register anything after a refusal. */
void plugin_before_insn(uint64_t pc, void *cpu)
{
    qemulib_log("refuse: called at 0x%llx", (unsigned long long)pc);
}
