/*
 * Turning records into lines: the text log for people, JSON Lines for
 * programs, and the "! " events of the control socket.
 */
#ifndef QINSN_FORMAT_H
#define QINSN_FORMAT_H

#include "ring.h"
#include "regs.h"
#include "watch.h"

typedef enum {
    FORMAT_TEXT,
    FORMAT_JSON,
    FORMAT_EVENT,
} OutputFormat;

typedef struct FormatContext {
    const QinsnRegTable *regs;
    bool big_endian;
} FormatContext;

/* Append one line (with newline) for @rec to @out. */
void format_record(GString *out, OutputFormat fmt, const FormatContext *ctx,
                   const Record *rec);
void format_drop(GString *out, OutputFormat fmt, uint64_t count);

/* Register value bytes as hex; @pad keeps leading zeros (full width). */
void format_value_hex(GString *out, const uint8_t *bytes, int len,
                      bool big_endian, bool pad);
/* The low 64 bits of a register value as an integer. */
uint64_t format_value_u64(const uint8_t *bytes, int len, bool big_endian);

typedef struct SummaryWatch {
    uint32_t id;
    uint64_t start, end;
    uint64_t hits, logged;
} SummaryWatch;

typedef struct Summary {
    uint64_t hits, logged, dropped, flushes, write_errors;
    GArray *watches;            /* of SummaryWatch */
} Summary;

void format_summary(GString *out, OutputFormat fmt, const Summary *s);

#endif /* QINSN_FORMAT_H */
