/*
 * Fuzz harness: record formatting (plugin/format.c) in its three formats,
 * with records laid out as the plugin's execution callbacks lay them out.
 *
 * Input: bytes that choose a target, a record kind, registers, value
 * lengths, captures and all the bytes of the values.  Checks: each format
 * gives exactly one printable line; the JSON line is valid JSON; every
 * register value read back from each format is the value put in (compared
 * with an independent rendering); drops and summaries are valid JSON too.
 */
#include <inttypes.h>
#include <string.h>

#include "format.h"
#include "fuzzlib.h"

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

static Watch *make_watch(Reader *r, const QinsnRegTable *t, WatchKind kind,
                         WatchCaptureKind cap)
{
    g_autoptr(GError) err = NULL;
    WatchOptions o;
    Watch *w;
    int n = take(r) % (QINSN_MAX_WATCH_REGS + 1);

    watch_options_init(&o);
    o.kind = kind;
    o.mem_dir = WATCH_MEM_READ | WATCH_MEM_WRITE;
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
    if (kind == WATCH_INSN && cap) {
        o.capture = cap;
        o.capture_spec = cap == WATCH_CAPTURE_MEM ?
            g_strdup_printf("%s%+d:%u", qinsn_regs_at(t, 0)->name,
                            (int8_t)take(r), 1 + take(r)) :
            g_strdup(qinsn_regs_at(t, 0)->name);
    }
    w = watch_new(&o, t, NULL, &err);
    watch_options_clear(&o);
    if (w) {
        w->id = take(r) | take(r) << 8;
    } else {
        FUZZ_CHECK(err->code == QINSN_ERR_LIMIT);
    }
    return w;
}

/* Fill @rec as qinsn.c does; the expected renderings go to @want_*. */
static void fill(Reader *r, Record *rec, const Watch *w,
                 const QinsnRegTable *t, bool big_endian,
                 GString *want_json, GString *want_event, GString *want_text)
{
    uint8_t *p = rec->data;

    if (rec->kind == RECORD_MEM) {
        uint64_t addr = take64(r);
        static const uint8_t sizes[] = { 1, 2, 4, 8, 16 };

        memcpy(p, &addr, 8);
        p[8] = sizes[take(r) % 5];
        p[9] = take(r) & 1;
        for (int i = 0; i < 16; i++) {
            p[10 + i] = take(r);
        }
        p += 26;
    }
    for (int i = 0; i < w->nregs; i++) {
        int max = qinsn_regs_at(t, w->regs[i])->size;
        g_autofree char *hex = NULL;
        /* read_reg() gives at most the register's size */
        int len = max ? take(r) % (max + 1) : 0;

        *p++ = (uint8_t)len;
        for (int k = 0; k < len; k++) {
            p[k] = take(r);
        }
        hex = fuzz_expected_hex(p, len, big_endian);
        g_string_append_printf(want_json, "%s\"%s\":\"%s\"", i ? "," : "",
                               w->labels[i], hex);
        g_string_append_printf(want_event, " %s=%s", w->labels[i], hex);
        g_string_append_printf(want_text, " %s=0x", w->labels[i]);
        for (int k = 0; k < len; k++) {
            g_string_append_printf(want_text, "%02x",
                                   p[big_endian ? k : len - 1 - k]);
        }
        if (!len) {
            g_string_append_c(want_text, '0');
        }
        if (rec->stale && w->regs[i] == t->flags) {
            g_string_append(want_text, "(stale)");
        }
        p += len;
    }
    if (rec->kind == RECORD_HIT && w->capture) {
        uint32_t status = take(r) & 1 ? UINT32_MAX :
            take(r) % (w->capture_len + 1);
        uint64_t addr = take64(r);

        memcpy(p, &status, 4);
        memcpy(p + 4, &addr, 8);
        p += 12;
        for (uint32_t k = 0; status != UINT32_MAX && k < status; k++) {
            uint8_t b = take(r);
            /* a string capture stops at its NUL: none inside */
            *p++ = (w->capture == WATCH_CAPTURE_STR && !b) ? 1 : b;
        }
    }
    rec->len = p - rec->data;
    FUZZ_CHECK(rec->len <= w->record_bytes);
}

