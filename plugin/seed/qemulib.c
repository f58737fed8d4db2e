/*
 * The qemulib functions a loaded plugin calls back into: guest memory,
 * guest registers by gdb number, and flushing translated code (the log is
 * in log.c).
 *
 * QEMU's plugin API names registers by handles it hands out to a running
 * vCPU, so the table from gdb numbers to handles is built on the first
 * vCPU's thread, before that vCPU translates anything.  Two registers are
 * not read as QEMU holds them in an instruction callback: the PC, which
 * holds the start of the translated block there, is answered with the
 * address of the instruction the call is about; x86 eflags is read as it
 * is, but stock QEMU computes its arithmetic flags lazily and the value
 * can be old, which the log says once.
 */
#include <inttypes.h>
#include <string.h>

#include "flush.h"
#include "seed.h"
#include "qemu-ext.h"

typedef struct SeedReg {
    struct qemu_plugin_register *handle;    /* NULL: no such number */
    int size;
} SeedReg;

typedef struct SeedRegs {
    SeedReg *by_num;        /* indexed by gdb number */
    int count;
    int pc;                 /* gdb number of the PC register, or -1 */
    int lazy_flags;         /* gdb number of x86 eflags, or -1 */
} SeedRegs;

static GMutex regs_lock;
static SeedRegs *_Atomic regs;
static atomic_bool flags_warned;

/* Reused by every read on the thread: nothing is allocated per call. */
static _Thread_local GByteArray *scratch;

static GByteArray *thread_scratch(void)
{
    if (!scratch) {
        scratch = g_byte_array_sized_new(QEMULIB_MAX_REG_BYTES);
    }
    return scratch;
}

bool seed_state_exact(void)
{
    return qemu_plugin_insn_state_exact && qemu_plugin_insn_state_exact();
}

static SeedRegs *regs_build(void)
{
    g_autoptr(GArray) descs = qemu_plugin_get_registers();
    GByteArray *buf = thread_scratch();
    SeedRegs *t = g_new0(SeedRegs, 1);

    t->pc = t->lazy_flags = -1;
    for (guint i = 0; descs && i < descs->len; i++) {
        qemu_plugin_reg_descriptor *d =
            &g_array_index(descs, qemu_plugin_reg_descriptor, i);
        /* QEMU's handles are the gdb remote register number plus one. */
        int num = GPOINTER_TO_INT(d->handle) - 1;
        int size;

        if (num < 0 || num > 0xffff) {
            continue;
        }
        if (num >= t->count) {
            t->by_num = g_renew(SeedReg, t->by_num, num + 1);
            memset(t->by_num + t->count, 0,
                   (num + 1 - t->count) * sizeof(SeedReg));
            t->count = num + 1;
        }
        g_byte_array_set_size(buf, 0);
        size = qemu_plugin_read_register(d->handle, buf);
        if (size > QEMULIB_MAX_REG_BYTES) {
            seed_log_note("register %s (%d) is %d bytes, more than "
                          "QEMULIB_MAX_REG_BYTES: not readable", d->name,
                          num, size);
        }
        if (size <= 0 || size > QEMULIB_MAX_REG_BYTES) {
            /* some CSRs read as 0 bytes in a given mode: no such register */
            continue;
        }
        t->by_num[num].handle = d->handle;
        t->by_num[num].size = size;
        if (g_str_equal(d->name, "pc") || g_str_equal(d->name, "rip") ||
            g_str_equal(d->name, "eip")) {
            t->pc = num;
        } else if (g_str_equal(d->name, "eflags")) {
            t->lazy_flags = num;
        }
    }
    return t;
}

void seed_regs_init(void)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&regs_lock);

    if (!atomic_load(&regs)) {
        atomic_store(&regs, regs_build());
    }
}

/* Is @cpu the handle of the call in progress on this thread? */
static SeedCpu *active_handle(void *cpu, const char *fn)
{
    static atomic_bool warned;

    if (cpu && cpu == seed_active) {
        return cpu;
    }
    if (!atomic_exchange(&warned, true)) {
        seed_log_note("%s: the cpu handle is only valid during the call "
                      "that received it, on its thread: returning -1", fn);
    }
    return NULL;
}

int qemulib_read_memory(void *cpu, uint64_t addr, uint8_t *buf, int len)
{
    GByteArray *data;

    if (!active_handle(cpu, "qemulib_read_memory") || len < 0 ||
        (len > 0 && !buf)) {
        return -1;
    }
    if (len == 0) {
        return 0;
    }
    data = thread_scratch();
    if (!qemu_plugin_read_memory_vaddr(addr, data, len)) {
        return -1;
    }
    memcpy(buf, data->data, len);
    return 0;
}

/* @value as the @size bytes of a register in the target's byte order. */
static void put_target_order(uint8_t *out, uint64_t value, int size)
{
    memset(out, 0, size);
    for (int i = 0; i < size && i < 8; i++) {
        int k = seed.big_endian ? size - 1 - i : i;

        out[k] = (uint8_t)(value >> (8 * i));
    }
}

int qemulib_read_register(void *cpu, uint8_t *mem_buf, int reg)
{
    SeedCpu *c = active_handle(cpu, "qemulib_read_register");
    SeedRegs *t = atomic_load(&regs);
    GByteArray *buf;
    int n;

    if (!c || !mem_buf || !t || reg < 0 || reg >= t->count ||
        !t->by_num[reg].handle) {
        return -1;
    }
    if (reg == t->pc) {
        put_target_order(mem_buf, c->pc, t->by_num[reg].size);
        return t->by_num[reg].size;
    }
    if (reg == t->lazy_flags && !seed_state_exact() &&
        !atomic_exchange(&flags_warned, true)) {
        seed_log_note("eflags read at 0x%" PRIx64 ": stock QEMU computes "
                      "the arithmetic flags lazily, so eflags read by a "
                      "plugin can be stale (exact on qinsn's patched QEMU)",
                      c->pc);
    }
    buf = thread_scratch();
    g_byte_array_set_size(buf, 0);
    n = qemu_plugin_read_register(t->by_num[reg].handle, buf);
    if (n < 0 || n > QEMULIB_MAX_REG_BYTES) {
        return -1;
    }
    memcpy(mem_buf, buf->data, n);
    return n;
}

/*
 * In an execution-time call, on a vCPU thread, the stock path can reset at
 * once; at translation a reset would pull the callbacks from under the
 * translator, so it waits for the next block as requests of other threads
 * do.  Without plugin_needs_before_* nothing can change, and nothing is
 * flushed.
 */
void qemulib_flush_tb(void)
{
    if (seed_active && !seed_active->translating) {
        flush_request_on_vcpu();
    } else {
        flush_request();
    }
}
