/*
 * The control socket's file (see sockfile.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto.h"
#include "sockfile.h"

static char *default_path(GError **errp)
{
    const char *rt = g_getenv("XDG_RUNTIME_DIR");
    g_autofree char *dir = NULL;
    struct stat st;

    if (rt && *rt && g_file_test(rt, G_FILE_TEST_IS_DIR)) {
        dir = g_build_filename(rt, "qinsn", NULL);
    } else {
        dir = g_strdup_printf("/tmp/qinsn-%u", (unsigned)getuid());
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_IO, "cannot create %s: %s",
                    dir, g_strerror(errno));
        return NULL;
    }
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
        st.st_uid != getuid() || (st.st_mode & 077)) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_IO,
                    "%s is not a private directory of this user (mode 0700 "
                    "expected): refusing to put the socket there", dir);
        return NULL;
    }
    return g_strdup_printf("%s/%d.sock", dir, (int)getpid());
}

/* A socket file nobody listens on is stale; a live one is never taken. */
static bool clear_stale(const struct sockaddr_un *addr, GError **errp)
{
    struct stat st;
    int fd;

    if (lstat(addr->sun_path, &st) < 0) {
        return true;
    }
    if (!S_ISSOCK(st.st_mode)) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_IO,
                    "sock=%s exists and is not a socket: refusing to "
                    "replace it", addr->sun_path);
        return false;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0) {
        close(fd);
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_IO,
                    "sock=%s is in use by a running qinsn", addr->sun_path);
        return false;
    }
    close(fd);
    if (unlink(addr->sun_path) < 0) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_IO,
                    "cannot remove stale socket %s: %s", addr->sun_path,
                    g_strerror(errno));
        return false;
    }
    return true;
}

/*
 * A listening socket at @addr, mode 0600; remembers which file it is.  The
 * umask is the process's: it is only changed at start, before QEMU runs;
 * later the chmod() closes the gap, and SO_PEERCRED guards it meanwhile.
 */
static int listen_at(SockFile *s, const struct sockaddr_un *addr,
                     bool at_start, GError **errp)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    mode_t old_mask = at_start ? umask(0177) : 0;
    struct stat st;
    int rc;

    rc = bind(fd, (const struct sockaddr *)addr, sizeof(*addr));
    if (at_start) {
        umask(old_mask);
    }
    if (rc < 0 || chmod(addr->sun_path, 0600) < 0 ||
        listen(fd, s->backlog) < 0 || lstat(addr->sun_path, &st) < 0) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_IO, "sock=%s: %s",
                    addr->sun_path, g_strerror(errno));
        close(fd);
        return -1;
    }
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    return fd;
}

/* Is the file at the socket's path still the one we made? */
static bool ours(const SockFile *s)
{
    struct stat st;

    return lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
        st.st_dev == s->dev && st.st_ino == s->ino;
}

/*
 * A socket file deleted under a running QEMU (by a /tmp cleaner, say)
 * leaves it unreachable: make it again.  A file someone else put there
 * since is theirs and left alone.
 */
void sockfile_keep(SockFile *s)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct stat st;
    int fd;

    if (lstat(s->path, &st) == 0 || errno != ENOENT) {
        return;
    }
    strcpy(addr.sun_path, s->path);     /* its length was checked */
    fd = listen_at(s, &addr, false, NULL);
    if (fd >= 0) {
        close(s->fd);
        s->fd = fd;
    }
}

bool sockfile_open(SockFile *s, const char *path, int backlog,
                   GError **errp)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };

    s->backlog = backlog;
    s->path = path ? g_strdup(path) : default_path(errp);
    if (!s->path) {
        return false;
    }
    if (strlen(s->path) >= sizeof(addr.sun_path)) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "sock=%s: path longer than %zu bytes", s->path,
                    sizeof(addr.sun_path) - 1);
        return false;
    }
    strcpy(addr.sun_path, s->path);
    if (!clear_stale(&addr, errp)) {
        return false;
    }
    s->fd = listen_at(s, &addr, true, errp);
    return s->fd >= 0;
}

void sockfile_close(SockFile *s)
{
    /* not a socket another QEMU made there after ours was deleted */
    if (s->path && ours(s)) {
        unlink(s->path);
    }
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}
