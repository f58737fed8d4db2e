/*
 * Hit records: see hitview.h.  The checks follow the watch record's
 * layout (trace.h): every register's size, the capture's length against
 * its status, and nothing left over.
 */
#include "hitview.h"

bool hitview_decode(const TraceWatches *watches, const uint8_t *ev,
                    size_t len, HitView *v)
{
    TraceCursor c = { ev + TRACE_HEADER_SIZE, ev + len, false };
    uint32_t id, cap_len = 0;
    uint8_t stale = 0, size = 0, store = 0;

    v->w = trace_watches_get(watches,
                             trace_event_id(ev) - TRACE_EV_WATCH_BASE);
    if (!v->w) {
        return false;
    }
    trace_get(&c, &id, 4);
    trace_get(&c, &v->hit, 8);
    trace_get(&c, &v->pc, 8);
    trace_get(&c, &stale, 1);
    v->stale = stale;
    if (v->w->kind == TRACE_WATCH_MEM) {
        trace_get(&c, &v->addr, 8);
        trace_get(&c, &size, 1);
        trace_get(&c, &store, 1);
        trace_get(&c, v->value, 16);
        v->size = MIN(size, 16);
        v->store = store;
    }
    for (int i = 0; i < v->w->nregs; i++) {
        v->val[i] = c.p;
        if ((size_t)(c.end - c.p) < v->w->regsizes[i]) {
            return false;
        }
        c.p += v->w->regsizes[i];
    }
    if (v->w->capture != TRACE_CAPTURE_NONE) {
        trace_get(&c, &v->cap_addr, 8);
        trace_get(&c, &v->cap_status, 4);
        trace_get(&c, &cap_len, 4);
        v->cap = c.p;
        if (c.bad || (size_t)(c.end - c.p) < cap_len ||
            (v->cap_status != TRACE_CAP_UNREADABLE &&
             v->cap_status != cap_len)) {
            return false;
        }
        c.p += cap_len;
    }
    return !c.bad && id == v->w->id && c.p == c.end;
}
