#!/usr/bin/env python3
"""About 2 M hits checked record by record.

The riscv64 guest-bench-2m guest runs its three-instruction loop 2,000,000
times; a watch on the loop's block logs t0, t1 and a0 at every iteration
(tests/guests/README.md gives their values at hit k).

lossless: three runs (format=text, json, ctf), lossless by default.  Each
log, and the CTF trace through `qinsn decode` (text and --json), holds hits
1..2000000 without a gap, each with the values the guest computes, then a
summary with logged == hits == 2000000 and dropped == 0.

drop: overflow=drop, the text log written to a FIFO that the test leaves
unread for a while, so rings fill and records are dropped: the drop
records add up to the summary's dropped, logged + dropped == hits, the hits
logged are as many as logged and each has its right values.

Usage: lossless.py lossless|drop PLUGIN GUEST QINSN
"""

import json
import os
import shutil
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import Tap, skip_all, symbol, workdir  # noqa: E402
from tracelib import (TEXT_DROP, TEXT_SUMMARY, decode_lines, run_guest,
                      text_hit)  # noqa: E402

N = 2000000


def xor_upto(k):
    """1 ^ 2 ^ … ^ k."""
    return (k, 1, k + 1, 0)[k % 4]


def text_line(pc, k):
    """The text line of hit k, as the values the guest computes make it."""
    return ('hit   w1    cpu0   #%-8d pc=0x%016x t0=0x%016x t1=0x%016x '
            'a0=0x%016x' % (k, pc, k - 1, xor_upto(k - 1), N))


def trace_bytes(path):
    return sum(os.path.getsize(os.path.join(path, f))
               for f in os.listdir(path))


class Check:
    """Hit lines checked one by one as they stream past."""

    def __init__(self, pc):
        self.pc = pc
        self.next = 1
        self.bad = None         # the first wrong record
        self.summary = None
        self.other = []
        self.logged = 0         # hit records seen (drop mode)

    def hit(self, k, regs, pc, where):
        want = {'t0': k - 1, 't1': xor_upto(k - 1), 'a0': N}
        if self.bad is None and (k != self.next or regs != want or
                                 pc != self.pc):
            self.bad = '%s: hit %d (expected %d): pc 0x%x regs %r' % (
                where, k, self.next, pc, regs)
        self.next = k + 1

    def text(self, line, where):
        if line.startswith('hit '):
            # exact bytes when in order; parsed otherwise, for the message
            if line != text_line(self.pc, self.next):
                h = text_hit(line)
                if h is None:
                    self.bad = self.bad or '%s: not a hit line: %r' % (
                        where, line)
                    return
                self.hit(h[2], h[4], h[3], where)
            else:
                self.next += 1
        elif line.startswith('summary hits='):
            m = TEXT_SUMMARY.match(line)
            self.summary = tuple(map(int, m.groups()))
        else:
            self.other.append(line)

    def json(self, line, where):
        r = json.loads(line)
        if r['type'] == 'hit':
            self.hit(r['hit'], {k: int(v, 16) for k, v in r['regs'].items()},
                     int(r['pc'], 16), where)
        elif r['type'] == 'summary':
            self.summary = (r['hits'], r['logged'], r['dropped'])
        else:
            self.other.append(r['type'])


def check_lossless(t, c, what, text):
    t.ok(c.bad is None, '%s: hits 1..%d in order, each with the values the '
         'guest computes' % (what, N), c.bad)
    t.eq(c.next - 1, N, '%s: the last hit is number %d' % (what, N))
    t.eq(c.summary, (N, N, 0), '%s: summary hits == logged == %d, dropped '
         '== 0' % (what, N))
    # gdb numbers: riscv64 x5 is t0, x10 is a0
    t.eq(c.other, ['watch w1    insn addr=0x%016x regs=t0,t1,a0 '
                   'regnums=5,6,10' % c.pc,
                   'summary w1    pc=0x%016x hits=%d logged=%d' %
                   (c.pc, N, N)] if text else ['watch'],
         '%s: nothing else but the watch record and the summary' % what)


