/*
 * Unit tests of qinsn diff's log reader against the plugin's own record
 * formatter: every record the plugin writes (watch definitions, hits with
 * stale flags and captures, memory accesses, marks, drops, summaries), in
 * text and JSON, reads back as the same record.  A change of the log
 * format that the reader does not follow fails here, not in a diff.
 */
#include <string.h>

#include "cli.h"
#include "format.h"
#include "json.h"
#include "logparse.h"

G_DEFINE_QUARK(qinsn-cli-error-quark, cli_error)

static QinsnRegTable *table(void)
{
    QinsnRegTable *t = qinsn_regs_new("riscv64");

    qinsn_regs_add(t, "fp", 8, 8, NULL);
    qinsn_regs_add(t, "a0", 10, 8, NULL);
    qinsn_regs_add(t, "a1", 11, 8, NULL);
    return t;
}

/* A watch as the plugin builds it from the request @line. */
static Watch *watch_from(QinsnRegTable *t, const char *line, unsigned id)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(QinsnRequest) req = qinsn_request_parse(line, &err);
    WatchOptions o;
    Watch *w;

    g_assert_no_error(err);
    watch_options_init(&o);
    if (g_str_has_prefix(line, "watch-mem")) {
        g_assert_true(watch_mem_options_from_request(&o, req, &err));
    } else {
        g_assert_true(watch_options_from_request(&o, req, &err));
    }
    g_assert_no_error(err);
    w = watch_new(&o, t, NULL, &err);
    g_assert_no_error(err);
    watch_options_clear(&o);
    w->id = id;
    return w;
}

/* Format @rec as @fmt and read it back into @out. */
static void round_trip(const FormatContext *ctx, const Record *rec,
                       OutputFormat fmt, LogRecord *out)
{
    g_autoptr(GString) s = g_string_new(NULL);
    g_autoptr(GError) err = NULL;
    bool ok;

    format_record(s, fmt, ctx, rec);
    g_assert_true(g_str_has_suffix(s->str, "\n"));
    g_string_truncate(s, s->len - 1);
    logrecord_reset(out);
    ok = fmt == FORMAT_JSON ? parse_json_line(out, s->str, &err)
                            : parse_text_line(out, s->str, &err);
    g_assert_no_error(err);
    g_assert_true(ok);
}

static void put_reg(uint8_t **p, uint64_t v)
{
    **p = 8;
    for (int i = 0; i < 8; i++) {
        (*p)[1 + i] = v >> (8 * i);
    }
    *p += 9;
}

static void test_watch_record(void)
{
    g_autoptr(QinsnRegTable) t = table();
    Watch *w = watch_from(t, "watch 0x80001000..0x80001010 regs=a0,s0 "
                          "if=a0==37 ignore=2 count=3 cpu=0 mem=a1:4 "
                          "sym=demo_step+4", 3);
    FormatContext ctx = { .regs = t };
    Record rec = { .kind = RECORD_WATCH, .watch = w };
    LogRecord out;

    logrecord_init(&out);
    for (int f = 0; f < 2; f++) {
        round_trip(&ctx, &rec, f ? FORMAT_JSON : FORMAT_TEXT, &out);
        g_assert_cmpint(out.kind, ==, LOG_WATCH);
        g_assert_cmpuint(out.watch, ==, 3);
        g_assert_cmpstr(out.wkind, ==, "insn");
        g_assert_cmphex(out.start, ==, 0x80001000);
        g_assert_cmphex(out.end, ==, 0x80001010);
        g_assert_cmpstr(out.sym, ==, "demo_step+4");
        g_assert_cmpuint(out.reg_names->len, ==, 2);
        g_assert_cmpstr(g_ptr_array_index(out.reg_names, 1), ==, "s0");
        g_assert_cmpuint(out.regnums->len, ==, 2);
        g_assert_cmpint(g_array_index(out.regnums, int, 0), ==, 10);
        g_assert_cmpint(g_array_index(out.regnums, int, 1), ==, 8);
        g_assert_cmpstr(out.options, ==,
                        "if=a0==37 ignore=2 count=3 cpu=0 mem=a1:4");
    }
    logrecord_clear(&out);
    watch_free(w);
}

