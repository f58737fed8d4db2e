/*
 * Making a changed watch set (or any changed choice of instrumentation)
 * take effect: flushing translated code.
 *
 * Generations: every change that needs retranslation asks for a new
 * generation; a generation is live once a flush that began after the change
 * has completed.  Requests made while a flush is pending share it.
 *
 * Two paths.  The patched QEMU offers qemu_plugin_request_tb_flush(), usable
 * from any thread.  Stock QEMU only flushes through qemu_plugin_reset() called
 * on a vCPU thread, so every block gets a conditional callback on a per-vCPU
 * flag: raising the flags makes the next block executed call reset, which
 * flushes in an exclusive section and then calls us back to register every
 * callback again.
 *
 * A halted vCPU runs no block until its next interrupt, which on an idle
 * guest may be hundreds of milliseconds away.  So the stock path also puts
 * the reset on QEMU's own work queue of a vCPU (async_run_on_cpu()): the
 * kick that comes with it wakes a halted vCPU, and a running one leaves
 * its block at once.  Those functions are not an API: Debian's QEMU
 * exports them (it is built with modules), they are looked up by name as
 * stop.c does, and without them the flags alone do the job.
 *
 * When nothing was translated since the last flush there is nothing to
 * throw away, and a new generation is live at once.  One reset is under
 * way at a time; a request made during it is covered by it, as nothing is
 * translated while the reset's exclusive section runs.
 *
 * On the patched path the translation callback itself is registered only
 * while a watch exists ("dormant" otherwise): with no watch the guest runs as
 * if no plugin were loaded.  The first watch registers it and flushes what
 * was translated meanwhile; removing the last one unregisters it and
 * flushes our hooks away.  The stock path cannot do this: it needs the
 * per-block callback to flush at all.
 */
#include <dlfcn.h>
#include <glib.h>
#include <stdatomic.h>
#include <time.h>

#include "flush.h"
#include "qemu-ext.h"

static FlushConfig cfg;
static FlushPath path;
static atomic_uint_fast64_t requested;
static atomic_uint_fast64_t live;
static atomic_uint_fast64_t completed;
static atomic_bool translated;
static atomic_bool in_flight;
static struct qemu_plugin_scoreboard *flags_sb;
static qemu_plugin_u64 flag;
static GMutex translating_lock;
static atomic_bool translating;
/* The request that last (un)registered the translation callback. */
static atomic_uint_fast64_t toggled_at;
/* What had been requested when the flush in flight began. */
static atomic_uint_fast64_t flight_requested;
/*
 * Where the last flush's time went (ns, CLOCK_MONOTONIC): asked_ns is
 * when a flush was asked for and none had started yet (0: none waits).
 */
static atomic_uint_fast64_t asked_ns;
static atomic_uint_fast64_t started_ns;
static FlushTimes last_times;
static GMutex times_lock;

FlushPath flush_path(void)
{
    return path;
}

const char *flush_path_name(void)
{
    return path == FLUSH_PATH_PATCHED ? "patched" : "stock-reset";
}

uint64_t flush_live_gen(void)
{
    return atomic_load(&live);
}

uint64_t flush_count(void)
{
    return atomic_load(&completed);
}

/* QEMU's run_on_cpu_data and run_on_cpu_func (include/hw/core/cpu.h). */
typedef union QemuRunOnCpuData {
    int host_int;
    unsigned long host_ulong;
    void *host_ptr;
    uint64_t target_ptr;
} QemuRunOnCpuData;
typedef void (*QemuRunOnCpuFunc)(void *cpu, QemuRunOnCpuData data);

/* QEMU's own functions for queuing work on a vCPU (stock path). */
static struct {
    void *(*get_cpu)(int index);
    void (*async_run)(void *cpu, QemuRunOnCpuFunc func,
                      QemuRunOnCpuData data);
    void (*lock)(void *mutex, const char *file, int line);
    void (*unlock)(void *mutex, const char *file, int line);
    void *cpu_list_lock;
} qemu;

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* A flush starts: how long it was waited for. */
static void note_start(void)
{
    uint64_t now = now_ns();
    uint64_t asked = atomic_exchange(&asked_ns, 0);

    atomic_store(&started_ns, now);
    g_mutex_lock(&times_lock);
    last_times.wait_ns = asked && asked < now ? now - asked : 0;
    g_mutex_unlock(&times_lock);
}

