/*
 * Finding the control socket of a running QEMU.
 *
 * The plugin names its socket <qemu-pid>.sock in a per-user runtime
 * directory unless told otherwise.  With one QEMU running, the client finds
 * it without being told; with several it lists them and asks for -s, and
 * when it finds nothing it says where it looked.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "conn.h"

char *conn_runtime_dir(void)
{
    const char *xdg = g_getenv("XDG_RUNTIME_DIR");

    if (xdg && *xdg) {
        return g_build_filename(xdg, "qinsn", NULL);
    }
    return g_strdup_printf("/tmp/qinsn-%u", (unsigned)getuid());
}

bool conn_socket_live(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;
    bool ok;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        return false;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

static gint compare_paths(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* The live sockets of @dir, sorted by name. */
static GPtrArray *live_sockets(const char *dir)
{
    GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = NULL;

        if (!g_str_has_suffix(name, ".sock")) {
            continue;
        }
        path = g_build_filename(dir, name, NULL);
        if (conn_socket_live(path)) {
            g_ptr_array_add(found, g_steal_pointer(&path));
        }
    }
    g_ptr_array_sort(found, compare_paths);
    return found;
}

static char *describe_sockets(GPtrArray *paths)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < paths->len; i++) {
        const char *p = g_ptr_array_index(paths, i);
        g_autofree char *base = g_path_get_basename(p);

        base[strlen(base) - strlen(".sock")] = '\0';
        g_string_append_printf(s, "\n  %s  (QEMU pid %s)", p, base);
    }
    return g_string_free(s, false);
}

char *conn_find_socket(const char *path, GError **errp)
{
    const char *env = g_getenv("QINSN_SOCKET");
    g_autofree char *dir = NULL;
    g_autoptr(GPtrArray) live = NULL;
    g_autofree char *list = NULL;

    if (path) {
        return g_strdup(path);
    }
    if (env && *env) {
        return g_strdup(env);
    }
    dir = conn_runtime_dir();
    live = live_sockets(dir);
    if (live->len == 1) {
        return g_strdup(g_ptr_array_index(live, 0));
    }
    if (live->len == 0) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                    "no running QEMU with the qinsn plugin: no live socket "
                    "in %s/ and $QINSN_SOCKET is not set (start one, e.g. "
                    "with 'qinsn run', or name its socket with -s PATH)",
                    dir);
        return NULL;
    }
    list = describe_sockets(live);
    g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                "%u QEMUs with the qinsn plugin are running; choose one "
                "with -s PATH (or $QINSN_SOCKET):%s", live->len, list);
    return NULL;
}
