"""qinsn-break and qinsn-tbreak: breakpoints whose condition QEMU's
plugin tests at every execution, stopping into gdb only when it holds.

gdb's own ``break ... if`` stops the guest at every execution to test
the condition in gdb; here the plugin tests it in QEMU, so only the
matching execution stops.  The stop reaches gdb as an ordinary SIGTRAP;
the plugin's ``! stop`` event says which break it was, and whether the
stop is exact (patched QEMU: before the matching instruction) or late
(stock QEMU: a few instructions after it, at a block start).
"""

import gdb

from . import breakcond
from . import format as fmt
from . import gdbbreaks
from . import location
from . import options as opts
from . import session
from .base import QinsnCommand
from .watch_commands import _checked_session, _send_and_report

# How long a stop waits for the plugin to answer the request that follows
# its events (a loaded machine may keep the plugin's threads waiting for a
# CPU a while; a backlog of hit events comes first).
STOP_EVENT_WAIT = 10.0


def break_spec(text):
    """@text as gdb's 'break' takes it: a register ($pc) means its value."""
    text = text.strip()
    return "*" + text if text.startswith("$") else text


def break_locations(text):
    """The addresses gdb's 'break @text' would use (prologue skipped for
    a function, every location of a line), through a breakpoint that is
    deleted before the target runs again."""
    text = break_spec(text)
    try:
        bp = gdb.Breakpoint(text, internal=True)
    except (gdb.error, RuntimeError) as err:
        raise gdb.GdbError(str(err))
    try:
        if bp.pending:
            raise gdb.GdbError("no code address for location '%s'" % text)
        addrs = []
        for loc in bp.locations:
            if loc.address not in addrs:
                addrs.append(loc.address)
    finally:
        bp.delete()
    if not addrs:
        raise gdb.GdbError("no code address for location '%s'" % text)
    return addrs


class QinsnBreakCommand(QinsnCommand):
    """Stop the guest where LOCATION runs and COND holds, COND being tested
inside QEMU at emulation speed.

Usage: qinsn-break LOCATION [if COND] [ignore=N] [count=N] [cpu=N]
                   [regs=REG,...]

LOCATION is what gdb's 'break' accepts, resolved by gdb the same way:
FUNCTION (after its prologue, as 'break FUNCTION'), FILE:LINE, *ADDRESS.
COND is what the plugin evaluates exactly as gdb would:
  - a register: $a0 or a0 (true when not zero);
  - a register compared with a constant: $a0 == 37, 100 < x5,
    (unsigned long)$a0 >= 0x1000 (a cast to an integer type of the
    register's size); OP is one of == != < <= > >=;
  - a constant (non-zero: always true).
The plugin compares unsigned numbers; where gdb would compare signed
ones (most registers are signed: $a0 is a long) and the answers could
differ, for < <= > >= on a signed register say, the condition is
refused: use == or !=, or a cast to an unsigned type.
ignore=N lets the first N matches pass; count=N stops N times, then the
break is done; cpu=N only for vCPU N; regs= the registers logged at a
match (qinsn-log sets the default).  Every match is logged as
qinsn-watch's hits are (see qinsn-hits).

At a match the whole guest stops and gdb reports SIGTRAP; qinsn says
which break it was.  With qinsn's patched QEMU the stop is exact: $pc is
the matching instruction and every register is as it was just before
it; 'continue' executes it and runs to the next match.  On a stock QEMU
the guest stops at the start of the next translation block: qinsn says
where the match was and that the stop is late (exact=no).

A gdb breakpoint stands for each qinsn break: 'info breakpoints' lists
it under gdb's number, its location disabled (gdb itself never stops
there: that would stop the guest at every execution), and gdb's
'condition', 'ignore', 'disable', 'enable' and 'delete' on that number
act on the qinsn break.  qinsn-list lists breaks as type break under the
plugin's numbers, which qinsn-unwatch, qinsn-enable, qinsn-disable,
qinsn-condition and qinsn-ignore take."""

    name = "qinsn-break"
    category = gdb.COMMAND_BREAKPOINTS
    temporary = False

    def invoke(self, arg, from_tty):
        current = _checked_session()
        if "break" not in current.greeting.fields.get("caps", "").split(","):
            raise gdb.GdbError("this QEMU cannot stop the guest from the "
                               "plugin (no 'break' in its capabilities)")
        args = location.split_watch_args(arg)
        if self.temporary and args.option("count") is not None:
            raise gdb.GdbError("%s stops once; count= is for qinsn-break" %
                               self.name)
        addrs = break_locations(args.location)
        words = []
        cond = None
        if args.condition is not None:
            cond = breakcond.parse(args.condition, current.resolve)
            if cond.word:
                words.append(cond.word)
            args.condition = None
        words += opts.plugin_options(args, None, current.resolve)
        if self.temporary:
            words.append("once")
        before = current.watch_ids("break")
        sent = []

        def send():
            sent.extend(current.send_watch(a, words, args.location,
                                           verb="break") for a in addrs)
            return sent

        _send_and_report(current, before, send)
        ids = [p.id for p in sent if p.id]
        if self.temporary:
            current.temporary.update(ids)
        if ids:
            gdbbreaks.create(break_spec(args.location), ids, self.temporary,
                             cond)

    def complete(self, text, word):
        if " if " in " " + text:
            from . import complete
            return complete.registers(word)
        return gdb.COMPLETE_LOCATION


