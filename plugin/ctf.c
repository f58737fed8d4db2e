/*
 * Writing the CTF trace (see ctf.h and docs/trace.md).  An event is a ring
 * frame: its length (32 bits, 8-byte aligned) then the record, every
 * integer of which is byte-aligned; so a packet is the packet header and
 * context followed by frames exactly as a ring holds them, and a vCPU's
 * frames go from its ring to the file without a copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ctf.h"
#include "proto.h"

#include <stdatomic.h>

#define CTF_MAGIC 0xC1FC1FC1u
#define PACKET_BYTES (1u << 20)
/* magic, uuid, stream id, stream instance; then the packet context */
#define PACKET_HEADER (4 + 16 + 4 + 8)
#define PACKET_CONTEXT (6 * 8 + 4)
#define FRAME_ALIGN(n) (((n) + 7) & ~(size_t)7)
/* then padding: event headers are 8-byte aligned */
#define PACKET_PREFIX FRAME_ALIGN(PACKET_HEADER + PACKET_CONTEXT)

typedef struct Stream {
    uint32_t id;
    int fd;
    uint32_t cpu;
    uint64_t instance;
    uint64_t seq_num;           /* packets written */
    uint64_t ts_begin, ts_end;
    uint64_t discarded;
    size_t used;                /* bytes of buf, prefix included */
    uint8_t *buf;
} Stream;

struct CtfTrace {
    char *dir;
    uint8_t uuid[16];
    GMutex meta_lock;
    int meta_fd;
    bool big_endian;
    GHashTable *streams;        /* stream number -> Stream */
    Stream *last;               /* the stream of the previous record */
    atomic_uint_fast64_t write_errors;
    atomic_uint_fast64_t write_ns;      /* in write(2) */
    void (*progress)(void);
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* Write @iov (@n pieces, changed on the way) to @fd, all of it. */
static bool write_all_v(CtfTrace *t, int fd, struct iovec *iov, int n)
{
    while (n) {
        ssize_t got = writev(fd, iov, MIN(n, IOV_MAX));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            atomic_fetch_add(&t->write_errors, 1);
            return false;
        }
        while (n && (size_t)got >= iov->iov_len) {
            got -= iov->iov_len;
            iov++;
            n--;
        }
        if (n) {
            iov->iov_base = (uint8_t *)iov->iov_base + got;
            iov->iov_len -= got;
        }
        if (t->progress) {
            t->progress();
        }
    }
    return true;
}

static bool write_all(CtfTrace *t, int fd, const void *data, size_t len)
{
    struct iovec iov = { (void *)data, len };

    return write_all_v(t, fd, &iov, 1);
}

static void meta_append(CtfTrace *t, const char *text)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->meta_lock);

    write_all(t, t->meta_fd, text, strlen(text));
}

static char *uuid_text(const uint8_t *u)
{
    return g_strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                           "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
                           u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
                           u[11], u[12], u[13], u[14], u[15]);
}

/* Offset from the monotonic clock to the epoch, so viewers show dates. */
static void clock_offset(int64_t *s, int64_t *ns)
{
    struct timespec mono, real;
    int64_t d;

    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    d = (real.tv_sec - mono.tv_sec) * 1000000000ll +
        (real.tv_nsec - mono.tv_nsec);
    *s = d / 1000000000ll;
    *ns = d % 1000000000ll;
    if (*ns < 0) {
        *ns += 1000000000ll;
        *s -= 1;
    }
}

static const char prologue_types[] =
    "/* CTF 1.8 */\n\n"
    "typealias integer { size = 8; align = 8; signed = false; } := u8;\n"
    "typealias integer { size = 16; align = 8; signed = false; } := u16;\n"
    "typealias integer { size = 32; align = 8; signed = false; } := u32;\n"
    "typealias integer { size = 64; align = 8; signed = false; } := u64;\n"
    "typealias integer { size = 32; align = 8; signed = true; } := s32;\n"
    "typealias integer { size = 64; align = 8; signed = false; base = 16; }"
    " := x64;\n"
    "typealias integer { size = 8; align = 8; signed = false; "
    "encoding = UTF8; } := utf8;\n";

