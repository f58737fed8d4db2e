"""Inside gdb: watches set while stopped at the first instruction, then the
guest runs its probes with no breakpoint on their page and stops when
guest_main returns.  Saves the hits per watch.

QEMU translates code on a page holding a gdb breakpoint one instruction
per block; keeping breakpoints off the probes' page leaves the blocks as
they are without gdb, so mid-block watches are really mid-block."""

import gdb

import ingdb
from ingdb import RESULT, SPEC, run
from qinsn_gdb import session

run("qinsn-connect " + SPEC["sock"])
RESULT["ids"] = {}
for watch in SPEC["watches"]:
    before = session.current().watch_ids()
    run("qinsn-watch %s regs=%s" % (watch["loc"], ",".join(watch["regs"])))
    after = session.current().watch_ids()
    RESULT["ids"][watch["label"]] = [(i, after[i]) for i in after
                                     if i not in before]
gdb.Breakpoint(SPEC["main"], temporary=True)
gdb.execute("continue", to_string=True)
RESULT["return"] = gdb.selected_frame().older().pc()
gdb.Breakpoint("*%#x" % RESULT["return"], internal=True)
gdb.execute("continue", to_string=True)
RESULT["stopped_at"] = gdb.selected_frame().pc()
ingdb.wait_events()
RESULT["hits"] = ingdb.hits()
run("qinsn-hits 100")
run("qinsn-list")
run("qinsn-status")
ingdb.save()
