/*
 * The value a memory callback's access loaded or stored, as integers: the
 * qinsn plugin (record.c) and the seed layer (seed/seed.c) both read it.
 */
#ifndef QINSN_MEMVALUE_H
#define QINSN_MEMVALUE_H

#include <qemu-plugin.h>
#include <stdint.h>

/* The low 64 bits of the access's value; @hi gets the high 64 (or 0). */
static inline uint64_t mem_value(qemu_plugin_meminfo_t info, uint64_t *hi)
{
    qemu_plugin_mem_value mv = qemu_plugin_mem_get_value(info);

    *hi = 0;
    switch (mv.type) {
    case QEMU_PLUGIN_MEM_VALUE_U8:
        return mv.data.u8;
    case QEMU_PLUGIN_MEM_VALUE_U16:
        return mv.data.u16;
    case QEMU_PLUGIN_MEM_VALUE_U32:
        return mv.data.u32;
    case QEMU_PLUGIN_MEM_VALUE_U64:
        return mv.data.u64;
    case QEMU_PLUGIN_MEM_VALUE_U128:
        *hi = mv.data.u128.high;
        return mv.data.u128.low;
    }
    return 0;
}

#endif /* QINSN_MEMVALUE_H */