static const char prologue_classes[] =
    "typealias integer { size = 64; align = 8; signed = false; "
    "map = clock.monotonic.value; } := u64_clock;\n\n"
    "stream {\n"
    "    id = 0;\n"
    "    packet.context := struct {\n"
    "        u64_clock timestamp_begin;\n"
    "        u64_clock timestamp_end;\n"
    "        u64 content_size;\n"
    "        u64 packet_size;\n"
    "        u64 packet_seq_num;\n"
    "        u64 events_discarded;\n"
    "        u32 cpu_id;\n"
    "    };\n"
    "    event.header := struct {\n"
    "        integer { size = 32; align = 64; signed = false; } length;\n"
    "        u32 id;\n"
    "        u64_clock timestamp;\n"
    "    };\n"
    "    event.context := struct {\n"
    "        u64 seq;\n"
    "    };\n"
    "};\n\n"
    "event {\n"
    "    name = \"watch\";\n"
    "    id = 1;\n"
    "    stream_id = 0;\n"
    "    fields := struct {\n"
    "        u32 watch;\n"
    "        enum : u8 { \"insn\" = 0, \"mem\" = 1, \"break\" = 2 } kind;\n"
    "        u8 dir;\n"
    "        x64 addr;\n"
    "        x64 end;\n"
    "        string sym;\n"
    "        string cond;\n"
    "        u64 ignore;\n"
    "        u64 count;\n"
    "        s32 cpu;\n"
    "        enum : u8 { \"none\" = 0, \"mem\" = 1, \"str\" = 2 } capture;\n"
    "        string capture_spec;\n"
    "        u32 capture_len;\n"
    "        u8 nregs;\n"
    "        string regs;\n"
    "        u16 regnums[nregs];\n"
    "        u8 regsizes[nregs];\n"
    "        u8 regflags[nregs];\n"
    "    };\n"
    "};\n\n"
    "event {\n"
    "    name = \"mark\";\n"
    "    id = 2;\n"
    "    stream_id = 0;\n"
    "    fields := struct { string token; };\n"
    "};\n\n"
    "event {\n"
    "    name = \"drop\";\n"
    "    id = 3;\n"
    "    stream_id = 0;\n"
    "    fields := struct { u64 count; };\n"
    "};\n\n"
    "event {\n"
    "    name = \"stall\";\n"
    "    id = 4;\n"
    "    stream_id = 0;\n"
    "    fields := struct { u32 cpu; u64 dropped; u32 ms; };\n"
    "};\n\n"
    "event {\n"
    "    name = \"summary\";\n"
    "    id = 5;\n"
    "    stream_id = 0;\n"
    "    fields := struct {\n"
    "        u64 hits;\n"
    "        u64 logged;\n"
    "        u64 dropped;\n"
    "        u64 flushes;\n"
    "        u64 write_errors;\n"
    "        enum : u8 { \"wait\" = 0, \"drop\" = 1 } overflow;\n"
    "        u32 nwatches;\n"
    "        struct {\n"
    "            u32 watch;\n"
    "            x64 start;\n"
    "            x64 end;\n"
    "            u64 hits;\n"
    "            u64 logged;\n"
    "        } watches[nwatches];\n"
    "    };\n"
    "};\n\n";

