#!/usr/bin/env python3
"""Marks sent while one vCPU logs a hot watch: one sequence over both.

The riscv64 spin guest on one vCPU, whose records the vCPU numbers without
a locked instruction (`stats` says seq=plain), while the control thread
numbers marks between them (plugin/seqnum.h).  Over one connection: a
watch on spin_tick (every loop iteration) with count=N, then marks in
batches until the count is spent, so marks are numbered while the hits
stream.  The CTF
trace, read by our own reader:

- every record has its own sequence number, 0..n-1 without a gap or a
  repeat;
- the watch's hits are 1..N in sequence order, each with a0 one more than
  the hit before (the guest's counter);
- every acknowledged mark is there once, in the order sent, and marks fell
  between the watch's first and last hit (the numbering was contended).

Usage: marks.py PLUGIN SPIN_GUEST
"""

import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import (Tap, connect, skip_all, start_guest, symbol,
                       workdir)  # noqa: E402
from tracelib import EV_BASE, EV_MARK, read_trace  # noqa: E402

N = 300000
BATCH = 100


def run(t, plugin, guest, work):
    trace = os.path.join(work, 'trace')
    sock = os.path.join(work, 'sock')
    q = start_guest('riscv64', plugin, guest, work,
                    ['format=ctf', 'log=' + trace, 'sock=' + sock])
    try:
        c = connect(sock)
        t.eq(c.stats().get('seq'), 'plain', 'one vCPU numbers its records '
             'without a locked add (stats: seq=plain)')
        st, _ = c.request('watch 0x%x regs=a0 count=%d'
                          % (symbol(guest, 'spin_tick'), N))
        t.ok(st.startswith('OK id=1'), 'the hot watch is set', st)
        # marks in batches, each ending with a `list`, until the count is
        # spent: they are numbered all the time the hits stream
        acked, sent, done = [], 0, False
        end = time.monotonic() + 120
        while not done and time.monotonic() < end:
            batch = ['mark m%d' % i for i in range(sent, sent + BATCH)]
            replies = c.pipeline(batch + ['list'])
            acked += [b.split()[1] for b, r in zip(batch, replies)
                      if r[0] == 'OK']
            sent += BATCH
            done = any(l.startswith('id=1 ') and 'state=done' in l
                       for l in replies[-1][1])
        t.ok(done, 'the watch spent its count of %d' % N)
        t.eq(len(acked), sent, 'every mark is acknowledged')
        c.close()
    finally:
        status = q.stop()
    t.eq(status, 0, 'QEMU exits 0 on SIGTERM')
    return trace, acked


def main():
    plugin, guest = sys.argv[1:3]
    if not shutil.which('qemu-system-riscv64'):
        skip_all('qemu-system-riscv64 not installed')
    t = Tap()
    work = workdir('marks')
    trace, acked = run(t, plugin, guest, work)
    _, events = read_trace(trace)
    seqs = [e['seq'] for e in events]
    t.ok(seqs == list(range(len(events))), 'sequence numbers 0..%d without '
         'a gap or a repeat' % (len(events) - 1),
         'first wrong place: %r' % next((i for i, s in enumerate(seqs)
                                         if s != i), None))
    hits = [e for e in events if e['id'] >= EV_BASE]
    t.eq([e['hit'] for e in hits], list(range(1, N + 1)),
         'the watch\'s hits are 1..%d in sequence order' % N)
    t.ok(all(b['regs']['a0'] == a['regs']['a0'] + 1
             for a, b in zip(hits, hits[1:])),
         'a0 goes up by one from hit to hit (the guest\'s counter)')
    marks = [e for e in events if e['id'] == EV_MARK]
    t.eq([m['token'] for m in marks], acked, 'every acknowledged mark is '
         'there once, in the order sent')
    first, last = (hits[0]['seq'], hits[-1]['seq']) if hits else (0, 0)
    between = sum(1 for m in marks if first < m['seq'] < last)
    t.diag('%d of %d marks numbered between the first and the last hit'
           % (between, len(marks)))
    t.ok(between > 0, 'marks were numbered while the hits streamed')
    t.done()


main()
