/*
 * The QEMU process of "qinsn run": starting it in its own process group
 * (so Ctrl-C at the REPL does not kill it), waiting for its control socket,
 * relaying its serial output, and stopping it cleanly.
 */
#ifndef QINSN_CLI_LAUNCH_H
#define QINSN_CLI_LAUNCH_H

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct Launch {
    pid_t pid;
    int out_fd;         /* QEMU's stdout (the guest's serial), or -1 */
    GString *partial;   /* serial output not yet ending in a newline */
    bool exited;
    int status;         /* as from waitpid(), once exited */
} Launch;

/* Start @argv (NULL-terminated); with @capture, read QEMU's stdout. */
bool launch_start(Launch *l, char **argv, bool capture, GError **errp);

/* Wait until @path accepts connections, or QEMU dies, or a timeout. */
bool launch_wait_socket(Launch *l, const char *path, GError **errp);

/* Whether QEMU has exited (reaping it if so). */
bool launch_exited(Launch *l);

/* Whether QEMU exits within @timeout_ms. */
bool launch_wait_exit(Launch *l, int timeout_ms);

/* SIGTERM, then wait (SIGKILL after a grace period). */
void launch_stop(Launch *l);

/* "exited with status 1", "killed by signal 15" … */
char *launch_describe_exit(const Launch *l);

/* Read QEMU's stdout; whole lines are passed to @print. */
void launch_read_output(Launch *l, void (*print)(const char *text,
                                                 void *opaque),
                        void *opaque, bool flush);

#endif /* QINSN_CLI_LAUNCH_H */
