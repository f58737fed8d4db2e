/*
 * One client of the control socket: see client.h.  Request lines are
 * served in order; a reply that waits for its flush generation is held,
 * and the client's later requests that change nothing wait behind it.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "flush.h"
#include "proto.h"

#define MAX_EVENT_BACKLOG (4 << 20)
/* Unserved input kept per client before it is no longer read. */
#define MAX_PENDING_INPUT (16 * QINSN_LINE_MAX)

struct Client {
    int fd;
    GString *in;
    GString *out;               /* under the clients' lock */
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

static GMutex lock;             /* clients' output and subscriptions */
static atomic_uint n_subscribers;

Client *client_new(int fd)
{
    Client *c = g_new0(Client, 1);

    c->fd = fd;
    c->in = g_string_new(NULL);
    c->out = g_string_new(NULL);
    c->held = g_queue_new();
    return c;
}

void client_free(Client *c)
{
    client_subscribe(c, false);
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

void clients_lock(void)
{
    g_mutex_lock(&lock);
}

void clients_unlock(void)
{
    g_mutex_unlock(&lock);
}

int client_release_held_locked(Client *c)
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

void client_event_locked(Client *c, const char *line, bool skippable)
{
    if (!c->subscribed) {
        return;
    }
    /* An OK that is due goes before any hit it made possible. */
    client_release_held_locked(c);
    /*
     * A client that reads too slowly misses hit events (and is told how
     * many); marks, stops, drops and stalls always get through.
     */
    if (skippable && c->out->len > MAX_EVENT_BACKLOG) {
        c->events_lost++;
        return;
    }
    if (c->events_lost) {
        g_string_append_printf(c->out, "! lost count=%" G_GUINT64_FORMAT
                               "\n", c->events_lost);
        c->events_lost = 0;
    }
    g_string_append(c->out, line);
}

struct pollfd client_poll_locked(Client *c)
{
    return (struct pollfd){
        .fd = c->fd,
        /* a client with a full queue is not read: backpressure */
        .events = (c->closing || c->eof ||
                   g_queue_get_length(c->held) >= QINSN_MAX_HELD ||
                   c->in->len >= MAX_PENDING_INPUT ? 0 : POLLIN) |
            (c->out->len ? POLLOUT : 0),
    };
}

uint32_t client_subscribers(void)
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

void client_reply(Client *c, const char *text)
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
    client_release_held_locked(c);
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

void client_process_input(Client *c, const ControlConfig *cfg)
{
    char *nl;

    /*
     * Requests wait until the first vCPU has described its registers (a
     * moment after QEMU starts, even when started paused with -S).
     */
    if (!atomic_load(&cfg->target->ready)) {
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
        cfg->serve(c, req);
    }
    if (skip_overlong(c)) {
        client_process_input(c, cfg);
    }
}

bool client_read(Client *c, const ControlConfig *cfg)
{
    char buf[4096];
    ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

    if (n == 0) {
        /* Half-closed: answer what was sent, then close. */
        c->eof = true;
        client_process_input(c, cfg);
        return true;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return false;
    }
    if (n > 0) {
        g_string_append_len(c->in, buf, n);
        client_process_input(c, cfg);
    }
    return true;
}

bool client_write(Client *c)
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

bool client_has_output(Client *c)
{
    return c->out->len != 0;
}

bool client_done(Client *c)
{
    return (c->closing || c->eof) && !held_count(c) && !c->out->len;
}

int client_fd(Client *c)
{
    return c->fd;
}
