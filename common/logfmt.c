/*
 * Record formatting: pure functions of a binary record and the watch
 * records seen before it, so the unit tests can check every byte of every
 * format, and a trace decodes to the same bytes as the plugin writes.
 *
 * Hit records are most of any log: their lines are built by hand into
 * space reserved once per line, without printf.  The rare records are
 * formatted in logmeta.c, with printf for clarity.  A hit record is
 * decoded once (hitview.c) and then formatted in any format.
 */
#include "hitview.h"
#include "logfmt.h"
#include "logmeta.h"
#include "proto.h"

#include <inttypes.h>
#include <stdio.h>

void logfmt_init(LogFormatter *f, bool big_endian)
{
    f->watches = trace_watches_new();
    f->big_endian = big_endian;
    f->disas = NULL;
    f->disas_opaque = NULL;
}

void logfmt_clear(LogFormatter *f)
{
    g_clear_pointer(&f->watches, trace_watches_free);
}

bool logfmt_learn(LogFormatter *f, const uint8_t *ev, size_t len)
{
    TraceWatch *w;

    if (len < TRACE_HEADER_SIZE || trace_event_id(ev) != TRACE_EV_WATCH) {
        return true;
    }
    w = g_new0(TraceWatch, 1);
    if (!trace_decode_watch(ev + TRACE_HEADER_SIZE, len - TRACE_HEADER_SIZE,
                            w)) {
        g_free(w);
        return false;
    }
    trace_watches_add(f->watches, w);
    return true;
}

/*
 * Two digits at a time: the writer formats every hit record, and digit
 * by digit was most of its time on a hot watch.
 */
static const char dec_pairs[201] =
    "00010203040506070809101112131415"
    "16171819202122232425262728293031"
    "32333435363738394041424344454647"
    "48495051525354555657585960616263"
    "64656667686970717273747576777879"
    "80818283848586878889909192939495"
    "96979899";

static const char hex_pairs[513] =
    "000102030405060708090a0b0c0d0e0f"
    "101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f"
    "303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f"
    "505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f"
    "707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f"
    "909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
    "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
    "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
    "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/* Raw output into reserved space: @p moves on, the caller bounds it. */
static char *put_dec(char *p, uint64_t v, int width)
{
    char buf[24];
    int n = sizeof(buf), len;

    while (v >= 100) {
        n -= 2;
        memcpy(buf + n, dec_pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        n -= 2;
        memcpy(buf + n, dec_pairs + 2 * v, 2);
    } else {
        buf[--n] = '0' + v;
    }
    len = sizeof(buf) - n;
    memcpy(p, buf + n, len);
    p += len;
    /* left-justified in @width columns */
    for (; len < width; len++) {
        *p++ = ' ';
    }
    return p;
}

static const char hexdigits[] = "0123456789abcdef";

/* "0x" and @v in hex, zero-padded to @digits digits (0: no padding). */
static char *put_hex(char *p, uint64_t v, int digits)
{
    int n = v ? (64 - __builtin_clzll(v) + 3) / 4 : 1;
    char *end, *q;

    n = MAX(n, digits);
    *p++ = '0';
    *p++ = 'x';
    end = q = p + n;
    for (; n >= 2; n -= 2) {
        q -= 2;
        memcpy(q, hex_pairs + 2 * (v & 255), 2);
        v >>= 8;
    }
    if (n) {
        q[-1] = hexdigits[v & 15];
    }
    return end;
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);

    memcpy(p, s, n);
    return p + n;
}

/* Register @i's label (its length known: no strlen per record). */
static char *put_label(char *p, const TraceWatch *w, int i)
{
    memcpy(p, w->labels[i], w->label_lens[i]);
    return p + w->label_lens[i];
}

#define put_lit(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), \
                         (p) + sizeof(lit) - 1)

