/*
 * The one parser of watch requests: "watch", "break" and "watch-mem"
 * (protocol requests and the plugin's watch= argument) become a typed
 * QinsnWatchSpec, checked as far as can be without the target's registers.
 * Register names are resolved later, against the target (plugin/watch.c).
 */
#ifndef QINSN_WATCHSPEC_H
#define QINSN_WATCHSPEC_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

/* Largest mem= capture, and the bytes a str= capture reads. */
#define QINSN_MAX_MEM 256
#define QINSN_MAX_STR 128
/* Highest vCPU index cpu= accepts. */
#define QINSN_MAX_CPU 4095

typedef enum {
    QINSN_WATCH_INSN,           /* instructions at addresses */
    QINSN_WATCH_MEM,            /* loads and stores touching a range */
    QINSN_WATCH_BREAK,          /* instructions, and stop there */
} QinsnWatchKind;

typedef enum {
    QINSN_CAPTURE_NONE,
    QINSN_CAPTURE_MEM,          /* mem=REG[+OFF]:LEN */
    QINSN_CAPTURE_STR,          /* str=REG */
} QinsnCaptureKind;

#define QINSN_MEM_READ 1
#define QINSN_MEM_WRITE 2

typedef struct QinsnWatchSpec {
    QinsnWatchKind kind;
    int mem_dir;                /* QINSN_MEM_READ | QINSN_MEM_WRITE */
    uint64_t start, end;        /* inclusive */
    GPtrArray *regs;            /* names, or NULL to use the defaults */
    bool has_cond;
    QinsnCond cond;             /* reg "value": a memory watch's value */
    char *cond_text;            /* as given */
    uint64_t ignore, count;     /* count 0: unlimited */
    int cpu;                    /* -1: any vCPU */
    QinsnCaptureKind capture;
    char *capture_reg;
    int64_t capture_off;
    uint32_t capture_len;
    char *capture_text;         /* "mem=…" or "str=…" as given */
    char *sym;                  /* the symbol a client resolved, or NULL */
} QinsnWatchSpec;

void qinsn_watch_spec_init(QinsnWatchSpec *s);
void qinsn_watch_spec_clear(QinsnWatchSpec *s);

/* Parse a watch, break or watch-mem request (by its command) into @s. */
bool qinsn_watch_spec_parse(QinsnWatchSpec *s, const QinsnRequest *req,
                            GError **errp);

/* Set @s's condition from "<reg><op><value>". */
bool qinsn_watch_spec_set_cond(QinsnWatchSpec *s, const char *text,
                               GError **errp);
/* Set @s's capture from the value of mem= or str=. */
bool qinsn_watch_spec_set_capture(QinsnWatchSpec *s, QinsnCaptureKind kind,
                                  const char *text, GError **errp);

#endif /* QINSN_WATCHSPEC_H */
