"""qinsn-connect, qinsn-disconnect, qinsn-log, qinsn-hits, qinsn-mark,
qinsn-status: the commands about the connection and what it delivers."""

import os
import re
import time

import gdb

from . import complete
from . import format as fmt
from . import gdbbreaks
from . import session
from .base import QinsnCommand, no_arguments
from .discover import DiscoveryError, find_socket
from .session import Session, remote_target_key


class QinsnConnectCommand(QinsnCommand):
    """Connect to the control socket of QEMU's qinsn plugin.

Usage: qinsn-connect [SOCKET]

Without SOCKET: $QINSN_SOCKET, else the only live socket in
$XDG_RUNTIME_DIR/qinsn/ (/tmp/qinsn-UID/ when XDG_RUNTIME_DIR is unset);
when there are several they are listed, to choose one.  When gdb is
connected to the same QEMU's gdbstub, the plugin's register numbering
is checked against gdb's: any difference is an error.  A new
qinsn-connect replaces the previous connection."""

    name = "qinsn-connect"
    category = gdb.COMMAND_SUPPORT

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) > 1:
            raise gdb.GdbError("Usage: qinsn-connect [SOCKET]")
        try:
            path = os.path.expanduser(argv[0]) if argv else find_socket()
        except DiscoveryError as err:
            raise gdb.GdbError(str(err))
        current = Session(path)
        gdbbreaks.forget_all()
        session.replace(current)
        g = current.greeting
        gdb.write("Connected to qinsn at %s: QEMU pid %s, %s, flush %s%s.\n"
                  % (path, g.pid, g.arch, g.fields.get("flush", "?"),
                     "" if g.fields.get("exact") == "yes" else
                     " (mid-block PC and flags are not exact)"))
        if remote_target_key() is not None:
            regmap = current.registers()
            gdb.write("Registers: %d, same numbering as gdb's target %s.\n"
                      % (len(regmap.regs), regmap.source))

    def complete(self, text, word):
        return gdb.COMPLETE_FILENAME


class QinsnDisconnectCommand(QinsnCommand):
    """Close the connection to the qinsn plugin; its watches stay.

Usage: qinsn-disconnect"""

    name = "qinsn-disconnect"
    category = gdb.COMMAND_SUPPORT

    def invoke(self, arg, from_tty):
        no_arguments(arg, "Usage: qinsn-disconnect")
        session.current()
        gdbbreaks.forget_all()
        session.replace(None)


def shown_spec(spec):
    """``s0 (fp)`` for the plugin's register word ``s0/fp``."""
    label, _, name = spec.partition("/")
    return "%s (%s)" % (label, name) if name else label


class QinsnLogCommand(QinsnCommand):
    """Set the registers that new qinsn watches log, or show them.

Usage: qinsn-log [REG...]

REG is a register as gdb names it (rip, $a0, lr, $pc) or #N for gdb
remote register number N.  Names are mapped to the plugin's; records
keep the name as typed ("s0 (fp)": s0 logs the register the plugin
calls fp, keyed "s0").  gdb's computed registers ($fp on x86_64 and
aarch64, pseudo-registers such as eax or w0) are refused, since the
plugin could not log what gdb shows for them.  Watches already set keep
their registers."""

    name = "qinsn-log"
    category = gdb.COMMAND_DATA

    def invoke(self, arg, from_tty):
        current = session.current()
        names = [current.register_spec(n) for n in gdb.string_to_argv(arg)]
        reply = current.request(" ".join(["log"] + names))
        regs = [shown_spec(s) for s in
                reply.fields().get("regs", "").split(",") if s]
        gdb.write("New watches log: %s.\n" %
                  (", ".join(regs) or "(the plugin's default)"))

    def complete(self, text, word):
        return complete.registers(word)


def on_exited(event):
    session.guest_exited = True


def on_cont(event):
    session.guest_exited = False


def _written(current):
    """(written, logged) of the plugin's stats, or None."""
    try:
        lines = current.request("stats").data
    except gdb.GdbError:
        return None
    stats = dict(line.split("=", 1) for line in lines if "=" in line)
    try:
        return int(stats["written"]), int(stats["logged"])
    except (KeyError, ValueError):
        return None


def _writer_caught_up(current, timeout):
    """With the guest stopped, wait (at most @timeout) until the plugin's
    writer has handed every hit logged so far to subscribers: hit events
    come from the writer, behind the hits.  Caught up: as many written as
    were logged when asked (written also counts marks), and no change
    between two looks."""
    first = _written(current)
    if first is None:
        return
    target, last = first[1], None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = _written(current)
        if now is None or (now[0] >= target and now[0] == last):
            return
        last = now[0]
        time.sleep(0.02)


