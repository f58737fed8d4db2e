/*
 * Unit tests of the wire protocol: request splitting, the command table's
 * arity and option checks, and the value parsers.
 */
#include <string.h>

#include "proto.h"

static void test_split_words(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) w = qinsn_proto_split("  watch\t0x10  regs=a0 ", &err);

    g_assert_no_error(err);
    g_assert_cmpuint(w->len, ==, 3);
    g_assert_cmpstr(g_ptr_array_index(w, 0), ==, "watch");
    g_assert_cmpstr(g_ptr_array_index(w, 2), ==, "regs=a0");
}

static void test_split_binary(void)
{
    g_autoptr(GError) err = NULL;
    GPtrArray *w = qinsn_proto_split("watch \x01\xff", &err);

    g_assert_null(w);
    g_assert_error(err, QINSN_ERROR, QINSN_ERR_SYNTAX);
    g_assert_nonnull(strstr(err->message, "byte 0x01 at column 7"));
}

static void test_parse_u64(void)
{
    uint64_t v;
    GError *err = NULL;

    g_assert_true(qinsn_parse_u64("0x8000123c", &v, NULL));
    g_assert_cmphex(v, ==, 0x8000123c);
    g_assert_true(qinsn_parse_u64("42", &v, NULL));
    g_assert_cmpuint(v, ==, 42);
    g_assert_true(qinsn_parse_u64("0xffffffffffffffff", &v, NULL));
    g_assert_cmphex(v, ==, UINT64_MAX);
    g_assert_false(qinsn_parse_u64("0x1ffffffffffffffff", &v, &err));
    g_assert_error(err, QINSN_ERROR, QINSN_ERR_ARG);
    g_clear_error(&err);
    g_assert_false(qinsn_parse_u64("12abc", &v, &err));
    g_assert_nonnull(strstr(err->message, "junk from 'abc'"));
    g_clear_error(&err);
    g_assert_false(qinsn_parse_u64("", &v, NULL));
    g_assert_false(qinsn_parse_u64("0x", &v, NULL));
    g_assert_false(qinsn_parse_u64("-1", &v, NULL));
    g_assert_false(qinsn_parse_u64("abc", &v, NULL));
}

static void test_parse_range(void)
{
    uint64_t a, b;
    g_autoptr(GError) err = NULL;

    g_assert_true(qinsn_parse_range("0x10..0x20", &a, &b, NULL));
    g_assert_cmphex(a, ==, 0x10);
    g_assert_cmphex(b, ==, 0x20);
    g_assert_true(qinsn_parse_range("16", &a, &b, NULL));
    g_assert_cmpuint(a, ==, b);
    g_assert_false(qinsn_parse_range("0x20..0x10", &a, &b, &err));
    g_assert_nonnull(strstr(err->message, "ends before it starts"));
    g_assert_false(qinsn_parse_range("0x20..", &a, &b, NULL));
}

static void test_cond(void)
{
    QinsnCond c = { 0 };
    g_autoptr(GError) err = NULL;

    g_assert_true(qinsn_cond_parse("a0<=0x10", &c, NULL));
    g_assert_cmpstr(c.reg, ==, "a0");
    g_assert_cmpint(c.op, ==, QINSN_OP_LE);
    g_assert_cmphex(c.value, ==, 0x10);
    qinsn_cond_clear(&c);
    g_assert_true(qinsn_cond_parse("rip!=5", &c, NULL));
    g_assert_cmpint(c.op, ==, QINSN_OP_NE);
    qinsn_cond_clear(&c);
    g_assert_false(qinsn_cond_parse("==5", &c, NULL));
    g_assert_false(qinsn_cond_parse("a0~5", &c, &err));
    g_assert_nonnull(strstr(err->message, "needs one of"));
    g_assert_true(qinsn_cond_eval(QINSN_OP_GE, 5, 5));
    g_assert_false(qinsn_cond_eval(QINSN_OP_GT, 5, 5));
    g_assert_true(qinsn_cond_eval(QINSN_OP_LT, 4, 5));
}

