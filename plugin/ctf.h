/*
 * The CTF 1.8 trace of format=ctf: a directory with a TSDL `metadata` file
 * and one stream file per vCPU (`cpu0`, `cpu1` …) plus `control` for watch
 * definitions, marks, drops, stalls and the summary.
 *
 * A ring's frames are already CTF events (its length, then the record of
 * trace.h, padded to 8 bytes), so a vCPU's records are written from its ring
 * as they lie, a run of frames per packet; the control stream's records are
 * copied into a packet of their own.  Watches come and go while QEMU runs: each
 * new watch appends an event class describing its hit records to the
 * metadata, as LTTng does for new event types, before any hit of it exists.
 */
#ifndef QINSN_CTF_H
#define QINSN_CTF_H

#include "trace.h"

#define CTF_CONTROL_STREAM UINT32_MAX
/*
 * env.qinsn_trace_layout: 2 since events start with their length (ring
 * frames); traces without it are of the earlier layout, events back to
 * back.  Readers refuse layouts they do not know.
 */
#define CTF_TRACE_LAYOUT 2

typedef struct CtfTrace CtfTrace;

/*
 * Create @dir (or reuse it) and write the metadata's prologue.  @progress
 * is called each time a stream file took a piece of a packet.
 */
CtfTrace *ctf_open(const char *dir, const char *arch, bool big_endian,
                   void (*progress)(void), GError **errp);
/* Append the event class of @w's hit records (any thread). */
bool ctf_define_watch(CtfTrace *t, const TraceWatch *w);
/*
 * Append a record to stream @stream (a vCPU index or CTF_CONTROL_STREAM),
 * with @discarded the stream's lost records so far.  Writer thread only.
 */
void ctf_append(CtfTrace *t, uint32_t stream, const uint8_t *ev,
                size_t len, uint64_t discarded);

/* At most this many runs of frames make one packet (a ring wraps once). */
#define CTF_FRAME_RUNS 2

/* Whole ring frames (ring.h) that become one packet. */
typedef struct CtfFrames {
    const uint8_t *run[CTF_FRAME_RUNS];   /* frames, 8-byte aligned */
    size_t run_len[CTF_FRAME_RUNS];       /* bytes, padding included */
    int nruns;
    size_t tail_pad;            /* the last frame's padding */
    uint64_t ts_begin, ts_end;  /* the first and the latest timestamp */
    uint64_t discarded;         /* the stream's lost records so far */
} CtfFrames;

/*
 * Write @f as the next packet of stream @stream, after what ctf_append()
 * collected for it.  Writer thread only; the frames may be reused once
 * this returns.
 */
void ctf_append_frames(CtfTrace *t, uint32_t stream, const CtfFrames *f);
/* Write out every partly filled packet (the writer is going idle). */
bool ctf_flush(CtfTrace *t);
/* Failed writes so far (a full disk): counted, never fatal. */
uint64_t ctf_write_errors(CtfTrace *t);
/* Nanoseconds spent in write(2) for stream packets. */
uint64_t ctf_write_ns(CtfTrace *t);
void ctf_close(CtfTrace *t);

#endif /* QINSN_CTF_H */
