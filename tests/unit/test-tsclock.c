/*
 * Unit tests of the timestamp clock (plugin/tsclock.h): whichever way it
 * reads time on this host, it never goes back, and once calibrated it
 * stays close to CLOCK_MONOTONIC.
 */
#include <stdlib.h>

#include <glib.h>

#include "tsclock.h"

#define SPAN_NS 1500000000ull   /* past the first calibration, and more */

static void test_monotonic_and_close(void)
{
    uint64_t start, prev = 0;
    int64_t worst = 0;
    long reads = 0, close_samples = 0;

    tsclock_init();
    start = tsclock_mono();
    while (tsclock_mono() - start < SPAN_NS) {
        uint64_t a, t, b;

        tsclock_refine();
        for (int i = 0; i < 1000; i++, reads++) {
            uint64_t now = tsclock_now();
            g_assert_cmpuint(now, >=, prev);
            prev = now;
        }
        a = tsclock_mono();
        t = tsclock_now();
        b = tsclock_mono();
        /* only samples this thread was not preempted in */
        if (b - a < 2000) {
            int64_t d = (int64_t)t - (int64_t)(a + (b - a) / 2);
            worst = MAX(worst, ABS(d));
            close_samples++;
        }
        g_usleep(1000);
    }
    g_test_message("%ld reads, counter in use: %s, worst distance to "
                   "CLOCK_MONOTONIC %" G_GINT64_FORMAT " ns over %ld "
                   "samples", reads,
                   atomic_load(&tsclock.counting) ? "yes" : "no", worst,
                   close_samples);
    /* a loaded machine slews slower than a quiet one: 50 us is generous */
    g_assert_cmpint(worst, <, 50000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tsclock/monotonic-and-close", test_monotonic_and_close);
    return g_test_run();
}