uint64_t format_value_u64(const uint8_t *bytes, int len, bool big_endian)
{
    uint64_t v = 0;
    int n = len > 8 ? 8 : len;

    if (len == 8 && big_endian == (G_BYTE_ORDER == G_BIG_ENDIAN)) {
        memcpy(&v, bytes, 8);
        return v;
    }
    for (int i = 0; i < n; i++) {
        int k = big_endian ? len - 1 - i : i;
        v |= (uint64_t)bytes[k] << (8 * i);
    }
    return v;
}

/* At most 2 + 2 * 64 characters. */
static char *put_value(char *p, const uint8_t *bytes, int len,
                       bool big_endian, bool pad)
{
    bool leading = !pad;

    if (len > 0 && len <= 8) {
        return put_hex(p, format_value_u64(bytes, len, big_endian),
                       pad ? 2 * len : 0);
    }
    *p++ = '0';
    *p++ = 'x';
    for (int i = 0; i < len && i < 64; i++) {
        uint8_t b = bytes[big_endian ? i : len - 1 - i];
        if (leading && b == 0 && i != len - 1) {
            continue;
        }
        if (!leading || b >> 4) {
            *p++ = hexdigits[b >> 4];
        }
        *p++ = hexdigits[b & 15];
        leading = false;
    }
    if (len == 0) {
        *p++ = '0';
    }
    return p;
}

void format_value_hex(GString *out, const uint8_t *bytes, int len,
                      bool big_endian, bool pad)
{
    gsize at = out->len;
    char *p;

    g_string_set_size(out, at + 2 + 2 * 64 + 1);
    p = put_value(out->str + at, bytes, len, big_endian, pad);
    g_string_truncate(out, p - out->str);
}

static void append_str_json(GString *out, const uint8_t *s, uint32_t len)
{
    g_string_append_c(out, '"');
    /* non-ASCII bytes are shown escaped so every line stays valid UTF-8 */
    for (uint32_t i = 0; i < len && s[i]; i++) {
        if (s[i] >= 0x80) {
            g_string_append_printf(out, "\\u%04x", s[i]);
        } else {
            char one[2] = { (char)s[i], 0 };
            qinsn_json_escape(out, one);
        }
    }
    g_string_append_c(out, '"');
}

static void append_bytes(GString *out, const uint8_t *b, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        g_string_append_c(out, hexdigits[b[i] >> 4]);
        g_string_append_c(out, hexdigits[b[i] & 15]);
    }
}

static void append_capture(GString *out, OutputFormat fmt,
                           const HitView *v)
{
    const char *key = v->w->capture == TRACE_CAPTURE_STR ? "str" : "mem";

    if (fmt == FORMAT_JSON) {
        g_string_append_printf(out, ",\"%s\":{\"addr\":\"0x%" PRIx64 "\",",
                               key, v->cap_addr);
        if (v->cap_status == TRACE_CAP_UNREADABLE) {
            g_string_append(out, "\"error\":\"unreadable\"}");
        } else if (v->w->capture == TRACE_CAPTURE_STR) {
            g_string_append(out, "\"value\":");
            append_str_json(out, v->cap, v->cap_status);
            g_string_append_c(out, '}');
        } else {
            g_string_append(out, "\"bytes\":\"");
            append_bytes(out, v->cap, v->cap_status);
            g_string_append(out, "\"}");
        }
        return;
    }
    g_string_append_printf(out, " %s@0x%" PRIx64 "=", key, v->cap_addr);
    if (v->cap_status == TRACE_CAP_UNREADABLE) {
        g_string_append(out, "<unreadable>");
    } else if (v->w->capture == TRACE_CAPTURE_STR) {
        append_str_json(out, v->cap, v->cap_status);
    } else {
        append_bytes(out, v->cap, v->cap_status);
    }
}

/* An event's disas="…", when the formatter's owner knows it. */
static void append_disas(GString *out, const LogFormatter *f,
                         const HitView *v)
{
    const char *text = f->disas ? f->disas(f->disas_opaque, v->w->id,
                                           v->pc) : NULL;

    if (text) {
        g_string_append(out, " disas=");
        qinsn_quote(out, text);
    }
}

