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
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import Tap, skip_all, symbol  # noqa: E402

MACHINE = {
    'x86_64': ['-M', 'pc', '-no-reboot', '-nic', 'none', '-vga', 'none',
               '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'],
    'riscv64': ['-M', 'virt', '-bios', 'none'],
    'aarch64': ['-M', 'virt', '-cpu', 'cortex-a57', '-semihosting'],
}
PASS_STATUS = {'x86_64': 33, 'riscv64': 0, 'aarch64': 0}
FLAGS = {'x86_64': 'eflags', 'riscv64': None, 'aarch64': 'cpsr'}
RUNS = 4        # truth_run calls of common/truth.c


def qemu_binary(kind, arch):
    name = 'qemu-system-' + arch
    if kind == 'stock':
        path = shutil.which(name)
        if not path:
            skip_all('%s not installed' % name)
        return path
    prefix = os.environ.get('QINSN_PATCHED_QEMU', '')
    path = os.path.join(prefix, 'bin', name)
    if not prefix or not os.access(path, os.X_OK):
        skip_all('patched QEMU not built (QINSN_PATCHED_QEMU=%s)' % prefix)
    return path


def qmp_cont(path):
    """QMP 'cont' on the monitor socket at @path; True when accepted.  The
    guest may be done and QEMU gone before the reply to 'cont': the exit
    status tells then."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(20)
        s.connect(path)
        f = s.makefile('r')
        f.readline()
        for command in ('qmp_capabilities', 'cont'):
            s.sendall((json.dumps({'execute': command}) + '\n').encode())
            while True:
                try:
                    line = f.readline()
                except ConnectionResetError:
                    line = ''
                if not line:
                    return command == 'cont'
                reply = json.loads(line)
                if 'return' in reply or 'error' in reply:
                    break
        return 'return' in reply


class Control:
    """The plugin's control socket: greeting, one request at a time."""

    def __init__(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            self.sock = socket.socket(socket.AF_UNIX)
            try:
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(timeout)
        self.f = self.sock.makefile('r')
        self.greeting = self.f.readline().strip()

    def request(self, line):
        self.sock.sendall((line + '\n').encode())
        while True:
            reply = self.f.readline()
            if not reply or not reply.startswith(('= ', '! ')):
                return reply.strip()

    def close(self):
        self.f.close()
        self.sock.close()


def fields(line):
    return dict(w.split('=', 1) for w in line.split() if '=' in w)


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
    qemu = qemu_binary(kind, arch)
    flags = FLAGS[arch]
    t = Tap()
    work = tempfile.mkdtemp(prefix='qinsn-truth-')
    sock, log = os.path.join(work, 'q.sock'), os.path.join(work, 'log')
    qmp, console = os.path.join(work, 'qmp'), os.path.join(work, 'console')
    store = symbol(guest, 'truth_store')
    buf = symbol(guest, 'truth_buf')
    regs = 'pc' + (',' + flags if flags else '')

    cmd = [qemu] + MACHINE[arch] + [
        '-display', 'none', '-monitor', 'none', '-serial', 'file:' + console,
        '-kernel', guest, '-S', '-qmp', 'unix:%s,server=on,wait=off' % qmp,
        '-plugin', '%s,sock=%s,log=%s,format=json' % (plugin, sock, log)]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        c = Control(sock)
        exact = fields(c.greeting).get('exact')
        t.ok(exact == ('yes' if kind == 'patched' else 'no'),
             '%s QEMU: greeting exact=%s' % (kind, exact), c.greeting)
        insn = c.request('watch %#x regs=%s' % (store, regs))
        t.ok(insn.startswith('OK id='), 'watch truth_store regs=%s' % regs,
             insn)
        mem = c.request('watch-mem %#x 8 w regs=%s' % (buf, regs))
        t.ok(mem.startswith('OK id='), 'watch-mem truth_buf 8 w regs=%s' %
             regs, mem)
        c.close()
        t.ok(qmp_cont(qmp), 'QMP cont')
        out, _ = proc.communicate(timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        proc.kill()
        out, _ = proc.communicate()
        t.ok(False, 'QEMU ran the guest', '%s\n%s' % (e, out))
        t.done()
    t.ok(proc.returncode == PASS_STATUS[arch],
         'guest ran to its end (status %d)' % proc.returncode, out)

    with open(console, errors='replace') as f:
        truth = guest_truth(f.read())
    t.ok(sorted(truth) == list(range(1, RUNS + 1)) and
         all(v['pc'] == store for v in truth.values()) and
         (not flags or len({v['flags'] for v in truth.values()}) == RUNS),
         'the guest printed its %d values (pc, distinct flags)' % RUNS,
         repr(truth))
    with open(log) as f:
        recs = [json.loads(line) for line in f if line.strip()]
    recs = [r for r in recs if r.get('type') not in ('summary', 'watch')]
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
    if not t.failed:
        shutil.rmtree(work, ignore_errors=True)
    else:
        t.diag('files kept in ' + work)
    t.done()


if __name__ == '__main__':
    main()
