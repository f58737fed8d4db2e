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
    GString *held;              /* reply waiting for its generation */
    uint64_t held_gen;          /* 0: nothing held */
    uint64_t events_lost;
    bool subscribed;
    bool discarding;            /* inside an overlong line */
    bool closing;
    bool eof;                   /* the peer will send no more */
} Client;

/* Handle one request line and queue (or hold) its reply. */
void commands_run(Client *c, const char *line);

/* control.c */
void client_reply(Client *c, const char *text);

#endif /* QINSN_COMMANDS_H */
