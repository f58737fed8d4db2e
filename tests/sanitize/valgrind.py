#!/usr/bin/env python3
"""The plugin under valgrind's memcheck: a short session on a spin guest.

Usage: valgrind.py PLUGIN SPIN_GUEST(riscv64)

QEMU runs under valgrind (slow: a few seconds of guest time), with the
plugin logging JSON; one client sets watches of every kind (registers, a
condition, a count, a memory capture, a string, a memory watch), lists,
reads events, marks, sends malformed requests and removes everything;
then QEMU gets SIGTERM.  Checked: valgrind reports no error (invalid
access, use of uninitialised values, bad free) and the log ends with its
summary.  Leaks are not checked: QEMU itself does not free at exit.
"""

import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import (Client, Tap, field, skip_all, start_guest, symbol,
                       wait_for, workdir)  # noqa: E402


def main():
    plugin, guest = sys.argv[1], sys.argv[2]
    if not shutil.which('valgrind'):
        skip_all('valgrind not installed (apt-get install valgrind)')
    tap = Tap()
    work = workdir('valgrind')
    sock = os.path.join(work, 'q.sock')
    log = os.path.join(work, 'log.json')
    # TCG writes the code it runs: valgrind must look for that.
    wrapper = ['valgrind', '--error-exitcode=99', '--smc-check=all-non-file',
               '--leak-check=no', '--child-silent-after-fork=yes', '-q']
    q = start_guest('riscv64', plugin, guest, work,
                    ['sock=' + sock, 'log=' + log, 'format=json'],
                    wrapper=wrapper)
    up = wait_for(lambda: os.path.exists(sock), 120)
    tap.ok(up, 'QEMU under valgrind serves the plugin\'s socket',
           q.output()[-2000:])
    if not up:
        q.stop()
        tap.done()
    c = Client(sock, timeout=240)
    sym = lambda name: symbol(guest, name)  # noqa: E731
    requests = [
        'watch 0x%x regs=a0,a1,a2,pc,sp if=a0>=0x10 count=20' %
        sym('spin_tick'),
        'watch 0x%x regs=a0,a1 mem=sp-16:32 ignore=3' % sym('spin_fn'),
        'watch 0x%x str=a0 once' % sym('spin_str'),
        'watch 0x%x..0x%x regs=a0' % (sym('spin_rare'), sym('spin_rare') + 8),
        'watch-mem 0x%x 64 rw regs=a0 count=5' % 0x80000000,
        'list', 'stats', 'regs', 'log a0 s0 x5 #10', 'mark valgrind-mark',
        'subscribe', 'frobnicate', 'watch 0xqq', 'watch 1 regs=nosuch',
        'unwatch 4242', 'help watch',
    ]
    bad = []
    for r in requests:
        st, _ = c.request(r)
        if not st.startswith(('OK', 'ERR')):
            bad.append((r, st))
    # valgrind runs the guest many times slower: wait for hits, not a time
    hits = 0
    deadline = time.monotonic() + 180
    while not hits and time.monotonic() < deadline:
        time.sleep(0.5)
        st, data = c.request('list')
        hits = sum(int(field(d, 'hits') or 0) for d in data)
    tap.ok(not bad and hits > 0,
           '%d requests answered, watches hit %d times' % (len(requests),
                                                           hits), bad)
    for r in ('unwatch all', 'unsubscribe', 'flush', 'quit'):
        c.request(r)
    c.close()
    st = q.stop(timeout=240)
    out = q.output()
    errors = [l for l in out.splitlines() if l.startswith('==')]
    tap.ok(st == 0 and not errors,
           'valgrind: no memory error (exit status %s)' % st,
           '\n'.join(errors[:60]))
    with open(log) as f:
        last = f.read().strip().split('\n')[-1]
    tap.ok(json.loads(last).get('type') == 'summary',
           'the log ends with its summary', last)
    tap.done()


if __name__ == '__main__':
    main()
