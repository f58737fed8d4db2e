/*
 * The rare records of a log (logmeta.c), for logfmt_record(): each
 * appends @ev as @fmt formats it, false when @ev is malformed.
 */
#ifndef QINSN_LOGMETA_H
#define QINSN_LOGMETA_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "logfmt.h"

bool logmeta_watch(GString *out, OutputFormat fmt, const uint8_t *ev,
                   size_t len);
bool logmeta_mark(GString *out, OutputFormat fmt, const uint8_t *ev,
                  size_t len);
bool logmeta_drop(GString *out, OutputFormat fmt, const uint8_t *ev,
                  size_t len);
bool logmeta_stall(GString *out, OutputFormat fmt, const uint8_t *ev,
                   size_t len);
bool logmeta_summary(GString *out, OutputFormat fmt, const uint8_t *ev,
                     size_t len);

#endif /* QINSN_LOGMETA_H */
