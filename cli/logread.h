/*
 * Reading a qinsn log one record at a time, whatever its format.
 *
 * Text and JSON logs are told apart line by line ('{' starts a JSON
 * record), so a reader needs no option.  A directory is taken for a CTF
 * trace: it is turned into text by "qinsn decode DIR" first, into a
 * temporary file (logread_prepare), so that the rest of the reader sees
 * text.  Records are parsed into one reusable LogRecord: memory does not
 * grow with the log.
 */
#ifndef QINSN_CLI_LOGREAD_H
#define QINSN_CLI_LOGREAD_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    LOG_WATCH,          /* a watch was created */
    LOG_HIT,            /* an instruction watch's hit */
    LOG_MEM,            /* a memory watch's access */
    LOG_MARK,
    LOG_DROP,           /* records lost: the log is incomplete */
    LOG_STALL,          /* the guest was held or records lost: incomplete */
    LOG_SUMMARY,        /* the closing summary: the run ended cleanly */
    LOG_SUMMARY_WATCH,  /* one watch's line of the summary */
} LogKind;

typedef struct LogReg {
    char *name;         /* the label the watch logs it under */
    char *value;        /* "0x…", no leading zeros */
    bool stale;
} LogReg;

typedef struct LogRecord {
    LogKind kind;
    unsigned watch;     /* hit, mem, watch, summary watch */
    uint64_t hit;       /* hit, mem: the watch's hit number */
    unsigned cpu;
    uint64_t pc;        /* hit, mem */
    GArray *regs;       /* hit, mem: of LogReg */
    /* mem: the access */
    uint64_t addr;
    unsigned size;
    char *dir;
    char *value;
    /* hit: a mem= or str= capture, or cap_kind NULL */
    char *cap_kind;     /* "mem" or "str" */
    char *cap_value;    /* hex bytes, or the string's JSON literal */
    /* watch */
    char *wkind;        /* insn or mem */
    uint64_t start, end;
    char *sym;
    GPtrArray *reg_names;
    GArray *regnums;    /* of int, as many as reg_names, or empty */
    char *options;      /* if=, ignore=, count=, … as text, or NULL */
    /* drop */
    uint64_t lost;
    /* summary: what the plugin counted (a damaged log holds less) */
    uint64_t sum_logged, sum_dropped, sum_write_errors;
    /* every record */
    char *line;         /* the line as read, without its newline */
} LogRecord;

void logrecord_init(LogRecord *rec);
void logrecord_clear(LogRecord *rec);

typedef struct LogReader LogReader;

/*
 * Make @path readable any number of times: a regular file as it is, a
 * directory (CTF trace) through the decoder, anything else (a pipe, "-")
 * copied.  *@tmp gets a temporary file to remove afterwards, or NULL.
 */
char *logread_prepare(const char *path, char **tmp, GError **errp);

/* @name: what messages call the file; @path: what is read. */
LogReader *logread_open(const char *name, const char *path, GError **errp);
void logread_close(LogReader *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LogReader, logread_close)

/*
 * The next record into @rec: 1, or 0 at the end, or -1 with @errp
 * naming the file and line of a malformed record.
 */
int logread_next(LogReader *r, LogRecord *rec, GError **errp);

/*
 * The same in two steps, for readers that skip most lines: the next line
 * (valid until the next call), then, if wanted, its record.
 */
int logread_next_line(LogReader *r, const char **line, GError **errp);
bool logread_parse(LogReader *r, LogRecord *rec, GError **errp);

/*
 * The watch id of a hit or memory record in the plugin's own layout,
 * read from its first bytes; -1 for any other line (which may still be
 * a hit: parse it to know).
 */
long logread_peek_watch(const char *line);

/* The line number of the record last read. */
uint64_t logread_lineno(const LogReader *r);
const char *logread_name(const LogReader *r);

/* Whether the last line had no newline: the writer was cut off. */
bool logread_cut(const LogReader *r);

/* Remove leading zeros of a "0x…" value, in place. */
void logread_normalize_hex(char *v);

#endif /* QINSN_CLI_LOGREAD_H */
