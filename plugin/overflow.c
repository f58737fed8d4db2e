/*
 * A full ring: see overflow.h.  A vCPU waits, with backing-off sleeps,
 * until its ring has room, its writer stands still for stall_ms, or a
 * waiter's end is asked for (record_end_waits()); a ring that gave up
 * drops at once until its writer moves again.
 */
#include "overflow.h"

static void (*kick)(void);
static uint32_t stall_ms;
static atomic_bool overflow_drop;
static atomic_uint wait_epoch;
static atomic_uint_fast64_t writer_progress;   /* bytes the log took */

void overflow_init(const RecordConfig *c)
{
    kick = c->kick;
    stall_ms = c->stall_ms;
    atomic_store(&overflow_drop, c->overflow_drop);
}

void record_set_overflow_drop(bool drop)
{
    atomic_store(&overflow_drop, drop);
    record_end_waits();
}

bool record_overflow_drop(void)
{
    return atomic_load(&overflow_drop);
}

uint32_t record_stall_ms(void)
{
    return stall_ms;
}

void record_end_waits(void)
{
    atomic_fetch_add(&wait_epoch, 1);
}

void record_writer_progress(void)
{
    atomic_fetch_add_explicit(&writer_progress, 1, memory_order_relaxed);
}

/*
 * @r gave up on its writer before: true (and counted) when the writer has
 * not moved since, so the record is dropped without waiting again.
 */
static bool still_stalled(Ring *r, uint64_t tail)
{
    if (!r->stalled) {
        return false;
    }
    if (tail == r->stalled_tail) {
        atomic_fetch_add(&r->stall_dropped, 1);
        return true;
    }
    r->stalled = false;
    return false;
}

/* Give up on a writer that did not move for stall_ms: a stall record. */
static void give_up(Ring *r, uint64_t tail)
{
    r->stalled = true;
    r->stalled_tail = tail;
    atomic_fetch_add(&r->stall_dropped, 1);
    atomic_fetch_add(&r->stalls, 1);
    kick();
}

/* Out of line: the vCPU's fast path only calls it when the ring is full. */
__attribute__((noinline)) uint8_t *overflow_reserve(Ring *r, size_t max)
{
    uint64_t tail = atomic_load(&r->tail), start, now;
    uint64_t progress = atomic_load(&writer_progress);
    unsigned int epoch = atomic_load(&wait_epoch);
    gulong us = 20;
    uint8_t *p;

    if (atomic_load(&overflow_drop) || still_stalled(r, tail)) {
        goto drop;
    }
    start = record_now();
    for (;;) {
        kick();
        g_usleep(us);
        us = MIN(us * 2, 200);
        if ((p = ring_reserve(r, max))) {
            return p;
        }
        if (atomic_load(&wait_epoch) != epoch ||
            atomic_load(&overflow_drop)) {
            goto drop;
        }
        now = record_now();
        /*
         * Progress is room given back, or the log taking bytes: a slow
         * disk is waited for, only a writer that moves not at all is not.
         */
        if (atomic_load(&r->tail) != tail ||
            atomic_load(&writer_progress) != progress) {
            tail = atomic_load(&r->tail);
            progress = atomic_load(&writer_progress);
            start = now;
        } else if (now - start >= stall_ms * 1000000ull) {
            give_up(r, tail);
            goto drop;
        }
    }
drop:
    atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
    return NULL;
}
