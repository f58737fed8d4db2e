#!/usr/bin/env python3
"""Flushing from the control socket's thread, system mode.

Usage: flush_spin.py ARCH SPIN_GUEST PLUGIN

Runs a spin guest with two CPUs (on x86_64 the second one stays halted,
waiting for a start-up IPI).  On the patched QEMU: the greeting announces
the patched flush path and exact state, the plugin is dormant (no
translation callback) until the first watch and again after the last one is
removed, `watch` gets its OK while the guest
is busy, hits follow, `flush` works, two clients' requests are both
answered, a watch set while the VM is stopped (QMP `stop`) is answered
before it resumes, and a mid-block label logs its own PC.  On stock QEMU
(qemu-system-ARCH from PATH) the stock path announces itself and a watch
still takes effect.
"""

import os
import shutil
import sys
import time

from patchedlib import begin, flush_latency

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import (PC_REG, Qemu, connect, fields, qmp, symbol,
                       system_command)  # noqa: E402


def boot(qemu, arch, guest, plugin, work, name):
    sock = os.path.join(work, name + '.sock')
    qmp_path = os.path.join(work, name + '.qmp')
    log = os.path.join(work, name + '.log')
    cmd = system_command(arch, guest,
                         ['%s,sock=%s,log=%s' % (plugin, sock, log)],
                         smp=2, qemu=qemu,
                         extra=['-qmp', 'unix:%s,server=on,wait=off'
                                % qmp_path])
    return Qemu(cmd, os.path.join(work, name + '.out')), sock, qmp_path


def watch_and_hit(t, c, addr, what):
    status, _, secs = c.timed_request('watch 0x%x' % addr)
    t.ok(status.startswith('OK id='), '%s: watch answered OK (%.1f ms)'
         % (what, secs * 1000), status)
    wid = fields(status).get('id')
    ev = c.wait_event('! hit watch=%s ' % wid, 20)
    t.ok(ev is not None, '%s: hits follow the OK' % what)
    return wid, ev


def client_of(t, q, sock, what):
    """A client of @sock, or None (a failed assertion, QEMU stopped)."""
    try:
        return connect(sock, 20, 20)
    except OSError as e:
        q.stop()
        t.ok(False, '%s: socket answers' % what, '%s\n%s' % (e, q.output()))
        return None


def patched_checks(t, qemu, arch, guest, plugin, work):
    q, sock, qmp_path = boot(qemu, arch, guest, plugin, work, 'patched')
    c = client_of(t, q, sock, 'patched')
    if not c:
        return
    g = fields(c.greeting)
    t.eq(g.get('flush'), 'patched', 'patched: greeting flush=patched')
    t.eq(g.get('exact'), 'yes', 'patched: greeting exact=yes')
    c.request('subscribe')
    t.eq(c.stats().get('dormant'), 'yes',
         'patched: no watch, no translation callback (dormant=yes)')

    # spin_fn has run (and been translated) while the plugin was dormant
    fn = symbol(guest, 'spin_fn')
    wid, _ = watch_and_hit(t, c, fn, 'patched spin_fn')
    st = c.stats()
    t.eq(st.get('flush_path'), 'patched', 'patched: stats flush_path')
    t.eq(st.get('dormant'), 'no', 'patched: a watch ends dormancy')

    flush_latency(t, c, 20)

    # Two clients asking at once share one flush, both get their OK.
    c2 = connect(sock, 20, 20)
    replies = []
    try:
        c.send('flush\n')
        c2.send('flush\n')
        for cl in (c, c2):
            replies.append(cl.reply()[0])
    except (OSError, EOFError) as e:
        replies.append(str(e))
    t.ok(all(r.startswith('OK gen=') for r in replies),
         'patched: concurrent flushes of two clients both answered', replies)
    c2.close()

    # A watch set while the VM is stopped is answered before it resumes,
    # even from dormancy.
    c.request('unwatch all')
    t.eq(c.stats().get('dormant'), 'yes',
         'patched: dormant again once the last watch is removed')
    tick = symbol(guest, 'spin_tick')
    t.ok(qmp(qmp_path, 'stop'), 'patched: QMP stop')
    time.sleep(0.2)
    status, _, secs = c.timed_request('watch 0x%x regs=%s'
                                      % (tick, PC_REG[arch]))
    t.ok(status.startswith('OK id=') and secs < 5,
         'patched: watch answered while stopped (%.1f ms)' % (secs * 1000),
         status)
    tid = fields(status).get('id')
    c.events.clear()
    t.ok(qmp(qmp_path, 'cont'), 'patched: QMP cont')
    ev = c.wait_event('! hit watch=%s ' % tid, 20)
    t.ok(ev is not None, 'patched: mid-block spin_tick hit after cont')
    if ev:
        f = fields(ev)
        t.eq(int(f.get(PC_REG[arch], '0'), 16), tick,
             'patched: %s logged at spin_tick is its address' % PC_REG[arch])
    c.close()
    q.stop()


def stock_checks(t, qemu, arch, guest, plugin, work):
    q, sock, _ = boot(qemu, arch, guest, plugin, work, 'stock')
    c = client_of(t, q, sock, 'stock')
    if not c:
        return
    t.eq(fields(c.greeting).get('flush'), 'stock-reset',
         'stock: greeting flush=stock-reset')
    c.request('subscribe')
    watch_and_hit(t, c, symbol(guest, 'spin_fn'), 'stock spin_fn')
    c.close()
    q.stop()


def main():
    arch, guest, plugin = sys.argv[1:4]
    qemu, t, work = begin('qemu-system-' + arch)
    patched_checks(t, qemu, arch, guest, plugin, work)
    stock = shutil.which('qemu-system-' + arch)
    if stock:
        stock_checks(t, stock, arch, guest, plugin, work)
    else:
        t.skip('stock QEMU', 'qemu-system-%s not installed' % arch)
    t.done()


if __name__ == '__main__':
    main()
