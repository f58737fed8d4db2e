"""Shared pieces of the gdb tests.

QEMU runs a test guest with the plugin and a gdbstub on a free TCP port (so
tests run in parallel); gdb-multiarch runs in batch mode with the qinsn
commands sourced.  TAP output, QEMU processes, free ports, symbols and the
expected values come from the shared package tests/pylib/qinsntest.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))
QINSN_PY = os.path.join(SOURCE_ROOT, "gdb-scripts", "qinsn.py")
GUEST_SOURCES = os.path.join(SOURCE_ROOT, "tests", "guests")
GDB = os.environ.get("GDB", "gdb-multiarch")

sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "pylib"))
import qinsntest  # noqa: E402
from qinsntest import (free_port, patched_binary, read_log, symbols,
                       system_command)  # noqa: E402


def qemu_binary(arch):
    """qemu-system-@arch; $QINSN_GDB_QEMU names another install prefix (a
    patched QEMU, say) to take it from."""
    name = "qemu-system-" + arch
    prefix = os.environ.get("QINSN_GDB_QEMU")
    return os.path.join(prefix, "bin", name) if prefix else name


def patched_run(arch):
    """The suite's second run, on the patched QEMU: meson sets
    QINSN_GDB_PATCHED=1, and qemu-system-@arch then comes from
    $QINSN_PATCHED_QEMU; without it (or without that binary there) the
    whole test reports itself skipped.  A no-op on the first run."""
    if os.environ.get("QINSN_GDB_PATCHED"):
        binary = patched_binary("qemu-system-" + arch)
        os.environ["QINSN_GDB_QEMU"] = os.path.dirname(
            os.path.dirname(binary))


class Qemu(qinsntest.Qemu):
    """A QEMU with the plugin; stopped at its first instruction if @gdb.
    Its log is @directory/NAME.log (JSON), its stderr NAME.err; unless
    @sock is "default", it answers on its socket when this returns."""

    def __init__(self, arch, kernel, plugin, directory, name="qemu",
                 gdb=True, sock=None, env=None, extra=()):
        self.arch = arch
        self.sock = sock or os.path.join(directory, name + ".sock")
        self.log = os.path.join(directory, name + ".log")
        plugin_arg = "%s,log=%s,format=json" % (plugin, self.log)
        if self.sock != "default":
            plugin_arg += ",sock=" + self.sock
        extra = list(extra)
        self.port = None
        if gdb:
            self.port = free_port()
            extra += ["-gdb", "tcp:127.0.0.1:%d" % self.port, "-S"]
        cmd = system_command(arch, kernel, [plugin_arg],
                             qemu=qemu_binary(arch), extra=extra)
        super().__init__(cmd, os.path.join(directory, name + ".out"),
                         err_path=os.path.join(directory, name + ".err"),
                         env=env)
        if self.sock != "default":
            self.wait_socket(self.sock)

    def log_records(self):
        return read_log(self.log)


class GdbRun:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    @property
    def text(self):
        return self.out + self.err

    def clean(self):
        """No Python traceback: every error came as a gdb error."""
        return ("Traceback" not in self.text and
                "Python Exception" not in self.text)


def run_gdb(commands, elf=None, port=None, env=None, timeout=120,
            source=True, early=()):
    """gdb-multiarch -batch with the qinsn commands, then @commands;
    @early are run before gdb loads anything (-iex)."""
    args = [GDB, "-q", "-nx", "-batch"]
    for command in early:
        args += ["-iex", command]
    args += ["-ex", "set pagination off", "-ex", "set confirm off"]
    if elf:
        args += ["-ex", "file " + elf]
    if port:
        args += ["-ex", "target remote 127.0.0.1:%d" % port]
    if source:
        args += ["-ex", "source " + QINSN_PY]
    for command in commands:
        args += ["-ex", command]
    full_env = dict(os.environ if env is None else env)
    full_env["PYTHONPATH"] = os.pathsep.join(
        [HERE, os.path.dirname(QINSN_PY)])
    proc = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout, env=full_env)
    return GdbRun(proc)


def in_gdb(script, spec, elf, port, directory, name):
    """Run tests/gdb/@script inside gdb with @spec; its JSON result."""
    spec = dict(spec)
    spec["out"] = os.path.join(directory, name + ".json")
    env = dict(os.environ)
    env["QINSN_TEST_SPEC"] = json.dumps(spec)
    run = run_gdb(["source " + os.path.join(HERE, script)], elf=elf,
                  port=port, env=env)
    try:
        with open(spec["out"]) as out:
            result = json.load(out)
    except (OSError, ValueError):
        result = None
    return run, result


def expected_values(arch):
    """expected-<arch>.txt: {(label, n): {reg: value}}, flags separately."""
    return qinsntest.expected_values(
        os.path.join(GUEST_SOURCES, "expected-%s.txt" % arch))


def source_line(arch, label):
    """FILE:LINE of the instruction right after @label: in probes.S."""
    path = os.path.join(GUEST_SOURCES, arch, "probes.S")
    with open(path) as f:
        lines = f.read().splitlines()
    at = lines.index(label + ":")
    return "probes.S:%d" % (at + 2)


def code_symbols(elf):
    """{name: address} of the code symbols of @elf."""
    return {name: sym.address for name, sym in symbols(elf).items()
            if sym.kind in "tT" and not name.startswith(("$", "."))}


def address(elf, name):
    return code_symbols(elf)[name]


def symbolic(elf, addr):
    """``probe_args`` or ``probe_mid_start+16`` for @addr in @elf."""
    below = [(a, n) for n, a in code_symbols(elf).items() if a <= addr]
    if not below:
        return "%#x" % addr
    value, name = max(below)
    return name + ("+%d" % (addr - value) if addr != value else "")
