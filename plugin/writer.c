/*
 * The log writer: one thread that drains every vCPU's ring in record order,
 * writes the log and hands events to subscribers of the control socket.
 *
 * vCPU threads never wait for it: a full ring drops records, and the writer
 * reports the drops as a record of their own.  It is also the place where
 * removed watches are finally freed, because only it knows when their last
 * records have been written.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "qinsn.h"

static GThread *thread;
static atomic_bool running;
static FILE *log_file;
static bool log_is_stderr;
static GMutex drain_lock;       /* the writer thread vs. the final drain */
static atomic_uint_fast64_t written;
/* Records drained per round, so a busy log still gets flushed regularly. */
#define DRAIN_BATCH 4096
static uint64_t drops_reported;
static atomic_uint_fast64_t write_errors;
static int last_errno;
static GString *line;
static GString *event;

static FormatContext format_ctx(void)
{
    FormatContext c = { .regs = qinsn.regs, .big_endian = qinsn.big_endian };

    return c;
}

static void emit(GString *s)
{
    if (fwrite(s->str, 1, s->len, log_file) != s->len) {
        atomic_fetch_add(&write_errors, 1);
        last_errno = errno;
        clearerr(log_file);
    }
}

static uint64_t total_drops(void)
{
    uint64_t d = atomic_load(&qinsn.lost_vcpus);

    for (int i = 0; i < atomic_load(&qinsn.nrings); i++) {
        if (qinsn.rings[i]) {
            d += atomic_load(&qinsn.rings[i]->dropped);
        }
    }
    return d + atomic_load(&qinsn.control_ring->dropped);
}

/* The ring whose oldest record comes first, or NULL when all are empty. */
static Ring *next_ring(void)
{
    Ring *best = NULL;
    uint64_t best_seq = UINT64_MAX;
    Record *r;

    for (int i = 0; i < atomic_load(&qinsn.nrings); i++) {
        Ring *ring = qinsn.rings[i];
        if (ring && (r = ring_peek(ring)) && r->seq < best_seq) {
            best = ring;
            best_seq = r->seq;
        }
    }
    r = ring_peek(qinsn.control_ring);
    if (r && r->seq < best_seq) {
        best = qinsn.control_ring;
    }
    return best;
}

static void report_drops(void)
{
    uint64_t d = total_drops();

    if (d > drops_reported) {
        g_string_truncate(line, 0);
        format_drop(line, qinsn.format, d - drops_reported);
        emit(line);
        g_string_truncate(event, 0);
        format_drop(event, FORMAT_EVENT, d - drops_reported);
        control_broadcast(event->str);
        drops_reported = d;
    }
}

/* Write out up to @max records; returns how many. */
static uint64_t drain(uint64_t max)
{
    FormatContext ctx = format_ctx();
    uint64_t n = 0, hits = 0;
    Ring *ring;

    g_mutex_lock(&drain_lock);
    while (n < max && (ring = next_ring())) {
        Record *rec = ring_peek(ring);

        g_string_truncate(line, 0);
        format_record(line, qinsn.format, &ctx, rec);
        emit(line);
        if (rec->kind != RECORD_WATCH && control_subscribers()) {
            g_string_truncate(event, 0);
            format_record(event, FORMAT_EVENT, &ctx, rec);
            control_broadcast(event->str);
        }
        /* written counts hit records, to compare with logged */
        hits += rec->kind == RECORD_HIT || rec->kind == RECORD_MEM;
        ring_pop(ring);
        n++;
    }
    report_drops();
    if (n) {
        control_wake();
    }
    atomic_fetch_add(&written, hits);
    if (n && fflush(log_file) != 0) {
        atomic_fetch_add(&write_errors, 1);
        last_errno = errno;
        clearerr(log_file);
    }
    g_mutex_unlock(&drain_lock);
    return n;
}

/*
 * Removed watches may be freed once a flush completed after their removal
 * (no callback can reach them) and every record published before that flush
 * was written.  The ring heads seen after reading the flush count mark
 * those records; once every tail has passed its mark, reclaim.
 */
static uint64_t reclaim_flushes;
static uint64_t reclaim_mark[QINSN_MAX_VCPUS + 1];

static void reclaim_snapshot(void)
{
    reclaim_flushes = flush_count();
    for (int i = 0; i < atomic_load(&qinsn.nrings); i++) {
        reclaim_mark[i] = qinsn.rings[i] ?
            atomic_load(&qinsn.rings[i]->head) : 0;
    }
    reclaim_mark[QINSN_MAX_VCPUS] = atomic_load(&qinsn.control_ring->head);
}

