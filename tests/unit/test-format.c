/*
 * Unit tests of record formatting: binary records (trace.h) as JSON Lines,
 * the aligned text log and socket events, byte for byte, for hits, stale
 * flags, captures, disassembly, marks, drops, stalls and summaries; and
 * the watch table's disassembly of translated instructions.
 */
#include <string.h>

#include "logfmt.h"
#include "watch.h"

static QinsnRegTable *table(void)
{
    QinsnRegTable *t = qinsn_regs_new("x86_64");

    qinsn_regs_add(t, "rdi", 5, 8, NULL);
    qinsn_regs_add(t, "rip", 16, 8, NULL);
    qinsn_regs_add(t, "eflags", 17, 4, NULL);
    return t;
}

static Watch *watch(QinsnRegTable *t, const char *const *names,
                    QinsnCaptureKind cap)
{
    QinsnWatchSpec o;
    g_autoptr(GError) err = NULL;
    Watch *w;

    qinsn_watch_spec_init(&o);
    o.start = o.end = 0x401000;
    o.regs = g_ptr_array_new_with_free_func(g_free);
    for (; *names; names++) {
        g_ptr_array_add(o.regs, g_strdup(*names));
    }
    if (cap) {
        g_assert_true(qinsn_watch_spec_set_capture(
            &o, cap, cap == QINSN_CAPTURE_MEM ? "rdi:2" : "rdi", &err));
    }
    w = watch_new(&o, t, NULL, &err);
    g_assert_no_error(err);
    qinsn_watch_spec_clear(&o);
    w->id = w->layout->id = 7;
    w->ev_id = TRACE_EV_WATCH_BASE + 7;
    return w;
}

/* A formatter that has seen @w's watch record. */
static void formatter(LogFormatter *f, const Watch *w)
{
    g_autoptr(GByteArray) ev = g_byte_array_new();

    logfmt_init(f, false);
    trace_encode_watch(ev, w->layout, 0, 0);
    g_assert_true(logfmt_learn(f, ev->data, ev->len));
}

static uint8_t *hit_start(uint8_t *p, const Watch *w, uint64_t hit,
                          uint64_t pc, bool stale)
{
    uint8_t st = stale;

    p = trace_put_header(p, w->ev_id, 0, 1);
    p = trace_put(p, &w->id, 4);
    p = trace_put(p, &hit, 8);
    p = trace_put(p, &pc, 8);
    return trace_put(p, &st, 1);
}

static uint8_t *put_reg(uint8_t *p, uint64_t v, int size)
{
    return trace_put(p, &v, size);
}

static void test_hit_json(void)
{
    static const char *const names[] = { "rdi", "pc", "eflags", NULL };
    g_autoptr(QinsnRegTable) t = table();
    Watch *w = watch(t, names, QINSN_CAPTURE_NONE);
    g_autoptr(GString) out = g_string_new(NULL);
    uint8_t rec[256], *p;
    LogFormatter f;
    size_t len;

    formatter(&f, w);
    p = hit_start(rec, w, 3, 0x401011, true);
    p = put_reg(p, 0xdeadbeef, 8);
    p = put_reg(p, 0x401011, 8);
    p = put_reg(p, 0x246, 4);
    len = p - rec;
    g_assert_cmpuint(len, ==, trace_event_size(f.watches, rec, sizeof(rec)));
    g_assert_true(logfmt_record(out, FORMAT_JSON, &f, 1, rec, len));
    g_assert_cmpstr(out->str, ==,
        "{\"type\":\"hit\",\"watch\":7,\"cpu\":1,\"pc\":\"0x401011\","
        "\"hit\":3,\"regs\":{\"rdi\":\"0xdeadbeef\",\"pc\":\"0x401011\","
        "\"eflags\":\"0x246\"},\"stale\":[\"eflags\"]}\n");

    g_string_truncate(out, 0);
    g_assert_true(logfmt_record(out, FORMAT_TEXT, &f, 1, rec, len));
    g_assert_cmpstr(out->str, ==,
        "hit   w7    cpu1   #3        pc=0x0000000000401011 "
        "rdi=0x00000000deadbeef pc=0x0000000000401011 "
        "eflags=0x00000246(stale)\n");

    g_string_truncate(out, 0);
    g_assert_true(logfmt_record(out, FORMAT_EVENT, &f, 1, rec, len));
    g_assert_cmpstr(out->str, ==,
        "! hit watch=7 cpu=1 pc=0x401011 hit=3 rdi=0xdeadbeef pc=0x401011 "
        "eflags=0x246 stale=eflags\n");

    /* one byte short or long: malformed, nothing written */
    g_string_truncate(out, 0);
    g_assert_false(logfmt_record(out, FORMAT_TEXT, &f, 1, rec, len - 1));
    g_assert_false(logfmt_record(out, FORMAT_TEXT, &f, 1, rec, len + 1));
    g_assert_cmpuint(out->len, ==, 0);
    logfmt_clear(&f);
    watch_free(w);
}

