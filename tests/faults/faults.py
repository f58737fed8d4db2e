#!/usr/bin/env python3
"""Faults: what the plugin survives, and what it leaves behind.

Usage: faults.py PLUGIN SPIN_GUEST(riscv64)

Clients killed mid-line, mid-stream and while subscribed; the socket file
deleted or replaced under a running QEMU; a file that is not a socket in
the socket's place; a log that cannot be written (/dev/full, and a full
tmpfs when root may mount one); a log nobody reads (a stuck writer: the
vCPUs stop waiting for it after stall= ms and say so); QEMU ended by
SIGTERM, SIGINT, SIGHUP and SIGKILL.  A stale socket of a killed QEMU being replaced is checked in
tests/e2e/socket.exp and not repeated here.
"""

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import (Tap, connect, field, start_guest, symbol, usage,
                       wait_for, workdir)  # noqa: E402

# A client that gets into a state, says "ready", and waits to be killed.
CHILD = r'''
import socket, sys, time
path, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.recv(4096)
if mode == 'mid-line':
    s.sendall(b'watch 0x8000')
elif mode == 'long-line':
    s.sendall(b'x' * 3000)
elif mode == 'subscribed':
    s.sendall(b'subscribe\n')
elif mode == 'flood':
    s.setblocking(False)
    try:
        while True:
            s.send(b'stats\nlist\nhelp\n' * 1000)
    except BlockingIOError:
        pass
print('ready', flush=True)
time.sleep(600)
'''


def start(tap, work, plugin, guest, args, smp=1):
    sock = os.path.join(work, 'q.sock')
    q = start_guest('riscv64', plugin, guest, work, ['sock=' + sock] + args,
                    smp=smp)
    if not wait_for(lambda: os.path.exists(sock), 60):
        tap.diag(q.output())
    return q, sock


def hits_grow(client, secs=60):
    """Whether the plugin's hit count goes past its present value."""
    hits = int(client.stats()['hits'])
    return wait_for(lambda: int(client.stats()['hits']) > hits,
                         secs)


def json_log(path):
    """Records of a JSON log; a last line cut short is returned apart."""
    with open(path) as f:
        text = f.read()
    lines = text.split('\n')
    recs, bad = [], []
    for line in lines[:-1]:
        try:
            recs.append(json.loads(line))
        except ValueError:
            bad.append(line)
    return recs, bad, lines[-1]


def killed_clients(tap, plugin, guest):
    work = workdir('faults-kill')
    q, sock = start(tap, work, plugin, guest,
                    ['log=' + os.path.join(work, 'log.json'), 'format=json'])
    mon = connect(sock)
    tick = symbol(guest, 'spin_tick')
    st = mon.request('watch 0x%x regs=a0,a1' % tick)[0]
    wait_for(lambda: int(mon.stats()['hits']) > 0, 60)
    before = usage(q.pid)
    for mode in ('mid-line', 'long-line', 'subscribed', 'flood'):
        kids = [subprocess.Popen([sys.executable, '-c', CHILD, sock, mode],
                                 stdout=subprocess.PIPE, text=True)
                for _ in range(4)]
        ready = all(k.stdout.readline().strip() == 'ready' for k in kids)
        time.sleep(0.3)     # for the plugin to read what they sent
        for k in kids:
            k.kill()
            k.wait()
        gone = wait_for(
            lambda: mon.stats()['clients'] == '1', 60)
        reply = mon.request('list')
        tap.ok(ready and gone and reply[0] == 'OK watches=1' and q.alive(),
               '4 clients killed %s: dropped, the plugin serves on' % mode,
               '%s %s %s' % (ready, gone, reply))
    after = usage(q.pid)
    tap.ok(after['fds'] == before['fds'] and
           after['threads'] == before['threads'],
           'no fd or thread left behind by 16 killed clients (%d fds, %d '
           'threads)' % (after['fds'], after['threads']),
           '%r -> %r' % (before, after))
    tap.ok(hits_grow(mon),
           'the guest kept running and its watch kept hitting')
    mon.close()
    q.stop()
    return st


