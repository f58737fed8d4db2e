#!/usr/bin/env python3
"""libqinsn-seed.so itself on the riscv64 guests (TAP): arguments refused
at install, plugins refused or accepted, the log, flushing from a
plugin's own thread.

Usage: test_layer.py GUEST SPIN_GUEST NAME PATH...

NAME PATH pairs: layer, the test plugins refuse, noinit, unresolved,
initonly, lateflush, and the trace example.

  refused    unknown or repeated arguments, no plugin=, a plugin that
             cannot be loaded, lacks plugin_init, needs a qemulib function
             that does not exist or whose plugin_init returns false: QEMU
             exits non-zero with a message naming the problem, the guest
             never starts
  accepted   a plugin with plugin_init only; args with spaces and commas;
             the log on stderr by default
  flush      qemulib_flush_tb() from a thread of the plugin (the layer's
             per-block flag on stock QEMU), on the spin guest, -smp 1 and 4;
             again on the patched QEMU when QINSN_PATCHED_QEMU names it
  smp        every vCPU of -smp 4 calls the plugin
  one copy   a second copy of the layer is refused
"""

import os
import shutil
import sys

import seedlib
from seedlib import Work

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "pylib"))
from qinsntest import Tap, patched_binary, symbols  # noqa: E402

ARCH = "riscv64"
STARTED = "qinsn probes"


def refused(tap, guest, option, want, name, also=None):
    r = seedlib.run_guest(ARCH, guest, option, timeout=30)
    good = r.status not in (0, None) and want in r.err and \
        STARTED not in r.out and (also is None or also in r.err)
    tap.ok(good, "refused: %s" % name, "want %r\n%s" % (want, r.describe()))


def check_refusals(tap, guest, p, work):
    layer, initonly = p["layer"], p["initonly"]
    text = work.path("not-a-plugin.so")
    with open(text, "w") as f:
        f.write("not an ELF file\n")
    missing = os.path.join(work.dir, "missing.so")
    cases = [
        ("unknown argument",
         "%s,plugin=%s,bogus=1" % (layer, initonly),
         "qinsn-seed: unknown argument 'bogus' (known: plugin, args, log)"),
        ("no plugin=", "%s,args=x" % layer,
         "qinsn-seed: missing plugin=PATH"),
        ("empty plugin=", "%s,plugin=" % layer,
         "qinsn-seed: plugin=: empty path"),
        ("plugin file missing", "%s,plugin=%s" % (layer, missing),
         "qinsn-seed: plugin=%s: cannot load it" % missing),
        ("plugin file not a shared object",
         "%s,plugin=%s" % (layer, text),
         "qinsn-seed: plugin=%s: cannot load it" % text),
        ("plugin without plugin_init",
         "%s,plugin=%s" % (layer, p["noinit"]),
         "qinsn-seed: plugin=%s: not a plugin of this API: it does not "
         "export plugin_init" % p["noinit"]),
        ("plugin needing a qemulib function that does not exist",
         "%s,plugin=%s" % (layer, p["unresolved"]),
         "undefined symbol: qemulib_no_such_function"),
        ("plugin= twice",
         "%s,plugin=%s,plugin=%s" % (layer, initonly, initonly),
         "qinsn-seed: plugin= given twice"),
        ("args= twice",
         "%s,plugin=%s,args=a,args=b" % (layer, initonly),
         "qinsn-seed: args= given twice"),
        ("log= in a missing directory",
         "%s,plugin=%s,log=/nonexistent/dir/seed.log" % (layer, initonly),
         "qinsn-seed: log=/nonexistent/dir/seed.log: cannot open"),
        ("a single comma inside args=",
         "%s,plugin=%s,args=a,b" % (layer, initonly),
         "qinsn-seed: unknown argument 'b'"),
    ]
    for name, option, want in cases:
        refused(tap, guest, option, want, name)
    # The hint for the comma case.
    refused(tap, guest, "%s,plugin=%s,args=a,b" % (layer, initonly),
            "a comma inside args= is written ',,'", "the comma hint")

    log = work.path("refuse.log")
    option = seedlib.layer_option(layer, p["refuse"], "why not", log)
    r = seedlib.run_guest(ARCH, guest, option, log, timeout=30)
    tap.ok(r.status not in (0, None) and STARTED not in r.out and
           ("qinsn-seed: plugin=%s: plugin_init returned false" % p["refuse"])
           in r.err, "refused: plugin_init returns false; QEMU names the "
           "plugin and exits", r.describe())
    tap.ok(r.log == "refuse: this plugin never runs (args 'why not')\n",
           "refused: the plugin's own reason reaches the log, and nothing "
           "of it runs", r.describe())


