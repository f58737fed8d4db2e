/*
 * "qinsn decode DIR [--json]": a CTF trace written with format=ctf, printed
 * as format=text (or format=json) would have written the log.
 *
 * Each stream file is read a packet at a time (ctfread.c) and the streams
 * are merged by the global sequence number of each record, the order the
 * text and JSON writers follow; records go through the same formatter
 * (common/logfmt.c) as in the plugin, with the stream's vCPU.  Memory use
 * is one packet per stream whatever the length of the trace.
 *
 * Exit codes: 0 a complete trace, 1 a trace cut short (no summary record:
 * QEMU did not exit normally; everything there is is printed), 2 usage or
 * malformed input (the message names the file and the byte offset).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ctfread.h"
#include "decode.h"
#include "handlers.h"
#include "logfmt.h"

#define OUT_FLUSH (1u << 20)
#define DECODE_CUT_SHORT CLI_EXIT_REMOTE   /* exit status 1 */

typedef struct Decoder {
    const char *dir;
    OutputFormat format;
    uint8_t uuid[16];
    bool big_endian;
    GPtrArray *paths;           /* stream files */
    GPtrArray *files;           /* their FILEs */
    CtfStream *streams;
    LogFormatter fmt;
    GString *out;
    uint64_t records;
    bool summary;
    int write_errno;            /* 0 while writes succeed */
} Decoder;

/*
 * The value of the first "key = value;" that starts a line of the TSDL
 * text: quotes and the semicolon removed.  Enough for the few lines the
 * plugin writes in a fixed form (the trace and env blocks).
 */
static char *tsdl_value(const char *text, const char *key)
{
    size_t klen = strlen(key);
    const char *l = text;

    for (; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        const char *p = l + strspn(l, " \t"), *end;

        if (strncmp(p, key, klen) || strncmp(p + klen, " = ", 3)) {
            continue;
        }
        p += klen + 3;
        end = strchr(p, ';');
        if (!end || memchr(p, '\n', end - p)) {
            return NULL;
        }
        if (*p == '"' && end > p + 1 && end[-1] == '"') {
            return g_strndup(p + 1, end - p - 2);
        }
        return g_strndup(p, end - p);
    }
    return NULL;
}

static bool parse_uuid(const char *text, uint8_t *uuid)
{
    int n = 0;

    for (const char *p = text; *p && n < 32; p++) {
        int v = g_ascii_xdigit_value(*p);
        if (*p == '-') {
            continue;
        }
        if (v < 0) {
            return false;
        }
        uuid[n / 2] = n % 2 ? (uuid[n / 2] | v) : v << 4;
        n++;
    }
    return n == 32 && strlen(text) == 36;
}

static bool bad_input(GError **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool bad_input(GError **errp, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(errp, CLI_ERROR, CLI_EXIT_USAGE, msg);
    return false;
}

/* What the decoder needs of the metadata: uuid and byte orders. */
static bool read_metadata(Decoder *d, GError **errp)
{
    static const char magic[] = "/* CTF 1.8 */";
    g_autofree char *path = g_build_filename(d->dir, "metadata", NULL);
    g_autofree char *text = NULL;
    g_autofree char *tracer = NULL, *uuid = NULL, *bo = NULL, *tbo = NULL;
    g_autofree char *layout = NULL;
    g_autoptr(GError) err = NULL;
    const char *host = G_BYTE_ORDER == G_LITTLE_ENDIAN ? "le" : "be";
    gsize len;

    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        return bad_input(errp, "%s: missing: %s is not a CTF trace "
                         "directory", path, d->dir);
    }
    if (!g_file_get_contents(path, &text, &len, &err)) {
        return bad_input(errp, "%s", err->message);
    }
    if (strlen(text) != len) {
        return bad_input(errp, "%s: byte offset %zu: a NUL byte: the "
                         "metadata is not TSDL text", path, strlen(text));
    }
    if (!g_str_has_prefix(text, magic)) {
        return bad_input(errp, "%s: byte offset 0: does not start with "
                         "\"%s\": not the metadata of a CTF 1.8 trace in "
                         "text form", path, magic);
    }
    tracer = tsdl_value(text, "tracer_name");
    if (!tracer || !g_str_equal(tracer, "qinsn")) {
        return bad_input(errp, "%s: the trace was written by %s, not by "
                         "qinsn (env.tracer_name)", path,
                         tracer ? tracer : "an unknown tracer");
    }
    layout = tsdl_value(text, "qinsn_trace_layout");
    if (!layout || !g_str_equal(layout, "2")) {
        return bad_input(errp, "%s: trace layout %s: this qinsn decodes "
                         "layout 2 (events that start with their length); "
                         "decode the trace with the qinsn that wrote it",
                         path, layout ? layout : "1 (no env."
                         "qinsn_trace_layout: events back to back)");
    }
    uuid = tsdl_value(text, "uuid");
    if (!uuid || !parse_uuid(uuid, d->uuid)) {
        return bad_input(errp, "%s: no valid trace uuid", path);
    }
    bo = tsdl_value(text, "byte_order");
    if (!bo || !g_str_equal(bo, host)) {
        return bad_input(errp, "%s: the trace's integers are %s: this "
                         "decoder reads only traces written on a host of its "
                         "own byte order (%s)", path, bo ? bo : "of no stated "
                         "byte order", host);
    }
    tbo = tsdl_value(text, "target_byte_order");
    if (!tbo || (!g_str_equal(tbo, "le") && !g_str_equal(tbo, "be"))) {
        return bad_input(errp, "%s: env.target_byte_order is %s, not \"le\" "
                         "or \"be\"", path, tbo ? tbo : "missing");
    }
    d->big_endian = g_str_equal(tbo, "be");
    return true;
}