def socket_file(tap, plugin, guest):
    work = workdir('faults-sock')
    q, sock = start(tap, work, plugin, guest, ['log=/dev/null'])
    old = connect(sock)
    os.unlink(sock)
    tap.ok(old.request('stats')[0] == 'OK',
           'socket file deleted: a connected client is still served')

    # The plugin looks about once a second; it binds the new socket, then
    # sets its mode, then listens: wait for the finished socket.
    def sock_mode():
        try:
            return os.lstat(sock).st_mode
        except FileNotFoundError:
            return 0

    def private_socket(mode):
        return stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
    began = time.monotonic()
    wait_for(lambda: private_socket(sock_mode()), 60)
    mode = sock_mode()
    tap.ok(private_socket(mode),
           'the plugin makes its socket file again (mode 0600)',
           'mode %o after %.1f s' % (mode, time.monotonic() - began))
    try:
        new = connect(sock)
        tap.ok(new.greeting.startswith('QINSN 1 ') and
               new.request('stats')[0] == 'OK',
               'new clients connect again')
        new.close()
    except OSError as e:
        tap.ok(False, 'new clients connect again', e)

    # Someone else's file put in its place is left alone, even at exit.
    other = os.path.join(work, 'other')
    with open(other, 'w') as f:
        f.write('not ours\n')
    os.rename(other, sock)
    # The plugin looks at its file about once a second, between rounds of
    # serving its clients: after more than a second, a request answered in
    # a later round than another one means it has looked since.
    time.sleep(1.5)
    old.request('stats')
    tap.ok(old.request('stats')[0] == 'OK' and
           open(sock).read() == 'not ours\n',
           'a file moved into the socket\'s place is not replaced')
    old.close()
    st = q.stop()
    tap.ok(st == 0 and os.path.exists(sock) and
           open(sock).read() == 'not ours\n',
           'nor removed when QEMU exits (status %s)' % st)

    # A file that is not a socket at the path: refused, untouched.
    q2 = start_guest('riscv64', plugin, guest, work,
                     ['sock=' + sock, 'log=/dev/null'])
    st = q2.wait(120)
    tap.ok(st not in (0, None) and
           'is not a socket: refusing to replace it' in q2.output() and
           open(sock).read() == 'not ours\n',
           'a QEMU started with sock= naming a regular file refuses it and '
           'leaves the file alone', q2.output())
    q2.stop(signal.SIGKILL)


def dev_full(tap, plugin, guest):
    work = workdir('faults-full')
    q, sock = start(tap, work, plugin, guest,
                    ['log=/dev/full', 'format=json'])
    c = connect(sock)
    rare = symbol(guest, 'spin_rare')
    st = c.request('watch 0x%x regs=a0' % rare)[0]
    wid = field(st, 'id')
    errors = wait_for(lambda: int(c.stats()['write_errors']), 60)
    h1 = int(c.stats()['hits'])
    wait_for(lambda: int(c.stats()['hits']) > h1, 60)
    h2 = int(c.stats()['hits'])
    tap.ok(errors and h2 > h1,
           'log=/dev/full: write_errors=%s in stats, the guest keeps running '
           '(hits %d -> %d)' % (errors, h1, h2))
    c.request('disable ' + wid)

    # Records of hits before the disable may still be on their way
    # through the log writer: wait for the counts to settle.
    def kept(s):
        return (int(s['hits']) == int(s['logged']) + int(s['dropped']) and
                s['written'] == s['logged'])
    wait_for(lambda: kept(c.stats()), 60)
    s = c.stats()
    tap.ok(kept(s),
           'counts kept: hits %s = logged %s + dropped %s, written %s' %
           (s['hits'], s['logged'], s['dropped'], s['written']))
    c.close()
    st = q.stop()
    tap.ok(st == 0, 'QEMU exits normally (status %s)' % st,
           q.output()[-1000:])


def tmpfs_full(tap, plugin, guest):
    name = 'a full tmpfs (ENOSPC)'
    if os.geteuid() != 0:
        tap.skip(name, 'needs root to mount a tmpfs')
        return
    work = workdir('faults-enospc')
    mnt = os.path.join(work, 'mnt')
    os.mkdir(mnt)
    r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt],
                       capture_output=True, text=True)
    if r.returncode != 0:
        tap.skip(name, 'cannot mount a tmpfs here: ' + r.stderr.strip())
        return
    try:
        filler = os.path.join(mnt, 'filler')
        subprocess.run(['dd', 'if=/dev/zero', 'of=' + filler, 'bs=4k'],
                       capture_output=True)
        log = os.path.join(mnt, 'log.json')
        q, sock = start(tap, work, plugin, guest,
                        ['log=' + log, 'format=json'])
        c = connect(sock)
        rare = symbol(guest, 'spin_rare')
        wid = field(c.request('watch 0x%x regs=a0' % rare)[0], 'id')
        errors = wait_for(lambda: int(c.stats()['write_errors']), 60)
        tap.ok(errors and hits_grow(c),
               '%s: write_errors=%s, the guest keeps running' %
               (name, errors))
        c.request('disable ' + wid)
        os.unlink(filler)          # room again
        c.request('mark after-enospc')

        # the log goes on while QEMU runs: the mark reaches the file
        def marked():
            with open(log, errors='replace') as f:
                return '"token":"after-enospc"' in f.read()
        wait_for(marked, 60)
        c.close()
        st = q.stop()
        recs, bad, tail = json_log(log)
        summ = recs[-1] if recs else {}
        tap.ok(st == 0 and summ.get('type') == 'summary' and
               summ.get('write_errors', 0) > 0 and
               any(r.get('token') == 'after-enospc' for r in recs),
               'once there is room again the log goes on: a mark, then the '
               'summary with write_errors=%s' % summ.get('write_errors'),
               '%s %s' % (st, summ))
    finally:
        subprocess.run(['umount', mnt])