def lossless(t, plugin, guest, qinsn, work, pc, base):
    for fmt in ('text', 'json', 'ctf'):
        path = os.path.join(work, 'log.' + fmt)
        st, out = run_guest('riscv64', plugin, guest, work,
                            base + ['format=' + fmt, 'log=' + path], tag=fmt)
        t.eq(st, 0, 'format=%s: the guest runs to its end' % fmt)
        if fmt == 'ctf':
            for js in (False, True):
                what = 'CTF decoded as %s' % ('JSON' if js else 'text')
                c = Check(pc)
                p = decode_lines(qinsn, path, js)
                for line in p.stdout:
                    (c.json if js else c.text)(line.decode().rstrip('\n'),
                                               what)
                err = p.stderr.read().decode()
                # wait4: this child's own peak memory, not QEMU's
                _, status, usage = os.wait4(p.pid, 0)
                p.returncode = os.waitstatus_to_exitcode(status)
                t.eq((p.returncode, err), (0, ''), '%s: qinsn decode exits 0 '
                     'quietly' % what)
                t.ok(usage.ru_maxrss < 64 * 1024, '%s: qinsn decode streams '
                     'the %d MB trace in %d MB' % (
                         what, trace_bytes(path) >> 20, usage.ru_maxrss >> 10))
                check_lossless(t, c, what, not js)
            continue
        c = Check(pc)
        with open(path) as f:
            for line in f:
                (c.json if fmt == 'json' else c.text)(line.rstrip('\n'),
                                                      fmt + ' log')
        check_lossless(t, c, 'the %s log' % fmt.upper() if fmt == 'json'
                       else 'the text log', fmt == 'text')
        os.unlink(path)


class SlowReader(threading.Thread):
    """Opens the FIFO, reads nothing for @pause seconds, then all of it."""

    def __init__(self, path, pause):
        super().__init__(daemon=True)
        self.path, self.pause = path, pause
        self.lines = []
        os.mkfifo(path)
        self.start()

    def run(self):
        with open(self.path, 'rb') as f:
            time.sleep(self.pause)
            self.lines = f.read().decode().splitlines()


def drop(t, plugin, guest, work, pc, base):
    fifo = os.path.join(work, 'log.fifo')
    reader = SlowReader(fifo, 3)
    st, out = run_guest('riscv64', plugin, guest, work,
                        base + ['overflow=drop', 'log=' + fifo], tag='drop')
    reader.join(120)
    t.eq(st, 0, 'overflow=drop: the guest runs to its end')
    c = Check(pc)
    drops = 0
    for line in reader.lines:
        m = TEXT_DROP.match(line)
        if m:
            drops += int(m.group(1))
        elif line.startswith('hit '):
            h = text_hit(line)
            want = {'t0': h[2] - 1, 't1': xor_upto(h[2] - 1), 'a0': N}
            if c.bad is None and (h[2] < c.next or h[4] != want):
                c.bad = 'hit %d after %d: %r' % (h[2], c.next - 1, h[4])
            c.next = h[2] + 1
            c.logged += 1
        else:
            c.text(line, 'drop log')
    hits, logged, dropped = c.summary or (0, -1, -1)
    t.ok(c.summary is not None, 'the log ends with a summary')
    t.eq(hits, N, 'the summary counts every hit')
    t.ok(dropped > 0, 'records were dropped while the log was not read '
         '(dropped=%d)' % dropped)
    t.eq(drops, dropped, 'the drop records add up to the summary\'s dropped')
    t.eq(logged + dropped, hits, 'logged + dropped == hits')
    t.eq(c.logged, logged, 'the log holds as many hit '
         'records as the summary\'s logged')
    t.ok(c.bad is None, 'the hits logged go up, each with the values the '
         'guest computes', c.bad)
    t.ok('overflow=drop' in next((l for l in reader.lines
                                  if l.startswith('summary hits=')), ''),
         'the summary says overflow=drop')


def main():
    mode, plugin, guest, qinsn = sys.argv[1:5]
    if not shutil.which('qemu-system-riscv64'):
        skip_all('qemu-system-riscv64 not installed')
    t = Tap()
    work = workdir('lossless')
    pc = symbol(guest, 'bench_tight_body')
    base = ['watch=0x%x' % pc, 'regs=t0:t1:a0', 'sock=none']
    if mode == 'lossless':
        # A loaded machine can hold the writer's write() in disk writeback
        # for over the default 1 s: a stall is not what is tested here.
        base.append('stall=60000')
        lossless(t, plugin, guest, qinsn, work, pc, base)
    else:
        drop(t, plugin, guest, work, pc, base)
    t.done()


main()
