/*
 * The binary form of every log record: one layout for the plugin's rings,
 * the CTF trace (format=ctf) and `qinsn decode`.
 *
 * A record is a CTF 1.8 event as docs/trace.md describes it, less its
 * leading length: a header (event id, timestamp in ns of the host's
 * CLOCK_MONOTONIC, global sequence number) and a payload.  A vCPU builds a
 * hit record once, in its ring, whose frame (length, record, padding to 8
 * bytes) is the whole CTF event; the writer writes the frames to a CTF
 * stream as they lie, or formats the records as text or JSON with the same
 * code `qinsn decode` uses, so a trace decodes to exactly the log the other
 * formats write.  Integers are in the host's byte order (the trace
 * says which), register values in the target's.
 *
 * Event ids below TRACE_EV_WATCH_BASE are fixed records; a watch with id N
 * has its own event class, id TRACE_EV_WATCH_BASE + N, whose payload layout
 * its watch record (TRACE_EV_WATCH) defines.
 */
#ifndef QINSN_TRACE_H
#define QINSN_TRACE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define TRACE_MAX_REGS 32
/* Widest register a record holds (its size is one byte in watch records). */
#define TRACE_MAX_REG_BYTES 255
#define TRACE_HEADER_SIZE 20    /* u32 id, u64 timestamp, u64 seq */

enum {
    TRACE_EV_WATCH = 1,         /* a watch's definition */
    TRACE_EV_MARK = 2,
    TRACE_EV_DROP = 3,          /* hit records lost (overflow=drop) */
    TRACE_EV_STALL = 4,         /* a vCPU stopped waiting for the writer */
    TRACE_EV_SUMMARY = 5,       /* the last record */
    TRACE_EV_WATCH_BASE = 16,
};

typedef enum {
    TRACE_WATCH_INSN,
    TRACE_WATCH_MEM,
    TRACE_WATCH_BREAK,
} TraceWatchKind;

typedef enum {
    TRACE_CAPTURE_NONE,
    TRACE_CAPTURE_MEM,
    TRACE_CAPTURE_STR,
} TraceCaptureKind;

#define TRACE_REG_FLAGS 1       /* regflags: lazily computed flags (stale) */
#define TRACE_CAP_UNREADABLE UINT32_MAX

/* What a watch record says, and so how its hit records are laid out. */
typedef struct TraceWatch {
    uint32_t id;
    uint8_t kind;               /* TraceWatchKind */
    uint8_t dir;                /* memory watches: 1 read, 2 write, 3 both */
    uint64_t addr, end;
    char *sym;                  /* NULL when none */
    char *cond;                 /* NULL when none */
    uint64_t ignore, count;
    int32_t cpu;                /* -1: any */
    uint8_t capture;            /* TraceCaptureKind */
    char *capture_spec;         /* NULL when none */
    uint32_t capture_len;       /* most bytes a capture holds */
    uint8_t nregs;
    char *labels[TRACE_MAX_REGS];       /* as the user typed them */
    uint16_t regnums[TRACE_MAX_REGS];   /* gdb numbers */
    uint8_t regsizes[TRACE_MAX_REGS];   /* bytes, TRACE_MAX_REG_BYTES at most */
    uint8_t regflags[TRACE_MAX_REGS];   /* TRACE_REG_* */
    /* strlen() of each label, for formatters: set by trace_watches_add */
    uint32_t label_lens[TRACE_MAX_REGS];
} TraceWatch;