/* A formatter owner's disassembly: one known pc, with a quote in it. */
static const char *fake_disas(void *opaque, uint32_t watch, uint64_t pc)
{
    g_assert_cmpuint(watch, ==, 7);
    return pc == 0x401011 ? (const char *)opaque : NULL;
}

static void test_hit_disas(void)
{
    static const char *const names[] = { "rdi", NULL };
    g_autoptr(QinsnRegTable) t = table();
    Watch *w = watch(t, names, QINSN_CAPTURE_NONE);
    g_autoptr(GString) out = g_string_new(NULL);
    uint8_t rec[256], *p;
    LogFormatter f;
    size_t len;

    formatter(&f, w);
    f.disas = fake_disas;
    f.disas_opaque = (void *)"movl $0x5a5a, %esi \"q\"";
    p = hit_start(rec, w, 3, 0x401011, false);
    p = put_reg(p, 0x5, 8);
    len = p - rec;
    g_assert_true(logfmt_record(out, FORMAT_EVENT, &f, 0, rec, len));
    g_assert_cmpstr(out->str, ==,
        "! hit watch=7 cpu=0 pc=0x401011 hit=3 rdi=0x5 "
        "disas=\"movl $0x5a5a, %esi \\\"q\\\"\"\n");

    /* the logs never carry it */
    g_string_truncate(out, 0);
    g_assert_true(logfmt_record(out, FORMAT_TEXT, &f, 0, rec, len));
    g_assert_true(logfmt_record(out, FORMAT_JSON, &f, 0, rec, len));
    g_assert_null(strstr(out->str, "disas"));

    /* an instruction the owner does not know: no field */
    g_string_truncate(out, 0);
    hit_start(rec, w, 4, 0x401000, false);
    g_assert_true(logfmt_record(out, FORMAT_EVENT, &f, 0, rec, len));
    g_assert_cmpstr(out->str, ==,
                    "! hit watch=7 cpu=0 pc=0x401000 hit=4 rdi=0x5\n");
    logfmt_clear(&f);
    watch_free(w);
}

/* Translation gives a watch's hooks their text; list and events read it. */
/* What translation would give as the disassembly: @opaque, copied. */
static char *copy_text(void *opaque)
{
    return g_strdup(opaque);
}

static void test_watch_disas(void)
{
    static const char *const names[] = { NULL };
    g_autoptr(QinsnRegTable) t = table();
    WatchTable *tab = watch_table_new(10, 1 << 20);
    Watch *w = watch(t, names, QINSN_CAPTURE_NONE);
    g_autoptr(GPtrArray) hooks = g_ptr_array_new();
    g_autoptr(GString) line = g_string_new(NULL);
    g_autoptr(GString) text = g_string_new(NULL);
    uint8_t bytes[] = { 0x90 };
    uint32_t id;

    w->sym = g_strdup("f");
    g_assert_true(watch_table_add(tab, w, 0, NULL));
    watch_describe(w, t, line);
    g_assert_null(strstr(line->str, "disas="));
    g_assert_false(watch_table_disas(tab, w->id, 0x401000, text));

    watch_table_hooks_for(tab, 0x401000, bytes, 1, copy_text,
                          (void *)"nop \"x\"", hooks);
    g_assert_cmpuint(hooks->len, ==, 1);
    g_string_truncate(line, 0);
    watch_describe(w, t, line);
    g_assert_nonnull(strstr(line->str,
                            " insn=90 disas=\"nop \\\"x\\\"\" sym=f"));
    g_assert_true(watch_table_disas(tab, w->id, 0x401000, text));
    g_assert_cmpstr(text->str, ==, "nop \"x\"");
    g_assert_false(watch_table_disas(tab, w->id, 0x401001, text));

    /* retranslated with other bytes: the latest text */
    g_ptr_array_set_size(hooks, 0);
    watch_table_hooks_for(tab, 0x401000, bytes, 1, copy_text,
                          (void *)"int3", hooks);
    g_assert_cmpuint(hooks->len, ==, 1);
    g_string_truncate(text, 0);
    g_assert_true(watch_table_disas(tab, w->id, 0x401000, text));
    g_assert_cmpstr(text->str, ==, "int3");

    /* removed, not yet reclaimed: its last records still get the text */
    id = w->id;
    g_assert_true(watch_table_remove(tab, id, 0, NULL));
    g_string_truncate(text, 0);
    g_assert_true(watch_table_disas(tab, id, 0x401000, text));
    watch_table_reclaim(tab, 1, NULL);
    g_assert_false(watch_table_disas(tab, id, 0x401000, text));
    watch_table_free(tab);
}