static int cmp_path(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "control" and "cpu<N>": the stream files, sorted. */
static bool find_streams(Decoder *d, GError **errp)
{
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GError) err = NULL;
    const char *name;
    bool control = false;

    dir = g_dir_open(d->dir, 0, &err);
    if (!dir) {
        return bad_input(errp, "%s", err->message);
    }
    while ((name = g_dir_read_name(dir))) {
        const char *digits = name + 3;
        if (g_str_equal(name, "metadata") || name[0] == '.') {
            continue;
        }
        if (!g_str_equal(name, "control") &&
            (!g_str_has_prefix(name, "cpu") || !*digits ||
             strspn(digits, "0123456789") != strlen(digits))) {
            return bad_input(errp, "%s/%s: not a stream of a qinsn trace "
                             "(those are control and cpu<N>)", d->dir, name);
        }
        control |= g_str_equal(name, "control");
        g_ptr_array_add(d->paths, g_build_filename(d->dir, name, NULL));
    }
    if (d->paths->len && !control) {
        return bad_input(errp, "%s/control: missing: it holds the watch "
                         "definitions, without which no hit can be decoded",
                         d->dir);
    }
    g_ptr_array_sort(d->paths, cmp_path);
    return true;
}

static bool open_streams(Decoder *d, GError **errp)
{
    d->streams = g_new0(CtfStream, d->paths->len);
    for (guint i = 0; i < d->paths->len; i++) {
        const char *path = g_ptr_array_index(d->paths, i);
        FILE *f = fopen(path, "rb");

        if (!f) {
            return bad_input(errp, "%s: cannot open: %s", path,
                             g_strerror(errno));
        }
        g_ptr_array_add(d->files, f);
        ctf_stream_init(&d->streams[i], path, f, d->uuid);
    }
    return true;
}

static void flush_out(Decoder *d)
{
    if (d->out->len && !d->write_errno &&
        fwrite(d->out->str, 1, d->out->len, stdout) != d->out->len) {
        d->write_errno = errno ? errno : EIO;
    }
    g_string_truncate(d->out, 0);
}

/* Learn and print the next record of stream @s. */
static bool decode_one(Decoder *d, CtfStream *s, GError **errp)
{
    const uint8_t *ev;
    size_t len;

    ev = ctf_stream_take(s, d->fmt.watches, &len, errp);
    if (!ev) {
        return false;
    }
    if (!logfmt_learn(&d->fmt, ev, len) ||
        !logfmt_record(d->out, d->format, &d->fmt, s->cpu, ev, len)) {
        return bad_input(errp, "%s: byte offset %" PRIu64 ": event %" PRIu64
                         " (id %u) is malformed", s->name, s->ev_off,
                         trace_event_seq(ev), trace_event_id(ev));
    }
    d->records++;
    d->summary |= trace_event_id(ev) == TRACE_EV_SUMMARY;
    if (d->out->len >= OUT_FLUSH) {
        flush_out(d);
    }
    return true;
}

/*
 * Merge: the stream whose next record has the lowest number goes first,
 * and keeps going while its numbers stay below every other stream's.
 */
