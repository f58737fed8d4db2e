/*
 * A hit record's payload, decoded once for every format: the watch it
 * belongs to, where and which hit it was, the access of a memory watch,
 * where each register's bytes are, and the capture.  logfmt.c makes the
 * text, JSON and event lines of a hit from it.
 */
#ifndef QINSN_HITVIEW_H
#define QINSN_HITVIEW_H

#include "trace.h"

typedef struct HitView {
    const TraceWatch *w;
    uint64_t hit, pc;
    bool stale;
    uint64_t addr;              /* memory records: the access */
    int size;
    bool store;
    uint8_t value[16];
    const uint8_t *val[TRACE_MAX_REGS];
    uint64_t cap_addr;
    uint32_t cap_status;        /* bytes read or TRACE_CAP_UNREADABLE */
    const uint8_t *cap;
} HitView;

/*
 * Decode the hit record at @ev (@len bytes, header included) of a watch in
 * @watches into @v, which points into @ev.  False when the watch is
 * unknown or the record does not match its layout.
 */
bool hitview_decode(const TraceWatches *watches, const uint8_t *ev,
                    size_t len, HitView *v);

/* Is register @i stale: a flags register in a hit marked stale? */
static inline bool hitview_reg_stale(const HitView *v, int i)
{
    return v->stale && (v->w->regflags[i] & TRACE_REG_FLAGS);
}

#endif /* QINSN_HITVIEW_H */
