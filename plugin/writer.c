/*
 * The log writer: one thread that drains every ring and writes the log, in
 * text or JSON (in global sequence order) or as a CTF trace (stream by
 * stream, a vCPU's frames written from its ring as they lie), and hands
 * events to subscribers of the control socket.  The log itself, its buffer
 * and its write errors are logsink.c.
 *
 * Sequence numbers have no gaps (record.h), so the text and JSON writers
 * merge the rings by waiting for the next number.  The writer sleeps while
 * there is nothing to write: 1 ms after recent records, 100 ms after a
 * second of silence; a vCPU waiting for room wakes it at once.  It is also
 * where removed watches are finally freed, because only it knows when the
 * records published before their removal have been consumed.
 */
#include <sched.h>
#include <string.h>

#include "logsink.h"
#include "record.h"
#include "tsclock.h"
#include "writer.h"

/* Records handled per round, so a busy log still gets flushed regularly. */
#define DRAIN_BATCH 65536
#define CONTROL QINSN_MAX_VCPUS         /* the control ring's pos[] slot */
/* A CTF packet of a vCPU's frames: at most this, at least that (ctf.h). */
#define FRAMES_PACKET (1u << 20)
#define FRAMES_MIN (64u << 10)

static WriterConfig cfg;
static GThread *thread;
static atomic_bool running;
static bool by_stream;          /* a CTF trace: no global order */
static LogFormatter formatter;
static GMutex drain_lock;       /* the writer thread vs. the final drain */
static GString *event;
static GString *disas;          /* the disassembly of the event's pc */
static GByteArray *own;         /* the writer's own records */
static uint64_t pos[QINSN_MAX_VCPUS + 1];       /* consumer positions */
static uint64_t next_seq;       /* text and JSON: the next record */
static bool frames_due[QINSN_MAX_VCPUS];        /* CTF: drain next round */
static bool frames_held;        /* CTF: this round left a ring's few records */
static atomic_uint_fast64_t written;
static atomic_uint_fast64_t busy_ns;    /* time spent writing records */
static uint64_t drops_reported;
static uint64_t stalls_reported[QINSN_MAX_VCPUS];
static uint64_t stall_drops_reported[QINSN_MAX_VCPUS];

static GMutex sleep_lock;
static GCond sleep_cond;
static atomic_bool asleep;
static bool kicked;

void writer_kick(void)
{
    /* rare (a quiet writer's first record, a waiting vCPU): lock always */
    g_mutex_lock(&sleep_lock);
    kicked = true;
    if (atomic_load(&asleep)) {
        g_cond_signal(&sleep_cond);
    }
    g_mutex_unlock(&sleep_lock);
}

static void sleep_ms(int ms)
{
    gint64 until = g_get_monotonic_time() + ms * G_TIME_SPAN_MILLISECOND;

    g_mutex_lock(&sleep_lock);
    atomic_store(&asleep, true);
    while (!kicked && atomic_load(&running) &&
           g_cond_wait_until(&sleep_cond, &sleep_lock, until)) {
        /* woken without a kick: wait on */
    }
    kicked = false;
    atomic_store(&asleep, false);
    g_mutex_unlock(&sleep_lock);
}

static Ring *ring_by(int i)
{
    return i == CONTROL ? record_control_ring() : record_ring(i);
}

