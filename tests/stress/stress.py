#!/usr/bin/env python3
"""Stress: many control clients at once against a busy 4-vCPU guest.

Usage: stress.py PLUGIN SPIN_GUEST(riscv64) [--clients N] [--rounds N]
                 [--per-round N]

Hot watches (spin_tick: every iteration of every vCPU; spin_rare) stay
set while N clients (default 32, each a thread with its own connection)
each run ROUNDS rounds of PER_ROUND requests: watch, disable, enable,
list, stats and unwatch of their own watches, connecting anew each round.
Two subscribers get the hit events: one reads them all, one never reads.
The JSON log is read through a FIFO and counted as it is written, by a
reader far slower than four vCPUs hitting spin_tick: the plugin runs with
overflow=drop, so that the guest (and every flush the clients ask for) does
not wait on that reader; lossless recording is tested in tests/trace.

Checked: QEMU never dies; every request gets exactly one reply, all OK;
the counters only grow and the log never runs ahead of them; after the
last round the plugin's open fds and threads are back where they were
after round 2 and its allocated memory (stats heap_bytes) has not grown
past a tolerance; at exit the
log's hit records equal the summary's logged count, its drop records add
up to the summary's dropped count, and hits = logged + dropped.
"""

import argparse
import os
import re
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import (ASAN_PRELOAD, Client, LogCounter, Tap, connect, field,
                       start_guest, summary_fields, symbol, usage, wait_for,
                       workdir)  # noqa: E402

# Growth of allocated memory allowed from the first rounds to the last.
HEAP_SLACK = 8 << 20
HEAP_SLACK_RATIO = 0.10