def check_accepted(tap, guest, p, work):
    layer, initonly = p["layer"], p["initonly"]
    log = work.path("initonly.log")
    args = "two words, a comma; and more"
    r = seedlib.run_guest(ARCH, guest, seedlib.layer_option(
        layer, initonly, args, log), log)
    tap.ok(r.status == 0 and "PASS" in r.out, "a plugin with plugin_init "
           "only: the guest runs to its end", r.describe())
    tap.ok(r.log == "initonly: args '%s'\n" % args, "plugin_init gets args= "
           "whole (spaces, a ',,' comma, ';')", r.describe())

    r = seedlib.run_guest(ARCH, guest, "%s,plugin=%s" % (layer, initonly))
    tap.ok(r.status == 0 and "initonly: args ''\n" in r.err,
           "without log= the log is stderr; without args= plugin_init gets "
           "''", r.describe())


def check_thread_flush(tap, spin, p, work, qemu=None):
    syms = symbols(spin)
    trig, target = syms["spin_loop_head"][0], syms["spin_tick"][0]
    for smp in (1, 4):
        log = work.path("lateflush.log")
        option = seedlib.layer_option(p["layer"], p["lateflush"],
                                      "0x%x:0x%x" % (trig, target), log)
        r = seedlib.run_until(ARCH, spin, option, log, "lateflush: done",
                              extra=["-smp", str(smp)], qemu=qemu)
        want = ["lateflush: flushing from a thread of the plugin"] + \
            ["lateflush pc=0x%x hit=%d" % (target, k) for k in (1, 2, 3)] + \
            ["lateflush: done"]
        got = r.lines("lateflush")
        if smp > 1:
            # vCPU threads log concurrently: the same lines, in any order
            got, want = sorted(got), sorted(want)
        tap.ok(got == want, "%s-smp %d: qemulib_flush_tb "
               "from a plugin's own thread instruments code translated "
               "before it" % ("patched QEMU " if qemu else "", smp),
               r.describe())


def check_smp(tap, guest, p, work):
    """Every vCPU runs the plugin: probe_hart's 15 hits under -smp 4."""
    hart = symbols(guest)["probe_hart"][0]
    log = work.path("trace-smp.log")
    option = seedlib.layer_option(p["layer"], p["trace"],
                                  "0x%x;regs=10:11" % hart, log)
    r = seedlib.run_guest(ARCH, guest, option, log, extra=["-smp", "4"])
    got = sorted(l.split()[3:] for l in r.lines("trace "))
    want = sorted(["r10=0x%x" % h, "r11=0x%x" % i]
                  for h in (1, 2, 3) for i in range(5))
    tap.ok(r.status == 0 and got == want, "-smp 4: the 15 probe_hart hits "
           "of harts 1-3, with their arguments", r.describe())


def check_one_copy(tap, guest, p, work):
    copy = work.path("libqinsn-seed-copy.so")
    shutil.copyfile(p["layer"], copy)
    r = seedlib.run_guest(ARCH, guest, [
        "%s,plugin=%s" % (p["layer"], p["initonly"]),
        "%s,plugin=%s" % (copy, p["initonly"])], timeout=30)
    tap.ok(r.status not in (0, None) and STARTED not in r.out and
           "qinsn-seed: another copy of the layer is already loaded" in
           r.err, "a second copy of the layer is refused", r.describe())


def main(argv):
    guest, spin = argv[1:3]
    p = seedlib.named_args(argv[3:])
    tap = Tap()
    work = Work("layer")
    check_refusals(tap, guest, p, work)
    check_accepted(tap, guest, p, work)
    check_thread_flush(tap, spin, p, work)
    check_smp(tap, guest, p, work)
    patched = patched_binary("qemu-system-" + ARCH, required=False)
    if patched:
        check_thread_flush(tap, spin, p, work, patched)
    check_one_copy(tap, guest, p, work)
    tap.done()


if __name__ == "__main__":
    main(sys.argv)