void trace_watch_clear(TraceWatch *w);
void trace_watch_free(TraceWatch *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TraceWatch, trace_watch_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(TraceWatch, trace_watch_clear)

/*
 * Hit payloads: watch id, hit number, pc, a stale byte (nonzero: registers
 * flagged TRACE_REG_FLAGS may not be exact), for memory watches the access
 * (address, size, direction, value as two 64-bit halves), the registers
 * (regsizes[i] bytes each), then the capture: address, status (bytes read
 * or TRACE_CAP_UNREADABLE), length, bytes.
 */
#define TRACE_HIT_FIXED (4 + 8 + 8 + 1)
#define TRACE_MEM_ACCESS (8 + 1 + 1 + 8 + 8)
#define TRACE_CAPTURE_FIXED (8 + 4 + 4)

/* Largest event (header included) a hit of @w can take. */
size_t trace_hit_max(const TraceWatch *w);

/* Little helpers: append to / read from a byte buffer in host order. */
static inline uint8_t *trace_put(uint8_t *p, const void *v, size_t n)
{
    memcpy(p, v, n);
    return p + n;
}

static inline uint8_t *trace_put_header(uint8_t *p, uint32_t id,
                                        uint64_t ts, uint64_t seq)
{
    p = trace_put(p, &id, 4);
    p = trace_put(p, &ts, 8);
    return trace_put(p, &seq, 8);
}

/* A bounded reader: every get fails once the buffer is exhausted. */
typedef struct TraceCursor {
    const uint8_t *p, *end;
    bool bad;
} TraceCursor;

static inline bool trace_get(TraceCursor *c, void *v, size_t n)
{
    if (c->bad || (size_t)(c->end - c->p) < n) {
        c->bad = true;
        memset(v, 0, n);
        return false;
    }
    memcpy(v, c->p, n);
    c->p += n;
    return true;
}

/* A NUL-terminated string in place; "" once the buffer is exhausted. */
const char *trace_get_str(TraceCursor *c);

/* Encode a fixed record (header included) into @buf; returns its size. */
void trace_encode_watch(GByteArray *buf, const TraceWatch *w, uint64_t ts,
                        uint64_t seq);
void trace_encode_mark(GByteArray *buf, const char *token, uint64_t ts,
                       uint64_t seq);
void trace_encode_drop(GByteArray *buf, uint64_t count, uint64_t ts,
                       uint64_t seq);
void trace_encode_stall(GByteArray *buf, uint32_t cpu, uint64_t dropped,
                        uint32_t ms, uint64_t ts, uint64_t seq);

typedef struct TraceSummaryWatch {
    uint32_t id;
    uint64_t start, end;
    uint64_t hits, logged;
} TraceSummaryWatch;

typedef struct TraceSummary {
    uint64_t hits, logged, dropped, flushes, write_errors;
    uint8_t overflow;           /* 0 wait, 1 drop */
    uint32_t nwatches;
    TraceSummaryWatch *watches;
} TraceSummary;

void trace_encode_summary(GByteArray *buf, const TraceSummary *s,
                          uint64_t ts, uint64_t seq);

/* Decode a watch record's payload into @w (cleared first). */
bool trace_decode_watch(const uint8_t *payload, size_t len, TraceWatch *w);

/* The watches known to a reader of records, by id. */
typedef struct TraceWatches TraceWatches;

TraceWatches *trace_watches_new(void);
void trace_watches_free(TraceWatches *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TraceWatches, trace_watches_free)
/* Takes ownership of @w; replaces a watch of the same id. */
void trace_watches_add(TraceWatches *t, TraceWatch *w);
const TraceWatch *trace_watches_get(const TraceWatches *t, uint32_t id);
/* Forget watch @id (no record of it will come any more). */
void trace_watches_remove(TraceWatches *t, uint32_t id);

/*
 * The size of the record at @p (header included) given what @t knows, or 0
 * when it is malformed, truncated or of an unknown watch.
 */
size_t trace_event_size(const TraceWatches *t, const uint8_t *p,
                        size_t avail);

static inline uint32_t trace_event_id(const uint8_t *p)
{
    uint32_t id;

    memcpy(&id, p, 4);
    return id;
}

static inline uint64_t trace_event_seq(const uint8_t *p)
{
    uint64_t seq;

    memcpy(&seq, p + 12, 8);
    return seq;
}

#endif /* QINSN_TRACE_H */
