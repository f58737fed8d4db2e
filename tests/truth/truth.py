#!/usr/bin/env python3
"""Records in the middle of a block against values the guest computes (TAP).

Usage: truth.py ARCH TRUTH_GUEST PLUGIN stock|patched

Runs the truth guest of tests/guests (common/truth.c) under the stock QEMU
(qemu-system-ARCH from PATH) or the patched one ($QINSN_PATCHED_QEMU; the
test is skipped without it).  Before the guest starts, two watches are set
on truth_store, a store in the middle of its translation block right after
a compare: an instruction watch and a memory watch on the stored bytes,
both logging regs=pc (and the flags register: x86_64 eflags, aarch64
cpsr), named as a user types them.  The guest prints, at every call, the
address of truth_store computed from its own PC and the flags it ran with
(x86_64 pushf, aarch64 mrs right after the store).

Every record must show exactly those values, or mark them stale: the PC
and the record's pc always match; a flags value may differ only where the
record says "stale" (an unmarked aarch64 cpsr must be exact on every
QEMU).  Where qinsn claims exact state (instruction records on a QEMU
whose greeting says exact=yes), nothing may be marked.  gdb
cannot check these values: it stops only at block starts.
"""

import json
import os
import re
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import (FLAGS_REG, PASS, Qemu, Tap, connect, fields, qmp,
                       read_log, symbol, system_binary, system_command,
                       workdir)  # noqa: E402

RUNS = 4        # truth_run calls of common/truth.c


def guest_truth(console):
    """{hit: {'pc', 'flags', 'value'}} from the guest's console lines."""
    found = {}
    for m in re.finditer(r'truth hit=(0x[0-9a-f]+) pc=(0x[0-9a-f]+) '
                         r'flags=(0x[0-9a-f]+) value=(0x[0-9a-f]+)', console):
        found[int(m.group(1), 16)] = {
            'pc': int(m.group(2), 16), 'flags': int(m.group(3), 16),
            'value': int(m.group(4), 16)}
    return found


def check_record(t, what, rec, truth, flags, exact):
    """One record against the guest's values; @exact: qinsn claims it."""
    if rec is None:
        t.ok(False, what + ': logged')
        return
    regs = {k: int(v, 16) for k, v in rec.get('regs', {}).items()}
    stale = rec.get('stale', [])
    t.ok(int(rec['pc'], 16) == truth['pc'] and regs.get('pc') == truth['pc'],
         what + ': pc is the instruction\'s own address %#x' % truth['pc'],
         'record %r' % rec)
    if not flags:
        t.ok(not stale, what + ': nothing marked stale', 'record %r' % rec)
        return
    if exact:
        t.ok(flags not in stale and regs.get(flags) == truth['flags'],
             what + ': %s equals the guest\'s %#x, unmarked (exact)' %
             (flags, truth['flags']), 'record %r' % rec)
    else:
        t.ok(flags in stale or regs.get(flags) == truth['flags'],
             what + ': %s equals the guest\'s %#x or is marked stale' %
             (flags, truth['flags']), 'record %r' % rec)


def main():
    arch, guest, plugin, kind = sys.argv[1:5]
    qemu = system_binary(kind, arch)
    flags = FLAGS_REG[arch]
    t = Tap()
    work = workdir('truth')
    sock, log = os.path.join(work, 'q.sock'), os.path.join(work, 'log')
    qmp_path = os.path.join(work, 'qmp')
    console = os.path.join(work, 'console')
    store = symbol(guest, 'truth_store')
    buf = symbol(guest, 'truth_buf')
    regs = 'pc' + (',' + flags if flags else '')

    cmd = system_command(
        arch, guest, ['%s,sock=%s,log=%s,format=json' % (plugin, sock, log)],
        serial='file:' + console, qemu=qemu,
        extra=['-S', '-qmp', 'unix:%s,server=on,wait=off' % qmp_path])
    q = Qemu(cmd, os.path.join(work, 'qemu.out'))
    try:
        c = connect(sock, 30, 30)
        exact = fields(c.greeting).get('exact')
        t.ok(exact == ('yes' if kind == 'patched' else 'no'),
             '%s QEMU: greeting exact=%s' % (kind, exact), c.greeting)
        insn = c.request('watch %#x regs=%s' % (store, regs))[0]
        t.ok(insn.startswith('OK id='), 'watch truth_store regs=%s' % regs,
             insn)
        mem = c.request('watch-mem %#x 8 w regs=%s' % (buf, regs))[0]
        t.ok(mem.startswith('OK id='), 'watch-mem truth_buf 8 w regs=%s' %
             regs, mem)
        c.close()
        t.ok(qmp(qmp_path, 'cont'), 'QMP cont')
        status = q.wait(120)
        if status is None:
            raise TimeoutError('QEMU still runs after 120 s')
    except (OSError, EOFError) as e:
        q.stop(signal.SIGKILL)
        t.ok(False, 'QEMU ran the guest', '%s\n%s' % (e, q.output()))
        t.done()
    out = q.output()
    t.ok(status == PASS[arch], 'guest ran to its end (status %d)' % status,
         out)

    with open(console, errors='replace') as f:
        truth = guest_truth(f.read())
    t.ok(sorted(truth) == list(range(1, RUNS + 1)) and
         all(v['pc'] == store for v in truth.values()) and
         (not flags or len({v['flags'] for v in truth.values()}) == RUNS),
         'the guest printed its %d values (pc, distinct flags)' % RUNS,
         repr(truth))
    recs = [r for r in read_log(log)
            if r.get('type') not in ('summary', 'watch')]
    ids = {'hit': int(fields(insn).get('id', -1)),
           'mem': int(fields(mem).get('id', -1))}
    by_key = {(r['type'], r['hit']): r for r in recs
              if r.get('type') in ids and r.get('watch') == ids[r['type']]}
    t.ok(len(by_key) == 2 * RUNS and len(recs) == len(by_key),
         '%d instruction and %d memory records, nothing else' % (RUNS, RUNS),
         '\n'.join(json.dumps(r) for r in recs))
    for hit in range(1, RUNS + 1):
        want = truth.get(hit)
        if want is None:
            continue
        rec = by_key.get(('mem', hit))
        if rec is not None:
            t.ok(int(rec['addr'], 16) == buf and rec['size'] == 8 and
                 rec['dir'] == 'w' and int(rec['value'], 16) == want['value'],
                 'mem hit %d: the store of %#x to truth_buf' %
                 (hit, want['value']), 'record %r' % rec)
        check_record(t, 'mem hit %d' % hit, rec, want, flags, False)
        check_record(t, 'insn hit %d' % hit, by_key.get(('hit', hit)), want,
                     flags, exact == 'yes')
    t.done()


if __name__ == '__main__':
    main()
