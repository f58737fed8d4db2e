/*
 * Record formatting.  Pure functions of a record and the register table, so
 * the unit tests can check every byte of every format.
 */
#include "format.h"

#include <inttypes.h>
#include <string.h>

/*
 * Numbers by hand, without printf: the writer formats every logged record
 * and this is most of its work.
 */
static void put_dec(GString *out, uint64_t v, int width)
{
    char buf[24];
    int n = sizeof(buf);

    do {
        buf[--n] = '0' + v % 10;
        v /= 10;
    } while (v);
    g_string_append_len(out, buf + n, sizeof(buf) - n);
    /* left-justified in @width columns */
    for (int pad = width - ((int)sizeof(buf) - n); pad > 0; pad--) {
        g_string_append_c(out, ' ');
    }
}

/* "0x" and @v in hex, zero-padded to @digits digits (0: no padding). */
static void put_hex(GString *out, uint64_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    char buf[2 + 16];
    int n = sizeof(buf);

    do {
        buf[--n] = hex[v & 15];
        v >>= 4;
    } while (v || (int)sizeof(buf) - n < digits);
    buf[--n] = 'x';
    buf[--n] = '0';
    g_string_append_len(out, buf + n, sizeof(buf) - n);
}

#define put_lit(out, lit) g_string_append_len((out), (lit), sizeof(lit) - 1)

void format_value_hex(GString *out, const uint8_t *bytes, int len,
                      bool big_endian, bool pad)
{
    static const char digits[] = "0123456789abcdef";
    char buf[2 + 2 * 64 + 1];
    int n = 0;
    bool leading = !pad;

    /* by hand: this runs for every register of every logged hit */
    if (len > 0 && len <= 8) {
        put_hex(out, format_value_u64(bytes, len, big_endian),
                pad ? 2 * len : 0);
        return;
    }
    buf[n++] = '0';
    buf[n++] = 'x';
    for (int i = 0; i < len && i < 64; i++) {
        uint8_t b = bytes[big_endian ? i : len - 1 - i];
        if (leading && b == 0 && i != len - 1) {
            continue;
        }
        if (!leading || b >> 4) {
            buf[n++] = digits[b >> 4];
        }
        buf[n++] = digits[b & 15];
        leading = false;
    }
    if (len == 0) {
        buf[n++] = '0';
    }
    g_string_append_len(out, buf, n);
}

uint64_t format_value_u64(const uint8_t *bytes, int len, bool big_endian)
{
    uint64_t v = 0;
    int n = len > 8 ? 8 : len;

    for (int i = 0; i < n; i++) {
        int k = big_endian ? len - 1 - i : i;
        v |= (uint64_t)bytes[k] << (8 * i);
    }
    return v;
}

/* A view of a hit record's data, decoded once for every format. */
typedef struct HitView {
    const uint8_t *val[QINSN_MAX_WATCH_REGS];
    int len[QINSN_MAX_WATCH_REGS];
    bool stale[QINSN_MAX_WATCH_REGS];
    bool has_capture;
    uint32_t cap_len;           /* UINT32_MAX: unreadable */
    uint64_t cap_addr;
    const uint8_t *cap;
} HitView;

static void decode_hit(const FormatContext *ctx, const Record *rec,
                       HitView *v)
{
    const struct Watch *w = rec->watch;
    /* memory records start with address, size, direction and value */
    const uint8_t *p = rec->data + (rec->kind == RECORD_MEM ? 26 : 0);

    memset(v, 0, sizeof(*v));
    for (int i = 0; i < w->nregs; i++) {
        v->len[i] = *p++;
        v->val[i] = p;
        p += v->len[i];
        v->stale[i] = rec->stale && w->regs[i] == ctx->regs->flags;
    }
    if (w->capture && rec->kind == RECORD_HIT) {
        v->has_capture = true;
        memcpy(&v->cap_len, p, 4);
        memcpy(&v->cap_addr, p + 4, 8);
        v->cap = p + 12;
    }
}