static void test_capture(void)
{
    static const char *const names[] = { NULL };
    g_autoptr(QinsnRegTable) t = table();
    Watch *w = watch(t, names, QINSN_CAPTURE_STR);
    g_autoptr(GString) out = g_string_new(NULL);
    uint8_t rec[256], *p;
    uint32_t status = 5, len = 5;
    uint64_t addr = 0x2000;
    LogFormatter f;

    formatter(&f, w);
    p = hit_start(rec, w, 1, 0x401000, false);
    p = trace_put(p, &addr, 8);
    p = trace_put(p, &status, 4);
    p = trace_put(p, &len, 4);
    p = trace_put(p, "a\"b\x01\xc3", 5);
    g_assert_true(logfmt_record(out, FORMAT_JSON, &f, 0, rec, p - rec));
    g_assert_cmpstr(out->str, ==,
        "{\"type\":\"hit\",\"watch\":7,\"cpu\":0,\"pc\":\"0x401000\","
        "\"hit\":1,\"regs\":{},\"str\":{\"addr\":\"0x2000\",\"value\":"
        "\"a\\\"b\\u0001\\u00c3\"}}\n");

    p = hit_start(rec, w, 1, 0x401000, false);
    status = TRACE_CAP_UNREADABLE;
    len = 0;
    p = trace_put(p, &addr, 8);
    p = trace_put(p, &status, 4);
    p = trace_put(p, &len, 4);
    g_string_truncate(out, 0);
    g_assert_true(logfmt_record(out, FORMAT_EVENT, &f, 0, rec, p - rec));
    g_assert_cmpstr(out->str, ==, "! hit watch=7 cpu=0 pc=0x401000 hit=1 "
                    "str@0x2000=<unreadable>\n");
    logfmt_clear(&f);
    watch_free(w);
}

static void test_mark_drop_summary(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GByteArray) ev = g_byte_array_new();
    TraceSummaryWatch sw = { .id = 2, .start = 0x10, .end = 0x10, .hits = 5,
                             .logged = 4 };
    TraceSummary s = { .hits = 5, .logged = 4, .dropped = 1,
                       .nwatches = 1, .watches = &sw };
    LogFormatter f;

    logfmt_init(&f, false);
    trace_encode_mark(ev, "t\"1x", 0, 0);
    g_assert_true(logfmt_record(out, FORMAT_JSON, &f, 0, ev->data, ev->len));
    g_assert_cmpstr(out->str, ==, "{\"type\":\"mark\",\"token\":\"t\\\"1x\"}\n");
    g_string_truncate(out, 0);
    g_byte_array_set_size(ev, 0);
    trace_encode_drop(ev, 12, 0, 0);
    g_assert_true(logfmt_record(out, FORMAT_JSON, &f, 0, ev->data, ev->len));
    g_assert_cmpstr(out->str, ==, "{\"type\":\"drop\",\"count\":12}\n");
    g_string_truncate(out, 0);
    g_byte_array_set_size(ev, 0);
    trace_encode_stall(ev, 1, 3, 1000, 0, 0);
    g_assert_true(logfmt_record(out, FORMAT_TEXT, &f, 0, ev->data, ev->len));
    g_assert_cmpstr(out->str, ==, "stall cpu1 waited 1000 ms for the log "
                    "writer without progress: 3 hit records dropped\n");
    g_string_truncate(out, 0);
    g_byte_array_set_size(ev, 0);
    trace_encode_summary(ev, &s, 0, 0);
    g_assert_cmpuint(trace_event_size(f.watches, ev->data, ev->len), ==,
                     ev->len);
    g_assert_true(logfmt_record(out, FORMAT_JSON, &f, 0, ev->data, ev->len));
    g_assert_cmpstr(out->str, ==,
        "{\"type\":\"summary\",\"hits\":5,\"logged\":4,\"dropped\":1,"
        "\"flushes\":0,\"write_errors\":0,\"overflow\":\"wait\","
        "\"watches\":[{\"watch\":2,\"pc\":\"0x10\",\"hits\":5,"
        "\"logged\":4}]}\n");
    logfmt_clear(&f);
}