static bool merge(Decoder *d, GError **errp)
{
    guint n = d->paths->len;
    g_autofree bool *live = g_new0(bool, n);

    for (guint i = 0; i < n; i++) {
        live[i] = ctf_stream_fill(&d->streams[i], errp);
        if (!live[i] && *errp) {
            return false;
        }
    }
    while (!d->write_errno) {
        uint64_t best_seq = UINT64_MAX, next = UINT64_MAX;
        int best = -1;
        CtfStream *s;

        for (guint i = 0; i < n; i++) {
            uint64_t seq;
            if (!live[i]) {
                continue;
            }
            seq = ctf_stream_seq(&d->streams[i]);
            if (best < 0 || seq < best_seq) {
                next = best < 0 ? next : best_seq;
                best = i;
                best_seq = seq;
            } else if (seq < next) {
                next = seq;
            }
        }
        if (best < 0) {
            return true;
        }
        s = &d->streams[best];
        do {
            if (!decode_one(d, s, errp)) {
                return false;
            }
            live[best] = ctf_stream_fill(s, errp);
            if (!live[best] && *errp) {
                return false;
            }
        } while (live[best] && ctf_stream_seq(s) < next);
    }
    return true;
}

static void decoder_free(Decoder *d)
{
    for (guint i = 0; d->streams && i < d->files->len; i++) {
        ctf_stream_clear(&d->streams[i]);
    }
    for (guint i = 0; i < d->files->len; i++) {
        fclose(g_ptr_array_index(d->files, i));
    }
    g_free(d->streams);
    g_ptr_array_unref(d->files);
    g_ptr_array_unref(d->paths);
    g_string_free(d->out, true);
    logfmt_clear(&d->fmt);
}

bool decode_trace(const char *dir, bool json, GError **errp)
{
    Decoder d = {
        .dir = dir,
        .format = json ? FORMAT_JSON : FORMAT_TEXT,
        .paths = g_ptr_array_new_with_free_func(g_free),
        .files = g_ptr_array_new(),
        .out = g_string_sized_new(OUT_FLUSH + 65536),
    };
    bool ok;

    ok = read_metadata(&d, errp) && find_streams(&d, errp);
    if (ok) {
        logfmt_init(&d.fmt, d.big_endian);
        ok = open_streams(&d, errp) && merge(&d, errp);
    }
    /* what was decoded before an error is printed: it is the trace */
    flush_out(&d);
    if (!d.write_errno && fflush(stdout) != 0) {
        d.write_errno = errno;
    }
    if (ok && d.write_errno == EPIPE) {
        /* the reader has seen enough ("qinsn decode DIR | head") */
    } else if (ok && d.write_errno) {
        ok = bad_input(errp, "decode: writing the output: %s",
                       g_strerror(d.write_errno));
    } else if (ok && !d.summary) {
        g_set_error(errp, CLI_ERROR, DECODE_CUT_SHORT, "decode: %s: the "
                    "trace has no summary record: it was cut short (QEMU "
                    "did not exit normally); printed the %" PRIu64
                    " records it holds", dir, d.records);
        ok = false;
    } else if (!ok && (*errp)->domain == CTF_READ_ERROR) {
        /* malformed or truncated input: a usage-class exit status */
        (*errp)->domain = CLI_ERROR;
        (*errp)->code = CLI_EXIT_USAGE;
    }
    if (!ok && !g_str_has_prefix((*errp)->message, "decode: ")) {
        g_prefix_error(errp, "decode: ");
    }
    decoder_free(&d);
    return ok;
}

static const char decode_usage[] =
    "usage: qinsn decode [--json] <dir>\n"
    "\n"
    "Print the CTF trace in <dir> (written with format=ctf,log=<dir>) as\n"
    "format=text would have written it, or as format=json with --json.\n"
    "exit status: 0 complete, 1 cut short (no summary), 2 usage or\n"
    "malformed trace.  See qinsn(1) and docs/trace.md.\n";

int decode_main(int argc, char **argv, const CliOptions *o)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    g_autoptr(GError) err = NULL;
    bool json = o->json;
    int c;

    optind = 0;
    /* options may follow the directory: "decode DIR --json" */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(decode_usage, stdout);
            return CLI_EXIT_OK;
        default:
            fputs(decode_usage, stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fputs(decode_usage, stderr);
        return CLI_EXIT_USAGE;
    }
    if (!decode_trace(argv[optind], json, &err)) {
        cli_report(err);
        return cli_exit_code(err);
    }
    return CLI_EXIT_OK;
}

bool cmd_decode(Session *s, const QinsnRequest *req, GError **errp)
{
    bool json = qinsn_request_has_flag(req, "--json");

    fflush(stdout);
    return decode_trace(g_ptr_array_index(req->args, 0), json, errp);
}
