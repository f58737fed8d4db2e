#!/usr/bin/env python3
"""Run one libFuzzer harness for a short while and report it as TAP.

Usage: smoke.py FUZZER CORPUS_DIR [--seconds N] [--dict FILE]
       smoke.py --skip REASON

The fuzzer starts from the inputs in CORPUS_DIR (read only: new inputs go
to a scratch directory) and runs for N seconds (default: the environment's
QINSN_FUZZ_SECONDS, else 10).  A crash, leak or timeout fails the test; its
input is kept next to the fuzzer binary as crash-<harness>-<sha1> with the
command that adds it to the corpus, where the replay test keeps it fixed.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pylib'))
from qinsntest import Tap, skip_all  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('fuzzer', nargs='?')
    ap.add_argument('corpus', nargs='?')
    ap.add_argument('--seconds', type=int,
                    default=int(os.environ.get('QINSN_FUZZ_SECONDS', '10')))
    ap.add_argument('--dict', help='a libFuzzer dictionary of tokens')
    ap.add_argument('--skip')
    args = ap.parse_args()
    if args.skip:
        skip_all(args.skip)

    name = os.path.basename(args.fuzzer).removeprefix('fuzz-')
    keep = os.path.dirname(os.path.abspath(args.fuzzer))
    seeds = len(os.listdir(args.corpus))
    t = Tap()
    with tempfile.TemporaryDirectory(prefix='qinsn-fuzz-') as tmp:
        work = os.path.join(tmp, 'corpus')
        os.mkdir(work)
        cmd = [args.fuzzer, '-max_total_time=%d' % args.seconds,
               '-timeout=10', '-rss_limit_mb=2048', '-print_final_stats=1',
               '-artifact_prefix=' + tmp + '/']
        if args.dict:
            cmd.append('-dict=' + args.dict)
        cmd += [work, args.corpus]
        t.diag(' '.join(cmd))
        run = subprocess.run(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True,
                             errors='replace',
                             timeout=args.seconds + 120)
        out = run.stdout
        stat = dict(re.findall(r'^stat::(\w+):\s*(\d+)', out, re.M))
        execs = int(stat.get('number_of_executed_units', 0))
        cov = re.findall(r'cov: (\d+) ft: (\d+)', out)
        t.ok(execs, '%s: ran from %d corpus inputs' % (name, seeds))
        artifacts = [f for f in os.listdir(tmp) if f != 'corpus']
        good = run.returncode == 0 and not artifacts
        t.ok(good, '%s: %d executions in %d s (cov %s, ft %s, %d new '
             'inputs), no crash, leak or timeout' %
             (name, execs, args.seconds, cov[-1][0] if cov else '?',
              cov[-1][1] if cov else '?', len(os.listdir(work))),
             '\n'.join('  ' + line for line in out.splitlines()[-60:]))
        if not good:
            for f in artifacts:
                data = open(os.path.join(tmp, f), 'rb').read()
                kept = os.path.join(keep, 'crash-%s-%s' %
                                    (name, f.split('-', 1)[-1]))
                shutil.copy(os.path.join(tmp, f), kept)
                t.diag('input %s: %r' % (f, data[:512]))
                t.diag('kept as %s; once fixed, keep it as a regression:'
                       % kept)
                t.diag('  cp %s %s/' % (kept, args.corpus))
    t.done()


if __name__ == '__main__':
    sys.exit(main())
