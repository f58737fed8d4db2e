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


def hit_line(hit, types):
    """One line of qinsn-hits for a Hit event."""
    words = []
    for name, number in hit.regs.items():
        word = types.show(name, number)
        if name in hit.stale:
            word += " (stale)"
        words.append(word)
    words += ["%s=%s" % item for item in hit.extra]
    head = "#%d watch %d hit %d cpu %d at %s" % (
        hit.seq, hit.watch, hit.hit, hit.cpu, address(hit.pc))
    return head + (": " + " ".join(words) if words else "")
