/*
 * Stopping the guest at a break watch's match.
 *
 * Exact (the patched QEMU's qemu_plugin_request_debug_stop()): the vCPU
 * stops before the matching instruction, its state restored to that
 * instruction, and QEMU reports an ordinary debug stop: the whole machine
 * stops in system mode and gdb sees SIGTRAP there; in user mode gdb's stub
 * stops only the thread that hit.  Resuming executes the instruction
 * without its callbacks, so it is neither logged nor stopped at twice.
 *
 * Late (stock QEMU): no plugin API stops the machine, and a vCPU held in a
 * callback would keep QEMU's own pause from completing.  Debian's QEMU
 * exports all its functions (it is built with modules), among them the
 * run-state requests any thread may make; the hitting vCPU asks the main
 * loop to stop the machine (RUN_STATE_DEBUG, as a gdb breakpoint does),
 * waits (up to a second) until the run state has changed and kicks
 * itself, so it normally stops at the start of the next translation
 * block: the matching instruction and the rest of its block have
 * executed.  On a busy host the main loop may take longer, and the vCPU
 * runs on until QEMU pauses it.  Where it stopped is read when the
 * vCPU goes idle, and reported as at=, with exact=no.  Those functions are
 * not an API: they are looked up by name and, if missing, breaks are
 * refused.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "logfmt.h"
#include "qemu-ext.h"
#include "stop.h"

static StopConfig cfg;

/* Where a late stop of one vCPU stands, from its hit to its report. */
typedef struct PendingStop {
    atomic_bool armed;
    uint32_t id;
    uint64_t pc;
    uint64_t hit;
} PendingStop;

static StopMethod method;
static bool user_mode_gdb;
static PendingStop pending[QINSN_MAX_VCPUS];

/* QEMU's own functions for the late path (include/system/runstate.h). */
static void (*vmstop_prepare)(void);
static void (*vmstop_request)(int state);
static bool (*runstate_running)(void);
static void (*cpu_kick_out)(void *cpu);
#define QEMU_RUN_STATE_DEBUG 0      /* the first RunState */

StopMethod stop_method(void)
{
    return method;
}

const char *stop_method_name(void)
{
    switch (method) {
    case STOP_EXACT:
        return "exact";
    case STOP_LATE:
        return "late";
    default:
        return "none";
    }
}

/* Was QEMU started with a gdbstub (-g or QEMU_GDB)?  User mode only. */
static bool user_gdbstub_configured(void)
{
    /* qemu-<arch>'s options that take no value (the rest take one) */
    static const char *const flags[] = {
        "-h", "-help", "-version", "-strace", "-singlestep",
        "-one-insn-per-tb", NULL
    };
    g_autofree char *cmdline = NULL;
    gsize len = 0;

    if (g_getenv("QEMU_GDB")) {
        return true;
    }
    if (!g_file_get_contents("/proc/self/cmdline", &cmdline, &len, NULL)) {
        return false;
    }
    /* argv[0], then options until the guest program */
    for (gsize i = strlen(cmdline) + 1; i < len;) {
        const char *arg = cmdline + i;

        i += strlen(arg) + 1;
        if (arg[0] != '-') {
            break;
        }
        if (g_str_equal(arg, "-g")) {
            return true;
        }
        if (!g_strv_contains(flags, arg) && i < len) {
            i += strlen(cmdline + i) + 1;   /* the option's value */
        }
    }
    return false;
}

void stop_init(const StopConfig *c)
{
    bool system_mode = c->target->system_mode;

    cfg = *c;
    if (qemu_plugin_request_debug_stop) {
        method = STOP_EXACT;
        user_mode_gdb = system_mode || user_gdbstub_configured();
        return;
    }
    if (!system_mode) {
        method = STOP_NONE;
        return;
    }
    vmstop_prepare = dlsym(RTLD_DEFAULT,
                           "qemu_system_vmstop_request_prepare");
    vmstop_request = dlsym(RTLD_DEFAULT, "qemu_system_vmstop_request");
    runstate_running = dlsym(RTLD_DEFAULT, "runstate_is_running");
    cpu_kick_out = dlsym(RTLD_DEFAULT, "cpu_exit");
    method = vmstop_prepare && vmstop_request && runstate_running ?
        STOP_LATE : STOP_NONE;
}

