"""The state behind the qinsn-* commands: one plugin, seen from gdb.

A session keeps one *query* connection for every request that is answered
at once, one *events* connection subscribed to hits and marks (so that a
flood of hits never delays a reply), and sends each ``watch`` on a
connection of its own.  The plugin holds a ``watch`` reply until the
change is live, which on stock QEMU needs a vCPU to run: while gdb has the
guest stopped the reply waits for the next ``continue``.  Holding it on a
separate connection keeps the query connection (list, unwatch, stats ...)
answering meanwhile; the reader threads note late replies, and gdb prints
them (see notice()).
"""

import queue
import threading

import gdb

from . import format as fmt
from . import location
from . import wire
from .events import EventRing
from .registers import (GDB_ARCHES, RegisterError, RegisterMap,
                        parse_plugin_regs, parse_remote_registers)
from .wire import CLOSED_BY_PLUGIN, Connection, ProtocolError

REPLY_TIMEOUT = 5.0     # seconds to wait for an answer the plugin owes now
# How long qinsn-watch waits for a watch to be live before returning.
# Stopped, it is live at once only if QEMU has translated nothing since its
# last flush.  Running, a vCPU makes it live within microseconds, but gdb
# may still have to step over a breakpoint before the guest really runs,
# and it cannot while a command holds its thread: so the wait stays short.
STOPPED_GRACE = 0.3
RUNNING_GRACE = 1.0


class PendingWatch:
    """A watch request, kept in Session.pending when its OK had not come
    by the time qinsn-watch (or qinsn-watch-mem) returned."""

    def __init__(self, addr, where, reply, kind="insn", label=None):
        self.addr = addr
        self.where = where      # what the user wrote, for messages
        self.reply = reply
        self.kind = kind        # "insn" or "mem", as parse_watch_line says
        self.label = label      # how messages name it; None: its address
        self.info = None        # MemWatch of a memory watch
        self.id = None          # from 'list' until the OK confirms it

    def describe(self):
        """``Watch 3 at 0x… <f+4>`` or ``Memory watch 4 on buf[2] (…)``,
        without the id while it is unknown."""
        noun = {"mem": "Memory watch", "break": "Break"}.get(self.kind,
                                                             "Watch")
        if self.id:
            noun += " %d" % self.id
        if self.label is not None:
            return "%s on %s" % (noun, self.label)
        return "%s at %s" % (noun, fmt.address(self.addr))


class MemWatch:
    """What gdb knows of a memory watch it set: for qinsn-list and for
    showing values of the watched object's type in qinsn-hits."""

    def __init__(self, expr, addr, length, value_type):
        self.expr = expr
        self.addr = addr
        self.length = length
        self.type = value_type  # gdb.Type of an lvalue, or None


def parse_watch_line(line):
    """A data line of ``list`` as a dict of its fields (``disas`` unquoted),
    with ``id`` and ``addr`` (a range's start) as numbers and ``kind``
    "insn" or "mem"."""
    fields = wire.parse_fields(line)
    fields["id"] = int(fields["id"])
    start, _, end = fields["addr"].partition("..")
    fields["addr"] = int(start, 16)
    if end:
        fields["end"] = int(end, 16)
    fields["kind"] = {"mem": "mem", "break": "break"}.get(fields.get("type"),
                                                         "insn")
    return fields


