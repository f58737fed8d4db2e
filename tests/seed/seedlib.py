"""Helpers of the libqinsn-seed.so tests: running a guest under the
layer, the gdb register numbers the layer's API uses, meson's NAME PATH
arguments.  TAP output, QEMU's command line and binaries, symbols and
expected-ARCH.txt come from the shared package tests/pylib/qinsntest.

QEMU runs for real (system emulation of the test guests in
tests/guests); every QEMU a test starts is its own child and ends with it.
"""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "pylib"))
from qinsntest import (ASAN_PRELOAD, PASS, Qemu, partial_output,
                       qemu_env, system_command, workdir)  # noqa: E402

# Per architecture: pass status, the gdb numbers of the argument
# registers, the PC register and the flags register, and gdb's register
# names as expected-ARCH.txt uses them.
ARCH = {
    "riscv64": {
        "pass": PASS["riscv64"], "args": [10, 11, 12, 13], "pc": 32,
        "flags": None,
        "names": dict({"a%d" % i: 10 + i for i in range(8)}, pc=32),
    },
    "aarch64": {
        "pass": PASS["aarch64"], "args": [0, 1, 2, 3], "pc": 32, "flags": 33,
        "names": dict({"x%d" % i: i for i in range(31)}, pc=32, cpsr=33),
    },
    "x86_64": {
        "pass": PASS["x86_64"], "args": [5, 4, 3, 2], "pc": 16, "flags": 17,
        "names": dict({n: i for i, n in enumerate(
            ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp"] +
            ["r%d" % k for k in range(8, 16)] + ["rip", "eflags"])}),
    },
}

# An address no guest can read (outside RAM, unmapped on x86_64).
UNREADABLE = 0xfffffffffffff000

# ASan's ODR check would abort the run that loads a second copy of the
# layer before the layer can refuse it (docs/seed-api.md).
QEMU_ENV = qemu_env({"ASAN_OPTIONS": "detect_leaks=0:detect_odr_violation=0"}
                    if ASAN_PRELOAD else None)


def named_args(argv):
    """NAME PATH pairs from meson's argument list, as a dict."""
    if len(argv) % 2:
        raise SystemExit("arguments must come in NAME PATH pairs")
    return dict(zip(argv[0::2], argv[1::2]))


def qemu_escape(value):
    """A value inside a QEMU option: commas are doubled."""
    return value.replace(",", ",,")


class Work:
    """A private directory for logs (qinsntest.workdir: kept only when an
    assertion failed), its files numbered in the order asked for."""

    def __init__(self, name):
        self.dir = workdir("seed-" + name)
        self.count = 0

    def path(self, name):
        self.count += 1
        return os.path.join(self.dir, "%d-%s" % (self.count, name))


class Run:
    """The outcome of one QEMU run: status, output, the layer's log."""

    def __init__(self, status, out, err, log):
        self.status = status
        self.out = out
        self.err = err
        self.log = log

    def lines(self, prefix):
        return [l for l in self.log.splitlines() if l.startswith(prefix)]

    def describe(self):
        return "status %s\nstdout:\n%s\nstderr:\n%s\nlog:\n%s" % (
            self.status, self.out[-2000:], self.err[-2000:],
            self.log[-4000:])


def qemu_command(arch, elf, plugin_options, extra=(), qemu=None):
    """QEMU's command line; one -plugin per option (a string or a list).
    @qemu replaces the QEMU binary on PATH."""
    if isinstance(plugin_options, str):
        plugin_options = [plugin_options]
    return system_command(arch, elf, plugin_options, serial="stdio",
                          extra=extra, qemu=qemu)


def layer_option(layer, plugin=None, args=None, log=None, extra=()):
    opt = [layer]
    if plugin is not None:
        opt.append("plugin=" + qemu_escape(plugin))
    if args is not None:
        opt.append("args=" + qemu_escape(args))
    if log is not None:
        opt.append("log=" + qemu_escape(log))
    return ",".join(opt + list(extra))


def run_guest(arch, elf, option, log=None, timeout=60, extra=(),
              qemu=None):
    """Run a guest to its end; a run that times out has status None."""
    cmd = qemu_command(arch, elf, option, extra, qemu)
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, text=True,
                           capture_output=True, timeout=timeout,
                           errors="replace", env=QEMU_ENV)
        status, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        status = None
        out = partial_output(e.stdout)
        err = partial_output(e.stderr)
    text = ""
    if log and os.path.exists(log):
        with open(log, errors="replace") as f:
            text = f.read()
    return Run(status, out, err, text)


def run_until(arch, elf, option, log, marker, timeout=60, extra=(),
              qemu=None):
    """Run a guest that does not end by itself until @marker is logged."""
    cmd = qemu_command(arch, elf, option, extra, qemu)
    q = Qemu(cmd, log + ".stdout", err_path=log + ".stderr",
             env=QEMU_ENV)
    text = ""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and q.alive():
            if os.path.exists(log):
                with open(log, errors="replace") as f:
                    text = f.read()
                if marker in text:
                    break
            time.sleep(0.05)
    finally:
        status = q.stop(signal.SIGTERM, 10)
    with open(log + ".stderr", errors="replace") as f:
        err = f.read()
    if os.path.exists(log):
        with open(log, errors="replace") as f:
            text = f.read()
    return Run(status, "", err, text)
