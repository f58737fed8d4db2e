"""Helpers shared by the tests of qinsn on the patched QEMU.

Finding the patched QEMU (the prefix qemu-patch/build prints, passed in
QINSN_PATCHED_QEMU), running QEMU with the plugin, talking to the control
socket, and gdb at a breakpoint; TAP output, skip_all and symbol addresses
come from tests/pylib/qinsntest.py.  Standard library only.
"""

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import Tap, partial_output, skip_all, symbol  # noqa: E402,F401


def patched_prefix():
    """The patched QEMU's install prefix, or skip the whole test."""
    prefix = os.environ.get('QINSN_PATCHED_QEMU', '')
    if not prefix or not os.path.isdir(os.path.join(prefix, 'bin')):
        skip_all('patched QEMU not built (run qemu-patch/build)')
    return prefix


def patched_binary(prefix, name):
    path = os.path.join(prefix, 'bin', name)
    if not os.access(path, os.X_OK):
        skip_all('%s not in %s' % (name, prefix))
    return path


def begin(name):
    """What every test starts with: the patched QEMU binary @name (the
    whole test is skipped without it), a Tap and a Workdir."""
    return patched_binary(patched_prefix(), name), Tap(), Workdir()


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# Command lines of the system machines the guests are written for.
SYSTEM_ARGS = {
    # No NIC and no VGA: their option ROMs are not needed.
    'x86_64': ['-M', 'pc', '-no-reboot', '-nic', 'none', '-vga', 'none',
               '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'],
    'riscv64': ['-M', 'virt', '-bios', 'none'],
    'aarch64': ['-M', 'virt', '-cpu', 'cortex-a57', '-semihosting'],
}
SYSTEM_PASS = {'x86_64': 33, 'riscv64': 0, 'aarch64': 0}

# What each architecture calls its PC and flags registers in qinsn and gdb.
PC_REG = {'x86_64': 'rip', 'riscv64': 'pc', 'aarch64': 'pc'}
FLAGS_REG = {'x86_64': 'eflags', 'riscv64': None, 'aarch64': 'cpsr'}


def system_command(qemu, arch, kernel, plugin_args, extra=()):
    return ([qemu] + SYSTEM_ARGS[arch] +
            ['-display', 'none', '-serial', 'null', '-monitor', 'none',
             '-kernel', kernel, '-plugin', plugin_args] + list(extra))


class Workdir:
    """A temporary directory removed at exit, for logs and sockets."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix='qinsn-patched-')

    def file(self, name):
        return os.path.join(self.path, name)

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


def run(cmd, timeout):
    """Run @cmd to completion; returns (status, stdout+stderr)."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True,
                           timeout=timeout)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        return None, partial_output(e.stdout)


