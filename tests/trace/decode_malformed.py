#!/usr/bin/env python3
"""qinsn decode of traces that are not whole: each refusal names the file
and the byte offset (exit status 2); a trace cut short by a killed QEMU is
printed as far as it goes, with a word on stderr (exit status 1).

A good trace of the riscv64 probe guest is copied and damaged: a stream
file truncated, a packet's magic overwritten, a hit of a watch nobody
defined, metadata that is not TSDL, no metadata, no control stream, a
stray file.  The cut-short trace is real: the spin guest killed with
SIGKILL while it writes one.

Usage: decode_malformed.py PLUGIN PROBE_GUEST SPIN_GUEST QINSN
"""

import os
import shutil
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import Tap, skip_all, start_guest, symbol, workdir  # noqa: E402
from tracelib import decode, run_guest, text_hit  # noqa: E402

PREFIX = 88     # packet header and context, padded to 8 bytes
EVENT = PREFIX + 4      # the first event's record, after its length
FRAME = 64      # a hit of a0, a1: length, 20 + 21 + 16 bytes, padding


def damaged(good, work, name, change):
    """A copy of the trace @good, changed by @change(dir)."""
    path = os.path.join(work, name)
    shutil.copytree(good, path)
    change(path)
    return path


def truncate(path, size):
    with open(path, 'r+b') as f:
        f.truncate(size)


def patch(path, off, data):
    with open(path, 'r+b') as f:
        f.seek(off)
        f.write(data)


def expect(t, qinsn, trace, status, words, name):
    st, out, err = decode(qinsn, trace)
    t.eq(st, status, '%s: exit status %d' % (name, status))
    t.ok(all(w in err for w in words), '%s: the message says %s'
         % (name, ', '.join(repr(w) for w in words)), err)
    return out, err