static void test_watch_record(void)
{
    static const char *const names[] = { "rdi", "eflags", NULL };
    g_autoptr(QinsnRegTable) t = table();
    Watch *w = watch(t, names, QINSN_CAPTURE_MEM);
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GByteArray) ev = g_byte_array_new();
    LogFormatter f;

    logfmt_init(&f, false);
    trace_encode_watch(ev, w->layout, 0, 0);
    g_assert_cmpuint(trace_event_size(f.watches, ev->data, ev->len), ==,
                     ev->len);
    g_assert_true(logfmt_record(out, FORMAT_TEXT, &f, 0, ev->data, ev->len));
    g_assert_cmpstr(out->str, ==, "watch w7    insn addr=0x0000000000401000 "
                    "regs=rdi,eflags regnums=5,17 mem=rdi:2\n");
    g_string_truncate(out, 0);
    g_assert_true(logfmt_record(out, FORMAT_JSON, &f, 0, ev->data, ev->len));
    g_assert_cmpstr(out->str, ==, "{\"type\":\"watch\",\"watch\":7,"
                    "\"kind\":\"insn\",\"addr\":\"0x401000\",\"regs\":"
                    "[\"rdi\",\"eflags\"],\"regnums\":[5,17],"
                    "\"mem\":\"rdi:2\"}\n");
    /* a truncated definition is refused */
    g_assert_false(logfmt_learn(&f, ev->data, ev->len - 1));
    logfmt_clear(&f);
    watch_free(w);
}

static void test_value_hex(void)
{
    static const uint8_t v[] = { 0x00, 0x10, 0x00, 0x00 };
    g_autoptr(GString) out = g_string_new(NULL);

    format_value_hex(out, v, 4, false, false);
    g_assert_cmpstr(out->str, ==, "0x1000");
    g_string_truncate(out, 0);
    format_value_hex(out, v, 4, false, true);
    g_assert_cmpstr(out->str, ==, "0x00001000");
    g_string_truncate(out, 0);
    format_value_hex(out, v, 4, true, false);
    g_assert_cmpstr(out->str, ==, "0x100000");
    g_assert_cmphex(format_value_u64(v, 4, false), ==, 0x1000);
}

static void test_record_limit(void)
{
    g_autoptr(QinsnRegTable) t = qinsn_regs_new("x86_64");
    g_autoptr(GError) err = NULL;
    QinsnWatchSpec o;

    qinsn_regs_add(t, "zmm0", 100, 128, NULL);
    qinsn_watch_spec_init(&o);
    o.regs = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < 32; i++) {
        g_ptr_array_add(o.regs, g_strdup("zmm0"));
    }
    g_assert_true(qinsn_watch_spec_set_capture(&o, QINSN_CAPTURE_MEM,
                                               "zmm0:256", &err));
    g_assert_null(watch_new(&o, t, NULL, &err));
    g_assert_error(err, QINSN_ERROR, QINSN_ERR_LIMIT);
    qinsn_watch_spec_clear(&o);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/format/hit/json-text-event", test_hit_json);
    g_test_add_func("/format/hit/capture", test_capture);
    g_test_add_func("/format/hit/disas", test_hit_disas);
    g_test_add_func("/watch/disas", test_watch_disas);
    g_test_add_func("/format/mark-drop-summary", test_mark_drop_summary);
    g_test_add_func("/format/watch-record", test_watch_record);
    g_test_add_func("/format/value-hex", test_value_hex);
    g_test_add_func("/watch/record-limit", test_record_limit);
    return g_test_run();
}