static void write_prologue(CtfTrace *t, const char *arch)
{
    g_autofree char *uuid = uuid_text(t->uuid);
    g_autoptr(GString) m = g_string_new(prologue_types);
    const char *bo = t->big_endian ? "be" : "le";
    int64_t off_s, off_ns;

    /* register values keep the target's byte order */
    for (int size = 8; size <= 64; size *= 2) {
        g_string_append_printf(m, "typealias integer { size = %d; align = 8;"
                               " signed = false; base = 16; byte_order = %s;"
                               " } := reg%d;\n", size, bo, size);
    }
    clock_offset(&off_s, &off_ns);
    g_string_append_printf(m, "\ntrace {\n"
                           "    major = 1;\n"
                           "    minor = 8;\n"
                           "    uuid = \"%s\";\n"
                           "    byte_order = %s;\n"
                           "    packet.header := struct {\n"
                           "        u32 magic;\n"
                           "        u8 uuid[16];\n"
                           "        u32 stream_id;\n"
                           "        u64 stream_instance_id;\n"
                           "    };\n"
                           "};\n\n"
                           "env {\n"
                           "    domain = \"qinsn\";\n"
                           "    tracer_name = \"qinsn\";\n"
                           "    qinsn_trace_layout = %d;\n"
                           "    arch = \"%s\";\n"
                           "    target_byte_order = \"%s\";\n"
                           "};\n\n"
                           "clock {\n"
                           "    name = monotonic;\n"
                           "    description = \"CLOCK_MONOTONIC of the "
                           "host\";\n"
                           "    freq = 1000000000;\n"
                           "    precision = 1;\n"
                           "    offset_s = %" PRId64 ";\n"
                           "    offset = %" PRId64 ";\n"
                           "    absolute = false;\n"
                           "};\n\n", uuid,
                           G_BYTE_ORDER == G_LITTLE_ENDIAN ? "le" : "be",
                           CTF_TRACE_LAYOUT, arch, bo, off_s, off_ns);
    g_string_append(m, prologue_classes);
    meta_append(t, m->str);
}

CtfTrace *ctf_open(const char *dir, const char *arch, bool big_endian,
                   void (*progress)(void), GError **errp)
{
    CtfTrace *t;
    g_autofree char *meta = g_build_filename(dir, "metadata", NULL);

    if (g_mkdir_with_parents(dir, 0755) < 0) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_IO, "log=%s: cannot create the "
                    "trace directory: %s", dir, g_strerror(errno));
        return NULL;
    }
    t = g_new0(CtfTrace, 1);
    t->meta_fd = open(meta, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
                      O_CLOEXEC, 0644);
    if (t->meta_fd < 0) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_IO, "log=%s: cannot create %s: "
                    "%s", dir, meta, g_strerror(errno));
        g_free(t);
        return NULL;
    }
    t->dir = g_strdup(dir);
    t->progress = progress;
    t->big_endian = big_endian;
    for (int i = 0; i < 16; i += 4) {
        uint32_t r = g_random_int();
        memcpy(t->uuid + i, &r, 4);
    }
    t->uuid[6] = (t->uuid[6] & 0x0f) | 0x40;    /* version 4 */
    t->uuid[8] = (t->uuid[8] & 0x3f) | 0x80;
    g_mutex_init(&t->meta_lock);
    t->streams = g_hash_table_new(NULL, NULL);
    write_prologue(t, arch);
    return t;
}

/* A TSDL identifier for a register's label, unique within @seen. */
static char *field_name(const char *label, GHashTable *seen)
{
    GString *s = g_string_new(NULL);
    g_autofree char *base = NULL;

    for (const char *c = label; *c; c++) {
        g_string_append_c(s, g_ascii_isalnum(*c) ? *c : '_');
    }
    if (!s->len || g_ascii_isdigit(s->str[0])) {
        g_string_prepend_c(s, '_');
    }
    base = g_strdup(s->str);
    for (int n = 2; g_hash_table_contains(seen, s->str); n++) {
        g_string_printf(s, "%s_%d", base, n);
    }
    g_hash_table_add(seen, g_strdup(s->str));
    return g_string_free(s, false);
}

/*
 * The regs struct of @w's event: one field per register, named by its
 * label made an identifier (field_name()), an integer of its size or else
 * an array of bytes.
 */