def main():
    plugin, probes, spin, qinsn = sys.argv[1:5]
    if not shutil.which('qemu-system-riscv64'):
        skip_all('qemu-system-riscv64 not installed')
    t = Tap()
    work = workdir('malformed')
    good = os.path.join(work, 'good')
    st, _ = run_guest('riscv64', plugin, probes, work,
                      ['watch=0x%x' % symbol(probes, 'probe_loop'),
                       'regs=a0:a1', 'sock=none', 'format=ctf',
                       'log=' + good])
    t.eq(st, 0, 'a good trace to damage')
    expect(t, qinsn, good, 0, [], 'the good trace')
    cpu0 = os.path.join(good, 'cpu0')
    size = os.path.getsize(cpu0)

    d = damaged(good, work, 'truncated',
                lambda p: truncate(os.path.join(p, 'cpu0'), size - 10))
    expect(t, qinsn, d, 2, ['truncated/cpu0: byte offset %d:' % (size - 10),
                            'cut short'], 'a stream file truncated')
    d = damaged(good, work, 'short-header',
                lambda p: truncate(os.path.join(p, 'cpu0'), 40))
    expect(t, qinsn, d, 2, ['short-header/cpu0: byte offset 40:',
                            'inside a packet header'],
           'a stream file cut in its packet header')
    d = damaged(good, work, 'magic',
                lambda p: patch(os.path.join(p, 'cpu0'), 0, b'\0\0\0\0'))
    expect(t, qinsn, d, 2, ['magic/cpu0: byte offset 0:',
                            'no packet starts here'], 'a broken magic')
    d = damaged(good, work, 'watch',
                lambda p: patch(os.path.join(p, 'cpu0'), EVENT,
                                struct.pack('<I', 16 + 99)))
    expect(t, qinsn, d, 2, ['watch/cpu0: byte offset %d:' % EVENT,
                            'hit of watch 99, which no earlier watch record '
                            'defines'], 'a hit of an unknown watch')
    d = damaged(good, work, 'order',
                lambda p: patch(os.path.join(p, 'cpu0'), EVENT + 12,
                                struct.pack('<Q', 1 << 40)))
    # the second hit is out
    expect(t, qinsn, d, 2, ['order/cpu0: byte offset %d:' % (EVENT + FRAME
                                                             + 12),
                            'numbers go up in a stream'],
           'sequence numbers going down in a stream')
    d = damaged(good, work, 'length',
                lambda p: patch(os.path.join(p, 'cpu0'), PREFIX,
                                struct.pack('<I', 58)))
    expect(t, qinsn, d, 2, ['length/cpu0: byte offset %d:' % PREFIX,
                            'has length 58, but its record takes 57 bytes'],
           'an event length that is not its record\'s')
    d = damaged(good, work, 'long',
                lambda p: patch(os.path.join(p, 'cpu0'), PREFIX,
                                struct.pack('<I', 1 << 30)))
    expect(t, qinsn, d, 2, ['long/cpu0: byte offset %d:' % PREFIX,
                            'longer than what is left of its packet'],
           'an event length beyond its packet')
    d = damaged(good, work, 'size',
                lambda p: patch(os.path.join(p, 'cpu0'), 48,
                                struct.pack('<Q', 8 * (size + 1))))
    expect(t, qinsn, d, 2, ['size/cpu0: byte offset 48:', 'content size'],
           'a content size larger than the packet')

    def garbage(p):
        with open(os.path.join(p, 'metadata'), 'wb') as f:
            f.write(os.urandom(512).replace(b'\0', b'x'))
    d = damaged(good, work, 'garbage', garbage)
    expect(t, qinsn, d, 2, ['garbage/metadata: byte offset 0:',
                            'not the metadata of a CTF 1.8 trace'],
           'metadata that is not TSDL')

    def older(p):
        path = os.path.join(p, 'metadata')
        with open(path) as f:
            text = f.read()
        with open(path, 'w') as f:
            f.write(text.replace('    qinsn_trace_layout = 2;\n', ''))
    d = damaged(good, work, 'older', older)
    expect(t, qinsn, d, 2, ['older/metadata: trace layout 1',
                            'decode the trace with the qinsn that wrote it'],
           'a trace of the earlier layout')
    d = damaged(good, work, 'nometa',
                lambda p: os.unlink(os.path.join(p, 'metadata')))
    expect(t, qinsn, d, 2, ['nometa/metadata: missing',
                            'not a CTF trace directory'],
           'no metadata')
    d = damaged(good, work, 'nocontrol',
                lambda p: os.unlink(os.path.join(p, 'control')))
    expect(t, qinsn, d, 2, ['nocontrol/control: missing'],
           'no control stream')
    d = damaged(good, work, 'stray',
                lambda p: open(os.path.join(p, 'notes.txt'), 'w').close())
    expect(t, qinsn, d, 2, ['stray/notes.txt: not a stream'],
           'a file that is no stream')
    expect(t, qinsn, os.path.join(work, 'absent'), 2, ['absent/metadata'],
           'a directory that does not exist')

    # a real trace cut short: QEMU killed while it writes
    cut = os.path.join(work, 'cut')
    q = start_guest('riscv64', plugin, spin, work,
                    ['watch=0x%x' % symbol(spin, 'spin_rare'), 'regs=a0',
                     'sock=none', 'format=ctf', 'log=' + cut],
                    tag='cut')
    end = time.monotonic() + 60
    while time.monotonic() < end:
        if (os.path.exists(os.path.join(cut, 'cpu0')) and
                os.path.getsize(os.path.join(cut, 'cpu0')) > 4096):
            break
        time.sleep(0.1)
    time.sleep(0.5)
    q.stop(signal.SIGKILL)
    out, err = expect(t, qinsn, cut, 1, ['no summary record', 'cut short'],
                      'a trace of a killed QEMU')
    hits = [h for h in map(text_hit, out.decode().splitlines()) if h]
    t.ok(len(hits) > 0 and [h[2] for h in hits] ==
         list(range(1, len(hits) + 1)),
         'a trace cut short: its %d hits are printed, 1..N' % len(hits))
    t.ok('printed the %d records' % len(out.decode().splitlines()) in err,
         'a trace cut short: the message counts the records printed', err)
    t.done()


main()