/* Room for a hit line without its capture. */
static size_t hit_room(const HitView *v)
{
    size_t n = 256;

    for (int i = 0; i < v->w->nregs; i++) {
        n += v->w->label_lens[i] * 2 + 2 * 64 + 24;
    }
    return n;
}

static char *put_access(char *p, const HitView *v, OutputFormat fmt)
{
    const char *dir = v->store ? "w" : "r";

    if (fmt == FORMAT_JSON) {
        p = put_lit(p, "\"addr\":\"");
        p = put_hex(p, v->addr, 0);
        p = put_lit(p, "\",\"size\":");
        p = put_dec(p, v->size, 0);
        p = put_lit(p, ",\"dir\":\"");
        p = put_str(p, dir);
        p = put_lit(p, "\",\"value\":\"");
        p = put_value(p, v->value, v->size, false, false);
        *p++ = '"';
    } else {
        p = put_lit(p, "addr=");
        p = put_hex(p, v->addr, fmt == FORMAT_TEXT ? 16 : 0);
        p = put_lit(p, " size=");
        p = put_dec(p, v->size, fmt == FORMAT_TEXT ? 2 : 0);
        p = put_lit(p, " dir=");
        p = put_str(p, dir);
        p = put_lit(p, " value=");
        p = put_value(p, v->value, v->size, false, fmt == FORMAT_TEXT);
    }
    return p;
}

static char *put_hit_json(char *p, const LogFormatter *f, uint32_t cpu,
                          const HitView *v)
{
    const TraceWatch *w = v->w;
    bool any_stale = false;

    if (w->kind == TRACE_WATCH_MEM) {
        p = put_lit(p, "{\"type\":\"mem\",\"watch\":");
    } else {
        p = put_lit(p, "{\"type\":\"hit\",\"watch\":");
    }
    p = put_dec(p, w->id, 0);
    p = put_lit(p, ",\"cpu\":");
    p = put_dec(p, cpu, 0);
    p = put_lit(p, ",\"pc\":\"");
    p = put_hex(p, v->pc, 0);
    p = put_lit(p, "\",\"hit\":");
    p = put_dec(p, v->hit, 0);
    if (w->kind == TRACE_WATCH_MEM) {
        *p++ = ',';
        p = put_access(p, v, FORMAT_JSON);
    }
    p = put_lit(p, ",\"regs\":{");
    for (int i = 0; i < w->nregs; i++) {
        if (i) {
            *p++ = ',';
        }
        *p++ = '"';
        p = put_label(p, w, i);   /* register names need no escape */
        p = put_lit(p, "\":\"");
        p = put_value(p, v->val[i], w->regsizes[i], f->big_endian, false);
        *p++ = '"';
        any_stale |= hitview_reg_stale(v, i);
    }
    *p++ = '}';
    if (any_stale) {
        p = put_lit(p, ",\"stale\":[");
        for (int i = 0, n = 0; i < w->nregs; i++) {
            if (hitview_reg_stale(v, i)) {
                p = n++ ? put_lit(p, ",\"") : put_lit(p, "\"");
                p = put_label(p, w, i);
                *p++ = '"';
            }
        }
        *p++ = ']';
    }
    return p;
}

/* A text or event hit line up to its pc (text) or hit number (event). */
static char *put_hit_head(char *p, bool text, uint32_t cpu,
                          const HitView *v)
{
    const TraceWatch *w = v->w;
    const char *kind = w->kind == TRACE_WATCH_MEM ? "mem" : "hit";

    /* both kinds are 3 characters */
    if (text) {
        /* "%-5s w%-4u cpu%-3u #%-8lu pc=0x%016lx" */
        memcpy(p, kind, 3);
        p = put_lit(p + 3, "   w");
        p = put_dec(p, w->id, 4);
        p = put_lit(p, " cpu");
        p = put_dec(p, cpu, 3);
        p = put_lit(p, " #");
        p = put_dec(p, v->hit, 8);
        p = put_lit(p, " pc=");
        p = put_hex(p, v->pc, 16);
    } else {
        p = put_lit(p, "! ");
        memcpy(p, kind, 3);
        p += 3;
        p = put_lit(p, " watch=");
        p = put_dec(p, w->id, 0);
        p = put_lit(p, " cpu=");
        p = put_dec(p, cpu, 0);
        p = put_lit(p, " pc=");
        p = put_hex(p, v->pc, 0);
        p = put_lit(p, " hit=");
        p = put_dec(p, v->hit, 0);
    }
    return p;
}

