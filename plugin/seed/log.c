/*
 * The layer's log: where qemulib_log() lines and the layer's own notes go,
 * the file named by log= or else stderr.
 *
 * Every line is written with write(2) under a lock before the call
 * returns.  Lines of different vCPUs must not interleave, and a plugin
 * that reports from a destructor at exit must not leave its line in a
 * buffer that nobody flushes any more.  The file is never closed for the
 * same reason.  The price is a system call per line on the calling vCPU's
 * thread, which is why plugins should log hits, not every instruction.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "seed.h"

/* Longer lines are formatted into an allocated buffer instead. */
#define LINE_MAX_STACK 512

static int log_fd = STDERR_FILENO;
static GMutex log_lock;

bool seed_log_open(const char *path, GError **errp)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
                  0644);

    if (fd < 0) {
        int err = errno;

        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(err),
                    "log=%s: cannot open: %s", path, g_strerror(err));
        return false;
    }
    log_fd = fd;
    return true;
}

void seed_log_write(const char *line, size_t len)
{
    g_mutex_lock(&log_lock);
    while (len > 0) {
        ssize_t n = write(log_fd, line, len);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;      /* nowhere left to report it */
        }
        line += n;
        len -= n;
    }
    g_mutex_unlock(&log_lock);
}

/* Format @fmt with @prefix in front and exactly one newline at the end. */
static void log_vline(const char *prefix, const char *fmt, va_list ap)
{
    char stack[LINE_MAX_STACK];
    g_autofree char *heap = NULL;
    char *line = stack;
    size_t plen = strlen(prefix);
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    memcpy(stack, prefix, plen);
    n = vsnprintf(stack + plen, sizeof(stack) - plen - 1, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n >= sizeof(stack) - plen - 1) {
        g_autofree char *body = g_strdup_vprintf(fmt, ap2);

        heap = g_strconcat(prefix, body, "\n", NULL);
        line = heap;
        n = strlen(body);
    }
    va_end(ap2);
    n += plen;
    if (n == 0 || line[n - 1] != '\n') {
        line[n++] = '\n';
    }
    seed_log_write(line, n);
}

void qemulib_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vline("", fmt, ap);
    va_end(ap);
}

void seed_log_note(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vline(SEED_NAME ": ", fmt, ap);
    va_end(ap);
}
