/*
 * A full ring (record.h): the vCPU waits for the writer (overflow=wait)
 * or drops the record (overflow=drop), and counts what it drops.  Private
 * to the recording module: record.c reserves room, overflow.c is called
 * only when there is none.  The settings and counters it keeps are read
 * through record.h.
 */
#ifndef QINSN_OVERFLOW_H
#define QINSN_OVERFLOW_H

#include "record.h"

/* Take overflow=, stall= and the writer's wake-up from @c. */
void overflow_init(const RecordConfig *c);
/*
 * Room for @max bytes in the full ring @r once the writer frees some, or
 * NULL: the record is dropped (and counted).
 */
uint8_t *overflow_reserve(Ring *r, size_t max);

#endif /* QINSN_OVERFLOW_H */
