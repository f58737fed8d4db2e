/*
 * The interactive loop: readline in callback mode, polled together with
 * the control socket so that hits (the REPL subscribes at once) print above
 * the prompt while a line is being typed, without clobbering it.
 *
 * History lives in $XDG_STATE_HOME/qinsn/history (~/.local/state/…).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cli.h"
#include "commands.h"
#include "session.h"

#define HISTORY_LINES 1000

static Session *repl;
static bool repl_done;
static char *history_path;
static GPtrArray *candidates;

/* Print above the prompt and the line being edited, then redraw them. */
static void emit_above(const char *text, bool to_stderr)
{
    rl_clear_visible_line();
    fputs(text, to_stderr ? stderr : stdout);
    fflush(to_stderr ? stderr : stdout);
    rl_on_new_line();
    rl_redisplay();
}

static char *history_file(void)
{
    const char *state = g_getenv("XDG_STATE_HOME");
    g_autofree char *dir = state && *state ?
        g_build_filename(state, "qinsn", NULL) :
        g_build_filename(g_get_home_dir(), ".local", "state", "qinsn", NULL);

    if (g_mkdir_with_parents(dir, 0700) < 0) {
        return NULL;
    }
    return g_build_filename(dir, "history", NULL);
}

static void history_init(void)
{
    using_history();
    stifle_history(HISTORY_LINES);
    history_path = history_file();
    if (history_path && read_history(history_path) != 0) {
        write_history(history_path);    /* create it for append_history */
    }
}

static void history_add(const char *line)
{
    HIST_ENTRY *last = history_length ? history_get(history_base +
                                                    history_length - 1)
                                      : NULL;

    if (last && g_str_equal(last->line, line)) {
        return;
    }
    add_history(line);
    if (history_path) {
        append_history(1, history_path);
        history_truncate_file(history_path, HISTORY_LINES);
    }
}

static void on_line(char *line)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *text = line ? g_strstrip(g_strdup(line)) : NULL;

    free(line);
    if (!text) {
        repl_done = true;
        rl_callback_handler_remove();
        fputs("\n", stdout);
        return;
    }
    if (!*text) {
        return;
    }
    history_add(text);
    cli_interrupted = 0;    /* a Ctrl-C before Enter was for the line */
    repl->emit = NULL;
    if (!commands_execute(repl, text, &err)) {
        session_report(repl, err, NULL);
    }
    session_flush_events(repl);
    repl->emit = emit_above;
    if (repl->quit) {
        /* no new prompt after quit */
        repl_done = true;
        rl_callback_handler_remove();
    }
}

static char *next_candidate(const char *text, int state)
{
    static guint i;

    if (!state) {
        i = 0;
    }
    if (i < candidates->len) {
        return strdup(g_ptr_array_index(candidates, i++));
    }
    return NULL;
}

/*
 * List only what differs between the matches: "a0 a1", not "regs=a0
 * regs=a1" (matches[0] is the common prefix, the rest the matches).
 */
static void display_matches(char **matches, int n, int max_len)
{
    const char *lcd = matches[0];
    const char *cut = strrchr(lcd, ',');
    size_t skip;
    g_autoptr(GPtrArray) shown = g_ptr_array_new_with_free_func(g_free);
    int longest = 0;

    if (!cut) {
        cut = strrchr(lcd, '=');
    }
    skip = cut ? (size_t)(cut - lcd + 1) : 0;
    g_ptr_array_add(shown, g_strdup(lcd + skip));
    for (int i = 1; i <= n; i++) {
        g_ptr_array_add(shown, g_strdup(matches[i] + skip));
        longest = MAX(longest, (int)strlen(matches[i] + skip));
    }
    g_ptr_array_add(shown, NULL);
    rl_display_match_list((char **)shown->pdata, n, longest);
    rl_forced_update_display();
}

static char **attempt_completion(const char *text, int start, int end)
{
    g_autofree char *before = g_strndup(rl_line_buffer, start);
    bool space;

    rl_attempted_completion_over = 1;
    if (candidates) {
        g_ptr_array_unref(candidates);
    }
    repl->emit = NULL;  /* requests made here print nothing */
    candidates = commands_complete(repl, before, text, &space);
    repl->emit = emit_above;
    rl_completion_append_character = space ? ' ' : '\0';
    return rl_completion_matches(text, next_candidate);
}

static void on_interrupt(void)
{
    cli_interrupted = 0;
    rl_replace_line("", 0);
    rl_crlf();
    rl_on_new_line();
    rl_redisplay();
}

static void readline_init(void)
{
    rl_readline_name = "qinsn";
    rl_catch_signals = 0;
    rl_completer_word_break_characters = (char *)" \t";
    rl_attempted_completion_function = attempt_completion;
    rl_completion_display_matches_hook = display_matches;
    rl_callback_handler_install(isatty(STDOUT_FILENO) ? "(qinsn) " : "",
                                on_line);
}

/* One turn of the loop; false when the connection is gone. */
static bool repl_turn(GError **errp)
{
    Conn *c = repl->conn;
    struct pollfd p[4] = {
        { .fd = STDIN_FILENO, .events = POLLIN },
        { .fd = c->fd, .events = POLLIN },
        { .fd = cli_signal_fd(), .events = POLLIN },
        { .fd = c->aux_fd, .events = POLLIN },
    };

    if (cli_interrupted) {
        on_interrupt();
    }
    if (poll(p, c->aux_fd >= 0 ? 4 : 3, -1) < 0) {
        return true;    /* EINTR: the flags are checked next turn */
    }
    if (p[2].revents) {
        cli_signal_drain();
        return true;
    }
    if (p[3].revents && c->aux_fd >= 0) {
        c->aux_fn(c->aux_fd, c->aux_opaque);
    }
    if (p[1].revents && !conn_pump(c, 0, errp)) {
        return false;
    }
    session_flush_events(repl);
    if (p[0].revents) {
        rl_callback_read_char();
    }
    return conn_is_open(c);
}

int repl_run(Session *s)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(Reply) r = NULL;
    int rc = CLI_EXIT_OK;

    repl = s;
    r = session_request(s, "subscribe", &err);
    if (!r) {
        session_report(s, err, NULL);
        return cli_exit_code(err);
    }
    s->subscribed = true;
    history_init();
    readline_init();
    s->emit = emit_above;
    while (!repl_done && !cli_terminated) {
        if (!repl_turn(&err)) {
            session_flush_events(s);
            rl_callback_handler_remove();
            s->emit = NULL;
            fputs("\n", stdout);
            if (err) {
                session_report(s, err, NULL);
            }
            return CLI_EXIT_CONNECT;
        }
    }
    s->emit = NULL;
    if (!repl_done) {
        rl_callback_handler_remove();
    }
    return rc;
}
