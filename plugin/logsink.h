/*
 * Where the log writer (writer.c) puts records: a CTF trace, records
 * copied as they are, or a text or JSON log (a file or stderr), records
 * formatted into a buffer that goes out in large writes.  A full disk or
 * a closed pipe loses records and counts them; it never stops the writer.
 *
 * Private to the writer: only its thread puts records, except that any
 * thread may define a watch.
 */
#ifndef QINSN_LOGSINK_H
#define QINSN_LOGSINK_H

#include "ctf.h"
#include "ring.h"
#include "writer.h"

/*
 * Open the log @c names, in @c's format; text and JSON lines are made by
 * @f, which must outlive the sink.
 */
bool logsink_open(const WriterConfig *c, const LogFormatter *f,
                  GError **errp);
/*
 * Put the record at @ev (@len bytes) of stream @stream: a vCPU index, or
 * CTF_CONTROL_STREAM for the control ring and the writer's own records
 * (vCPU 0 in text and JSON).  @r: its ring, whose drop count a CTF packet
 * carries; NULL for the writer's own records.
 */
void logsink_put(uint32_t stream, Ring *r, const uint8_t *ev, size_t len);
/* CTF only: put vCPU @stream's frames @f, straight from its ring. */
void logsink_put_frames(uint32_t stream, const CtfFrames *f);
/*
 * Make what was put visible in the log: the buffer once it is large or
 * @idle, a CTF trace's packets when @idle.  True when something was
 * written out.
 */
bool logsink_settle(bool idle);
/* Write out what is left and close the log. */
void logsink_close(void);
/* A new watch: a CTF trace describes its records (any thread). */
void logsink_define_watch(const TraceWatch *layout);
/* Writes that failed (their records are lost). */
uint64_t logsink_write_errors(void);
/* Nanoseconds spent in write(2). */
uint64_t logsink_write_ns(void);

#endif /* QINSN_LOGSINK_H */
