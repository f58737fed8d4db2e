/*
 * A one-command QMP client.  QMP sends one JSON object per line: the
 * greeting, then for each command its "return" or "error", with events
 * ("event") possibly in between; nothing more needs parsing here.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "qmp.h"

#define QMP_TIMEOUT_MS 5000

typedef struct Qmp {
    int fd;
    GString *in;
    const char *path;
    bool closed;            /* QEMU closed the connection */
} Qmp;

static bool qmp_fail(Qmp *q, const char *what, GError **errp)
{
    g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                "QMP at %s: %s", q->path, what);
    return false;
}

/* The next line from QEMU, waiting at most QMP_TIMEOUT_MS. */
static char *qmp_line(Qmp *q, GError **errp)
{
    for (;;) {
        char *nl = memchr(q->in->str, '\n', q->in->len);
        struct pollfd p = { .fd = q->fd, .events = POLLIN };
        char buf[1024];
        ssize_t n;

        if (nl) {
            char *line = g_strndup(q->in->str, nl - q->in->str);
            g_string_erase(q->in, 0, nl - q->in->str + 1);
            return line;
        }
        if (poll(&p, 1, QMP_TIMEOUT_MS) <= 0) {
            qmp_fail(q, "no answer from QEMU", errp);
            return NULL;
        }
        n = read(q->fd, buf, sizeof(buf));
        if (n <= 0) {
            q->closed = true;
            qmp_fail(q, "QEMU closed the connection", errp);
            return NULL;
        }
        g_string_append_len(q->in, buf, n);
    }
}

/* Text of "desc" in an error line, for the message. */
static char *error_desc(const char *line)
{
    const char *d = strstr(line, "\"desc\": \"");
    const char *end;

    if (!d) {
        return g_strdup(line);
    }
    d += strlen("\"desc\": \"");
    end = strchr(d, '"');
    return end ? g_strndup(d, end - d) : g_strdup(d);
}

/*
 * Run @command.  QEMU may end before it writes the answer to "cont" (the
 * guest runs on a vCPU thread the moment the command takes effect, and may
 * exit at once) or to "quit": for those two, a connection closed after the
 * command was sent is the command having taken effect.
 */
static bool qmp_call(Qmp *q, const char *command, GError **errp)
{
    bool may_end = g_str_equal(command, "cont") ||
                   g_str_equal(command, "quit");

    g_autofree char *msg = g_strdup_printf("{\"execute\": \"%s\"}\n",
                                           command);

    if (send(q->fd, msg, strlen(msg), MSG_NOSIGNAL) < 0) {
        return qmp_fail(q, g_strerror(errno), errp);
    }
    for (;;) {
        g_autofree char *line = qmp_line(q, errp);

        if (!line && q->closed && may_end) {
            g_clear_error(errp);
            return true;
        }
        if (!line) {
            return false;
        }
        if (strstr(line, "\"return\"")) {
            return true;
        }
        if (strstr(line, "\"error\"")) {
            g_autofree char *desc = error_desc(line);
            g_set_error(errp, CLI_ERROR, CLI_EXIT_REMOTE,
                        "QEMU refused '%s': %s", command, desc);
            return false;
        }
    }
}

static int qmp_connect(const char *path, GError **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        return fd;
    }
    g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                "cannot connect to QMP at %s: %s", path, g_strerror(errno));
    if (fd >= 0) {
        close(fd);
    }
    return -1;
}

bool qmp_execute(const char *path, const char *command, GError **errp)
{
    Qmp q = { .path = path };
    g_autofree char *greeting = NULL;
    bool ok;

    q.fd = qmp_connect(path, errp);
    if (q.fd < 0) {
        return false;
    }
    q.in = g_string_new(NULL);
    greeting = qmp_line(&q, errp);
    ok = greeting && qmp_call(&q, "qmp_capabilities", errp) &&
         qmp_call(&q, command, errp);
    close(q.fd);
    g_string_free(q.in, true);
    return ok;
}