static void append_str_json(GString *out, const uint8_t *s, uint32_t len)
{
    g_autofree char *tmp = g_strndup((const char *)s, len);
    const char *c;

    g_string_append_c(out, '"');
    /* non-ASCII bytes are shown escaped so every line stays valid UTF-8 */
    for (c = tmp; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u >= 0x80) {
            g_string_append_printf(out, "\\u%04x", u);
        } else {
            char one[2] = { *c, 0 };
            qinsn_json_escape(out, one);
        }
    }
    g_string_append_c(out, '"');
}

static void append_bytes(GString *out, const uint8_t *b, uint32_t len)
{
    static const char hex[] = "0123456789abcdef";

    for (uint32_t i = 0; i < len; i++) {
        g_string_append_c(out, hex[b[i] >> 4]);
        g_string_append_c(out, hex[b[i] & 15]);
    }
}

/* Address, size, direction and value of a memory record. */
static void append_access(GString *out, const FormatContext *ctx,
                          const Record *rec, OutputFormat fmt)
{
    uint64_t addr;
    uint8_t value[16];
    int size = rec->data[8];
    const char *dir = rec->data[9] ? "w" : "r";

    memcpy(&addr, rec->data, 8);
    memcpy(value, rec->data + 10, 16);
    size = MIN(size, 16);
    if (fmt == FORMAT_JSON) {
        put_lit(out, "\"addr\":\"");
        put_hex(out, addr, 0);
        put_lit(out, "\",\"size\":");
        put_dec(out, size, 0);
        put_lit(out, ",\"dir\":\"");
        g_string_append(out, dir);
        put_lit(out, "\",\"value\":\"");
        format_value_hex(out, value, size, false, false);
        g_string_append_c(out, '"');
    } else {
        put_lit(out, "addr=");
        put_hex(out, addr, fmt == FORMAT_TEXT ? 16 : 0);
        put_lit(out, " size=");
        put_dec(out, size, fmt == FORMAT_TEXT ? 2 : 0);
        put_lit(out, " dir=");
        g_string_append(out, dir);
        put_lit(out, " value=");
        format_value_hex(out, value, size, false, fmt == FORMAT_TEXT);
    }
}

static void format_hit_json(GString *out, const FormatContext *ctx,
                            const Record *rec, const HitView *v)
{
    const struct Watch *w = rec->watch;
    bool any_stale = false;

    if (rec->kind == RECORD_MEM) {
        put_lit(out, "{\"type\":\"mem\",\"watch\":");
    } else {
        put_lit(out, "{\"type\":\"hit\",\"watch\":");
    }
    put_dec(out, w->id, 0);
    put_lit(out, ",\"cpu\":");
    put_dec(out, rec->cpu, 0);
    put_lit(out, ",\"pc\":\"");
    put_hex(out, rec->pc, 0);
    put_lit(out, "\",\"hit\":");
    put_dec(out, rec->hit, 0);
    if (rec->kind == RECORD_MEM) {
        g_string_append(out, ",");
        append_access(out, ctx, rec, FORMAT_JSON);
    }
    put_lit(out, ",\"regs\":{");
    for (int i = 0; i < w->nregs; i++) {
        if (i) {
            g_string_append_c(out, ',');
        }
        g_string_append_c(out, '"');
        qinsn_json_escape(out, w->labels[i]);
        g_string_append(out, "\":\"");
        format_value_hex(out, v->val[i], v->len[i], ctx->big_endian, false);
        g_string_append_c(out, '"');
        any_stale |= v->stale[i];
    }
    g_string_append_c(out, '}');
    if (any_stale) {
        g_string_append(out, ",\"stale\":[");
        for (int i = 0, n = 0; i < w->nregs; i++) {
            if (v->stale[i]) {
                g_string_append_printf(out, "%s\"", n++ ? "," : "");
                qinsn_json_escape(out, w->labels[i]);
                g_string_append_c(out, '"');
            }
        }
        g_string_append_c(out, ']');
    }
    if (v->has_capture) {
        const char *key = w->capture == WATCH_CAPTURE_STR ? "str" : "mem";
        g_string_append_printf(out, ",\"%s\":{\"addr\":\"0x%" PRIx64 "\",",
                               key, v->cap_addr);
        if (v->cap_len == UINT32_MAX) {
            g_string_append(out, "\"error\":\"unreadable\"}");
        } else if (w->capture == WATCH_CAPTURE_STR) {
            g_string_append(out, "\"value\":");
            append_str_json(out, v->cap, v->cap_len);
            g_string_append_c(out, '}');
        } else {
            g_string_append(out, "\"bytes\":\"");
            append_bytes(out, v->cap, v->cap_len);
            g_string_append(out, "\"}");
        }
    }
    g_string_append(out, "}\n");
}