void flush_last_times(FlushTimes *t)
{
    g_mutex_lock(&times_lock);
    *t = last_times;
    g_mutex_unlock(&times_lock);
}

static void raise_flags(void)
{
    int n = qemu_plugin_num_vcpus();

    for (int i = 0; i < n; i++) {
        qemu_plugin_u64_set(flag, i, 1);
    }
}

static void clear_flags(void)
{
    int n = qemu_plugin_num_vcpus();

    for (int i = 0; i < n; i++) {
        qemu_plugin_u64_set(flag, i, 0);
    }
}

static void make_live(uint64_t gen)
{
    uint64_t cur = atomic_load(&live);

    while (cur < gen && !atomic_compare_exchange_weak(&live, &cur, gen)) {
    }
    if (cfg.notify) {
        cfg.notify();
    }
}

static void start_patched(void);

/* Runs once the flush is done, with every vCPU outside translated code. */
static void flush_done(qemu_plugin_id_t id)
{
    uint64_t upto;
    uint64_t flushed = now_ns();
    /* asked before now: this flush covers it */
    uint64_t asked = atomic_load(&asked_ns);

    if (path == FLUSH_PATH_STOCK) {
        cfg.reregister();
        clear_flags();
    }
    upto = atomic_load(&requested);
    atomic_store(&translated, false);
    atomic_fetch_add(&completed, 1);
    atomic_store(&in_flight, false);
    /*
     * Everything requested so far is visible to every later translation,
     * but for a translation callback (un)registered while this flush was
     * in flight: that one waits for the next flush.
     */
    if (atomic_load(&toggled_at) > atomic_load(&flight_requested)) {
        upto = MIN(upto, atomic_load(&toggled_at) - 1);
    }
    g_mutex_lock(&times_lock);
    last_times.flush_ns = flushed - atomic_load(&started_ns);
    last_times.done_ns = now_ns() - flushed;
    g_mutex_unlock(&times_lock);
    atomic_compare_exchange_strong(&asked_ns, &asked, 0);
    make_live(upto);
    if (path == FLUSH_PATH_PATCHED &&
        atomic_load(&requested) > atomic_load(&live)) {
        start_patched();
    }
}

static void start_patched(void)
{
    bool expected = false;

    if (!atomic_compare_exchange_strong(&in_flight, &expected, true)) {
        return;
    }
    atomic_store(&flight_requested, atomic_load(&requested));
    note_start();
    if (!qemu_plugin_request_tb_flush(cfg.id, flush_done)) {
        /* no vCPU yet: nothing can have been translated */
        atomic_store(&in_flight, false);
        make_live(atomic_load(&requested));
    }
}

/* Stock path, on a vCPU thread only: elsewhere a reset does not flush. */
static void start_reset(void)
{
    bool expected = false;

    if (atomic_compare_exchange_strong(&in_flight, &expected, true)) {
        atomic_store(&flight_requested, atomic_load(&requested));
        note_start();
        qemu_plugin_reset(cfg.id, flush_done);
    }
}

/* Stock path: called on a vCPU thread at a block whose vCPU flag is up. */
static void vcpu_flush_requested(unsigned int cpu, void *udata)
{
    start_reset();
}

/*
 * Stock path, on a vCPU thread from its work queue, outside any block.
 * The flags may have started the reset already, or it may be over.
 */
static void vcpu_work_reset(void *cpu, QemuRunOnCpuData data)
{
    /* QEMU's current_cpu is thread-local: looked up on each vCPU thread */
    static __thread void **current;

    if (!current) {
        current = dlsym(RTLD_DEFAULT, "current_cpu");
    }
    if (!current || !*current) {
        /* a reset without current_cpu would not flush: the flags will */
        return;
    }
    if (atomic_load(&requested) > atomic_load(&live)) {
        start_reset();
    }
}

