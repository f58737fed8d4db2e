#!/usr/bin/env python3
"""The qinsn gdb commands against a real guest of one architecture (TAP).

Usage: test_gdb.py ARCH PLUGIN PROBE_GUEST SPIN_GUEST

  crosscheck  qinsn watches and gdb breakpoints on the same PCs: at the
              n-th stop gdb shows the registers qinsn logged at hit n
  free run    watches by symbol, FILE:LINE and *ADDRESS while the guest
              runs without stopping: the values of expected-ARCH.txt
  running     watches set while gdb holds the guest stopped (pending
              until it runs) and while it runs under 'continue &'
  names       gdb's register names and aliases map to the plugin's;
              computed and pseudo registers are refused; completion
"""

import sys

import gdbtest
from gdbtest import Qemu, Tap, in_gdb, run_gdb

ARCH = {
    "riscv64": {"args": ["a0", "a1", "a2"], "flags": None, "pc": "pc"},
    "aarch64": {"args": ["x0", "x1", "x2"], "flags": "cpsr", "pc": "pc"},
    "x86_64": {"args": ["rdi", "rsi", "rdx"], "flags": "eflags",
               "pc": "rip"},
}
# Known wrong values that the plugin does not mark stale (stock QEMU).
STALE_FLAGS = {
    "x86_64": "plugin reads eflags without the lazily computed arithmetic "
              "flags, at block starts too, and does not mark it stale",
}
LABELS = ["probe_args", "probe_loop", "probe_mid_start", "probe_mid",
          "probe_str", "probe_end"]


def crosscheck(tap, arch, plugin, guest, directory):
    spec = {"locations": LABELS, "end": "guest_exit"}
    with Qemu(arch, guest, plugin, directory, "cross") as qemu:
        spec["sock"] = qemu.sock
        run, res = in_gdb("gdb_crosscheck.py", spec, guest, qemu.port,
                          directory, "cross")
    if not tap.ok(res is not None and run.clean(),
                  "%s crosscheck: gdb script ran" % arch, run.text):
        return
    errors = [s for s in res["steps"] if "error" in s]
    tap.ok(not errors, "%s crosscheck: qinsn commands succeeded" % arch,
           repr(errors))
    regs, stops, hits = res["regs"], res["stops"], res["hits"]
    tap.ok(ARCH[arch]["pc"] in regs and len(regs) >= 17,
           "%s crosscheck: %d general registers logged" % (arch, len(regs)),
           repr(regs))
    flags = ARCH[arch]["flags"]
    ids = {}
    for watch, addr in res["watches"].items():
        ids.setdefault(addr, []).append(int(watch))
    tap.ok(len(ids) == len(LABELS) and len(stops) >= 2 * len(LABELS),
           "%s crosscheck: %d stops at %d watched PCs" %
           (arch, len(stops), len(ids)), repr(res["watches"]))
    by_key = {(h["watch"], h["hit"]): h for h in hits}
    for stop in stops:
        name = "%s crosscheck: %s hit %d" % (
            arch, gdbtest.symbolic(guest, stop["pc"]), stop["n"])
        found = [by_key.get((w, stop["n"])) for w in ids[stop["pc"]]]
        if None in found:
            tap.ok(False, name, "no hit reported")
            continue
        logged, stale = {}, set()
        for hit in found:
            logged.update(hit["regs"])
            stale.update(hit["stale"])
        diffs = ["%s: gdb %#x, qinsn %#x" % (r, v, logged.get(r, -1))
                 for r, v in stop["regs"].items()
                 if r != flags and logged.get(r) != v]
        tap.ok(not diffs and found[0]["pc"] == stop["pc"],
               name + ": %d registers equal gdb's" %
               (len(stop["regs"]) - bool(flags)), "\n".join(diffs))
        if not flags:
            continue
        if flags in stale:
            tap.ok(True, name + ": %s marked stale, not compared" % flags)
            continue
        tap.ok(logged.get(flags) == stop["regs"][flags],
               name + ": %s equals gdb's" % flags,
               "gdb %#x, qinsn %#x" % (stop["regs"][flags],
                                       logged.get(flags, -1)),
               todo=STALE_FLAGS.get(arch))
    expected = sum(len(ids[stop["pc"]]) for stop in stops)
    tap.ok(len(hits) == expected,
           "%s crosscheck: one hit per stop and watch (%d hits)" %
           (arch, len(hits)), "expected %d" % expected)
    logged = [r for r in qemu.log_records() if r["type"] == "hit"]
    same = [(r["watch"], r["hit"]) in by_key and
            {k: int(v, 16) for k, v in r["regs"].items()} ==
            by_key[(r["watch"], r["hit"])]["regs"] for r in logged]
    tap.ok(len(logged) == len(hits) and all(same),
           "%s crosscheck: the log file holds the same %d records" %
           (arch, len(logged)))


