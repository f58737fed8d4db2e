/*
 * Fuzz harness: record formatting (common/logfmt.c) in its three formats,
 * with binary records (common/trace.h) laid out as the plugin's hit
 * callbacks (plugin/record.c) lay them out, after the watch record that
 * defines them.
 *
 * Input: bytes that choose a target, a record kind, registers, captures
 * and all the bytes of the values.  Checks: each format gives exactly one
 * printable line; the JSON line is valid JSON; every register value read
 * back from each format is the value put in (compared with an independent
 * rendering); the record's size is what trace_event_size() says; watch
 * records, marks, drops, stalls and summaries are valid JSON too.
 */
#include <inttypes.h>
#include <string.h>

#include "fuzzlib.h"
#include "logfmt.h"
#include "watch.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_glib();
    return 0;
}

/* Input bytes, then zeros once they run out. */
typedef struct Reader {
    const uint8_t *p, *end;
} Reader;

static uint8_t take(Reader *r)
{
    return r->p < r->end ? *r->p++ : 0;
}

static uint64_t take64(Reader *r)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++) {
        v |= (uint64_t)take(r) << (8 * i);
    }
    return v;
}

/* One line, newline-terminated, printable: returns its length. */
static size_t check_line(const GString *s)
{
    FUZZ_CHECK(s->len > 0 && s->str[s->len - 1] == '\n');
    FUZZ_CHECK(fuzz_printable(s->str, s->len - 1));
    return s->len - 1;
}

static Watch *make_watch(Reader *r, const QinsnRegTable *t, QinsnWatchKind kind,
                         QinsnCaptureKind cap)
{
    g_autoptr(GError) err = NULL;
    QinsnWatchSpec o;
    Watch *w;
    int n = take(r) % (QINSN_MAX_WATCH_REGS + 1);

    qinsn_watch_spec_init(&o);
    o.kind = kind;
    o.mem_dir = QINSN_MEM_READ | QINSN_MEM_WRITE;
    o.start = o.end = take64(r);
    o.regs = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < n; i++) {
        uint8_t how = take(r);
        const QinsnReg *reg = qinsn_regs_at(t, how % t->regs->len);

        /* a name as QEMU spells it, with '$', or as a gdb number */
        g_ptr_array_add(o.regs, (how & 0x80) ?
                        g_strdup_printf("#%d", reg->gdb_num) :
                        g_strdup_printf("%s%s", (how & 0x40) ? "$" : "",
                                        reg->name));
    }
    if (kind == QINSN_WATCH_INSN && cap) {
        g_autofree char *spec = cap == QINSN_CAPTURE_MEM ?
            g_strdup_printf("%s%+d:%u", qinsn_regs_at(t, 0)->name,
                            (int8_t)take(r), 1 + take(r)) :
            g_strdup(qinsn_regs_at(t, 0)->name);

        /* names of the table and lengths of 1..256: always accepted */
        FUZZ_CHECK(qinsn_watch_spec_set_capture(&o, cap, spec, &err));
    }
    w = watch_new(&o, t, NULL, &err);
    qinsn_watch_spec_clear(&o);
    if (w) {
        /* what the watch table does when it gives the watch its id */
        w->id = w->layout->id = take(r) | take(r) << 8;
        w->ev_id = TRACE_EV_WATCH_BASE + w->id;
    } else {
        FUZZ_CHECK(err->code == QINSN_ERR_LIMIT);
    }
    return w;
}

/* One line, newline-terminated, printable: returns its length. */
static size_t check_one_line(const GString *s)
{
    size_t len = check_line(s);

    FUZZ_CHECK(!memchr(s->str, '\n', len));
    return len;
}

/*
 * The watch record of @w, learnt by @f as the writer learns it: its text
 * and JSON lines are single valid lines, and it has no event line.
 */
static void learn_watch(LogFormatter *f, const Watch *w)
{
    g_autoptr(GByteArray) ev = g_byte_array_new();
    g_autoptr(GString) out = g_string_new(NULL);

    trace_encode_watch(ev, w->layout, 1, 0);
    FUZZ_CHECK(trace_event_size(f->watches, ev->data, ev->len) == ev->len);
    FUZZ_CHECK(logfmt_learn(f, ev->data, ev->len));
    FUZZ_CHECK(logfmt_record(out, FORMAT_JSON, f, 0, ev->data, ev->len));
    FUZZ_CHECK(fuzz_json_valid(out->str, check_one_line(out)));
    g_string_truncate(out, 0);
    FUZZ_CHECK(logfmt_record(out, FORMAT_TEXT, f, 0, ev->data, ev->len));
    check_one_line(out);
    FUZZ_CHECK(g_str_has_prefix(out->str, "watch w"));
    g_string_truncate(out, 0);
    FUZZ_CHECK(logfmt_record(out, FORMAT_EVENT, f, 0, ev->data, ev->len));
    FUZZ_CHECK(out->len == 0);
}

