/*
 * Fuzz harness: the plugin's request handlers (plugin/commands.c) as the
 * control socket drives them, over a sequence of requests that share one
 * watch table, with the QEMU-facing parts (flushes, the log writer, the
 * socket) replaced by stand-ins below.
 *
 * Input: one byte choosing the target, then request lines.  Checks: every
 * request gets exactly one reply made of "= " data lines and one status
 * line (OK, or ERR with a documented class and no data lines), all of it
 * printable; `list` agrees with `stats` and with the ids handed out.
 */
#include <inttypes.h>
#include <string.h>

#include "commands.h"
#include "flush.h"
#include "fuzzlib.h"
#include "program.h"
#include "record.h"
#include "stop.h"
#include "writer.h"

/* What control.c would keep of a client, as far as commands.c acts on it. */
struct Client {
    bool subscribed;
    bool closing;
};

static Target target;
static WatchTable *table;

/* Stand-ins for flush.c: every flush completes at once. */
static uint64_t gen_requested;
static uint64_t flushes;

uint64_t flush_request(void)
{
    flushes++;
    return ++gen_requested;
}

uint64_t flush_live_gen(void)
{
    return gen_requested;
}

uint64_t flush_count(void)
{
    return flushes;
}

const char *flush_path_name(void)
{
    return "stock-reset";
}

FlushPath flush_path(void)
{
    return FLUSH_PATH_STOCK;
}

bool flush_translating(void)
{
    return true;
}

void flush_last_times(FlushTimes *t)
{
    *t = (FlushTimes) { 0 };
}

/* Stand-ins for stop.c: breaks are accepted as on a stock system QEMU. */
bool stop_available(GError **errp)
{
    return true;
}

StopMethod stop_method(void)
{
    return STOP_LATE;
}

const char *stop_method_name(void)
{
    return "late";
}

/* Stand-ins for writer.c and control.c. */
static unsigned int marks;

bool writer_watch(Watch *w)
{
    return true;
}

bool writer_mark(const char *token)
{
    FUZZ_CHECK(fuzz_printable(token, strlen(token)));
    return ++marks <= 8;        /* then the queue is "full" */
}

void writer_stats(uint64_t *written, uint64_t *dropped,
                  uint64_t *write_errors)
{
    *written = marks;
    *dropped = 0;
    *write_errors = 0;
}

uint64_t writer_stalls(void)
{
    return 0;
}

void writer_times(uint64_t *busy, uint64_t *in_write)
{
    *busy = *in_write = 0;
}

/* Stand-ins for record.c. */
static bool overflow_drop;

void record_set_overflow_drop(bool drop)
{
    overflow_drop = drop;
}

bool record_overflow_drop(void)
{
    return overflow_drop;
}

uint32_t record_stall_ms(void)
{
    return 1000;
}

void record_end_waits(void)
{
}

uint32_t control_clients(void)
{
    return 1;
}

void program_stats(GString *text)
{
}

void client_subscribe(Client *c, bool on)
{
    c->subscribed = on;
}

void client_close(Client *c)
{
    c->closing = true;
}

/* The last reply, checked by the caller. */
static char *reply;

void client_reply_at(Client *c, uint64_t gen, char *text)
{
    FUZZ_CHECK(!reply);
    FUZZ_CHECK(gen <= gen_requested);
    reply = text;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_glib();
    /* every command the table gives the plugin has a handler, no other */
    FUZZ_CHECK(commands_all_bound());
    return 0;
}

/* Check one reply's shape; returns its status line. */
static const char *check_reply(const char *text, guint *n_data)
{
    const char *line = text, *nl;

    *n_data = 0;
    FUZZ_CHECK(*text);
    while ((nl = strchr(line, '\n')) && nl[1]) {
        FUZZ_CHECK(g_str_has_prefix(line, "= "));
        FUZZ_CHECK(fuzz_printable(line, nl - line));
        (*n_data)++;
        line = nl + 1;
    }
    FUZZ_CHECK(nl && !nl[1]);
    FUZZ_CHECK(fuzz_printable(line, nl - line));
    if (g_str_has_prefix(line, "ERR ")) {
        const char *cls = line + 4;
        g_autofree char *name = g_strndup(cls, strcspn(cls, " \n"));

        FUZZ_CHECK(*n_data == 0);
        FUZZ_CHECK(qinsn_error_class_from_name(name) >= 0);
    } else {
        FUZZ_CHECK(g_str_has_prefix(line, "OK"));
        FUZZ_CHECK(line[2] == '\n' || line[2] == ' ');
    }
    return line;
}

static char *run(Client *c, const char *request, guint *n_data)
{
    char *text;

    commands_run(c, request);
    FUZZ_CHECK(reply);
    check_reply(reply, n_data);
    text = reply;
    reply = NULL;
    return text;
}

static void reset(unsigned int which)
{
    CommandsConfig cc = { .target = &target, .format = FORMAT_JSON };

    if (table) {
        watch_table_free(table);
        g_ptr_array_unref(target.default_regs);
    }
    /* a small table so the limit is reached; ranges as in the plugin */
    table = watch_table_new(16, 1 << 24);
    target.default_regs = g_ptr_array_new_with_free_func(g_free);
    target.regs = (QinsnRegTable *)fuzz_table(which);
    target.arch = target.regs->arch;
    cc.watches = table;
    commands_init(&cc);
    marks = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *input = NULL;
    g_auto(GStrv) lines = NULL;
    Client c = { 0 };
    g_autofree char *listed = NULL, *stats = NULL;
    guint n_list, n_stats;
    guint64 watches = 0;
    const char *p;

    if (size < 1 || size > 16384) {
        return 0;
    }
    reset(data[0]);
    input = fuzz_string(data + 1, size - 1);
    lines = g_strsplit(input, "\n", 65);
    for (int i = 0; lines[i] && i < 64 && !c.closing; i++) {
        guint n_data;
        size_t len = strlen(lines[i]);

        if (len > QINSN_LINE_MAX) {
            continue;           /* control.c refuses these before us */
        }
        if (len && lines[i][len - 1] == '\r') {
            lines[i][len - 1] = '\0';
        }
        g_free(run(&c, lines[i], &n_data));
    }

    /* the table, as list and stats show it, is consistent */
    listed = run(&c, "list", &n_list);
    p = strstr(listed, "OK watches=");
    FUZZ_CHECK(p);
    watches = g_ascii_strtoull(p + 11, NULL, 10);
    FUZZ_CHECK(watches == n_list && watches <= 16);
    FUZZ_CHECK(watches == watch_table_count(table));
    stats = run(&c, "stats", &n_stats);
    FUZZ_CHECK(n_stats > 0);
    p = strstr(stats, "= watches=");
    FUZZ_CHECK(p && g_ascii_strtoull(p + 10, NULL, 10) == watches);
    return 0;
}
