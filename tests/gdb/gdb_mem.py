"""Inside gdb, on a probe guest: memory watches on probe_mem_buf, then the
guest runs probe_mem and stops when guest_main returns (off the probes'
page, so that their blocks are translated as without gdb).  Saves the
memory records with the ids of the watches.

With SPEC["pending"] the watches are set while gdb holds the guest
stopped at guest_main, after code has been translated (the first memory
watch then waits for a flush); without it, at the first instruction
(-S), where nothing is translated yet and they are live at once.
SPEC["drop"] names watches removed again before the guest runs."""

import gdb

import ingdb
from ingdb import RESULT, SPEC, run
from qinsn_gdb import session

run("qinsn-connect " + SPEC["sock"])
RESULT["buf"] = int(gdb.parse_and_eval("&probe_mem_buf"))


def to_guest_main():
    gdb.Breakpoint("guest_main", temporary=True)
    gdb.execute("continue", to_string=True)


if SPEC.get("pending"):
    to_guest_main()
RESULT["ids"] = {}
for name, command in SPEC["watches"]:
    before = session.current().watch_ids("mem")
    run(command)
    new = [i for i in session.current().watch_ids("mem") if i not in before]
    RESULT["ids"][name] = new[0] if len(new) == 1 else None
for name in SPEC.get("drop", ()):
    run("qinsn-unwatch %d" % RESULT["ids"][name])
run("qinsn-list")
run("qinsn-status")
RESULT["records_before_run"] = len(ingdb.hits())

if not SPEC.get("pending"):
    to_guest_main()
RESULT["return"] = gdb.selected_frame().older().pc()
gdb.Breakpoint("*%#x" % RESULT["return"], internal=True)
run("continue")
RESULT["stopped_at"] = gdb.selected_frame().pc()
ingdb.wait_events()
RESULT["records"] = [
    {"watch": a.watch, "hit": a.hit, "cpu": a.cpu, "pc": a.pc,
     "addr": a.addr, "size": a.size, "dir": a.dir, "value": a.value,
     "regs": dict(a.regs)}
    for a in session.peek().ring.hits() if a.kind == "mem"]
run("qinsn-hits 100")
run("qinsn-hits 2")
run("qinsn-list")
ingdb.save()
