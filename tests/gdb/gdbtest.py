"""Shared pieces of the gdb tests.

QEMU runs a test guest with the plugin and a gdbstub on a free TCP port (so
tests run in parallel); gdb-multiarch runs in batch mode with the qinsn
commands sourced; results are TAP lines, one per named assertion, with the
plan at the end.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))
QINSN_PY = os.path.join(SOURCE_ROOT, "gdb-scripts", "qinsn.py")
GUEST_SOURCES = os.path.join(SOURCE_ROOT, "tests", "guests")
GDB = os.environ.get("GDB", "gdb-multiarch")

QEMU = {
    "riscv64": ["qemu-system-riscv64", "-M", "virt", "-bios", "none"],
    "aarch64": ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a57",
                "-semihosting"],
    "x86_64": ["qemu-system-x86_64", "-no-reboot", "-device",
               "isa-debug-exit,iobase=0xf4,iosize=0x04"],
}


def qemu_command(arch):
    """QEMU's command line start; $QINSN_GDB_QEMU names another install
    prefix (a patched QEMU, say) to take qemu-system-ARCH from."""
    args = list(QEMU[arch])
    prefix = os.environ.get("QINSN_GDB_QEMU")
    if prefix:
        args[0] = os.path.join(prefix, "bin", args[0])
    return args


def patched_run(arch):
    """The suite's second run, on the patched QEMU: meson sets
    QINSN_GDB_PATCHED=1, and qemu-system-@arch then comes from
    $QINSN_PATCHED_QEMU; without it (or without that binary there) the
    whole test reports itself skipped.  A no-op on the first run."""
    if not os.environ.get("QINSN_GDB_PATCHED"):
        return
    prefix = os.environ.get("QINSN_PATCHED_QEMU", "")
    binary = os.path.join(prefix, "bin", QEMU[arch][0])
    if not prefix or not os.access(binary, os.X_OK):
        print("1..0 # SKIP %s" % (
            "%s is not in the patched QEMU %s" % (QEMU[arch][0], prefix)
            if prefix else "patched QEMU not built (QINSN_PATCHED_QEMU "
            "unset)"))
        sys.exit(0)
    os.environ["QINSN_GDB_QEMU"] = prefix


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def workdir():
    return tempfile.mkdtemp(prefix="qinsn-gdb-")


class Qemu:
    """A QEMU with the plugin; stopped at its first instruction if @gdb."""

    def __init__(self, arch, kernel, plugin, directory, name="qemu",
                 gdb=True, sock=None, env=None, extra=()):
        self.arch = arch
        self.sock = sock or os.path.join(directory, name + ".sock")
        self.log = os.path.join(directory, name + ".log")
        plugin_arg = "%s,log=%s,format=json" % (plugin, self.log)
        if self.sock != "default":
            plugin_arg += ",sock=" + self.sock
        args = qemu_command(arch) + [
            "-display", "none", "-serial", "null", "-kernel", kernel,
            "-plugin", plugin_arg] + list(extra)
        self.port = None
        if gdb:
            self.port = free_port()
            args += ["-gdb", "tcp:127.0.0.1:%d" % self.port, "-S"]
        self.stderr = open(os.path.join(directory, name + ".err"), "w")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self.stderr, env=env)
        if self.sock != "default":
            self.wait_socket(self.sock)

    def wait_socket(self, path, timeout=60.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("QEMU exited with %d" %
                                   self.proc.returncode)
            with socket.socket(socket.AF_UNIX) as sock:
                try:
                    sock.connect(path)
                    return
                except OSError:
                    time.sleep(0.05)
        raise RuntimeError("no plugin socket at %s" % path)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()

    def log_records(self):
        with open(self.log) as log:
            return [json.loads(line) for line in log if line.strip()]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def plugin_request(path, line, timeout=20.0):
    """One request on the plugin's socket at @path (retried until the
    plugin accepts); its status line."""
    deadline = time.time() + timeout
    while True:
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(timeout)
                sock.connect(path)
                f = sock.makefile("rw")
                f.readline()                    # the greeting
                f.write(line + "\n")
                f.flush()
                while True:
                    reply = f.readline().strip()
                    if not reply or reply.startswith(("OK", "ERR")):
                        return reply
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


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


class Tap:
    def __init__(self):
        self.count = 0
        self.failed = 0

    def ok(self, cond, name, diag=None, skip=False):
        """One assertion.  There is no TODO: a known wrong value is a
        failure until it is fixed or marked where it is logged."""
        self.count += 1
        suffix = " # SKIP" if skip else ""
        print("%s %d - %s%s" % ("ok" if cond else "not ok", self.count,
                                name, suffix))
        if not cond:
            self.failed += not suffix
            for line in (diag or "").splitlines()[-40:]:
                print("# " + line)
        sys.stdout.flush()
        return cond

    def done(self, directory=None):
        """Print the plan and exit; keep @directory only after a failure."""
        print("1..%d" % self.count)
        if directory and not self.failed:
            shutil.rmtree(directory, ignore_errors=True)
        elif directory:
            print("# files kept in " + directory)
        sys.exit(1 if self.failed else 0)


def expected_values(arch):
    """expected-<arch>.txt: {(label, n): {reg: value}}, flags separately."""
    values, flags = {}, {}
    with open(os.path.join(GUEST_SOURCES, "expected-%s.txt" % arch)) as f:
        for line in f:
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            target = values
            if words[0] == "FLAGS":
                target = flags
                words = words[1:]
            regs = dict(w.split("=") for w in words[2:])
            target[(words[0], int(words[1]))] = {
                k: int(v, 16) for k, v in regs.items()}
    return values, flags


def source_line(arch, label):
    """FILE:LINE of the instruction right after @label: in probes.S."""
    path = os.path.join(GUEST_SOURCES, arch, "probes.S")
    with open(path) as f:
        lines = f.read().splitlines()
    at = lines.index(label + ":")
    return "probes.S:%d" % (at + 2)


def symbols(elf):
    """{name: address} of the code symbols of @elf."""
    out = subprocess.run(["nm", elf], capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        words = line.split()
        if (len(words) == 3 and words[1] in "tT" and
                not words[2].startswith(("$", "."))):
            found[words[2]] = int(words[0], 16)
    return found


def address(elf, name):
    return symbols(elf)[name]


def symbolic(elf, addr):
    """``probe_args`` or ``probe_mid_start+16`` for @addr in @elf."""
    below = [(a, n) for n, a in symbols(elf).items() if a <= addr]
    if not below:
        return "%#x" % addr
    value, name = max(below)
    return name + ("+%d" % (addr - value) if addr != value else "")
