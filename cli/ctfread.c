/*
 * Reading a stream file of a qinsn CTF trace: see ctfread.h.  Every check
 * names the file and the byte offset where the input went wrong, because a
 * trace is large and the one who reads the message has a hex dump at hand.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "ctfread.h"

G_DEFINE_QUARK(qinsn-ctf-read-error-quark, ctf_read_error)

void ctf_stream_init(CtfStream *s, const char *name, FILE *f,
                     const uint8_t *uuid)
{
    memset(s, 0, sizeof(*s));
    s->name = name;
    s->f = f;
    s->uuid = uuid;
}

void ctf_stream_clear(CtfStream *s)
{
    g_free(s->buf);
    s->buf = NULL;
    s->cap = 0;
}

static bool fail(CtfStream *s, GError **errp, uint64_t off,
                 const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static bool fail(CtfStream *s, GError **errp, uint64_t off,
                 const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, CTF_READ_ERROR, 0, "%s: byte offset %" PRIu64 ": %s",
                s->name, off, msg);
    s->done = true;
    return false;
}

/* @n bytes into @dst; how many there were (short only at end of file). */
static size_t read_bytes(CtfStream *s, void *dst, size_t n, GError **errp)
{
    size_t got = fread(dst, 1, n, s->f);

    if (got < n && ferror(s->f)) {
        g_set_error(errp, CTF_READ_ERROR, 0, "%s: cannot read: %s", s->name,
                    g_strerror(errno));
        s->done = true;
    }
    return got;
}

typedef struct PacketPrefix {
    uint32_t magic, stream_id, cpu;
    uint8_t uuid[16];
    uint64_t instance, ts_begin, ts_end, content_bits, packet_bits, seq_num;
    uint64_t discarded;
} PacketPrefix;

static void parse_prefix(const uint8_t *raw, PacketPrefix *h)
{
    TraceCursor c = { raw, raw + CTF_PACKET_HEADER + CTF_PACKET_CONTEXT,
                      false };

    trace_get(&c, &h->magic, 4);
    trace_get(&c, h->uuid, 16);
    trace_get(&c, &h->stream_id, 4);
    trace_get(&c, &h->instance, 8);
    trace_get(&c, &h->ts_begin, 8);
    trace_get(&c, &h->ts_end, 8);
    trace_get(&c, &h->content_bits, 8);
    trace_get(&c, &h->packet_bits, 8);
    trace_get(&c, &h->seq_num, 8);
    trace_get(&c, &h->discarded, 8);
    trace_get(&c, &h->cpu, 4);
}

static bool check_prefix(CtfStream *s, const PacketPrefix *h, GError **errp)
{
    uint64_t off = s->packet_off;

    if (h->magic != CTF_MAGIC) {
        return fail(s, errp, off, "no packet starts here (magic 0x%08x, not "
                    "0x%08x)", h->magic, CTF_MAGIC);
    }
    if (s->uuid && memcmp(h->uuid, s->uuid, 16)) {
        return fail(s, errp, off + 4, "the packet's uuid is not the one of "
                    "the trace's metadata: a stream of another trace");
    }
    if (h->stream_id != 0) {
        return fail(s, errp, off + 20, "stream class %u: the trace has "
                    "only stream class 0", h->stream_id);
    }
    if (h->content_bits % 8 || h->packet_bits % 8 ||
        h->content_bits > h->packet_bits ||
        h->content_bits < CTF_PACKET_PREFIX * 8) {
        return fail(s, errp, off + 48, "content size %" PRIu64 " bits and "
                    "packet size %" PRIu64 " bits do not fit a packet of "
                    "whole bytes with its %u-byte header", h->content_bits,
                    h->packet_bits, CTF_PACKET_PREFIX);
    }
    if (h->packet_bits / 8 > CTF_PACKET_MAX) {
        return fail(s, errp, off + 56, "a packet of %" PRIu64 " bytes: more "
                    "than the %u MiB a qinsn trace's packets can hold",
                    h->packet_bits / 8, CTF_PACKET_MAX >> 20);
    }
    if (h->seq_num != s->packets) {
        return fail(s, errp, off + 64, "packet number %" PRIu64 " where "
                    "number %" PRIu64 " belongs: packets are missing or out "
                    "of order", h->seq_num, s->packets);
    }
    if (s->packets && (h->cpu != s->cpu || h->instance != s->instance)) {
        return fail(s, errp, off + 24, "the packet says stream %" PRIu64
                    " of cpu %u, the stream's first said stream %" PRIu64
                    " of cpu %u", h->instance, h->cpu, s->instance, s->cpu);
    }
    return true;
}

