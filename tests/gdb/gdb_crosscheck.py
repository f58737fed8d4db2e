"""Inside gdb: qinsn watches and gdb breakpoints on the same PCs.

At every breakpoint stop it records what gdb shows for all general
registers; the hits qinsn reported for the same PCs are saved beside them
so that the driver can compare stop n at a PC with hit n of its watches:
one logging the registers set with qinsn-log, and one more per further
32 registers (the plugin's limit per watch).
"""

import gdb

import ingdb
from ingdb import RESULT, SPEC, run
from qinsn_gdb import session

run("qinsn-connect " + SPEC["sock"])
regs = ingdb.loggable_general_registers()
RESULT["regs"] = regs
chunks = [regs[i:i + 32] for i in range(0, len(regs), 32)]
run("qinsn-log " + " ".join(chunks[0]))
for location in SPEC["locations"]:
    run("qinsn-watch " + location)
    for chunk in chunks[1:]:
        run("qinsn-watch %s regs=%s" % (location, ",".join(chunk)))
watches = session.current().watch_ids()
RESULT["watches"] = watches
for addr in set(watches.values()):
    gdb.Breakpoint("*%#x" % addr, internal=True)
gdb.Breakpoint(SPEC["end"], internal=True)

stops, seen = [], {}
for _ in range(200):
    gdb.execute("continue", to_string=True)
    frame = gdb.selected_frame()
    pc = frame.pc()
    if pc not in watches.values():
        break
    seen[pc] = seen.get(pc, 0) + 1
    stops.append({"pc": pc, "n": seen[pc],
                  "regs": {n: ingdb.reg_int(frame.read_register(n))
                           for n in regs}})
RESULT["stops"] = stops
ingdb.wait_events()
RESULT["hits"] = ingdb.hits()
run("qinsn-hits 3")
ingdb.save()
