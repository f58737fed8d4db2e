/*
 * Unit tests of qinsn diff's log reader against the formatter the plugin
 * and `qinsn decode` write with (common/logfmt.c): every record of the
 * binary form (watch definitions, hits with stale flags and captures,
 * memory accesses, marks, drops, stalls, summaries), formatted as text and
 * as JSON, reads back as the same record.  A change of the log format that
 * the reader does not follow fails here, not in a diff.
 */
#include <string.h>

#include "cli.h"
#include "json.h"
#include "logfmt.h"
#include "logparse.h"

G_DEFINE_QUARK(qinsn-cli-error-quark, cli_error)

/* A watch definition; @labels and @nums end with NULL / as many. */
static TraceWatch *tw_new(uint32_t id, uint8_t kind, uint64_t addr,
                          uint64_t end, const char *sym,
                          const char *const *labels, const uint16_t *nums)
{
    TraceWatch *w = g_new0(TraceWatch, 1);

    w->id = id;
    w->kind = kind;
    w->addr = addr;
    w->end = end;
    w->sym = g_strdup(sym);
    w->cpu = -1;
    for (; labels && labels[w->nregs]; w->nregs++) {
        w->labels[w->nregs] = g_strdup(labels[w->nregs]);
        w->regnums[w->nregs] = nums[w->nregs];
        w->regsizes[w->nregs] = 8;
    }
    return w;
}

/* The formatter, having learnt @w from its watch record (kept in @def). */
static void learn(LogFormatter *f, const TraceWatch *w, GByteArray *def)
{
    trace_encode_watch(def, w, 0, 0);
    g_assert_true(logfmt_learn(f, def->data, def->len));
}

/* Format the record @ev as @fmt and read it back into @out. */
static void round_trip(const LogFormatter *f, const uint8_t *ev, size_t len,
                       OutputFormat fmt, LogRecord *out)
{
    g_autoptr(GString) s = g_string_new(NULL);
    g_autoptr(GError) err = NULL;
    bool ok;

    g_assert_true(logfmt_record(s, fmt, f, 1, ev, len));
    g_assert_true(g_str_has_suffix(s->str, "\n"));
    g_string_truncate(s, s->len - 1);
    logrecord_reset(out);
    ok = fmt == FORMAT_JSON ? parse_json_line(out, s->str, &err)
                            : parse_text_line(out, s->str, &err);
    g_assert_no_error(err);
    g_assert_true(ok);
}

static uint8_t *hit_start(uint8_t *p, const TraceWatch *w, uint64_t hit,
                          uint64_t pc, bool stale)
{
    uint8_t st = stale;

    p = trace_put_header(p, TRACE_EV_WATCH_BASE + w->id, 0, 1);
    p = trace_put(p, &w->id, 4);
    p = trace_put(p, &hit, 8);
    p = trace_put(p, &pc, 8);
    return trace_put(p, &st, 1);
}