class Subscriber(threading.Thread):
    """A client that subscribes and counts the events it reads."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.c = Client(sock)
        self.ok = self.c.request('subscribe')[0] == 'OK'
        self.hits = 0
        self.lost = 0
        self.stop = False

    def run(self):
        self.c.sock.settimeout(1)
        rest = b''
        while not self.stop:
            try:
                data = self.c.sock.recv(1 << 20)
            except OSError:
                continue
            if not data:
                break
            data = rest + data
            cut = data.rfind(b'\n') + 1
            rest = data[cut:]
            self.hits += data.count(b'! hit ', 0, cut)
            for m in re.finditer(rb'! lost count=(\d+)', data[:cut]):
                self.lost += int(m.group(1))


class Worker(threading.Thread):
    """One client: rounds of its own watch/disable/enable/list/stats/unwatch."""

    def __init__(self, index, sock, targets, per_round, barrier):
        super().__init__(daemon=True)
        self.index = index
        self.sock = sock
        self.targets = targets
        self.per_round = per_round
        self.barrier = barrier
        self.sent = 0
        self.answered = 0
        self.errors = []
        self.rounds = 0
        self.stop = False

    def expect_ok(self, req, reply):
        self.answered += 1
        st = reply[0]
        if not st.startswith('OK'):
            self.errors.append('%s -> %s' % (req, st))
        return st

    def one_round(self, c):
        done = 0
        k = 0
        while done < self.per_round:
            target = self.targets[(self.index + k) % len(self.targets)]
            k += 1
            req = 'watch 0x%x regs=a0' % target
            self.sent += 1
            st = self.expect_ok(req, c.request(req))
            wid = field(st, 'id')
            if wid is None:
                return
            batch = ['disable ' + wid, 'enable ' + wid, 'list', 'stats',
                     'unwatch ' + wid]
            self.sent += len(batch)
            for req, reply in zip(batch, c.pipeline(batch)):
                self.expect_ok(req, reply)
            done += 1 + len(batch)

    def run(self):
        while not self.stop:
            try:
                c = Client(self.sock, timeout=120)
                self.one_round(c)
                c.close()
            except (OSError, EOFError) as e:
                self.errors.append('round %d: %s' % (self.rounds, e))
            self.rounds += 1
            try:
                # every client between rounds: the plugin is idle-ish
                self.barrier.wait(300)
                self.barrier.wait(300)
            except threading.BrokenBarrierError:
                return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('plugin')
    ap.add_argument('guest')
    ap.add_argument('--clients', type=int, default=32)
    ap.add_argument('--rounds', type=int, default=6)
    ap.add_argument('--per-round', type=int, default=336)
    args = ap.parse_args()

    tap = Tap()
    work = workdir('stress')
    sock = os.path.join(work, 'q.sock')
    log = LogCounter(os.path.join(work, 'log.json'))
    q = start_guest('riscv64', args.plugin, args.guest, work,
                    ['sock=' + sock, 'log=' + log.path, 'format=json',
                     'overflow=drop'], smp=4)
    tap.diag('run: ' + ' '.join(q.cmd))
    if not wait_for(lambda: os.path.exists(sock), 60):
        tap.ok(False, 'the plugin serves its socket', q.output())
        q.stop(signal.SIGKILL)
        tap.done()
    g = args.guest
    tick = symbol(g, 'spin_tick')
    rare = symbol(g, 'spin_rare')
    # Client watches: instructions that run every iteration, and two that
    # never run (only table and flush work).
    targets = [symbol(g, 'spin_fn'), symbol(g, 'spin_str'),
               0x80ff0000, 0x80ff0100]

    mon = connect(sock)
    hot = [mon.request('watch 0x%x regs=a0,a1,a2' % tick)[0],
           mon.request('watch 0x%x regs=a0' % rare)[0]]
    tap.ok(all(h.startswith('OK id=') for h in hot),
           'hot watches on spin_tick and spin_rare', hot)
    wait_for(lambda: int(mon.stats()['hits']) > 0, 60)
    reader = Subscriber(sock)
    reader.start()
    stalled = Client(sock)
    stalled.send('subscribe\n')      # and never read again

    barrier = threading.Barrier(args.clients + 1)
    workers = [Worker(i, sock, targets, args.per_round, barrier)
               for i in range(args.clients)]
    start = time.monotonic()
    for w in workers:
        w.start()

    samples = []
    monotonic_ok = True
    prev = None
    problems = []
    for r in range(args.rounds):
        # between rounds the workers wait at the barrier
        while True:
            s = mon.stats()
            cur = {k: int(s[k]) for k in ('hits', 'logged', 'written',
                                          'dropped', 'write_errors')}
            if prev and any(cur[k] < prev[k] for k in cur):
                monotonic_ok = False
                problems.append('counters went back: %r -> %r' % (prev, cur))
            if cur['written'] > cur['logged']:
                monotonic_ok = False
                problems.append('written past logged: %r' % cur)
            prev = cur
            if barrier.n_waiting == args.clients or not q.alive():
                break
            time.sleep(0.2)
        if not q.alive():
            break
        # The workers closed their connections before the barrier; the
        # plugin may not have seen every one go yet.  Its clients and fds
        # are counted once it has (the monitor and the two subscribers).
        wait_for(lambda: mon.stats()['clients'] == '3', 60)
        s = mon.stats()
        u = usage(q.pid)
        u['watches'] = int(s['watches'])
        u['heap_bytes'] = int(s['heap_bytes'])
        u['clients'] = int(s['clients'])
        samples.append(u)
        tap.diag('round %d: %.1f s, %d requests so far, %s' %
                 (r + 1, time.monotonic() - start,
                  sum(w.sent for w in workers), u))
        if r == args.rounds - 1:
            for w in workers:
                w.stop = True
        barrier.wait(300)
        barrier.wait(300)
    elapsed = time.monotonic() - start
    for w in workers:
        w.join(120)

    sent = sum(w.sent for w in workers)
    answered = sum(w.answered for w in workers)
    errors = [e for w in workers for e in w.errors]
    tap.ok(q.alive(), 'QEMU is alive after the load', q.output()[-2000:])
    tap.ok(len(samples) == args.rounds,
           '%d clients completed %d rounds' % (args.clients, args.rounds))
    tap.ok(sent == answered and sent >= args.clients * args.rounds *
           args.per_round,
           'every request answered: %d requests, %d replies (%.0f per s)' %
           (sent, answered, sent / elapsed))
    tap.ok(not errors, 'every reply OK', '\n'.join(errors[:20]))
    tap.ok(monotonic_ok, 'counters never go back, the log never runs ahead',
           '\n'.join(problems[:10]))
    if len(samples) >= 3:
        a, b = samples[1], samples[-1]
        tap.ok(a['fds'] == b['fds'] and a['threads'] == b['threads'],
               'no fd or thread growth: round 2 %d fds %d threads, round '
               '%d %d fds %d threads' % (a['fds'], a['threads'],
                                         len(samples), b['fds'],
                                         b['threads']))
        # Allocated bytes (stats heap_bytes), not resident memory: that
        # also holds freed memory the allocator keeps, whose amount
        # follows the peak of watches awaiting reclaim, and QEMU's buffer
        # of translated code.  What is allocated between rounds moves
        # with the watches still awaiting reclaim; a leak lifts its floor,
        # so the least of the first two rounds is compared with the least
        # of the last two.
        heap = [x['heap_bytes'] for x in samples]
        early, late = min(heap[:2]), min(heap[-2:])
        slack = max(HEAP_SLACK, early * HEAP_SLACK_RATIO)
        if ASAN_PRELOAD:
            tap.skip('no memory growth', 'ASan keeps freed memory in '
                     'quarantine: VmRSS %d KiB at round 2, %d KiB at round '
                     '%d' % (a['rss_kb'], b['rss_kb'], len(samples)))
        else:
            tap.ok(late - early <= slack,
                   'no memory growth: %d bytes allocated after rounds 1-2, '
                   '%d after the last two (the least of each; slack %d; '
                   'VmRSS %d then %d KiB)' %
                   (early, late, slack, a['rss_kb'], b['rss_kb']), heap)
        tap.ok(all(s['watches'] == 2 and s['clients'] == 3
                   for s in samples),
               'between rounds only the 2 hot watches, the monitor and the '
               'subscribers remain', samples)
    else:
        tap.ok(False, 'resource samples of at least 3 rounds', samples)

    reader.stop = True
    reader.join(10)
    tap.ok(reader.ok and reader.hits > 0,
           'a subscriber read %d hit events (%d more reported lost) while '
           'another never read' % (reader.hits, reader.lost))
    last = mon.stats()
    mon.close()
    stalled.close()
    st = q.stop(signal.SIGTERM)
    log.join(60)
    tap.ok(st == 0, 'QEMU exits 0 on SIGTERM (status %s)' % st,
           q.output()[-2000:])
    summ = summary_fields(log.summary or '')
    tap.ok(bool(summ), 'the log ends with its summary', log.summary)
    if summ:
        tap.ok(log.counts['hit'] == summ['logged'],
               'hit records in the log (%d) = summary logged (%d)' %
               (log.counts['hit'], summ['logged']))
        tap.ok(log.dropped == summ['dropped'],
               'drop records add up (%d) to summary dropped (%d)' %
               (log.dropped, summ['dropped']))
        tap.ok(summ['hits'] == summ['logged'] + summ['dropped'],
               'hits (%d) = logged (%d) + dropped (%d)' %
               (summ['hits'], summ['logged'], summ['dropped']))
        tap.ok(summ['hits'] >= int(last['hits']) and
               summ['logged'] >= int(last['logged']),
               'the summary is at least the last stats (hits %s, logged %s)'
               % (last['hits'], last['logged']))
        tap.ok(log.other == 0 and summ['write_errors'] == 0,
               'no unknown lines, no write errors')
    tap.diag('figures: %d clients, %d requests in %.1f s; %s hits, %s '
             'logged, %s dropped; log %.1f MB' %
             (args.clients, sent, elapsed, summ.get('hits'),
              summ.get('logged'), summ.get('dropped'), log.bytes / 1e6))
    tap.done()


if __name__ == '__main__':
    main()
