#!/usr/bin/env python3
"""Security: the plugin's bounds, hostile request text, and who may connect.

Usage: security.py PLUGIN SPIN_GUEST(riscv64)

Bounds, each at its edge (the error catalogue of tests/e2e/errors.exp
checks values far past them): 200000 watches, 64 clients (reached by a
burst of non-blocking connects), 4096-byte lines, 16 MiB ranges, 256-byte
memory captures, 32 registers per watch, 2400-byte marks and a full
mark queue.  Hostile text: format directives
and paths in every place a request can carry text, NUL bytes, replies kept
in order around a refused line.  Access: another user cannot reach the
default socket through its private directory (tests/e2e/socket.exp checks
the SO_PEERCRED refusal of a socket they can reach).
"""

import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import (Client, Tap, connect, start_guest, symbol, usage,
                       wait_for, workdir)  # noqa: E402

MAX_WATCHES = 200000
UNUSED = 0x90000000         # beyond the guest's RAM: never executed


def watch_limit(tap, c, q):
    rss0 = usage(q.pid)['rss_kb']
    start = time.monotonic()
    bad = []
    chunk = 5000
    for base in range(0, MAX_WATCHES, chunk):
        lines = ['watch 0x%x' % (UNUSED + 4 * i)
                 for i in range(base, base + chunk)]
        bad += [st for st, _ in c.pipeline(lines) if not st.startswith('OK')]
    took = time.monotonic() - start
    rss1 = usage(q.pid)['rss_kb']
    tap.ok(not bad, '%d watches set in %.1f s (VmRSS +%d MiB)' %
           (MAX_WATCHES, took, (rss1 - rss0) // 1024), bad[:5])
    st = c.request('watch 0x%x' % (UNUSED - 4))[0]
    tap.ok(st.startswith('ERR LIMIT already 200000 watches'),
           'watch number %d: ERR LIMIT' % (MAX_WATCHES + 1), st)
    st = c.request('unwatch all')[0]
    tap.ok(st == 'OK removed=%d' % MAX_WATCHES, 'unwatch all: ' + st)
    st, data = c.request('list')
    tap.ok(st == 'OK watches=0' and not data, 'the table is empty again')


def clients(c):
    return int(c.stats()['clients'])


def client_limit(tap, c, sock):
    # A burst: every connect() at once, non-blocking, as Python clients
    # with a timeout do.
    socks = []
    errors = []
    for _ in range(63):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(sock)
        except OSError as e:
            errors.append(str(e))
        socks.append(s)
    greeted = 0
    for s in socks:
        s.settimeout(60)
        try:
            if s.recv(4096).startswith(b'QINSN 1 '):
                greeted += 1
        except OSError as e:
            errors.append(str(e))
    tap.ok(greeted == 63 and not errors,
           'a burst of 63 non-blocking connects: all greeted (64 clients)',
           errors[:5])
    extra = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    extra.settimeout(60)
    extra.connect(sock)
    got = b''
    while True:
        data = extra.recv(4096)
        if not data:
            break
        got += data
    tap.ok(got == b'ERR LIMIT too many clients\n',
           'client 65: ERR LIMIT too many clients, then closed', got)
    socks.pop().close()
    # the plugin has to see it leave: until then the 64 are still there
    wait_for(lambda: clients(c) == 63, 60)
    again = Client(sock)
    tap.ok(again.greeting.startswith('QINSN 1 '),
           'once one leaves, a new client gets in', again.greeting)
    again.close()
    for s in socks:
        s.close()
    # the next checks count the plugin's fds: all of these gone first
    wait_for(lambda: clients(c) == 1, 60)


def edges(tap, c):
    cases = [
        ('list' + ' ' * 4092, 'OK'),
        ('list' + ' ' * 4093, 'ERR LIMIT request longer than 4096 bytes'),
        ('watch 0x%x..0x%x' % (UNUSED, UNUSED + (1 << 24) - 1), 'OK id='),
        ('watch 0x%x..0x%x' % (UNUSED, UNUSED + (1 << 24)), 'ERR LIMIT'),
        ('watch-mem 0x%x 0x1000000' % UNUSED, 'OK id='),
        ('watch-mem 0x%x 0x1000001' % UNUSED, 'ERR LIMIT'),
        ('watch 0x%x mem=sp:256' % UNUSED, 'OK id='),
        ('watch 0x%x mem=sp:257' % UNUSED, 'ERR LIMIT'),
        ('watch 0x%x regs=%s' % (UNUSED, ','.join(['a0'] * 32)), 'OK id='),
        ('watch 0x%x regs=%s' % (UNUSED, ','.join(['a0'] * 33)),
         'ERR LIMIT at most 32 registers'),
    ]
    for line, want in cases:
        st, data = c.request(line)
        tap.ok(st.startswith(want), 'edge: %s... -> %s' %
               (line[:40].rstrip(), want), st)
    c.request('unwatch all')


def marks(tap, c):
    st = c.request('mark ' + 'm' * 2400)[0]
    st2 = c.request('mark ' + 'm' * 2401)[0]
    tap.ok(st == 'OK' and st2.startswith('ERR LIMIT a mark is at most 2400'),
           'edge: a 2400-byte mark is logged, a 2401-byte one refused '
           '(not cut short)', (st, st2))
    # the mark above written (no hit is ever logged here): counts settled
    def mark_written():
        s = c.stats()
        return int(s['written']) == int(s['logged']) + 1
    wait_for(mark_written, 60)
    before = c.stats()
    replies = c.pipeline(['mark flood%d' % i for i in range(5000)])
    oks = sum(1 for st, _ in replies if st == 'OK')
    full = sum(1 for st, _ in replies
               if st == 'ERR LIMIT the mark queue is full; try again')
    wait_for(lambda: int(c.stats()['written']) -
                  int(before['written']) >= oks, 60)
    after = c.stats()
    tap.ok(oks + full == 5000 and after['dropped'] == before['dropped'] and
           int(after['written']) - int(before['written']) == oks,
           '5000 marks at once: %d queued and written, %d refused as the '
           'queue is full, none counted as a dropped record' % (oks, full),
           (before, after))


def hostile(tap, c, q, work, log):
    fds0 = usage(q.pid)['fds']
    pwned = '/tmp/qinsn-pwned-%d' % os.getpid()
    texts = ['%n%n%n%s%s', '%s%p%x%08x%.9999d', '../../../..' + pwned,
             pwned, '/etc/passwd', '$(touch%20' + pwned + ')']
    lines = []
    for t in texts:
        lines += ['mark ' + t, t, 'log ' + t, 'help ' + t, 'unwatch ' + t,
                  'enable ' + t, 'watch ' + t,
                  'watch 0x%x regs=%s' % (UNUSED, t),
                  'watch 0x%x if=%s==1' % (UNUSED, t),
                  'watch 0x%x str=%s' % (UNUSED, t),
                  'watch 0x%x mem=%s:4' % (UNUSED, t),
                  'watch-mem 0x%x 4 %s' % (UNUSED, t)]
    replies = c.pipeline(lines)
    oks = [l for l, (st, _) in zip(lines, replies) if st.startswith('OK')]
    tap.ok(len(replies) == len(lines) and
           all(l.startswith('mark ') for l in oks) and
           len(oks) == len(texts),
           '%d requests carrying format directives and paths: one reply '
           'each, only the marks accepted' % len(lines),
           [l for l in oks if not l.startswith('mark ')])
    echoed = [st for st, _ in replies if '%n%n%n%s%s' in st]
    tap.ok(echoed, 'error messages quote such text literally', replies[:3])

    # the marks went to the log writer: once they are in the log, it has
    # done all it would do with their text
    def log_text():
        with open(log) as f:
            return f.read()

    def all_marks(text):
        return all('"token":"%s"' % t.replace('\\', '\\\\') in text
                   for t in texts)
    wait_for(lambda: all_marks(log_text()), 60)
    tap.ok(q.alive() and not os.path.exists(pwned) and
           usage(q.pid)['fds'] == fds0 and
           sorted(os.listdir(work)) == sorted(['q.sock', 'log.json',
                                               'qemu.out', 'qemu.serial']),
           'no file made or opened: QEMU alive, fds unchanged, work '
           'directory and /tmp untouched')
    c.request('flush')
    tap.ok(all_marks(log_text()), 'the log holds the marks\' text verbatim')

    # A NUL byte is refused, not a place where the line ends.
    c.send(b'mark cut\x00rest\n')
    st = c.reply()[0]
    tap.ok(st == 'ERR SYNTAX byte 0x00 at column 9 is not printable ASCII',
           'a NUL inside a request: ERR SYNTAX, nothing of it run', st)
    # Replies stay in request order around a refused overlong line.
    tick = symbol(sys.argv[2], 'spin_tick')
    c.send('watch 0x%x\n%s\nstats\n' % (tick, 'x' * 5000))
    order = [c.reply()[0] for _ in range(3)]
    tap.ok(order[0].startswith('OK id=') and order[1].startswith('ERR LIMIT')
           and order[2] == 'OK', 'replies in request order around an '
           'overlong line', order)
    c.request('unwatch all')
    c.request('flush')
    # Records are written in order: once a mark sent after it is in the
    # log, so would be the refused one.
    while c.request('mark after-nul')[0] != 'OK':     # queue full: again
        time.sleep(0.05)
    wait_for(lambda: '"token":"after-nul"' in log_text(), 60)
    text = log_text()
    tap.ok('"token":"after-nul"' in text and '"token":"cut"' not in text,
           'the refused mark did not reach the log')


def other_user(tap, plugin, guest):
    name = 'another user cannot reach the default socket'
    nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']
    if os.geteuid() != 0 or not shutil.which('setpriv') or \
            not shutil.which('socat'):
        tap.skip(name, 'needs root, setpriv and socat')
        return
    work = workdir('security-user')
    os.chmod(work, 0o755)       # only qinsn's own directory stands guard
    rt = os.path.join(work, 'rt')
    os.mkdir(rt, 0o755)
    q = start_guest('riscv64', plugin, guest, work, ['log=/dev/null'],
                    env={'XDG_RUNTIME_DIR': rt})
    sock = os.path.join(rt, 'qinsn', '%d.sock' % q.pid)
    up = wait_for(lambda: os.path.exists(sock), 60)
    r = subprocess.run(nobody + ['socat', '-', 'UNIX-CONNECT:' + sock],
                       input='stats\n', capture_output=True, text=True,
                       timeout=30)
    tap.ok(up and r.returncode != 0 and 'Permission denied' in r.stderr and
           'OK' not in r.stdout,
           name + ' (directory 0700: connect() fails with EACCES)',
           r.stderr)
    own = connect(sock)
    tap.ok(own.request('stats')[0] == 'OK', 'while its owner still can')
    own.close()
    q.stop()


def main():
    plugin, guest = sys.argv[1], sys.argv[2]
    tap = Tap()
    work = workdir('security')
    sock = os.path.join(work, 'q.sock')
    log = os.path.join(work, 'log.json')
    q = start_guest('riscv64', plugin, guest, work,
                    ['sock=' + sock, 'log=' + log, 'format=json'])
    if not wait_for(lambda: os.path.exists(sock), 60):
        tap.ok(False, 'the plugin serves its socket', q.output())
        tap.done()
    c = connect(sock, timeout=120)
    watch_limit(tap, c, q)
    client_limit(tap, c, sock)
    edges(tap, c)
    marks(tap, c)
    hostile(tap, c, q, work, log)
    c.close()
    st = q.stop()
    tap.ok(st == 0, 'QEMU exits 0 after all of it (status %s)' % st,
           q.output()[-2000:])
    other_user(tap, plugin, guest)
    tap.done()


if __name__ == '__main__':
    main()
