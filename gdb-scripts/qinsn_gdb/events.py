"""Events from the plugin (``! hit ...``, ``! mem ...``, ``! mark ...``) and
their ring.

The reader thread appends each event here; gdb's thread reads the ring
for qinsn-hits.  Parsing needs no gdb; formatting does and lives in
format.py.
"""

import collections
import itertools
import threading

from . import wire


class Hit:
    """One ``! hit`` event: registers in the order the plugin sent them.

    The event's own fields come first; a logged register may share a name
    with one of them (``pc``), so @fields is a list of pairs, not a dict.
    """

    kind = "hit"

    def __init__(self, fields):
        head = dict(fields[:4])
        self.watch = int(head.get("watch", "0"))
        self.cpu = int(head.get("cpu", "0"))
        self.pc = int(head.get("pc", "0"), 0)
        self.hit = int(head.get("hit", "0"))
        self.stale = set()
        self.regs = collections.OrderedDict()
        self.extra = []         # mem@0x...=hex, str@0x...="text"
        self.disas = None       # QEMU's disassembly of the instruction
        for key, value in fields[4:]:
            if key == "disas" and value.startswith('"'):
                self.disas = wire.unquote(value)
            elif key == "stale":
                self.stale.update(filter(None, value.split(",")))
            elif "@" in key:
                self.extra.append((key, value))
            else:
                self.regs[key] = int(value, 16)
        self.seq = 0


class MemAccess(Hit):
    """One ``! mem`` event: a load or store that a memory watch saw.

    The instruction's PC, then the access (address, size in bytes, ``r`` or
    ``w``, value), then the registers as for a Hit."""

    kind = "mem"

    def __init__(self, fields):
        super().__init__(fields[:4] + fields[8:])
        access = dict(fields[4:8])
        self.addr = int(access.get("addr", "0"), 0)
        self.size = int(access.get("size", "0"))
        self.dir = access.get("dir", "?")
        self.value = int(access.get("value", "0"), 0)


class Mark:
    kind = "mark"

    def __init__(self, token):
        self.token = token
        self.seq = 0


def parse_event(text):
    """(kind, object-or-fields) for the text after ``! ``."""
    kind, _, rest = text.partition(" ")
    fields = [(m.group(1), m.group(2)) for m in wire.FIELD.finditer(rest)]
    if kind == "hit":
        return kind, Hit(fields)
    if kind == "mem":
        return kind, MemAccess(fields)
    if kind == "mark":
        return kind, Mark(dict(fields).get("token", ""))
    return kind, dict(fields)


RECORDS = ("hit", "mem")      # the kinds qinsn-hits counts


class EventRing:
    """The last @size hits, memory accesses and marks, plus counters of
    what was missed.

    The reader thread only stores the raw lines; they are parsed when
    qinsn-hits asks, so that a flood of hits costs the reader little."""

    def __init__(self, size=10000):
        self.items = collections.deque(maxlen=size)     # (seq, text)
        self.stops = collections.deque(maxlen=64)       # fields of ! stop
        self.received = 0       # hits and memory accesses received in all
        self.lost = 0           # events the plugin could not send us
        self.dropped = 0        # hit records the plugin's log dropped
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def add_line(self, text):
        if text.startswith(("hit ", "mem ", "mark ")):
            with self._lock:
                self.items.append((next(self._seq), text))
                self.received += not text.startswith("mark ")
            return
        kind, fields = parse_event(text)
        if kind in ("stop", "stop-failed"):
            fields["kind"] = kind
            with self._lock:
                self.stops.append(fields)
            return
        count = int(fields.get("count", "0")) if kind in ("lost", "drop") \
            else 0
        with self._lock:
            if kind == "lost":
                self.lost += count
            elif kind == "drop":
                self.dropped += count

    def _parsed(self):
        with self._lock:
            raw = list(self.items)
        out = []
        for seq, text in raw:
            try:
                obj = parse_event(text)[1]
            except ValueError:
                continue
            obj.seq = seq
            out.append(obj)
        return out

    def last(self, count):
        """The last @count hits and memory accesses (and marks between
        them), oldest first."""
        out, hits = [], 0
        for item in reversed(self._parsed()):
            if item.kind in RECORDS:
                if hits == count:
                    break
                hits += 1
            out.append(item)
        return list(reversed(out))

    def hits(self):
        """Hits and memory accesses, oldest first."""
        return [i for i in self._parsed() if i.kind in RECORDS]

    def marks(self):
        return [i for i in self._parsed() if i.kind == "mark"]

    def take_stops(self, wanted=lambda stop: True):
        """The ``! stop`` events received and not taken yet for which
        @wanted(fields) holds, as field dicts.  The others stay for a
        later call."""
        with self._lock:
            taken = [s for s in self.stops if wanted(s)]
            for s in taken:
                self.stops.remove(s)
        return taken
