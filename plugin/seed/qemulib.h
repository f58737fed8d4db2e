/*
 * qemulib.h: the instrumentation-plugin API that qinsn descends from.
 *
 * A plugin written to this API is a shared object that QEMU never sees
 * directly: the layer libqinsn-seed.so is the QEMU TCG plugin, loads the
 * plugin named by its plugin= argument and calls the entry points below.
 * The plugin decides at translation time which instructions it wants,
 * per instruction address, and gets called before each execution of those.
 * docs/seed-api.md is the guide for plugin authors.
 *
 * The API has no data structures: the guest CPU is an opaque handle that
 * is only good for passing back to the qemulib_* functions during the
 * call that received it.
 */
#ifndef QEMULIB_H
#define QEMULIB_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Keeps the entry points visible when a plugin builds -fvisibility=hidden. */
#define QEMULIB_EXPORT __attribute__((visibility("default")))

/*
 * Entry points a plugin exports.  Only plugin_init is required; the layer
 * looks the others up when it loads the plugin and works without them.
 */

/*
 * plugin_init() - called once when QEMU starts, before any guest code runs
 * @args: the layer's args= string ("" when not given)
 *
 * Returns false when the plugin cannot work here: QEMU then refuses to
 * start, with a message naming the plugin.
 */
QEMULIB_EXPORT bool plugin_init(const char *args);

/*
 * plugin_needs_before_insn() - is the instruction at @pc instrumented?
 * @pc: the instruction's guest virtual address
 * @cpu: handle for qemulib_* calls during this call
 *
 * Asked when the instruction is translated; true makes it instrumented.
 * Asked again before every execution of an instrumented instruction:
 * false then skips plugin_before_insn() for that execution, so a plugin
 * can stop at once without flushing.  Without this entry point every
 * instruction is instrumented.
 */
QEMULIB_EXPORT bool plugin_needs_before_insn(uint64_t pc, void *cpu);

/*
 * plugin_before_insn() - an instrumented instruction is about to execute
 * @pc: the instruction's guest virtual address
 * @cpu: handle for qemulib_* calls during this call
 *
 * Registers read through @cpu hold their values just before the
 * instruction (see qemulib_read_register() for the exceptions).
 */
QEMULIB_EXPORT void plugin_before_insn(uint64_t pc, void *cpu);

/*
 * plugin_needs_before_mem() - are the memory accesses of the instruction
 * at @pc to be reported?
 * @pc: the instruction's guest virtual address
 * @cpu: handle for qemulib_* calls during this call
 *
 * Asked at translation only.  Without this entry point every access is
 * reported (when plugin_before_mem exists).
 */
QEMULIB_EXPORT bool plugin_needs_before_mem(uint64_t pc, void *cpu);

/*
 * plugin_before_mem() - a memory access of an instrumented instruction
 * @pc: the address of the instruction that made the access
 * @vaddr: the guest virtual address accessed
 * @size: the access size in bytes (1, 2, 4, 8 or 16)
 * @is_store: true for a store, false for a load
 * @value: the value loaded or stored, as a number (the low 64 bits of a
 *         16-byte access)
 * @cpu: handle for qemulib_* calls during this call
 *
 * QEMU reports an access once it has been made, so @value is known; an
 * instruction that accesses memory several times is reported once per
 * access, in order.
 */
QEMULIB_EXPORT void plugin_before_mem(uint64_t pc, uint64_t vaddr, int size,
                                      bool is_store, uint64_t value,
                                      void *cpu);

/*
 * Functions the layer offers to the plugin.
 */

/*
 * qemulib_log() - write one line to the layer's log
 * @fmt: printf format; a missing final newline is added
 *
 * The log is the layer's log= file, or stderr.  The line is written
 * before the call returns (from any thread, destructors at exit
 * included), whole even when several vCPUs log at once.
 */
QEMULIB_EXPORT void qemulib_log(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * qemulib_read_memory() - read guest virtual memory
 * @cpu: the handle of the current call
 * @addr: guest virtual address, translated by @cpu's current MMU state
 * @buf: where to put @len bytes
 * @len: number of bytes
 *
 * Returns 0 on success, -1 when any of the bytes cannot be read or @cpu
 * is not the handle of a call in progress on this thread.
 */
QEMULIB_EXPORT int qemulib_read_memory(void *cpu, uint64_t addr,
                                       uint8_t *buf, int len);

/*
 * qemulib_read_register() - read a guest register
 * @cpu: the handle of the current call
 * @mem_buf: where to put the value, in the target's byte order; room for
 *           QEMULIB_MAX_REG_BYTES always suffices
 * @reg: the register's number in gdb's remote protocol (riscv64 a0 = 10,
 *       pc = 32; aarch64 x0 = 0, pc = 32, cpsr = 33; x86_64 rax = 0,
 *       rdi = 5, rip = 16, eflags = 17)
 *
 * Returns the number of bytes written, or -1 for a register the target
 * does not have (or a @cpu that is not the handle of a call in progress).
 * The PC register reads as the address of the instruction the call is
 * about.  On stock QEMU x86 eflags can be stale: see docs/seed-api.md.
 */
QEMULIB_EXPORT int qemulib_read_register(void *cpu, uint8_t *mem_buf,
                                         int reg);

/* Largest register qemulib_read_register() writes (an SVE Z register). */
#define QEMULIB_MAX_REG_BYTES 256

/*
 * qemulib_flush_tb() - throw away translated code
 *
 * Needed when plugin_needs_before_insn() or plugin_needs_before_mem()
 * would now answer true for code already translated without
 * instrumentation: that code is translated again, and asked again.  Callable
 * from any thread, callbacks included; it returns at once and the flush
 * takes effect when the vCPUs next leave translated code (the block being
 * executed finishes as it was translated).
 */
QEMULIB_EXPORT void qemulib_flush_tb(void);

#ifdef __cplusplus
}
#endif

#endif /* QEMULIB_H */
