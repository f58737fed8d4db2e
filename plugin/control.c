/*
 * The control socket: a UNIX stream socket served by one thread.
 *
 * Requests are lines; each gets its reply (see docs/protocol.md).  A request
 * that changes the watch set is answered only when its flush generation is
 * live, and the client's later requests wait behind it; other clients are
 * not held up.  Only the user running QEMU may connect.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control.h"
#include "flush.h"
#include "proto.h"
#include "sockfile.h"

#define MAX_CLIENTS 64
#define MAX_EVENT_BACKLOG (4 << 20)
/* Unserved input kept per client before it is no longer read. */
#define MAX_PENDING_INPUT (16 * QINSN_LINE_MAX)

struct Client {
    int fd;
    GString *in;
    GString *out;               /* under the control lock */
    GQueue *held;               /* HeldReply, in request order; locked */
    uint64_t events_lost;
    bool subscribed;
    bool discarding;            /* inside an overlong line */
    bool closing;
    bool eof;                   /* the peer will send no more */
};

/* A reply that waits for its flush generation (or for one before it). */
typedef struct HeldReply {
    uint64_t gen;
    char *text;
} HeldReply;

static ControlConfig cfg;
static GMutex lock;             /* clients' output and subscriptions */
static GPtrArray *clients;
static GThread *thread;
static atomic_bool running;
static int wake_fd = -1;
static SockFile sock = { .fd = -1 };
static atomic_uint n_clients;
static atomic_uint n_subscribers;

static void client_free(Client *c)
{
    close(c->fd);
    g_string_free(c->in, true);
    g_string_free(c->out, true);
    while (!g_queue_is_empty(c->held)) {
        HeldReply *h = g_queue_pop_head(c->held);
        g_free(h->text);
        g_free(h);
    }
    g_queue_free(c->held);
    g_free(c);
}

void control_wake(void)
{
    uint64_t one = 1;

    if (wake_fd >= 0 && write(wake_fd, &one, sizeof(one)) < 0) {
        /* the counter is saturated: the loop is awake anyway */
    }
}

static int release_held_locked(Client *c)
{
    uint64_t live = flush_live_gen();
    HeldReply *h;
    int n = 0;

    while ((h = g_queue_peek_head(c->held)) && h->gen <= live) {
        g_queue_pop_head(c->held);
        g_string_append(c->out, h->text);
        g_free(h->text);
        g_free(h);
        n++;
    }
    return n;
}

void control_broadcast(const char *line)
{
    control_broadcast_event(line, false);
}

void control_broadcast_event(const char *line, bool skippable)
{
    g_mutex_lock(&lock);
    for (guint i = 0; clients && i < clients->len; i++) {
        Client *c = g_ptr_array_index(clients, i);
        if (!c->subscribed) {
            continue;
        }
        /* An OK that is due goes before any hit it made possible. */
        release_held_locked(c);
        /*
         * A client that reads too slowly misses hit events (and is told
         * how many); marks, stops, drops and stalls always get through.
         */
        if (skippable && c->out->len > MAX_EVENT_BACKLOG) {
            c->events_lost++;
            continue;
        }
        if (c->events_lost) {
            g_string_append_printf(c->out, "! lost count=%" G_GUINT64_FORMAT
                                   "\n", c->events_lost);
            c->events_lost = 0;
        }
        g_string_append(c->out, line);
    }
    g_mutex_unlock(&lock);
}

uint32_t control_clients(void)
{
    return atomic_load(&n_clients);
}

uint32_t control_subscribers(void)
{
    return atomic_load(&n_subscribers);
}

void client_subscribe(Client *c, bool on)
{
    g_mutex_lock(&lock);
    if (c->subscribed != on) {
        c->subscribed = on;
        if (on) {
            atomic_fetch_add(&n_subscribers, 1);
        } else {
            atomic_fetch_sub(&n_subscribers, 1);
        }
    }
    g_mutex_unlock(&lock);
}

void client_close(Client *c)
{
    c->closing = true;
}

/* Append a whole reply; under the lock, so no event splits it. */
static void client_reply(Client *c, const char *text)
{
    g_mutex_lock(&lock);
    g_string_append(c->out, text);
    g_mutex_unlock(&lock);
}

static guint held_count(Client *c)
{
    guint n;

    g_mutex_lock(&lock);
    n = g_queue_get_length(c->held);
    g_mutex_unlock(&lock);
    return n;
}

void client_reply_at(Client *c, uint64_t gen, char *text)
{
    HeldReply *h = g_new(HeldReply, 1);

    h->gen = gen;
    h->text = text;
    g_mutex_lock(&lock);
    g_queue_push_tail(c->held, h);
    release_held_locked(c);
    g_mutex_unlock(&lock);
}

/* Through the held queue: a reply still waiting for its flush goes first. */
static void reply_overlong(Client *c)
{
    client_reply_at(c, 0, g_strdup_printf(
        "ERR LIMIT request longer than %d bytes: discarded\n",
        QINSN_LINE_MAX));
}

