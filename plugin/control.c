/*
 * The control socket: a UNIX stream socket served by one thread.
 *
 * Requests are lines; each gets its reply (see docs/protocol.md).  A request
 * that changes the watch set is answered only when its flush generation is
 * live, and the client's later requests wait behind it; other clients are
 * not held up.  Only the user running QEMU may connect.  This file owns the
 * socket, the list of clients and the thread; client.c serves each client.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "control.h"
#include "flush.h"
#include "proto.h"
#include "sockfile.h"

#define MAX_CLIENTS 64

static ControlConfig cfg;
static GPtrArray *clients;      /* under clients_lock() */
static GThread *thread;
static atomic_bool running;
static int wake_fd = -1;
static SockFile sock = { .fd = -1 };
static atomic_uint n_clients;

void control_wake(void)
{
    uint64_t one = 1;

    if (wake_fd >= 0 && write(wake_fd, &one, sizeof(one)) < 0) {
        /* the counter is saturated: the loop is awake anyway */
    }
}

void control_broadcast(const char *line)
{
    control_broadcast_event(line, false);
}

void control_broadcast_event(const char *line, bool skippable)
{
    clients_lock();
    for (guint i = 0; clients && i < clients->len; i++) {
        client_event_locked(g_ptr_array_index(clients, i), line, skippable);
    }
    clients_unlock();
}

uint32_t control_clients(void)
{
    return atomic_load(&n_clients);
}

uint32_t control_subscribers(void)
{
    return client_subscribers();
}

/* Release held replies whose generation is now live; returns how many. */
static int release_held(void)
{
    int n = 0;

    clients_lock();
    for (guint i = 0; i < clients->len; i++) {
        n += client_release_held_locked(g_ptr_array_index(clients, i));
    }
    clients_unlock();
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
    c = client_new(fd);
    clients_lock();
    g_ptr_array_add(clients, c);
    clients_unlock();
    atomic_fetch_add(&n_clients, 1);
    greet(c);
    return true;
}

static void drop_client(guint i)
{
    Client *c;

    clients_lock();
    c = g_ptr_array_steal_index(clients, i);
    clients_unlock();
    atomic_fetch_sub(&n_clients, 1);
    client_free(c);
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
    clients_lock();
    for (guint i = 0; i < n; i++) {
        fds[i + 2] = client_poll_locked(g_ptr_array_index(clients, i));
    }
    clients_unlock();
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
            ok = client_read(c, &cfg);
        }
        if (ok) {
            ok = client_write(c);
        }
        if (!ok || client_done(c)) {
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
            client_process_input(g_ptr_array_index(clients, i), &cfg);
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

        while (client_has_output(c) && client_write(c) &&
               g_get_monotonic_time() < end) {
            struct pollfd p = { .fd = client_fd(c), .events = POLLOUT };
            poll(&p, 1, 50);
        }
    }
    sockfile_close(&sock);
}
