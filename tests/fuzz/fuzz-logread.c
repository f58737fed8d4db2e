/*
 * Fuzz harness: the log reader of qinsn diff (cli/logtext.c,
 * cli/logjson.c, cli/json.c), which reads files the user names, whatever
 * they hold.
 *
 * Input: one log line.  Checks: a record or an error, never both nor
 * neither; an error is the CLI's usage error (exit status 2); a hit or
 * memory record's values are normalized hex; the quick look at a line's
 * watch id (logread_peek_watch) never disagrees with the parser.
 */
#include <string.h>

#include "cli.h"
#include "fuzzlib.h"
#include "logparse.h"

G_DEFINE_QUARK(qinsn-cli-error-quark, cli_error)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_glib();
    return 0;
}

static void check_hex(const char *v)
{
    FUZZ_CHECK(log_is_hex(v));
    /* normalized: no leading zero unless it is the only digit */
    FUZZ_CHECK(v[2] != '0' || v[3] == '\0');
}

static void check_record(const LogRecord *rec, const char *line)
{
    long peek = logread_peek_watch(line);

    if (rec->kind == LOG_HIT || rec->kind == LOG_MEM) {
        FUZZ_CHECK(peek < 0 || (unsigned long)peek == rec->watch);
        for (guint i = 0; i < rec->regs->len; i++) {
            const LogReg *r = &g_array_index(rec->regs, LogReg, i);
            FUZZ_CHECK(r->name && *r->name);
            check_hex(r->value);
        }
        if (rec->kind == LOG_MEM) {
            check_hex(rec->value);
            FUZZ_CHECK(rec->dir);
        }
        FUZZ_CHECK(!rec->cap_kind == !rec->cap_value);
    } else {
        /* a line that looks like a hit of the plugin's is one */
        FUZZ_CHECK(peek < 0);
    }
    if (rec->kind == LOG_WATCH) {
        FUZZ_CHECK(rec->wkind);
        FUZZ_CHECK(!rec->regnums->len ||
                   rec->regnums->len == rec->reg_names->len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *line = g_strndup((const char *)data, size);
    g_autoptr(GError) err = NULL;
    LogRecord rec;
    bool ok;

    /* the reader hands the parsers lines without NUL or newline */
    if (strlen(line) != size || strchr(line, '\n') || !*line) {
        return 0;
    }
    logrecord_init(&rec);
    rec.line = g_strdup(line);
    ok = line[0] == '{' ? parse_json_line(&rec, line, &err)
                        : parse_text_line(&rec, line, &err);
    FUZZ_CHECK(ok == !err);
    if (ok) {
        check_record(&rec, line);
    } else {
        FUZZ_CHECK(err->domain == CLI_ERROR &&
                   err->code == CLI_EXIT_USAGE && *err->message);
    }
    logrecord_clear(&rec);
    return 0;
}
