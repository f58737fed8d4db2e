/*
 * Records as lines: the text log for people, JSON Lines for programs and
 * the "! " events of the control socket, all made from the binary records
 * of trace.h.  The plugin's writer and `qinsn decode` share this code, so a
 * CTF trace decodes to exactly the lines the plugin writes in text or JSON.
 */
#ifndef QINSN_LOGFMT_H
#define QINSN_LOGFMT_H

#include "trace.h"

typedef enum {
    FORMAT_TEXT,
    FORMAT_JSON,
    FORMAT_EVENT,
    FORMAT_CTF,                 /* the binary trace itself: no lines */
} OutputFormat;

/*
 * The disassembly of the instruction at @pc of watch @watch, valid until
 * the next call, or NULL when it is not known.  Events only: logs do not
 * carry it.
 */
typedef const char *(*LogDisasFn)(void *opaque, uint32_t watch,
                                  uint64_t pc);

typedef struct LogFormatter {
    TraceWatches *watches;      /* learnt from watch records, owned */
    bool big_endian;            /* register values' byte order */
    LogDisasFn disas;           /* NULL: events without disas= */
    void *disas_opaque;
} LogFormatter;

void logfmt_init(LogFormatter *f, bool big_endian);
void logfmt_clear(LogFormatter *f);

/*
 * Remember what the record at @ev says about watches (a watch record
 * defines one).  Call it once per record, before formatting it in any
 * number of formats.  False when a watch record is malformed.
 */
bool logfmt_learn(LogFormatter *f, const uint8_t *ev, size_t len);

/*
 * Append the line for the record at @ev (@len bytes, header included) of
 * vCPU @cpu to @out.  Records that have no line in @fmt (watch records as
 * events) append nothing.  False when the record is malformed or of an
 * unknown watch; @out is then unchanged.
 */
bool logfmt_record(GString *out, OutputFormat fmt, const LogFormatter *f,
                   uint32_t cpu, const uint8_t *ev, size_t len);

/* Register value bytes as hex; @pad keeps leading zeros (full width). */
void format_value_hex(GString *out, const uint8_t *bytes, int len,
                      bool big_endian, bool pad);
/* The low 64 bits of a register value as an integer. */
uint64_t format_value_u64(const uint8_t *bytes, int len, bool big_endian);

#endif /* QINSN_LOGFMT_H */