static void test_watch_no_regs(void)
{
    g_autoptr(QinsnRegTable) t = table();
    Watch *w = watch_from(t, "watch-mem 0x80003000 16 w regs=", 1);
    FormatContext ctx = { .regs = t };
    Record rec = { .kind = RECORD_WATCH, .watch = w };
    LogRecord out;

    logrecord_init(&out);
    for (int f = 0; f < 2; f++) {
        round_trip(&ctx, &rec, f ? FORMAT_JSON : FORMAT_TEXT, &out);
        g_assert_cmpstr(out.wkind, ==, "mem");
        g_assert_cmphex(out.end, ==, 0x8000300f);
        g_assert_null(out.sym);
        g_assert_cmpuint(out.reg_names->len, ==, 0);
        g_assert_cmpuint(out.regnums->len, ==, 0);
        g_assert_cmpstr(out.options, ==, "dir=w");
    }
    logrecord_clear(&out);
    watch_free(w);
}

static void test_hit_capture(void)
{
    g_autoptr(QinsnRegTable) t = table();
    Watch *w = watch_from(t, "watch 0x80001000 regs=a0,fp str=a1", 2);
    FormatContext ctx = { .regs = t };
    Record *rec = g_new0(Record, 1);
    uint8_t *p = rec->data;
    uint32_t len = 9;
    uint64_t addr = 0x80002000;
    LogRecord out;

    rec->kind = RECORD_HIT;
    rec->watch = w;
    rec->cpu = 1;
    rec->pc = 0x80001000;
    rec->hit = 42;
    put_reg(&p, 0x25);
    put_reg(&p, 0);
    memcpy(p, &len, 4);
    memcpy(p + 4, &addr, 8);
    memcpy(p + 12, "a \"b\"\x01 c", 9);
    rec->len = p + 21 - rec->data;
    logrecord_init(&out);
    for (int f = 0; f < 2; f++) {
        round_trip(&ctx, rec, f ? FORMAT_JSON : FORMAT_TEXT, &out);
        g_assert_cmpint(out.kind, ==, LOG_HIT);
        g_assert_cmpuint(out.watch, ==, 2);
        g_assert_cmpuint(out.cpu, ==, 1);
        g_assert_cmpuint(out.hit, ==, 42);
        g_assert_cmphex(out.pc, ==, 0x80001000);
        g_assert_cmpuint(out.regs->len, ==, 2);
        g_assert_cmpstr(g_array_index(out.regs, LogReg, 0).value, ==, "0x25");
        g_assert_cmpstr(g_array_index(out.regs, LogReg, 1).name, ==, "fp");
        g_assert_cmpstr(g_array_index(out.regs, LogReg, 1).value, ==, "0x0");
        g_assert_cmpstr(out.cap_kind, ==, "str");
        /* the same literal in both formats, spaces and escapes kept */
        g_assert_cmpstr(out.cap_value, ==, "\"a \\\"b\\\"\\u0001 c\"");
    }
    logrecord_clear(&out);
    g_free(rec);
    watch_free(w);
}

static void test_mem_record(void)
{
    g_autoptr(QinsnRegTable) t = table();
    Watch *w = watch_from(t, "watch-mem 0x80003000 16 regs=a0", 4);
    FormatContext ctx = { .regs = t };
    Record *rec = g_new0(Record, 1);
    uint64_t addr = 0x80003008, value = 0x1122;
    uint8_t *p = rec->data + 26;
    LogRecord out;

    rec->kind = RECORD_MEM;
    rec->watch = w;
    rec->pc = 0x80001100;
    rec->hit = 1;
    memcpy(rec->data, &addr, 8);
    rec->data[8] = 2;
    rec->data[9] = 1;
    memcpy(rec->data + 10, &value, 8);
    put_reg(&p, 0x80003008);
    rec->len = p - rec->data;
    logrecord_init(&out);
    for (int f = 0; f < 2; f++) {
        round_trip(&ctx, rec, f ? FORMAT_JSON : FORMAT_TEXT, &out);
        g_assert_cmpint(out.kind, ==, LOG_MEM);
        g_assert_cmphex(out.addr, ==, 0x80003008);
        g_assert_cmpuint(out.size, ==, 2);
        g_assert_cmpstr(out.dir, ==, "w");
        g_assert_cmpstr(out.value, ==, "0x1122");
        g_assert_cmpuint(out.regs->len, ==, 1);
    }
    logrecord_clear(&out);
    g_free(rec);
    watch_free(w);
}