class QinsnTbreakCommand(QinsnBreakCommand):
    """Stop the guest once where LOCATION runs and COND holds, COND being
tested inside QEMU; the break is then removed.

Usage: qinsn-tbreak LOCATION [if COND] [ignore=N] [cpu=N] [regs=REG,...]

As qinsn-break with count=1; see 'help qinsn-break'."""

    name = "qinsn-tbreak"
    temporary = True


def _describe(stop):
    """The line gdb prints for one ``! stop`` event."""
    pc = int(stop.get("pc", "0"), 16)
    watch_id = stop.get("id", "?")
    number = gdbbreaks.number_of(int(watch_id)) if watch_id.isdigit() \
        else None
    head = "qinsn: break %s (%shit %s, vCPU %s)" % (
        watch_id, "breakpoint %d, " % number if number else "",
        stop.get("hit", "?"), stop.get("cpu", "?"))
    if stop.get("kind") == "stop-failed":
        return ("%s matched at %s but QEMU refused to stop (%s)" %
                (head, fmt.address(pc), stop.get("reason", "?")))
    if stop.get("exact") == "yes":
        return "%s: stopped exactly at %s" % (head, fmt.address(pc))
    at = stop.get("at", "unknown")
    where = fmt.address(int(at, 16)) if at.startswith("0x") else at
    return ("%s matched at %s; the guest stopped later, at %s (stock QEMU: "
            "not exact)" % (head, fmt.address(pc), where))


def on_stop(event):
    """Say which qinsn break stopped the guest; remove spent tbreaks.

    The plugin sends its ``! stop`` event before QEMU reports the stop to
    gdb (exact: from the hit's callback; late: when the vCPU goes idle,
    before the machine counts as stopped), but gdb may see the stop before
    this connection's reader has read the event.  So a request on the
    event connection goes first (one round trip; asking whether breaks
    exist would be one too, and a list of every watch): once it is
    answered, every event sent before it has been read.  gdb reports the
    SIGTRAP of such a stop as a plain StopEvent, as it does a finished
    step (it makes SignalEvents of other signals only), so every stop is
    looked at."""
    current = session.peek()
    if current is None or not current.alive:
        return
    thread = gdb.selected_thread()
    system = current.greeting.fields.get("mode") == "system"
    # gdb's threads are vCPU index + 1 in system mode, host tids in user mode
    vcpu = thread.ptid[1] - 1 if thread is not None and system else None

    def wanted(stop):
        # An exact stop is the stopped thread's own (vCPU n is gdb's
        # thread n+1); the stop of another vCPU waiting for its turn is
        # reported at a later stop.  A late stop (stock QEMU) is reported
        # on gdb's current thread, whichever vCPU matched.
        return (stop.get("exact") != "yes" or vcpu is None or
                stop.get("cpu") == str(vcpu))

    current.events.drain(timeout=STOP_EVENT_WAIT)
    stops = current.ring.take_stops(wanted)
    for stop in stops:
        gdb.write(_describe(stop) + "\n")
    _remove_spent_tbreaks(current, {int(s.get("id", "0")) for s in stops})


