/*
 * Test plugin for libqinsn-seed.so with none of the optional entry
 * points: it only logs the args string it was given.  The guest must run
 * to its end with no callback of the plugin's at all.
 */
#include "qemulib.h"

bool plugin_init(const char *args)
{
    qemulib_log("initonly: args '%s'", args);
    return true;
}
