#!/usr/bin/env python3
"""Flushing while a thread is blocked in a system call, user mode.

Usage: user_flush.py ARCH PROGRAM PLUGIN

Runs userprogs/blocked.c, built for ARCH, under the patched qemu-ARCH with
qinsn's socket: one guest thread sits in read() for good, the main thread
calls probe_tick in a loop.  A `watch probe_tick` sent on the socket must
be answered (the flush cannot wait for the blocked vCPU) and hits must
follow; `flush` must keep working, and its latency is reported.
"""

import signal
import sys

from patchedlib import (Client, begin, fields, flush_latency, start, stop,
                        symbol)


def main():
    arch, prog, plugin = sys.argv[1:4]
    qemu, t, work = begin('qemu-' + arch)
    sock = work.file('q.sock')

    q = start([qemu, '-plugin', '%s,sock=%s,log=%s' % (
        plugin, sock, work.file('log')), prog])
    ready = q.stdout.readline().strip()
    t.eq(ready, 'ready', 'program started its blocked thread')
    c = Client(sock)
    g = fields(c.greeting)
    t.eq(g.get('mode'), 'user', 'greeting mode=user')
    t.eq(g.get('flush'), 'patched', 'greeting flush=patched')
    t.eq(g.get('exact'), 'yes', 'greeting exact=yes')
    c.request('subscribe')

    tick = symbol(prog, 'probe_tick')
    _, status, secs = c.request('watch 0x%x' % tick)
    t.ok(status.startswith('OK id=') and secs < 5,
         'watch answered with a thread blocked in read() (%.1f ms)'
         % (secs * 1000), status)
    ev = c.wait_event('! hit watch=%s ' % fields(status).get('id'), 20)
    t.ok(ev is not None, 'hits follow the OK')

    flush_latency(t, c, 20)
    st = c.stats()
    t.eq(st.get('flush_path'), 'patched', 'stats flush_path=patched')
    c.close()
    running = q.poll() is None
    out = stop(q)
    # The program runs for a minute: still running here means nothing
    # above crashed QEMU; ending it must take no more than the SIGTERM.
    t.ok(running and q.returncode == -signal.SIGTERM,
         'QEMU ran until the test stopped it with SIGTERM',
         'running before stop: %s, exit status %s' % (running, q.returncode))
    if t.failed:
        t.diag(out[-2000:])
    work.cleanup()
    t.done()


if __name__ == '__main__':
    main()