def _remove_spent_tbreaks(current, stopped):
    """Remove the tbreaks that stopped (@stopped ids) or whose count is
    spent, even if their event has not come (yet)."""
    if not current.temporary:
        return
    try:
        done = {w["id"] for w in current.watch_list()
                if w.get("state") == "done"}
    except gdb.GdbError:
        done = set()
    spent = sorted(current.temporary & (stopped | done))
    for watch_id in spent:
        current.temporary.discard(watch_id)
        try:
            current.request("unwatch %d" % watch_id)
        except gdb.GdbError as err:
            gdb.write("qinsn: cannot remove tbreak %d: %s\n" %
                      (watch_id, err))
    gdbbreaks.removed(spent)


def replace_break(current, watch_id, condition=None, keep_condition=True,
                  ignore=None, quiet=False):
    """Set break @watch_id again with a new condition or ignore count
    (the plugin has no request that changes a watch), then remove the old
    one; returns the new id.  The gdb breakpoint standing for it follows
    (its condition too, unless @quiet: gdb set it)."""
    old = [w for w in current.watch_list() if w["id"] == watch_id]
    if not old or old[0]["kind"] != "break":
        raise gdb.GdbError("no qinsn break %d (see qinsn-list)" % watch_id)
    fields = old[0]
    words = []
    cond = None
    if keep_condition and "if" in fields:
        words.append("if=" + fields["if"])
    elif condition is not None:
        cond = breakcond.parse(condition, current.resolve)
        if cond.word:
            words.append(cond.word)
    if fields.get("regs", "-") != "-":
        words.append("regs=" + fields["regs"])
    for key in ("count", "cpu"):
        if key in fields:
            words.append("%s=%s" % (key, fields[key]))
    if ignore is not None:
        words.append("ignore=%d" % ignore)
    elif "ignore" in fields:
        words.append("ignore=" + fields["ignore"])
    before = current.watch_ids("break")
    sent = []

    def send():
        sent.append(current.send_watch(fields["addr"], words,
                                       "break %d" % watch_id, verb="break"))
        return sent

    _send_and_report(current, before, send)
    new_id = sent[0].id
    if not new_id:
        raise gdb.GdbError("the plugin did not say the new break's number; "
                           "break %d is kept (see qinsn-list)" % watch_id)
    current.request("unwatch %d" % watch_id)
    if watch_id in current.temporary:
        current.temporary.discard(watch_id)
        current.temporary.add(new_id)
    gdbbreaks.replaced(watch_id, new_id, cond, keep_condition or quiet)
    return new_id


class QinsnConditionCommand(QinsnCommand):
    """Change (or remove) the condition of a qinsn break, as gdb's
'condition' does for its breakpoints.

Usage: qinsn-condition ID [COND]

COND as for qinsn-break; without it the break stops at every execution.
The plugin cannot change a watch in place: the break is set again with
the new condition, under a new number that is printed, and its counters
start again."""

    name = "qinsn-condition"
    category = gdb.COMMAND_BREAKPOINTS

    def invoke(self, arg, from_tty):
        current = _checked_session()
        words = arg.split(None, 1)
        if not words or not words[0].isdigit():
            raise gdb.GdbError("Usage: qinsn-condition ID [COND]")
        cond = words[1] if len(words) > 1 else None
        new_id = replace_break(current, int(words[0]), condition=cond,
                                keep_condition=False)
        gdb.write("Break %s is now break %d, %s.\n" %
                  (words[0], new_id,
                   "if " + cond if cond else "unconditional"))


