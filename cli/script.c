/*
 * Script mode: commands one per line from a file or stdin, '#' comments
 * and blank lines skipped.  The first failing command stops the script
 * (unless -k) and its exit code is the script's.
 *
 * Events are printed by tail and when the script ends, not after each
 * command: "subscribe", "watch … count=2", "tail 2" then shows both hits
 * however fast they came.  Without "subscribe" the script subscribes by
 * itself before the first command that makes hits come, and holds them for
 * a tail: "watch … count=3", "continue", "tail 3" shows the three hits even
 * when the guest made them before tail started.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "session.h"

static FILE *open_script(const char *path, GError **errp)
{
    FILE *f = g_str_equal(path, "-") ? stdin : fopen(path, "r");

    if (!f) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "cannot read script %s: %s", path, g_strerror(errno));
    }
    return f;
}

/* Whether the command of @text can make hits come. */
static bool starts_hits(const char *text)
{
    static const char *const names[] = {
        "watch", "watch-mem", "enable", "continue",
    };
    size_t len = strcspn(text, " \t");

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (strlen(names[i]) == len && !strncmp(text, names[i], len)) {
            return true;
        }
    }
    return false;
}

/* Run one line; false when it failed (and was reported). */
static bool script_line(Session *s, const char *text, const char *where,
                        int *rc)
{
    g_autoptr(GError) err = NULL;

    if ((!starts_hits(text) || session_hold_events(s, &err)) &&
        commands_execute(s, text, &err)) {
        return true;
    }
    session_report(s, err, where);
    if (!*rc) {
        *rc = cli_exit_code(err);
    }
    return false;
}

int script_run(Session *s, const char *path, bool keep_going)
{
    g_autoptr(GError) err = NULL;
    const char *name = g_str_equal(path, "-") ? "stdin" : path;
    FILE *f = open_script(path, &err);
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = CLI_EXIT_OK;

    if (!f) {
        session_report(s, err, NULL);
        return cli_exit_code(err);
    }
    while (!s->quit && !cli_terminated && getline(&line, &cap, f) >= 0) {
        g_autofree char *where = g_strdup_printf("%s:%d", name, ++lineno);
        char *text = g_strstrip(line);

        if (!*text || *text == '#') {
            continue;
        }
        if (!script_line(s, text, where, &rc) && !keep_going) {
            break;
        }
        if (cli_interrupted) {
            fprintf(stderr, "qinsn: %s: interrupted\n", where);
            rc = rc ? rc : CLI_EXIT_REMOTE;
            break;
        }
    }
    free(line);
    session_flush_events(s);
    if (f != stdin) {
        fclose(f);
    }
    return rc;
}
