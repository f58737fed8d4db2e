/*
 * The empty plugin: installed, registers nothing.  What a plugin costs
 * QEMU by being loaded at all, whatever it does; the bound of a dormant
 * qinsn on the patched QEMU (bench/run --dormant).
 */
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                           const qemu_info_t *info,
                                           int argc, char **argv)
{
    return 0;
}
