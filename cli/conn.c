/*
 * The client end of the control protocol (docs/protocol.md): greeting and
 * version check, one request at a time, replies read up to their status
 * line, and events queued as they arrive.
 *
 * Reads go through poll() so that SIGINT can abandon a request whose reply
 * is slow (a flush waits for a vCPU); the abandoned reply is then skipped
 * when it arrives, keeping the connection usable.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "conn.h"
#include "proto.h"

#define GREETING_TIMEOUT_MS 5000

void reply_free(Reply *r)
{
    if (!r) {
        return;
    }
    g_ptr_array_unref(r->data);
    g_free(r->fields);
    g_free(r->err_class);
    g_free(r->err_text);
    g_free(r);
}

void conn_free(Conn *c)
{
    if (!c) {
        return;
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    g_queue_clear_full(&c->events, g_free);
    g_string_free(c->in, true);
    g_free(c->path);
    g_free(c->greeting);
    g_free(c->arch);
    g_free(c);
}

void conn_set_aux(Conn *c, int fd, ConnAuxFn fn, void *opaque)
{
    c->aux_fd = fd;
    c->aux_fn = fn;
    c->aux_opaque = opaque;
}

static void conn_close(Conn *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
}

static bool gone(Conn *c, GError **errp)
{
    conn_close(c);
    g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                "QEMU closed the connection (%s): it has exited or "
                "dropped this client", c->path);
    return false;
}

/*
 * Wait up to @timeout_ms for the socket, serving the aux descriptor
 * meanwhile.  1: bytes were added to c->in; 0: timeout or signal;
 * -1: the connection is gone (errp set).
 */
static int fill(Conn *c, int timeout_ms, GError **errp)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000LL;

    for (;;) {
        struct pollfd p[3] = {
            { .fd = c->fd, .events = POLLIN },
            { .fd = cli_signal_fd(), .events = POLLIN },
            { .fd = c->aux_fd, .events = POLLIN },
        };
        int left = timeout_ms < 0 ? -1 :
            (int)MAX(0, (deadline - g_get_monotonic_time()) / 1000);
        char buf[4096];
        ssize_t n;

        if (cli_interrupted || cli_terminated) {
            return 0;
        }
        if (poll(p, c->aux_fd >= 0 ? 3 : 2, left) < 0) {
            continue;       /* EINTR: the flags are checked above */
        }
        if (p[1].revents) {
            cli_signal_drain();
            continue;
        }
        if (p[2].revents && c->aux_fd >= 0) {
            c->aux_fn(c->aux_fd, c->aux_opaque);
        }
        if (!p[0].revents) {
            if (left == 0) {
                return 0;
            }
            continue;
        }
        n = read(c->fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            gone(c, errp);
            return -1;
        }
        g_string_append_len(c->in, buf, n);
        return 1;
    }
}

/* The next complete line of c->in (owned by the caller) or NULL. */
static char *take_line(Conn *c)
{
    char *nl = memchr(c->in->str, '\n', c->in->len);
    char *line;
    size_t len;

    if (!nl) {
        return NULL;
    }
    len = nl - c->in->str;
    line = g_strndup(c->in->str, len);
    g_string_erase(c->in, 0, len + 1);
    if (len && line[len - 1] == '\r') {
        line[len - 1] = '\0';
    }
    return line;
}

static bool is_status(const char *line)
{
    return g_str_equal(line, "OK") || g_str_has_prefix(line, "OK ") ||
           g_str_has_prefix(line, "ERR ");
}

/*
 * Lines that belong to no reply being read: events, and what remains of
 * replies given up on.  Returns false for a line the caller must handle.
 */
static bool take_stray(Conn *c, char *line)
{
    if (g_str_has_prefix(line, "! ")) {
        if (c->max_events && c->events.length >= c->max_events) {
            c->events_dropped++;
        } else {
            g_queue_push_tail(&c->events, g_strdup(line + 2));
        }
        return true;
    }
    if (c->skip_replies && is_status(line)) {
        c->skip_replies--;
        return true;
    }
    return c->skip_replies > 0;
}

/*
 * Split what is buffered into events (outside a request nothing else is
 * due).  A reply read may have brought events after its status line:
 * they are in c->in, and poll() will not announce them again.
 */
static bool take_buffered(Conn *c)
{
    bool any = false;
    char *line;

    while ((line = take_line(c))) {
        take_stray(c, line);
        g_free(line);
        any = true;
    }
    return any;
}

bool conn_pump(Conn *c, int timeout_ms, GError **errp)
{
    int got;

    if (take_buffered(c)) {
        return true;
    }
    if (!conn_is_open(c)) {
        return gone(c, errp);
    }
    got = fill(c, timeout_ms, errp);
    if (got < 0) {
        return false;
    }
    take_buffered(c);
    return got > 0 || timeout_ms >= 0;
}

char *conn_next_event(Conn *c)
{
    take_buffered(c);
    return g_queue_pop_head(&c->events);
}