static void append_reg_fields(GString *m, const TraceWatch *w)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal, g_free,
                                                       NULL);

    if (!w->nregs) {
        return;
    }
    g_string_append(m, "        struct {\n");
    for (int i = 0; i < w->nregs; i++) {
        g_autofree char *name = field_name(w->labels[i], seen);
        int size = w->regsizes[i];
        if (size == 1 || size == 2 || size == 4 || size == 8) {
            g_string_append_printf(m, "            reg%d %s;\n", size * 8,
                                   name);
        } else {
            g_string_append_printf(m, "            u8 %s[%d];\n", name, size);
        }
    }
    g_string_append(m, "        } regs;\n");
}

bool ctf_define_watch(CtfTrace *t, const TraceWatch *w)
{
    g_autoptr(GString) m = g_string_new(NULL);
    bool mem = w->kind == TRACE_WATCH_MEM;

    g_string_append_printf(m, "event {\n"
                           "    name = \"%s_w%u\";\n"
                           "    id = %u;\n"
                           "    stream_id = 0;\n"
                           "    fields := struct {\n"
                           "        u32 watch;\n"
                           "        u64 hit;\n"
                           "        x64 pc;\n"
                           "        u8 stale;\n", mem ? "mem" : "hit", w->id,
                           TRACE_EV_WATCH_BASE + w->id);
    if (mem) {
        g_string_append(m, "        x64 addr;\n"
                        "        u8 size;\n"
                        "        enum : u8 { \"r\" = 0, \"w\" = 1 } dir;\n"
                        "        x64 value_lo;\n"
                        "        x64 value_hi;\n");
    }
    append_reg_fields(m, w);
    if (w->capture != TRACE_CAPTURE_NONE) {
        g_string_append_printf(m, "        x64 cap_addr;\n"
                               "        u32 cap_status;\n"
                               "        u32 cap_len;\n"
                               "        %s cap[cap_len];\n",
                               w->capture == TRACE_CAPTURE_STR ? "utf8" :
                               "u8");
    }
    g_string_append(m, "    };\n};\n\n");
    meta_append(t, m->str);
    return true;
}

static Stream *stream_get(CtfTrace *t, uint32_t id)
{
    Stream *s;
    g_autofree char *name = NULL;
    g_autofree char *path = NULL;

    /* records come in runs of one stream */
    if (t->last && t->last->id == id) {
        return t->last;
    }
    s = g_hash_table_lookup(t->streams, GUINT_TO_POINTER(id));
    if (s) {
        t->last = s;
        return s;
    }
    s = g_new0(Stream, 1);
    s->id = id;
    s->cpu = id == CTF_CONTROL_STREAM ? 0 : id;
    s->instance = id == CTF_CONTROL_STREAM ? 1u << 20 : id;
    name = id == CTF_CONTROL_STREAM ? g_strdup("control") :
        g_strdup_printf("cpu%u", id);
    path = g_build_filename(t->dir, name, NULL);
    s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0) {
        atomic_fetch_add(&t->write_errors, 1);
    }
    s->buf = g_malloc0(PACKET_BYTES);
    s->used = PACKET_PREFIX;
    g_hash_table_insert(t->streams, GUINT_TO_POINTER(id), s);
    t->last = s;
    return s;
}

/*
 * The packet header and context of @s's next packet, into @p
 * (PACKET_PREFIX bytes, the padding included): @content bytes of it hold
 * events, @size bytes in all (the last frame's padding).
 */
static void put_prefix(CtfTrace *t, Stream *s, uint8_t *p, size_t content,
                       size_t size)
{
    uint32_t magic = CTF_MAGIC, stream_id = 0;
    uint64_t content_bits = (uint64_t)content * 8;
    uint64_t size_bits = (uint64_t)size * 8;

    memset(p, 0, PACKET_PREFIX);
    p = trace_put(p, &magic, 4);
    p = trace_put(p, t->uuid, 16);
    p = trace_put(p, &stream_id, 4);
    p = trace_put(p, &s->instance, 8);
    p = trace_put(p, &s->ts_begin, 8);
    p = trace_put(p, &s->ts_end, 8);
    p = trace_put(p, &content_bits, 8);
    p = trace_put(p, &size_bits, 8);
    p = trace_put(p, &s->seq_num, 8);
    p = trace_put(p, &s->discarded, 8);
    trace_put(p, &s->cpu, 4);
}

