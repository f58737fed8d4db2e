/*
 * Request handlers of the control socket, one per protocol command.
 */
#ifndef QINSN_COMMANDS_H
#define QINSN_COMMANDS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct Client {
    int fd;
    GString *in;
    GString *out;               /* under the control lock */
    GQueue *held;               /* HeldReply, in request order; locked */
    uint64_t events_lost;
    bool subscribed;
    bool discarding;            /* inside an overlong line */
    bool closing;
    bool eof;                   /* the peer will send no more */
} Client;

/* A reply that waits for its flush generation (or for one before it). */
typedef struct HeldReply {
    uint64_t gen;
    char *text;
} HeldReply;

/* Replies held per client before the client is made to wait. */
#define QINSN_MAX_HELD 256

/* Handle one request line and queue (or hold) its reply. */
void commands_run(Client *c, const char *line);

/* control.c */
void client_reply(Client *c, const char *text);
/* Hold @text until generation @gen is live (or send it now if it is). */
void client_reply_at(Client *c, uint64_t gen, char *text);
int release_held_locked(Client *c);
/* Start or stop sending hit events to @c. */
void control_subscribe(Client *c, bool on);

#endif /* QINSN_COMMANDS_H */
