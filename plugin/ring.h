/*
 * The single-producer, single-consumer byte ring that carries records (the
 * binary records of trace.h) from one vCPU thread to the log writer.
 *
 * Each vCPU owns a ring, so recording a hit takes no lock: the vCPU builds
 * the record in place at head and publishes it with a release store; the
 * writer reads up to head with an acquire load and frees space by moving
 * tail.  Records are framed by a 32-bit length and kept contiguous: one that
 * would cross the end is preceded by a pad frame and starts again at 0, so
 * the writer can format it without reassembly; a run of frames is a run
 * of CTF events (ctf.h), written to the trace from the ring itself.
 *
 * What a producer does when the ring is full (wait for the writer, or drop
 * the record) is decided by the caller (record.c); this file only says so.
 */
#ifndef QINSN_RING_H
#define QINSN_RING_H

#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define QINSN_RING_BYTES (4u << 20)     /* a power of two */
#define RING_PAD UINT32_MAX             /* frame length: skip to the end */

typedef struct Ring {
    _Alignas(64) atomic_uint_fast64_t head;    /* bytes produced */
    _Alignas(64) atomic_uint_fast64_t tail;    /* bytes consumed */
    /* Written by the producer only, read by the writer and `stats`. */
    _Alignas(64) atomic_uint_fast64_t dropped;
    atomic_uint_fast64_t stalls;        /* waits that ran out */
    atomic_uint_fast64_t stall_dropped; /* records dropped while stalled */
    uint64_t stalled_tail;      /* producer: tail when it last stalled */
    uint64_t seen_tail;         /* producer: tail as last read */
    uint64_t last_ts;           /* producer: its latest timestamp */
    bool stalled;               /* producer: drop until tail moves */
    uint32_t cpu;               /* the vCPU, or UINT32_MAX: control */
    uint8_t *buf;
} Ring;

static inline Ring *ring_new(uint32_t cpu)
{
    Ring *r = g_new0(Ring, 1);

    r->cpu = cpu;
    r->buf = g_malloc(QINSN_RING_BYTES);
    return r;
}

static inline void ring_free(Ring *r)
{
    if (r) {
        g_free(r->buf);
        g_free(r);
    }
}

static inline uint64_t ring_frame(size_t len)
{
    return (4 + len + 7) & ~(uint64_t)7;
}

/*
 * Producer: space for a record of at most @max bytes, or NULL when the ring
 * is too full.  Nothing is published until ring_commit().
 */
static inline uint8_t *ring_reserve(Ring *r, size_t max)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t off = head & (QINSN_RING_BYTES - 1);
    uint64_t need = ring_frame(max);
    uint64_t pad = off + need > QINSN_RING_BYTES ?
        QINSN_RING_BYTES - off : 0;

    /*
     * The consumer moves tail record by record: read it (a cache line the
     * consumer writes) only when the value seen last says there is no room.
     */
    if (head + pad + need - r->seen_tail > QINSN_RING_BYTES) {
        r->seen_tail = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (head + pad + need - r->seen_tail > QINSN_RING_BYTES) {
            return NULL;
        }
    }
    if (pad) {
        uint32_t mark = RING_PAD;
        memcpy(r->buf + off, &mark, 4);
        off = 0;
    }
    return r->buf + off + 4;
}

/* Producer: publish the record of @len bytes at @rec (from ring_reserve). */
static inline void ring_commit(Ring *r, uint8_t *rec, size_t len)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t off = head & (QINSN_RING_BYTES - 1);
    uint64_t start = (uint64_t)(rec - 4 - r->buf);
    uint32_t n = (uint32_t)len;

    memcpy(rec - 4, &n, 4);
    if (start != off) {
        head += QINSN_RING_BYTES - off;     /* the pad frame */
    }
    atomic_store_explicit(&r->head, head + ring_frame(len),
                          memory_order_release);
}

/* Bytes in use, as the producer sees them. */
static inline uint64_t ring_used(Ring *r)
{
    return atomic_load_explicit(&r->head, memory_order_relaxed) -
        atomic_load_explicit(&r->tail, memory_order_relaxed);
}

/*
 * Consumer: the record at position @pos (a tail value, private to the
 * consumer until it stores it), its length in @len; NULL when @pos reached
 * @head.  Pad frames are skipped (@pos moves past them).
 */
static inline uint8_t *ring_at(Ring *r, uint64_t *pos, uint64_t head,
                               uint32_t *len)
{
    while (*pos != head) {
        uint64_t off = *pos & (QINSN_RING_BYTES - 1);
        memcpy(len, r->buf + off, 4);
        if (*len != RING_PAD) {
            return r->buf + off + 4;
        }
        *pos += QINSN_RING_BYTES - off;
    }
    return NULL;
}

static inline uint64_t ring_head(Ring *r)
{
    return atomic_load_explicit(&r->head, memory_order_acquire);
}

static inline uint64_t ring_tail(Ring *r)
{
    return atomic_load_explicit(&r->tail, memory_order_relaxed);
}

/* Consumer: give back everything before @pos. */
static inline void ring_release(Ring *r, uint64_t pos)
{
    atomic_store_explicit(&r->tail, pos, memory_order_release);
}

#endif /* QINSN_RING_H */
