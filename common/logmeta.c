/*
 * The rare records of a log (see logfmt.c): watch definitions, marks,
 * drops, stalls and the summary, in text, JSON and events.
 */
#include <inttypes.h>
#include <stdio.h>

#include "logfmt.h"
#include "logmeta.h"
#include "proto.h"

/* The options of a watch record, in the order the protocol lists them. */
static void watch_options(GString *out, OutputFormat fmt,
                          const TraceWatch *w)
{
    bool json = fmt == FORMAT_JSON;

    if (json) {
        g_string_append(out, ",\"regs\":[");
        for (int i = 0; i < w->nregs; i++) {
            g_string_append_printf(out, "%s\"%s\"", i ? "," : "",
                                   w->labels[i]);
        }
        g_string_append(out, "],\"regnums\":[");
    } else {
        g_string_append(out, " regs=");
        for (int i = 0; i < w->nregs; i++) {
            g_string_append_printf(out, "%s%s", i ? "," : "", w->labels[i]);
        }
        g_string_append(out, w->nregs ? " regnums=" : "- regnums=-");
    }
    for (int i = 0; i < w->nregs; i++) {
        g_string_append_printf(out, "%s%u", i ? "," : "", w->regnums[i]);
    }
    if (json) {
        g_string_append_c(out, ']');
    }
    if (w->cond) {
        g_string_append(out, json ? ",\"if\":\"" : " if=");
        qinsn_json_escape(out, w->cond);
        g_string_append(out, json ? "\"" : "");
    }
    if (w->ignore) {
        g_string_append_printf(out, json ? ",\"ignore\":%" PRIu64 :
                               " ignore=%" PRIu64, w->ignore);
    }
    if (w->count) {
        g_string_append_printf(out, json ? ",\"count\":%" PRIu64 :
                               " count=%" PRIu64, w->count);
    }
    if (w->cpu >= 0) {
        g_string_append_printf(out, json ? ",\"cpu\":%d" : " cpu=%d",
                               w->cpu);
    }
    if (w->capture != TRACE_CAPTURE_NONE) {
        const char *key = w->capture == TRACE_CAPTURE_STR ? "str" : "mem";
        g_string_append_printf(out, json ? ",\"%s\":\"" : " %s=", key);
        qinsn_json_escape(out, w->capture_spec ? w->capture_spec : "");
        g_string_append(out, json ? "\"" : "");
    }
}

static const char *const watch_kinds[] = { "insn", "mem", "break" };
static const char *const dirs[] = { "", "r", "w", "rw" };

/* The definition of a watch, written when it is created. */
bool logmeta_watch(GString *out, OutputFormat fmt, const uint8_t *ev,
                   size_t len)
{
    g_auto(TraceWatch) w = { 0 };
    bool range;

    if (!trace_decode_watch(ev + TRACE_HEADER_SIZE, len - TRACE_HEADER_SIZE,
                            &w)) {
        return false;
    }
    range = w.end != w.addr;
    if (fmt == FORMAT_JSON) {
        g_string_append_printf(out, "{\"type\":\"watch\",\"watch\":%u,"
                               "\"kind\":\"%s\",\"addr\":\"0x%" PRIx64 "\"",
                               w.id, watch_kinds[w.kind], w.addr);
        if (range) {
            g_string_append_printf(out, ",\"end\":\"0x%" PRIx64 "\"", w.end);
        }
        if (w.sym) {
            g_string_append(out, ",\"sym\":\"");
            qinsn_json_escape(out, w.sym);
            g_string_append_c(out, '"');
        }
        watch_options(out, fmt, &w);
        if (w.kind == TRACE_WATCH_MEM) {
            g_string_append_printf(out, ",\"dir\":\"%s\"", dirs[w.dir & 3]);
        }
        g_string_append(out, "}\n");
        return true;
    }
    if (fmt != FORMAT_TEXT) {
        return true;            /* subscribers learn watches from `list` */
    }
    g_string_append_printf(out, "watch w%-4u %s addr=0x%016" PRIx64, w.id,
                           watch_kinds[w.kind], w.addr);
    if (range) {
        g_string_append_printf(out, " end=0x%016" PRIx64, w.end);
    }
    if (w.sym) {
        g_string_append_printf(out, " sym=%s", w.sym);
    }
    watch_options(out, fmt, &w);
    if (w.kind == TRACE_WATCH_MEM) {
        g_string_append_printf(out, " dir=%s", dirs[w.dir & 3]);
    }
    g_string_append_c(out, '\n');
    return true;
}

bool logmeta_mark(GString *out, OutputFormat fmt, const uint8_t *ev,
                  size_t len)
{
    TraceCursor c = { ev + TRACE_HEADER_SIZE, ev + len, false };
    const char *token = trace_get_str(&c);

    if (c.bad || c.p != c.end) {
        return false;
    }
    /* a token is a request word: a damaged trace must not break lines */
    for (const char *p = token; *p; p++) {
        if (*p < 0x21 || *p > 0x7e) {
            return false;
        }
    }
    switch (fmt) {
    case FORMAT_TEXT:
        g_string_append_printf(out, "mark  %s\n", token);
        break;
    case FORMAT_JSON:
        g_string_append(out, "{\"type\":\"mark\",\"token\":\"");
        qinsn_json_escape(out, token);
        g_string_append(out, "\"}\n");
        break;
    default:
        g_string_append_printf(out, "! mark token=%s\n", token);
        break;
    }
    return true;
}