bool stop_available(GError **errp)
{
    switch (method) {
    case STOP_EXACT:
        if (!user_mode_gdb) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_STATE,
                        "nobody to stop for: user-mode QEMU was started "
                        "without a gdbstub (-g), and the SIGTRAP of a stop "
                        "would kill the guest");
            return false;
        }
        return true;
    case STOP_LATE:
        return true;
    default:
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_STATE,
                    "this QEMU offers no way to stop the guest from a "
                    "plugin (%s); qinsn's patched QEMU has it "
                    "(qemu-patch/, patch 0009)",
                    cfg.target->system_mode ?
                    "no qemu_plugin_request_debug_stop "
                    "nor an exported qemu_system_vmstop_request" :
                    "user mode needs qemu_plugin_request_debug_stop");
        return false;
    }
}

static void stop_exact(unsigned int cpu, const Hook *h, uint64_t n)
{
    g_autofree char *line = NULL;

    if (qemu_plugin_request_debug_stop()) {
        line = g_strdup_printf("! stop id=%u cpu=%u pc=0x%" PRIx64
                               " hit=%" PRIu64 " exact=yes\n",
                               h->watch->id, cpu, h->pc, n);
    } else {
        /* gdb went away (user mode), or icount: say so, do not pretend */
        line = g_strdup_printf("! stop-failed id=%u cpu=%u pc=0x%" PRIx64
                               " hit=%" PRIu64 " reason=refused-by-qemu\n",
                               h->watch->id, cpu, h->pc, n);
    }
    cfg.event(line);
}

/*
 * Leave the execution loop at the next block start.  QEMU's current_cpu is
 * thread-local: dlsym() gives the calling thread's copy, so it is looked
 * up on each vCPU thread, not once at install.
 */
static void kick_self(void)
{
    static __thread void **current;

    if (!current) {
        current = dlsym(RTLD_DEFAULT, "current_cpu");
    }
    if (cpu_kick_out && current && *current) {
        cpu_kick_out(*current);
    }
}

static void stop_late(unsigned int cpu, const Hook *h, uint64_t n)
{
    PendingStop *p = &pending[cpu];
    gint64 deadline;

    if (atomic_load(&p->armed)) {
        return;     /* one report per stop and vCPU: the first hit's */
    }
    p->id = h->watch->id;
    p->pc = h->pc;
    p->hit = n;
    atomic_store(&p->armed, true);
    vmstop_prepare();
    vmstop_request(QEMU_RUN_STATE_DEBUG);
    /*
     * The main loop marks the machine stopped before it pauses the vCPUs:
     * wait for that (not for the pause, which waits for us), then leave
     * at the next block start instead of whenever the pause kicks us.
     */
    deadline = g_get_monotonic_time() + G_USEC_PER_SEC;
    while (runstate_running() && g_get_monotonic_time() < deadline) {
        g_usleep(20);
    }
    kick_self();
}

void stop_request(unsigned int cpu, const Hook *h, uint64_t n)
{
    if (method == STOP_EXACT) {
        stop_exact(cpu, h, n);
    } else if (method == STOP_LATE && cpu < QINSN_MAX_VCPUS) {
        stop_late(cpu, h, n);
    }
}

/* A vCPU with a late stop went idle: it has stopped; say where. */
static void vcpu_idle(qemu_plugin_id_t id, unsigned int cpu)
{
    PendingStop *p;
    g_autofree char *line = NULL;
    g_autofree char *at_text = NULL;
    g_autoptr(GByteArray) buf = NULL;
    const QinsnReg *r;
    uint64_t at = 0;
    int len;

    if (cpu >= QINSN_MAX_VCPUS || !atomic_load(&pending[cpu].armed)) {
        return;
    }
    p = &pending[cpu];
    buf = g_byte_array_new();
    r = target_pc_reg(cfg.target);
    len = r ? qemu_plugin_read_register(r->handle, buf) : -1;
    if (len > 0) {
        at = format_value_u64(buf->data, MIN(len, (int)buf->len),
                              cfg.target->big_endian);
    }
    at_text = len > 0 ? g_strdup_printf("0x%" PRIx64, at) :
        g_strdup("unknown");
    line = g_strdup_printf("! stop id=%u cpu=%u pc=0x%" PRIx64 " hit=%"
                           PRIu64 " exact=no at=%s\n", p->id, cpu, p->pc,
                           p->hit, at_text);
    atomic_store(&p->armed, false);
    cfg.event(line);
}

void stop_register_callbacks(qemu_plugin_id_t id)
{
    if (method == STOP_LATE) {
        qemu_plugin_register_vcpu_idle_cb(id, vcpu_idle);
    }
}