/*
 * A request whose reply needs no flush (list, stats, unwatch, mark…: the
 * table marks them, though an unwatch may ask for a flush of its own) is
 * served only once every earlier reply of its client has gone out, so it
 * sees their changes live.  Changes are served at once, to share one flush.
 */
static bool waits_for_held(const char *req)
{
    const QinsnCommandSpec *spec;
    g_autofree char *name = NULL;
    size_t skip = strspn(req, " \t");

    name = g_strndup(req + skip, strcspn(req + skip, " \t\r"));
    spec = qinsn_proto_find_command(name);
    return spec && !spec->changes;
}

/*
 * An overlong line with no end yet is refused once, then dropped as it
 * comes in.  True when its end came with more input after it.
 */
static bool skip_overlong(Client *c)
{
    char *nl;

    if (!c->discarding && c->in->len > QINSN_LINE_MAX &&
        !memchr(c->in->str, '\n', c->in->len)) {
        reply_overlong(c);
        c->discarding = true;
    }
    if (!c->discarding) {
        return false;
    }
    nl = memchr(c->in->str, '\n', c->in->len);
    if (!nl) {
        g_string_truncate(c->in, 0);
        return false;
    }
    g_string_erase(c->in, 0, nl - c->in->str + 1);
    c->discarding = false;
    return true;
}

/* Serve the client's complete request lines, as far as it may go on. */
static void process_input(Client *c)
{
    char *nl;

    /*
     * Requests wait until the first vCPU has described its registers (a
     * moment after QEMU starts, even when started paused with -S).
     */
    if (!atomic_load(&cfg.target->ready)) {
        return;
    }
    while (!c->closing && held_count(c) < QINSN_MAX_HELD &&
           (nl = memchr(c->in->str, '\n', c->in->len))) {
        size_t len = nl - c->in->str;
        g_autofree char *req = g_strndup(c->in->str, len);
        /* g_strndup() stops at a NUL: the rest of the line would be lost */
        size_t cut = strlen(req);

        if (!c->discarding && len <= QINSN_LINE_MAX && cut == len &&
            waits_for_held(req) && held_count(c)) {
            break;
        }
        g_string_erase(c->in, 0, len + 1);
        if (c->discarding) {
            c->discarding = false;
            continue;
        }
        if (len > QINSN_LINE_MAX) {
            reply_overlong(c);
            continue;
        }
        if (cut < len) {
            client_reply_at(c, 0, g_strdup_printf(
                "ERR SYNTAX byte 0x00 at column %zu is not printable "
                "ASCII\n", cut + 1));
            continue;
        }
        if (len && req[len - 1] == '\r') {
            req[len - 1] = '\0';
        }
        cfg.serve(c, req);
    }
    if (skip_overlong(c)) {
        process_input(c);
    }
}

/* Release held replies whose generation is now live; returns how many. */
static int release_held(void)
{
    int n = 0;

    g_mutex_lock(&lock);
    for (guint i = 0; i < clients->len; i++) {
        n += release_held_locked(g_ptr_array_index(clients, i));
    }
    g_mutex_unlock(&lock);
    return n;
}

static bool peer_allowed(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
        cred.uid == getuid();
}

static void greet(Client *c)
{
    g_autofree char *g = g_strdup_printf(
        "QINSN %d arch=%s pid=%d flush=%s exact=%s mode=%s caps=%s\n",
        QINSN_PROTO_VERSION, cfg.target->arch, (int)getpid(),
        flush_path_name(), cfg.target->exact_state ? "yes" : "no",
        cfg.target->system_mode ? "system" : "user", cfg.caps);

    client_reply(c, g);
}

/* Returns false once no connection is pending. */
static bool accept_client(void)
{
    int fd = accept4(sock.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    Client *c;

    if (fd < 0) {
        return false;
    }
    if (!peer_allowed(fd)) {
        static const char msg[] =
            "ERR DENIED only the user running QEMU may use this socket\n";
        if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL) < 0) {
            /* the peer is gone; nothing more to tell it */
        }
        close(fd);
        return true;
    }
    if (clients->len >= MAX_CLIENTS) {
        static const char msg[] = "ERR LIMIT too many clients\n";
        if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL) < 0) {
            /* as above */
        }
        close(fd);
        return true;
    }
    c = g_new0(Client, 1);
    c->fd = fd;
    c->in = g_string_new(NULL);
    c->out = g_string_new(NULL);
    c->held = g_queue_new();
    g_mutex_lock(&lock);
    g_ptr_array_add(clients, c);
    g_mutex_unlock(&lock);
    atomic_fetch_add(&n_clients, 1);
    greet(c);
    return true;
}

static void drop_client(guint i)
{
    Client *c;

    g_mutex_lock(&lock);
    c = g_ptr_array_steal_index(clients, i);
    g_mutex_unlock(&lock);
    atomic_fetch_sub(&n_clients, 1);
    client_subscribe(c, false);
    client_free(c);
}

