/*
 * Encoding and decoding of the binary records (see trace.h): the fixed
 * records the plugin writes outside its rings, the watch definitions every
 * reader needs to lay out hit records, and record sizes for readers that
 * walk a trace.
 */
#include "regs.h"
#include "trace.h"

void trace_watch_clear(TraceWatch *w)
{
    g_free(w->sym);
    g_free(w->cond);
    g_free(w->capture_spec);
    for (int i = 0; i < w->nregs; i++) {
        g_free(w->labels[i]);
    }
    memset(w, 0, sizeof(*w));
}

void trace_watch_free(TraceWatch *w)
{
    if (w) {
        trace_watch_clear(w);
        g_free(w);
    }
}

size_t trace_hit_max(const TraceWatch *w)
{
    size_t n = TRACE_HEADER_SIZE + TRACE_HIT_FIXED;

    if (w->kind == TRACE_WATCH_MEM) {
        n += TRACE_MEM_ACCESS;
    }
    for (int i = 0; i < w->nregs; i++) {
        n += w->regsizes[i];
    }
    if (w->capture != TRACE_CAPTURE_NONE) {
        n += TRACE_CAPTURE_FIXED + w->capture_len;
    }
    return n;
}

const char *trace_get_str(TraceCursor *c)
{
    const uint8_t *nul;
    const char *s;

    if (c->bad || !(nul = memchr(c->p, 0, c->end - c->p))) {
        c->bad = true;
        return "";
    }
    s = (const char *)c->p;
    c->p = nul + 1;
    return s;
}

static void put_header(GByteArray *buf, uint32_t id, uint64_t ts,
                       uint64_t seq)
{
    uint8_t h[TRACE_HEADER_SIZE];

    trace_put_header(h, id, ts, seq);
    g_byte_array_append(buf, h, sizeof(h));
}

#define PUT(buf, v) g_byte_array_append((buf), (const guint8 *)&(v), \
                                        sizeof(v))

static void put_str(GByteArray *buf, const char *s)
{
    s = s ? s : "";
    g_byte_array_append(buf, (const guint8 *)s, strlen(s) + 1);
}

void trace_encode_watch(GByteArray *buf, const TraceWatch *w, uint64_t ts,
                        uint64_t seq)
{
    g_autoptr(GString) labels = g_string_new(NULL);

    put_header(buf, TRACE_EV_WATCH, ts, seq);
    PUT(buf, w->id);
    PUT(buf, w->kind);
    PUT(buf, w->dir);
    PUT(buf, w->addr);
    PUT(buf, w->end);
    put_str(buf, w->sym);
    put_str(buf, w->cond);
    PUT(buf, w->ignore);
    PUT(buf, w->count);
    PUT(buf, w->cpu);
    PUT(buf, w->capture);
    put_str(buf, w->capture_spec);
    PUT(buf, w->capture_len);
    PUT(buf, w->nregs);
    for (int i = 0; i < w->nregs; i++) {
        g_string_append_printf(labels, "%s%s", i ? "," : "", w->labels[i]);
    }
    put_str(buf, labels->str);
    g_byte_array_append(buf, (const guint8 *)w->regnums, 2 * w->nregs);
    g_byte_array_append(buf, w->regsizes, w->nregs);
    g_byte_array_append(buf, w->regflags, w->nregs);
}

static char *str_or_null(const char *s)
{
    return *s ? g_strdup(s) : NULL;
}

/*
 * The strings of a watch record come from request words: printable ASCII
 * without blanks.  A trace read from a file is checked for that, so that
 * no record of it can break a line of the text or JSON it decodes to.
 */
static bool word_ok(const char *s)
{
    for (; s && *s; s++) {
        if (*s < 0x21 || *s > 0x7e) {
            return false;
        }
    }
    return true;
}

static bool strings_ok(const TraceWatch *w)
{
    if (!word_ok(w->sym) || !word_ok(w->cond) || !word_ok(w->capture_spec)) {
        return false;
    }
    for (int i = 0; i < w->nregs; i++) {
        if (!qinsn_regs_name_valid(w->labels[i], NULL)) {
            return false;
        }
    }
    return true;
}

bool trace_decode_watch(const uint8_t *payload, size_t len, TraceWatch *w)
{
    TraceCursor c = { payload, payload + len, false };
    g_auto(GStrv) labels = NULL;

    memset(w, 0, sizeof(*w));
    trace_get(&c, &w->id, 4);
    trace_get(&c, &w->kind, 1);
    trace_get(&c, &w->dir, 1);
    trace_get(&c, &w->addr, 8);
    trace_get(&c, &w->end, 8);
    w->sym = str_or_null(trace_get_str(&c));
    w->cond = str_or_null(trace_get_str(&c));
    trace_get(&c, &w->ignore, 8);
    trace_get(&c, &w->count, 8);
    trace_get(&c, &w->cpu, 4);
    trace_get(&c, &w->capture, 1);
    w->capture_spec = str_or_null(trace_get_str(&c));
    trace_get(&c, &w->capture_len, 4);
    trace_get(&c, &w->nregs, 1);
    labels = g_strsplit(trace_get_str(&c), ",", -1);
    if (c.bad || w->nregs > TRACE_MAX_REGS || w->kind > TRACE_WATCH_BREAK ||
        w->capture > TRACE_CAPTURE_STR || w->capture_len > 65536 ||
        (w->nregs && g_strv_length(labels) != w->nregs)) {
        w->nregs = 0;
        trace_watch_clear(w);
        return false;
    }
    for (int i = 0; i < w->nregs; i++) {
        w->labels[i] = g_strdup(labels[i]);
    }
    trace_get(&c, w->regnums, 2 * w->nregs);
    trace_get(&c, w->regsizes, w->nregs);
    trace_get(&c, w->regflags, w->nregs);
    if (c.bad || c.p != c.end || !strings_ok(w)) {
        trace_watch_clear(w);
        return false;
    }
    return true;
}

