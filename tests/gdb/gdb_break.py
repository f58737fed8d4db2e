"""qinsn-break and qinsn-tbreak against real QEMU and gdb (batch mode).

Usage:
  gdb_break.py system ARCH PLUGIN SPIN_ELF [stock|patched]
  gdb_break.py smp PLUGIN SPIN_ELF_RISCV64          (patched, 2 harts)
  gdb_break.py user ARCH PLUGIN ARGS_PROG BLOCKED_PROG (patched, -g)
  gdb_break.py errors PLUGIN SPIN_ELF_RISCV64
  gdb_break.py gdb-commands PLUGIN SPIN_ELF_RISCV64   (gdb's own commands)
  gdb_break.py protocol PLUGIN SPIN_ELF_RISCV64       (the socket, no gdb)

The spin guests call spin_fn from a loop whose counter n is in the first
argument register at spin_tick, 3n in the second and the CPU in the third
(tests/guests/<arch>/spin.S): a condition on n first holds deep in the
loop, and the guest's own values say what the registers must be.  On the
patched QEMU (QINSN_PATCHED_QEMU; skipped without it) gdb must stop
exactly at spin_tick with those values, equal to the hit record; on stock
QEMU the stop must be reported as not exact, at the address gdb shows.
"""

import os
import re
import sys

import gdbtest
from qinsntest import (Qemu, Tap, connect, free_port, patched_prefix,
                       request, symbol, workdir)

ARGS = {"riscv64": ("a0", "a1", "a2"), "x86_64": ("rdi", "rsi", "rdx"),
        "aarch64": ("x0", "x1", "x2")}
PC = {"riscv64": "pc", "x86_64": "rip", "aarch64": "pc"}
DEEP = 250000           # n where the first condition holds
DEEPER = 400000         # the tbreak's


def print_regs(names, tag):
    """A gdb command printing 'tag name=0x... ...' for @names and the PC."""
    exprs = ", ".join('"%s=%%#x" %% int(gdb.parse_and_eval("$%s"))' % (n, n)
                      for n in names)
    return ('python print("%s " + " ".join([%s]) + " pc=%%#x" %% '
            'int(gdb.parse_and_eval("$pc")))' % (tag, exprs))


def parse_regs(text, tag):
    found = re.findall(r"^%s (.*)$" % tag, text, re.M)
    if not found:
        return None
    return {k: int(v, 16) for k, v in
            (w.split("=") for w in found[-1].split())}


def hits_of(qemu, watch):
    return [r for r in qemu.log_records()
            if r.get("type") == "hit" and r.get("watch") == watch]


def start_qemu(arch, elf, plugin, directory, prefix=None, smp=1):
    if prefix:
        os.environ["QINSN_GDB_QEMU"] = prefix
    qemu = gdbtest.Qemu(arch, elf, plugin, directory,
                        extra=["-smp", str(smp)] if smp > 1 else [])
    return qemu