/* The next packet; false at the end of the file or on an error. */
static bool next_packet(CtfStream *s, GError **errp)
{
    uint8_t raw[CTF_PACKET_PREFIX];
    PacketPrefix h;
    size_t got, body;

    s->packet_off = s->next_off;
    got = read_bytes(s, raw, sizeof(raw), errp);
    if (got == 0 && !s->done) {
        s->done = true;         /* the end, between packets */
        return false;
    }
    if (got < sizeof(raw)) {
        return s->done ? false :
            fail(s, errp, s->packet_off + got, "the file ends inside a "
                 "packet header (%zu of its %u bytes): the stream is cut "
                 "short", got, CTF_PACKET_PREFIX);
    }
    parse_prefix(raw, &h);
    if (!check_prefix(s, &h, errp)) {
        return false;
    }
    body = h.packet_bits / 8 - CTF_PACKET_PREFIX;
    if (body > s->cap) {
        s->buf = g_realloc(s->buf, body);
        s->cap = body;
    }
    got = read_bytes(s, s->buf, body, errp);
    if (got < body) {
        return s->done ? false :
            fail(s, errp, s->packet_off + CTF_PACKET_PREFIX + got,
                 "the file ends inside a packet (%zu of its %" PRIu64
                 " bytes): the stream is cut short",
                 CTF_PACKET_PREFIX + got, h.packet_bits / 8);
    }
    s->next_off = s->packet_off + h.packet_bits / 8;
    s->pos = 0;
    s->end = h.content_bits / 8 - CTF_PACKET_PREFIX;
    s->cpu = h.cpu;
    s->instance = h.instance;
    s->discarded = h.discarded;
    s->packets++;
    return true;
}

bool ctf_stream_fill(CtfStream *s, GError **errp)
{
    uint64_t at;
    uint32_t len;

    if (s->pos > s->end) {
        return fail(s, errp, s->packet_off + CTF_PACKET_PREFIX + s->end,
                    "the padding after an event runs %zu bytes past the "
                    "packet's content", s->pos - s->end);
    }
    while (!s->done && s->pos == s->end) {
        if (!next_packet(s, errp)) {
            return false;
        }
    }
    if (s->done) {
        return false;
    }
    at = s->packet_off + CTF_PACKET_PREFIX + s->pos;
    if (s->end - s->pos < 4 + TRACE_HEADER_SIZE) {
        return fail(s, errp, at, "%zu bytes left in the packet: too few for "
                    "an event header (%d bytes)", s->end - s->pos,
                    4 + TRACE_HEADER_SIZE);
    }
    memcpy(&len, s->buf + s->pos, 4);
    if (len < TRACE_HEADER_SIZE || len > s->end - s->pos - 4) {
        return fail(s, errp, at, "an event of length %u: %s", len,
                    len < TRACE_HEADER_SIZE ? "shorter than its header" :
                    "longer than what is left of its packet");
    }
    return true;
}

const uint8_t *ctf_stream_take(CtfStream *s, const TraceWatches *t,
                               size_t *len, GError **errp)
{
    const uint8_t *p = s->buf + s->pos + 4;
    uint32_t id = trace_event_id(p);
    uint32_t length;

    memcpy(&length, s->buf + s->pos, 4);
    s->ev_off = s->packet_off + CTF_PACKET_PREFIX + s->pos + 4;
    if (trace_event_seq(p) < s->next_seq) {
        fail(s, errp, s->ev_off + 12, "event %" PRIu64 " follows event %"
             PRIu64 " of the same stream: numbers go up in a stream",
             trace_event_seq(p), s->next_seq - 1);
        return NULL;
    }
    *len = trace_event_size(t, p, length);
    if (*len == length) {
        s->pos += 4 + length;
        /* the next event's length is 8-byte aligned; padding before it */
        s->pos = s->pos < s->end ? CTF_FRAME_ALIGN(s->pos) : s->pos;
        s->next_seq = trace_event_seq(p) + 1;
        return p;
    }
    if (id >= TRACE_EV_WATCH_BASE &&
        !trace_watches_get(t, id - TRACE_EV_WATCH_BASE)) {
        fail(s, errp, s->ev_off, "event %" PRIu64 " is a hit of watch %u, "
             "which no earlier watch record defines", trace_event_seq(p),
             id - TRACE_EV_WATCH_BASE);
    } else if (id < TRACE_EV_WATCH_BASE &&
               (id < TRACE_EV_WATCH || id > TRACE_EV_SUMMARY)) {
        fail(s, errp, s->ev_off, "event %" PRIu64 " has id %u, which no "
             "event class has", trace_event_seq(p), id);
    } else if (*len) {
        fail(s, errp, s->ev_off - 4, "event %" PRIu64 " (id %u) has length "
             "%u, but its record takes %zu bytes", trace_event_seq(p), id,
             length, *len);
    } else {
        fail(s, errp, s->ev_off, "event %" PRIu64 " (id %u) is malformed "
             "or does not fit in its length of %u bytes",
             trace_event_seq(p), id, length);
    }
    return NULL;
}
