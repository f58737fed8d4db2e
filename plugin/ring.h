/*
 * Hit records and the single-producer, single-consumer ring that carries
 * them from one vCPU thread to the log writer.
 *
 * Each vCPU owns a ring, so recording a hit takes no lock: the vCPU fills the
 * slot at head and publishes it with a release store; the writer reads up to
 * head with an acquire load.  A full ring drops the record and counts it.
 */
#ifndef QINSN_RING_H
#define QINSN_RING_H

#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define QINSN_RECORD_DATA 2400
#define QINSN_RING_SLOTS 1024

typedef enum {
    RECORD_HIT,
    RECORD_MARK,
    RECORD_MEM,
    RECORD_WATCH,               /* a watch was created: its definition */
} RecordKind;

struct Watch;

typedef struct Record {
    uint64_t seq;               /* global order of records */
    uint64_t pc;
    uint64_t hit;               /* the watch's hit number */
    struct Watch *watch;        /* NULL for marks */
    uint32_t cpu;
    uint16_t len;               /* bytes of data used */
    uint8_t kind;
    bool stale;                 /* the flags register may be stale */
    /*
     * Hit: for each of the watch's registers a length byte and the value in
     * target byte order; then for a capture a 32-bit length (0xffffffff if
     * unreadable), the capture address and the bytes.  Mark: the token.
     */
    uint8_t data[QINSN_RECORD_DATA];
} Record;

typedef struct Ring {
    _Alignas(64) atomic_uint_fast64_t head;    /* written by the producer */
    _Alignas(64) atomic_uint_fast64_t tail;    /* written by the consumer */
    _Alignas(64) atomic_uint_fast64_t dropped; /* producer, read by all */
    Record *slots;
} Ring;

static inline Ring *ring_new(void)
{
    Ring *r = g_new0(Ring, 1);

    r->slots = g_new(Record, QINSN_RING_SLOTS);
    return r;
}

static inline void ring_free(Ring *r)
{
    if (r) {
        g_free(r->slots);
        g_free(r);
    }
}

/* Producer: a slot to fill, or NULL (and a drop counted) when full. */
static inline Record *ring_reserve(Ring *r)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);

    if (head - tail >= QINSN_RING_SLOTS) {
        atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
        return NULL;
    }
    return &r->slots[head % QINSN_RING_SLOTS];
}

static inline void ring_commit(Ring *r)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

    atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

/* Consumer: the oldest record, or NULL when empty. */
static inline Record *ring_peek(Ring *r)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);

    return tail == head ? NULL : &r->slots[tail % QINSN_RING_SLOTS];
}

static inline void ring_pop(Ring *r)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}

#endif /* QINSN_RING_H */