/* Returns false when the client is to be dropped. */
static bool client_read(Client *c)
{
    char buf[4096];
    ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

    if (n == 0) {
        /* Half-closed: answer what was sent, then close. */
        c->eof = true;
        process_input(c);
        return true;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return false;
    }
    if (n > 0) {
        g_string_append_len(c->in, buf, n);
        process_input(c);
    }
    return true;
}

static bool client_write(Client *c)
{
    ssize_t n;

    g_mutex_lock(&lock);
    n = c->out->len ? send(c->fd, c->out->str, c->out->len,
                           MSG_NOSIGNAL | MSG_DONTWAIT) : 0;
    if (n > 0) {
        g_string_erase(c->out, 0, n);
    }
    g_mutex_unlock(&lock);
    return n >= 0 || errno == EAGAIN || errno == EINTR;
}

/*
 * What to poll: the socket, the wake-up eventfd, then the first @n
 * clients, for input while they may take more and for room while they
 * have output.
 */
static void poll_set(struct pollfd *fds, guint n)
{
    fds[0] = (struct pollfd){ .fd = sock.fd, .events = POLLIN };
    fds[1] = (struct pollfd){ .fd = wake_fd, .events = POLLIN };
    g_mutex_lock(&lock);
    for (guint i = 0; i < n; i++) {
        Client *c = g_ptr_array_index(clients, i);
        fds[i + 2] = (struct pollfd){
            .fd = c->fd,
            /* a client with a full queue is not read: backpressure */
            .events = (c->closing || c->eof ||
                       g_queue_get_length(c->held) >= QINSN_MAX_HELD ||
                       c->in->len >= MAX_PENDING_INPUT ? 0 : POLLIN) |
                (c->out->len ? POLLOUT : 0),
        };
    }
    g_mutex_unlock(&lock);
}

/*
 * Read and write the first @n clients as poll() found them in @fds, and
 * drop those that failed or are done (closing, nothing left to send).
 * Backwards, so dropping one leaves the indices still to visit alone.
 */
static void serve_clients(const struct pollfd *fds, guint n)
{
    for (guint i = n; i-- > 0;) {
        Client *c = g_ptr_array_index(clients, i);
        short re = fds[i + 2].revents;
        bool ok = true;

        if (re & (POLLIN | POLLHUP | POLLERR)) {
            ok = client_read(c);
        }
        if (ok) {
            ok = client_write(c);
        }
        if (!ok || ((c->closing || c->eof) &&
                    !held_count(c) && !c->out->len)) {
            drop_client(i);
        }
    }
}

static gpointer control_main(gpointer unused)
{
    g_autofree struct pollfd *fds = g_new(struct pollfd, MAX_CLIENTS + 2);
    gint64 next_sock_check = 0;

    while (atomic_load(&running)) {
        guint n = clients->len;

        if (g_get_monotonic_time() >= next_sock_check) {
            sockfile_keep(&sock);
            next_sock_check = g_get_monotonic_time() + G_USEC_PER_SEC;
        }
        poll_set(fds, n);
        if (poll(fds, n + 2, 200) < 0 && errno != EINTR) {
            break;
        }
        if (fds[1].revents & POLLIN) {
            uint64_t v;
            if (read(wake_fd, &v, sizeof(v)) < 0) {
                /* nothing to clear */
            }
        }
        /* Input waiting for registers or for room in a queue moves on. */
        release_held();
        for (guint i = 0; i < n; i++) {
            process_input(g_ptr_array_index(clients, i));
        }
        serve_clients(fds, n);
        /*
         * Every pending connection at once: a burst of clients must not
         * overflow the backlog, where a non-blocking connect() fails.
         */
        if (fds[0].revents & POLLIN) {
            while (accept_client()) {
            }
        }
    }
    return NULL;
}

bool control_start(const ControlConfig *c, GError **errp)
{
    cfg = *c;
    if (!sockfile_open(&sock, c->sock_path, MAX_CLIENTS, errp)) {
        return false;
    }
    wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    clients = g_ptr_array_new();
    atomic_store(&running, true);
    thread = g_thread_new("qinsn-control", control_main, NULL);
    return true;
}

void control_stop(void)
{
    if (!thread) {
        return;
    }
    atomic_store(&running, false);
    control_wake();
    g_thread_join(thread);
    thread = NULL;
    /* Last words to clients: what is queued (for a moment), then close. */
    for (guint i = 0; i < clients->len; i++) {
        Client *c = g_ptr_array_index(clients, i);
        gint64 end = g_get_monotonic_time() + 500000;

        while (c->out->len && client_write(c) &&
               g_get_monotonic_time() < end) {
            struct pollfd p = { .fd = c->fd, .events = POLLOUT };
            poll(&p, 1, 50);
        }
    }
    sockfile_close(&sock);
}
