/*
 * Calibration of the timestamp counter against CLOCK_MONOTONIC: see
 * tsclock.h.
 *
 * Each refine starts a new segment where the current one stands at that
 * moment (no jump), with a scale that is the counter's rate measured since
 * the start, corrected so that any distance to CLOCK_MONOTONIC is made up
 * over the next second (by at most 0.1 % of the rate): the way NTP slews a
 * clock rather than stepping it.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "tsclock.h"

TsClock tsclock;

#ifdef TSCLOCK_COUNTER
#define FIRST_NS 20000000ull            /* the first calibration's span */
#define REFINE_NS 100000000ull          /* at most this often after it */

static bool usable;
static uint64_t c0, m0;                 /* counter and clock at the start */
static uint64_t last_refine;

/* Counter and clock read as close together as the host lets us. */
static void sample(uint64_t *c, uint64_t *m)
{
    uint64_t best = UINT64_MAX;

    for (int i = 0; i < 5; i++) {
        uint64_t a = __rdtsc(), t = tsclock_mono(), b = __rdtsc();
        if (b - a < best) {
            best = b - a;
            *c = a + (b - a) / 2;
            *m = t;
        }
    }
}

/* Does the counter tick at one rate, through sleep states too? */
static bool counter_usable(void)
{
    g_autofree char *info = NULL;
    const char *flags;

    if (!g_file_get_contents("/proc/cpuinfo", &info, NULL, NULL) ||
        !(flags = strstr(info, "\nflags"))) {
        return false;
    }
    return strstr(flags, " constant_tsc") && strstr(flags, " nonstop_tsc");
}
#endif

void tsclock_init(void)
{
#ifdef TSCLOCK_COUNTER
    if (getenv("QINSN_NO_TSC") || !counter_usable()) {
        return;
    }
    usable = true;
    sample(&c0, &m0);
#endif
}

#ifdef TSCLOCK_COUNTER
/* The current segment at counter @c (only the refining thread changes it). */
static uint64_t segment_at(uint64_t c)
{
    uint64_t base = atomic_load(&tsclock.base);

    return atomic_load(&tsclock.ns_base) + (c <= base ? 0 :
        (uint64_t)(((unsigned __int128)(c - base) *
                    atomic_load(&tsclock.mult)) >> 32));
}
#endif

void tsclock_refine(void)
{
#ifdef TSCLOCK_COUNTER
    uint64_t c, m, now, rate_mult, mult;
    double slew;

    if (!usable) {
        return;
    }
    m = tsclock_mono();
    if (m - m0 < FIRST_NS || (last_refine && m - last_refine < REFINE_NS)) {
        return;
    }
    sample(&c, &m);
    if (c <= c0) {
        return;
    }
    last_refine = m;
    /* ns per tick, in 32.32 fixed point, over everything seen so far */
    rate_mult = (uint64_t)(((unsigned __int128)(m - m0) << 32) / (c - c0));
    if (!atomic_load(&tsclock.counting)) {
        now = m;                        /* the first segment starts exact */
        mult = rate_mult;
    } else {
        now = segment_at(c);
        slew = ((double)m - (double)now) / 1e9;
        slew = CLAMP(slew, -1e-3, 1e-3);
        mult = (uint64_t)(rate_mult * (1.0 + slew));
    }
    atomic_fetch_add_explicit(&tsclock.seq, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&tsclock.base, c, memory_order_relaxed);
    atomic_store_explicit(&tsclock.ns_base, now, memory_order_relaxed);
    atomic_store_explicit(&tsclock.mult, mult, memory_order_relaxed);
    atomic_fetch_add_explicit(&tsclock.seq, 1, memory_order_release);
    atomic_store(&tsclock.counting, true);
#endif
}