/* A hit's text line or event, without its capture and line end. */
static char *put_hit_line(char *p, OutputFormat fmt, const LogFormatter *f,
                          uint32_t cpu, const HitView *v)
{
    const TraceWatch *w = v->w;
    bool text = fmt == FORMAT_TEXT;

    p = put_hit_head(p, text, cpu, v);
    if (w->kind == TRACE_WATCH_MEM) {
        *p++ = ' ';
        p = put_access(p, v, fmt);
    }
    for (int i = 0; i < w->nregs; i++) {
        *p++ = ' ';
        p = put_label(p, w, i);
        *p++ = '=';
        p = put_value(p, v->val[i], w->regsizes[i], f->big_endian, text);
        if (text && hitview_reg_stale(v, i)) {
            p = put_lit(p, "(stale)");
        }
    }
    if (!text) {
        for (int i = 0, n = 0; i < w->nregs; i++) {
            if (hitview_reg_stale(v, i)) {
                p = n++ ? put_lit(p, ",") : put_lit(p, " stale=");
                p = put_label(p, w, i);
            }
        }
    }
    return p;
}

static bool format_hit(GString *out, OutputFormat fmt, const LogFormatter *f,
                       uint32_t cpu, const uint8_t *ev, size_t len)
{
    HitView v;
    gsize at = out->len;
    char *p;

    if (!hitview_decode(f->watches, ev, len, &v)) {
        return false;
    }
    g_string_set_size(out, at + hit_room(&v));
    p = out->str + at;
    if (fmt == FORMAT_JSON) {
        p = put_hit_json(p, f, cpu, &v);
    } else {
        p = put_hit_line(p, fmt, f, cpu, &v);
    }
    g_string_truncate(out, p - out->str);
    if (v.w->capture != TRACE_CAPTURE_NONE) {
        append_capture(out, fmt, &v);
    }
    if (fmt == FORMAT_EVENT && v.w->kind != TRACE_WATCH_MEM) {
        append_disas(out, f, &v);
    }
    g_string_append(out, fmt == FORMAT_JSON ? "}\n" : "\n");
    return true;
}

bool logfmt_record(GString *out, OutputFormat fmt, const LogFormatter *f,
                   uint32_t cpu, const uint8_t *ev, size_t len)
{
    gsize at = out->len;
    bool ok;

    if (len < TRACE_HEADER_SIZE || fmt == FORMAT_CTF) {
        return false;
    }
    switch (trace_event_id(ev)) {
    case TRACE_EV_WATCH:
        ok = logmeta_watch(out, fmt, ev, len);
        break;
    case TRACE_EV_MARK:
        ok = logmeta_mark(out, fmt, ev, len);
        break;
    case TRACE_EV_DROP:
        ok = logmeta_drop(out, fmt, ev, len);
        break;
    case TRACE_EV_STALL:
        ok = logmeta_stall(out, fmt, ev, len);
        break;
    case TRACE_EV_SUMMARY:
        ok = fmt == FORMAT_EVENT || logmeta_summary(out, fmt, ev, len);
        break;
    default:
        ok = trace_event_id(ev) >= TRACE_EV_WATCH_BASE &&
            format_hit(out, fmt, f, cpu, ev, len);
        break;
    }
    if (!ok) {
        g_string_truncate(out, at);
    }
    return ok;
}
