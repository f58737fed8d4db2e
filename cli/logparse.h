/*
 * Private to the log reader: the parsers of one line (logtext.c,
 * logjson.c) and the helpers they share (logrecord.c).  A parser fills a
 * reset LogRecord or returns false with a message that the reader
 * prefixes with the file and line.
 *
 * Unknown record types are errors, not skipped: a diff of something that
 * is not a qinsn log must say so at its first line, not report two empty
 * runs as equal.
 */
#ifndef QINSN_CLI_LOGPARSE_H
#define QINSN_CLI_LOGPARSE_H

#include "logread.h"

bool parse_text_line(LogRecord *rec, const char *line, GError **errp);
bool parse_json_line(LogRecord *rec, const char *line, GError **errp);

void logrecord_reset(LogRecord *rec);

/* "0x" and at least one hex digit, nothing else. */
bool log_is_hex(const char *v);
/* Decimal or 0x hex. */
bool log_number(const char *s, uint64_t *v);
void log_add_reg(LogRecord *rec, const char *name, const char *value,
                 bool stale);
/* A watch record's register names and gdb numbers, comma-separated. */
bool log_split_regs(LogRecord *rec, const char *names, const char *nums);

#endif /* QINSN_CLI_LOGPARSE_H */
