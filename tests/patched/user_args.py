#!/usr/bin/env python3
"""Function arguments and mid-block state in user mode.

Usage: user_args.py ARCH PROGRAM PLUGIN

Runs userprogs/args.c, built for ARCH, under the patched qemu-ARCH with
qinsn watching probe_three, probe_two, probe_big (entries, addresses from
nm) and user_mid (mid-block, after a compare of equal values), and checks
every logged value.  Stock Debian QEMU cannot load plugins in user mode,
so there is no stock counterpart.
"""

import os
import sys

from patchedlib import begin

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import hits, read_log, run, symbol  # noqa: E402

ARGS = {
    'x86_64': ['rdi', 'rsi', 'rdx'],
    'riscv64': ['a0', 'a1', 'a2'],
    'aarch64': ['x0', 'x1', 'x2'],
}
PC = {'x86_64': 'rip', 'riscv64': 'pc', 'aarch64': 'pc'}
# Flags at user_mid, after comparing equal values: x86 ZF, PF, bit 1 and
# IF; aarch64 Z and C at EL0.  riscv64 has no flags register.
FLAGS = {'x86_64': ('eflags', 0x246), 'aarch64': ('cpsr', 0x60000000)}


def want_args():
    """The argument values of args.c, per probe, per hit."""
    return {
        'probe_three': [(i, 10 * i, 100 * i) for i in (1, 2, 3)],
        'probe_two': [(6, 7)],
        'probe_big': [(0x0123456789abcdef, 0xfedcba9876543210)],
        'user_mid': [(5, 5), (0x1234, 0x1234)],
    }


def main():
    arch, prog, plugin = sys.argv[1:4]
    qemu, t, work = begin('qemu-' + arch)
    log = os.path.join(work, 'args.json')

    want = want_args()
    addr = {name: symbol(prog, name) for name in want}
    regs = ARGS[arch] + [PC[arch]] + ([FLAGS[arch][0]] if arch in FLAGS
                                      else [])
    cmd = [qemu, '-plugin', '%s,%s,regs=%s,format=json,log=%s,sock=none' % (
        plugin, ','.join('watch=0x%x' % a for a in addr.values()),
        ':'.join(regs), log), prog]
    status, out = run(cmd, 60)
    t.ok(status == 0 and 'sum=14702' in out, 'program ran to completion',
         out[-2000:])
    recs = read_log(log)

    for name, calls in want.items():
        got = hits(recs, addr[name])
        t.eq(len(got), len(calls), '%s: hit count' % name)
        for i, args in enumerate(calls):
            if i >= len(got):
                break
            r = {k: int(v, 16) for k, v in got[i]['regs'].items()}
            t.eq(tuple(r.get(k) for k in ARGS[arch][:len(args)]), args,
                 '%s hit %d: arguments' % (name, i + 1))
            t.eq(r.get(PC[arch]), addr[name],
                 '%s hit %d: %s' % (name, i + 1, PC[arch]))
            if name == 'user_mid' and arch in FLAGS:
                reg, value = FLAGS[arch]
                t.eq(r.get(reg), value, 'user_mid hit %d: %s' % (i + 1, reg))
            t.ok('stale' not in got[i], '%s hit %d: nothing stale'
                 % (name, i + 1), got[i].get('stale'))
    t.done()


if __name__ == '__main__':
    main()
