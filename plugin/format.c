/*
 * Record formatting.  Pure functions of a record and the register table, so
 * the unit tests can check every byte of every format.
 */
#include "format.h"

#include <inttypes.h>
#include <string.h>

void format_value_hex(GString *out, const uint8_t *bytes, int len,
                      bool big_endian, bool pad)
{
    static const char digits[] = "0123456789abcdef";
    char buf[2 + 2 * 64 + 1];
    int n = 0;
    bool leading = !pad;

    /* by hand: this runs for every register of every logged hit */
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
    for (uint32_t i = 0; i < len; i++) {
        g_string_append_printf(out, "%02x", b[i]);
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
        g_string_append_printf(out, "\"addr\":\"0x%" PRIx64 "\",\"size\":%d,"
                               "\"dir\":\"%s\",\"value\":\"", addr, size, dir);
        format_value_hex(out, value, size, false, false);
        g_string_append_c(out, '"');
    } else {
        g_string_append_printf(out, fmt == FORMAT_TEXT ?
                               "addr=0x%016" PRIx64 " size=%-2d dir=%s value=" :
                               "addr=0x%" PRIx64 " size=%d dir=%s value=",
                               addr, size, dir);
        format_value_hex(out, value, size, false, fmt == FORMAT_TEXT);
    }
}

static void format_hit_json(GString *out, const FormatContext *ctx,
                            const Record *rec, const HitView *v)
{
    const struct Watch *w = rec->watch;
    bool any_stale = false;

    g_string_append_printf(out, "{\"type\":\"%s\",\"watch\":%u,\"cpu\":%u,"
                           "\"pc\":\"0x%" PRIx64 "\",\"hit\":%" PRIu64,
                           rec->kind == RECORD_MEM ? "mem" : "hit", w->id,
                           rec->cpu, rec->pc, rec->hit);
    if (rec->kind == RECORD_MEM) {
        g_string_append(out, ",");
        append_access(out, ctx, rec, FORMAT_JSON);
    }
    g_string_append(out, ",\"regs\":{");
    for (int i = 0; i < w->nregs; i++) {
        g_string_append_printf(out, "%s\"", i ? "," : "");
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
        g_string_append_printf(out, "%-5s w%-4u cpu%-3u #%-8" PRIu64
                               " pc=0x%016" PRIx64, kind, w->id, rec->cpu,
                               rec->hit, rec->pc);
    } else {
        g_string_append_printf(out, "! %s watch=%u cpu=%u pc=0x%" PRIx64
                               " hit=%" PRIu64, kind, w->id, rec->cpu,
                               rec->pc, rec->hit);
    }
    if (rec->kind == RECORD_MEM) {
        g_string_append_c(out, ' ');
        append_access(out, ctx, rec, fmt);
    }
    for (int i = 0; i < w->nregs; i++) {
        g_string_append_printf(out, " %s=", w->labels[i]);
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

void format_record(GString *out, OutputFormat fmt, const FormatContext *ctx,
                   const Record *rec)
{
    HitView v;

    if (rec->kind == RECORD_MARK) {
        format_mark(out, fmt, rec);
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
