/*
 * Just enough of QEMU's QMP to resume a guest that was started paused: the
 * plugin has no run control of its own, and a script must be able to set
 * its watches before the first guest instruction runs.
 */
#ifndef QINSN_CLI_QMP_H
#define QINSN_CLI_QMP_H

#include <glib.h>
#include <stdbool.h>

/* Run the argument-less QMP command @command ("cont") on the socket. */
bool qmp_execute(const char *path, const char *command, GError **errp);

#endif /* QINSN_CLI_QMP_H */
