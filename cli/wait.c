/*
 * "wait [SECONDS]": block until the QEMU that "qinsn run" started exits,
 * so that a script (run -x) records a whole run instead of ending QEMU
 * when its last line is done.  Events and the guest's serial output go on
 * being shown meanwhile.  When the time is up first, QEMU is ended with
 * QMP "quit" (an orderly exit, so the plugin still writes its summary)
 * and the command fails as an ERR does.
 */
#include "cli.h"
#include "handlers.h"
#include "qmp.h"

#define WAIT_SLICE_MS 200
#define QUIT_WAIT_MS 10000

static bool waited_out(Session *s, uint64_t secs, GError **errp)
{
    g_autoptr(GError) err = NULL;
    bool asked = s->qmp_path && qmp_execute(s->qmp_path, "quit", &err);
    bool ended = s->qemu_wait(s->qemu_opaque, QUIT_WAIT_MS);

    g_set_error(errp, CLI_ERROR, CLI_EXIT_REMOTE,
                "wait: QEMU still ran after %" G_GUINT64_FORMAT " s: %s", secs,
                ended ? "ended it with QMP quit" :
                asked ? "asked it to quit (QMP), it did not" :
                "could not end it with QMP quit");
    return false;
}

bool cmd_wait(Session *s, const QinsnRequest *req, GError **errp)
{
    uint64_t secs = 0;
    gint64 deadline = 0;

    if (req->args->len &&
        (!qinsn_parse_u64(g_ptr_array_index(req->args, 0), &secs, errp) ||
         secs > 86400 * 365)) {
        g_clear_error(errp);
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "wait: '%s' is not a number of seconds",
                    (char *)g_ptr_array_index(req->args, 0));
        return false;
    }
    if (!s->qemu_wait) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "wait: only for the QEMU that 'qinsn run' started (in "
                    "its -x script or its REPL)");
        return false;
    }
    if (req->args->len) {
        deadline = g_get_monotonic_time() + secs * G_USEC_PER_SEC;
    }
    while (!s->qemu_wait(s->qemu_opaque, 0)) {
        g_autoptr(GError) err = NULL;
        int slice = WAIT_SLICE_MS;

        if (cli_interrupted || cli_terminated) {
            g_set_error(errp, CLI_ERROR, CLI_EXIT_REMOTE,
                        "wait: interrupted");
            return false;
        }
        if (deadline) {
            gint64 left = deadline - g_get_monotonic_time();
            if (left <= 0) {
                return waited_out(s, secs, errp);
            }
            slice = MIN(slice, (int)(left / 1000) + 1);
        }
        if (conn_is_open(s->conn)) {
            /* the socket closes as QEMU exits: the loop then sees it */
            conn_pump(s->conn, slice, &err);
            session_flush_events(s);
        } else {
            s->qemu_wait(s->qemu_opaque, slice);
        }
    }
    session_flush_events(s);
    session_print(s, s->json ? "{\"ok\":true}\n" : "OK\n", false);
    return true;
}
