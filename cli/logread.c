/*
 * The log reader: lines in, records out (logtext.c and logjson.c parse
 * them), and the way in for inputs that are not a plain file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "logparse.h"

struct LogReader {
    char *name;
    FILE *f;
    char *buf;
    size_t cap;
    uint64_t lineno;
    bool cut;
};

LogReader *logread_open(const char *name, const char *path, GError **errp)
{
    LogReader *r;
    FILE *f = fopen(path, "r");

    if (!f) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE, "cannot read %s: %s",
                    name, g_strerror(errno));
        return NULL;
    }
    r = g_new0(LogReader, 1);
    r->name = g_strdup(name);
    r->f = f;
    return r;
}

void logread_close(LogReader *r)
{
    if (r) {
        fclose(r->f);
        free(r->buf);
        g_free(r->name);
        g_free(r);
    }
}

uint64_t logread_lineno(const LogReader *r)
{
    return r->lineno;
}

const char *logread_name(const LogReader *r)
{
    return r->name;
}

bool logread_cut(const LogReader *r)
{
    return r->cut;
}

int logread_next_line(LogReader *r, const char **line, GError **errp)
{
    ssize_t n;

    do {
        n = getline(&r->buf, &r->cap, r->f);
        if (n < 0) {
            if (ferror(r->f)) {
                g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                            "%s:%" G_GUINT64_FORMAT ": read error: %s",
                            r->name, r->lineno + 1, g_strerror(errno));
                return -1;
            }
            return 0;
        }
        r->lineno++;
        if (r->buf[n - 1] != '\n') {
            /* the writer was cut off mid-line: no record, a truncated log */
            r->cut = true;
            return 0;
        }
        while (n > 0 && (r->buf[n - 1] == '\n' || r->buf[n - 1] == '\r')) {
            r->buf[--n] = '\0';
        }
    } while (n == 0);
    if (memchr(r->buf, '\0', n)) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "%s:%" G_GUINT64_FORMAT ": not a qinsn log: binary data",
                    r->name, r->lineno);
        return -1;
    }
    *line = r->buf;
    return 1;
}

bool logread_parse(LogReader *r, LogRecord *rec, GError **errp)
{
    g_autoptr(GError) err = NULL;
    bool ok;

    logrecord_reset(rec);
    rec->line = g_strdup(r->buf);
    ok = r->buf[0] == '{' ? parse_json_line(rec, r->buf, &err)
                          : parse_text_line(rec, r->buf, &err);
    if (!ok) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "%s:%" G_GUINT64_FORMAT ": %s", r->name, r->lineno,
                    err ? err->message : "malformed record");
    }
    return ok;
}

int logread_next(LogReader *r, LogRecord *rec, GError **errp)
{
    const char *line;
    int got = logread_next_line(r, &line, errp);

    if (got <= 0) {
        return got;
    }
    return logread_parse(r, rec, errp) ? 1 : -1;
}

long logread_peek_watch(const char *line)
{
    static const char *const heads[] = {
        "hit   w", "mem   w", "{\"type\":\"hit\",\"watch\":",
        "{\"type\":\"mem\",\"watch\":",
    };
    char *end;
    unsigned long id;

    for (size_t i = 0; i < G_N_ELEMENTS(heads); i++) {
        size_t n = strlen(heads[i]);

        if (strncmp(line, heads[i], n) == 0 && g_ascii_isdigit(line[n])) {
            id = strtoul(line + n, &end, 10);
            /* the id must be whole: "w12 " or "12," */
            return (*end == (i < 2 ? ' ' : ',')) && id <= G_MAXUINT ?
                   (long)id : -1;
        }
    }
    return -1;
}

/* Copy @fd to the end into @out. */
static bool copy_fd(int fd, int out)
{
    char buf[65536];
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        if (write(out, buf, n) != n) {
            return false;
        }
    }
    return n == 0;
}

/*
 * A CTF trace: its text, from the decoder of this same qinsn, so that the
 * rest of the reader (and its line numbers) is that of a text log.  A
 * trace cut short decodes as far as it goes (exit status 1, and the text
 * has no summary, which the diff reports); 2 is a malformed trace, which
 * the decoder has named on stderr.
 */
static bool decode_trace(const char *dir, int out, GError **errp)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    int status;
    pid_t pid;

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        dup2(out, STDOUT_FILENO);
        execl(self ? self : "qinsn", "qinsn", "decode", dir, (char *)NULL);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid ||
        !WIFEXITED(status) || WEXITSTATUS(status) > 1) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "%s is a directory, taken for a CTF trace, and "
                    "'qinsn decode %s' failed", dir, dir);
        return false;
    }
    return true;
}

char *logread_prepare(const char *path, char **tmp, GError **errp)
{
    struct stat st;
    int in = -1, out;
    bool ok;

    *tmp = NULL;
    if (!g_str_equal(path, "-")) {
        if (stat(path, &st) < 0) {
            g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE, "cannot read %s: %s",
                        path, g_strerror(errno));
            return NULL;
        }
        if (S_ISREG(st.st_mode)) {
            return g_strdup(path);
        }
        if (!S_ISDIR(st.st_mode) && (in = open(path, O_RDONLY)) < 0) {
            g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE, "cannot read %s: %s",
                        path, g_strerror(errno));
            return NULL;
        }
    } else {
        in = STDIN_FILENO;
    }
    out = g_file_open_tmp("qinsn-diff-XXXXXX", tmp, errp);
    if (out < 0) {
        if (in > STDIN_FILENO) {
            close(in);
        }
        return NULL;
    }
    if (in < 0) {
        ok = decode_trace(path, out, errp);
    } else {
        ok = copy_fd(in, out);
        if (!ok) {
            g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE, "cannot read %s: %s",
                        path, g_strerror(errno));
        }
        if (in > STDIN_FILENO) {
            close(in);
        }
    }
    close(out);
    if (!ok) {
        unlink(*tmp);
        g_clear_pointer(tmp, g_free);
        return NULL;
    }
    return g_strdup(*tmp);
}
