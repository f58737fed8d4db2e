"""qinsn-watch, qinsn-unwatch, qinsn-enable, qinsn-disable, qinsn-list."""

import time

import gdb

from . import complete
from . import format as fmt
from . import location
from . import session
from .session import RUNNING_GRACE, STOPPED_GRACE


class QinsnWatchCommand(gdb.Command):
    """Log registers each time the guest executes LOCATION, without stopping.

Usage: qinsn-watch LOCATION [if REG OP VALUE] [regs=REG,...] [ignore=N]
                   [count=N] [once] [cpu=N]

LOCATION is what 'break' accepts: *ADDRESS, FUNCTION, FILE:LINE, $pc.
A function stands for its first instruction (as 'break *FUNCTION' does),
so the registers are those the caller passed.  A location with several
addresses (a line inlined twice, say) gets one watch per address.

REG is a register as gdb names it ($a0, rip, lr) or #N, N being its gdb
remote number (the "Rmt Nr" of 'maint print remote-registers').  The
condition is evaluated by the plugin at every execution; OP is one of
== != < <= > >= and VALUE any gdb expression, evaluated now.
regs= overrides the registers set with qinsn-log; ignore=N skips the
first N hits; count=N stops logging after N (once means count=1);
cpu=N logs only vCPU N.

QEMU applies a watch when a vCPU next runs.  While gdb holds the guest
stopped this command therefore returns at once and reports the watch as
pending (unless QEMU has translated nothing since its last flush: then
the watch is live at once); once the guest has run, gdb prints
"qinsn: watch N at ... is live" at the next stop, prompt or qinsn
command.  When the guest is running the command waits for the watch to
be live, but no more than a second, so as never to hold gdb up."""

    def __init__(self):
        super().__init__("qinsn-watch", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        current = session.current()
        current.registers()     # compares the numbering once per target
        args = location.split_watch_args(arg)
        addrs = location.resolve_location(args.location)
        options = location.watch_options(args, current.resolve)
        stopped = fmt.target_stopped()
        before = current.watch_ids()
        sent = [current.send_watch(a, options, args.location) for a in addrs]
        wait = STOPPED_GRACE if stopped else RUNNING_GRACE
        deadline = time.monotonic() + wait
        for pending in sent:
            pending.reply.wait(max(0.0, deadline - time.monotonic()))
        for pending in sent:
            where = fmt.address(pending.addr)
            if current.settle(pending, before):
                if not pending.reply.ok:
                    raise gdb.GdbError("%s: %s" % (where,
                                                   pending.reply.message))
                fields = pending.reply.fields()
                gdb.write("Watch %s at %s: live (gen %s).\n" %
                          (fields.get("id"), where, fields.get("gen")))
                continue
            name = "Watch %d" % pending.id if pending.id else "Watch"
            why = ("pending until the guest runs" if stopped else
                   "not live yet, reported when it is")
            gdb.write("%s at %s: %s.\n" % (name, where, why))

    def complete(self, text, word):
        words = text.split()
        last = words[-1] if words and not text[-1:].isspace() else ""
        if last.startswith("regs=") or " if " in " " + text:
            return complete.registers(word)
        return gdb.COMPLETE_LOCATION


def _parse_ids(argv, usage):
    ids = []
    for word in argv:
        if not word.isdigit():
            raise gdb.GdbError("'%s' is not a watch number (%s)" %
                               (word, usage))
        ids.append(int(word))
    if not ids:
        raise gdb.GdbError("a watch number is needed (%s)" % usage)
    return ids


def _id_completions(word):
    current = session.peek()
    if current is None or not current.alive:
        return []
    try:
        ids = current.watch_ids()
    except gdb.GdbError:
        return []
    return [str(i) for i in sorted(ids) if str(i).startswith(word)]


class QinsnUnwatchCommand(gdb.Command):
    """Remove qinsn watches.

Usage: qinsn-unwatch ID... | all | LOCATION

IDs are the numbers qinsn-watch and qinsn-list show; a LOCATION (as for
qinsn-watch) removes every watch at its addresses.  Removal takes effect
at once, also while the guest is stopped."""

    def __init__(self):
        super().__init__("qinsn-unwatch", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        current = session.current()
        argv = gdb.string_to_argv(arg)
        if not argv:
            raise gdb.GdbError("Usage: qinsn-unwatch ID... | all | LOCATION")
        if argv == ["all"]:
            targets = ["all"]
        elif all(w.isdigit() for w in argv):
            targets = [str(i) for i in _parse_ids(argv, "")]
        else:
            targets = ["%#x" % a for a in location.resolve_location(arg)]
        removed = 0
        for target in targets:
            removed += int(current.request("unwatch " + target)
                           .fields().get("removed", 0))
        current.forget_pending(targets)
        gdb.write("Removed %d watch%s.\n" % (removed,
                                             "" if removed == 1 else "es"))

    def complete(self, text, word):
        return ["all"] * ("all".startswith(word)) + _id_completions(word)


class _ToggleCommand(gdb.Command):
    verb = None

    def __init__(self):
        super().__init__("qinsn-" + self.verb, gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        current = session.current()
        usage = "Usage: qinsn-%s ID..." % self.verb
        for watch_id in _parse_ids(gdb.string_to_argv(arg), usage):
            current.request("%s %d" % (self.verb, watch_id))
            gdb.write("Watch %d %sd.\n" % (watch_id, self.verb))

    def complete(self, text, word):
        return _id_completions(word)


class QinsnEnableCommand(_ToggleCommand):
    """Resume logging of qinsn watches.

Usage: qinsn-enable ID...

A watch whose count= was spent starts counting again."""
    verb = "enable"


class QinsnDisableCommand(_ToggleCommand):
    """Stop logging qinsn watches without removing them.

Usage: qinsn-disable ID..."""
    verb = "disable"


class QinsnListCommand(gdb.Command):
    """List the plugin's watches.

Usage: qinsn-list

State is pending (not translated since it was set), armed (translated),
hit (hit at least once) or done (its count is spent)."""

    def __init__(self):
        super().__init__("qinsn-list", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        if gdb.string_to_argv(arg):
            raise gdb.GdbError("Usage: qinsn-list")
        lines = session.current().request("list").data
        if not lines:
            gdb.write("No qinsn watches.\n")
            return
        gdb.write("%-4s %-8s %-4s %-8s %-8s %s\n" %
                  ("Id", "State", "Enb", "Hits", "Logged", "What"))
        for line in lines:
            fields = dict(w.split("=", 1) for w in line.split() if "=" in w)
            extra = " ".join("%s=%s" % (k, fields[k]) for k in
                             ("regs", "if", "ignore", "count", "cpu", "mem",
                              "str") if k in fields)
            gdb.write("%-4s %-8s %-4s %-8s %-8s %s %s\n" % (
                fields.get("id"), fields.get("state"),
                "y" if fields.get("enabled") == "yes" else "n",
                fields.get("hits"), fields.get("logged"),
                fmt.address(int(fields.get("addr", "0"), 16)), extra))