class QinsnIgnoreCommand(QinsnCommand):
    """Let the next COUNT matches of a qinsn break pass, as gdb's 'ignore'
does for its breakpoints.

Usage: qinsn-ignore ID COUNT

The break is set again with ignore=COUNT (the plugin cannot change a
watch in place), under a new number that is printed."""

    name = "qinsn-ignore"
    category = gdb.COMMAND_BREAKPOINTS

    def invoke(self, arg, from_tty):
        current = _checked_session()
        argv = gdb.string_to_argv(arg)
        if len(argv) != 2 or not argv[0].isdigit():
            raise gdb.GdbError("Usage: qinsn-ignore ID COUNT")
        count = opts.evaluate(argv[1], "COUNT")
        new_id = replace_break(current, int(argv[0]), ignore=count)
        gdb.write("Break %s is now break %d; it will ignore its next %d "
                  "match%s.\n" % (argv[0], new_id, count,
                                  "" if count == 1 else "es"))


# -- gdb's own commands on the gdb breakpoint standing for a break -------

def _live_session():
    current = session.peek()
    if current is None or not current.alive:
        return None
    return current


def on_deleted(bp):
    """gdb's 'delete N': remove the plugin's breaks."""
    shadow = gdbbreaks.pop(bp.number)
    current = _live_session()
    if shadow is None or current is None:
        return
    for watch_id in shadow.ids:
        try:
            current.request("unwatch %d" % watch_id)
        except gdb.GdbError as err:
            gdbbreaks.warn("cannot remove break %d: %s" % (watch_id, err))
        current.temporary.discard(watch_id)


def on_modified(bp):
    """gdb changed breakpoint @bp: carry the change to the plugin."""
    shadow = gdbbreaks.shadow_of(bp)
    if shadow is None:
        return
    if any(loc.enabled for loc in bp.locations):
        def disable_locations():
            for loc in bp.locations:
                loc.enabled = False
        gdbbreaks.quietly(disable_locations)
        gdbbreaks.warn("breakpoint %d's locations stay disabled: gdb would "
                       "stop the guest at every execution; the break is "
                       "tested in QEMU" % bp.number)
    current = _live_session()
    if current is None:
        return
    try:
        _carry(current, shadow, bp)
    except gdb.GdbError as err:
        gdbbreaks.warn("breakpoint %d: %s" % (bp.number, err))


def _carry(current, shadow, bp):
    if bp.enabled != shadow.enabled:
        verb = "enable" if bp.enabled else "disable"
        for watch_id in shadow.ids:
            current.request("%s %d" % (verb, watch_id))
        shadow.enabled = bp.enabled
    if bp.condition != shadow.condition:
        _change_condition(current, shadow, bp)
    if bp.ignore_count > 0:
        count = bp.ignore_count
        gdbbreaks.quietly(lambda: setattr(bp, "ignore_count", 0))
        for watch_id in list(shadow.ids):
            replace_break(current, watch_id, ignore=count)
        gdb.write("qinsn: %s (breakpoint %d) will let %s pass in QEMU.\n" %
                  (_breaks(shadow), bp.number,
                   "its next match" if count == 1 else
                   "its next %d matches" % count))


def _breaks(shadow):
    return "break%s %s" % ("s" if len(shadow.ids) > 1 else "",
                           ",".join(str(i) for i in shadow.ids))


def _change_condition(current, shadow, bp):
    text = bp.condition
    try:
        cond = breakcond.parse(text, current.resolve) if text else None
    except gdb.GdbError as err:
        old = shadow.condition
        gdbbreaks.quietly(lambda: setattr(bp, "condition", old))
        raise gdb.GdbError("condition refused, %s: %s" %
                           ("it stays '%s'" % old if old else
                            "it stays unconditional", err))
    for watch_id in list(shadow.ids):
        replace_break(current, watch_id, condition=text,
                      keep_condition=False, quiet=True)
    shadow.condition = text
    gdb.write("qinsn: %s (breakpoint %d) now stop%s %s.\n" %
              (_breaks(shadow), bp.number,
               "" if len(shadow.ids) > 1 else "s",
               "if " + cond.text if cond is not None and cond.word else
               "at every execution"))
