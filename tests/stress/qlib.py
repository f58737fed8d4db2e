"""Helpers of qinsn's stress, fault, security and sanitizer tests.

TAP output, QEMU with the plugin (optionally under a wrapper such as
valgrind), control-socket clients, a reader that counts the records of a
JSON log as it is written, and the resource use of a process; skip_all,
symbol and the TAP output Tap extends come from tests/pylib/qinsntest.py.
Standard library only.

With QINSN_ASAN_PRELOAD naming the AddressSanitizer runtime (the plugin
then comes from a -Db_sanitize=address build), every QEMU started here
has it preloaded, and the test ends with an assertion that no QEMU printed
a sanitizer report.
"""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
import qinsntest  # noqa: E402
from qinsntest import skip_all, symbol  # noqa: E402,F401


# Sanitizer reports seen in the output of the QEMUs of this test.
SANITIZER_REPORTS = []
# QEMUs started here and not yet ended: ended on the way out, even when a
# timeout (meson sends SIGTERM) ends the test first.
RUNNING = set()


def _end_running(*_):
    for proc in list(RUNNING):
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if _:
        sys.exit(1)


atexit.register(_end_running)
signal.signal(signal.SIGTERM, _end_running)
ASAN_PRELOAD = os.environ.get('QINSN_ASAN_PRELOAD', '')
# QEMU itself leaks at exit: leak checking would only report that.
ASAN_ENV = {
    'ASAN_OPTIONS': 'detect_leaks=0:halt_on_error=1:abort_on_error=1',
    'UBSAN_OPTIONS': 'print_stacktrace=1:halt_on_error=1',
}
REPORT = re.compile(r'ERROR: AddressSanitizer|runtime error:|'
                    r'ERROR: LeakSanitizer|SUMMARY: UndefinedBehavior')


class Tap(qinsntest.Tap):
    """qinsntest's TAP; at the end, the sanitizer assertion (with
    QINSN_ASAN_PRELOAD) and the scratch directories removed or kept."""

    def finish(self):
        if ASAN_PRELOAD:
            self.ok(not SANITIZER_REPORTS, 'no sanitizer report from the '
                    'plugin in any QEMU (AddressSanitizer, UBSan)',
                    '\n'.join(SANITIZER_REPORTS)[-4000:])
        if self.failed:
            self.diag('kept for a look: ' + ' '.join(WORKDIRS))
        else:
            for path in WORKDIRS:
                shutil.rmtree(path, ignore_errors=True)


WORKDIRS = []


def workdir(name):
    """A fresh scratch directory for one test (short: socket paths).

    Removed by Tap.done() when every assertion passed, kept otherwise.
    """
    path = tempfile.mkdtemp(prefix='qinsn-%s-' % name)
    WORKDIRS.append(path)
    return path


