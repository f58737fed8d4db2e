/*
 * The control socket (control.c): where requests enter.  One thread serves
 * every client; each request line goes to the handler the install glue
 * gives, which answers through the client functions below.
 */
#ifndef QINSN_CONTROL_H
#define QINSN_CONTROL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "target.h"

/* One connection; private to control.c and client.c (client.h). */
typedef struct Client Client;

typedef struct ControlConfig {
    const char *sock_path;      /* NULL: the per-user default */
    Target *target;             /* requests wait until it is ready */
    const char *caps;           /* the greeting's capabilities */
    /* Serve one request line of @c (on the control thread). */
    void (*serve)(Client *c, const char *line);
} ControlConfig;

bool control_start(const ControlConfig *c, GError **errp);
void control_stop(void);
/* Queue an event line for subscribers; control_wake() sends them. */
void control_broadcast(const char *line);
/* @skippable: a hit event, which a client reading too slowly may miss. */
void control_broadcast_event(const char *line, bool skippable);
void control_wake(void);
uint32_t control_clients(void);
uint32_t control_subscribers(void);

/* Replies held per client before the client is made to wait. */
#define QINSN_MAX_HELD 256

/* Hold @text (owned) until generation @gen is live, or send it now. */
void client_reply_at(Client *c, uint64_t gen, char *text);
/* Start or stop sending events to @c. */
void client_subscribe(Client *c, bool on);
/* Close @c once its replies are sent ("quit"). */
void client_close(Client *c);

#endif /* QINSN_CONTROL_H */