def system(t, arch, plugin, elf, flavour):
    prefix = patched_prefix() if flavour == "patched" else None
    exact = flavour == "patched"
    a0, a1, a2 = ARGS[arch]
    tick = symbol(elf, "spin_tick")
    d = workdir("gdb-break")
    with start_qemu(arch, elf, plugin, d, prefix) as qemu:
        run = gdbtest.run_gdb([
            "qinsn-connect " + qemu.sock,
            "qinsn-break *spin_tick if $%s == %d regs=%s,%s,%s" %
            (a0, DEEP, a0, a1, a2),
            "continue",
            print_regs([a0, a1, a2], "FIRST"),
            "qinsn-tbreak *spin_tick if %s == %d regs=%s,%s,%s" %
            (a0, DEEPER, a0, a1, a2),
            "continue",
            print_regs([a0, a1, a2], "SECOND"),
            "qinsn-list"], elf=elf, port=qemu.port, timeout=240)
        text = run.text
        t.ok(run.clean(), "%s %s: no Python error" % (arch, flavour),
             text[-3000:])
        first, second = parse_regs(text, "FIRST"), parse_regs(text, "SECOND")
        t.ok(first is not None and second is not None,
             "%s %s: gdb stopped twice" % (arch, flavour), text[-3000:])
        first, second = first or {}, second or {}
        rec1 = hits_of(qemu, 1)
        rec2 = hits_of(qemu, 2)
        t.eq(len(rec1), 1, "%s %s: one hit logged for the break" %
             (arch, flavour))
        t.eq(len(rec2), 1, "%s %s: one hit logged for the tbreak" %
             (arch, flavour))
        logged = {k: int(v, 16) for k, v in
                  (rec1[0]["regs"].items() if rec1 else [])}
        t.eq(logged.get(a0), DEEP, "%s %s: the hit record has n" %
             (arch, flavour))
        t.eq(logged.get(a1), 3 * DEEP, "%s %s: the hit record has 3n" %
             (arch, flavour))
        if exact:
            t.ok("stopped exactly at" in text,
                 "%s: the stop is reported exact" % arch, text[-2000:])
            t.eq(first.get("pc"), tick, "%s: gdb's $pc is spin_tick" % arch)
            t.eq({k: first.get(k) for k in (a0, a1, a2)},
                 {a0: DEEP, a1: 3 * DEEP, a2: 0},
                 "%s: gdb's registers are the guest's n, 3n, cpu" % arch)
            t.eq({k: first.get(k) for k in (a0, a1, a2)}, logged,
                 "%s: gdb's registers equal the hit record" % arch)
            t.eq(second.get("pc"), tick,
                 "%s: continue runs to the tbreak at spin_tick" % arch)
            t.eq(second.get(a0), DEEPER, "%s: the tbreak's n" % arch)
        else:
            match = re.search(r"qinsn: break 1 \((?:breakpoint 1, )?hit 1, "
                              r"vCPU 0\) matched at "
                              r"(0x[0-9a-f]+).*stopped later, at "
                              r"(0x[0-9a-f]+).*not exact", text)
            t.ok(match, "%s stock: the stop is reported not exact" % arch,
                 text[-2000:])
            if match:
                t.eq(int(match.group(1), 16), tick,
                     "%s stock: the match is at spin_tick" % arch)
                t.eq(int(match.group(2), 16), first.get("pc"),
                     "%s stock: at= is where gdb sees the guest" % arch)
                t.ok(int(match.group(2), 16) != tick,
                     "%s stock: the late stop is not claimed at the "
                     "match" % arch)
            # normally the next block, so the same iteration; a busy host
            # can make it later, never earlier
            t.ok(first.get(a0, -1) >= DEEP,
                 "%s stock: the guest stopped after the match" % arch,
                 first)
        listing = text.split("SECOND ")[-1]
        t.ok(re.search(r"^1\s", listing, re.M) and
             not re.search(r"^2\s", listing, re.M),
             "%s %s: the tbreak is gone after its stop, the break stays" %
             (arch, flavour), listing[-1500:])


def smp(t, plugin, elf):
    prefix = patched_prefix()
    d = workdir("gdb-break")
    with start_qemu("riscv64", elf, plugin, d, prefix, smp=2) as qemu:
        run = gdbtest.run_gdb([
            "qinsn-connect " + qemu.sock,
            "qinsn-break *spin_tick if $a0 == %d regs=a0,a1,a2" % DEEP,
            "continue",
            print_regs(["a0", "a2"], "STOP1"),
            "continue",
            print_regs(["a0", "a2"], "STOP2"),
            "qinsn-unwatch all"], elf=elf, port=qemu.port, timeout=240)
        text = run.text
        s1, s2 = parse_regs(text, "STOP1"), parse_regs(text, "STOP2")
        t.ok(s1 and s2, "smp: two stops", text[-3000:])
        s1, s2 = s1 or {}, s2 or {}
        t.eq((s1.get("a0"), s2.get("a0")), (DEEP, DEEP),
             "smp: both stops at the matching n")
        t.eq(sorted([s1.get("a2"), s2.get("a2")]), [0, 1],
             "smp: one stop per hart, none lost")
        t.eq(len(re.findall(r"stopped exactly at", text)), 2,
             "smp: both stops reported exact")
        cpus = sorted(r["cpu"] for r in hits_of(qemu, 1))
        t.eq(cpus, [0, 1], "smp: one hit record per hart")


