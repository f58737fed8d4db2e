"""Completion of register names, shared by the commands."""

import gdb

from . import session


def register_names():
    """The names a register argument may take here, best source first."""
    current = session.peek()
    if current is not None and current.regmap is not None:
        return current.regmap.names()
    try:
        arch = gdb.selected_inferior().architecture()
        return [r.name for r in arch.registers()]
    except (gdb.error, AttributeError, RuntimeError):
        return []


def registers(word):
    """Completions of @word among register names.  gdb breaks words at
    characters such as '$', '=' and ',', so @word is the bare name."""
    return [n for n in register_names() if n.startswith(word)]


def last_word(text):
    """The word being completed at the end of @text ("" after a space)."""
    words = text.split()
    return words[-1] if words and not text[-1:].isspace() else ""