static Reply *reply_new(void)
{
    Reply *r = g_new0(Reply, 1);

    r->data = g_ptr_array_new_with_free_func(g_free);
    return r;
}

/* Add @line to @r; true once it was the status line. */
static bool reply_add(Reply *r, const char *line, GError **errp)
{
    if (g_str_has_prefix(line, "= ")) {
        g_ptr_array_add(r->data, g_strdup(line + 2));
        return false;
    }
    if (g_str_has_prefix(line, "OK")) {
        r->ok = true;
        r->fields = g_strdup(line[2] ? line + 3 : "");
        return true;
    }
    if (g_str_has_prefix(line, "ERR ")) {
        const char *cls = line + 4;
        const char *sp = strchr(cls, ' ');

        r->err_class = sp ? g_strndup(cls, sp - cls) : g_strdup(cls);
        r->err_text = g_strdup(sp ? sp + 1 : "");
        return true;
    }
    g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                "protocol error: unexpected line '%s' in a reply", line);
    return true;
}

static Reply *read_reply(Conn *c, GError **errp)
{
    g_autoptr(Reply) r = reply_new();

    for (;;) {
        g_autofree char *line = take_line(c);
        int got;

        if (line) {
            g_autoptr(GError) err = NULL;

            if (take_stray(c, line) || !reply_add(r, line, &err)) {
                continue;
            }
            if (err) {
                g_propagate_error(errp, g_steal_pointer(&err));
                return NULL;
            }
            return g_steal_pointer(&r);
        }
        got = fill(c, -1, errp);
        if (got < 0) {
            return NULL;
        }
        if (got == 0) {
            c->skip_replies++;
            g_set_error(errp, CLI_ERROR, CLI_EXIT_REMOTE,
                        "interrupted before the reply came (it will be "
                        "skipped when it does)");
            return NULL;
        }
    }
}

static bool send_all(Conn *c, const char *buf, size_t len, GError **errp)
{
    while (len) {
        ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return gone(c, errp);
        }
        buf += n;
        len -= n;
    }
    return true;
}

Reply *conn_request(Conn *c, const char *line, GError **errp)
{
    g_autofree char *msg = g_strconcat(line, "\n", NULL);

    if (!conn_is_open(c)) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                    "not connected: the connection to QEMU (%s) is closed",
                    c->path);
        return NULL;
    }
    if (!send_all(c, msg, strlen(msg), errp)) {
        return NULL;
    }
    return read_reply(c, errp);
}

/* Check "QINSN <version> key=value …" and keep what the client uses. */
static bool parse_greeting(Conn *c, const char *line, GError **errp)
{
    g_auto(GStrv) w = g_strsplit(line, " ", -1);

    if (!g_str_equal(w[0], "QINSN") || !w[1]) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                    "%s is not a qinsn control socket (it said '%s')",
                    c->path, line);
        return false;
    }
    if (atoi(w[1]) != QINSN_PROTO_VERSION) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                    "protocol mismatch: the plugin at %s speaks version %s, "
                    "this client version %d (use the qinsn of the same "
                    "build as the plugin)", c->path, w[1],
                    QINSN_PROTO_VERSION);
        return false;
    }
    for (int i = 2; w[i]; i++) {
        if (g_str_has_prefix(w[i], "arch=")) {
            c->arch = g_strdup(w[i] + 5);
        } else if (g_str_has_prefix(w[i], "pid=")) {
            c->pid = atoi(w[i] + 4);
        }
    }
    c->greeting = g_strdup(line);
    return true;
}

static bool read_greeting(Conn *c, GError **errp)
{
    gint64 deadline = g_get_monotonic_time() +
                      GREETING_TIMEOUT_MS * 1000LL;
    g_autofree char *line = NULL;

    while (!(line = take_line(c))) {
        int left = (int)((deadline - g_get_monotonic_time()) / 1000);
        int got = left > 0 ? fill(c, left, errp) : 0;

        if (got < 0) {
            return false;
        }
        if (got == 0) {
            g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                        "%s accepted the connection but sent no greeting",
                        c->path);
            return false;
        }
    }
    if (g_str_has_prefix(line, "ERR ")) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                    "the plugin at %s refused this client: %s", c->path,
                    line + 4);
        return false;
    }
    return parse_greeting(c, line, errp);
}

static int connect_unix(const char *path, GError **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                    "socket path too long: %s", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        return fd;
    }
    g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                "cannot connect to %s: %s (is QEMU running with the qinsn "
                "plugin? see -s and $QINSN_SOCKET)", path, g_strerror(errno));
    if (fd >= 0) {
        close(fd);
    }
    return -1;
}

Conn *conn_open(const char *path, GError **errp)
{
    g_autoptr(Conn) c = g_new0(Conn, 1);

    c->path = g_strdup(path);
    c->in = g_string_new(NULL);
    c->aux_fd = -1;
    g_queue_init(&c->events);
    c->fd = connect_unix(path, errp);
    if (c->fd < 0 || !read_greeting(c, errp)) {
        return NULL;
    }
    return g_steal_pointer(&c);
}
