# qinsn's gdb commands (qinsn-connect, qinsn-watch, ...): source this file
# from gdb or from ~/.gdbinit; README.md describes the commands and set-up.
# The package qinsn_gdb lives next to this file.

import os
import sys


def _load():
    here = os.path.dirname(os.path.abspath(os.path.realpath(__file__)))
    if here not in sys.path:
        sys.path.insert(0, here)
    import qinsn_gdb
    qinsn_gdb.register()


_load()
