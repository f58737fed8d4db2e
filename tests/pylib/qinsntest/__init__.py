"""What every Python test of qinsn shares.

  tap      TAP output (Tap, skip_all) and scratch directories (workdir)
  control  the plugin's control socket (Client, connect, request, fields),
           QEMU's QMP (qmp) and free_port
  qemu     QEMU binaries (stock, patched), command lines for the test
           guests' machines, processes ended by pid at the test's end
           (Qemu), run, wait_for, usage, the ASan preload
  guest    symbols of a guest ELF, tests/guests/expected-ARCH.txt
  logs     the plugin's JSON log (read_log, hits, LogCounter)

A test script puts tests/pylib on sys.path itself, so that it runs however
it is started (meson, any build directory, by hand):

    sys.path.insert(0, os.path.join(os.path.dirname(
        os.path.abspath(__file__)), '..', 'pylib'))
    from qinsntest import Tap, Qemu, connect

The names below are those of the modules, gathered here.  Standard
library only.
"""

from .control import (Client, connect, field, fields, free_port, qmp,
                      request)
from .guest import Symbol, expected_values, read_expected, symbol, symbols
from .logs import LogCounter, hits, read_log, summary_fields
from .qemu import (ASAN_PRELOAD, FLAGS_REG, MACHINE, PASS, PC_REG, Qemu,
                   partial_output, patched_binary, patched_prefix,
                   qemu_env, run, start_guest, stock_binary, system_binary,
                   system_command, usage, wait_for)
from .tap import Tap, at_finish, skip_all, workdir

__all__ = [
    'ASAN_PRELOAD', 'Client', 'FLAGS_REG', 'LogCounter', 'MACHINE', 'PASS',
    'PC_REG', 'Qemu', 'Symbol', 'Tap', 'at_finish', 'connect',
    'expected_values', 'field', 'fields', 'free_port', 'hits',
    'partial_output', 'patched_binary', 'patched_prefix', 'qemu_env', 'qmp',
    'read_expected',
    'read_log', 'request', 'run', 'skip_all', 'start_guest',
    'stock_binary', 'summary_fields', 'symbol', 'symbols', 'system_binary',
    'system_command', 'usage', 'wait_for', 'workdir',
]
