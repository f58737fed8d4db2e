/*
 * Fuzz harness: reading binary records and trace files, as `qinsn decode`
 * reads a trace that may be damaged or crafted.
 *
 * Input: a mode byte, then either records back to back (odd mode: walked
 * with trace_event_size(), learnt and formatted as the plugin's writer
 * does) or a stream file of a CTF trace (even mode: read packet by packet
 * with cli/ctfread.c from memory, each event learnt and formatted as
 * decode.c does).  Checks: no crash; a size is never beyond the bytes
 * there are; every line formatted is printable and newline-terminated,
 * JSON lines are valid JSON, and the output of a record stays within a
 * bound of its size and of the watch records it depends on.
 */
#include <stdio.h>
#include <string.h>

#include "ctfread.h"
#include "fuzzlib.h"
#include "logfmt.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_glib();
    return 0;
}

typedef struct State {
    LogFormatter f;
    GString *out;
    size_t watch_max;           /* the largest watch record learnt */
} State;

/* Every line of @s printable and newline-terminated, and JSON if @json. */
static void check_lines(const GString *s, bool json)
{
    const char *p = s->str, *end = s->str + s->len;

    FUZZ_CHECK(s->len == 0 || s->str[s->len - 1] == '\n');
    while (p < end) {
        const char *nl = memchr(p, '\n', end - p);
        FUZZ_CHECK(nl);
        FUZZ_CHECK(fuzz_printable(p, nl - p));
        if (json) {
            FUZZ_CHECK(fuzz_json_valid(p, nl - p));
        }
        p = nl + 1;
    }
}

/* Learn and format one record of @len bytes (what its size said). */
static void one_record(State *st, uint32_t cpu, const uint8_t *ev,
                       size_t len)
{
    if (trace_event_id(ev) == TRACE_EV_WATCH) {
        if (!logfmt_learn(&st->f, ev, len)) {
            return;
        }
        st->watch_max = MAX(st->watch_max, len);
    }
    for (OutputFormat fmt = FORMAT_TEXT; fmt <= FORMAT_EVENT; fmt++) {
        g_string_truncate(st->out, 0);
        if (logfmt_record(st->out, fmt, &st->f, cpu, ev, len)) {
            check_lines(st->out, fmt == FORMAT_JSON);
            /* hex of every byte, escapes, labels of its watch record */
            FUZZ_CHECK(st->out->len <= 4096 + 8 * len + 4 * st->watch_max);
        } else {
            FUZZ_CHECK(st->out->len == 0);
        }
    }
}

static void walk_records(State *st, const uint8_t *p, size_t avail)
{
    size_t len;

    while ((len = trace_event_size(st->f.watches, p, avail))) {
        FUZZ_CHECK(len >= TRACE_HEADER_SIZE && len <= avail);
        one_record(st, 0, p, len);
        p += len;
        avail -= len;
    }
}

static void read_stream(State *st, const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size, "rb");
    g_autoptr(GError) err = NULL;
    CtfStream s;
    const uint8_t *ev;
    size_t len;

    if (!f) {
        return;
    }
    ctf_stream_init(&s, "fuzz", f, NULL);
    while (ctf_stream_fill(&s, &err)) {
        ev = ctf_stream_take(&s, st->f.watches, &len, &err);
        if (!ev) {
            break;
        }
        FUZZ_CHECK(len >= TRACE_HEADER_SIZE && len <= size);
        one_record(st, s.cpu, ev, len);
    }
    /* an error names the stream and a byte offset within the input */
    FUZZ_CHECK(!err || g_str_has_prefix(err->message, "fuzz: "));
    FUZZ_CHECK(s.done || err);
    ctf_stream_clear(&s);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    State st;

    if (size < 1 || size > (1 << 20)) {
        return 0;
    }
    logfmt_init(&st.f, data[0] & 2);
    st.out = g_string_new(NULL);
    st.watch_max = 0;
    if (data[0] & 1) {
        walk_records(&st, data + 1, size - 1);
    } else {
        read_stream(&st, data + 1, size - 1);
    }
    g_string_free(st.out, true);
    logfmt_clear(&st.f);
    return 0;
}
