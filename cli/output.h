/*
 * How replies, events and errors look: plain text (the protocol's own
 * key=value words, with the disassembly after a ';') or, with --json, one
 * JSON object per line.
 */
#ifndef QINSN_CLI_OUTPUT_H
#define QINSN_CLI_OUTPUT_H

#include <glib.h>

#include "conn.h"
#include "session.h"

/*
 * Format an OK reply.  @extra: more key=value words for its status (may be
 * NULL); @note: text for after the ';' (JSON: "asm"), or NULL.
 */
void output_reply(Session *s, const Reply *r, const char *extra,
                  const char *note, GString *out);

/* Format an event line (without its "! "). */
void output_event(Session *s, const char *ev, GString *out);

/* {"ok":false,"class":…,"error":…}; @cls NULL: derived from @code. */
void output_json_error(GString *out, const char *cls, int code,
                       const char *msg);

#endif /* QINSN_CLI_OUTPUT_H */
