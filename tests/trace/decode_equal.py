#!/usr/bin/env python3
"""qinsn decode equals the logs: a deterministic single-vCPU guest (the
probe guest of ARCH) run three times with the same watches, in format=text,
json and ctf; `qinsn decode` of the trace must equal the text log byte for
byte, and `qinsn decode --json` the JSON log.  Our own reader of the trace
(tracelib) must see the same hits in the same order, with gap-free
sequence numbers.

Usage: decode_equal.py ARCH PLUGIN GUEST QINSN
"""

import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import PASS, Tap, skip_all, symbol, workdir  # noqa: E402
from tracelib import (decode, json_lines, read_trace, run_guest,
                      text_hit)  # noqa: E402

LABELS = ['probe_args', 'probe_loop', 'probe_mid_start', 'probe_mid',
          'probe_str', 'probe_end']
REGS = {
    'riscv64': 'a0:a1:a2:a3:pc',
    'aarch64': 'x0:x1:x2:x3:cpsr',
    'x86_64': 'rdi:rsi:rdx:rcx:eflags:rip',
}
# hits per label (tests/guests/README.md)
HITS = {'probe_args': 3, 'probe_loop': 10, 'probe_mid_start': 2,
        'probe_mid': 2, 'probe_str': 1, 'probe_end': 1}


def main():
    arch, plugin, guest, qinsn = sys.argv[1:5]
    if not shutil.which('qemu-system-' + arch):
        skip_all('qemu-system-%s not installed' % arch)
    t = Tap()
    work = workdir('decode-' + arch)
    watches = ['watch=0x%x' % symbol(guest, l) for l in LABELS]
    base = watches + ['regs=' + REGS[arch], 'sock=none']
    logs = {}
    for fmt in ('text', 'json', 'ctf'):
        path = os.path.join(work, 'log.' + fmt)
        st, out = run_guest(arch, plugin, guest, work,
                            base + ['format=' + fmt, 'log=' + path], tag=fmt)
        t.eq(st, PASS[arch], 'format=%s: the guest passes' % fmt)
        if st != PASS[arch]:
            t.diag(out[-2000:])
        logs[fmt] = path

    with open(logs['text'], 'rb') as f:
        text = f.read()
    with open(logs['json'], 'rb') as f:
        js = f.read()
    hits = [h for h in map(text_hit, text.decode().splitlines()) if h]
    t.eq(len(hits), sum(HITS.values()), 'the text log has every hit')
    t.ok(text.decode().splitlines()[-len(LABELS) - 1].startswith(
        'summary hits=%d logged=%d dropped=0 ' % (len(hits), len(hits))),
        'the text log ends with its summary')

    st, out, err = decode(qinsn, logs['ctf'])
    t.eq(st, 0, 'qinsn decode exits 0 on a complete trace')
    t.eq(err, '', 'qinsn decode says nothing on stderr')
    t.ok(out == text, 'qinsn decode equals the text log byte for byte',
         'decode:\n%s\ntext:\n%s' % (out.decode()[:3000],
                                     text.decode()[:3000]))
    st, out, err = decode(qinsn, logs['ctf'], json_out=True)
    t.eq(st, 0, 'qinsn decode --json exits 0')
    t.ok(out == js, 'qinsn decode --json equals the JSON log byte for byte',
         'decode:\n%s\njson:\n%s' % (out.decode()[:3000],
                                     js.decode()[:3000]))
    # the text summary has a line per watch, the JSON one a list
    t.eq(len(json_lines(js)), len(text.splitlines()) - len(LABELS),
         'the JSON log has as many records as the text log')

    watch_defs, events = read_trace(logs['ctf'])
    seqs = [e['seq'] for e in events]
    t.eq(seqs, list(range(len(seqs))),
         'the trace\'s sequence numbers run 0, 1, 2 … without a gap')
    ours = [(e['watch'], e['cpu'], e['hit'], e['pc'], e['regs'])
            for e in events if e['id'] >= 16]
    t.ok(ours == hits, 'an independent reader of the trace sees the text '
         'log\'s hits, values and order', 'ours %r\ntext %r'
         % (ours[:4], hits[:4]))
    t.eq(sorted(w['addr'] for w in watch_defs.values()),
         sorted(symbol(guest, l) for l in LABELS),
         'the trace defines every watch')
    t.done()


main()