static void format_hit_line(GString *out, OutputFormat fmt,
                            const FormatContext *ctx, const Record *rec,
                            const HitView *v)
{
    const struct Watch *w = rec->watch;
    bool text = fmt == FORMAT_TEXT;

    const char *kind = rec->kind == RECORD_MEM ? "mem" : "hit";

    if (text) {
        /* "%-5s w%-4u cpu%-3u #%-8lu pc=0x%016lx" */
        g_string_append(out, kind);
        put_lit(out, "   w");
        put_dec(out, w->id, 4);
        put_lit(out, " cpu");
        put_dec(out, rec->cpu, 3);
        put_lit(out, " #");
        put_dec(out, rec->hit, 8);
        put_lit(out, " pc=");
        put_hex(out, rec->pc, 16);
    } else {
        put_lit(out, "! ");
        g_string_append(out, kind);
        put_lit(out, " watch=");
        put_dec(out, w->id, 0);
        put_lit(out, " cpu=");
        put_dec(out, rec->cpu, 0);
        put_lit(out, " pc=");
        put_hex(out, rec->pc, 0);
        put_lit(out, " hit=");
        put_dec(out, rec->hit, 0);
    }
    if (rec->kind == RECORD_MEM) {
        g_string_append_c(out, ' ');
        append_access(out, ctx, rec, fmt);
    }
    for (int i = 0; i < w->nregs; i++) {
        g_string_append_c(out, ' ');
        g_string_append(out, w->labels[i]);
        g_string_append_c(out, '=');
        format_value_hex(out, v->val[i], v->len[i], ctx->big_endian, text);
        if (v->stale[i] && text) {
            g_string_append(out, "(stale)");
        }
    }
    if (!text) {
        for (int i = 0, n = 0; i < w->nregs; i++) {
            if (v->stale[i]) {
                g_string_append_printf(out, "%s%s", n++ ? "," : " stale=",
                                       w->labels[i]);
            }
        }
    }
    if (v->has_capture) {
        const char *key = w->capture == WATCH_CAPTURE_STR ? "str" : "mem";
        g_string_append_printf(out, " %s@0x%" PRIx64 "=", key, v->cap_addr);
        if (v->cap_len == UINT32_MAX) {
            g_string_append(out, "<unreadable>");
        } else if (w->capture == WATCH_CAPTURE_STR) {
            append_str_json(out, v->cap, v->cap_len);
        } else {
            append_bytes(out, v->cap, v->cap_len);
        }
    }
    g_string_append_c(out, '\n');
}

static void format_mark(GString *out, OutputFormat fmt, const Record *rec)
{
    g_autofree char *token = g_strndup((const char *)rec->data, rec->len);

    switch (fmt) {
    case FORMAT_TEXT:
        g_string_append_printf(out, "mark  %s\n", token);
        break;
    case FORMAT_JSON:
        g_string_append(out, "{\"type\":\"mark\",\"token\":\"");
        qinsn_json_escape(out, token);
        g_string_append(out, "\"}\n");
        break;
    case FORMAT_EVENT:
        g_string_append_printf(out, "! mark token=%s\n", token);
        break;
    }
}

