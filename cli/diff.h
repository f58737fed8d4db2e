/*
 * qinsn diff: the first divergent hit between two runs.  Private to
 * diff.c (options, the walk through both logs), diffcompare.c (two hits),
 * diffwatch.c (reading each log's watches, matching them) and diffout.c
 * (what is printed).
 *
 * Memory does not grow with the logs: a first pass keeps only the
 * watches and the facts that make a log incomplete; the comparison then
 * reads run A once, in its execution order, and run B with one reader
 * per compared watch, each reader keeping its place in B.
 */
#ifndef QINSN_CLI_DIFF_H
#define QINSN_CLI_DIFF_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "logread.h"

typedef struct DiffWatch {
    unsigned id;
    char *kind;             /* insn, mem; NULL without a watch record */
    uint64_t start, end;    /* from the watch record or the first hit */
    char *sym;              /* NULL when the log has none */
    GPtrArray *regs;        /* register labels, in record order */
    GArray *regnums;        /* gdb numbers of regs, or empty */
    char *options;
    uint64_t line;          /* of its watch record, 0 without one */
    uint64_t records;       /* hits logged (before any loss) */
    struct DiffWatch *partner;
    bool selected;
    /* while comparing */
    uint64_t compared;      /* hits compared so far */
    bool exhausted;         /* the other log has no more of its hits */
    gpointer cursor;        /* B: the reader of its hits */
} DiffWatch;

typedef struct DiffLog {
    const char *name;       /* as the user gave it */
    char *path;             /* what is read (a copy for pipes) */
    char *tmp;              /* a temporary file to remove, or NULL */
    GPtrArray *watches;     /* DiffWatch *, in creation order */
    GHashTable *by_id;      /* id -> DiffWatch * */
    uint64_t lost_line;     /* the first drop or stall record, or 0 */
    char *lost_what;
    bool summary;           /* the run ended with its summary */
    bool cut;               /* the last line was cut off */
    uint64_t records;       /* hit and memory records in the whole log */
    uint64_t sum_logged, sum_dropped, sum_write_errors;  /* its summary */
} DiffLog;

typedef struct DiffOptions {
    GPtrArray *pairs;       /* "A_ID=B_ID" */
    char **regs;            /* compare only these, or NULL */
    char **ignore_regs;
    const char *watch;      /* ADDR or SYMBOL, or NULL */
    bool all;
    int context;
    bool json;
} DiffOptions;

/* One difference of a pair of hits. */
typedef struct DiffItem {
    char *name;             /* register label (A's), or value, size, … */
    int regnum;             /* -1 for what is no register */
    char *a, *b;
} DiffItem;

/* A line of context: where it is, and the record as written. */
typedef struct DiffLine {
    uint64_t lineno;
    char *text;
} DiffLine;

typedef struct Divergence {
    const DiffWatch *wa, *wb;
    uint64_t index;         /* the pair's ordinal among the watch's hits */
    uint64_t hit_a, hit_b;  /* the records' own hit numbers */
    GArray *items;          /* of DiffItem */
    GArray *ctx_a, *ctx_b;  /* of DiffLine, the divergent record last */
} Divergence;

/* diffcompare.c: what differs between @ra of @wa and @rb of @wb */
GArray *diff_compare(const DiffWatch *wa, const LogRecord *ra,
                     const DiffWatch *wb, const LogRecord *rb,
                     const DiffOptions *o);

/* diffwatch.c */
bool diff_log_scan(DiffLog *log, GError **errp);
void diff_log_clear(DiffLog *log);
bool diff_match(DiffLog *a, DiffLog *b, const DiffOptions *o,
                GError **errp);
/* The index of label @name in @w's registers, or -1. */
int diff_watch_reg(const DiffWatch *w, const char *name);
/* "w1 (demo_step, 0x800012cc)" */
char *diff_watch_describe(const DiffWatch *w);

/* diffout.c */
void diff_print_divergence(const DiffLog *a, const DiffLog *b,
                           const Divergence *d, const DiffOptions *o);
void diff_print_result(const DiffLog *a, const DiffLog *b,
                       const DiffOptions *o, uint64_t compared,
                       uint64_t divergences, GPtrArray *incomplete,
                       const Divergence *first);

#endif /* QINSN_CLI_DIFF_H */
