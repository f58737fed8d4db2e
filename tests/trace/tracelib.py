"""Helpers of qinsn's trace tests (format=ctf, qinsn decode, babeltrace2).

QEMU running a test guest with the plugin on any of the three machines,
`qinsn decode` and `babeltrace2` as subprocesses, parsers of the text and
JSON logs, and a reader of the CTF trace of its own (docs/trace.md), written
from the layout alone so that it checks the plugin and `qinsn decode`
instead of sharing their code.  TAP output, skip_all and symbol come from
tests/pylib/qinsntest.py.  Standard library only.
"""

import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
import qinsntest  # noqa: E402
from qinsntest import skip_all, symbol  # noqa: E402,F401

WORKDIRS = []


class Tap(qinsntest.Tap):
    """qinsntest's TAP; scratch directories removed when all passed."""

    def finish(self):
        if self.failed:
            self.diag('kept for a look: ' + ' '.join(WORKDIRS))
        else:
            for path in WORKDIRS:
                shutil.rmtree(path, ignore_errors=True)


def workdir(name):
    """A fresh scratch directory, kept when an assertion failed."""
    path = tempfile.mkdtemp(prefix='qinsn-%s-' % name)
    WORKDIRS.append(path)
    return path


MACHINES = {
    'riscv64': ['-M', 'virt', '-bios', 'none'],
    'aarch64': ['-M', 'virt', '-cpu', 'cortex-a57', '-semihosting'],
    'x86_64': ['-M', 'pc', '-no-reboot', '-device',
               'isa-debug-exit,iobase=0xf4,iosize=0x04'],
}
# the guests' exit status when they pass (tests/guests/README.md)
PASS = {'riscv64': 0, 'aarch64': 0, 'x86_64': 33}