/* Write @iov (the prefix first) as @s's next packet. */
static void packet_out(CtfTrace *t, Stream *s, struct iovec *iov, int n)
{
    if (s->fd >= 0) {
        uint64_t start = now_ns();
        write_all_v(t, s->fd, iov, n);
        atomic_fetch_add(&t->write_ns, now_ns() - start);
    }
    s->seq_num++;
    s->ts_end = 0;
}

/* Write out the packet @s has collected; false when it had no event. */
static bool packet_write(CtfTrace *t, Stream *s)
{
    struct iovec iov = { s->buf, s->used };

    if (s->used == PACKET_PREFIX) {
        return false;
    }
    put_prefix(t, s, s->buf, s->used, s->used);
    packet_out(t, s, &iov, 1);
    s->used = PACKET_PREFIX;
    return true;
}

void ctf_append(CtfTrace *t, uint32_t stream, const uint8_t *ev,
                size_t len, uint64_t discarded)
{
    Stream *s = stream_get(t, stream);
    size_t at = FRAME_ALIGN(s->used);
    uint32_t frame_len = (uint32_t)len;
    uint64_t ts;

    if (at + 4 + len > PACKET_BYTES) {
        packet_write(t, s);
        at = PACKET_PREFIX;
    }
    memcpy(&ts, ev + 4, 8);
    if (s->used == PACKET_PREFIX) {
        s->ts_begin = ts;
    }
    s->ts_end = MAX(s->ts_end, ts);
    s->discarded = discarded;
    memset(s->buf + s->used, 0, at - s->used);
    memcpy(s->buf + at, &frame_len, 4);
    memcpy(s->buf + at + 4, ev, len);
    s->used = at + 4 + len;
}

void ctf_append_frames(CtfTrace *t, uint32_t stream, const CtfFrames *f)
{
    Stream *s = stream_get(t, stream);
    uint8_t prefix[PACKET_PREFIX];
    struct iovec iov[1 + CTF_FRAME_RUNS];
    size_t bytes = 0;
    int n = 0;

    packet_write(t, s);         /* records copied before these go first */
    iov[n++] = (struct iovec){ prefix, PACKET_PREFIX };
    for (int i = 0; i < f->nruns; i++) {
        iov[n++] = (struct iovec){ (void *)f->run[i], f->run_len[i] };
        bytes += f->run_len[i];
    }
    if (!bytes) {
        return;
    }
    s->ts_begin = f->ts_begin;
    s->ts_end = f->ts_end;
    s->discarded = f->discarded;
    put_prefix(t, s, prefix, PACKET_PREFIX + bytes - f->tail_pad,
               PACKET_PREFIX + bytes);
    packet_out(t, s, iov, n);
}

bool ctf_flush(CtfTrace *t)
{
    GHashTableIter it;
    gpointer s;
    bool wrote = false;

    g_hash_table_iter_init(&it, t->streams);
    while (g_hash_table_iter_next(&it, NULL, &s)) {
        wrote |= packet_write(t, s);
    }
    return wrote;
}

uint64_t ctf_write_ns(CtfTrace *t)
{
    return atomic_load(&t->write_ns);
}

uint64_t ctf_write_errors(CtfTrace *t)
{
    return atomic_load(&t->write_errors);
}

void ctf_close(CtfTrace *t)
{
    GHashTableIter it;
    gpointer v;

    ctf_flush(t);
    g_hash_table_iter_init(&it, t->streams);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        Stream *s = v;
        if (s->fd >= 0) {
            close(s->fd);
        }
        g_free(s->buf);
        g_free(s);
    }
    g_hash_table_unref(t->streams);
    close(t->meta_fd);
    g_free(t->dir);
    g_free(t);
}