bool logmeta_drop(GString *out, OutputFormat fmt, const uint8_t *ev,
                  size_t len)
{
    TraceCursor c = { ev + TRACE_HEADER_SIZE, ev + len, false };
    uint64_t count;

    if (!trace_get(&c, &count, 8) || c.p != c.end) {
        return false;
    }
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
    default:
        g_string_append_printf(out, "! drop count=%" PRIu64 "\n", count);
        break;
    }
    return true;
}

bool logmeta_stall(GString *out, OutputFormat fmt, const uint8_t *ev,
                   size_t len)
{
    TraceCursor c = { ev + TRACE_HEADER_SIZE, ev + len, false };
    uint32_t cpu, ms;
    uint64_t dropped;

    trace_get(&c, &cpu, 4);
    trace_get(&c, &dropped, 8);
    trace_get(&c, &ms, 4);
    if (c.bad || c.p != c.end) {
        return false;
    }
    switch (fmt) {
    case FORMAT_TEXT:
        g_string_append_printf(out, "stall cpu%u waited %u ms for the log "
                               "writer without progress: %" PRIu64
                               " hit record%s dropped\n", cpu, ms, dropped,
                               dropped == 1 ? "" : "s");
        break;
    case FORMAT_JSON:
        g_string_append_printf(out, "{\"type\":\"stall\",\"cpu\":%u,"
                               "\"ms\":%u,\"dropped\":%" PRIu64 "}\n", cpu,
                               ms, dropped);
        break;
    default:
        g_string_append_printf(out, "! stall cpu=%u ms=%u dropped=%" PRIu64
                               "\n", cpu, ms, dropped);
        break;
    }
    return true;
}

static const char *const overflow_names[] = { "wait", "drop" };

static void summary_watch(GString *out, OutputFormat fmt, bool first,
                          const TraceSummaryWatch *sw)
{
    if (fmt == FORMAT_JSON) {
        g_string_append_printf(out, "%s{\"watch\":%u,\"pc\":\"0x%" PRIx64
                               "\",", first ? "" : ",", sw->id, sw->start);
        if (sw->end != sw->start) {
            g_string_append_printf(out, "\"end\":\"0x%" PRIx64 "\",",
                                   sw->end);
        }
        g_string_append_printf(out, "\"hits\":%" PRIu64 ",\"logged\":%"
                               PRIu64 "}", sw->hits, sw->logged);
    } else {
        g_string_append_printf(out, "summary w%-4u pc=0x%016" PRIx64
                               " hits=%" PRIu64 " logged=%" PRIu64 "\n",
                               sw->id, sw->start, sw->hits, sw->logged);
    }
}

/* A summary's totals: its text line, or its JSON object up to the watches. */
static void summary_totals(GString *out, OutputFormat fmt,
                           const TraceSummary *s)
{
    if (fmt == FORMAT_JSON) {
        g_string_append_printf(out, "{\"type\":\"summary\",\"hits\":%" PRIu64
                               ",\"logged\":%" PRIu64 ",\"dropped\":%" PRIu64
                               ",\"flushes\":%" PRIu64 ",\"write_errors\":%"
                               PRIu64 ",\"overflow\":\"%s\",\"watches\":[",
                               s->hits, s->logged, s->dropped, s->flushes,
                               s->write_errors, overflow_names[s->overflow]);
    } else {
        g_string_append_printf(out, "summary hits=%" PRIu64 " logged=%" PRIu64
                               " dropped=%" PRIu64 " flushes=%" PRIu64
                               " write_errors=%" PRIu64 " overflow=%s\n",
                               s->hits, s->logged, s->dropped, s->flushes,
                               s->write_errors, overflow_names[s->overflow]);
    }
}

bool logmeta_summary(GString *out, OutputFormat fmt,
                     const uint8_t *ev, size_t len)
{
    TraceCursor c = { ev + TRACE_HEADER_SIZE, ev + len, false };
    TraceSummary s = { 0 };
    gsize at = out->len;

    trace_get(&c, &s.hits, 8);
    trace_get(&c, &s.logged, 8);
    trace_get(&c, &s.dropped, 8);
    trace_get(&c, &s.flushes, 8);
    trace_get(&c, &s.write_errors, 8);
    trace_get(&c, &s.overflow, 1);
    trace_get(&c, &s.nwatches, 4);
    if (c.bad || s.overflow > 1) {
        return false;
    }
    summary_totals(out, fmt, &s);
    for (uint32_t i = 0; i < s.nwatches; i++) {
        TraceSummaryWatch sw;
        trace_get(&c, &sw.id, 4);
        trace_get(&c, &sw.start, 8);
        trace_get(&c, &sw.end, 8);
        trace_get(&c, &sw.hits, 8);
        trace_get(&c, &sw.logged, 8);
        if (c.bad) {
            g_string_truncate(out, at);
            return false;
        }
        summary_watch(out, fmt, i == 0, &sw);
    }
    if (c.p != c.end) {
        g_string_truncate(out, at);
        return false;
    }
    if (fmt == FORMAT_JSON) {
        g_string_append(out, "]}\n");
    }
    return true;
}
