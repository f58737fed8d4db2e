/*
 * Test plugin for libqinsn-seed.so that flushes from a thread of its own,
 * not from a callback: the path where stock QEMU needs the layer's
 * per-block flag to get a vCPU to flush.
 *
 *   args=TRIGGER:TARGET
 *
 * TARGET is not instrumented until a thread started by plugin_init has
 * seen TRIGGER run and called qemulib_flush_tb().  After that TARGET's
 * first 3 executions are logged, then "lateflush: done".  Meant for a
 * guest that loops through both for ever (the spin guests).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "qemulib.h"
#include "example-args.h"

#define TARGET_HITS 3

static uint64_t trigger;
static uint64_t target;
static atomic_bool seen;
static atomic_bool enabled;
static atomic_uint_fast64_t hits;

static void *flusher(void *arg)
{
    struct timespec tick = { 0, 1000000 };

    while (!atomic_load(&seen)) {
        nanosleep(&tick, NULL);
    }
    atomic_store(&enabled, true);
    qemulib_log("lateflush: flushing from a thread of the plugin");
    qemulib_flush_tb();
    return NULL;
}

bool plugin_init(const char *args)
{
    uint64_t pair[2];
    pthread_t t;

    if (ex_parse_list(args, pair, 2) != 2 || pair[0] == pair[1]) {
        qemulib_log("lateflush: bad args '%s' (TRIGGER:TARGET)", args);
        return false;
    }
    trigger = pair[0];
    target = pair[1];
    if (pthread_create(&t, NULL, flusher, NULL)) {
        return false;
    }
    pthread_detach(t);
    return true;
}

bool plugin_needs_before_insn(uint64_t pc, void *cpu)
{
    if (pc == trigger) {
        return !atomic_load(&seen);
    }
    return pc == target && atomic_load(&enabled) &&
        atomic_load(&hits) < TARGET_HITS;
}

void plugin_before_insn(uint64_t pc, void *cpu)
{
    uint64_t hit;

    if (pc == trigger) {
        atomic_store(&seen, true);
        return;
    }
    hit = atomic_fetch_add(&hits, 1) + 1;
    if (hit <= TARGET_HITS) {
        qemulib_log("lateflush pc=0x%" PRIx64 " hit=%" PRIu64, pc, hit);
    }
    if (hit == TARGET_HITS) {
        qemulib_log("lateflush: done");
    }
}