static void test_mem_spec(void)
{
    QinsnMemSpec m = { 0 };
    g_autoptr(GError) err = NULL;

    g_assert_true(qinsn_mem_spec_parse("sp+8:16", &m, 256, NULL));
    g_assert_cmpstr(m.reg, ==, "sp");
    g_assert_cmpint(m.offset, ==, 8);
    g_assert_cmpuint(m.len, ==, 16);
    qinsn_mem_spec_clear(&m);
    g_assert_true(qinsn_mem_spec_parse("a0-0x10:4", &m, 256, NULL));
    g_assert_cmpint(m.offset, ==, -16);
    qinsn_mem_spec_clear(&m);
    g_assert_false(qinsn_mem_spec_parse("a0:1000", &m, 256, &err));
    g_assert_error(err, QINSN_ERROR, QINSN_ERR_LIMIT);
    g_assert_false(qinsn_mem_spec_parse("a0", &m, 256, NULL));
    g_assert_false(qinsn_mem_spec_parse("a0:0", &m, 256, NULL));
}

static void test_request_ok(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(QinsnRequest) r =
        qinsn_request_parse("watch 0x10 regs=a0,a1 once count=3", &err);

    g_assert_no_error(err);
    g_assert_cmpstr(r->spec->name, ==, "watch");
    g_assert_cmpuint(r->args->len, ==, 1);
    g_assert_cmpstr(qinsn_request_opt(r, "regs"), ==, "a0,a1");
    g_assert_cmpstr(qinsn_request_opt(r, "count"), ==, "3");
    g_assert_true(qinsn_request_has_flag(r, "once"));
    g_assert_null(qinsn_request_opt(r, "if"));
}

static void test_request_errors(void)
{
    static const struct {
        const char *line;
        QinsnErrorClass cls;
        const char *text;
    } cases[] = {
        { "", QINSN_ERR_SYNTAX, "empty request" },
        { "frobnicate", QINSN_ERR_SYNTAX, "unknown command 'frobnicate'" },
        { "watch", QINSN_ERR_SYNTAX, "wrong number of arguments to watch" },
        { "watch 1 2", QINSN_ERR_SYNTAX, "got 2" },
        { "watch 1 colour=red", QINSN_ERR_ARG, "unknown option 'colour'" },
        { "list extra", QINSN_ERR_SYNTAX, "usage: list" },
        { "mark", QINSN_ERR_SYNTAX, "usage: mark <token>" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        QinsnRequest *r = qinsn_request_parse(cases[i].line, &err);

        g_assert_null(r);
        g_assert_error(err, QINSN_ERROR, (int)cases[i].cls);
        if (!strstr(err->message, cases[i].text)) {
            g_error("'%s': message '%s' lacks '%s'", cases[i].line,
                    err->message, cases[i].text);
        }
    }
}

static void test_error_classes(void)
{
    g_assert_cmpstr(qinsn_error_class_name(QINSN_ERR_NOTFOUND), ==,
                    "NOTFOUND");
    g_assert_cmpint(qinsn_error_class_from_name("LIMIT"), ==,
                    QINSN_ERR_LIMIT);
    g_assert_cmpint(qinsn_error_class_from_name("NOPE"), ==, -1);
}

static void test_quote(void)
{
    static const char *const values[] = {
        "/plain/path.elf", "/tmp/my guest/a b.elf", "q\"uo\\te",
        "tab\there\nnl\x7f", "\xc3\xa9t\xc3\xa9", "",
    };
    static const char *const bad[] = {
        "plain", "\"open", "\"a\"b\"", "\"bad\\q\"", "\"nul\\u0000\"",
        "\"short\\u004\"", "\"half\\ud800\"", "\"end\\\"",
    };
    g_autofree char *json = NULL;

    for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
        g_autoptr(GString) q = g_string_new(NULL);
        g_autofree char *back = NULL;

        qinsn_quote(q, values[i]);
        g_assert_null(strpbrk(q->str, "\t\n\x7f"));
        back = qinsn_unquote(q->str, NULL);
        g_assert_cmpstr(back, ==, values[i]);
    }
    json = qinsn_unquote("\"a\\/b\\u00e9\\tc\"", NULL);
    g_assert_cmpstr(json, ==, "a/b\xc3\xa9\tc");
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;

        g_assert_null(qinsn_unquote(bad[i], &err));
        g_assert_nonnull(err);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/proto/split/words", test_split_words);
    g_test_add_func("/proto/split/binary", test_split_binary);
    g_test_add_func("/proto/parse/u64", test_parse_u64);
    g_test_add_func("/proto/parse/range", test_parse_range);
    g_test_add_func("/proto/parse/cond", test_cond);
    g_test_add_func("/proto/parse/mem-spec", test_mem_spec);
    g_test_add_func("/proto/request/ok", test_request_ok);
    g_test_add_func("/proto/request/errors", test_request_errors);
    g_test_add_func("/proto/error-classes", test_error_classes);
    g_test_add_func("/proto/quote", test_quote);
    return g_test_run();
}
