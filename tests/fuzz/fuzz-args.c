/*
 * Fuzz harness: the plugin's argument parser (plugin/args.c).
 *
 * Input: the argument words, separated by NUL bytes (QEMU hands the plugin
 * one word per comma-separated key=value).  Checks: a result or an error,
 * never both nor neither; a refused argument's message names it; parsed
 * arguments, written back as words, parse to the same result.
 */
#include <inttypes.h>
#include <string.h>

#include "args.h"
#include "fuzzlib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_glib();
    return 0;
}

/* The arguments that give @a, one word each. */
static GPtrArray *unparse(const QinsnArgs *a)
{
    GPtrArray *words = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *regs = NULL;

    for (guint i = 0; i < a->initial->len; i++) {
        const QinsnWatchSpec *o = g_ptr_array_index(a->initial, i);
        g_ptr_array_add(words, g_strdup_printf("watch=0x%" PRIx64 "..%" PRIu64,
                                               o->start, o->end));
    }
    g_ptr_array_add(a->default_regs, NULL);
    regs = g_strjoinv(":", (char **)a->default_regs->pdata);
    g_ptr_array_remove_index(a->default_regs, a->default_regs->len - 1);
    g_ptr_array_add(words, g_strdup_printf("regs=%s", regs));
    if (a->log_path) {
        g_ptr_array_add(words, g_strdup_printf("log=%s", a->log_path));
    }
    g_ptr_array_add(words, g_strdup_printf("format=%s",
                                           a->format == FORMAT_JSON ?
                                           "json" : "text"));
    if (a->no_sock || a->sock_path) {
        g_ptr_array_add(words, g_strdup_printf("sock=%s", a->no_sock ?
                                               "none" : a->sock_path));
    }
    return words;
}

static void check_same(const QinsnArgs *a, const QinsnArgs *b)
{
    FUZZ_CHECK(a->initial->len == b->initial->len);
    for (guint i = 0; i < a->initial->len; i++) {
        const QinsnWatchSpec *x = g_ptr_array_index(a->initial, i);
        const QinsnWatchSpec *y = g_ptr_array_index(b->initial, i);
        FUZZ_CHECK(x->start == y->start && x->end == y->end);
        FUZZ_CHECK(x->start <= x->end && x->kind == QINSN_WATCH_INSN);
    }
    FUZZ_CHECK(a->default_regs->len == b->default_regs->len);
    for (guint i = 0; i < a->default_regs->len; i++) {
        FUZZ_CHECK(g_str_equal(g_ptr_array_index(a->default_regs, i),
                               g_ptr_array_index(b->default_regs, i)));
    }
    FUZZ_CHECK(g_strcmp0(a->log_path, b->log_path) == 0);
    FUZZ_CHECK(g_strcmp0(a->sock_path, b->sock_path) == 0);
    FUZZ_CHECK(a->no_sock == b->no_sock && a->format == b->format);
    FUZZ_CHECK(!(a->no_sock && a->sock_path));
    FUZZ_CHECK(!a->log_path || *a->log_path);
    FUZZ_CHECK(!a->sock_path || *a->sock_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) again = NULL;
    g_autoptr(GError) err = NULL;
    QinsnArgs a, b;
    size_t start = 0;
    bool ok;

    if (size > 8192) {
        return 0;
    }
    for (size_t i = 0; i <= size; i++) {
        if (i == size || !data[i]) {
            g_ptr_array_add(argv, g_strndup((const char *)data + start,
                                            i - start));
            start = i + 1;
        }
    }
    qinsn_args_init(&a);
    ok = qinsn_args_parse(&a, argv->len, (char **)argv->pdata, &err);
    FUZZ_CHECK(ok == !err);
    if (!ok) {
        FUZZ_CHECK(err->domain == QINSN_ERROR);
        /* the message names the argument refused, or its key */
        FUZZ_CHECK(strstr(err->message, "argument"));
        qinsn_args_clear(&a);
        return 0;
    }
    again = unparse(&a);
    qinsn_args_init(&b);
    FUZZ_CHECK(qinsn_args_parse(&b, again->len, (char **)again->pdata, NULL));
    check_same(&a, &b);
    qinsn_args_clear(&a);
    qinsn_args_clear(&b);
    return 0;
}