def signals(tap, plugin, guest):
    tick = symbol(guest, 'spin_tick')
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        work = workdir('faults-sig')
        log = os.path.join(work, 'log.json')
        q, sock = start(tap, work, plugin, guest,
                        ['log=' + log, 'format=json'], smp=2)
        c = connect(sock)
        c.request('watch 0x%x regs=a0' % tick)
        wait_for(lambda: int(c.stats()['logged']) > 1000, 120)
        st = q.stop(sig)
        recs, bad, tail = json_log(log)
        summ = recs[-1] if recs else {}
        hits = sum(1 for r in recs if r['type'] == 'hit')
        tap.ok(st == 0 and not bad and tail == '' and
               summ.get('type') == 'summary' and
               summ.get('logged') == hits and not os.path.exists(sock),
               '%s: QEMU exits 0, the log ends with its summary (logged %s '
               '= %d records), the socket file is removed' %
               (sig.name, summ.get('logged'), hits),
               'status %s, %d bad lines, tail %r, summary %s' %
               (st, len(bad), tail[:80], summ))

    work = workdir('faults-sig')
    log = os.path.join(work, 'log.json')
    q, sock = start(tap, work, plugin, guest, ['log=' + log, 'format=json'])
    c = connect(sock)
    c.request('watch 0x%x regs=a0' % tick)
    wait_for(lambda: int(c.stats()['written']) > 10000, 120)
    q.stop(signal.SIGKILL)
    recs, bad, tail = json_log(log)
    tap.ok(recs and not bad and all(r['type'] != 'summary' for r in recs)
           and os.path.exists(sock),
           'SIGKILL: no summary, %d whole records (then %d bytes of a cut '
           'line), the socket file stays for the next QEMU to replace' %
           (len(recs), len(tail)))


def stuck_writer(tap, plugin, guest):
    """A pipe nobody reads: the writer blocks, waiting vCPUs give up after
    stall= ms, drop what they cannot place, and the log says why."""
    work = workdir('faults-stall')
    fifo = os.path.join(work, 'log.fifo')
    os.mkfifo(fifo)
    # a reader exists (so the plugin's open does not block) but reads nothing
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    q, sock = start(tap, work, plugin, guest, ['log=' + fifo, 'stall=300'])
    c = connect(sock)
    tick = symbol(guest, 'spin_tick')
    c.request('watch 0x%x regs=a0' % tick)
    stalled = wait_for(lambda: int(c.stats()['stalls']) > 0, 120)
    tap.ok(stalled and hits_grow(c),
           'a log nobody reads: the vCPU stops waiting (stalls=%s) and the '
           'guest runs on' % c.stats()['stalls'])
    s = c.stats()
    tap.ok(int(s['dropped']) > 0 and s['overflow'] == 'wait',
           'what it cannot place is counted as dropped (%s)' % s['dropped'])
    c.request('unwatch all')
    c.close()
    # read the pipe from now on, so that the writer can finish at exit
    got = []
    os.set_blocking(rfd, True)

    def drain():
        while True:
            b = os.read(rfd, 1 << 16)
            if not b:
                break
            got.append(b)
    t = threading.Thread(target=drain)
    t.start()
    st = q.stop()
    t.join(120)
    os.close(rfd)
    text = b''.join(got).decode('utf-8', 'replace')
    lines = text.splitlines()
    stalls = [l for l in lines if l.startswith('stall cpu0 waited 300 ms')]
    drops = sum(int(l.split()[1]) for l in lines if l.startswith('drop '))
    hits = sum(1 for l in lines if l.startswith('hit '))
    summ = {}
    for l in lines:
        if l.startswith('summary hits='):
            summ = dict(kv.split('=', 1) for kv in l.split()[1:])
    tap.ok(st == 0 and stalls and summ and
           int(summ.get('dropped', -1)) == drops and
           int(summ.get('logged', -1)) == hits and
           int(summ.get('hits', -1)) == hits + drops,
           'QEMU exits normally; the log has %d stall record(s), drops %d = '
           'summary dropped, hits %d logged + %d dropped = %s' %
           (len(stalls), drops, hits, drops, summ.get('hits')),
           '%s %s' % (st, lines[-3:]))


def main():
    plugin, guest = sys.argv[1], sys.argv[2]
    tap = Tap()
    killed_clients(tap, plugin, guest)
    socket_file(tap, plugin, guest)
    dev_full(tap, plugin, guest)
    tmpfs_full(tap, plugin, guest)
    stuck_writer(tap, plugin, guest)
    signals(tap, plugin, guest)
    tap.done()


if __name__ == '__main__':
    main()