class QinsnHitsCommand(QinsnCommand):
    """Show the last hits that the qinsn plugin reported.

Usage: qinsn-hits [N]

Shows the last N hits (default 10), oldest first, with the marks
between them; the accesses of memory watches count as hits.  Values
print as gdb prints the register: code addresses with their symbol,
flags registers with their flag names.  "(stale)" marks a value the
plugin could not read exactly at that instruction (x86 eflags in the
middle of a block on stock QEMU).  A memory access shows as

  #3 watch 2 hit 1 cpu 0 at PC <f+58>: write 2 bytes at ADDRESS
     <buf+12> = 0xeeff; REG=VALUE ...

("read" for loads), the PC being the accessing instruction's: the
value in hex, followed in parentheses by gdb's rendering of it when
the access covers exactly the lvalue the watch was set on (a uint64_t
in decimal, a pointer with its symbol).
The hits stay available after QEMU has exited."""

    name = "qinsn-hits"
    category = gdb.COMMAND_DATA

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) > 1 or (argv and not argv[0].isdigit()):
            raise gdb.GdbError("Usage: qinsn-hits [N]")
        current = session.current()
        if session.guest_exited:
            # a guest that has ended: its last events come as QEMU exits
            current.events.drain(timeout=5.0, until_closed=True)
        else:
            if fmt.target_stopped():
                _writer_caught_up(current, 2.0)
            current.events.drain(timeout=1.0)
        items = current.ring.last(int(argv[0]) if argv else 10)
        if not items:
            gdb.write("No hits received.\n")
        for item in items:
            if item.kind == "mark":
                gdb.write("#%d mark %s\n" % (item.seq, item.token))
            elif item.kind == "mem":
                gdb.write(fmt.mem_line(item, current.types,
                                       current.mem_watches.get(item.watch))
                          + "\n")
            else:
                gdb.write(fmt.hit_line(item, current.types) + "\n")
        if current.ring.lost:
            gdb.write("(%d events were lost: gdb read them too slowly)\n" %
                      current.ring.lost)


class QinsnMarkCommand(QinsnCommand):
    """Put a mark into the qinsn log, in execution order with the hits.

Usage: qinsn-mark TOKEN

TOKEN is one word of letters, digits and . _ - : it appears in the log
and in qinsn-hits between the hits before and after it."""

    name = "qinsn-mark"
    category = gdb.COMMAND_DATA

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) != 1:
            raise gdb.GdbError("Usage: qinsn-mark TOKEN")
        if not re.match(r"^[A-Za-z0-9._-]+$", argv[0]):
            raise gdb.GdbError("mark token '%s': use letters, digits and "
                               ". _ - only" % argv[0])
        session.current().request("mark " + argv[0])


class QinsnStatusCommand(QinsnCommand):
    """Show the qinsn connection, the register check and the plugin's counters.

Usage: qinsn-status"""

    name = "qinsn-status"
    category = gdb.COMMAND_STATUS

    def invoke(self, arg, from_tty):
        no_arguments(arg, "Usage: qinsn-status")
        current = session.peek()
        if current is None:
            gdb.write("Not connected to qinsn.\n")
            return
        current.print_notices()
        g = current.greeting
        state = ("connected to" if current.alive else
                 "disconnected (%s) from" % current.closed_reason)
        gdb.write("qinsn: %s %s\n" % (state, current.path))
        gdb.write("  QEMU pid %s, %s, mode %s, flush %s, exact %s\n" % (
            g.pid, g.arch, g.fields.get("mode", "?"),
            g.fields.get("flush", "?"), g.fields.get("exact", "?")))
        gdb.write("  Registers: %s\n" % _register_state(current))
        waiting = ["%s" % (p.id or fmt.address(p.addr))
                   for p in current.pending]
        if waiting:
            gdb.write("  Watches waiting for the guest to run: %s\n" %
                      ", ".join(waiting))
        ring = current.ring
        gdb.write("  Hits received: %d (%d kept), %d events lost, "
                  "%d records dropped\n" % (ring.received, len(ring.items),
                                            ring.lost, ring.dropped))
        if current.alive:
            gdb.write("Plugin counters:\n")
            for line in current.request("stats").data:
                gdb.write("  %s\n" % line)


def _register_state(current):
    regmap = current.regmap
    if regmap is None:
        return "not compared yet"
    if not regmap.checked:
        return ("%d, not compared (gdb has no remote target)" %
                len(regmap.regs))
    if regmap.mismatches:
        return "DIFFERENT from gdb's target %s: %s" % (
            regmap.source, "; ".join(regmap.mismatches[:3]))
    return "%d, same numbering as gdb's target %s%s" % (
        len(regmap.regs), regmap.source,
        "".join("; " + w for w in regmap.warnings))