def user(t, arch, plugin, program):
    prefix = patched_prefix()
    qemu_bin = os.path.join(prefix, "bin", "qemu-" + arch)
    a0, a1, a2 = ARGS[arch]
    d = workdir("gdb-break")
    sock = os.path.join(d, "u.sock")
    log = os.path.join(d, "u.log")
    plugin_arg = "%s,sock=%s,log=%s,format=json" % (plugin, sock, log)

    port = free_port()
    q = Qemu([qemu_bin, "-g", str(port), "-plugin", plugin_arg, program],
             os.path.join(d, "u.out"), err_path=os.path.join(d, "u.err"))
    try:
        # the plugin learns the registers when the vCPU first runs
        run = gdbtest.run_gdb([
            "break main", "continue", "delete",
            "qinsn-connect " + sock,
            "qinsn-break *probe_three if $%s == 2 regs=%s,%s,%s" %
            (a0, a0, a1, a2),
            "continue",
            print_regs([a0, a1, a2], "USER"),
            "info threads",
            "continue"], elf=program, port=port, timeout=120)
        q.wait(60)
    finally:
        q.kill()
    out = q.output()
    regs = parse_regs(run.text, "USER") or {}
    t.eq(regs.get("pc"), symbol(program, "probe_three"),
         "user %s: stopped exactly at probe_three" % arch)
    t.eq({k: regs.get(k) for k in (a0, a1, a2)}, {a0: 2, a1: 20, a2: 200},
         "user %s: the arguments of the matching call" % arch)
    t.ok("sum=" in out, "user %s: the program finishes after continue" %
         arch, out + run.text[-1500:])

    # Unconditional: each of the three calls stops once, none twice, and
    # each is logged once (resuming runs the instruction without its hook).
    port = free_port()
    log2 = os.path.join(d, "u2.log")
    q = Qemu([qemu_bin, "-g", str(port), "-plugin",
              "%s,sock=%s2,log=%s,format=json" % (plugin, sock, log2),
              program],
             os.path.join(d, "u2.out"), err_path=os.path.join(d, "u2.err"))
    try:
        cmds = ["break main", "continue", "delete",
                "qinsn-connect %s2" % sock,
                "qinsn-break *probe_three regs=%s" % a0]
        for i in range(3):
            cmds += ["continue", print_regs([a0], "CALL%d" % i)]
        cmds += ["continue"]
        run = gdbtest.run_gdb(cmds, elf=program, port=port, timeout=120)
        q.wait(60)
    finally:
        q.kill()
    out = q.output()
    seen = [(parse_regs(run.text, "CALL%d" % i) or {}).get(a0)
            for i in range(3)]
    t.eq(seen, [1, 2, 3], "user %s: one stop per call, none repeated" % arch)
    with open(log2) as f:
        logged = [line for line in f if '"type":"hit"' in line]
    t.eq(len(logged), 3, "user %s: one hit record per call" % arch)
    t.ok("sum=" in out, "user %s: the program finishes" % arch,
         out + run.text[-1500:])


def user_refused(t, arch, plugin, program):
    """Without -g the plugin answers ERR to break (@program runs a
    minute, blocked in read() in one thread)."""
    prefix = patched_prefix()
    qemu_bin = os.path.join(prefix, "bin", "qemu-" + arch)
    d = workdir("gdb-break")
    sock = os.path.join(d, "r.sock")
    q = Qemu([qemu_bin, "-plugin", "%s,sock=%s" % (plugin, sock), program],
             os.path.join(d, "r.out"))
    try:
        reply = request(sock, "break 0x1000", 20)
    finally:
        q.kill()
    t.ok(reply.startswith("ERR STATE nobody to stop for"),
         "user %s without -g: break refused with the reason" % arch, reply)
    if arch == "aarch64":
        wide_registers(t, qemu_bin, plugin, program)


def wide_registers(t, qemu_bin, plugin, program):
    """qemu-aarch64's SVE registers are 256 bytes: `regs` says so, as gdb
    does (qinsn-break checks that they agree), and a watch of one is
    refused, naming it: a record holds at most 255 bytes of a register."""
    d = workdir("gdb-break")
    sock = os.path.join(d, "w.sock")
    q = Qemu([qemu_bin, "-plugin", "%s,sock=%s" % (plugin, sock), program],
             os.path.join(d, "w.out"))
    try:
        c = connect(sock, 30)
        _, regs = c.request("regs")
        reply, _ = c.request("watch 0x1000 regs=x0,z0")
    finally:
        q.kill()
    t.ok(any(r.startswith("name=z0 ") and r.endswith(" size=256")
             for r in regs), "user aarch64: regs gives z0's true size, 256",
         [r for r in regs if r.startswith("name=z0 ")])
    t.ok(reply.startswith("ERR LIMIT register 'z0' is 256 bytes"),
         "user aarch64: a watch of z0 is refused, naming it", reply)