def start(cmd):
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def stop(proc):
    """Stop a process started by start(); returns its output."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    return out


def read_log(path):
    """The JSON records of a plugin log (format=json)."""
    recs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    return recs


def hits(recs, pc=None):
    return [r for r in recs
            if r.get('type') == 'hit' and (pc is None or int(r['pc'], 16) == pc)]


class Client:
    """A line client of the plugin's control socket."""

    def __init__(self, path, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(timeout)
        # Read-only file: a text file opened 'rw' drops read-ahead text
        # whenever it is written to.
        self.f = self.sock.makefile('r')
        self.greeting = self.f.readline().strip()
        self.events = []

    def request(self, line):
        """Send one request; returns (data lines, status line, seconds)."""
        t = time.monotonic()
        data = []
        try:
            self.send(line)
            return self._reply(data, t)
        except OSError as e:
            return data, 'EOF (%s)' % e, time.monotonic() - t

    def _reply(self, data, t):
        while True:
            reply = self.f.readline()
            if not reply:
                return data, 'EOF', time.monotonic() - t
            reply = reply.strip()
            if reply.startswith('! '):
                self.events.append(reply)
            elif reply.startswith('= '):
                data.append(reply[2:])
            else:
                return data, reply, time.monotonic() - t

    def send(self, line):
        self.sock.sendall((line + '\n').encode())

    def wait_event(self, prefix, timeout):
        """The first event starting with @prefix, or None on timeout."""
        for e in self.events:
            if e.startswith(prefix):
                self.events.remove(e)
                return e
        self.sock.settimeout(timeout)
        try:
            while True:
                line = self.f.readline()
                if not line:
                    return None
                line = line.strip()
                if line.startswith(prefix):
                    return line
        except (socket.timeout, OSError):
            return None

    def stats(self):
        data, status, _ = self.request('stats')
        return dict(d.split('=', 1) for d in data if '=' in d)

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass


def fields(line):
    """key=value words of a protocol line as a dict."""
    return dict(w.split('=', 1) for w in line.split() if '=' in w)


def gdb_at(gdb, elf, port, addr, regs, count, timeout=60):
    """Stop @count times at @addr in a QEMU waiting on gdb @port; returns a
    list of {reg: value} per stop."""
    script = ['set pagination off', 'set confirm off',
              'target remote 127.0.0.1:%d' % port,
              'break *0x%x' % addr]
    for _ in range(count):
        script.append('continue')
        script.append('printf "@@' + ''.join(' %s=0x%%lx' % r for r in regs) +
                      '\\n"' + ''.join(', $%s' % r for r in regs))
    script.append('kill')
    cmd = [gdb, '-q', '-nx', '-batch'] + sum((['-ex', s] for s in script), [])
    cmd.append(elf)
    status, out = run(cmd, timeout)
    stops = []
    for line in out.splitlines():
        if line.startswith('@@'):
            stops.append({k: int(v, 16) for k, v in
                          (w.split('=') for w in line[2:].split())})
    return stops, out


def expected(path, label):
    """Values at @label in an expected-<arch>.txt file: a list per hit of
    {reg: value}, FLAGS lines merged in."""
    per_hit = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith('#'):
                continue
            if w[0] == 'FLAGS':
                w = w[1:]
            if w[0] != label:
                continue
            regs = per_hit.setdefault(int(w[1]), {})
            for kv in w[2:]:
                k, v = kv.split('=')
                regs[k] = int(v, 16)
    return [per_hit[k] for k in sorted(per_hit)]


def wait_hits_grow(c, timeout=10):
    """Wait until the watches' hits (stats hits=) grow: the watched code
    ran, so it was translated again since the last flush.  False on
    timeout."""
    before = int(c.stats().get('hits', 0))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.005)
        if int(c.stats().get('hits', 0)) > before:
            return True
    return False


def flush_latency(t, c, n):
    """Send @n flush requests on client @c, each once the guest has run
    watched code again since the previous flush (so that there is
    translated code to throw away and each one is a real flush, not one the
    plugin answers at once); check the OKs, that each request made exactly
    one real flush, and report the latency.  Needs a watch that hits."""
    # Unsubscribed, so that replies do not queue behind a flood of hits.
    c.request('unsubscribe')
    lat = []
    status = None
    real = 0
    problem = None
    for i in range(n):
        if not wait_hits_grow(c):
            problem = 'flush %d: the watched code did not run again' % i
            break
        before = int(c.stats().get('flushes', 0))
        _, status, secs = c.request('flush')
        if not status.startswith('OK gen='):
            problem = 'flush %d: %s' % (i, status)
            break
        lat.append(secs * 1000)
        done = int(c.stats().get('flushes', 0)) - before
        if done != 1:
            problem = ('flush %d: %d flushes completed, want 1' % (i, done))
            break
        real += 1
    c.request('subscribe')
    t.ok(len(lat) == n, '%d flushes answered OK' % n, problem or status)
    t.ok(real == n, 'each of the %d was a real flush (%d)' % (n, real),
         problem)
    if lat:
        t.diag('flush request-to-OK latency over %d requests (%d real '
               'flushes): min %.2f ms, median %.2f ms, max %.2f ms'
               % (len(lat), real, min(lat), statistics.median(lat),
                  max(lat)))
    return lat, real
