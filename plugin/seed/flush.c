/*
 * qemulib_flush_tb(): throwing translated code away so that changed
 * answers of the plugin's needs_before_* functions reach QEMU.
 *
 * On qinsn's patched QEMU, qemu_plugin_request_tb_flush() does it from any
 * thread.  Stock QEMU flushes only through qemu_plugin_reset() called on a
 * vCPU thread, which also drops every callback of the layer; they are
 * registered again once the flush is done.  A request made in an
 * execution-time call is on a vCPU thread and resets at once.  Any other
 * request (from another thread, or at translation, where a reset would
 * pull the callbacks from under the translator) raises a per-vCPU flag
 * that a conditional callback on every translated block tests, so the
 * next block a vCPU enters resets.  Those conditional callbacks are the
 * stock path's running cost, paid whether the plugin flushes or not; they
 * are left out only for plugins whose answers cannot change (no
 * plugin_needs_before_* at all) or that have nothing to call.
 *
 * A request that arrives while a reset is under way may come after its
 * flush: requests are counted, and the end of a reset asks again when
 * some came after it started.
 */
#include "seed.h"
#include "qemu-ext.h"

static bool patched;
static struct qemu_plugin_scoreboard *flags_sb;
static qemu_plugin_u64 flag;
static atomic_uint_fast64_t requested;
static atomic_uint_fast64_t serving;    /* requests the reset covers */
static atomic_bool resetting;

static void set_flags(uint64_t value)
{
    int n = qemu_plugin_num_vcpus();

    for (int i = 0; i < n; i++) {
        qemu_plugin_u64_set(flag, i, value);
    }
}

/* Runs in an exclusive section once the flush is done. */
static void reset_done(qemu_plugin_id_t id)
{
    seed_register_callbacks();
    set_flags(0);
    atomic_store(&resetting, false);
    if (atomic_load(&requested) > atomic_load(&serving)) {
        set_flags(1);
    }
}

/* On a vCPU thread only: elsewhere qemu_plugin_reset() does not flush. */
static void start_reset(void)
{
    if (atomic_exchange(&resetting, true)) {
        return;
    }
    atomic_store(&serving, atomic_load(&requested));
    qemu_plugin_reset(seed.id, reset_done);
}

static void vcpu_tb_flagged(unsigned int vcpu, void *udata)
{
    start_reset();
}

static void patched_done(qemu_plugin_id_t id)
{
    /* qemulib_flush_tb() does not wait: nothing to tell anyone */
}

void seed_flush_init(void)
{
    patched = qemu_plugin_request_tb_flush != NULL;
    if (!patched) {
        flags_sb = qemu_plugin_scoreboard_new(sizeof(uint64_t));
        flag = qemu_plugin_scoreboard_u64(flags_sb);
    }
}

void seed_flush_note_translation(struct qemu_plugin_tb *tb)
{
    if (!patched) {
        qemu_plugin_register_vcpu_tb_exec_cond_cb(
            tb, vcpu_tb_flagged, QEMU_PLUGIN_CB_NO_REGS,
            QEMU_PLUGIN_COND_NE, flag, 0, NULL);
    }
}

void seed_flush_request(void)
{
    if (patched) {
        /* false: no vCPU yet, so nothing was translated */
        qemu_plugin_request_tb_flush(seed.id, patched_done);
        return;
    }
    atomic_fetch_add(&requested, 1);
    if (seed_active && !seed_active->translating) {
        start_reset();
    } else {
        set_flags(1);
    }
}
