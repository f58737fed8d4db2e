/*
 * The translation-time choice (translate.c): which instructions of a block
 * get the record path's callbacks.
 */
#ifndef QINSN_TRANSLATE_H
#define QINSN_TRANSLATE_H

#include <qemu-plugin.h>
#include <stdbool.h>

#include "watch.h"

void translate_init(qemu_plugin_id_t id, WatchTable *watches);
/* Register (@on) or drop the translation callback. */
void translate_set(bool on);

#endif /* QINSN_TRANSLATE_H */