def freerun_spec(arch, guest):
    """One watch per probe label, each located a different way."""
    values, flags = gdbtest.expected_values(arch)
    where = {
        "probe_args": "probe_args",
        "probe_loop": gdbtest.source_line(arch, "probe_loop"),
        "probe_mid_start": "*probe_mid_start",
        "probe_mid": "*%#x" % gdbtest.address(guest, "probe_mid"),
        "probe_str": "probe_str",
        "probe_end": "probe_end",
    }
    watches = []
    for label, loc in where.items():
        regs = set()
        for (lab, _), regs_at in list(values.items()) + list(flags.items()):
            if lab == label:
                regs.update(regs_at)
        watches.append({"label": label, "loc": loc,
                        "regs": ["$" + r for r in sorted(regs)] + ["$pc"]})
    return watches, values, flags


def freerun(tap, arch, plugin, guest, directory):
    watches, values, flags = freerun_spec(arch, guest)
    spec = {"watches": watches, "main": "guest_main"}
    with Qemu(arch, guest, plugin, directory, "free") as qemu:
        spec["sock"] = qemu.sock
        run, res = in_gdb("gdb_freerun.py", spec, guest, qemu.port,
                          directory, "free")
    if not tap.ok(res is not None and run.clean(),
                  "%s free run: gdb script ran" % arch, run.text):
        return
    page = gdbtest.address(guest, "probe_args") >> 12
    tap.ok(res["stopped_at"] == res["return"] and
           res["return"] >> 12 != page,
           "%s free run: stopped after guest_main, off the probes' page" %
           arch, "%#x %#x" % (res["stopped_at"], res["return"]))
    steps = {s["cmd"].split()[1]: s for s in res["steps"]
             if s["cmd"].startswith("qinsn-watch")}
    for watch in watches:
        step = steps[watch["loc"]]
        ids = res["ids"][watch["label"]]
        tap.ok(len(ids) == 1 and "live (gen" in step.get("out", ""),
               "%s free run: qinsn-watch %s is live at once (guest not run "
               "yet)" % (arch, watch["loc"]), repr(step))
    ids = {label: found[0] for label, found in res["ids"].items() if found}
    hits = {(h["watch"], h["hit"]): h for h in res["hits"]}
    pc_name = ARCH[arch]["pc"]
    for (label, n), want in sorted(values.items()):
        watch, addr = ids.get(label, (None, None))
        hit = hits.get((watch, n))
        name = "%s free run: %s hit %d" % (arch, label, n)
        if not tap.ok(hit is not None, name + " reported", repr(ids)):
            continue
        got = {r: hit["regs"].get(r) for r in want}
        tap.ok(got == want, name + ": %s as expected" % ",".join(sorted(want)),
               "got %r, want %r" % (got, want))
        tap.ok(hit["regs"].get(pc_name) == addr and pc_name not in
               hit["stale"], name + ": %s is the watched address" % pc_name,
               "got %r at %#x" % (hit["regs"].get(pc_name), addr))
    for (label, n), want in sorted(flags.items()):
        watch = ids.get(label, (None,))[0]
        hit = hits.get((watch, n)) or {"regs": {}, "stale": []}
        for reg, value in want.items():
            name = "%s free run: %s hit %d: %s" % (arch, label, n, reg)
            if reg in hit["stale"]:
                tap.ok(True, name + " marked stale (mid-block, stock QEMU)")
            else:
                tap.ok(hit["regs"].get(reg) == value, name + " as expected",
                       "got %r, want %#x" % (hit["regs"].get(reg), value),
                       todo=STALE_FLAGS.get(arch))
    shown = [s for s in res["steps"] if s["cmd"] == "qinsn-hits 100"][0]
    args_addr = ids["probe_args"][1]
    tap.ok("%s=%#x <probe_args>" % (pc_name, args_addr) in
           shown.get("out", ""),
           "%s free run: qinsn-hits shows %s with its symbol" %
           (arch, pc_name), shown.get("out", shown.get("error")))
    if arch == "x86_64":    # gdb gives aarch64's cpsr a plain int type
        tap.ok("eflags=0x" in shown.get("out", "") and
               "[ " in shown.get("out", ""),
               "%s free run: qinsn-hits shows flags by name" % arch)


