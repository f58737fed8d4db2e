/*
 * The clock of trace timestamps: nanoseconds of the host's CLOCK_MONOTONIC,
 * read cheaply on every logged hit.
 *
 * clock_gettime() was about a tenth of a hot watch's vCPU time.  On x86-64
 * hosts whose time-stamp counter runs at a constant rate through sleep
 * states (constant_tsc, nonstop_tsc), a timestamp is the counter scaled
 * to nanoseconds instead: the log writer calibrates the scale against
 * CLOCK_MONOTONIC (tsclock_refine) and keeps the two together, changing
 * the scale but never jumping, so the timestamps stay monotonic and within
 * microseconds of CLOCK_MONOTONIC.  Until the first calibration, and on
 * other hosts, a timestamp is clock_gettime() itself.
 */
#ifndef QINSN_TSCLOCK_H
#define QINSN_TSCLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#define TSCLOCK_COUNTER 1
#endif

/* A segment of the clock: ns = ns_base + (counter - base) * mult >> 32. */
typedef struct TsClock {
    atomic_uint seq;            /* odd while the writer changes it */
    atomic_bool counting;       /* the counter is calibrated: use it */
    atomic_uint_fast64_t base, ns_base, mult;
} TsClock;

extern TsClock tsclock;

void tsclock_init(void);
/* Calibrate again (one thread, from time to time: the log writer). */
void tsclock_refine(void);

static inline uint64_t tsclock_mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static inline uint64_t tsclock_now(void)
{
#ifdef TSCLOCK_COUNTER
    if (atomic_load_explicit(&tsclock.counting, memory_order_relaxed)) {
        for (;;) {
            unsigned int s = atomic_load_explicit(&tsclock.seq,
                                                  memory_order_acquire);
            uint64_t base, ns, mult, c;

            base = atomic_load_explicit(&tsclock.base, memory_order_relaxed);
            ns = atomic_load_explicit(&tsclock.ns_base, memory_order_relaxed);
            mult = atomic_load_explicit(&tsclock.mult, memory_order_relaxed);
            c = __rdtsc();
            atomic_thread_fence(memory_order_acquire);
            if (!(s & 1) &&
                s == atomic_load_explicit(&tsclock.seq,
                                          memory_order_relaxed)) {
                /* a counter read before base (another CPU's): no earlier */
                return c <= base ? ns :
                    ns + (uint64_t)(((unsigned __int128)(c - base) * mult)
                                    >> 32);
            }
        }
    }
#endif
    return tsclock_mono();
}

#endif /* QINSN_TSCLOCK_H */
