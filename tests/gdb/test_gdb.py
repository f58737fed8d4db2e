#!/usr/bin/env python3
"""The qinsn gdb commands against a real guest of one architecture (TAP).

Usage: test_gdb.py ARCH PLUGIN PROBE_GUEST SPIN_GUEST

  crosscheck  qinsn watches and gdb breakpoints on the same PCs: at the
              n-th stop gdb shows the registers qinsn logged at hit n
  free run    watches by symbol, FILE:LINE and *ADDRESS while the guest
              runs without stopping: the values of expected-ARCH.txt
  running     watches set while gdb holds the guest stopped (live at
              once, or pending until it runs) and under 'continue &'
  names       gdb's register names and aliases map to the plugin's;
              computed and pseudo registers are refused; completion
  memory      qinsn-watch-mem on probe_mem_buf: lvalues, len=, r/w,
              if value, ignore/count, straddling accesses; the exact
              records in qinsn-hits and the log; set at -S and at a
              stop (live at once, or pending until the guest runs)
"""

import re
import sys

import gdbtest
from gdbtest import Qemu, in_gdb, run_gdb
from qinsntest import Tap, workdir

ARCH = {
    "riscv64": {"args": ["a0", "a1", "a2"], "flags": None, "pc": "pc"},
    "aarch64": {"args": ["x0", "x1", "x2"], "flags": "cpsr", "pc": "pc"},
    "x86_64": {"args": ["rdi", "rsi", "rdx"], "flags": "eflags",
               "pc": "rip"},
}
# Both QEMUs flush while gdb holds the guest stopped (the patched one from
# any thread, Debian's through the stopped vCPU's work queue), so a watch
# set at a stop is live at once, unless the flush takes longer than
# qinsn-watch waits (a loaded machine): then it is pending and announced
# once live.
AT_STOP = "live at once (or pending until the guest runs)"


def live_at_stop(text):
    """Whether qinsn-watch at a stop said live, and whether what it said
    is one of the two answers allowed (live, or pending)."""
    live = ": live (gen " in text
    return live, live or ": pending until the guest runs." in text
LABELS = ["probe_args", "probe_loop", "probe_mid_start", "probe_mid",
          "probe_str", "probe_end"]


def script_in_qemu(tap, name, script, spec, arch, plugin, guest, directory,
                   tag):
    """Run tests/gdb/@script inside gdb, @spec given the socket of a new
    QEMU that runs @guest; (qemu, run, result), result None when the script
    did not run cleanly (then '@name: gdb script ran' fails)."""
    with Qemu(arch, guest, plugin, directory, tag) as qemu:
        run, res = in_gdb(script, dict(spec, sock=qemu.sock), guest,
                          qemu.port, directory, tag)
    if not tap.ok(res is not None and run.clean(),
                  "%s: gdb script ran" % name, run.text):
        res = None
    return qemu, run, res


def check_stopped_off_page(tap, name, guest, label, res):
    """The script stopped where guest_main returns, off @label's page."""
    page = gdbtest.address(guest, label) >> 12
    tap.ok(res["stopped_at"] == res["return"] and
           res["return"] >> 12 != page,
           "%s: stopped after guest_main, off the probes' page" % name,
           "%#x %#x" % (res["stopped_at"], res["return"]))