def running(tap, arch, plugin, spin, directory):
    spec = {"args": ARCH[arch]["args"]}
    with Qemu(arch, spin, plugin, directory, "run") as qemu:
        spec["sock"] = qemu.sock
        run, res = in_gdb("gdb_running.py", spec, spin, qemu.port,
                          directory, "run")
    if not tap.ok(res is not None and run.clean(),
                  "%s running: gdb script ran" % arch, run.text):
        return
    out = {}
    for step in res["steps"]:
        out.setdefault(step["cmd"].split()[0], []).append(
            step.get("out", "") + step.get("error", ""))
    a0, a1, a2 = ARCH[arch]["args"]
    pid = res["pending_id"]
    tap.ok(pid is not None and
           "Watch %d at" % pid in out["qinsn-watch"][0] and
           "pending until the guest runs" in out["qinsn-watch"][0],
           "%s running: qinsn-watch while stopped returns, pending" % arch,
           repr(out["qinsn-watch"][0]))
    tap.ok(" pending " in out["qinsn-list"][0] and
           "waiting for the guest to run: %s" % pid in out["qinsn-status"][0],
           "%s running: qinsn-list and qinsn-status show it pending" % arch,
           out["qinsn-list"][0] + out["qinsn-status"][0])
    live = "qinsn: watch %d at" % pid
    said = "".join(s.get("out", "") for s in res["steps"]) + run.out
    tap.ok(said.count(live) == 1 and "is live (gen" in said,
           "%s running: gdb announces the watch live once it ran" % arch,
           said)
    hits = res["pending_hits"]
    tap.ok(res["hits_while_stopped"] == 0 and len(hits) == 5 and
           all(h["regs"][a1] == 0x5a5a for h in hits) and
           [h["regs"][a0] - hits[0]["regs"][a0] for h in hits] ==
           list(range(5)),
           "%s running: 5 hits (count=5) beside gdb's breakpoint" % arch,
           repr(hits))
    tap.ok(" done " in out["qinsn-list"][1],
           "%s running: the spent watch is listed done" % arch,
           out["qinsn-list"][1])
    hits = res["pc_hits"]
    tap.ok("pending until the guest runs" in out["qinsn-watch"][1] and
           len(hits) == 1 and hits[0]["pc"] == res["spin_rare"] and
           hits[0]["regs"][a0] % 1024 == 0,
           "%s running: qinsn-watch $pc at a breakpoint, once" % arch,
           out["qinsn-watch"][1] + repr(hits))
    tap.ok(all("live (gen" in text for text in out["qinsn-watch"][2:]),
           "%s running: qinsn-watch under 'continue &' waits until live" %
           arch, repr(out["qinsn-watch"][2:]))
    hits = res["cond_hits"]
    tap.ok(len(hits) == 3 and
           all(h["regs"][a0] > 0x10 and h["regs"][a1] == 3 * h["regs"][a0]
               and h["regs"][a2] == 0 for h in hits),
           "%s running: 'if %s > 0x10' count=3 gives 3 matching hits" %
           (arch, a0), repr(hits))
    hits = res["str_hits"]
    tap.ok(len(hits) == 1 and hits[0]["regs"][a0] == res["spin_text"] and
           hits[0]["regs"][a1] == 4,
           "%s running: once gives one hit at spin_str" % arch, repr(hits))
    before, disabled, enabled = res["toggle"]
    tap.ok(before > 0 and disabled == before and enabled > disabled,
           "%s running: qinsn-disable stops hits, qinsn-enable resumes" %
           arch, repr(res["toggle"]))
    tap.ok(res["marks"] == ["running-mark"],
           "%s running: qinsn-mark comes back as an event" % arch,
           repr(res["marks"]))
    tap.ok(out["qinsn-unwatch"][0].startswith("Removed 1 watch.") and
           out["qinsn-unwatch"][1].startswith("Removed 4 watches.") and
           "No qinsn watches" in out["qinsn-list"][-1],
           "%s running: qinsn-unwatch ID, then all" % arch,
           repr(out["qinsn-unwatch"]) + out["qinsn-list"][-1])


