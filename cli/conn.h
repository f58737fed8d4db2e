/*
 * A connection to the plugin's control socket: finding the socket, the
 * greeting, requests and their replies, and the events in between.
 *
 * Events ("! …" lines) may arrive before the reply to a request; they are
 * queued and handed out by conn_next_event(), never mixed into a reply.
 */
#ifndef QINSN_CLI_CONN_H
#define QINSN_CLI_CONN_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct Reply {
    bool ok;
    GPtrArray *data;        /* data lines without their "= " */
    char *fields;           /* after "OK " (may be empty) */
    char *err_class;        /* ERR only: SYNTAX, ARG … */
    char *err_text;         /* ERR only */
} Reply;

void reply_free(Reply *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Reply, reply_free)

/* Called when another descriptor watched with the socket is readable. */
typedef void (*ConnAuxFn)(int fd, void *opaque);

typedef struct Conn {
    int fd;                 /* -1 once closed */
    char *path;
    GString *in;            /* bytes read, not yet split into lines */
    GQueue events;          /* of char *, without the "! " */
    unsigned max_events;    /* queue no more than this (0: no bound) */
    uint64_t events_dropped; /* events not queued for that bound */
    unsigned skip_replies;  /* replies to requests given up on (SIGINT) */
    char *greeting;
    char *arch;
    int pid;
    int aux_fd;             /* -1: none */
    ConnAuxFn aux_fn;
    void *aux_opaque;
} Conn;

/*
 * Which socket to use: @path if given, else $QINSN_SOCKET, else the only
 * live socket in the runtime directory.  The error lists what was tried.
 */
char *conn_find_socket(const char *path, GError **errp);

/* The directory the plugin puts its sockets in by default. */
char *conn_runtime_dir(void);

/* Whether something accepts connections at @path. */
bool conn_socket_live(const char *path);

/* Connect, read the greeting and check the protocol version. */
Conn *conn_open(const char *path, GError **errp);
void conn_free(Conn *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Conn, conn_free)

void conn_set_aux(Conn *c, int fd, ConnAuxFn fn, void *opaque);

/* Send one request and wait for its reply; NULL on I/O error or SIGINT. */
Reply *conn_request(Conn *c, const char *line, GError **errp);

/*
 * Read what the socket has, waiting at most @timeout_ms (-1: until
 * something comes, 0: not at all).  False when the connection is gone
 * (errp set) or, with a timeout of -1, on SIGINT (errp not set).
 */
bool conn_pump(Conn *c, int timeout_ms, GError **errp);

/* The next queued event (owned by the caller) or NULL. */
char *conn_next_event(Conn *c);

static inline bool conn_is_open(const Conn *c)
{
    return c && c->fd >= 0;
}

#endif /* QINSN_CLI_CONN_H */