/* Hand one record of ring @i to subscribers, and count it. */
static void notify(int i, const uint8_t *ev, size_t len)
{
    uint32_t cpu = i == CONTROL ? 0 : (uint32_t)i;

    if (cfg.subscribers()) {
        g_string_truncate(event, 0);
        logfmt_record(event, FORMAT_EVENT, &formatter, cpu, ev, len);
        if (event->len) {
            cfg.event(event->str,
                      trace_event_id(ev) >= TRACE_EV_WATCH_BASE);
        }
    }
    /* hits and marks: what clients count; not the log's own records */
    if (trace_event_id(ev) >= TRACE_EV_WATCH_BASE ||
        trace_event_id(ev) == TRACE_EV_MARK) {
        /* one thread writes it at a time (drain_lock): no locked add */
        atomic_store_explicit(&written, atomic_load_explicit(
                                  &written, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    }
}

/* Write one record of ring @i (@r): to the log, and to subscribers. */
static void handle(int i, Ring *r, const uint8_t *ev, size_t len)
{
    if (i == CONTROL && !logfmt_learn(&formatter, ev, len)) {
        return;
    }
    logsink_put(i == CONTROL ? CTF_CONTROL_STREAM : (uint32_t)i, r, ev, len);
    notify(i, ev, len);
}

/* The control ring's records, as many as there are (a CTF trace). */
static uint64_t drain_control(void)
{
    Ring *r = record_control_ring();
    uint64_t head = ring_head(r), n = 0;
    uint32_t len;
    uint8_t *ev;

    while ((ev = ring_at(r, &pos[CONTROL], head, &len))) {
        handle(CONTROL, r, ev, len);
        pos[CONTROL] += ring_frame(len);
        /*
         * Room goes back record by record: handling the next one may block
         * in write(2), and a waiting producer should not wait for that too.
         */
        ring_release(r, pos[CONTROL]);
        n++;
    }
    return n;
}

/* The ring whose oldest record is number @seq, or -1. */
static int ring_with(uint64_t seq, int nr)
{
    uint32_t len;
    uint8_t *ev;

    for (int i = 0; i <= nr; i++) {
        int k = i == nr ? CONTROL : i;
        Ring *r = ring_by(k);
        if (r && (ev = ring_at(r, &pos[k], ring_head(r), &len)) &&
            trace_event_seq(ev) == seq) {
            return k;
        }
    }
    return -1;
}

/*
 * Records in sequence order (text and JSON).  A number not yet published
 * is being written by a vCPU right now: wait a little for it.  @final:
 * QEMU is exiting; skip numbers that never come.
 */
static uint64_t drain_ordered(uint64_t max, bool final)
{
    int nr = record_nrings(), spins = 0;
    uint64_t n = 0;

    while (n < max) {
        int k = ring_with(next_seq, nr);
        Ring *r;
        uint64_t head;
        uint32_t len;
        uint8_t *ev;

        if (k < 0) {
            if (next_seq < record_seq_issued() && spins++ < 1000) {
                sched_yield();
                continue;
            }
            if (!final || next_seq >= record_seq_issued()) {
                break;
            }
            next_seq++;         /* lost with an exiting vCPU */
            continue;
        }
        spins = 0;
        r = ring_by(k);
        head = ring_head(r);
        /* one vCPU's records often follow each other: take them in a run */
        while (n < max && (ev = ring_at(r, &pos[k], head, &len)) &&
               trace_event_seq(ev) == next_seq) {
            handle(k, r, ev, len);
            pos[k] += ring_frame(len);
            ring_release(r, pos[k]);        /* as in drain_control() */
            next_seq++;
            n++;
        }
    }
    return n;
}

/*
 * The frames of vCPU ring @i from pos[i] on (@head: its head), at most
 * @max records and FRAMES_PACKET bytes, into @f; returns the records.
 * Each is handed to subscribers on the way.
 */
static uint64_t collect_frames(int i, Ring *r, uint64_t head, uint64_t max,
                               CtfFrames *f)
{
    uint64_t p = pos[i], n = 0, bytes = 0;
    uint32_t len;
    uint8_t *ev;

    while (n < max && bytes < FRAMES_PACKET) {
        uint64_t before = p;
        uint64_t ts;

        if (!(ev = ring_at(r, &p, head, &len))) {
            break;
        }
        if (p != before || !f->nruns) {
            /* a pad frame was skipped: the ring wrapped, a new run */
            if (f->nruns == CTF_FRAME_RUNS) {
                break;
            }
            f->run[f->nruns] = ev - 4;
            f->run_len[f->nruns++] = 0;
        }
        f->run_len[f->nruns - 1] += ring_frame(len);
        f->tail_pad = ring_frame(len) - 4 - len;
        memcpy(&ts, ev + 4, 8);
        f->ts_begin = n ? f->ts_begin : ts;
        f->ts_end = MAX(f->ts_end, ts);
        notify(i, ev, len);
        bytes += ring_frame(len);
        p += ring_frame(len);
        n++;
    }
    pos[i] = p;
    return n;
}

/*
 * vCPU ring @i's records in a CTF trace: its frames are the stream's events
 * (ctf.h), written from the ring a packet at a time, each packet's room
 * given back once it is written.  A ring holding less than FRAMES_MIN
 * waits for one more round (unless @final), so packets are not tiny.
 */
static uint64_t drain_frames(int i, uint64_t max, bool final)
{
    Ring *r = record_ring(i);
    uint64_t head, n = 0;

    if (!r) {
        return 0;
    }
    head = ring_head(r);
    if (!final && !frames_due[i] && head - pos[i] < FRAMES_MIN) {
        frames_due[i] = head != pos[i];
        frames_held |= frames_due[i];
        return 0;
    }
    frames_due[i] = false;
    while (n < max && pos[i] != head) {
        CtfFrames f = { .discarded = atomic_load(&r->dropped) };
        uint64_t got = collect_frames(i, r, head, max - n, &f);

        logsink_put_frames(i, &f);
        ring_release(r, pos[i]);
        n += got;
    }
    return n;
}

static uint64_t drain(uint64_t max, bool final)
{
    uint64_t n = 0;

    if (!by_stream) {
        return drain_ordered(max, final);
    }
    frames_held = false;
    /* definitions first: a hit is never handled before its watch record */
    n += drain_control();
    for (int i = 0; i < record_nrings(); i++) {
        n += drain_frames(i, max, final);
    }
    return n;
}

/*
 * Control records numbered below @seq that are still in the ring: in the
 * control stream they must precede the writer's own record @seq, or a
 * reader merging by number meets hits of a watch whose record still waits
 * behind it.
 */
static void drain_control_before(uint64_t seq)
{
    Ring *r = record_control_ring();
    uint64_t head = ring_head(r);
    uint32_t len;
    uint8_t *ev;

    while ((ev = ring_at(r, &pos[CONTROL], head, &len)) &&
           trace_event_seq(ev) < seq) {
        handle(CONTROL, r, ev, len);
        pos[CONTROL] += ring_frame(len);
    }
    ring_release(r, pos[CONTROL]);
}

/* A record of the writer's own (drop, stall, summary), in @own. */
static void emit_own(void)
{
    uint64_t seq = by_stream ? record_take_seq() : 0;

    memcpy(own->data + 12, &seq, 8);
    if (by_stream) {
        drain_control_before(seq);
    }
    logsink_put(CTF_CONTROL_STREAM, NULL, own->data, own->len);
    if (cfg.subscribers()) {
        g_string_truncate(event, 0);
        logfmt_record(event, FORMAT_EVENT, &formatter, 0, own->data,
                      own->len);
        if (event->len) {
            cfg.event(event->str, false);
        }
    }
    g_byte_array_set_size(own, 0);
}

static uint64_t total_drops(void)
{
    uint64_t d = record_lost_vcpus();

    for (int i = 0; i < record_nrings(); i++) {
        if (record_ring(i)) {
            d += atomic_load(&record_ring(i)->dropped);
        }
    }
    return d;
}

/* Stall records say why records were dropped; drop records count them. */
static void report_losses(void)
{
    uint64_t d;

    for (int i = 0; i < record_nrings(); i++) {
        Ring *r = record_ring(i);
        uint64_t s, sd;
        if (!r || (s = atomic_load(&r->stalls)) == stalls_reported[i]) {
            continue;
        }
        sd = atomic_load(&r->stall_dropped);
        trace_encode_stall(own, i, sd - stall_drops_reported[i],
                           record_stall_ms(), record_timestamp(), 0);
        emit_own();
        stalls_reported[i] = s;
        stall_drops_reported[i] = sd;
    }
    d = total_drops();
    if (d > drops_reported) {
        trace_encode_drop(own, d - drops_reported, record_timestamp(),
                          0);
        emit_own();
        drops_reported = d;
    }
}

/*
 * Removed watches may be freed once a flush completed after their removal
 * (no callback can reach them) and every record published before that flush
 * was consumed.  The ring heads seen after reading the flush count mark
 * those records; once every consumer has passed its mark, reclaim.
 */
static uint64_t reclaim_flushes;
static uint64_t reclaim_mark[QINSN_MAX_VCPUS + 1];

static void reclaim_snapshot(void)
{
    reclaim_flushes = cfg.flush_count();
    for (int i = 0; i < record_nrings(); i++) {
        reclaim_mark[i] = record_ring(i) ? ring_head(record_ring(i)) : 0;
    }
}

static bool reclaim_reached(void)
{
    for (int i = 0; i < record_nrings(); i++) {
        if (record_ring(i) && ring_tail(record_ring(i)) < reclaim_mark[i]) {
            return false;
        }
    }
    return true;
}

/* Free reclaimable watches, and forget how their records look. */
static void reclaim(void)
{
    g_autoptr(GArray) freed = g_array_new(false, false, sizeof(uint32_t));

    watch_table_reclaim(cfg.watches, reclaim_flushes, freed);
    for (guint i = 0; i < freed->len; i++) {
        trace_watches_remove(formatter.watches,
                             g_array_index(freed, uint32_t, i));
    }
    reclaim_snapshot();
}

static gpointer writer_main(gpointer unused)
{
    gint64 last = g_get_monotonic_time();

    reclaim_snapshot();
    while (atomic_load(&running)) {
        uint64_t n, start = record_now();
        bool wrote;

        tsclock_refine();
        g_mutex_lock(&drain_lock);
        n = drain(DRAIN_BATCH, false);
        report_losses();
        wrote = logsink_settle(n == 0);
        g_mutex_unlock(&drain_lock);
        if (n || wrote) {
            atomic_fetch_add(&busy_ns, record_now() - start);
        }
        if (n) {
            cfg.wake();
        }
        if (n || frames_held) {
            /* records held back for the next round are recent too */
            last = g_get_monotonic_time();
        }
        if (reclaim_reached()) {
            reclaim();
        }
        if (!n && g_get_monotonic_time() - last > G_USEC_PER_SEC) {
            /* quiet for a second: sleep until a record comes */
            record_writer_idle(true);
            sleep_ms(100);
            record_writer_idle(false);
        } else if (!n) {
            sleep_ms(1);
        }
    }
    return NULL;
}

/* For hit events: what translation saw at the pc (the log has no text). */
static const char *event_disas(void *opaque, uint32_t watch, uint64_t pc)
{
    g_string_truncate(disas, 0);
    return watch_table_disas(cfg.watches, watch, pc, disas) ? disas->str
                                                            : NULL;
}

bool writer_start(const WriterConfig *c, GError **errp)
{
    cfg = *c;
    by_stream = cfg.format == FORMAT_CTF;
    event = g_string_sized_new(512);
    disas = g_string_sized_new(64);
    own = g_byte_array_new();
    logfmt_init(&formatter, cfg.big_endian);
    formatter.disas = event_disas;
    if (!logsink_open(&cfg, &formatter, errp)) {
        return false;
    }
    atomic_store(&running, true);
    thread = g_thread_new("qinsn-writer", writer_main, NULL);
    return true;
}

static void add_summary_watch(Watch *w, void *opaque)
{
    GArray *a = opaque;
    TraceSummaryWatch sw = {
        .id = w->id, .start = w->start, .end = w->end,
    };

    watch_counts(w, &sw.hits, &sw.logged);
    g_array_append_val(a, sw);
}

static void write_summary(void)
{
    g_autoptr(GArray) a = g_array_new(false, true,
                                      sizeof(TraceSummaryWatch));
    TraceSummary s = { 0 };

    watch_table_retired(cfg.watches, &s.hits, &s.logged);
    watch_table_foreach(cfg.watches, add_summary_watch, a);
    for (guint i = 0; i < a->len; i++) {
        s.hits += g_array_index(a, TraceSummaryWatch, i).hits;
        s.logged += g_array_index(a, TraceSummaryWatch, i).logged;
    }
    s.nwatches = a->len;
    s.watches = (TraceSummaryWatch *)(void *)a->data;
    s.dropped = drops_reported;
    s.flushes = cfg.flush_count();
    s.write_errors = logsink_write_errors();
    s.overflow = record_overflow_drop();
    trace_encode_summary(own, &s, record_timestamp(), 0);
    emit_own();
}

void writer_stop(void)
{
    if (!thread) {
        return;
    }
    atomic_store(&running, false);
    record_end_waits();
    writer_kick();
    g_thread_join(thread);
    thread = NULL;
    g_mutex_lock(&drain_lock);
    drain(UINT64_MAX, true);
    report_losses();
    write_summary();
    logsink_close();
    g_mutex_unlock(&drain_lock);
}

void writer_stats(uint64_t *n_written, uint64_t *dropped,
                  uint64_t *errors)
{
    *n_written = atomic_load(&written);
    *dropped = total_drops();
    *errors = logsink_write_errors();
}

void writer_times(uint64_t *busy, uint64_t *in_write)
{
    *busy = atomic_load(&busy_ns);
    *in_write = logsink_write_ns();
}

uint64_t writer_stalls(void)
{
    uint64_t s = 0;

    for (int i = 0; i < record_nrings(); i++) {
        if (record_ring(i)) {
            s += atomic_load(&record_ring(i)->stalls);
        }
    }
    return s;
}

bool writer_mark(const char *token)
{
    g_autoptr(GByteArray) ev = g_byte_array_new();
    bool ok;

    trace_encode_mark(ev, token, 0, 0);
    ok = record_control_put(ev);
    writer_kick();
    return ok;
}

bool writer_watch(Watch *w)
{
    g_autoptr(GByteArray) ev = g_byte_array_new();

    logsink_define_watch(w->layout);
    trace_encode_watch(ev, w->layout, 0, 0);
    return record_control_put(ev);
}
