#!/usr/bin/env python3
"""Exact PC and flags in the middle of a block, system mode.

Usage: exact_system.py ARCH GUEST EXPECTED PLUGIN

Watches probe_mid_start and probe_mid of a probe guest.  probe_mid sits in
the middle of the block that starts at probe_mid_start, right after a
compare.  On the patched QEMU the PC and flags qinsn logs there must equal
the expected file, what gdb shows at a breakpoint there, and carry no
stale mark.  On stock QEMU (qemu-system-ARCH from PATH) the plugin falls
back to the instruction's own address for the PC and marks the flags
stale.
"""

import os
import shutil
import sys

from patchedlib import begin, expected, gdb_at

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import (FLAGS_REG, PASS, PC_REG, Qemu, free_port, hits,
                       read_log, run, symbol, system_command)  # noqa: E402


def log_run(t, qemu, arch, guest, plugin, regs, watches, log, what):
    plugin = '%s,%s,regs=%s,format=json,log=%s,sock=none' % (
        plugin, ','.join('watch=0x%x' % a for a in watches), ':'.join(regs),
        log)
    status, out = run(system_command(arch, guest, [plugin], qemu=qemu), 120)
    t.ok(status == PASS[arch], '%s: guest passes (exit %s)'
         % (what, status), out[-2000:])
    try:
        return read_log(log)
    except (OSError, ValueError) as e:
        t.ok(False, '%s: log readable' % what, e)
        return []


def check_values(t, got, want, what):
    for i, w in enumerate(want):
        if i >= len(got):
            t.ok(False, '%s hit %d: logged' % (what, i + 1))
            continue
        regs = {k: int(v, 16) for k, v in got[i]['regs'].items()}
        t.eq({k: regs.get(k) for k in w}, w,
             '%s hit %d: registers as expected' % (what, i + 1))


def main():
    arch, guest, exp_file, plugin = sys.argv[1:5]
    qemu, t, work = begin('qemu-system-' + arch)
    pc_reg, flags_reg = PC_REG[arch], FLAGS_REG[arch]

    mid = symbol(guest, 'probe_mid')
    mid_start = symbol(guest, 'probe_mid_start')
    want_mid = expected(exp_file, 'probe_mid')
    want_start = expected(exp_file, 'probe_mid_start')
    for w in want_mid:
        w[pc_reg] = mid
    for w in want_start:
        w[pc_reg] = mid_start
    regs = sorted({k for w in want_mid + want_start for k in w})

    # Patched QEMU: values match the expected file, none stale.
    recs = log_run(t, qemu, arch, guest, plugin, regs, [mid_start, mid],
                   os.path.join(work, 'patched.json'), 'patched')
    got_mid = hits(recs, mid)
    t.eq(len(got_mid), len(want_mid), 'patched: probe_mid hit count')
    check_values(t, hits(recs, mid_start), want_start,
                 'patched probe_mid_start')
    check_values(t, got_mid, want_mid, 'patched probe_mid')
    t.ok(all('stale' not in r for r in got_mid),
         'patched: nothing marked stale at probe_mid',
         [r.get('stale') for r in got_mid])

    # gdb at a breakpoint on probe_mid, same patched QEMU, no plugin.
    gdb = shutil.which('gdb-multiarch') or (arch == 'x86_64' and
                                            shutil.which('gdb'))
    if not gdb:
        t.skip('gdb comparison', 'gdb-multiarch not installed')
    else:
        port = free_port()
        cmd = system_command(arch, guest, [plugin + ',sock=none'], qemu=qemu,
                             extra=['-gdb', 'tcp:127.0.0.1:%d' % port, '-S'])
        # The plugin is loaded but watches nothing: gdb sees plain QEMU.
        q = Qemu(cmd, os.path.join(work, 'gdb-qemu.out'))
        gregs = [pc_reg] + ([flags_reg] if flags_reg else [])
        stops, out = gdb_at(gdb, guest, port, mid, gregs, len(want_mid))
        q.stop()
        t.eq(len(stops), len(want_mid), 'gdb stopped at every probe_mid hit')
        for i, s in enumerate(stops):
            logged = {k: int(got_mid[i]['regs'][k], 16) for k in gregs} \
                if i < len(got_mid) else None
            t.eq(logged, s, 'probe_mid hit %d: logged %s = gdb'
                 % (i + 1, '/'.join(gregs)))

    # Stock QEMU: the plugin's own fallbacks.
    stock = shutil.which('qemu-system-' + arch)
    if not stock:
        t.skip('stock QEMU', 'qemu-system-%s not installed' % arch)
    else:
        recs = log_run(t, stock, arch, guest, plugin, regs, [mid_start, mid],
                       os.path.join(work, 'stock.json'), 'stock')
        got = hits(recs, mid)
        t.eq(len(got), len(want_mid), 'stock: probe_mid hit count')
        t.ok(all(int(r['regs'][pc_reg], 16) == mid for r in got),
             'stock: %s at probe_mid is the instruction address' % pc_reg,
             [r['regs'][pc_reg] for r in got])
        if flags_reg:
            t.ok(all(flags_reg in r.get('stale', []) for r in got),
                 'stock: %s marked stale at probe_mid' % flags_reg,
                 [r.get('stale') for r in got])
    t.done()


if __name__ == '__main__':
    main()
