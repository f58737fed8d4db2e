/*
 * Reading one stream file of a qinsn CTF trace (docs/trace.md), packet by
 * packet: the packet header and context are checked, then the events are
 * handed out one at a time, so a trace of any length is read in the memory
 * of one packet.
 *
 * An event's size depends on its watch's record (trace_event_size()), which
 * another stream may hold: the caller peeks at the sequence number of the
 * next event (ctf_stream_seq()) and takes the event only once every record
 * numbered before it is known.  The reader works on any FILE, so the fuzz
 * harness feeds it bytes from memory.
 */
#ifndef QINSN_CLI_CTFREAD_H
#define QINSN_CLI_CTFREAD_H

#include <stdio.h>

#include "trace.h"

#define CTF_MAGIC 0xC1FC1FC1u
/* magic, uuid, stream id, stream instance; then the packet context */
#define CTF_PACKET_HEADER (4 + 16 + 4 + 8)
#define CTF_PACKET_CONTEXT (6 * 8 + 4)
/* then padding to 8 bytes: an event starts with its 8-byte aligned length */
#define CTF_PACKET_PREFIX 88
#define CTF_FRAME_ALIGN(n) (((n) + 7) & ~(size_t)7)
/* The plugin writes 1 MiB packets; anything above this is not ours. */
#define CTF_PACKET_MAX (64u << 20)

#define CTF_READ_ERROR (ctf_read_error_quark())
GQuark ctf_read_error_quark(void);

typedef struct CtfStream {
    const char *name;           /* for messages: the file's path */
    FILE *f;                    /* not owned */
    const uint8_t *uuid;        /* the trace's, or NULL: not checked */
    uint8_t *buf;               /* the current packet, prefix excluded */
    size_t cap;
    size_t pos, end;            /* next event's length; end of content */
    uint64_t packet_off;        /* file offset of the current packet */
    uint64_t next_off;          /* file offset of the next packet */
    uint64_t ev_off;            /* file offset of the last event taken */
    uint64_t packets;           /* packets read */
    uint64_t instance;
    uint32_t cpu;               /* cpu_id of the packet context */
    uint64_t discarded;         /* events_discarded so far */
    uint64_t next_seq;          /* lowest number the next event may have */
    bool done;                  /* no more events */
} CtfStream;

void ctf_stream_init(CtfStream *s, const char *name, FILE *f,
                     const uint8_t *uuid);
void ctf_stream_clear(CtfStream *s);

/*
 * Make the next event's header available, reading packets as needed.
 * True when there is one; false at the end of the stream (s->done) or
 * on malformed or truncated input (@errp set, naming the byte offset).
 */
bool ctf_stream_fill(CtfStream *s, GError **errp);

/* The sequence number of the next event (after a successful fill). */
static inline uint64_t ctf_stream_seq(const CtfStream *s)
{
    return trace_event_seq(s->buf + s->pos + 4);
}

/*
 * Take the next event's record (after its length), @len bytes header
 * included, sized with what @t knows, which must agree with its length.
 * NULL on a malformed event or one of an unknown watch.
 */
const uint8_t *ctf_stream_take(CtfStream *s, const TraceWatches *t,
                               size_t *len, GError **errp);

#endif /* QINSN_CLI_CTFREAD_H */