class Qemu:
    """qemu-system-ARCH running @guest with the plugin and @args (its
    key=value arguments); serial console and QEMU's output in @work."""

    def __init__(self, arch, plugin, guest, work, args, smp=1, tag='qemu'):
        self.out_path = os.path.join(work, tag + '.out')
        cmd = (['qemu-system-' + arch] + MACHINES[arch] +
               ['-smp', str(smp), '-display', 'none', '-monitor', 'none',
                '-serial', 'file:' + os.path.join(work, tag + '.serial'),
                '-kernel', guest, '-plugin', ','.join([plugin] + args)])
        self.out = open(self.out_path, 'wb')
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.out,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def output(self):
        with open(self.out_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def wait(self, timeout):
        """Exit status, or None when it is still running after @timeout."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """End QEMU with @sig (killed if it lingers); its exit status."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
        st = self.wait(timeout)
        if st is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            st = self.wait(30)
        self.out.close()
        return st


def run_guest(arch, plugin, guest, work, args, tag='qemu', timeout=300):
    """Run a guest that exits by itself; (exit status, QEMU's output)."""
    q = Qemu(arch, plugin, guest, work, args, tag=tag)
    st = q.wait(timeout)
    if st is None:
        st = q.stop(signal.SIGKILL)
        return None, q.output()
    q.out.close()
    return st, q.output()


def decode(qinsn, trace, json_out=False, timeout=600):
    """`qinsn decode` of @trace: (exit status, stdout bytes, stderr)."""
    cmd = [qinsn, 'decode', trace] + (['--json'] if json_out else [])
    p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace')


def decode_lines(qinsn, trace, json_out=False):
    """`qinsn decode` of @trace as a subprocess whose lines are read as
    they come (for traces too large to hold); call .wait() after."""
    cmd = [qinsn, 'decode', trace] + (['--json'] if json_out else [])
    return subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def babeltrace(trace, timeout=600):
    """babeltrace2's text of @trace: (exit status, stdout, stderr)."""
    p = subprocess.run(['babeltrace2', trace], capture_output=True,
                       timeout=timeout)
    return (p.returncode, p.stdout.decode('utf-8', 'replace'),
            p.stderr.decode('utf-8', 'replace'))


class Client:
    """A control connection: one request, its reply (status, data)."""

    def __init__(self, path, secs=60):
        end = time.monotonic() + secs
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.settimeout(60)
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.sock.close()
                if time.monotonic() >= end:
                    raise
                time.sleep(0.05)
        self.buf = b''
        self.greeting = self.line()

    def line(self):
        while b'\n' not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError('connection closed')
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        return line.decode('ascii', 'replace')

    def request(self, line):
        self.sock.sendall((line + '\n').encode())
        data = []
        while True:
            reply = self.line()
            if reply.startswith('= '):
                data.append(reply[2:])
            elif not reply.startswith('! '):
                return reply, data

    def close(self):
        self.sock.close()


# "hit   w1    cpu0   #1        pc=0x... a0=0x... a1=0x..."
TEXT_HIT = re.compile(r'(hit|mem)   w(\d+) +cpu(\d+) +#(\d+) +pc=0x([0-9a-f]+)'
                      r'((?: [^ =]+=0x[0-9a-f]+(?:\(stale\))?)*)$')
TEXT_REG = re.compile(r' ([^ =]+)=0x([0-9a-f]+)')
TEXT_SUMMARY = re.compile(r'summary hits=(\d+) logged=(\d+) dropped=(\d+) ')
TEXT_DROP = re.compile(r'drop  (\d+) hit records? lost')


def text_hit(line):
    """(watch, cpu, hit, pc, {reg: value}) of a text hit line, or None."""
    m = TEXT_HIT.match(line)
    if not m:
        return None
    regs = {k: int(v, 16) for k, v in TEXT_REG.findall(m.group(6))}
    return (int(m.group(2)), int(m.group(3)), int(m.group(4)),
            int(m.group(5), 16), regs)


def json_hit(obj):
    """The same tuple from a JSON hit record."""
    return (obj['watch'], obj['cpu'], obj['hit'], int(obj['pc'], 16),
            {k: int(v, 16) for k, v in obj['regs'].items()})


# The CTF trace, read from its layout (docs/trace.md), host little-endian.
PACKET = struct.Struct('<I16sIQQQQQQQI')
HEADER = struct.Struct('<IQQ')
MAGIC = 0xC1FC1FC1
EV_WATCH, EV_MARK, EV_DROP, EV_STALL, EV_SUMMARY, EV_BASE = 1, 2, 3, 4, 5, 16


class Cursor:
    def __init__(self, data, pos):
        self.data, self.pos = data, pos

    def get(self, fmt):
        v = struct.unpack_from('<' + fmt, self.data, self.pos)
        self.pos += struct.calcsize('<' + fmt)
        return v if len(v) > 1 else v[0]

    def string(self):
        end = self.data.index(b'\0', self.pos)
        s = self.data[self.pos:end].decode()
        self.pos = end + 1
        return s

    def raw(self, n):
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b


def read_watch(c):
    """A watch record's payload: the layout of its hits."""
    w = {}
    w['id'], w['kind'], w['dir'], w['addr'], w['end'] = c.get('IBBQQ')
    w['sym'], w['cond'] = c.string(), c.string()
    w['ignore'], w['count'], w['cpu'], w['capture'] = c.get('QQiB')
    w['capture_spec'] = c.string()
    w['capture_len'], nregs = c.get('IB')
    labels = c.string()
    w['labels'] = labels.split(',') if nregs else []
    w['regnums'] = [c.get('H') for _ in range(nregs)]
    w['regsizes'] = list(c.raw(nregs))
    w['regflags'] = list(c.raw(nregs))
    return w


def read_event(c, watches):
    """One event at @c: a dict with 'id', 'ts', 'seq' and its fields."""
    ev = dict(zip(('id', 'ts', 'seq'), c.get('IQQ')))
    eid = ev['id']
    if eid == EV_WATCH:
        ev['watch'] = read_watch(c)
        watches[ev['watch']['id']] = ev['watch']
    elif eid == EV_MARK:
        ev['token'] = c.string()
    elif eid == EV_DROP:
        ev['count'] = c.get('Q')
    elif eid == EV_STALL:
        ev['cpu'], ev['dropped'], ev['ms'] = c.get('IQI')
    elif eid == EV_SUMMARY:
        (ev['hits'], ev['logged'], ev['dropped'], ev['flushes'],
         ev['write_errors'], ev['overflow'], n) = c.get('QQQQQBI')
        ev['watches'] = [c.get('IQQQQ') for _ in range(n)]
    else:
        w = watches[eid - EV_BASE]
        ev['watch'], ev['hit'], ev['pc'], ev['stale'] = c.get('IQQB')
        if w['kind'] == 1:
            ev['addr'], ev['size'], ev['store'], lo, hi = c.get('QBBQQ')
            ev['value'] = lo | hi << 64
        ev['regs'] = {}
        for label, size in zip(w['labels'], w['regsizes']):
            ev['regs'][label] = int.from_bytes(c.raw(size), 'little')
        if w['capture']:
            ev['cap_addr'], ev['cap_status'], n = c.get('QII')
            ev['cap'] = c.raw(n)
    return ev


def read_stream(path, watches):
    """Every event of a stream file, with 'cpu' from its packets."""
    with open(path, 'rb') as f:
        data = f.read()
    pos, events = 0, []
    while pos < len(data):
        (magic, _uuid, _sid, _inst, _tb, _te, content, size, _num, _disc,
         cpu) = PACKET.unpack_from(data, pos)
        assert magic == MAGIC, '%s: bad magic at %d' % (path, pos)
        c = Cursor(data, pos + PACKET.size)
        while c.pos < pos + content // 8:
            ev = read_event(c, watches)
            ev['cpu'] = cpu
            events.append(ev)
        pos += size // 8
    return events


def read_trace(trace):
    """(watch layouts, every event sorted by seq) of a whole trace."""
    watches = {}
    events = read_stream(os.path.join(trace, 'control'), watches)
    for name in sorted(os.listdir(trace)):
        if name.startswith('cpu'):
            events += read_stream(os.path.join(trace, name), watches)
    events.sort(key=lambda e: e['seq'])
    return watches, events


def metadata(trace):
    with open(os.path.join(trace, 'metadata')) as f:
        return f.read()


def json_lines(data):
    return [json.loads(line) for line in data.decode().splitlines()]
