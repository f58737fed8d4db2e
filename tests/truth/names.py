#!/usr/bin/env python3
"""Records key registers by the name the user typed, whoever asked (TAP).

Usage: names.py SPIN_GUEST(riscv64) PLUGIN

On the riscv64 spin guest (spin_fn is entered with a0 = n, a1 = 0x5a5a),
under the stock QEMU from PATH:
  plugin arguments  regs=s0:x10:$a1:#11 for a watch given as watch=
  control socket    watch ... regs=s0/fp,x11,$pc,a0 (LABEL/REG as the
                    gdb commands send it, and plain aliases as typed)
s0 is x8, where spin_run keeps its cpu number (0).
Each record must carry exactly those names (without '$'), each with the
value of the register it stands for.  tests/gdb checks the gdb commands.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import (Qemu, Tap, read_log, request, stock_binary, symbol,
                       system_command, workdir)  # noqa: E402


def main():
    guest, plugin = sys.argv[1:3]
    qemu = stock_binary('qemu-system-riscv64')
    t = Tap()
    work = workdir('names')
    sock, log = os.path.join(work, 'q.sock'), os.path.join(work, 'log')
    fn = symbol(guest, 'spin_fn')
    q = Qemu(system_command(
        'riscv64', guest,
        ['%s,watch=%#x,regs=s0:x10:$a1:#11,sock=%s,log=%s,format=json' %
         (plugin, fn, sock, log)], qemu=qemu), os.path.join(work, 'qemu.out'))
    try:
        status = request(sock, 'watch %#x regs=s0/fp,x11,$pc,a0 count=1' %
                         fn)
        t.ok(status.startswith('OK id=2 '), 'socket: watch with s0/fp, '
             'x11, $pc and a0', status)
        time.sleep(1)
    finally:
        q.stop()
    out = q.output()
    recs = read_log(log)
    hits = [r for r in recs if r.get('type') == 'hit']
    first = [r for r in hits if r['watch'] == 1]
    second = [r for r in hits if r['watch'] == 2]
    t.ok(first and all(list(r['regs']) == ['s0', 'x10', 'a1', '#11']
                       for r in first),
         'plugin arguments: records keyed s0, x10, a1, #11 (%d)' %
         len(first), repr(first[:2]) + out)
    t.ok(first and all(int(r['regs']['a1'], 16) == 0x5a5a and
                       r['regs']['#11'] == r['regs']['a1'] for r in first),
         'plugin arguments: a1 and #11 read a1 (0x5a5a)', repr(first[:2]))
    t.ok(len(second) == 1 and
         list(second[0]['regs']) == ['s0', 'x11', 'pc', 'a0'] and
         int(second[0]['regs']['x11'], 16) == 0x5a5a and
         int(second[0]['regs']['pc'], 16) == fn,
         'socket: the record is keyed s0, x11, pc, a0, each read right',
         repr(second))
    # spin_run keeps its cpu number (0) in s0
    t.ok(first and second and
         all(int(r['regs']['s0'], 16) == 0 for r in first + second) and
         all(int(r['regs']['x10'], 16) > 0 for r in first[1:]),
         'plugin arguments and socket: s0 reads x8 (cpu 0), x10 reads a0 '
         '(n)', repr(first[:2]) + repr(second))
    t.done()


if __name__ == '__main__':
    main()