def errors(t, plugin, elf):
    d = workdir("gdb-break")
    with gdbtest.Qemu("riscv64", elf, plugin, d) as qemu:
        bad = [
            ("qinsn-break *spin_tick if $nosuch == 1", r"unknown register"),
            ("qinsn-break *spin_tick if $a0 > 5", r"signed"),
            ("qinsn-break *spin_tick if $a0 == $a1", r"the plugin evaluates"),
            ("qinsn-break *spin_tick if 0", r"always false"),
            ("qinsn-break nosuchfunction", r"nosuchfunction|[Nn]o symbol"),
            ("qinsn-break *spin_tick if (char)$a0 == 1", r"only to an "
             r"integer type"),
            ("qinsn-tbreak *spin_tick count=3", r"stops once"),
            ("qinsn-break", r"location is needed"),
        ]
        for command, pattern in bad:
            run = gdbtest.run_gdb(["qinsn-connect " + qemu.sock, command],
                                  elf=elf, port=qemu.port, timeout=120)
            t.ok(run.rc != 0 and re.search(pattern, run.err) and
                 run.clean(), "gdb error, no traceback: %s" % command,
                 run.text[-1500:])
        good = gdbtest.run_gdb([
            "qinsn-connect " + qemu.sock,
            "qinsn-break *spin_tick if (unsigned long)$a0 > 5",
            "qinsn-break spin_fn if a1",
            "qinsn-list"], elf=elf, port=qemu.port, timeout=120)
        t.ok(good.rc == 0 and "if=a0>0x5" in good.out and
             "if=a1!=0x0" in good.out,
             "an unsigned cast and a bare register are accepted",
             good.text[-1500:])
        changed = gdbtest.run_gdb([
            "qinsn-connect " + qemu.sock,
            "qinsn-condition 1 $a0 == 7",
            "qinsn-ignore 2 3",
            "qinsn-list"], elf=elf, port=qemu.port, timeout=120)
        t.ok(changed.rc == 0 and
             re.search(r"^3 .*if=a0==0x7", changed.out, re.M) and
             re.search(r"^4 .*if=a1!=0x0 ignore=3", changed.out, re.M) and
             not re.search(r"^[12] ", changed.out, re.M),
             "qinsn-condition and qinsn-ignore replace the breaks",
             changed.text[-1500:])
        for command, pattern in (("qinsn-condition 99 $a0 == 1",
                                  r"no qinsn break 99"),
                                 ("qinsn-ignore 3", r"Usage")):
            run = gdbtest.run_gdb(["qinsn-connect " + qemu.sock, command],
                                  elf=elf, port=qemu.port, timeout=120)
            t.ok(run.rc != 0 and re.search(pattern, run.err) and
                 run.clean(), "gdb error, no traceback: %s" % command,
                 run.text[-1500:])


def gdb_commands(t, plugin, elf):
    """gdb's own condition, ignore, disable, enable and delete act on the
    gdb breakpoint standing for a qinsn break (QEMU on PATH)."""
    d = workdir("gdb-break")
    with gdbtest.Qemu("riscv64", elf, plugin, d) as qemu:
        run = gdbtest.run_gdb([
            "qinsn-connect " + qemu.sock,
            "qinsn-break *spin_tick if $a0 == 1000 regs=a0",
            "echo @@CREATED\n", "info breakpoints",
            "condition 1 (unsigned long)$a0 >= 2000",
            "echo @@BADCOND\n", "condition 1 $a0 > 5",
            "echo @@IGNORE\n", "ignore 1 3",
            "echo @@LIST\n", "qinsn-list", "info breakpoints",
            "echo @@STOP\n", "continue", print_regs(["a0"], "STOP"),
            "echo @@DISABLE\n", "disable 1", "qinsn-list",
            "echo @@LOCATION\n", "enable 1", "enable 1.1",
            "info breakpoints", "qinsn-list",
            "echo @@DELETE\n", "delete 1", "qinsn-list",
            "info breakpoints"], elf=elf, port=qemu.port, timeout=180)
        text = run.text
        t.ok(run.clean(), "gdb commands: no Python error", text[-3000:])
        part = dict(re.findall(r"@@(\w+)\n(.*?)(?=@@|\Z)", text, re.S))
        created = part.get("CREATED", "")
        t.ok(re.search(r"^1\s+breakpoint\s+keep\s+y", created, re.M) and
             "stop only if $a0 == 1000" in created and
             re.search(r"^1\.1\s+n\s", created, re.M),
             "info breakpoints lists the break with its condition, its "
             "location disabled", created)
        t.ok("if=a0==0x3e8" not in part.get("LIST", "") and
             re.search(r"^3 .*if=a0>=0x7d0 ignore=3", part.get("LIST", ""),
                       re.M),
             "condition and ignore on gdb's number set the plugin's break "
             "again", part.get("LIST", ""))
        # qinsn's warnings go to gdb's stderr
        t.ok(re.search(r"breakpoint 1: condition refused, it stays "
                       r"'\(unsigned long\)\$a0 >= 2000'.*signed", run.err),
             "a condition the plugin cannot read as gdb does is refused, "
             "the old one kept", run.err)
        t.ok(re.search(r"stop only if \(unsigned long\)\$a0 >= 2000",
                       part.get("LIST", "")),
             "info breakpoints shows the condition kept",
             part.get("LIST", ""))
        t.ok(re.search(r"qinsn: break 3 \(breakpoint 1, hit \d+, vCPU 0\)",
                       part.get("STOP", "")),
             "the stop names gdb's breakpoint", part.get("STOP", ""))
        rec = hits_of(qemu, 3)
        t.eq([int(r["regs"]["a0"], 16) for r in rec[:1]], [2003],
             "the first 3 matches passed: the stop is at n == 2003")
        t.ok(re.search(r"^3 +\S+ +n ", part.get("DISABLE", ""), re.M),
             "disable on gdb's number disables the break",
             part.get("DISABLE", ""))
        loc = part.get("LOCATION", "")
        t.ok(re.search(r"^1\.1\s+n\s", loc, re.M) and
             re.search(r"^3 +\S+ +y ", loc, re.M),
             "enable re-enables the break; a location stays disabled",
             loc + run.err[-1000:])
        gone = part.get("DELETE", "")
        t.ok("No qinsn watches." in gone and "No breakpoints" in gone,
             "delete on gdb's number removes the break", gone)


