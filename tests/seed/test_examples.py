#!/usr/bin/env python3
"""The example plugins of the qemulib API under libqinsn-seed.so, on the
probe guest of one architecture, with exact expected output (TAP).

Usage: test_examples.py ARCH GUEST EXPECTED NAME PATH...

NAME PATH pairs: layer (libqinsn-seed.so), the examples count, trace,
stopafter, follow, memtrace, and the test plugins allinsn and apicheck.

  trace      registers at every probe label equal expected-ARCH.txt, the
             PC register reads each instruction's own address (mid-block
             too), flags exact where the target keeps them (aarch64) and
             announced as stale where it does not (x86_64 on stock QEMU),
             the string at probe_str read from guest memory
  count      executions of probe_loop_run and of one instruction
  stopafter  3 hits, then asked and declined at each later execution
  follow     code translated before the trigger is flushed and
             instrumented on its next execution
  memtrace   probe_mem's loads and stores with address, size and value;
             the string loads of probe_str
  allinsn    no plugin_needs_before_insn: every instruction instrumented
  apicheck   edge cases of the qemulib functions
  bad args   each example refuses malformed args: QEMU exits, the log
             names the usage

With QINSN_PATCHED_QEMU set to the prefix qemu-patch/build prints, trace
and follow run again on the patched QEMU where it has the architecture:
eflags exact there, and its own flush path.
"""

import os
import re
import sys

import seedlib
from seedlib import ARCH, UNREADABLE, Work

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "pylib"))
from qinsntest import (Tap, patched_binary, read_expected,
                       symbols)  # noqa: E402

# Instructions run by probe_loop_run: set-up, 10 loop bodies, the return.
LOOP_RUN_COUNT = {
    "riscv64": 3 + 10 * 4 + 2,
    "aarch64": 3 + 10 * 5 + 2,
    "x86_64": 2 + 10 * 6 + 2,
}

TRACE_RE = re.compile(r"^trace pc=(0x[0-9a-f]+) hit=(\d+)((?: r\d+=\S+)*)"
                      r"(?: str=(.*))?$")


class Ctx:
    def __init__(self, argv):
        self.arch, self.guest, self.expected = argv[1:4]
        self.paths = seedlib.named_args(argv[4:])
        self.a = ARCH[self.arch]
        self.syms = symbols(self.guest)
        self.work = Work(self.arch)
        self.tap = Tap()
        # QEMU binary and test-name prefix: stock QEMU unless patched
        self.qemu = None
        self.name = self.arch

    def use_patched(self, qemu):
        self.qemu = qemu
        self.name = "patched " + self.arch

    def addr(self, name):
        return self.syms[name][0]

    def end(self, name):
        return self.syms[name][0] + self.syms[name][1]

    def run(self, plugin, args, what):
        """Run the guest with @plugin; @what names the run in the TAP."""
        log = self.work.path(plugin + ".log")
        opt = seedlib.layer_option(self.paths["layer"], self.paths[plugin],
                                   args, log)
        r = seedlib.run_guest(self.arch, self.guest, opt, log,
                              qemu=self.qemu)
        self.tap.ok(r.status == self.a["pass"],
                    "%s %s %s: the guest runs to its end" %
                    (self.name, plugin, what), r.describe())
        return r


def check_trace(c, rows, flags):
    labels = []
    for label, _, _ in rows:
        if label not in labels:
            labels.append(label)
    regs = {c.a["names"][n] for _, _, rv in rows for n in rv}
    regs.add(c.a["pc"])
    if c.a["flags"] is not None:
        regs.add(c.a["flags"])
    args = "%s;regs=%s;str=%d" % (
        ":".join("0x%x" % c.addr(l) for l in labels),
        ":".join(str(r) for r in sorted(regs)), c.a["args"][0])
    r = c.run("trace", args, "every probe label")
    by_pc = {c.addr(l): l for l in labels}
    hits = []
    for line in r.lines("trace "):
        m = TRACE_RE.match(line)
        if not m:
            continue
        vals = dict(kv.split("=") for kv in m.group(3).split())
        hits.append((by_pc.get(int(m.group(1), 16)), int(m.group(2)),
                     int(m.group(1), 16), vals, m.group(4)))
    c.tap.ok([(h[0], h[1]) for h in hits] == [(l, n) for l, n, _ in rows],
             "%s trace: %d hits in the order of expected-%s.txt" %
             (c.name, len(rows), c.arch), r.describe())
    for label in labels:
        want = [(n, rv) for l, n, rv in rows if l == label]
        got = [(h[1], h[3]) for h in hits if h[0] == label]
        good = len(got) == len(want)
        for (n, rv), (gn, gv) in zip(want, got):
            for name, value in rv.items():
                key = "r%d" % c.a["names"][name]
                good = good and gn == n and gv.get(key) == value
        c.tap.ok(good, "%s trace %s: registers at %d hits" %
                 (c.name, label, len(want)),
                 "want %s\ngot  %s" % (want, got))
    pc_key = "r%d" % c.a["pc"]
    bad = [h for h in hits if h[3].get(pc_key) != "0x%x" % h[2]]
    c.tap.ok(hits and not bad, "%s trace: the PC register reads the "
             "instruction's own address, probe_mid included" % c.name,
             "wrong: %s" % bad)
    strs = [h[4] for h in hits if h[0] == "probe_str"]
    c.tap.ok(strs == ['"hello qinsn"'], "%s trace: the string at "
             "probe_str read from guest memory" % c.name, strs)
    note = [l for l in r.log.splitlines() if "eflags read at" in l]
    if c.arch == "x86_64" and not c.qemu:
        # Stock QEMU: lazily computed flags; the layer says so, once.
        c.tap.ok(len(note) == 1, "%s trace: eflags announced as stale once "
                 "on stock QEMU" % c.name, r.log[-2000:])
    elif flags:
        good = True
        for label, n, fv in flags:
            for name, value in fv.items():
                key = "r%d" % c.a["names"][name]
                got = [h[3].get(key) for h in hits
                       if h[0] == label and h[1] == n]
                good = good and got == [value]
        c.tap.ok(good and not note, "%s trace: flags exact in the middle of "
                 "a block" % c.name, r.log[-2000:])