void trace_encode_mark(GByteArray *buf, const char *token, uint64_t ts,
                       uint64_t seq)
{
    put_header(buf, TRACE_EV_MARK, ts, seq);
    put_str(buf, token);
}

void trace_encode_drop(GByteArray *buf, uint64_t count, uint64_t ts,
                       uint64_t seq)
{
    put_header(buf, TRACE_EV_DROP, ts, seq);
    PUT(buf, count);
}

void trace_encode_stall(GByteArray *buf, uint32_t cpu, uint64_t dropped,
                        uint32_t ms, uint64_t ts, uint64_t seq)
{
    put_header(buf, TRACE_EV_STALL, ts, seq);
    PUT(buf, cpu);
    PUT(buf, dropped);
    PUT(buf, ms);
}

void trace_encode_summary(GByteArray *buf, const TraceSummary *s,
                          uint64_t ts, uint64_t seq)
{
    put_header(buf, TRACE_EV_SUMMARY, ts, seq);
    PUT(buf, s->hits);
    PUT(buf, s->logged);
    PUT(buf, s->dropped);
    PUT(buf, s->flushes);
    PUT(buf, s->write_errors);
    PUT(buf, s->overflow);
    PUT(buf, s->nwatches);
    for (uint32_t i = 0; i < s->nwatches; i++) {
        const TraceSummaryWatch *sw = &s->watches[i];
        PUT(buf, sw->id);
        PUT(buf, sw->start);
        PUT(buf, sw->end);
        PUT(buf, sw->hits);
        PUT(buf, sw->logged);
    }
}

struct TraceWatches {
    GHashTable *by_id;          /* id -> TraceWatch */
};

TraceWatches *trace_watches_new(void)
{
    TraceWatches *t = g_new0(TraceWatches, 1);

    t->by_id = g_hash_table_new_full(NULL, NULL, NULL,
                                     (GDestroyNotify)trace_watch_free);
    return t;
}

void trace_watches_free(TraceWatches *t)
{
    if (t) {
        g_hash_table_unref(t->by_id);
        g_free(t);
    }
}

void trace_watches_add(TraceWatches *t, TraceWatch *w)
{
    for (int i = 0; i < w->nregs; i++) {
        w->label_lens[i] = strlen(w->labels[i]);
    }
    g_hash_table_replace(t->by_id, GUINT_TO_POINTER(w->id), w);
}

const TraceWatch *trace_watches_get(const TraceWatches *t, uint32_t id)
{
    return g_hash_table_lookup(t->by_id, GUINT_TO_POINTER(id));
}

void trace_watches_remove(TraceWatches *t, uint32_t id)
{
    g_hash_table_remove(t->by_id, GUINT_TO_POINTER(id));
}

/* The size of a string field at @c, or fail the cursor. */
static void skip_str(TraceCursor *c)
{
    (void)trace_get_str(c);
}

static size_t fixed_size(const uint8_t *p, size_t avail, uint32_t id)
{
    TraceCursor c = { p + TRACE_HEADER_SIZE, p + avail, false };
    uint8_t skip[64];
    uint8_t nregs = 0;
    uint32_t n = 0;

    switch (id) {
    case TRACE_EV_WATCH:
        trace_get(&c, skip, 4 + 1 + 1 + 8 + 8);
        skip_str(&c);
        skip_str(&c);
        trace_get(&c, skip, 8 + 8 + 4 + 1);
        skip_str(&c);
        trace_get(&c, skip, 4);
        trace_get(&c, &nregs, 1);
        skip_str(&c);
        if (nregs > TRACE_MAX_REGS) {
            return 0;
        }
        trace_get(&c, skip, 4 * nregs > 64 ? 64 : 4 * nregs);
        if (4 * nregs > 64) {
            trace_get(&c, skip, 4 * nregs - 64);
        }
        break;
    case TRACE_EV_MARK:
        skip_str(&c);
        break;
    case TRACE_EV_DROP:
        trace_get(&c, skip, 8);
        break;
    case TRACE_EV_STALL:
        trace_get(&c, skip, 4 + 8 + 4);
        break;
    case TRACE_EV_SUMMARY:
        trace_get(&c, skip, 5 * 8 + 1);
        trace_get(&c, &n, 4);
        if ((size_t)(c.end - c.p) / 36 < n) {
            return 0;
        }
        c.p += (size_t)n * 36;
        break;
    default:
        return 0;
    }
    return c.bad ? 0 : (size_t)(c.p - p);
}

size_t trace_event_size(const TraceWatches *t, const uint8_t *p,
                        size_t avail)
{
    const TraceWatch *w;
    TraceCursor c;
    size_t n;
    uint32_t cap_len;

    if (avail < TRACE_HEADER_SIZE) {
        return 0;
    }
    if (trace_event_id(p) < TRACE_EV_WATCH_BASE) {
        return fixed_size(p, avail, trace_event_id(p));
    }
    w = trace_watches_get(t, trace_event_id(p) - TRACE_EV_WATCH_BASE);
    if (!w) {
        return 0;
    }
    n = trace_hit_max(w);
    if (w->capture == TRACE_CAPTURE_NONE) {
        return n <= avail ? n : 0;
    }
    /* the capture's bytes are as many as were read */
    n -= w->capture_len;
    if (n > avail) {
        return 0;
    }
    c = (TraceCursor){ p + n - 4, p + avail, false };
    trace_get(&c, &cap_len, 4);
    if (cap_len > w->capture_len || n + cap_len > avail) {
        return 0;
    }
    return n + cap_len;
}
