#!/usr/bin/env python3
"""No format string that is not a literal: a check by the compiler.

Usage: formatcheck.py CC SOURCE_ROOT QEMU_PLUGIN_INCLUDE

Compiles each C file of common/ and plugin/ with -Wformat=2 -Werror
(syntax only), which refuses any printf-family call, GLib's included,
whose format is not a string literal: text from a request can then never
be read as a format.  One TAP line per file.
"""

import glob
import os
import subprocess
import sys


def main():
    cc, root, qemu_inc = sys.argv[1:4]
    incs = ['-I' + os.path.join(root, 'common'),
            '-I' + os.path.join(root, 'plugin'), '-I' + qemu_inc]
    sources = sorted(glob.glob(os.path.join(root, 'common', '*.c')) +
                     glob.glob(os.path.join(root, 'plugin', '*.c')))
    glib = subprocess.run(['pkg-config', '--cflags', 'glib-2.0'],
                          capture_output=True, text=True,
                          check=True).stdout.split()
    print('1..%d' % len(sources))
    failed = 0
    for i, src in enumerate(sources, 1):
        cmd = [cc, '-fsyntax-only', '-std=gnu11', '-D_GNU_SOURCE',
               '-Wformat=2', '-Werror'] + incs + glib + [src]
        r = subprocess.run(cmd, capture_output=True, text=True)
        short = '/'.join(src.split('/')[-2:])
        if r.returncode == 0:
            print('ok %d - %s: every format string is a literal' % (i, short))
        else:
            failed += 1
            print('not ok %d - %s' % (i, short))
            for line in r.stderr.splitlines()[:20]:
                print('#   ' + line)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
