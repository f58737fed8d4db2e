/*
 * Breakpoints: stopping the guest where a break watch matches.
 *
 * A break watch is an instruction watch (same options, same hit records)
 * whose matches also stop the guest.  stop.c decides once, at install,
 * how a stop can be made on the QEMU it runs in, and reports every stop to
 * subscribers as a `! stop` event.
 */
#ifndef QINSN_STOP_H
#define QINSN_STOP_H

#include <qemu-plugin.h>

#include "target.h"
#include "watch.h"

typedef enum {
    STOP_NONE,          /* this QEMU offers no way to stop the guest */
    STOP_EXACT,         /* patched QEMU: at the instruction, all-stop */
    STOP_LATE,          /* stock QEMU: at the start of a later block */
} StopMethod;

/* Choose the method; call at install, after the argument parsing. */
typedef struct StopConfig {
    Target *target;
    /* Send a "! stop" event line to subscribers now (any thread). */
    void (*event)(const char *line);
} StopConfig;

void stop_init(const StopConfig *c);
/* Register stop's own callbacks (again after a plugin reset). */
void stop_register_callbacks(qemu_plugin_id_t id);
StopMethod stop_method(void);
const char *stop_method_name(void);
/* Can a break watch be set now?  False with the reason in @errp. */
bool stop_available(GError **errp);

/*
 * A logged hit @n of break watch @h->watch on @cpu: stop the guest.
 * Called from the instruction callback, after the record is committed.
 */
void stop_request(unsigned int cpu, const Hook *h, uint64_t n);

#endif /* QINSN_STOP_H */