static void test_watch_record(void)
{
    static const char *const labels[] = { "a0", "s0", NULL };
    static const uint16_t nums[] = { 10, 8 };
    g_autoptr(TraceWatch) w = tw_new(3, TRACE_WATCH_INSN, 0x80001000,
                                     0x80001010, "demo_step+4", labels, nums);
    g_autoptr(GByteArray) def = g_byte_array_new();
    LogFormatter f;
    LogRecord out;

    w->cond = g_strdup("a0==37");
    w->ignore = 2;
    w->count = 3;
    w->cpu = 0;
    w->capture = TRACE_CAPTURE_MEM;
    w->capture_spec = g_strdup("a1:4");
    w->capture_len = 4;
    logfmt_init(&f, false);
    learn(&f, w, def);
    logrecord_init(&out);
    for (int i = 0; i < 2; i++) {
        round_trip(&f, def->data, def->len, i ? FORMAT_JSON : FORMAT_TEXT,
                   &out);
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
    logfmt_clear(&f);
}

static void test_watch_no_regs(void)
{
    g_autoptr(TraceWatch) w = tw_new(1, TRACE_WATCH_MEM, 0x80003000,
                                     0x8000300f, NULL, NULL, NULL);
    g_autoptr(GByteArray) def = g_byte_array_new();
    LogFormatter f;
    LogRecord out;

    w->dir = 2;
    logfmt_init(&f, false);
    learn(&f, w, def);
    logrecord_init(&out);
    for (int i = 0; i < 2; i++) {
        round_trip(&f, def->data, def->len, i ? FORMAT_JSON : FORMAT_TEXT,
                   &out);
        g_assert_cmpstr(out.wkind, ==, "mem");
        g_assert_cmphex(out.end, ==, 0x8000300f);
        g_assert_null(out.sym);
        g_assert_cmpuint(out.reg_names->len, ==, 0);
        g_assert_cmpuint(out.regnums->len, ==, 0);
        g_assert_cmpstr(out.options, ==, "dir=w");
    }
    logrecord_clear(&out);
    logfmt_clear(&f);
}

static void test_hit_capture(void)
{
    static const char *const labels[] = { "a0", "fp", NULL };
    static const uint16_t nums[] = { 10, 8 };
    g_autoptr(TraceWatch) w = tw_new(2, TRACE_WATCH_INSN, 0x80001000,
                                     0x80001000, "f", labels, nums);
    g_autoptr(GByteArray) def = g_byte_array_new();
    uint64_t a0 = 0x25, fp = 0, addr = 0x80002000;
    uint32_t status = 9, len = 9;
    uint8_t rec[256], *p;
    LogFormatter f;
    LogRecord out;

    w->capture = TRACE_CAPTURE_STR;
    w->capture_spec = g_strdup("a1");
    w->capture_len = 128;
    logfmt_init(&f, false);
    learn(&f, w, def);
    p = hit_start(rec, w, 42, 0x80001000, false);
    p = trace_put(p, &a0, 8);
    p = trace_put(p, &fp, 8);
    p = trace_put(p, &addr, 8);
    p = trace_put(p, &status, 4);
    p = trace_put(p, &len, 4);
    p = trace_put(p, "a \"b\"\x01 c", 9);
    logrecord_init(&out);
    for (int i = 0; i < 2; i++) {
        round_trip(&f, rec, p - rec, i ? FORMAT_JSON : FORMAT_TEXT, &out);
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
    logfmt_clear(&f);
}

static void test_stale(void)
{
    static const char *const labels[] = { "rdi", "eflags", NULL };
    static const uint16_t nums[] = { 5, 49 };
    g_autoptr(TraceWatch) w = tw_new(7, TRACE_WATCH_INSN, 0x401000,
                                     0x401000, NULL, labels, nums);
    g_autoptr(GByteArray) def = g_byte_array_new();
    uint64_t rdi = 1, flags = 0x202;
    uint8_t rec[256], *p;
    LogFormatter f;
    LogRecord out;

    w->regflags[1] = TRACE_REG_FLAGS;
    logfmt_init(&f, false);
    learn(&f, w, def);
    p = hit_start(rec, w, 1, 0x401011, true);
    p = trace_put(p, &rdi, 8);
    p = trace_put(p, &flags, 8);
    logrecord_init(&out);
    for (int i = 0; i < 2; i++) {
        round_trip(&f, rec, p - rec, i ? FORMAT_JSON : FORMAT_TEXT, &out);
        g_assert_false(g_array_index(out.regs, LogReg, 0).stale);
        g_assert_true(g_array_index(out.regs, LogReg, 1).stale);
        g_assert_cmpstr(g_array_index(out.regs, LogReg, 1).value, ==,
                        "0x202");
    }
    logrecord_clear(&out);
    logfmt_clear(&f);
}

static void test_mem_record(void)
{
    static const char *const labels[] = { "a0", NULL };
    static const uint16_t nums[] = { 10 };
    g_autoptr(TraceWatch) w = tw_new(4, TRACE_WATCH_MEM, 0x80003000,
                                     0x8000300f, "buf", labels, nums);
    g_autoptr(GByteArray) def = g_byte_array_new();
    uint64_t addr = 0x80003008, lo = 0x1122, hi = 0, a0 = 0x80003008;
    uint8_t size = 2, dir = 1, rec[256], *p;
    LogFormatter f;
    LogRecord out;

    w->dir = 3;
    logfmt_init(&f, false);
    learn(&f, w, def);
    p = hit_start(rec, w, 1, 0x80001100, false);
    p = trace_put(p, &addr, 8);
    p = trace_put(p, &size, 1);
    p = trace_put(p, &dir, 1);
    p = trace_put(p, &lo, 8);
    p = trace_put(p, &hi, 8);
    p = trace_put(p, &a0, 8);
    logrecord_init(&out);
    for (int i = 0; i < 2; i++) {
        round_trip(&f, rec, p - rec, i ? FORMAT_JSON : FORMAT_TEXT, &out);
        g_assert_cmpint(out.kind, ==, LOG_MEM);
        g_assert_cmphex(out.addr, ==, 0x80003008);
        g_assert_cmpuint(out.size, ==, 2);
        g_assert_cmpstr(out.dir, ==, "w");
        g_assert_cmpstr(out.value, ==, "0x1122");
        g_assert_cmpuint(out.regs->len, ==, 1);
    }
    logrecord_clear(&out);
    logfmt_clear(&f);
}

static void test_fixed_records(void)
{
    g_autoptr(GByteArray) ev = g_byte_array_new();
    TraceSummaryWatch sw = { .id = 2, .start = 0x10, .end = 0x10, .hits = 5,
                             .logged = 4 };
    TraceSummary sum = { .hits = 5, .logged = 4, .dropped = 1,
                         .nwatches = 1, .watches = &sw };
    LogFormatter f;
    LogRecord out;

    logfmt_init(&f, false);
    logrecord_init(&out);
    for (int i = 0; i < 2; i++) {
        OutputFormat fmt = i ? FORMAT_JSON : FORMAT_TEXT;

        g_byte_array_set_size(ev, 0);
        trace_encode_drop(ev, 12, 0, 0);
        round_trip(&f, ev->data, ev->len, fmt, &out);
        g_assert_cmpint(out.kind, ==, LOG_DROP);
        g_assert_cmpuint(out.lost, ==, 12);
        g_byte_array_set_size(ev, 0);
        trace_encode_stall(ev, 1, 3, 1000, 0, 0);
        round_trip(&f, ev->data, ev->len, fmt, &out);
        g_assert_cmpint(out.kind, ==, LOG_STALL);
        g_byte_array_set_size(ev, 0);
        trace_encode_mark(ev, "t1", 0, 0);
        round_trip(&f, ev->data, ev->len, fmt, &out);
        g_assert_cmpint(out.kind, ==, LOG_MARK);
        g_byte_array_set_size(ev, 0);
        trace_encode_summary(ev, &sum, 0, 0);
        round_trip(&f, ev->data, ev->len, fmt, &out);
        g_assert_cmpint(out.kind, ==, LOG_SUMMARY);
    }
    logrecord_clear(&out);
    logfmt_clear(&f);
}

/* The quick look at a line's watch id agrees with the formatter. */
static void test_peek(void)
{
    static const char *const labels[] = { "a0", NULL };
    static const uint16_t nums[] = { 10 };
    g_autoptr(TraceWatch) w = tw_new(12, TRACE_WATCH_INSN, 0x80001000,
                                     0x80001000, NULL, labels, nums);
    g_autoptr(GByteArray) def = g_byte_array_new();
    g_autoptr(GString) s = g_string_new(NULL);
    uint64_t a0 = 5;
    uint8_t rec[256], *p;
    LogFormatter f;

    logfmt_init(&f, false);
    learn(&f, w, def);
    p = hit_start(rec, w, 1, 0x80001000, false);
    p = trace_put(p, &a0, 8);
    g_assert_true(logfmt_record(s, FORMAT_TEXT, &f, 0, rec, p - rec));
    g_assert_cmpint(logread_peek_watch(s->str), ==, 12);
    g_string_truncate(s, 0);
    g_assert_true(logfmt_record(s, FORMAT_JSON, &f, 0, rec, p - rec));
    g_assert_cmpint(logread_peek_watch(s->str), ==, 12);
    g_string_truncate(s, 0);
    g_assert_true(logfmt_record(s, FORMAT_TEXT, &f, 0, def->data,
                                def->len));
    g_assert_cmpint(logread_peek_watch(s->str), ==, -1);
    g_assert_cmpint(logread_peek_watch("hit   w12x cpu0"), ==, -1);
    g_assert_cmpint(logread_peek_watch("{\"watch\":1,\"type\":\"hit\"}"), ==,
                    -1);
    logfmt_clear(&f);
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
    g_test_add_func("/logread/hit/stale", test_stale);
    g_test_add_func("/logread/mem/access", test_mem_record);
    g_test_add_func("/logread/drop-stall-mark-summary", test_fixed_records);
    g_test_add_func("/logread/peek", test_peek);
    g_test_add_func("/logread/json/reader", test_json_reader);
    return g_test_run();
}
