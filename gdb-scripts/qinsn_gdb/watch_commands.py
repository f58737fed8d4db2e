"""qinsn-watch, qinsn-watch-mem, qinsn-unwatch, qinsn-enable,
qinsn-disable, qinsn-list."""

import re
import time

import gdb

from . import complete
from . import format as fmt
from . import gdbbreaks
from . import location
from . import memory
from . import session
from .base import QinsnCommand, no_arguments
from .session import RUNNING_GRACE, STOPPED_GRACE, MemWatch


class QinsnWatchCommand(QinsnCommand):
    """Log registers each time the guest executes LOCATION, without stopping.

Usage: qinsn-watch LOCATION [if REG OP VALUE] [regs=REG,...] [ignore=N]
                   [count=N] [once] [cpu=N]

LOCATION is what 'break' accepts: *ADDRESS, FUNCTION, FILE:LINE, $pc.
A function stands for its first instruction (as 'break *FUNCTION' does),
so the registers are those the caller passed.  A location with several
addresses (a line inlined twice, say) gets one watch per address.
The log names each watch by its symbol (FUNCTION, or FUNCTION+OFFSET),
for qinsn diff.

REG is a register as gdb names it ($a0, rip, lr) or #N, N being its gdb
remote number (the "Rmt Nr" of 'maint print remote-registers').  The
condition is evaluated by the plugin at every execution; OP is one of
== != < <= > >= and VALUE any gdb expression, evaluated now.
regs= overrides the registers set with qinsn-log; ignore=N skips the
first N hits; count=N stops logging after N (once means count=1);
cpu=N logs only vCPU N.

Stock QEMU applies a watch when a vCPU next runs.  While gdb holds the
guest stopped this command therefore returns at once and reports the
watch as pending (unless QEMU has translated nothing since its last
flush, or QEMU is the patched one, which flushes a stopped guest: then
the watch is normally live at once); once the guest has run, gdb prints
"qinsn: watch N at ... is live" at the next stop, prompt or qinsn
command.  When the guest is running the command waits for the watch to
be live, but no more than a second, so as never to hold gdb up."""

    name = "qinsn-watch"
    category = gdb.COMMAND_BREAKPOINTS

    def invoke(self, arg, from_tty):
        current = _checked_session()
        args = location.split_watch_args(arg)
        addrs = location.resolve_location(args.location)
        options = location.watch_options(args, current.resolve,
                                         current.register_spec)
        before = current.watch_ids("insn")
        _send_and_report(current, before, lambda: [
            current.send_watch(a, options, args.location) for a in addrs])

    def complete(self, text, word):
        last = complete.last_word(text)
        if last.startswith("regs=") or " if " in " " + text:
            return complete.registers(word)
        return gdb.COMPLETE_LOCATION


def _checked_session():
    """The session, its register numbering compared with gdb's (once per
    target)."""
    current = session.current()
    current.registers()
    return current


def _send_and_report(current, before, send):
    """Send the requests (@send returns their PendingWatches), wait for
    them as long as is safe, and say which are live and which pending.
    @before: the ids of the plugin's watches of that kind before."""
    stopped = fmt.target_stopped()
    sent = send()
    wait = STOPPED_GRACE if stopped else RUNNING_GRACE
    deadline = time.monotonic() + wait
    for pending in sent:
        pending.reply.wait(max(0.0, deadline - time.monotonic()))
    for pending in sent:
        if current.settle(pending, before):
            if not pending.reply.ok:
                where = (pending.label if pending.label is not None else
                         fmt.address(pending.addr))
                raise gdb.GdbError("%s: %s" % (where, pending.reply.message))
            fields = pending.reply.fields()
            if fields.get("id", "").isdigit():
                pending.id = int(fields["id"])
            current.confirmed(pending)
            gdb.write("%s: live (gen %s).\n" % (pending.describe(),
                                                 fields.get("gen")))
            continue
        current.confirmed(pending)
        why = ("pending until the guest runs" if stopped else
               "not live yet, reported when it is")
        gdb.write("%s: %s.\n" % (pending.describe(), why))