class Session:
    def __init__(self, path):
        self.path = path
        self.ring = EventRing()
        self.types = fmt.RegisterTypes()
        self._notices = queue.Queue()
        self._lock = threading.Lock()
        self._watchers = []
        self.pending = []
        self.mem_watches = {}   # id -> MemWatch, for watches set here
        self.temporary = set()  # ids of breaks set by qinsn-tbreak
        self.closed_reason = None
        self.regmap = None
        self._regmap_key = None
        self._plugin_regs = None
        self.query = self._open(on_close=self._closed)
        self.greeting = self.query.greeting
        try:
            self.events = self._open(on_event=self.ring.add_line)
            self.request("subscribe", conn=self.events)
        except gdb.GdbError:
            self.query.close()
            raise

    # -- connections -------------------------------------------------------

    def _open(self, on_event=None, on_close=None):
        try:
            return Connection(self.path, on_event=on_event,
                              on_close=on_close)
        except (OSError, ProtocolError) as err:
            raise gdb.GdbError("cannot connect to %s: %s" % (self.path, err))

    def _closed(self, conn, reason):
        self.closed_reason = reason
        if reason == "closed by gdb":
            return
        text = "qinsn: connection to %s closed: %s" % (self.path, reason)

        def unless_exited():
            # QEMU closes the connection as it exits, maybe before gdb
            # hears of the exit: once gdb has said so, no notice is needed
            if guest_exited and reason == CLOSED_BY_PLUGIN:
                return None
            return text
        self.notice(unless_exited)

    @property
    def alive(self):
        return not self.query.closed

    def close(self):
        for conn in [self.query, self.events] + self._watchers:
            conn.close()

    def request(self, line, timeout=REPLY_TIMEOUT, conn=None):
        """Send on the query connection; the Reply, or gdb.GdbError."""
        if not self.alive:
            raise gdb.GdbError(
                "the connection to %s is closed (%s); use qinsn-connect" %
                (self.path, self.closed_reason))
        reply = (conn or self.query).send(line)
        if not reply.wait(timeout):
            raise gdb.GdbError("the plugin did not answer '%s' within %g s" %
                               (line.split()[0], timeout))
        if not reply.ok:
            raise gdb.GdbError(reply.message)
        return reply

    # -- asynchronous notices ---------------------------------------------

    def notice(self, text):
        """Queue @text for gdb's thread; any thread may call this.

        gdb prints it at the next stop, prompt or qinsn command (see
        announce()).  gdb.post_event would print it sooner, but gdb 13
        crashes on exit when a posted event has not run yet, as happens
        in batch mode."""
        self._notices.put(text)

    def print_notices(self):
        while True:
            try:
                text = self._notices.get_nowait()
            except queue.Empty:
                return
            if callable(text):
                text = text()
            if text is not None:
                gdb.write(text + "\n")

    # -- registers ---------------------------------------------------------

    def plugin_regs(self):
        if self._plugin_regs is None:
            self._plugin_regs = parse_plugin_regs(self.request("regs").data)
        return self._plugin_regs

    def registers(self):
        """The RegisterMap, checked against gdb's remote target if any."""
        key = remote_target_key()
        if self.regmap is None or key != self._regmap_key:
            self.regmap = self._build_map(key)
            self._regmap_key = key
            for warning in self.regmap.warnings:
                gdb.write("warning: qinsn: %s\n" % warning)
        if self.regmap.mismatches:
            raise gdb.GdbError(
                "gdb and the plugin disagree on the target's registers "
                "(is gdb connected to the same QEMU?):\n  " +
                "\n  ".join(self.regmap.mismatches[:10]))
        return self.regmap

    def _build_map(self, key):
        arch = self.greeting.arch
        regs = self.plugin_regs()
        if key is None:
            return RegisterMap(arch, regs)
        gdb_arch = key[1]
        if gdb_arch not in GDB_ARCHES.get(arch, (gdb_arch,)):
            raise gdb.GdbError(
                "gdb debugs a %s target but the plugin serves %s (pid %s); "
                "is gdb connected to the same QEMU?" %
                (gdb_arch, arch, self.greeting.pid))
        text = gdb.execute("maint print remote-registers", to_string=True)
        return RegisterMap(arch, regs, parse_remote_registers(text),
                           source=key[2])

    def resolve(self, name):
        """The plugin's name for gdb's register @name, or gdb.GdbError."""
        try:
            return self.registers().resolve(name).name
        except RegisterError as err:
            raise gdb.GdbError(str(err))

    def register_spec(self, name):
        """What to ask the plugin to log for gdb's register @name: the
        plugin's name, labelled with @name as typed (``s0/fp``) where the
        two differ, so that records show the name the user typed."""
        plugin_name = self.resolve(name)
        typed = name[1:] if name.startswith("$") else name
        return plugin_name if typed == plugin_name else "%s/%s" % (
            typed, plugin_name)

    # -- watches -----------------------------------------------------------

    def _watcher(self):
        """A connection with no request outstanding, new if need be."""
        for conn in self._watchers:
            if not conn.closed and not conn.busy():
                return conn
        conn = self._open()
        self._watchers.append(conn)
        return conn

    def watch_list(self):
        """The plugin's watches, from 'list' (see parse_watch_line)."""
        return [parse_watch_line(line) for line in self.request("list").data]

    def watch_ids(self, kind=None):
        """{id: addr} of the plugin's watches (of @kind only, if given)."""
        return {w["id"]: w["addr"] for w in self.watch_list()
                if kind is None or w["kind"] == kind}

    def send_watch(self, addr, options, where, verb="watch"):
        """Send one watch (or break) request; returns its PendingWatch."""
        sym = location.symbol_option(where, addr)
        line = " ".join([verb, "%#x" % addr] + options +
                        ([sym] if sym else []))
        return PendingWatch(addr, where, self._watcher().send(line),
                            kind="insn" if verb == "watch" else verb)

    def send_watch_mem(self, addr, length, direction, options, where, label):
        """Send one watch-mem request; returns its PendingWatch."""
        line = " ".join(["watch-mem", "%#x" % addr, "%d" % length,
                         direction] + options)
        return PendingWatch(addr, where, self._watcher().send(line),
                            kind="mem", label=label)

    def settle(self, pending, before):
        """After waiting: True when @pending was answered, else defer it.

        Deferred watches get their id from 'list' (the plugin adds the
        watch at once and only holds the reply) and are announced by a
        notice when their OK comes."""
        with self._lock:
            if pending.reply.done.is_set():
                return True
            self.pending.append(pending)
        pending.reply.on_done = self._late_reply
        if pending.reply.done.is_set():
            self._late_reply(pending.reply)
        new = [i for i, a in self.watch_ids(pending.kind).items()
               if a == pending.addr and i not in before]
        if len(new) == 1:
            pending.id = new[0]
        return False

    def confirmed(self, pending):
        """Note what gdb knows of @pending once its id is known."""
        if pending.id and pending.info is not None:
            self.mem_watches[pending.id] = pending.info

    def forget_pending(self, targets):
        """Forget the watches that qinsn-unwatch removed (ids, 0xaddr):
        deferred ones, and what is known of memory watches."""
        def removed(p):
            return ("all" in targets or str(p.id) in targets or
                    "%#x" % p.addr in targets)
        with self._lock:
            self.pending = [p for p in self.pending if not removed(p)]
        for watch_id, info in list(self.mem_watches.items()):
            if ("all" in targets or str(watch_id) in targets or
                    "%#x" % info.addr in targets):
                del self.mem_watches[watch_id]

    def _late_reply(self, reply):
        with self._lock:
            found = [p for p in self.pending if p.reply is reply]
            for p in found:
                self.pending.remove(p)
        for p in found:
            self.notice(lambda p=p: self._late_text(p))

    def _late_text(self, p):
        """The notice for a late reply; runs on gdb's thread."""
        if p.reply.ok:
            fields = p.reply.fields()
            if fields.get("id", "").isdigit():
                p.id = int(fields["id"])
            self.confirmed(p)
            text = p.describe()
            return "qinsn: %s%s is live (gen %s)" % (
                text[0].lower(), text[1:], fields.get("gen", "?"))
        p.id = None
        text = p.describe()
        if p.label is None:
            text += " (%s)" % p.where
        return "qinsn: %s%s failed: %s" % (text[0].lower(), text[1:],
                                           p.reply.message)


def remote_target_key():
    """(connection number, gdb arch, details) of a remote target, or None."""
    inferior = gdb.selected_inferior()
    conn = getattr(inferior, "connection", None)
    if conn is None or conn.type not in ("remote", "extended-remote"):
        return None
    return (conn.num, inferior.architecture().name(),
            getattr(conn, "details", None) or conn.description)


_current = None

# Whether gdb has seen the guest exit since it last resumed it (set by
# gdb's exited and cont events).
guest_exited = False


def current():
    """The connected session, or gdb.GdbError when there is none."""
    if _current is None:
        raise gdb.GdbError("not connected to qinsn; use qinsn-connect "
                           "[SOCKET]")
    _current.print_notices()
    return _current


def announce(*_):
    """Print queued notices; connected to gdb's stop and prompt events."""
    if _current is not None:
        _current.print_notices()


def replace(session):
    global _current
    if _current is not None:
        _current.close()
    _current = session


def peek():
    """The session, connected or not, or None (for status and hits)."""
    return _current