static void check_hit(Reader *r, const QinsnRegTable *t, uint8_t how)
{
    g_autoptr(GString) want_json = g_string_new("\"regs\":{");
    g_autoptr(GString) want_event = g_string_new(NULL);
    g_autoptr(GString) want_text = g_string_new(NULL);
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree Record *rec = g_new0(Record, 1);
    bool big_endian = how & 0x40;
    FormatContext ctx = { .regs = t, .big_endian = big_endian };
    Watch *w;

    rec->kind = how & 1 ? RECORD_MEM : RECORD_HIT;
    w = make_watch(r, t, rec->kind == RECORD_MEM ? WATCH_MEM : WATCH_INSN,
                   ((how >> 1) & 3) % 3);
    if (!w) {
        return;
    }
    rec->watch = w;
    rec->cpu = take(r);
    rec->pc = take64(r);
    rec->hit = take64(r);
    rec->stale = how & 0x20;
    fill(r, rec, w, t, big_endian, want_json, want_event, want_text);
    g_string_append_c(want_json, '}');

    format_record(out, FORMAT_JSON, &ctx, rec);
    FUZZ_CHECK(fuzz_json_valid(out->str, check_line(out)));
    FUZZ_CHECK(strstr(out->str, want_json->str));

    g_string_truncate(out, 0);
    format_record(out, FORMAT_EVENT, &ctx, rec);
    check_line(out);
    FUZZ_CHECK(g_str_has_prefix(out->str, rec->kind == RECORD_MEM ?
                                "! mem watch=" : "! hit watch="));
    FUZZ_CHECK(strstr(out->str, want_event->str));

    g_string_truncate(out, 0);
    format_record(out, FORMAT_TEXT, &ctx, rec);
    check_line(out);
    FUZZ_CHECK(strstr(out->str, want_text->str));
    watch_free(w);
}

static void check_mark(Reader *r, const QinsnRegTable *t)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree Record *rec = g_new0(Record, 1);
    g_autofree char *token = NULL;
    FormatContext ctx = { .regs = t };
    size_t len = 1 + (take(r) | (take(r) & 3) << 8);

    rec->kind = RECORD_MARK;
    for (size_t i = 0; i < len; i++) {
        /* tokens are request words: printable, no blanks */
        rec->data[i] = 0x21 + take(r) % 94;
    }
    rec->len = len;
    token = g_strndup((char *)rec->data, len);
    for (OutputFormat f = FORMAT_TEXT; f <= FORMAT_EVENT; f++) {
        g_string_truncate(out, 0);
        format_record(out, f, &ctx, rec);
        check_line(out);
        if (f == FORMAT_JSON) {
            FUZZ_CHECK(fuzz_json_valid(out->str, out->len - 1));
        } else {
            FUZZ_CHECK(strstr(out->str, token));
        }
    }
}

static void check_totals(Reader *r)
{
    g_autoptr(GString) out = g_string_new(NULL);
    Summary s = {
        .hits = take64(r), .logged = take64(r), .dropped = take64(r),
        .flushes = take64(r), .write_errors = take64(r),
    };
    int n = take(r) % 8;

    format_drop(out, FORMAT_JSON, s.dropped);
    FUZZ_CHECK(fuzz_json_valid(out->str, check_line(out)));
    s.watches = g_array_new(false, true, sizeof(SummaryWatch));
    for (int i = 0; i < n; i++) {
        SummaryWatch sw = {
            .id = take(r), .start = take64(r), .hits = take64(r),
            .logged = take64(r),
        };
        sw.end = take(r) & 1 ? sw.start : sw.start + take(r);
        g_array_append_val(s.watches, sw);
    }
    g_string_truncate(out, 0);
    format_summary(out, FORMAT_JSON, &s);
    FUZZ_CHECK(fuzz_json_valid(out->str, check_line(out)));
    g_string_truncate(out, 0);
    format_summary(out, FORMAT_TEXT, &s);
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
    g_array_free(s.watches, true);
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
        check_mark(&r, t);
        break;
    case 3:
        check_totals(&r);
        break;
    }
    return 0;
}