/* The options of a watch record, in the order the protocol lists them. */
static void watch_options_text(GString *out, const struct Watch *w,
                               const FormatContext *ctx)
{
    put_lit(out, " regs=");
    for (int i = 0; i < w->nregs; i++) {
        if (i) {
            g_string_append_c(out, ',');
        }
        g_string_append(out, w->labels[i]);
    }
    g_string_append(out, w->nregs ? " regnums=" : "- regnums=-");
    for (int i = 0; i < w->nregs; i++) {
        if (i) {
            g_string_append_c(out, ',');
        }
        put_dec(out, qinsn_regs_at(ctx->regs, w->regs[i])->gdb_num, 0);
    }
    if (w->has_cond) {
        g_string_append_printf(out, " if=%s", w->cond_text);
    }
    if (w->ignore) {
        g_string_append_printf(out, " ignore=%" PRIu64, w->ignore);
    }
    if (w->count) {
        g_string_append_printf(out, " count=%" PRIu64, w->count);
    }
    if (w->cpu >= 0) {
        g_string_append_printf(out, " cpu=%d", w->cpu);
    }
    if (w->capture_text) {
        g_string_append_printf(out, " %s", w->capture_text);
    }
}

static const char *watch_dir(const struct Watch *w)
{
    static const char *const dirs[] = { "", "r", "w", "rw" };

    return dirs[w->mem_dir & 3];
}

static void watch_options_json(GString *out, const struct Watch *w,
                               const FormatContext *ctx)
{
    put_lit(out, ",\"regs\":[");
    for (int i = 0; i < w->nregs; i++) {
        g_string_append(out, i ? ",\"" : "\"");
        qinsn_json_escape(out, w->labels[i]);
        g_string_append_c(out, '"');
    }
    put_lit(out, "],\"regnums\":[");
    for (int i = 0; i < w->nregs; i++) {
        if (i) {
            g_string_append_c(out, ',');
        }
        put_dec(out, qinsn_regs_at(ctx->regs, w->regs[i])->gdb_num, 0);
    }
    g_string_append_c(out, ']');
    if (w->has_cond) {
        put_lit(out, ",\"if\":\"");
        qinsn_json_escape(out, w->cond_text);
        g_string_append_c(out, '"');
    }
    if (w->ignore) {
        g_string_append_printf(out, ",\"ignore\":%" PRIu64, w->ignore);
    }
    if (w->count) {
        g_string_append_printf(out, ",\"count\":%" PRIu64, w->count);
    }
    if (w->cpu >= 0) {
        g_string_append_printf(out, ",\"cpu\":%d", w->cpu);
    }
    if (w->capture_text) {
        /* "mem=SPEC" or "str=SPEC" */
        g_string_append_printf(out, ",\"%.3s\":\"", w->capture_text);
        qinsn_json_escape(out, w->capture_text + 4);
        g_string_append_c(out, '"');
    }
}

/* The definition of a watch, written when it is created. */
static void format_watch(GString *out, OutputFormat fmt,
                         const FormatContext *ctx, const struct Watch *w)
{
    const char *kind = w->kind == WATCH_MEM ? "mem" : "insn";
    bool range = w->end != w->start;

    if (fmt == FORMAT_JSON) {
        g_string_append_printf(out, "{\"type\":\"watch\",\"watch\":%u,"
                               "\"kind\":\"%s\",\"addr\":\"0x%" PRIx64
                               "\"", w->id, kind, w->start);
        if (range) {
            g_string_append_printf(out, ",\"end\":\"0x%" PRIx64 "\"", w->end);
        }
        if (w->sym) {
            put_lit(out, ",\"sym\":\"");
            qinsn_json_escape(out, w->sym);
            g_string_append_c(out, '"');
        }
        watch_options_json(out, w, ctx);
        if (w->kind == WATCH_MEM) {
            g_string_append_printf(out, ",\"dir\":\"%s\"", watch_dir(w));
        }
        g_string_append(out, "}\n");
        return;
    }
    if (fmt != FORMAT_TEXT) {
        return;             /* subscribers learn watches from `list` */
    }
    put_lit(out, "watch w");
    put_dec(out, w->id, 4);
    g_string_append_printf(out, " %s addr=", kind);
    put_hex(out, w->start, 16);
    if (range) {
        put_lit(out, " end=");
        put_hex(out, w->end, 16);
    }
    if (w->sym) {
        g_string_append_printf(out, " sym=%s", w->sym);
    }
    watch_options_text(out, w, ctx);
    if (w->kind == WATCH_MEM) {
        g_string_append_printf(out, " dir=%s", watch_dir(w));
    }
    g_string_append_c(out, '\n');
}

