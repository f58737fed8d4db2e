/*
 * One connection of the control socket (private to control.c and
 * client.c): its input, its output and the replies it holds until their
 * flush generation is live.  client.c serves one client; control.c owns
 * the socket, the list of clients and the thread.
 */
#ifndef QINSN_CLIENT_H
#define QINSN_CLIENT_H

#include <poll.h>

#include "control.h"

/* A new client on @fd (non-blocking). */
Client *client_new(int fd);
void client_free(Client *c);

/*
 * The lock of every client's output and subscription: the control thread,
 * the writer (events) and the request handlers (replies) share them.
 */
void clients_lock(void);
void clients_unlock(void);

/* Under clients_lock(): move @c's replies now live to its output. */
int client_release_held_locked(Client *c);
/* Under clients_lock(): queue event @line for @c if it subscribed. */
void client_event_locked(Client *c, const char *line, bool skippable);
/* Under clients_lock(): what poll() should wait for on @c. */
struct pollfd client_poll_locked(Client *c);

/* Append a whole reply; no event splits it. */
void client_reply(Client *c, const char *text);
/*
 * Serve @c's complete request lines through @cfg->serve, as far as it
 * may go on (requests wait until @cfg->target is ready).
 */
void client_process_input(Client *c, const ControlConfig *cfg);
/* Read what @c sent and serve it; false when @c is to be dropped. */
bool client_read(Client *c, const ControlConfig *cfg);
/* Send what @c's output holds; false when @c is to be dropped. */
bool client_write(Client *c);
/* Output still to send. */
bool client_has_output(Client *c);
/* Closing or at its end, with nothing held or left to send. */
bool client_done(Client *c);
int client_fd(Client *c);
/* Clients subscribed to events. */
uint32_t client_subscribers(void);

#endif /* QINSN_CLIENT_H */
