/*
 * Test plugin for libqinsn-seed.so that lacks the one required entry
 * point, plugin_init: the layer must refuse it at install.
 */
#include "qemulib.h"

void plugin_before_insn(uint64_t pc, void *cpu)
{
    qemulib_log("noinit: called at 0x%llx", (unsigned long long)pc);
}