static void lookup_work_queue(void)
{
    qemu.get_cpu = dlsym(RTLD_DEFAULT, "qemu_get_cpu");
    qemu.async_run = dlsym(RTLD_DEFAULT, "async_run_on_cpu");
    qemu.lock = dlsym(RTLD_DEFAULT, "qemu_mutex_lock_impl");
    qemu.unlock = dlsym(RTLD_DEFAULT, "qemu_mutex_unlock_impl");
    qemu.cpu_list_lock = dlsym(RTLD_DEFAULT, "qemu_cpu_list_lock");
    if (!qemu.get_cpu || !qemu.lock || !qemu.unlock || !qemu.cpu_list_lock) {
        qemu.async_run = NULL;
    }
}

/*
 * Stock path: queue the reset on the first vCPU.  The vCPU list lock
 * keeps it from going away meanwhile, as in QEMU's own CPU_FOREACH users
 * that are no RCU readers.  TCG's kick (cpu_exit, a condition broadcast)
 * needs no running thread, and a vCPU that exits before it gets to its
 * queue leaves the flags to another.
 */
static void queue_reset(void)
{
    int n = qemu_plugin_num_vcpus();
    void *cpu = NULL;

    if (!qemu.async_run) {
        return;
    }
    qemu.lock(qemu.cpu_list_lock, __FILE__, __LINE__);
    for (int i = 0; i < n && !cpu; i++) {
        cpu = qemu.get_cpu(i);
    }
    if (cpu) {
        qemu.async_run(cpu, vcpu_work_reset,
                       (QemuRunOnCpuData) { .host_ptr = NULL });
    }
    qemu.unlock(qemu.cpu_list_lock, __FILE__, __LINE__);
}

void flush_init(const FlushConfig *c)
{
    cfg = *c;
    path = qemu_plugin_request_tb_flush ? FLUSH_PATH_PATCHED :
        FLUSH_PATH_STOCK;
    if (path == FLUSH_PATH_STOCK) {
        flags_sb = qemu_plugin_scoreboard_new(sizeof(uint64_t));
        flag = qemu_plugin_scoreboard_u64(flags_sb);
        lookup_work_queue();
    }
    atomic_store(&translating, path == FLUSH_PATH_STOCK || !c->wanted ||
                 c->wanted());
}

bool flush_translating(void)
{
    return atomic_load(&translating);
}

/* Patched path: registered while, and only while, a watch exists. */
static void update_translating(uint64_t gen)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&translating_lock);
    bool want = !cfg.wanted || cfg.wanted();

    if (want != atomic_load(&translating)) {
        atomic_store(&translating, want);
        cfg.set_translation(want);
        atomic_store(&toggled_at, gen);
        /* code translated meanwhile: without our hooks, or with them */
        atomic_store(&translated, true);
    }
}

void flush_note_translation(struct qemu_plugin_tb *tb)
{
    /* Set before the watch lookup so a racing request sees it. */
    atomic_store(&translated, true);
    if (path == FLUSH_PATH_STOCK) {
        qemu_plugin_register_vcpu_tb_exec_cond_cb(
            tb, vcpu_flush_requested, QEMU_PLUGIN_CB_NO_REGS,
            QEMU_PLUGIN_COND_NE, flag, 0, NULL);
    }
}

static uint64_t request(bool on_vcpu)
{
    uint64_t gen = atomic_fetch_add(&requested, 1) + 1;

    if (path == FLUSH_PATH_PATCHED) {
        update_translating(gen);
    }
    if (!atomic_load(&translated)) {
        make_live(gen);
        return gen;
    }
    if (path == FLUSH_PATH_PATCHED) {
        start_patched();
    } else if (on_vcpu) {
        start_reset();
    } else {
        uint64_t none = 0;

        /* the first request a vCPU has yet to take up */
        atomic_compare_exchange_strong(&asked_ns, &none, now_ns());
        raise_flags();
        queue_reset();
    }
    return gen;
}

uint64_t flush_request(void)
{
    return request(false);
}

uint64_t flush_request_on_vcpu(void)
{
    return request(true);
}