/* Build @w's hit record at @rec as record.c does; expected renderings. */
static size_t fill(Reader *r, uint8_t *rec, const Watch *w, bool stale,
                   bool big_endian, GString *want_json, GString *want_event,
                   GString *want_text)
{
    const TraceWatch *l = w->layout;
    uint64_t hit = take64(r), pc = take64(r);
    uint8_t st = stale, *p;

    p = trace_put_header(rec, w->ev_id, take64(r), take64(r));
    p = trace_put(p, &w->id, 4);
    p = trace_put(p, &hit, 8);
    p = trace_put(p, &pc, 8);
    p = trace_put(p, &st, 1);
    if (l->kind == TRACE_WATCH_MEM) {
        static const uint8_t sizes[] = { 1, 2, 4, 8, 16 };
        uint64_t addr = take64(r);

        p = trace_put(p, &addr, 8);
        *p++ = sizes[take(r) % 5];
        *p++ = take(r) & 1;
        for (int i = 0; i < 16; i++) {
            *p++ = take(r);
        }
    }
    for (int i = 0; i < l->nregs; i++) {
        /* read_reg() fills the register's size, zeros past what it read */
        int len = l->regsizes[i];
        g_autofree char *hex = NULL;

        for (int k = 0; k < len; k++) {
            p[k] = take(r);
        }
        hex = fuzz_expected_hex(p, len, big_endian);
        g_string_append_printf(want_json, "%s\"%s\":\"%s\"", i ? "," : "",
                               l->labels[i], hex);
        g_string_append_printf(want_event, " %s=%s", l->labels[i], hex);
        g_string_append_printf(want_text, " %s=0x", l->labels[i]);
        for (int k = 0; k < len; k++) {
            g_string_append_printf(want_text, "%02x",
                                   p[big_endian ? k : len - 1 - k]);
        }
        if (!len) {
            g_string_append_c(want_text, '0');
        }
        if (stale && (l->regflags[i] & TRACE_REG_FLAGS)) {
            g_string_append(want_text, "(stale)");
        }
        p += len;
    }
    if (l->capture != TRACE_CAPTURE_NONE) {
        uint32_t status = take(r) & 1 ? TRACE_CAP_UNREADABLE :
            take(r) % (l->capture_len + 1);
        uint32_t len = status == TRACE_CAP_UNREADABLE ? 0 : status;
        uint64_t addr = take64(r);

        p = trace_put(p, &addr, 8);
        p = trace_put(p, &status, 4);
        p = trace_put(p, &len, 4);
        for (uint32_t k = 0; k < len; k++) {
            uint8_t b = take(r);
            /* a string capture stops at its NUL: none inside */
            *p++ = (l->capture == TRACE_CAPTURE_STR && !b) ? 1 : b;
        }
    }
    FUZZ_CHECK((size_t)(p - rec) <= trace_hit_max(l));
    return p - rec;
}

static void check_hit(Reader *r, const QinsnRegTable *t, uint8_t how)
{
    g_autoptr(GString) want_json = g_string_new("\"regs\":{");
    g_autoptr(GString) want_event = g_string_new(NULL);
    g_autoptr(GString) want_text = g_string_new(NULL);
    g_autoptr(GString) out = g_string_new(NULL);
    bool big_endian = how & 0x40, mem = how & 1;
    uint32_t cpu;
    g_autofree uint8_t *rec = NULL;
    LogFormatter f;
    size_t len;
    Watch *w;

    w = make_watch(r, t, mem ? QINSN_WATCH_MEM : QINSN_WATCH_INSN,
                   ((how >> 1) & 3) % 3);
    if (!w) {
        return;
    }
    logfmt_init(&f, big_endian);
    learn_watch(&f, w);
    cpu = take(r);
    rec = g_malloc(trace_hit_max(w->layout));
    len = fill(r, rec, w, how & 0x20, big_endian, want_json, want_event,
               want_text);
    g_string_append_c(want_json, '}');
    FUZZ_CHECK(trace_event_size(f.watches, rec, len) == len);
    /* a byte short: the size says it does not fit, formats refuse it */
    FUZZ_CHECK(trace_event_size(f.watches, rec, len - 1) == 0);
    FUZZ_CHECK(!logfmt_record(out, FORMAT_TEXT, &f, cpu, rec, len - 1));
    FUZZ_CHECK(out->len == 0);

    FUZZ_CHECK(logfmt_record(out, FORMAT_JSON, &f, cpu, rec, len));
    FUZZ_CHECK(fuzz_json_valid(out->str, check_one_line(out)));
    FUZZ_CHECK(strstr(out->str, want_json->str));

    g_string_truncate(out, 0);
    FUZZ_CHECK(logfmt_record(out, FORMAT_EVENT, &f, cpu, rec, len));
    check_one_line(out);
    FUZZ_CHECK(g_str_has_prefix(out->str, mem ? "! mem watch=" :
                                "! hit watch="));
    FUZZ_CHECK(strstr(out->str, want_event->str));

    g_string_truncate(out, 0);
    FUZZ_CHECK(logfmt_record(out, FORMAT_TEXT, &f, cpu, rec, len));
    check_one_line(out);
    FUZZ_CHECK(strstr(out->str, want_text->str));
    logfmt_clear(&f);
    watch_free(w);
}