static bool reclaim_reached(void)
{
    for (int i = 0; i < atomic_load(&qinsn.nrings); i++) {
        if (qinsn.rings[i] &&
            atomic_load(&qinsn.rings[i]->tail) < reclaim_mark[i]) {
            return false;
        }
    }
    return atomic_load(&qinsn.control_ring->tail) >=
        reclaim_mark[QINSN_MAX_VCPUS];
}

static gpointer writer_main(gpointer unused)
{
    reclaim_snapshot();
    while (atomic_load(&running)) {
        if (!drain(DRAIN_BATCH)) {
            g_usleep(2000);
        }
        if (reclaim_reached()) {
            watch_table_reclaim(qinsn.watches, reclaim_flushes);
            reclaim_snapshot();
        }
    }
    return NULL;
}

bool writer_start(GError **errp)
{
    line = g_string_sized_new(512);
    event = g_string_sized_new(512);
    if (qinsn.log_path) {
        log_file = fopen(qinsn.log_path, "w");
        if (!log_file) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_IO,
                        "log=%s: cannot open: %s", qinsn.log_path,
                        g_strerror(errno));
            return false;
        }
        setvbuf(log_file, NULL, _IOFBF, 1 << 16);
    } else {
        log_file = stderr;
        log_is_stderr = true;
    }
    atomic_store(&running, true);
    thread = g_thread_new("qinsn-writer", writer_main, NULL);
    return true;
}

static void add_summary_watch(Watch *w, void *opaque)
{
    Summary *s = opaque;
    SummaryWatch sw = {
        .id = w->id, .start = w->start, .end = w->end,
        .hits = atomic_load(&w->hits), .logged = atomic_load(&w->logged),
    };

    s->hits += sw.hits;
    s->logged += sw.logged;
    g_array_append_val(s->watches, sw);
}

void writer_stop(void)
{
    Summary s = { 0 };

    if (!thread) {
        return;
    }
    atomic_store(&running, false);
    g_thread_join(thread);
    thread = NULL;
    drain(UINT64_MAX);
    s.watches = g_array_new(false, true, sizeof(SummaryWatch));
    watch_table_retired(qinsn.watches, &s.hits, &s.logged);
    watch_table_foreach(qinsn.watches, add_summary_watch, &s);
    s.dropped = drops_reported;
    s.flushes = flush_count();
    s.write_errors = atomic_load(&write_errors);
    g_string_truncate(line, 0);
    format_summary(line, qinsn.format, &s);
    emit(line);
    g_array_free(s.watches, true);
    fflush(log_file);
    if (!log_is_stderr) {
        fclose(log_file);
    }
    log_file = NULL;
}

void writer_stats(uint64_t *n_written, uint64_t *dropped,
                  uint64_t *errors)
{
    *n_written = atomic_load(&written);
    *dropped = total_drops();
    *errors = atomic_load(&write_errors);
}

/*
 * Queue a record of the control ring: marks from the control thread, watch
 * definitions from it and from the first vCPU (plugin arguments), hence the
 * lock that keeps the ring single-producer.
 */
static bool control_record(RecordKind kind, Watch *w, const char *token)
{
    static GMutex lock;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
    Ring *ring = qinsn.control_ring;
    size_t len = token ? strlen(token) : 0;
    Record *rec;

    /*
     * A full queue refuses the record and the caller says so: it is not
     * a lost hit, which ring_reserve() would count among the drops.
     */
    if (atomic_load(&ring->head) - atomic_load(&ring->tail) >=
        QINSN_RING_SLOTS) {
        return false;
    }
    rec = ring_reserve(ring);
    len = MIN(len, sizeof(rec->data));
    rec->kind = kind;
    rec->watch = w;
    rec->cpu = 0;
    rec->pc = w ? w->start : 0;
    rec->hit = 0;
    rec->stale = false;
    if (len) {
        memcpy(rec->data, token, len);
    }
    rec->len = len;
    rec->seq = atomic_fetch_add(&qinsn.seq, 1);
    ring_commit(ring);
    return true;
}

bool writer_mark(const char *token)
{
    return control_record(RECORD_MARK, NULL, token);
}

bool writer_watch(Watch *w)
{
    return control_record(RECORD_WATCH, w, NULL);
}