def protocol(t, plugin, elf):
    """break over the socket on the QEMU on PATH: list, disable, enable,
    unwatch, and the ! stop event."""
    d = workdir("gdb-break")
    rare = symbol(elf, "spin_rare")
    with gdbtest.Qemu("riscv64", elf, plugin, d, gdb=False) as qemu:
        c = connect(qemu.sock)
        t.ok(",break" in c.greeting, "the greeting's caps has break",
             c.greeting)
        c.request("subscribe")
        reply, _ = c.request("break %#x regs=a0" % rare)
        t.ok(re.match(r"OK id=1 gen=\d+$", reply), "break answers OK id gen",
             reply)
        reply, _ = c.request("disable 1")
        t.eq(reply, "OK id=1 enabled=no", "disable a break")
        _, data = c.request("list")
        t.ok(data and "type=break" in data[0] and "enabled=no" in data[0],
             "list shows it with type=break", data)
        t.ok(c.wait_event("! stop", 2.0) is None,
             "a disabled break does not stop the guest")
        reply, _ = c.request("enable 1")
        t.eq(reply, "OK id=1 enabled=yes", "enable a break")
        stop = c.wait_event("! stop", 30.0)
        t.ok(stop and re.match(r"! stop id=1 cpu=0 pc=%#x hit=\d+ exact=" %
                               rare, stop), "an enabled break stops", stop)
        _, stats = c.request("stats")
        t.ok(any(x.startswith("stop=") for x in stats),
             "stats says how breaks stop", stats)
        reply, _ = c.request("unwatch 1")
        t.eq(reply, "OK removed=1", "unwatch removes a break")
        reply, _ = c.request("break 0x80000000..0x7fffffff")
        t.ok(reply.startswith("ERR ARG"), "a bad range is refused", reply)


def main():
    t = Tap()
    mode = sys.argv[1]
    if mode == "system":
        system(t, sys.argv[2], sys.argv[3], sys.argv[4],
               sys.argv[5] if len(sys.argv) > 5 else "stock")
    elif mode == "smp":
        smp(t, sys.argv[2], sys.argv[3])
    elif mode == "user":
        user(t, sys.argv[2], sys.argv[3], sys.argv[4])
        user_refused(t, sys.argv[2], sys.argv[3], sys.argv[5])
    elif mode == "errors":
        errors(t, sys.argv[2], sys.argv[3])
    elif mode == "gdb-commands":
        gdb_commands(t, sys.argv[2], sys.argv[3])
    elif mode == "protocol":
        protocol(t, sys.argv[2], sys.argv[3])
    else:
        sys.exit("unknown mode " + mode)
    t.done()


if __name__ == "__main__":
    main()
