/*
 * Starting and stopping QEMU for "qinsn run".
 *
 * QEMU runs in a process group of its own: the terminal's SIGINT is for
 * the client (it interrupts a command or clears the line), and QEMU is only
 * ever stopped by the client, with SIGTERM, so that the plugin writes its
 * summary.  An exec failure is passed back through a close-on-exec pipe so
 * that it is reported as such, not as an early exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "conn.h"
#include "launch.h"

#define SOCKET_TIMEOUT_MS 15000
#define STOP_GRACE_MS 5000

static void child(char **argv, int out_fd, int err_pipe)
{
    int null = open("/dev/null", O_RDWR);
    int e;

    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
    }
    if (out_fd >= 0) {
        dup2(out_fd, STDOUT_FILENO);
    }
    execvp(argv[0], argv);
    e = errno;
    if (write(err_pipe, &e, sizeof(e)) < 0) {
        /* nothing more to do */
    }
    _exit(127);
}

bool launch_start(Launch *l, char **argv, bool capture, GError **errp)
{
    int out[2] = { -1, -1 }, ep[2];
    int e;
    ssize_t n;

    l->out_fd = -1;
    l->partial = g_string_new(NULL);
    if ((capture && pipe2(out, O_CLOEXEC) < 0) || pipe2(ep, O_CLOEXEC) < 0) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT, "pipe: %s",
                    g_strerror(errno));
        return false;
    }
    l->pid = fork();
    if (l->pid == 0) {
        child(argv, out[1], ep[1]);
    }
    close(ep[1]);
    if (capture) {
        close(out[1]);
        l->out_fd = out[0];
    }
    n = l->pid < 0 ? 0 : read(ep[0], &e, sizeof(e));
    close(ep[0]);
    if (l->pid < 0 || n == sizeof(e)) {
        if (l->pid > 0) {
            waitpid(l->pid, NULL, 0);
            l->exited = true;
        }
        g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                    "cannot start %s: %s (install QEMU, or name it with "
                    "--qemu)", argv[0],
                    g_strerror(l->pid < 0 ? errno : e));
        return false;
    }
    return true;
}

bool launch_exited(Launch *l)
{
    if (!l->exited && l->pid > 0 &&
        waitpid(l->pid, &l->status, WNOHANG) == l->pid) {
        l->exited = true;
    }
    return l->exited;
}

bool launch_wait_exit(Launch *l, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000LL;

    while (!launch_exited(l) && g_get_monotonic_time() < deadline) {
        g_usleep(10000);
    }
    return l->exited;
}

char *launch_describe_exit(const Launch *l)
{
    if (WIFEXITED(l->status)) {
        return g_strdup_printf("exited with status %d",
                               WEXITSTATUS(l->status));
    }
    if (WIFSIGNALED(l->status)) {
        return g_strdup_printf("was killed by signal %d (%s)",
                               WTERMSIG(l->status),
                               strsignal(WTERMSIG(l->status)));
    }
    return g_strdup("ended");
}

bool launch_wait_socket(Launch *l, const char *path, GError **errp)
{
    gint64 deadline = g_get_monotonic_time() + SOCKET_TIMEOUT_MS * 1000LL;

    while (!conn_socket_live(path)) {
        if (launch_exited(l)) {
            g_autofree char *how = launch_describe_exit(l);
            g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                        "QEMU %s before its control socket appeared (see "
                        "its messages above)", how);
            return false;
        }
        if (g_get_monotonic_time() > deadline || cli_terminated ||
            cli_interrupted) {
            g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                        "QEMU did not open the control socket %s in %d s",
                        path, SOCKET_TIMEOUT_MS / 1000);
            return false;
        }
        g_usleep(20000);
    }
    return true;
}

void launch_stop(Launch *l)
{
    gint64 deadline = g_get_monotonic_time() + STOP_GRACE_MS * 1000LL;

    if (l->pid <= 0 || launch_exited(l)) {
        return;
    }
    kill(l->pid, SIGTERM);
    while (!launch_exited(l)) {
        if (g_get_monotonic_time() > deadline) {
            kill(l->pid, SIGKILL);
            waitpid(l->pid, &l->status, 0);
            l->exited = true;
            break;
        }
        g_usleep(10000);
    }
}

void launch_read_output(Launch *l, void (*print)(const char *text,
                                                 void *opaque),
                        void *opaque, bool flush)
{
    char buf[4096];
    ssize_t n;
    char *nl;

    if (l->out_fd < 0) {
        return;
    }
    n = read(l->out_fd, buf, sizeof(buf));
    if (n <= 0) {
        close(l->out_fd);
        l->out_fd = -1;
        flush = true;
    } else {
        g_string_append_len(l->partial, buf, n);
    }
    while ((nl = memchr(l->partial->str, '\n', l->partial->len))) {
        g_autofree char *line = g_strndup(l->partial->str,
                                          nl - l->partial->str + 1);
        g_string_erase(l->partial, 0, nl - l->partial->str + 1);
        print(line, opaque);
    }
    if (flush && l->partial->len) {
        g_string_append_c(l->partial, '\n');
        print(l->partial->str, opaque);
        g_string_truncate(l->partial, 0);
    }
}
