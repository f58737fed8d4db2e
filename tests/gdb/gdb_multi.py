"""Inside gdb: a FILE:LINE with several addresses (code inlined twice)
gets one watch per address, and qinsn-unwatch FILE:LINE removes them."""

import gdb

from ingdb import RESULT, SPEC, run, save
from qinsn_gdb import session


def line_with_several_addresses(source):
    for line in range(1, 200):
        location = "%s:%d" % (source, line)
        try:
            sals = gdb.decode_line(location)[1] or ()
        except gdb.error:
            continue
        pcs = sorted(set(s.pc for s in sals))
        if len(pcs) > 1 and all(s.line == line for s in sals):
            return location, pcs
    return None, []


run("qinsn-connect " + SPEC["sock"])
location, pcs = line_with_several_addresses(SPEC["source"])
RESULT["location"], RESULT["pcs"] = location, pcs
if location:
    run("qinsn-watch " + location)
    RESULT["watched"] = sorted(session.current().watch_ids().values())
    run("qinsn-unwatch " + location)
    RESULT["left"] = sorted(session.current().watch_ids().values())
save()
