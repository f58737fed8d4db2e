/*
 * The control socket's file (sockfile.c): where it is made, kept while
 * QEMU runs and removed at exit.
 */
#ifndef QINSN_SOCKFILE_H
#define QINSN_SOCKFILE_H

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct SockFile {
    int fd;                     /* listening, non-blocking; -1 if none */
    char *path;
    dev_t dev;                  /* our file, told from a newer one */
    ino_t ino;
    int backlog;
} SockFile;

/*
 * Listen at @path (NULL: a per-user default), mode 0600.  A stale socket
 * file there is replaced; a live one, or a file that is no socket, is not.
 */
bool sockfile_open(SockFile *s, const char *path, int backlog,
                   GError **errp);
/* Make the file again if someone deleted it (a /tmp cleaner, say). */
void sockfile_keep(SockFile *s);
/* Close, and remove the file if it is still ours. */
void sockfile_close(SockFile *s);

#endif /* QINSN_SOCKFILE_H */