void format_record(GString *out, OutputFormat fmt, const FormatContext *ctx,
                   const Record *rec)
{
    HitView v;

    if (rec->kind == RECORD_MARK) {
        format_mark(out, fmt, rec);
        return;
    }
    if (rec->kind == RECORD_WATCH) {
        format_watch(out, fmt, ctx, rec->watch);
        return;
    }
    decode_hit(ctx, rec, &v);
    if (fmt == FORMAT_JSON) {
        format_hit_json(out, ctx, rec, &v);
    } else {
        format_hit_line(out, fmt, ctx, rec, &v);
    }
}

void format_drop(GString *out, OutputFormat fmt, uint64_t count)
{
    switch (fmt) {
    case FORMAT_TEXT:
        g_string_append_printf(out, "drop  %" PRIu64 " hit record%s lost: "
                               "the log could not keep up\n", count,
                               count == 1 ? "" : "s");
        break;
    case FORMAT_JSON:
        g_string_append_printf(out, "{\"type\":\"drop\",\"count\":%" PRIu64
                               "}\n", count);
        break;
    case FORMAT_EVENT:
        g_string_append_printf(out, "! drop count=%" PRIu64 "\n", count);
        break;
    }
}

void format_summary(GString *out, OutputFormat fmt, const Summary *s)
{
    guint n = s->watches ? s->watches->len : 0;

    if (fmt == FORMAT_JSON) {
        g_string_append_printf(out, "{\"type\":\"summary\",\"hits\":%" PRIu64
                               ",\"logged\":%" PRIu64 ",\"dropped\":%" PRIu64
                               ",\"flushes\":%" PRIu64 ",\"write_errors\":%"
                               PRIu64 ",\"watches\":[", s->hits, s->logged,
                               s->dropped, s->flushes, s->write_errors);
        for (guint i = 0; i < n; i++) {
            SummaryWatch *sw = &g_array_index(s->watches, SummaryWatch, i);
            g_string_append_printf(out, "%s{\"watch\":%u,\"pc\":\"0x%" PRIx64
                                   "\",", i ? "," : "", sw->id, sw->start);
            if (sw->end != sw->start) {
                g_string_append_printf(out, "\"end\":\"0x%" PRIx64 "\",",
                                       sw->end);
            }
            g_string_append_printf(out, "\"hits\":%" PRIu64 ",\"logged\":%"
                                   PRIu64 "}", sw->hits, sw->logged);
        }
        g_string_append(out, "]}\n");
        return;
    }
    g_string_append_printf(out, "summary hits=%" PRIu64 " logged=%" PRIu64
                           " dropped=%" PRIu64 " flushes=%" PRIu64
                           " write_errors=%" PRIu64 "\n", s->hits, s->logged,
                           s->dropped, s->flushes, s->write_errors);
    for (guint i = 0; i < n; i++) {
        SummaryWatch *sw = &g_array_index(s->watches, SummaryWatch, i);
        g_string_append_printf(out, "summary w%-4u pc=0x%016" PRIx64
                               " hits=%" PRIu64 " logged=%" PRIu64 "\n",
                               sw->id, sw->start, sw->hits, sw->logged);
    }
}