class Qemu:
    """qemu-system-riscv64 running a guest with the plugin.

    @args are the plugin's key=value arguments; @wrapper is a command to
    run QEMU under (valgrind ...); @env adds to the environment.  QEMU's
    output goes to @work/qemu.out.
    """

    def __init__(self, plugin, guest, work, args, smp=1, wrapper=(),
                 env=None, arch='riscv64'):
        self.work = work
        self.out_path = os.path.join(work, 'qemu.out')
        plugin_opt = ','.join([plugin] + list(args))
        cmd = list(wrapper) + ['qemu-system-' + arch, '-M', 'virt',
                               '-bios', 'none', '-smp', str(smp),
                               '-display', 'none', '-monitor', 'none',
                               '-serial', 'file:' + os.path.join(work,
                                                                 'serial'),
                               '-kernel', guest, '-plugin', plugin_opt]
        full_env = dict(os.environ)
        if ASAN_PRELOAD:
            full_env.update(ASAN_ENV)
            full_env['LD_PRELOAD'] = ASAN_PRELOAD
        full_env.update(env or {})
        self.out = open(self.out_path, 'wb')
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.out,
                                     stderr=subprocess.STDOUT, env=full_env,
                                     start_new_session=True)
        self.pid = self.proc.pid
        RUNNING.add(self.proc)

    def output(self):
        with open(self.out_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def alive(self):
        return self.proc.poll() is None

    def send_signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def wait(self, timeout=60):
        """Exit status, or None after @timeout seconds."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Send @sig and wait; kill if it does not end.  Returns status."""
        self.send_signal(sig)
        st = self.wait(timeout)
        if st is None:
            self.send_signal(signal.SIGKILL)
            st = self.wait(10)
        RUNNING.discard(self.proc)
        self.out.close()
        out = self.output()
        if REPORT.search(out):
            SANITIZER_REPORTS.append(out)
        return st


def wait_for(cond, secs=30, step=0.05):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


class Client:
    """One control connection: requests and their replies, events kept."""

    def __init__(self, path, timeout=60):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b''
        self.events = []
        self.greeting = self.line()

    def line(self):
        while b'\n' not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError('connection closed')
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        return line.decode('ascii', 'replace')

    def reply(self):
        """(status line, data lines) of the next reply."""
        data = []
        while True:
            line = self.line()
            if line.startswith('= '):
                data.append(line[2:])
            elif line.startswith('! '):
                self.events.append(line)
            else:
                return line, data

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    def request(self, line):
        self.send(line + '\n')
        return self.reply()

    def pipeline(self, lines):
        """Send every line at once, then read one reply per line."""
        self.send(''.join(l + '\n' for l in lines))
        return [self.reply() for _ in lines]

    def close(self):
        self.sock.close()


def connect(path, secs=60, timeout=60):
    """A Client of the plugin at @path, once it accepts connections.

    The socket file appears when the plugin binds it, a moment before it
    listens (and a QEMU may not have made it yet): a refused or missing
    socket is tried again until @secs have passed.
    """
    end = time.monotonic() + secs
    while True:
        try:
            return Client(path, timeout)
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() >= end:
                raise
            time.sleep(0.05)


def field(line, key):
    m = re.search(r'(?:^| )%s=(\S*)' % re.escape(key), line)
    return m.group(1) if m else None


def stats(client):
    """The stats reply as a dict of strings."""
    st, data = client.request('stats')
    if st != 'OK':
        raise RuntimeError('stats: ' + st)
    return dict(d.split('=', 1) for d in data)


def usage(pid):
    """Open fds, threads and resident memory (KiB) of process @pid."""
    fds = len(os.listdir('/proc/%d/fd' % pid))
    threads = len(os.listdir('/proc/%d/task' % pid))
    rss = 0
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                rss = int(line.split()[1])
    return {'fds': fds, 'threads': threads, 'rss_kb': rss}


class LogCounter(threading.Thread):
    """Reads a JSON log through a FIFO and counts its records by type.

    The plugin opens log=PATH for writing, which on a FIFO waits for this
    reader; counting in big chunks keeps up with a busy log without
    storing it.  Drop counts and the summary are parsed.
    """

    KINDS = ('watch', 'hit', 'mem', 'mark', 'drop', 'stall', 'summary')

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        os.mkfifo(path)
        self.counts = dict.fromkeys(self.KINDS, 0)
        self.other = 0
        self.dropped = 0
        self.summary = None
        self.bytes = 0
        self.start()

    def run(self):
        fd = os.open(self.path, os.O_RDONLY)
        rest = b''
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            self.bytes += len(chunk)
            data = rest + chunk
            cut = data.rfind(b'\n') + 1
            rest = data[cut:]
            self.take(data[:cut])
        os.close(fd)
        if rest:
            self.other += 1

    def take(self, block):
        lines = block.count(b'\n')
        seen = 0
        for kind in self.KINDS:
            n = block.count(b'{"type":"%s"' % kind.encode())
            self.counts[kind] += n
            seen += n
        self.other += lines - seen
        if b'"type":"drop"' in block:
            for m in re.finditer(rb'\{"type":"drop","count":(\d+)\}', block):
                self.dropped += int(m.group(1))
        if b'"type":"summary"' in block:
            m = re.search(rb'\{"type":"summary",[^\n]*', block)
            self.summary = m.group(0).decode()


def summary_fields(text):
    """hits, logged, dropped, flushes, write_errors of a JSON summary."""
    return {k: int(v) for k, v in
            re.findall(r'"(hits|logged|dropped|flushes|write_errors)":(\d+)',
                       text.split('"watches"')[0])}
