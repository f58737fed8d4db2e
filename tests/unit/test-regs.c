/*
 * Unit tests of register-name resolution: gdb's aliases per target, '$'
 * prefixes and '#N' gdb numbers.
 */
#include "proto.h"
#include "regs.h"

#include <string.h>

static QinsnRegTable *riscv_table(void)
{
    static const char *const names[] = {
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1",
        "a0", "a1",
    };
    QinsnRegTable *t = qinsn_regs_new("riscv64");

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        qinsn_regs_add(t, names[i], i, 8, GINT_TO_POINTER(i + 1));
    }
    qinsn_regs_add(t, "pc", 32, 8, GINT_TO_POINTER(33));
    return t;
}

static void test_riscv_aliases(void)
{
    g_autoptr(QinsnRegTable) t = riscv_table();

    g_assert_cmpint(qinsn_regs_resolve(t, "fp", NULL), ==, 8);
    g_assert_cmpint(qinsn_regs_resolve(t, "s0", NULL), ==, 8);
    g_assert_cmpint(qinsn_regs_resolve(t, "x8", NULL), ==, 8);
    g_assert_cmpint(qinsn_regs_resolve(t, "x10", NULL), ==, 10);
    g_assert_cmpint(qinsn_regs_resolve(t, "$a0", NULL), ==, 10);
    g_assert_cmpint(qinsn_regs_resolve(t, "#10", NULL), ==, 10);
    g_assert_cmpint(qinsn_regs_resolve(t, "x0", NULL), ==, 0);
    g_assert_cmpint(qinsn_regs_resolve(t, "pc", NULL), ==, 12);
    g_assert_cmpint(t->pc, ==, 12);
    g_assert_cmpint(t->flags, ==, -1);
}

static void test_unknown(void)
{
    g_autoptr(QinsnRegTable) t = riscv_table();
    g_autoptr(GError) err = NULL;
    GError *e2 = NULL;

    g_assert_cmpint(qinsn_regs_resolve(t, "rax", &err), ==, -1);
    g_assert_error(err, QINSN_ERROR, QINSN_ERR_ARG);
    g_assert_cmpstr(err->message, ==, "unknown register 'rax' for riscv64 "
                    "(the 'regs' command lists them)");
    g_assert_cmpint(qinsn_regs_resolve(t, "#99", &e2), ==, -1);
    g_assert_nonnull(strstr(e2->message, "no gdb register number 99"));
    g_clear_error(&e2);
    g_assert_cmpint(qinsn_regs_resolve(t, "a-0", &e2), ==, -1);
    g_assert_nonnull(strstr(e2->message, "unexpected character '-'"));
    g_clear_error(&e2);
    g_assert_cmpint(qinsn_regs_resolve(t, "#", &e2), ==, -1);
    g_clear_error(&e2);
}

/* LABEL/REG: REG is read, LABEL names it in records. */
static void test_labels(void)
{
    g_autoptr(QinsnRegTable) t = riscv_table();
    GError *err = NULL;
    struct {
        const char *spec, *label;
        int index;
    } ok[] = {
        { "s0/fp", "s0", 8 }, { "$s0/fp", "s0", 8 }, { "#8/fp", "#8", 8 },
        { "x8/#8", "x8", 8 }, { "a0", "a0", 10 }, { "$a0", "a0", 10 },
    };
    const char *bad[] = { "/fp", "s0/", "s-0/fp", "s0/f-p", "s0/fp/fp" };

    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
        g_autofree char *label = qinsn_regs_label(ok[i].spec);

        g_assert_cmpint(qinsn_regs_resolve(t, ok[i].spec, NULL), ==,
                        ok[i].index);
        g_assert_cmpstr(label, ==, ok[i].label);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(qinsn_regs_name_valid(bad[i], &err));
        g_assert_error(err, QINSN_ERROR, QINSN_ERR_ARG);
        g_assert_nonnull(strstr(err->message, "register"));
        g_clear_error(&err);
    }
    g_assert_cmpint(qinsn_regs_resolve(t, "s0/nosuch", &err), ==, -1);
    g_assert_nonnull(strstr(err->message, "unknown register 'nosuch'"));
    g_clear_error(&err);
}

static void test_x86_aliases(void)
{
    g_autoptr(QinsnRegTable) t = qinsn_regs_new("x86_64");

    qinsn_regs_add(t, "rax", 0, 8, NULL);
    qinsn_regs_add(t, "rbp", 6, 8, NULL);
    qinsn_regs_add(t, "rsp", 7, 8, NULL);
    qinsn_regs_add(t, "rip", 16, 8, NULL);
    qinsn_regs_add(t, "eflags", 17, 4, NULL);
    g_assert_cmpint(qinsn_regs_resolve(t, "pc", NULL), ==, 3);
    g_assert_cmpint(qinsn_regs_resolve(t, "$sp", NULL), ==, 2);
    g_assert_cmpint(qinsn_regs_resolve(t, "fp", NULL), ==, 1);
    g_assert_cmpint(qinsn_regs_resolve(t, "ps", NULL), ==, 4);
    g_assert_cmpint(qinsn_regs_resolve(t, "#17", NULL), ==, 4);
    g_assert_cmpint(t->pc, ==, 3);
    g_assert_cmpint(t->flags, ==, 4);
    g_assert_cmpint(qinsn_regs_resolve(t, "x8", NULL), ==, -1);
}

static void test_aarch64_aliases(void)
{
    g_autoptr(QinsnRegTable) t = qinsn_regs_new("aarch64");

    for (int i = 0; i < 31; i++) {
        g_autofree char *n = g_strdup_printf("x%d", i);
        qinsn_regs_add(t, n, i, 8, NULL);
    }
    qinsn_regs_add(t, "sp", 31, 8, NULL);
    qinsn_regs_add(t, "pc", 32, 8, NULL);
    qinsn_regs_add(t, "cpsr", 33, 4, NULL);
    g_assert_cmpint(qinsn_regs_resolve(t, "lr", NULL), ==, 30);
    g_assert_cmpint(qinsn_regs_resolve(t, "fp", NULL), ==, 29);
    g_assert_cmpint(qinsn_regs_resolve(t, "ip0", NULL), ==, 16);
    g_assert_cmpint(qinsn_regs_resolve(t, "ps", NULL), ==, 33);
    g_assert_cmpint(t->pc, ==, 32);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/regs/riscv64/aliases", test_riscv_aliases);
    g_test_add_func("/regs/riscv64/unknown", test_unknown);
    g_test_add_func("/regs/riscv64/labels", test_labels);
    g_test_add_func("/regs/x86_64/aliases", test_x86_aliases);
    g_test_add_func("/regs/aarch64/aliases", test_aarch64_aliases);
    return g_test_run();
}