static void test_drop_summary(void)
{
    g_autoptr(GString) s = g_string_new(NULL);
    g_autoptr(GError) err = NULL;
    Summary sum = { .hits = 3, .logged = 2, .dropped = 1 };
    LogRecord out;

    logrecord_init(&out);
    for (int f = 0; f < 2; f++) {
        OutputFormat fmt = f ? FORMAT_JSON : FORMAT_TEXT;
        g_auto(GStrv) lines = NULL;

        g_string_truncate(s, 0);
        format_drop(s, fmt, 12);
        format_summary(s, fmt, &sum);
        lines = g_strsplit(s->str, "\n", -1);
        logrecord_reset(&out);
        g_assert_true(f ? parse_json_line(&out, lines[0], &err)
                        : parse_text_line(&out, lines[0], &err));
        g_assert_cmpint(out.kind, ==, LOG_DROP);
        g_assert_cmpuint(out.lost, ==, 12);
        logrecord_reset(&out);
        g_assert_true(f ? parse_json_line(&out, lines[1], &err)
                        : parse_text_line(&out, lines[1], &err));
        g_assert_cmpint(out.kind, ==, LOG_SUMMARY);
    }
    logrecord_clear(&out);
}

/* The quick look at a line's watch id agrees with the formatter. */
static void test_peek(void)
{
    g_autoptr(QinsnRegTable) t = table();
    Watch *w = watch_from(t, "watch 0x80001000 regs=a0", 12);
    FormatContext ctx = { .regs = t };
    Record *rec = g_new0(Record, 1);
    uint8_t *p = rec->data;
    g_autoptr(GString) s = g_string_new(NULL);

    rec->kind = RECORD_HIT;
    rec->watch = w;
    rec->hit = 1;
    put_reg(&p, 5);
    rec->len = p - rec->data;
    format_record(s, FORMAT_TEXT, &ctx, rec);
    g_assert_cmpint(logread_peek_watch(s->str), ==, 12);
    g_string_truncate(s, 0);
    format_record(s, FORMAT_JSON, &ctx, rec);
    g_assert_cmpint(logread_peek_watch(s->str), ==, 12);
    rec->kind = RECORD_WATCH;
    g_string_truncate(s, 0);
    format_record(s, FORMAT_TEXT, &ctx, rec);
    g_assert_cmpint(logread_peek_watch(s->str), ==, -1);
    g_assert_cmpint(logread_peek_watch("hit   w12x cpu0"), ==, -1);
    g_assert_cmpint(logread_peek_watch("{\"watch\":1,\"type\":\"hit\"}"), ==,
                    -1);
    g_free(rec);
    watch_free(w);
}

static void test_json_reader(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonValue) v = json_parse(
        " {\"a\":[1,-2.5e3,true,null],\"s\":\"x\\u00e9\\n\",\"o\":{}} ", &err);
    JsonValue *bad;

    g_assert_no_error(err);
    g_assert_cmpuint(json_get(v, "a")->items->len, ==, 4);
    g_assert_cmpstr(json_get_str(v, "s"), ==, "x\xc3\xa9\n");
    g_assert_cmpint(json_get(v, "o")->type, ==, JSON_OBJECT);
    bad = json_parse("{\"a\":1,}", &err);
    g_assert_null(bad);
    g_assert_nonnull(strstr(err->message, "column 8"));
    g_clear_error(&err);
    g_assert_null(json_parse("[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", &err));
    g_assert_nonnull(strstr(err->message, "nested too deeply"));
    g_clear_error(&err);
    g_assert_null(json_parse("{\"a\":\"unterminated}", &err));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/logread/watch/options", test_watch_record);
    g_test_add_func("/logread/watch/no-regs", test_watch_no_regs);
    g_test_add_func("/logread/hit/capture", test_hit_capture);
    g_test_add_func("/logread/mem/access", test_mem_record);
    g_test_add_func("/logread/drop-summary", test_drop_summary);
    g_test_add_func("/logread/peek", test_peek);
    g_test_add_func("/logread/json/reader", test_json_reader);
    return g_test_run();
}