class QinsnWatchMemCommand(QinsnCommand):
    """Log the loads and stores that touch EXPR, without stopping.

Usage: qinsn-watch-mem EXPR [r|w|rw] [if value OP VALUE] [regs=REG,...]
                       [len=N] [ignore=N] [count=N] [once] [cpu=N]

What is watched, from EXPR (evaluated by gdb now, as 'print' would):
  - EXPR is an lvalue in memory, that is gdb can take its address as
    'print &(EXPR)' does (a variable, buf[3], s.field, *ptr,
    *(long *)$sp): from that address, len=N bytes if given, else the
    size of EXPR's type.  A function needs len=N.
  - Otherwise (&var, $sp, 0x80003000, (long)ptr, a register variable):
    the value of EXPR, an integer or pointer, is the address, and len=N
    is required.
So for a pointer variable p, 'p' watches p itself, and '*p' the object
it points to; '*p len=16' 16 bytes from where it points.  (gdb keeps a
cast of an lvalue an lvalue: '(char *)p' still stands for p itself.)

Every access that touches any byte of the range is logged, also one
that straddles either end: the PC of the accessing instruction, the
access's address, size, direction and value, and the registers.
Direction: r (loads), w (stores) or rw (both, the default).  The
direction and the options may stand before or after the 'if' clause; a
last word r, w, rw or once after EXPR is always taken as one of them
(write (r) for a variable named r).

The condition compares the value of each access (zero-extended, as
unsigned numbers) with VALUE, any gdb expression evaluated now; OP is
one of == != < <= > >=.  A negative VALUE wraps to the size of EXPR's
type when EXPR is a scalar lvalue (if value == -1 matches an int set
to -1), else to 64 bits.  regs= overrides the registers set with
qinsn-log; ignore=N skips the first N accesses; count=N stops after N
logged (once means count=1); cpu=N logs only vCPU N.

Errors: an EXPR that is no lvalue and has no len= ("... is not an
lvalue in memory: add len=N ..."), a word after EXPR that is not a
direction ("'x' is not a direction: use r ..."), two directions, an
unknown option, a condition not on 'value', len=0, a function without
len=; an EXPR gdb cannot evaluate gives gdb's own message.

The first memory watch makes QEMU retranslate its code, so while gdb
holds the guest stopped this command may return with the watch pending
(unless QEMU has translated nothing since its last flush, as at a -S
start: then it is live at once); gdb prints "qinsn: memory watch N ...
is live" once the guest has run, at the next stop, prompt or qinsn
command.  Later memory watches are live as soon as the first is.  When
the guest runs the command waits for the watch to be live, but no more
than a second.  qinsn-hits shows the accesses, qinsn-list the watch;
qinsn-unwatch, qinsn-enable and qinsn-disable take its number."""

    name = "qinsn-watch-mem"
    category = gdb.COMMAND_BREAKPOINTS

    def invoke(self, arg, from_tty):
        current = _checked_session()
        args = memory.split_args(arg)
        target = memory.resolve_target(args.expr, args.option("len"))
        options = memory.watch_options(args, target, current.register_spec)
        label = memory.describe(args, target)
        info = MemWatch(args.expr, target.addr, target.length, target.type)

        def send():
            pending = current.send_watch_mem(target.addr, target.length,
                                             args.direction, options,
                                             args.expr, label)
            pending.info = info
            return [pending]

        _send_and_report(current, current.watch_ids("mem"), send)

    def complete(self, text, word):
        words = text.split()
        if len(words) < 2 and not text[-1:].isspace():
            return gdb.COMPLETE_EXPRESSION
        last = complete.last_word(text)
        if last.startswith("regs="):
            return complete.registers(word)
        condition = re.search(r"(?:^|\s)if\s+(.*)$", text)
        if condition:
            cond = condition.group(1)
            if not cond.strip() or cond.strip() == last:
                return [w for w in ("value",) if w.startswith(word)]
            if not re.search(r"(==|!=|<=|>=|<|>)\s*\S", cond):
                return gdb.COMPLETE_EXPRESSION
        offered = list(memory.DIRECTIONS) + [
            k + "=" for k in memory.OPTION_KEYS] + list(memory.FLAGS)
        if not condition:
            offered.append("if")
        found = [w for w in offered if w.startswith(last)]
        return found if found or not last else gdb.COMPLETE_EXPRESSION


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


