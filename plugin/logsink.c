/*
 * The log's output: see logsink.h.  Text and JSON lines collect in one
 * buffer that is written out in pieces of WRITE_CHUNK bytes once it holds
 * OUT_FLUSH bytes or the writer is idle; each piece tells waiting vCPUs
 * that the writer moves (record_writer_progress()), so a slow disk is
 * waited for rather than taken for a stuck writer.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "logsink.h"
#include "record.h"

#define OUT_FLUSH (1 << 20)
#define WRITE_CHUNK (64 << 10)

static OutputFormat format;
static const LogFormatter *formatter;
static int log_fd = -1;
static CtfTrace *ctf;
static GMutex ctf_lock;         /* the trace's life vs. new watches */
static GString *out;            /* text or JSON not yet written */
static atomic_uint_fast64_t write_errors;
static atomic_uint_fast64_t syscall_ns;         /* time in write(2) */

static void write_out(void)
{
    const char *p = out->str;
    size_t len = out->len;
    uint64_t start = record_now();

    while (len) {
        /* in pieces, each one a sign of life for waiting vCPUs */
        ssize_t n = write(log_fd, p, MIN(len, WRITE_CHUNK));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            /* a full disk or a closed pipe: counted, the records are gone */
            atomic_fetch_add(&write_errors, 1);
            break;
        }
        p += n;
        len -= n;
        record_writer_progress();
    }
    g_string_truncate(out, 0);
    atomic_fetch_add(&syscall_ns, record_now() - start);
}

bool logsink_open(const WriterConfig *c, const LogFormatter *f,
                  GError **errp)
{
    format = c->format;
    formatter = f;
    out = g_string_sized_new(OUT_FLUSH + 65536);
    if (c->format == FORMAT_CTF) {
        ctf = ctf_open(c->log_path ? c->log_path : "qinsn-trace",
                       c->arch, c->big_endian, record_writer_progress,
                       errp);
        return ctf != NULL;
    }
    if (!c->log_path) {
        log_fd = STDERR_FILENO;
        return true;
    }
    log_fd = open(c->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0644);
    if (log_fd < 0) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_IO,
                    "log=%s: cannot open: %s", c->log_path,
                    g_strerror(errno));
        return false;
    }
    return true;
}

void logsink_put(uint32_t stream, Ring *r, const uint8_t *ev, size_t len)
{
    if (ctf) {
        ctf_append(ctf, stream, ev, len, r ? atomic_load(&r->dropped) : 0);
        return;
    }
    logfmt_record(out, format, formatter,
                  stream == CTF_CONTROL_STREAM ? 0 : stream, ev, len);
    if (out->len >= OUT_FLUSH) {
        write_out();
    }
}

void logsink_put_frames(uint32_t stream, const CtfFrames *f)
{
    ctf_append_frames(ctf, stream, f);
}

bool logsink_settle(bool idle)
{
    if (ctf) {
        return idle && ctf_flush(ctf);
    }
    if (out->len && (idle || out->len >= OUT_FLUSH)) {
        write_out();
        return true;
    }
    return false;
}

void logsink_close(void)
{
    if (ctf) {
        g_mutex_lock(&ctf_lock);
        ctf_close(ctf);
        ctf = NULL;
        g_mutex_unlock(&ctf_lock);
        return;
    }
    write_out();
    if (log_fd != STDERR_FILENO) {
        close(log_fd);
    }
    log_fd = -1;
}

void logsink_define_watch(const TraceWatch *layout)
{
    /* not the writer's drain_lock: it holds that while it waits on the log */
    g_mutex_lock(&ctf_lock);
    if (ctf) {
        ctf_define_watch(ctf, layout);
    }
    g_mutex_unlock(&ctf_lock);
}

uint64_t logsink_write_errors(void)
{
    return atomic_load(&write_errors) + (ctf ? ctf_write_errors(ctf) : 0);
}

uint64_t logsink_write_ns(void)
{
    return atomic_load(&syscall_ns) + (ctf ? ctf_write_ns(ctf) : 0);
}
