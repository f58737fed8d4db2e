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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import Tap  # noqa: E402


def main():
    cc, root, qemu_inc = sys.argv[1:4]
    incs = ['-I' + os.path.join(root, 'common'),
            '-I' + os.path.join(root, 'plugin'), '-I' + qemu_inc]
    sources = sorted(glob.glob(os.path.join(root, 'common', '*.c')) +
                     glob.glob(os.path.join(root, 'plugin', '*.c')))
    glib = subprocess.run(['pkg-config', '--cflags', 'glib-2.0'],
                          capture_output=True, text=True,
                          check=True).stdout.split()
    t = Tap()
    for src in sources:
        cmd = [cc, '-fsyntax-only', '-std=gnu11', '-D_GNU_SOURCE',
               '-Wformat=2', '-Werror'] + incs + glib + [src]
        r = subprocess.run(cmd, capture_output=True, text=True)
        short = '/'.join(src.split('/')[-2:])
        t.ok(r.returncode == 0, '%s: every format string is a literal' % short,
             '\n'.join('  ' + line for line in r.stderr.splitlines()[:20]))
    t.done()


if __name__ == '__main__':
    sys.exit(main())
