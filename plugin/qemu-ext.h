/*
 * Plugin API added by qinsn's QEMU patches (qemu-patch/).
 *
 * Declared weak so that one plugin binary loads in both QEMUs: in a stock
 * QEMU these symbols stay NULL and qinsn uses its fallbacks.
 */
#ifndef QINSN_QEMU_EXT_H
#define QINSN_QEMU_EXT_H

#include <qemu-plugin.h>

/* Flush all translated code from any thread; @done runs once it is done. */
__attribute__((weak)) bool
qemu_plugin_request_tb_flush(qemu_plugin_id_t id, qemu_plugin_simple_cb_t done);

/* True when PC and flags read in insn callbacks are exact. */
__attribute__((weak)) bool qemu_plugin_insn_state_exact(void);

/* From an insn callback: stop the vCPU before this instruction. */
__attribute__((weak)) bool qemu_plugin_request_debug_stop(void);

#endif /* QINSN_QEMU_EXT_H */