def check_count(c):
    start, end = c.addr("probe_loop_run"), c.end("probe_loop_run")
    r = c.run("count", "0x%x..0x%x" % (start, end), "probe_loop_run")
    want = "count: %d executions in [0x%x, 0x%x)" % (
        LOOP_RUN_COUNT[c.arch], start, end)
    c.tap.ok(r.lines("count:") == [want], "%s count: probe_loop_run runs "
             "%d instructions" % (c.name, LOOP_RUN_COUNT[c.arch]),
             r.describe())
    pa = c.addr("probe_args")
    r = c.run("count", "0x%x" % pa, "probe_args")
    want = "count: 3 executions in [0x%x, 0x%x)" % (pa, pa + 1)
    c.tap.ok(r.lines("count:") == [want], "%s count: one instruction, "
             "probe_args, 3 times" % c.name, r.describe())


def check_stopafter(c):
    pc, a0 = c.addr("probe_loop"), c.a["args"][0]
    r = c.run("stopafter", "0x%x;n=3;reg=%d" % (pc, a0), "probe_loop")
    want = ["stopafter pc=0x%x hit=%d r%d=0x%x" % (pc, k + 1, a0, k)
            for k in range(3)]
    want.append("stopafter: 3 hits logged, declined 7 times after them")
    c.tap.ok(r.lines("stopafter") == want, "%s stopafter: 3 hits, then "
             "declined at the 7 later executions, no flush" % c.name,
             r.describe())


def check_follow(c):
    trig, target, a0 = c.addr("probe_mid_start"), c.addr("probe_mid"), \
        c.a["args"][0]
    r = c.run("follow", "0x%x:0x%x;reg=%d" % (trig, target, a0),
              "probe_mid_start:probe_mid")
    # probe_mid is in the block probe_mid_start begins, translated before
    # the trigger: only a flush gets the second call instrumented.
    want = ["follow: 0x%x reached, tracing 0x%x" % (trig, target),
            "follow pc=0x%x hit=1 r%d=0x1234" % (target, a0)]
    c.tap.ok(r.lines("follow") == want, "%s follow: the flush instruments "
             "code translated before the trigger" % c.name, r.describe())


def check_memtrace(c):
    start, end = c.addr("probe_mem"), c.end("probe_mem")
    buf = c.addr("probe_mem_buf")

    def pc(label):
        return c.addr("probe_mem_" + label)

    accesses = [
        (pc("sd"), "store", buf, 8, 0x1122334455667788),
        (pc("sw"), "store", buf + 8, 4, 0xaabbccdd),
        (pc("sh"), "store", buf + 12, 2, 0xeeff),
        (pc("sb"), "store", buf + 15, 1, 0x5a),
        (pc("ld"), "load", buf, 8, 0x1122334455667788),
        (pc("lbu"), "load", buf + 9, 1, 0xcc),
    ]
    if c.arch == "x86_64":
        accesses.append((pc("su"), "store", buf + 13, 8, 0xaabbccdd))

    def lines(acc):
        return ["mem pc=0x%x %s addr=0x%x size=%d value=0x%x" % a
                for a in acc]

    r = c.run("memtrace", "0x%x..0x%x;data=0x%x..0x%x" %
              (start, end, buf, buf + 32), "probe_mem")
    c.tap.ok(r.lines("mem ") == lines(accesses), "%s memtrace: probe_mem's "
             "%d accesses to its buffer" % (c.name, len(accesses)),
             r.describe())
    r = c.run("memtrace", "0x%x..0x%x;stores" % (start, end),
              "probe_mem stores")
    stores = [a for a in accesses if a[1] == "store"]
    c.tap.ok(r.lines("mem ") == lines(stores), "%s memtrace: only the %d "
             "stores" % (c.name, len(stores)), r.describe())
    text = b"hello qinsn"
    s, e = c.addr("probe_str"), c.end("probe_str")
    rows, _ = read_expected(c.expected)
    first = [n for n, g in c.a["names"].items() if g == c.a["args"][0]][0]
    addr = int([rv for l, _, rv in rows if l == "probe_str"][0][first], 16)
    r = c.run("memtrace", "0x%x..0x%x;data=0x%x..0x%x;loads" %
              (s, e, addr, addr + len(text)), "probe_str")
    got = []
    for line in r.lines("mem "):
        m = re.match(r"mem pc=(0x\w+) load addr=(0x\w+) size=1 "
                     r"value=(0x\w+)$", line)
        if m and s <= int(m.group(1), 16) < e:
            got.append((int(m.group(2), 16), int(m.group(3), 16)))
    c.tap.ok(got == [(addr + i, b) for i, b in enumerate(text)],
             "%s memtrace: probe_str loads \"hello qinsn\" byte by byte" %
             c.name, r.describe())