def crosscheck(tap, arch, plugin, guest, directory):
    qemu, run, res = script_in_qemu(
        tap, arch + " crosscheck", "gdb_crosscheck.py",
        {"locations": LABELS, "end": "guest_exit"},
        arch, plugin, guest, directory, "cross")
    if res is None:
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
                                       logged.get(flags, -1)))
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
    qemu, run, res = script_in_qemu(
        tap, arch + " free run", "gdb_freerun.py",
        {"watches": watches, "main": "guest_main"},
        arch, plugin, guest, directory, "free")
    if res is None:
        return
    check_stopped_off_page(tap, arch + " free run", guest, "probe_args", res)
    steps = {s["cmd"].split()[1]: s for s in res["steps"]
             if s["cmd"].startswith("qinsn-watch")}
    for watch in watches:
        step = steps[watch["loc"]]
        ids = res["ids"][watch["label"]]
        tap.ok(len(ids) == 1 and "live (gen" in step.get("out", ""),
               "%s free run: qinsn-watch %s is live at once (guest not run "
               "yet)" % (arch, watch["loc"]), repr(step))
    ids = {label: found[0] for label, found in res["ids"].items() if found}
    # each watch is defined in the log by the symbol it was set by (what
    # qinsn diff matches by): the name typed, else gdb's symbol there,
    # FUNCTION+OFFSET inside a function (FILE:LINE, *ADDRESS)
    syms = {r["watch"]: r.get("sym") for r in qemu.log_records()
            if r["type"] == "watch"}
    got = {w["label"]: syms.get(ids.get(w["label"], (None,))[0])
           for w in watches}
    want = {w["label"]: w["loc"].lstrip("*") if w["loc"].lstrip("*") in
            ids else r"probe_\w+\+\d+" for w in watches}
    tap.ok(all(re.fullmatch(want[k], got[k] or "") for k in want),
           "%s free run: the log's watch records name their symbols (sym=)"
           % arch, "got %r, want %r" % (got, want))
    hits = {(h["watch"], h["hit"]): h for h in res["hits"]}
    pc_name = "pc"      # the watches log $pc: records keep the name typed
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
                       "got %r, want %#x" % (hit["regs"].get(reg), value))
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
    # x86_64's 'call spin_fn' stores to the memory watch's slot (count=2)
    _, run, res = script_in_qemu(
        tap, arch + " running", "gdb_running.py",
        {"args": ARCH[arch]["args"],
         "mem_hits": 2 if arch == "x86_64" else 0},
        arch, plugin, spin, directory, "run")
    if res is None:
        return
    out = {}
    for step in res["steps"]:
        out.setdefault(step["cmd"].split()[0], []).append(
            step.get("out", "") + step.get("error", ""))
    a0, a1, a2 = ARCH[arch]["args"]
    pid = res["pending_id"]
    live_now, allowed = live_at_stop(out["qinsn-watch"][0])
    tap.ok(pid is not None and
           "Watch %d at" % pid in out["qinsn-watch"][0] and allowed,
           "%s running: qinsn-watch while stopped returns, %s" %
           (arch, AT_STOP), repr(out["qinsn-watch"][0]))
    waiting = "waiting for the guest to run: %s" % pid
    tap.ok(" pending " in out["qinsn-list"][0] and
           (waiting in out["qinsn-status"][0]) != live_now,
           "%s running: qinsn-list shows it untranslated, qinsn-status "
           "waiting for it unless it was live at once" % arch,
           out["qinsn-list"][0] + out["qinsn-status"][0])
    live = "qinsn: watch %d at" % pid
    said = "".join(s.get("out", "") for s in res["steps"]) + run.out
    tap.ok(said.count(live) == 0 if live_now else
           said.count(live) == 1 and "is live (gen" in said,
           "%s running: gdb announces the watch live once it ran (not when "
           "it was live at once)" % arch, said)
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
    tap.ok(live_at_stop(out["qinsn-watch"][1])[1] and
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
    mem = out["qinsn-watch-mem"][0]
    tap.ok(res["mem_id"] is not None and
           mem.startswith("Memory watch %d on %#x (w, 8 bytes at %#x" %
                          (res["mem_id"], res["slot"], res["slot"])) and
           "live (gen" in mem,
           "%s running: qinsn-watch-mem under 'continue &' waits until live"
           % arch, mem)
    hits = res["mem_hits"]
    if arch == "x86_64":
        tap.ok(len(hits) == 2 and
               all(h["watch"] == res["mem_id"] and h["addr"] == res["slot"]
                   and h["size"] == 8 and h["dir"] == "w" and
                   h["value"] == h["pc"] + 5 for h in hits),
               "%s running: the memory watch logs 'call' pushing its return "
               "address, count=2" % arch, repr(hits))
    else:
        tap.ok(hits == [], "%s running: nothing touches that stack slot" %
               arch, repr(hits))
    tap.ok(out["qinsn-unwatch"][-2].startswith("Removed 1 watch.") and
           out["qinsn-unwatch"][-1].startswith("Removed 4 watches.") and
           "No qinsn watches" in out["qinsn-list"][-1],
           "%s running: qinsn-unwatch ID, then all" % arch,
           repr(out["qinsn-unwatch"]) + out["qinsn-list"][-1])


# qinsn-log arguments -> the plugin names they must map to, shown with
# the name as typed where that differs ("s0 (fp)").
NAMES = {
    "riscv64": [("$s0 x8 #8 fp", "s0 (fp), x8 (fp), #8 (fp), fp"),
                ("x10 $a0 #10 a1", "x10 (a0), a0, #10 (a0), a1"),
                ("$pc $sp zero x0 f0 fa0",
                 "pc, sp, zero, x0 (zero), f0 (ft0), fa0")],
    "aarch64": [("lr ip0 ip1 $x30", "lr (x30), ip0 (x16), ip1 (x17), x30"),
                ("$pc sp cpsr x29 #32 #33",
                 "pc, sp, cpsr, x29, #32 (pc), #33 (cpsr)")],
    "x86_64": [("$pc $sp $ps", "pc (rip), sp (rsp), ps (eflags)"),
               ("#16 #17 rbp fs_base #24", "#16 (rip), #17 (eflags), rbp, "
                "fs_base, #24 (fs_base)")],
}
# qinsn-log arguments whose records must be keyed as typed, and the
# register (as the plugin's regs names it) each one reads: ARG0 at
# spin_fn's entry is its n, ARG1 is 0x5a5a.
TYPED = {
    "riscv64": ("a0 s0 $a1 x11", ["a0", "s0", "a1", "x11"],
                ["a0", "fp", "a1", "a1"]),
    "aarch64": ("x0 lr $x1 ip0", ["x0", "lr", "x1", "ip0"],
                ["x0", "x30", "x1", "x16"]),
    "x86_64": ("rdi $pc $sp rsi", ["rdi", "pc", "sp", "rsi"],
               ["rdi", "rip", "rsp", "rsi"]),
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
                     "complete qinsn-watch spin_fn " + regs_word,
                     "complete qinsn-watch-mem spin_te",
                     "complete qinsn-watch-mem spin_text r",
                     "complete qinsn-watch-mem spin_text w ign",
                     "complete qinsn-watch-mem spin_text if v",
                     "complete qinsn-watch-mem spin_text " + regs_word]
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
        mem = "qinsn-watch-mem spin_text "
        tap.ok(all(line + "\n" in run.out for line in [
                   "qinsn-watch-mem spin_text", mem + "r", mem + "rw",
                   mem + "regs=", mem + "w ignore=", mem + "if value",
                   mem + regs_want]) and mem + "w\n" not in run.out,
               "%s names: completion of qinsn-watch-mem (expression, "
               "directions, options, value, registers)" % arch, run.out)
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
        elif res is not None and run.clean():
            tap.skip("%s names: no line with several addresses in lib.c"
                     % arch, "no such line in this build")
        else:
            tap.ok(False, "%s names: no line with several addresses in "
                   "lib.c" % arch, run.text)
        for args, message in REFUSED[arch]:
            run = run_gdb(["qinsn-connect " + qemu.sock, "qinsn-log " + args],
                          elf=spin, port=qemu.port)
            tap.ok(run.rc == 1 and message in run.err and run.clean(),
                   "%s names: qinsn-log %s is refused" % (arch, args),
                   run.text)


def typed_names(tap, arch, plugin, spin, directory):
    """Records key registers by the name the gdb user typed, in
    qinsn-hits and in the plugin's log alike."""
    args, keys, plugin_names = TYPED[arch]
    with Qemu(arch, spin, plugin, directory, "typed", gdb=False) as qemu:
        run = run_gdb(["qinsn-connect " + qemu.sock, "qinsn-log " + args,
                       "qinsn-watch spin_fn count=2",
                       "qinsn-watch spin_fn regs=%s count=1" %
                       ",".join(args.split()),
                       "shell sleep 2", "qinsn-hits 3"], elf=spin)
        qemu.stop()
        logged = [r for r in qemu.log_records() if r["type"] == "hit"]
    tap.ok(run.rc == 0 and run.clean() and len(logged) == 3,
           "%s typed names: two watches log 3 hits" % arch,
           run.text + repr(logged))
    tap.ok(logged and all(list(r["regs"]) == keys for r in logged),
           "%s typed names: qinsn-log %s and regs= key records %s" %
           (arch, args, ", ".join(keys)), repr(logged))
    # each name read its own register: names of one register agree, and
    # spin_fn's second argument is 0x5a5a
    ok = bool(logged)
    for r in logged:
        for i, key in enumerate(keys):
            same = [k for k, n in zip(keys, plugin_names)
                    if n == plugin_names[i]]
            ok &= all(r["regs"][k] == r["regs"][key] for k in same)
            if plugin_names[i] == ARCH[arch]["args"][1]:
                ok &= int(r["regs"][key], 16) == 0x5a5a
    tap.ok(ok, "%s typed names: each name logs the register it stands for"
           % arch, repr(logged))
    hits = [line for line in run.out.splitlines() if " watch " in line]
    tap.ok(len(hits) == 3 and
           all(all(" %s=" % k in line for k in keys) for line in hits),
           "%s typed names: qinsn-hits shows them as typed" % arch,
           run.out)


# probe_mem's accesses (tests/guests/README.md): label -> (offset in
# probe_mem_buf, size, direction, value).
MEM_ACCESS = {
    "probe_mem_sd": (0, 8, "w", 0x1122334455667788),
    "probe_mem_sw": (8, 4, "w", 0xaabbccdd),
    "probe_mem_sh": (12, 2, "w", 0xeeff),
    "probe_mem_sb": (15, 1, "w", 0x5a),
    "probe_mem_ld": (0, 8, "r", 0x1122334455667788),
    "probe_mem_lbu": (9, 1, "r", 0xcc),
    "probe_mem_su": (13, 8, "w", 0xaabbccdd),   # x86_64 only
}


def mem_watches(arch):
    """(name, EXPR, further arguments, [(label, hit)] expected)."""
    arg0 = ARCH[arch]["args"][0]
    x86 = arch == "x86_64"
    return [
        # one byte that only the 2-byte store covers (x86's su starts at 13)
        ("byte12", "probe_mem_buf[12]", "", [("probe_mem_sh", 1)]),
        ("u64w", "*(uint64_t *)&probe_mem_buf", "w regs=$" + arg0,
         [("probe_mem_sd", 1)]),
        ("len32r", "&probe_mem_buf", "len=32 r",
         [("probe_mem_ld", 1), ("probe_mem_lbu", 2)]),
        # x86's su touches byte 15 too, with another value
        ("cond", "probe_mem_buf[15]", "if value == 0x5a",
         [("probe_mem_sb", 1)]),
        # only x86's su, which starts 3 bytes before
        ("straddle", "*(uint32_t *)&probe_mem_buf[16]", "w",
         [("probe_mem_su", 1)] if x86 else []),
        ("counted", "&probe_mem_buf", "len=16 rw ignore=1 count=2",
         [("probe_mem_sw", 2), ("probe_mem_sh", 3)]),
    ]


def pending_watches(arch):
    """As mem_watches, for memory_pending."""
    return [
        # x86's su (bytes 13-20) is a store to byte 15 too
        ("sb", "probe_mem_buf[15]", "w regs=$" + ARCH[arch]["args"][0],
         [("probe_mem_sb", 1)] +
         ([("probe_mem_su", 2)] if arch == "x86_64" else [])),
        # a 4-byte lvalue that the 1-byte load at buf+9 overlaps
        ("overlap", "*(uint32_t *)&probe_mem_buf[8]", "r",
         [("probe_mem_lbu", 1)]),
        # removed before the guest runs
        ("dropped", "probe_mem_buf[0]", "", []),
    ]


def mem_command(expr, rest):
    return ("qinsn-watch-mem %s %s" % (expr, rest)).strip()


def mem_expected(guest, res, watches):
    """{(watch id, hit): record} that the watches must log."""
    want = {}
    for name, _, _, accesses in watches:
        for label, hit in accesses:
            offset, size, direction, value = MEM_ACCESS[label]
            want[(res["ids"][name], hit)] = {
                "pc": gdbtest.address(guest, label),
                "addr": res["buf"] + offset, "size": size, "dir": direction,
                "value": value}
    return want


def check_records(tap, name, guest, res, qemu, want, regs):
    """The records of the ring and of the JSON log equal @want exactly;
    @regs: {(watch, hit): {reg: value}} expected among their registers."""
    got = {(r["watch"], r["hit"]): r for r in res["records"]}
    for key, record in sorted(want.items()):
        found = got.get(key)
        same = (found is not None and found["cpu"] == 0 and
                all(found[k] == v for k, v in record.items()) and
                all(found["regs"].get(r) == v
                    for r, v in regs.get(key, {}).items()))
        tap.ok(same, "%s: watch %d hit %d at %s: %s %d byte%s at buf+%d = "
               "%#x" % (name, key[0], key[1],
                        gdbtest.symbolic(guest, record["pc"]), record["dir"],
                        record["size"], "s" * (record["size"] > 1),
                        record["addr"] - res["buf"], record["value"]),
               "got %r" % (found,))
    tap.ok(sorted(got) == sorted(want),
           "%s: no other memory records (%d)" % (name, len(got)),
           "got %r, want %r" % (sorted(got), sorted(want)))
    logged = {}
    for rec in qemu.log_records():
        if rec.get("type") == "mem":
            logged[(rec["watch"], rec["hit"])] = {
                "pc": int(rec["pc"], 16), "addr": int(rec["addr"], 16),
                "size": rec["size"], "dir": rec["dir"],
                "value": int(rec["value"], 16)}
    tap.ok(logged == want, "%s: the JSON log holds the same %d records" %
           (name, len(logged)), "log %r\nwant %r" % (logged, want))


def step_output(res, command):
    steps = [s for s in res["steps"] if s["cmd"] == command]
    return "".join(s.get("out", "") + s.get("error", "") for s in steps)


def memory(tap, arch, plugin, guest, directory):
    """Memory watches set at -S: live at once; the exact records."""
    watches = mem_watches(arch)
    qemu, run, res = script_in_qemu(
        tap, arch + " memory", "gdb_mem.py",
        {"watches": [(n, mem_command(e, r)) for n, e, r, _ in watches]},
        arch, plugin, guest, directory, "mem")
    if res is None:
        return
    check_stopped_off_page(tap, arch + " memory", guest, "probe_mem", res)
    ids, buf = res["ids"], res["buf"]
    for name, expr, rest, _ in watches:
        out = step_output(res, mem_command(expr, rest))
        tap.ok(ids[name] is not None and
               out.startswith("Memory watch %d on %s (" % (ids[name], expr))
               and "live (gen" in out,
               "%s memory: %s is live at once (nothing translated yet)" %
               (arch, mem_command(expr, rest)), out)
    arg0 = ARCH[arch]["args"][0]
    check_records(tap, arch + " memory", guest, res, qemu,
                  mem_expected(guest, res, watches),
                  {(ids["u64w"], 1): {arg0: buf}})
    shown = step_output(res, "qinsn-hits 100")
    lines = [
        "#1 watch %d hit 1 cpu 0 at %#x " % (
            ids["u64w"], gdbtest.address(guest, "probe_mem_sd")),
        ": write 8 bytes at %#x <probe_mem_buf> = 0x1122334455667788 "
        "(1234605616436508552); %s=%#x\n" % (buf, arg0, buf),
        ": write 2 bytes at %#x <probe_mem_buf+12> = 0xeeff\n" % (buf + 12),
        ": write 1 byte at %#x <probe_mem_buf+15> = 0x5a (90 'Z')\n" %
        (buf + 15),
        ": read 1 byte at %#x <probe_mem_buf+9> = 0xcc\n" % (buf + 9),
    ]
    missing = [line for line in lines if line not in shown]
    tap.ok(not missing, "%s memory: qinsn-hits shows address, size, "
           "direction, value (typed when exact) and registers" % arch,
           "missing %r in:\n%s" % (missing, shown))
    last = step_output(res, "qinsn-hits 2").splitlines()
    tap.ok(len(last) == 2 and all(" watch " in line for line in last) and
           shown.splitlines()[-2:] == last,
           "%s memory: qinsn-hits 2 counts memory records" % arch,
           repr(last))
    listed = step_output(res, "qinsn-list")
    wants = [
        "mem rw 1 byte at %#x <probe_mem_buf+12> (probe_mem_buf[12]) "
        "regs=-" % (buf + 12),
        "mem w 8 bytes at %#x <probe_mem_buf> (*(uint64_t *)&probe_mem_buf)"
        " regs=%s" % (buf, arg0),
        "mem r 32 bytes at %#x <probe_mem_buf> (&probe_mem_buf)" % buf,
        "(probe_mem_buf[15]) regs=- if=value==0x5a",
    ]
    missing = [w for w in wants if w not in listed]
    counted = [line for line in listed.splitlines()
               if line.startswith("%d " % ids["counted"])]
    tap.ok(not missing and counted and " done " in counted[-1] and
           "ignore=1 count=2" in counted[-1],
           "%s memory: qinsn-list shows memory watches, the counted one "
           "done" % arch, "missing %r in:\n%s" % (missing, listed))


def memory_pending(tap, arch, plugin, guest, directory):
    """Memory watches set at a stop after code ran: pending until the
    guest runs, then live and logging."""
    watches = pending_watches(arch)
    qemu, run, res = script_in_qemu(
        tap, arch + " memory pending", "gdb_mem.py",
        {"pending": True, "drop": ["dropped"],
         "watches": [(n, mem_command(e, r)) for n, e, r, _ in watches]},
        arch, plugin, guest, directory, "mempend")
    if res is None:
        return
    ids = res["ids"]
    outs = {n: step_output(res, mem_command(e, r))
            for n, e, r, _ in watches}
    live_now = {n: live_at_stop(out) for n, out in outs.items()}
    tap.ok(all(ids[n] is not None and
               out.startswith("Memory watch %d on %s (" % (ids[n], e)) and
               live_now[n][1]
               for (n, e, _, _), out in zip(watches, outs.values())),
           "%s memory pending: set at a stop, the watches are live at "
           "once or wait for the guest to run" % arch, repr(outs))
    status = step_output(res, "qinsn-status")
    late = [n for n, _, _, _ in watches[:2] if not live_now[n][0]]
    waiting = ("waiting for the guest to run: %s\n" %
               ", ".join(str(ids[n]) for n in late))
    tap.ok((waiting in status if late else
            "waiting for the guest to run" not in status) and
           res["records_before_run"] == 0,
           "%s memory pending: qinsn-status lists those not live (not the "
           "removed one)" % arch, status)
    said = "".join(s.get("out", "") for s in res["steps"]) + run.out
    tap.ok(all(said.count("qinsn: memory watch %d on %s (" % (ids[n], e)) ==
               (n in late) for n, e, _, _ in watches[:2]) and
           said.count(" is live (gen ") == len(late) and
           "memory watch %d " % ids["dropped"] not in said,
           "%s memory pending: gdb announces each live once it ran (not "
           "those live at once)" % arch, said)
    check_records(tap, arch + " memory pending", guest, res, qemu,
                  mem_expected(guest, res, watches),
                  {(ids["sb"], 1): {ARCH[arch]["args"][0]: res["buf"]}})


def main():
    arch, plugin, guest, spin = sys.argv[1:5]
    gdbtest.patched_run(arch)
    tap = Tap()
    directory = workdir("gdb")
    crosscheck(tap, arch, plugin, guest, directory)
    freerun(tap, arch, plugin, guest, directory)
    running(tap, arch, plugin, spin, directory)
    names(tap, arch, plugin, spin, directory)
    typed_names(tap, arch, plugin, spin, directory)
    memory(tap, arch, plugin, guest, directory)
    memory_pending(tap, arch, plugin, guest, directory)
    tap.done()


if __name__ == "__main__":
    main()