static void check_mark(Reader *r)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GByteArray) ev = g_byte_array_new();
    g_autofree char *token = NULL;
    size_t len = 1 + (take(r) | (take(r) & 3) << 8);
    LogFormatter f;

    token = g_malloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        /* tokens are request words: printable, no blanks */
        token[i] = 0x21 + take(r) % 94;
    }
    token[len] = 0;
    trace_encode_mark(ev, token, take64(r), take64(r));
    logfmt_init(&f, false);
    FUZZ_CHECK(trace_event_size(f.watches, ev->data, ev->len) == ev->len);
    for (OutputFormat fmt = FORMAT_TEXT; fmt <= FORMAT_EVENT; fmt++) {
        g_string_truncate(out, 0);
        FUZZ_CHECK(logfmt_record(out, fmt, &f, 0, ev->data, ev->len));
        check_one_line(out);
        if (fmt == FORMAT_JSON) {
            FUZZ_CHECK(fuzz_json_valid(out->str, out->len - 1));
        } else {
            FUZZ_CHECK(strstr(out->str, token));
        }
    }
    logfmt_clear(&f);
}

/* Drop, stall and summary records: valid JSON, one text line a watch. */
static void check_totals(Reader *r)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GByteArray) ev = g_byte_array_new();
    g_autoptr(GArray) ws = g_array_new(false, true,
                                       sizeof(TraceSummaryWatch));
    TraceSummary s = {
        .hits = take64(r), .logged = take64(r), .dropped = take64(r),
        .flushes = take64(r), .write_errors = take64(r),
        .overflow = take(r) & 1,
    };
    int n = take(r) % 8;
    LogFormatter f;

    logfmt_init(&f, false);
    trace_encode_drop(ev, s.dropped, 0, 0);
    FUZZ_CHECK(logfmt_record(out, FORMAT_JSON, &f, 0, ev->data, ev->len));
    FUZZ_CHECK(fuzz_json_valid(out->str, check_one_line(out)));
    g_byte_array_set_size(ev, 0);
    trace_encode_stall(ev, take(r), take64(r), take64(r), 0, 0);
    g_string_truncate(out, 0);
    FUZZ_CHECK(logfmt_record(out, FORMAT_JSON, &f, 0, ev->data, ev->len));
    FUZZ_CHECK(fuzz_json_valid(out->str, check_one_line(out)));
    g_string_truncate(out, 0);
    FUZZ_CHECK(logfmt_record(out, FORMAT_TEXT, &f, 0, ev->data, ev->len));
    check_one_line(out);
    for (int i = 0; i < n; i++) {
        TraceSummaryWatch sw = {
            .id = take(r), .start = take64(r), .hits = take64(r),
            .logged = take64(r),
        };
        sw.end = take(r) & 1 ? sw.start : sw.start + take(r);
        g_array_append_val(ws, sw);
    }
    s.nwatches = n;
    s.watches = (TraceSummaryWatch *)(void *)ws->data;
    g_byte_array_set_size(ev, 0);
    trace_encode_summary(ev, &s, 0, 0);
    FUZZ_CHECK(trace_event_size(f.watches, ev->data, ev->len) == ev->len);
    g_string_truncate(out, 0);
    FUZZ_CHECK(logfmt_record(out, FORMAT_JSON, &f, 0, ev->data, ev->len));
    FUZZ_CHECK(fuzz_json_valid(out->str, check_one_line(out)));
    g_string_truncate(out, 0);
    FUZZ_CHECK(logfmt_record(out, FORMAT_TEXT, &f, 0, ev->data, ev->len));
    /* a totals line, then one line per watch */
    {
        g_auto(GStrv) lines = g_strsplit(out->str, "\n", -1);
        FUZZ_CHECK(g_strv_length(lines) == (guint)n + 2);
        for (int i = 0; lines[i]; i++) {
            FUZZ_CHECK(fuzz_printable(lines[i], strlen(lines[i])));
            FUZZ_CHECK(lines[i + 1] ? g_str_has_prefix(lines[i], "summary ")
                       : !*lines[i]);
        }
    }
    logfmt_clear(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Reader r = { .p = data, .end = data + size };
    const QinsnRegTable *t = fuzz_table(take(&r));
    uint8_t how = take(&r);

    if (size > 65536) {
        return 0;
    }
    switch (how >> 3 & 3) {
    case 0:
    case 1:
        check_hit(&r, t, how);
        break;
    case 2:
        check_mark(&r);
        break;
    case 3:
        check_totals(&r);
        break;
    }
    return 0;
}
