"""Helpers of the libqinsn-seed.so tests: guest symbols, running a guest
under the layer, reading expected-ARCH.txt; TAP output (Tap) comes from
tests/pylib/qinsntest.py.

QEMU runs for real (system emulation of the test guests in
tests/guests); every QEMU a test starts is its own child and ends with it.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "pylib"))
from qinsntest import Tap, partial_output  # noqa: E402,F401

# Per architecture: QEMU command, pass status, the gdb numbers of the
# argument registers, the PC register and the flags register, and gdb's
# register names as expected-ARCH.txt uses them.
ARCH = {
    "riscv64": {
        "qemu": ["qemu-system-riscv64", "-M", "virt", "-bios", "none"],
        "pass": 0, "args": [10, 11, 12, 13], "pc": 32, "flags": None,
        "names": dict({"a%d" % i: 10 + i for i in range(8)}, pc=32),
    },
    "aarch64": {
        "qemu": ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a57",
                 "-semihosting"],
        "pass": 0, "args": [0, 1, 2, 3], "pc": 32, "flags": 33,
        "names": dict({"x%d" % i: i for i in range(31)}, pc=32, cpsr=33),
    },
    "x86_64": {
        "qemu": ["qemu-system-x86_64", "-no-reboot", "-device",
                 "isa-debug-exit,iobase=0xf4,iosize=0x04"],
        "pass": 33, "args": [5, 4, 3, 2], "pc": 16, "flags": 17,
        "names": dict({n: i for i, n in enumerate(
            ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp"] +
            ["r%d" % k for k in range(8, 16)] + ["rip", "eflags"])}),
    },
}

# An address no guest can read (outside RAM, unmapped on x86_64).
UNREADABLE = 0xfffffffffffff000

# qinsn's patched QEMU (qemu-patch/build prints the prefix), when given.
PATCHED = os.environ.get("QINSN_PATCHED_QEMU")

# In a -Db_sanitize=address build the plugins need the ASan runtime
# loaded first; QEMU is not built with it (tests/sanitize does the same).
# ASan's ODR check would abort the run that loads a second copy of the
# layer before the layer can refuse it (docs/seed-api.md).
QEMU_ENV = dict(os.environ)
if os.environ.get("QINSN_ASAN_PRELOAD"):
    QEMU_ENV["LD_PRELOAD"] = os.environ["QINSN_ASAN_PRELOAD"]
    QEMU_ENV.setdefault("ASAN_OPTIONS",
                        "detect_leaks=0:detect_odr_violation=0")


def patched_binary(arch):
    """The patched QEMU for @arch, or None when there is none."""
    if not PATCHED:
        return None
    path = os.path.join(PATCHED, "bin", ARCH[arch]["qemu"][0])
    return path if os.access(path, os.X_OK) else None


def named_args(argv):
    """NAME PATH pairs from meson's argument list, as a dict."""
    if len(argv) % 2:
        raise SystemExit("arguments must come in NAME PATH pairs")
    return dict(zip(argv[0::2], argv[1::2]))


def symbols(elf):
    """{name: (address, size)} of an ELF's symbols, from nm."""
    out = subprocess.run(["nm", "-S", elf], check=True, text=True,
                         capture_output=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4:
            syms[f[3]] = (int(f[0], 16), int(f[1], 16))
        elif len(f) == 3:
            syms[f[2]] = (int(f[0], 16), 0)
    return syms


def read_expected(path):
    """Rows (label, hit, {reg: value}) and flag rows of expected-ARCH.txt."""
    rows, flags = [], []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            w = line.split()
            if w[0] == "FLAGS":
                regs = dict(kv.split("=") for kv in w[3:])
                flags.append((w[1], int(w[2]), regs))
            else:
                regs = dict(kv.split("=") for kv in w[2:])
                rows.append((w[0], int(w[1]), regs))
    return rows, flags


def qemu_escape(value):
    """A value inside a QEMU option: commas are doubled."""
    return value.replace(",", ",,")


class Work:
    """A private directory for logs, removed at the end."""

    def __init__(self, name):
        self.dir = tempfile.mkdtemp(prefix="qinsn-seed-%s-" % name)
        self.count = 0

    def path(self, name):
        self.count += 1
        return os.path.join(self.dir, "%d-%s" % (self.count, name))

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


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
    cmd = [qemu or ARCH[arch]["qemu"][0]] + ARCH[arch]["qemu"][1:] + \
        list(extra) + [
        "-display", "none", "-serial", "stdio", "-kernel", elf]
    for opt in plugin_options:
        cmd += ["-plugin", opt]
    return cmd


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
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, errors="replace", env=QEMU_ENV)
    text = ""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and p.poll() is None:
            if os.path.exists(log):
                with open(log, errors="replace") as f:
                    text = f.read()
                if marker in text:
                    break
            time.sleep(0.05)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            _, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
    if os.path.exists(log):
        with open(log, errors="replace") as f:
            text = f.read()
    return Run(p.returncode, "", err, text)
