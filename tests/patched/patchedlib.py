"""Helpers of the tests of qinsn on the patched QEMU: gdb at a
breakpoint, the expected values of a probe label, and flush latency.
Finding the patched QEMU, running it, the control socket and TAP come from
the shared package tests/pylib/qinsntest.  Standard library only.
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import (Tap, expected_values, patched_binary, run,
                       workdir)  # noqa: E402


def begin(name):
    """What every test starts with: the patched QEMU binary @name (the
    whole test is skipped without it), a Tap and a scratch directory."""
    return patched_binary(name), Tap(), workdir('patched')


def gdb_at(gdb, elf, port, addr, regs, count, timeout=60):
    """Stop @count times at @addr in a QEMU waiting on gdb @port; returns a
    list of {reg: value} per stop."""
    script = ['set pagination off', 'set confirm off',
              'target remote 127.0.0.1:%d' % port,
              'break *0x%x' % addr]
    for _ in range(count):
        script.append('continue')
        script.append('printf "@@' + ''.join(' %s=0x%%lx' % r for r in regs) +
                      '\\n"' + ''.join(', $%s' % r for r in regs))
    script.append('kill')
    cmd = [gdb, '-q', '-nx', '-batch'] + sum((['-ex', s] for s in script), [])
    cmd.append(elf)
    status, out = run(cmd, timeout)
    stops = []
    for line in out.splitlines():
        if line.startswith('@@'):
            stops.append({k: int(v, 16) for k, v in
                          (w.split('=') for w in line[2:].split())})
    return stops, out


def expected(path, label):
    """Values at @label in an expected-<arch>.txt file: a list per hit of
    {reg: value}, FLAGS lines merged in."""
    per_hit = {}
    for part in expected_values(path):
        for (at, hit), regs in part.items():
            if at == label:
                per_hit.setdefault(hit, {}).update(regs)
    return [per_hit[k] for k in sorted(per_hit)]


def wait_hits_grow(c, timeout=10):
    """Wait until the watches' hits (stats hits=) grow: the watched code
    ran, so it was translated again since the last flush.  False on
    timeout."""
    before = int(c.stats().get('hits', 0))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.005)
        if int(c.stats().get('hits', 0)) > before:
            return True
    return False


def flush_latency(t, c, n):
    """Send @n flush requests on client @c, each once the guest has run
    watched code again since the previous flush (so that there is
    translated code to throw away and each one is a real flush, not one the
    plugin answers at once); check the OKs, that each request made exactly
    one real flush, and report the latency.  Needs a watch that hits."""
    # Unsubscribed, so that replies do not queue behind a flood of hits.
    c.request('unsubscribe')
    lat = []
    status = None
    real = 0
    problem = None
    for i in range(n):
        if not wait_hits_grow(c):
            problem = 'flush %d: the watched code did not run again' % i
            break
        before = int(c.stats().get('flushes', 0))
        status, _, secs = c.timed_request('flush')
        if not status.startswith('OK gen='):
            problem = 'flush %d: %s' % (i, status)
            break
        lat.append(secs * 1000)
        done = int(c.stats().get('flushes', 0)) - before
        if done != 1:
            problem = ('flush %d: %d flushes completed, want 1' % (i, done))
            break
        real += 1
    c.request('subscribe')
    t.ok(len(lat) == n, '%d flushes answered OK' % n, problem or status)
    t.ok(real == n, 'each of the %d was a real flush (%d)' % (n, real),
         problem)
    if lat:
        t.diag('flush request-to-OK latency over %d requests (%d real '
               'flushes): min %.2f ms, median %.2f ms, max %.2f ms'
               % (len(lat), real, min(lat), statistics.median(lat),
                  max(lat)))
    return lat, real
