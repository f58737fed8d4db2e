/*
 * Test plugin for libqinsn-seed.so that calls a qemulib function the
 * layer does not have.  The layer loads plugins with RTLD_NOW, so this is
 * refused at install with the symbol's name, not found at the first call.
 */
#include "qemulib.h"

/* Declared here on purpose: no header may offer it. */
void qemulib_no_such_function(void);

bool plugin_init(const char *args)
{
    qemulib_no_such_function();
    return true;
}