class QinsnUnwatchCommand(QinsnCommand):
    """Remove qinsn watches.

Usage: qinsn-unwatch ID... | all | LOCATION

IDs are the numbers qinsn-watch and qinsn-list show; a LOCATION (as for
qinsn-watch) removes every watch at its addresses.  Removal takes effect
at once, also while the guest is stopped."""

    name = "qinsn-unwatch"
    category = gdb.COMMAND_BREAKPOINTS

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
        gdbbreaks.prune(current)
        gdb.write("Removed %d watch%s.\n" % (removed,
                                             "" if removed == 1 else "es"))

    def complete(self, text, word):
        return ["all"] * ("all".startswith(word)) + _id_completions(word)


class _ToggleCommand(QinsnCommand):
    verb = None
    category = gdb.COMMAND_BREAKPOINTS

    @property
    def name(self):
        return "qinsn-" + self.verb

    def invoke(self, arg, from_tty):
        current = session.current()
        usage = "Usage: qinsn-%s ID..." % self.verb
        for watch_id in _parse_ids(gdb.string_to_argv(arg), usage):
            current.request("%s %d" % (self.verb, watch_id))
            gdbbreaks.toggled([watch_id], self.verb == "enable")
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


class QinsnListCommand(QinsnCommand):
    """List the plugin's watches.

Usage: qinsn-list

State is pending (not translated since it was set), armed (translated),
hit (hit at least once) or done (its count is spent).  What is the
address of an instruction watch; for a memory watch "mem", its
direction (r, w, rw), length and address, and the expression it was set
with when it was set from this gdb.  Once QEMU has translated an
instruction watch, its instruction follows a ';' as QEMU disassembles
it."""

    name = "qinsn-list"
    category = gdb.COMMAND_BREAKPOINTS

    def invoke(self, arg, from_tty):
        no_arguments(arg, "Usage: qinsn-list")
        current = session.current()
        watches = current.watch_list()
        if not watches:
            gdb.write("No qinsn watches.\n")
            return
        gdb.write("%-4s %-8s %-4s %-8s %-8s %s\n" %
                  ("Id", "State", "Enb", "Hits", "Logged", "What"))
        for fields in watches:
            extra = " ".join("%s=%s" % (k, fields[k]) for k in
                             ("regs", "if", "ignore", "count", "cpu", "mem",
                              "str") if k in fields)
            if "disas" in fields:
                extra += "  ; " + fields["disas"]
            gdb.write("%-4s %-8s %-4s %-8s %-8s %s %s\n" % (
                fields["id"], fields.get("state"),
                "y" if fields.get("enabled") == "yes" else "n",
                fields.get("hits"), fields.get("logged"),
                _what(fields, current.mem_watches.get(fields["id"])), extra))


def _what(fields, mem_watch):
    """The What column: the address (range) of an instruction watch;
    ``mem rw 1 byte at 0x… <buf+12> (buf[12])`` for a memory watch."""
    where = fmt.address(fields["addr"])
    if fields["kind"] != "mem":
        if "end" in fields:
            where += "..%s" % fmt.address(fields["end"])
        return where
    length = fields.get("len", "")
    text = "mem %s %s at %s" % (
        fields.get("dir", "?"),
        fmt.plural(int(length), "byte") if length.isdigit() else "? bytes",
        where)
    if mem_watch is not None and mem_watch.addr == fields["addr"]:
        text += " (%s)" % mem_watch.expr
    return text
