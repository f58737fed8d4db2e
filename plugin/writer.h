/*
 * Where records are written: the log writer thread (see writer.c).
 */
#ifndef QINSN_WRITER_H
#define QINSN_WRITER_H

#include "logfmt.h"
#include "watch.h"

typedef struct WriterConfig {
    OutputFormat format;
    const char *log_path;       /* NULL: stderr (a CTF trace: ./qinsn-trace) */
    const char *arch;
    bool big_endian;
    WatchTable *watches;        /* for the summary and reclaiming */
    /* How many clients take events (none: events are not formatted). */
    uint32_t (*subscribers)(void);
    /* An event line for them; @skippable: a hit a slow client may miss. */
    void (*event)(const char *line, bool skippable);
    /* Events were queued: have them sent (any thread). */
    void (*wake)(void);
    /* Flushes completed so far: a removed watch is freed after one. */
    uint64_t (*flush_count)(void);
} WriterConfig;

bool writer_start(const WriterConfig *c, GError **errp);
/* Write everything recorded, then the summary, and close the log. */
void writer_stop(void);
/* Wake the writer now (a vCPU waits for room; any thread). */
void writer_kick(void);
void writer_stats(uint64_t *written, uint64_t *dropped,
                  uint64_t *write_errors);
/* Nanoseconds the writer spent writing records, and of them in write(2). */
void writer_times(uint64_t *busy, uint64_t *in_write);
/* Waits for the writer that ran out (overflow=wait). */
uint64_t writer_stalls(void);
/* Queue a mark from the control thread; false if the queue is full. */
bool writer_mark(const char *token);
/* Queue the definition record of a new watch; false if the queue is full. */
bool writer_watch(Watch *w);

#endif /* QINSN_WRITER_H */
