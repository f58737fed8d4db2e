"""Helpers of qinsn's trace tests (format=ctf, qinsn decode, babeltrace2).

`qinsn decode` and `babeltrace2` as subprocesses, a guest run to its end,
parsers of the text and JSON logs, and a reader of the CTF trace of its
own (docs/trace.md), written from the layout alone so that it checks the
plugin and `qinsn decode` instead of sharing their code.  TAP output,
QEMU, the control socket and scratch directories come from the shared
package tests/pylib/qinsntest.  Standard library only.
"""

import json
import os
import re
import signal
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import start_guest  # noqa: E402


def run_guest(arch, plugin, guest, work, args, tag='qemu', timeout=300):
    """Run a guest that exits by itself; (exit status, QEMU's output)."""
    q = start_guest(arch, plugin, guest, work, args, tag=tag)
    st = q.wait(timeout)
    if st is None:
        q.stop(signal.SIGKILL)
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
PACKET_PREFIX = 88      # PACKET, then padding: events are 8-byte aligned
MAGIC = 0xC1FC1FC1
EV_WATCH, EV_MARK, EV_DROP, EV_STALL, EV_SUMMARY, EV_BASE = 1, 2, 3, 4, 5, 16


def align8(n):
    return (n + 7) & ~7


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
    """One event at @c (8-byte aligned in its packet): a dict with 'id',
    'ts', 'seq' and its fields; the event's length is checked."""
    length = c.get('I')
    start = c.pos
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
    assert c.pos - start == length, 'event %d: length %d, %d bytes read' % (
        ev['seq'], length, c.pos - start)
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
        c = Cursor(data, pos + PACKET_PREFIX)
        while c.pos < pos + content // 8:
            c.pos = pos + align8(c.pos - pos)
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
