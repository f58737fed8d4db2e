"""Showing addresses and logged register values the way gdb shows them.

Values arrive as numbers; built into a gdb.Value of the register's own type
they print as gdb prints them: code pointers with their symbol
(``0x800012be <probe_args>``), flags registers as ``[ ZF PF ]``.  A type can
only be read from a stopped target, so types are remembered once seen.
"""

import gdb

_SHOWN_CODES = (gdb.TYPE_CODE_PTR, gdb.TYPE_CODE_FLAGS)


def address(addr):
    """``0x800012be <probe_args+4>``, or bare hex without symbols."""
    try:
        return gdb.format_address(addr)
    except (AttributeError, gdb.error):
        return "%#x" % addr


def target_stopped():
    """True when gdb has a thread of the target and it is stopped."""
    thread = gdb.selected_thread()
    return thread is not None and thread.is_valid() and thread.is_stopped()


class RegisterTypes:
    """gdb's type of each register, read once from a stopped frame."""

    def __init__(self):
        self._types = {}
        self._little = None

    def get(self, name):
        if name in self._types:
            return self._types[name]
        if not target_stopped():
            return None
        try:
            reg_type = gdb.selected_frame().read_register(name).type
        except (gdb.error, ValueError):
            reg_type = None
        self._types[name] = reg_type
        return reg_type

    def little_endian(self):
        if self._little is None:
            shown = gdb.execute("show endian", to_string=True)
            self._little = "big endian" not in shown
        return self._little

    def value(self, name, number):
        """A gdb.Value of the register's type holding @number, or None."""
        reg_type = self.get(name)
        if reg_type is None or reg_type.sizeof == 0:
            return None
        mask = (1 << (8 * reg_type.sizeof)) - 1
        raw = (number & mask).to_bytes(
            reg_type.sizeof, "little" if self.little_endian() else "big")
        try:
            return gdb.Value(raw, reg_type)
        except (gdb.error, TypeError, ValueError):
            return None

    def show(self, name, number):
        """``a0=0x5``, ``pc=0x800012be <probe_args>``, ``eflags=0x46 [ ZF ]``
        (the value shown as gdb shows one of the register's type)."""
        text = "%s=%#x" % (name, number)
        value = self.value(name, number)
        if value is None:
            return text
        code = value.type.strip_typedefs().code
        if code == gdb.TYPE_CODE_PTR:
            return "%s=%s" % (name, value.format_string(symbols=True))
        if code == gdb.TYPE_CODE_FLAGS:
            return "%s %s" % (text, value.format_string())
        return text


def plural(count, noun):
    return "%d %s%s" % (count, noun, "" if count == 1 else "s")


def _register_words(hit, types):
    words = []
    for name, number in hit.regs.items():
        word = types.show(name, number)
        if name in hit.stale:
            word += " (stale)"
        words.append(word)
    return words + ["%s=%s" % item for item in hit.extra]


def _head(hit):
    return "#%d watch %d hit %d cpu %d at %s" % (
        hit.seq, hit.watch, hit.hit, hit.cpu, address(hit.pc))


def hit_line(hit, types):
    """One line of qinsn-hits for a Hit event."""
    words = _register_words(hit, types)
    return _head(hit) + (": " + " ".join(words) if words else "")


def typed_value(number, size, value_type, types):
    """@number (an access of @size bytes) shown as gdb shows a value of
    @value_type, or None when the type does not fit or gdb cannot.
    Pointers show as addresses with their symbol, without reading the
    memory they point to now (it may have changed since).  Arrays are
    left to the hex (gdb would show a byte array as a string)."""
    if value_type is None or value_type.sizeof != size or size == 0:
        return None
    if value_type.strip_typedefs().code == gdb.TYPE_CODE_ARRAY:
        return None
    raw = (number & ((1 << (8 * size)) - 1)).to_bytes(
        size, "little" if types.little_endian() else "big")
    try:
        value = gdb.Value(raw, value_type)
        if value_type.strip_typedefs().code == gdb.TYPE_CODE_PTR:
            return value.format_string(format="a")
        return value.format_string()
    except (gdb.error, TypeError, ValueError, RuntimeError):
        return None


def mem_line(access, types, watch=None):
    """One line of qinsn-hits for a MemAccess event, e.g.
    ``#3 watch 2 hit 1 cpu 0 at 0x8000134a <probe_mem+58>: write 2 bytes
    at 0x8000300c <probe_mem_buf+12> = 0xeeff; a0=0x80003000``.

    When @watch (the session's MemWatch) knows the type of the watched
    lvalue and the access covers exactly that object, gdb's rendering of
    the value in that type follows the hex in parentheses."""
    verb = {"r": "read", "w": "write"}.get(access.dir, access.dir)
    shown = "%#x" % access.value
    if watch is not None and access.addr == watch.addr:
        typed = typed_value(access.value, access.size, watch.type, types)
        if typed is not None and typed != shown:
            shown += " (%s)" % typed
    text = "%s: %s %s at %s = %s" % (_head(access), verb,
                                     plural(access.size, "byte"),
                                     address(access.addr), shown)
    words = _register_words(access, types)
    return text + ("; " + " ".join(words) if words else "")
