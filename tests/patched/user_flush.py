#!/usr/bin/env python3
"""Flushing while a thread is blocked in a system call, user mode.

Usage: user_flush.py ARCH PROGRAM PLUGIN

Runs userprogs/blocked.c, built for ARCH, under the patched qemu-ARCH with
qinsn's socket: one guest thread sits in read() for good, the main thread
calls probe_tick in a loop.  A `watch probe_tick` sent on the socket must
be answered (the flush cannot wait for the blocked vCPU) and hits must
follow; `flush` must keep working, and its latency is reported.
"""

import os
import signal
import sys

from patchedlib import begin, flush_latency

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import (Qemu, connect, fields, symbol,
                       wait_for)  # noqa: E402


def main():
    arch, prog, plugin = sys.argv[1:4]
    qemu, t, work = begin('qemu-' + arch)
    sock = os.path.join(work, 'q.sock')

    q = Qemu([qemu, '-plugin', '%s,sock=%s,log=%s' % (
        plugin, sock, os.path.join(work, 'log')), prog],
        os.path.join(work, 'qemu.out'))
    wait_for(lambda: '\n' in q.output() or not q.alive(), 60)
    ready = q.output().split('\n')[0].strip()
    t.eq(ready, 'ready', 'program started its blocked thread')
    c = connect(sock, 20, 20)
    g = fields(c.greeting)
    t.eq(g.get('mode'), 'user', 'greeting mode=user')
    t.eq(g.get('flush'), 'patched', 'greeting flush=patched')
    t.eq(g.get('exact'), 'yes', 'greeting exact=yes')
    c.request('subscribe')

    tick = symbol(prog, 'probe_tick')
    status, _, secs = c.timed_request('watch 0x%x' % tick)
    t.ok(status.startswith('OK id=') and secs < 5,
         'watch answered with a thread blocked in read() (%.1f ms)'
         % (secs * 1000), status)
    ev = c.wait_event('! hit watch=%s ' % fields(status).get('id'), 20)
    t.ok(ev is not None, 'hits follow the OK')

    flush_latency(t, c, 20)
    st = c.stats()
    t.eq(st.get('flush_path'), 'patched', 'stats flush_path=patched')
    c.close()
    running = q.alive()
    status = q.stop()
    # The program runs for a minute: still running here means nothing
    # above crashed QEMU; ending it must take no more than the SIGTERM.
    t.ok(running and status == -signal.SIGTERM,
         'QEMU ran until the test stopped it with SIGTERM',
         'running before stop: %s, exit status %s' % (running, status))
    if t.failed:
        t.diag(q.output()[-2000:])
    t.done()


if __name__ == '__main__':
    main()
