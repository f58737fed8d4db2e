#!/usr/bin/env python3
"""A 4-vCPU CTF trace, read three ways.

The riscv64 spin guest on -smp 4, every hart looping, with a watch from the
plugin's arguments (spin_rare, a0 = the hart's counter, a multiple of 1024)
and, over the control socket while the guest runs, a watch on spin_fn
(count=200) and a mark.  QEMU ends on SIGTERM, which writes the summary.

- `qinsn decode`: records in strictly increasing sequence order (the order
  our own reader of the trace finds when it sorts every stream's records
  by their numbers), hit numbers of each watch 1..N without a gap, each
  hart's counter going up by 1024, as many hits as the summary's logged;
- babeltrace2 (Debian's 2.0.4) reads the whole trace: as many hit events
  as the summary's logged, each with its watch id, pc, hit number and
  registers by name, the same as our reader's; the watch added at run time
  is there, its event class appended to the metadata.

Usage: smp_babeltrace.py PLUGIN SPIN_GUEST QINSN
"""

import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import (Tap, connect, skip_all, start_guest, symbol,
                       workdir)  # noqa: E402
from tracelib import (babeltrace, decode, metadata, read_trace,
                      text_hit)  # noqa: E402

BT_HIT = re.compile(r'\] \(\+[^)]*\) hit_w(\d+): \{ cpu_id = (\d+) \}, '
                    r'\{ seq = (\d+) \}, \{ watch = (\d+), hit = (\d+), '
                    r'pc = 0x([0-9A-F]+), stale = \d+, regs = \{ (.*) \} \}$')
BT_REG = re.compile(r'(\w+) = 0x([0-9A-F]+)')


def run(plugin, guest, work):
    trace = os.path.join(work, 'trace')
    sock = os.path.join(work, 'sock')
    q = start_guest('riscv64', plugin, guest, work,
                    ['watch=0x%x' % symbol(guest, 'spin_rare'), 'regs=a0',
                     'format=ctf', 'log=' + trace, 'sock=' + sock], smp=4)
    replies = {}
    try:
        c = connect(sock)
        replies['watch'] = c.request('watch 0x%x regs=a0,a1 count=200'
                                     % symbol(guest, 'spin_fn'))
        replies['mark'] = c.request('mark after-watch-2')
        end = time.monotonic() + 60
        while time.monotonic() < end:
            st, data = c.request('list')
            if any(l.startswith('id=2 ') and 'state=done' in l
                   for l in data):
                break
            time.sleep(0.2)
        replies['list'] = data
        time.sleep(1)       # more hits of spin_rare on every hart
        c.close()
    finally:
        replies['status'] = q.stop()
    replies['output'] = q.output()
    return trace, replies


def check_decode(t, qinsn, trace, events, summary):
    st, out, err = decode(qinsn, trace)
    t.eq(st, 0, 'qinsn decode of the 4-vCPU trace exits 0')
    t.eq(err, '', 'qinsn decode says nothing on stderr')
    lines = out.decode().splitlines()
    hits = [h for h in map(text_hit, lines) if h]
    ours = [(e['watch'], e['cpu'], e['hit'], e['pc'], e['regs'])
            for e in events if e['id'] >= 16]
    t.ok(hits == ours, 'qinsn decode gives the hits in strictly increasing '
         'sequence order (as our own reader sorts them)',
         'first difference at %r' % next((i for i, (a, b) in
                                          enumerate(zip(hits, ours))
                                          if a != b), None))
    t.eq(len(hits), summary['logged'], 'decode has as many hits as the '
         'summary\'s logged')
    for wid in (1, 2):
        nums = [h[2] for h in hits if h[0] == wid]
        t.eq(sorted(nums), list(range(1, len(nums) + 1)),
             'watch %d: hit numbers 1..%d, no gap' % (wid, len(nums)))
    per_cpu = {}
    for w, cpu, n, pc, regs in hits:
        if w == 1:
            per_cpu.setdefault(cpu, []).append((n, regs['a0']))
    t.eq(sorted(per_cpu), [0, 1, 2, 3], 'every hart has hits of spin_rare')
    t.ok(all(all(b[0] > a[0] and b[1] == a[1] + 1024
                 for a, b in zip(v, v[1:])) for v in per_cpu.values()),
         'on each hart, hit numbers go up and the counter by 1024 a hit')
    t.ok(any(l == 'mark  after-watch-2' for l in lines),
         'the mark is decoded')
    t.eq(len([h for h in hits if h[0] == 2]), 200,
         'the watch added at run time has its 200 hits (count=200)')


def check_babeltrace(t, trace, guest, events, summary):
    st, out, err = babeltrace(trace)
    t.eq(st, 0, 'babeltrace2 reads the trace (exit 0)')
    if st:
        t.diag(err[-3000:])
    bt = {}
    for line in out.splitlines():
        m = BT_HIT.search(line)
        if m:
            regs = {k: int(v, 16) for k, v in BT_REG.findall(m.group(7))}
            bt[int(m.group(3))] = (int(m.group(4)), int(m.group(2)),
                                   int(m.group(5)), int(m.group(6), 16),
                                   regs)
    t.eq(len(bt), summary['logged'], 'babeltrace2 prints as many hit events '
         'as the summary\'s logged')
    ours = {e['seq']: (e['watch'], e['cpu'], e['hit'], e['pc'], e['regs'])
            for e in events if e['id'] >= 16}
    t.ok(bt == ours, 'babeltrace2 gives every hit\'s watch, vCPU, pc, hit '
         'number and registers by name as our reader does')
    fn = symbol(guest, 'spin_fn')
    t.ok(any(v[0] == 2 and v[3] == fn and v[4].get('a1') == 0x5a5a
             for v in bt.values()),
         'babeltrace2 shows the run-time watch\'s hits with a1 = 0x5a5a')
    t.ok('name = "hit_w2";' in metadata(trace), 'the metadata grew an event '
         'class for the watch added at run time')
    t.ok(re.search(r'mark: .*token = "after-watch-2"', out),
         'babeltrace2 shows the mark')
    t.ok(re.search(r'summary: .*logged = %d,' % summary['logged'], out),
         'babeltrace2 shows the summary')


def main():
    plugin, guest, qinsn = sys.argv[1:4]
    if not shutil.which('qemu-system-riscv64'):
        skip_all('qemu-system-riscv64 not installed')
    if not shutil.which('babeltrace2'):
        skip_all('babeltrace2 not installed (scripts/setup installs it)')
    t = Tap()
    work = workdir('smp')
    trace, r = run(plugin, guest, work)
    t.ok(r['watch'][0].startswith('OK id=2'), 'a watch added over the '
         'socket while the guest runs', r['watch'])
    t.eq(r['mark'][0], 'OK', 'a mark over the socket')
    t.ok(any(l.startswith('id=2 ') and 'state=done' in l
             for l in r['list']), 'the run-time watch spent its count',
         r['list'])
    t.eq(r['status'], 0, 'QEMU exits 0 on SIGTERM')
    watches, events = read_trace(trace)
    summaries = [e for e in events if e['id'] == 5]
    t.eq(len(summaries), 1, 'the trace has one summary')
    summary = summaries[-1] if summaries else {'logged': -1, 'dropped': -1}
    t.eq(summary['dropped'], 0, 'lossless: nothing dropped')
    t.eq([e['seq'] for e in events], list(range(len(events))),
         'sequence numbers 0..%d without a gap or a repeat'
         % (len(events) - 1))
    check_decode(t, qinsn, trace, events, summary)
    check_babeltrace(t, trace, guest, events, summary)
    t.done()


main()
