"""Inside gdb, on a spin guest: a watch set while gdb holds the guest
stopped at a breakpoint (pending until 'continue'), then watches set,
disabled and removed while the guest runs under 'continue &', a memory
watch among them (on the stack slot where x86_64's 'call spin_fn' puts
its return address; the other guests do not touch it)."""

import gdb

import ingdb
from ingdb import RESULT, SPEC, run
from qinsn_gdb import session

a0, a1, a2 = SPEC["args"]


def new_id(before):
    ids = [i for i in session.current().watch_ids() if i not in before]
    return ids[0] if len(ids) == 1 else None


def logged(watch):
    """The plugin's count of logged hits (the ring only keeps the last)."""
    for line in session.current().request("list").data:
        fields = dict(w.split("=", 1) for w in line.split() if "=" in w)
        if fields["id"] == str(watch):
            return int(fields["logged"])
    return None


def received(watch):
    """How many hits (or memory accesses) of @watch came back as events."""
    return sum(1 for h in session.peek().ring.hits() if h.watch == watch)


run("qinsn-connect " + SPEC["sock"])
RESULT["spin_text"] = int(gdb.parse_and_eval("&spin_text"))
gdb.Breakpoint("spin_rare")
run("continue")

# Stopped: the watch waits for the guest to run.
before = session.current().watch_ids()
run("qinsn-watch spin_fn regs=%s,%s count=5" % (a0, a1))
RESULT["pending_id"] = new_id(before)
before = session.current().watch_ids()
run("qinsn-watch $pc regs=%s once" % a0)
RESULT["pc_id"] = new_id(before)
RESULT["spin_rare"] = int(gdb.parse_and_eval("$pc"))
RESULT["slot"] = int(gdb.parse_and_eval("$sp")) - 8
run("qinsn-list")
run("qinsn-status")
RESULT["hits_while_stopped"] = len(ingdb.hits())
run("continue")
# stopped again: its hits come back through the plugin's log writer
ingdb.wait_until(lambda: received(RESULT["pending_id"]) ==
                 logged(RESULT["pending_id"]))
run("qinsn-list")
RESULT["pending_hits"] = [h for h in ingdb.hits()
                          if h["watch"] == RESULT["pending_id"]]

# Running: replies come at once, hits arrive while gdb waits.
gdb.execute("delete")
run("continue &")
before = session.current().watch_ids()
run("qinsn-watch spin_tick if %s > 0x10 regs=%s,%s,%s count=3" %
    (a0, a0, a1, a2))
RESULT["cond_id"] = new_id(before)
before = session.current().watch_ids()
run("qinsn-watch spin_str regs=%s,%s once" % (a0, a1))
RESULT["str_id"] = new_id(before)
before = session.current().watch_ids()
run("qinsn-watch-mem %#x len=8 w count=2 regs=%s" % (RESULT["slot"], a0))
RESULT["mem_id"] = new_id(before)
# The guest runs for a second at least (on riscv64 and aarch64 nothing may
# touch the memory watch's slot meanwhile), and until the counted watches'
# hits have come back through the log writer.
ingdb.wait_until(lambda: received(RESULT["cond_id"]) >= 3 and
                 received(RESULT["str_id"]) >= 1 and
                 received(RESULT["pc_id"]) >= 1 and
                 received(RESULT["mem_id"]) >= SPEC["mem_hits"],
                 at_least=1.0)
RESULT["mem_hits"] = [
    {"watch": a.watch, "hit": a.hit, "addr": a.addr, "size": a.size,
     "dir": a.dir, "value": a.value, "pc": a.pc}
    for a in session.peek().ring.hits() if a.kind == "mem"]
run("qinsn-unwatch %d" % RESULT["mem_id"])
RESULT["cond_hits"] = [h for h in ingdb.hits()
                       if h["watch"] == RESULT["cond_id"]]
RESULT["str_hits"] = [h for h in ingdb.hits()
                      if h["watch"] == RESULT["str_id"]]
RESULT["pc_hits"] = [h for h in ingdb.hits()
                     if h["watch"] == RESULT["pc_id"]]

before = session.current().watch_ids()
run("qinsn-watch spin_fn regs=%s" % a0)
toggle = RESULT["toggle_id"] = new_id(before)
ingdb.wait_until(lambda: logged(toggle))
run("qinsn-disable %d" % toggle)
# a hit already under way when the disable came may still be counted:
# wait until the count settles (the same three times running), then check
# that it stays
settle = {"at": logged(toggle), "same": 0}


def settled():
    now = logged(toggle)
    settle["same"] = settle["same"] + 1 if now == settle["at"] else 0
    settle["at"] = now
    return settle["same"] >= 3


ingdb.wait_until(settled, step=0.3)
disabled_at = settle["at"]
ingdb.wait(0.5)
RESULT["toggle"] = [disabled_at, logged(toggle)]
run("qinsn-enable %d" % toggle)
ingdb.wait_until(lambda: logged(toggle) > RESULT["toggle"][1])
RESULT["toggle"].append(logged(toggle))
run("qinsn-unwatch %d" % toggle)
run("qinsn-mark running-mark")
# the mark comes back through the log writer, which may be busy with hits
ingdb.wait_until(lambda: "running-mark" in
                 [m.token for m in session.peek().ring.marks()])
RESULT["marks"] = [m.token for m in session.peek().ring.marks()]
run("qinsn-hits 2")
run("qinsn-unwatch all")
run("qinsn-list")
ingdb.save()
