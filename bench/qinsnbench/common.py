"""What every part of the harness shares: where things are (the build, the
cache, the QEMU binaries), line-oriented socket clients and small helpers.

Nothing the harness downloads or builds goes into the repository: it all
lives under ${QINSN_CACHE:-/var/cache/qinsn}/bench.
"""

import hashlib
import os
import socket
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

STOCK = "stock"
PATCHED = "patched"


def say(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class Env:
    """Paths and binaries of one invocation."""

    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.plugin = os.path.join(self.build, "plugin", "libqinsn.so")
        self.guests = os.path.join(self.build, "tests", "guests")
        cli = os.path.join(self.build, "cli", "qinsn")
        self.cli = cli if os.access(cli, os.X_OK) else None
        for p in (self.plugin, self.guests):
            if not os.path.exists(p):
                raise SystemExit(f"bench: {p} missing: run scripts/build")
        self.cache = os.path.join(
            os.environ.get("QINSN_CACHE", "/var/cache/qinsn"), "bench")
        os.makedirs(self.cache, exist_ok=True)
        self.patched = os.environ.get("QINSN_PATCHED_QEMU") or None
        if self.patched:
            missing = [a for a in ("riscv64", "x86_64")
                       if not os.access(self._patched_bin(a), os.X_OK)]
            if missing:
                raise SystemExit(f"bench: QINSN_PATCHED_QEMU={self.patched}"
                                 f" has no qemu-system-{missing[0]}")

    def _patched_bin(self, arch):
        return os.path.join(self.patched, "bin", f"qemu-system-{arch}")

    def qemu(self, arch, flavour=STOCK):
        if flavour == PATCHED:
            return self._patched_bin(arch)
        return f"qemu-system-{arch}"

    def guest(self, name):
        return os.path.join(self.guests, name + ".elf")

    def cache_dir(self, *parts):
        d = os.path.join(self.cache, *parts)
        os.makedirs(d, exist_ok=True)
        return d


def digest(*items):
    """A short hash of file contents and strings, to key cached builds."""
    h = hashlib.sha256()
    for it in items:
        if os.path.isfile(it):
            with open(it, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
        else:
            h.update(it.encode())
        h.update(b"\0")
    return h.hexdigest()[:12]


def run_tool(cmd, **kw):
    """Run a build or download step; its output only shows on failure."""
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} failed:\n{r.stdout}"
                         f"{r.stderr}")
    return r.stdout


def symbols(elf):
    """name -> address of every symbol of an ELF file."""
    out = run_tool(["nm", elf])
    table = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            table.setdefault(parts[2], int(parts[0], 16))
    return table


def wait_for(ready, proc, what, secs, step=0.005):
    """Poll @ready() until it is true; RuntimeError if QEMU (@proc) exits
    first or @secs pass.  @what names the awaited thing in the error."""
    end = time.monotonic() + secs
    while not ready():
        if proc.poll() is not None:
            raise RuntimeError(f"QEMU exited ({proc.returncode}) before "
                               f"{what}")
        if time.monotonic() > end:
            raise RuntimeError(f"no {what} in {secs} s")
        time.sleep(step)


def wait_path(path, proc, secs=30):
    wait_for(lambda: os.path.exists(path), proc, f"file {path}", secs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    v = sorted(values)
    k = min(len(v) - 1, max(0, round(p / 100 * (len(v) - 1))))
    return v[k]


class Lines:
    """A line-oriented client of a UNIX socket."""

    def __init__(self, path, secs=5):
        # the socket file exists from bind(); until listen() a connect is
        # refused, a window a loaded machine can make long
        end = time.monotonic() + secs
        while True:
            self.sock = socket.socket(socket.AF_UNIX)
            try:
                self.sock.connect(path)
                break
            except ConnectionRefusedError:
                self.sock.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.01)
        self.file = self.sock.makefile("rw", buffering=1)

    def line(self):
        r = self.file.readline()
        if not r:
            raise EOFError("connection closed")
        return r.rstrip("\n")

    def reply(self):
        """The status line of the next reply, skipping data and events."""
        while True:
            r = self.line()
            if not r.startswith("! ") and not r.startswith("= "):
                return r

    def send(self, text):
        self.file.write(text)
        self.file.flush()

    def close(self):
        try:
            self.file.close()
        finally:
            self.sock.close()


def qinsn_connect(path):
    c = Lines(path)
    greeting = c.line()
    if not greeting.startswith("QINSN 1 "):
        raise RuntimeError(f"bad greeting {greeting!r}")
    c.greeting = dict(kv.split("=", 1) for kv in greeting.split()[2:]
                      if "=" in kv)
    return c


def qinsn_requests(path, lines):
    """Send requests pipelined, read back in batches so that neither
    side's buffer fills; every one must be answered OK."""
    c = qinsn_connect(path)
    for i in range(0, len(lines), 200):
        batch = lines[i:i + 200]
        c.send("".join(x + "\n" for x in batch))
        for _ in batch:
            r = c.reply()
            if not r.startswith("OK"):
                raise RuntimeError(f"plugin answered {r!r}")
    c.close()


class Qmp(Lines):
    """Just enough QMP to resume a guest started with -S."""

    def __init__(self, path):
        super().__init__(path)
        self.line()
        self.send('{"execute":"qmp_capabilities"}\n')
        self.line()

    def cont(self):
        start = time.monotonic()
        self.send('{"execute":"cont"}\n')
        return start
