/*
 * Unit tests of the global sequence (plugin/seqnum.h): a thread numbering
 * as a lone vCPU does, without a locked instruction, and another thread
 * numbering as the control thread does, at the same time, hand out every
 * number exactly once.
 */
#include <string.h>

#include <glib.h>

#include "seqnum.h"

#define VCPU_TAKES 4000000
#define OTHER_TAKES 200000

static atomic_bool vcpu_done;
static atomic_int other_taken;

static gpointer vcpu_thread(gpointer out)
{
    uint64_t *n = out;

    /* a loaded machine may start the other thread late: wait for it */
    while (atomic_load(&other_taken) == 0) {
        g_thread_yield();
    }
    for (int i = 0; i < VCPU_TAKES; i++) {
        n[i] = seqnum_take_vcpu();
    }
    atomic_store(&vcpu_done, true);
    return NULL;
}

static gint64 other_us;

static gpointer other_thread(gpointer out)
{
    uint64_t *n = out;
    gint64 start = g_get_monotonic_time();
    int i = 0;

    /* only while the vCPU numbers: a take after it ended proves nothing */
    while (i < OTHER_TAKES && !atomic_load(&vcpu_done)) {
        n[i++] = seqnum_take_other();
        atomic_store(&other_taken, i);
    }
    other_us = g_get_monotonic_time() - start;
    return GINT_TO_POINTER(i);
}

static void test_unique(void)
{
    g_autofree uint64_t *v = g_new(uint64_t, VCPU_TAKES);
    g_autofree uint64_t *o = g_new(uint64_t, OTHER_TAKES);
    g_autofree uint8_t *seen = NULL;
    GThread *tv, *to;
    uint64_t total;
    int others;

    if (!seqnum_init(true)) {
        g_test_skip("membarrier(2) private expedited is not available: "
                    "every thread takes the locked path");
        return;
    }
    tv = g_thread_new("vcpu", vcpu_thread, v);
    to = g_thread_new("other", other_thread, o);
    g_thread_join(tv);
    others = GPOINTER_TO_INT(g_thread_join(to));
    total = VCPU_TAKES + (uint64_t)others;
    g_test_message("%d numbers taken by the other thread in %.1f ms "
                   "(%.2f us each) while the vCPU took %d", others,
                   other_us / 1e3, others ? (double)other_us / others : 0.0,
                   VCPU_TAKES);
    /* the first was taken before the vCPU began: one more at least */
    g_assert_cmpint(others, >, 1);
    g_assert_cmpuint(seqnum_issued(), ==, total);
    seen = g_malloc0(total);
    for (int i = 0; i < VCPU_TAKES; i++) {
        g_assert_cmpuint(v[i], <, total);
        g_assert_cmpuint(seen[v[i]], ==, 0);
        seen[v[i]] = 1;
        /* one thread's numbers rise */
        g_assert_true(i == 0 || v[i] > v[i - 1]);
    }
    for (int i = 0; i < others; i++) {
        g_assert_cmpuint(o[i], <, total);
        g_assert_cmpuint(seen[o[i]], ==, 0);
        seen[o[i]] = 1;
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/seqnum/unique-with-a-plain-vcpu", test_unique);
    return g_test_run();
}