# qinsn-log arguments -> the plugin names they must map to.
NAMES = {
    "riscv64": [("$s0 x8 #8 fp", "fp, fp, fp, fp"),
                ("x10 $a0 #10 a1", "a0, a0, a0, a1"),
                ("$pc $sp zero x0 f0 fa0", "pc, sp, zero, zero, ft0, fa0")],
    "aarch64": [("lr ip0 ip1 $x30", "x30, x16, x17, x30"),
                ("$pc sp cpsr x29 #32 #33", "pc, sp, cpsr, x29, pc, cpsr")],
    "x86_64": [("$pc $sp $ps", "rip, rsp, eflags"),
               ("#16 #17 rbp fs_base #24", "rip, eflags, rbp, fs_base, "
                "fs_base")],
}
# names gdb shows differently from any one register -> the error
REFUSED = {
    "riscv64": [("$ps", "gdb has no $ps on riscv64"),
                ("nosuch", "unknown register 'nosuch' for riscv64"),
                ("#4000", "riscv64 has no register with remote number")],
    "aarch64": [("$fp", "frame base gdb computes, not a register; name x29"),
                ("w0", "w0 is a pseudo-register gdb computes"),
                ("$ps", "gdb has no $ps on aarch64; name cpsr")],
    "x86_64": [("$fp", "frame base gdb computes, not a register; name rbp"),
               ("eax", "eax is a pseudo-register gdb computes"),
               ("#", "'#' must be followed by a gdb remote register number")],
}
COMPLETE = {
    "riscv64": ("qinsn-log $a", "qinsn-log $a0", "regs=a0,t", "regs=a0,t0"),
    "aarch64": ("qinsn-log x3", "qinsn-log x30", "regs=x0,c", "regs=x0,cpsr"),
    "x86_64": ("qinsn-log ri", "qinsn-log rip", "regs=rdi,efl",
               "regs=rdi,eflags"),
}


def names(tap, arch, plugin, spin, directory):
    log_cmd, log_want, regs_word, regs_want = COMPLETE[arch]
    with Qemu(arch, spin, plugin, directory, "names") as qemu:
        commands = ["qinsn-connect " + qemu.sock]
        commands += ["qinsn-log " + args for args, _ in NAMES[arch]]
        commands += ["complete " + log_cmd,
                     "complete qinsn-watch spin_f",
                     "complete qinsn-watch spin_fn " + regs_word]
        run = run_gdb(commands, elf=spin, port=qemu.port)
        tap.ok(run.rc == 0 and run.clean() and
               "same numbering as gdb's target" in run.out,
               "%s names: qinsn-connect checks the register numbering" %
               arch, run.text)
        for args, want in NAMES[arch]:
            tap.ok("New watches log: %s.\n" % want in run.out,
                   "%s names: qinsn-log %s logs %s" % (arch, args, want),
                   run.text)
        tap.ok(log_want + "\n" in run.out and
               "qinsn-watch spin_fn\n" in run.out and
               "qinsn-watch spin_fn %s\n" % regs_want in run.out,
               "%s names: completion of registers and locations" % arch,
               run.out)
        run, res = in_gdb("gdb_multi.py", {"sock": qemu.sock,
                                           "source": "lib.c"},
                          spin, qemu.port, directory, "multi")
        if res and res["location"]:
            tap.ok(res["watched"] == res["pcs"] and res["left"] == [] and
                   "Removed %d watches." % len(res["pcs"]) in
                   res["steps"][-1].get("out", ""),
                   "%s names: qinsn-watch %s sets %d watches, qinsn-unwatch "
                   "%s removes them" % (arch, res["location"],
                                        len(res["pcs"]), res["location"]),
                   repr(res))
        else:
            tap.ok(res is not None and run.clean(), "%s names: no line "
                   "with several addresses in lib.c" % arch, run.text,
                   skip=res is not None)
        for args, message in REFUSED[arch]:
            run = run_gdb(["qinsn-connect " + qemu.sock, "qinsn-log " + args],
                          elf=spin, port=qemu.port)
            tap.ok(run.rc == 1 and message in run.err and run.clean(),
                   "%s names: qinsn-log %s is refused" % (arch, args),
                   run.text)


def main():
    arch, plugin, guest, spin = sys.argv[1:5]
    tap = Tap()
    directory = gdbtest.workdir()
    crosscheck(tap, arch, plugin, guest, directory)
    freerun(tap, arch, plugin, guest, directory)
    running(tap, arch, plugin, spin, directory)
    names(tap, arch, plugin, spin, directory)
    tap.done(directory)


if __name__ == "__main__":
    main()
