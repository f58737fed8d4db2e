/*
 * Unit tests of record formatting: JSON Lines, the aligned text log and
 * socket events, byte for byte, for hits, stale flags, captures and marks.
 */
#include <string.h>

#include "format.h"

static QinsnRegTable *table(void)
{
    QinsnRegTable *t = qinsn_regs_new("x86_64");

    qinsn_regs_add(t, "rdi", 5, 8, NULL);
    qinsn_regs_add(t, "rip", 16, 8, NULL);
    qinsn_regs_add(t, "eflags", 17, 4, NULL);
    return t;
}

static Watch *watch(QinsnRegTable *t, const char *const *names,
                    WatchCaptureKind cap)
{
    WatchOptions o;
    g_autoptr(GError) err = NULL;
    Watch *w;

    watch_options_init(&o);
    o.start = o.end = 0x401000;
    o.regs = g_ptr_array_new_with_free_func(g_free);
    for (; *names; names++) {
        g_ptr_array_add(o.regs, g_strdup(*names));
    }
    if (cap) {
        o.capture = cap;
        o.capture_spec = g_strdup(cap == WATCH_CAPTURE_MEM ? "rdi:2" : "rdi");
    }
    w = watch_new(&o, t, NULL, &err);
    g_assert_no_error(err);
    watch_options_clear(&o);
    w->id = 7;
    return w;
}

static void put_reg(uint8_t **p, uint64_t v, int size)
{
    **p = size;
    for (int i = 0; i < size; i++) {
        (*p)[1 + i] = v >> (8 * i);
    }
    *p += 1 + size;
}

static void test_hit_json(void)
{
    static const char *const names[] = { "rdi", "$pc", "eflags", NULL };
    g_autoptr(QinsnRegTable) t = table();
    Watch *w = watch(t, names, WATCH_CAPTURE_NONE);
    FormatContext ctx = { .regs = t };
    g_autoptr(GString) out = g_string_new(NULL);
    Record *rec = g_new0(Record, 1);
    uint8_t *p = rec->data;

    rec->watch = w;
    rec->cpu = 1;
    rec->pc = 0x401011;
    rec->hit = 3;
    rec->stale = true;
    put_reg(&p, 0xdeadbeef, 8);
    put_reg(&p, 0x401011, 8);
    put_reg(&p, 0x246, 4);
    rec->len = p - rec->data;
    format_record(out, FORMAT_JSON, &ctx, rec);
    g_assert_cmpstr(out->str, ==,
        "{\"type\":\"hit\",\"watch\":7,\"cpu\":1,\"pc\":\"0x401011\","
        "\"hit\":3,\"regs\":{\"rdi\":\"0xdeadbeef\",\"pc\":\"0x401011\","
        "\"eflags\":\"0x246\"},\"stale\":[\"eflags\"]}\n");

    g_string_truncate(out, 0);
    format_record(out, FORMAT_TEXT, &ctx, rec);
    g_assert_cmpstr(out->str, ==,
        "hit   w7    cpu1   #3        pc=0x0000000000401011 "
        "rdi=0x00000000deadbeef pc=0x0000000000401011 "
        "eflags=0x00000246(stale)\n");

    g_string_truncate(out, 0);
    format_record(out, FORMAT_EVENT, &ctx, rec);
    g_assert_cmpstr(out->str, ==,
        "! hit watch=7 cpu=1 pc=0x401011 hit=3 rdi=0xdeadbeef pc=0x401011 "
        "eflags=0x246 stale=eflags\n");
    g_free(rec);
    watch_free(w);
}

static void test_capture(void)
{
    static const char *const names[] = { NULL };
    g_autoptr(QinsnRegTable) t = table();
    Watch *w = watch(t, names, WATCH_CAPTURE_STR);
    FormatContext ctx = { .regs = t };
    g_autoptr(GString) out = g_string_new(NULL);
    Record *rec = g_new0(Record, 1);
    uint32_t len = 5;
    uint64_t addr = 0x2000;

    rec->watch = w;
    rec->pc = 0x401000;
    rec->hit = 1;
    memcpy(rec->data, &len, 4);
    memcpy(rec->data + 4, &addr, 8);
    memcpy(rec->data + 12, "a\"b\x01\xc3", 5);
    format_record(out, FORMAT_JSON, &ctx, rec);
    g_assert_cmpstr(out->str, ==,
        "{\"type\":\"hit\",\"watch\":7,\"cpu\":0,\"pc\":\"0x401000\","
        "\"hit\":1,\"regs\":{},\"str\":{\"addr\":\"0x2000\",\"value\":"
        "\"a\\\"b\\u0001\\u00c3\"}}\n");

    len = UINT32_MAX;
    memcpy(rec->data, &len, 4);
    g_string_truncate(out, 0);
    format_record(out, FORMAT_EVENT, &ctx, rec);
    g_assert_cmpstr(out->str, ==, "! hit watch=7 cpu=0 pc=0x401000 hit=1 "
                    "str@0x2000=<unreadable>\n");
    g_free(rec);
    watch_free(w);
}

static void test_mark_drop_summary(void)
{
    g_autoptr(QinsnRegTable) t = table();
    FormatContext ctx = { .regs = t };
    g_autoptr(GString) out = g_string_new(NULL);
    Record rec = { .kind = RECORD_MARK, .len = 4 };
    Summary s = { .hits = 5, .logged = 4, .dropped = 1 };
    SummaryWatch sw = { .id = 2, .start = 0x10, .end = 0x10, .hits = 5,
                        .logged = 4 };

    memcpy(rec.data, "t\"1x", 4);
    format_record(out, FORMAT_JSON, &ctx, &rec);
    g_assert_cmpstr(out->str, ==, "{\"type\":\"mark\",\"token\":\"t\\\"1x\"}\n");
    g_string_truncate(out, 0);
    format_drop(out, FORMAT_JSON, 12);
    g_assert_cmpstr(out->str, ==, "{\"type\":\"drop\",\"count\":12}\n");
    g_string_truncate(out, 0);
    s.watches = g_array_new(false, true, sizeof(SummaryWatch));
    g_array_append_val(s.watches, sw);
    format_summary(out, FORMAT_JSON, &s);
    g_assert_cmpstr(out->str, ==,
        "{\"type\":\"summary\",\"hits\":5,\"logged\":4,\"dropped\":1,"
        "\"flushes\":0,\"write_errors\":0,\"watches\":[{\"watch\":2,"
        "\"pc\":\"0x10\",\"hits\":5,\"logged\":4}]}\n");
    g_array_free(s.watches, true);
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
    WatchOptions o;

    qinsn_regs_add(t, "zmm0", 100, 128, NULL);
    watch_options_init(&o);
    o.regs = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < 32; i++) {
        g_ptr_array_add(o.regs, g_strdup("zmm0"));
    }
    o.capture = WATCH_CAPTURE_MEM;
    o.capture_spec = g_strdup("zmm0:256");
    g_assert_null(watch_new(&o, t, NULL, &err));
    g_assert_error(err, QINSN_ERROR, QINSN_ERR_LIMIT);
    watch_options_clear(&o);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/format/hit/json-text-event", test_hit_json);
    g_test_add_func("/format/hit/capture", test_capture);
    g_test_add_func("/format/mark-drop-summary", test_mark_drop_summary);
    g_test_add_func("/format/value-hex", test_value_hex);
    g_test_add_func("/watch/record-limit", test_record_limit);
    return g_test_run();
}