def check_allinsn(c):
    start, end = c.addr("probe_loop_run"), c.end("probe_loop_run")
    r = c.run("allinsn", "0x%x..0x%x" % (start, end), "probe_loop_run")
    m = [re.match(r"allinsn: (\d+) in range, (\d+) in all$", l)
         for l in r.lines("allinsn:")]
    good = len(m) == 1 and m[0] and \
        int(m[0].group(1)) == LOOP_RUN_COUNT[c.arch] and \
        int(m[0].group(2)) > 1000
    c.tap.ok(good, "%s allinsn: without plugin_needs_before_insn every "
             "instruction is instrumented" % c.name, r.describe())


APICHECKS = [
    "init-read-register-refused", "init-read-memory-refused",
    "init-flush-returns", "translate-pc", "translate-read-code", "exec-pc",
    "unknown-register", "negative-register", "null-register-buffer",
    "exec-read-code", "unreadable-memory", "zero-length-read",
    "negative-length-read", "null-memory-buffer", "page-crossing-read",
    "translation-handle-refused-at-execution",
]


def check_apicheck(c):
    r = c.run("apicheck", "0x%x;pc=%d;bad=0x%x" %
              (c.addr("probe_args"), c.a["pc"], UNREADABLE), "probe_args")
    lines = r.lines("apicheck: ")
    results = dict(l.split()[1:3] for l in lines
                   if len(l.split()) == 3 and l.split()[2] in ("ok", "FAIL"))
    for name in APICHECKS:
        c.tap.ok(results.get(name) == "ok", "%s apicheck: %s" %
                 (c.name, name), "result: %s" % results.get(name))
    long = [l for l in lines if l.startswith("apicheck: long ")]
    c.tap.ok(long == ["apicheck: long " + "x" * 1500], "%s qemulib_log: a "
             "1500-character line arrives whole" % c.name)
    log = r.log.splitlines()
    i = log.index("apicheck: one newline only") \
        if "apicheck: one newline only" in log else -1
    c.tap.ok(i >= 0 and log[i + 1:i + 2] == ["apicheck: done"],
             "%s qemulib_log: a final newline is not doubled" % c.name)
    c.tap.ok("qinsn-seed: qemulib_read_register: the cpu handle is only "
             "valid" in r.log, "%s: a handle used outside its call is "
             "reported in the log" % c.name, r.log[-1500:])


# Arguments each example must refuse, with the usage it names.
BAD_ARGS = [
    ("trace", "0x1000;frobnicate"),
    ("stopafter", "0x1000;n=0"),
    ("follow", "0x1000:0x1000"),
    ("follow", "0x1000:0x2000;reg=1;reg=2"),
    ("memtrace", "0x2000..0x1000"),
]


def check_bad_args(c):
    for plugin, args in BAD_ARGS:
        log = c.work.path(plugin + "-bad.log")
        opt = seedlib.layer_option(c.paths["layer"], c.paths[plugin], args,
                                   log)
        r = seedlib.run_guest(c.arch, c.guest, opt, log, qemu=c.qemu)
        said = r.lines("%s: bad args '%s'" % (plugin, args))
        c.tap.ok(r.status not in (None, c.a["pass"]) and len(said) == 1,
                 "%s %s refuses args '%s': QEMU exits, the log says why"
                 % (c.name, plugin, args), r.describe())


def main(argv):
    c = Ctx(argv)
    rows, flags = read_expected(c.expected)
    check_trace(c, rows, flags)
    check_count(c)
    check_stopafter(c)
    check_follow(c)
    check_memtrace(c)
    check_allinsn(c)
    check_apicheck(c)
    check_bad_args(c)
    # On the patched QEMU: exact flags, and its own flush path.
    patched = patched_binary("qemu-system-" + c.arch, required=False)
    if patched:
        c.use_patched(patched)
        check_trace(c, rows, flags)
        check_follow(c)
    c.tap.done()


if __name__ == "__main__":
    main(sys.argv)
