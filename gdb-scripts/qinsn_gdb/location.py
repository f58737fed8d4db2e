"""Turning qinsn-watch's arguments into plugin requests, with gdb's help.

gdb resolves the location (linespecs, ``*EXPR``, ``$pc``) and evaluates
values, so anything ``break`` and ``print`` accept works here too; only the
register names are mapped to the plugin's (session.resolve).
"""

import re

import gdb

from . import options as opts

OPTION_KEYS = ("regs", "ignore", "count", "cpu")
_OPTION = re.compile(r"\s+(?:(%s)=(\S+)|(once))\s*$" % "|".join(OPTION_KEYS))


class WatchArgs(opts.Args):
    def __init__(self, location, condition, options):
        super().__init__(condition, options)
        self.location = location


def split_watch_args(text):
    """LOCATION [if COND] [key=value|once]... -> WatchArgs."""
    rest = " " + text.strip()
    options = []
    while True:
        match = _OPTION.search(rest)
        if not match:
            break
        options.insert(0, (match.group(1) or match.group(3), match.group(2)))
        rest = rest[:match.start()]
    match = opts.IF.search(rest)
    condition = None
    if match:
        condition = rest[match.end():].strip()
        rest = rest[:match.start()]
        if not condition:
            raise gdb.GdbError("'if' needs a condition: REG OP VALUE")
    location = rest.strip()
    if not location:
        raise gdb.GdbError("a location is needed (Usage: qinsn-watch "
                           "LOCATION [if COND] [regs=...])")
    return WatchArgs(location, condition, options)


def resolve_location(location):
    """Addresses gdb finds for @location, in order, without duplicates."""
    text = location.strip()
    if text.startswith("$"):
        text = "*" + text       # a register or convenience variable
    try:
        rest, sals = gdb.decode_line(text)
    except gdb.error as err:
        raise gdb.GdbError(str(err))
    if rest:
        raise gdb.GdbError("junk at the end of the location: %s" % rest)
    addrs = []
    for sal in sals or ():
        if sal.pc not in addrs:
            addrs.append(sal.pc)
    if not addrs:
        raise gdb.GdbError("no code address for location '%s'" % location)
    return addrs


_IDENTIFIER = re.compile(r"^[A-Za-z_.$][A-Za-z0-9_.$]*$")
_INFO_SYMBOL = re.compile(r"^(\S+)(?: \+ (\d+))? in section ")


def symbol_option(location, addr):
    """``sym=NAME`` naming the place of a watch, or None: the function or
    label the user typed, else gdb's symbol at @addr (``NAME+OFF`` inside
    one).  The log records it, and qinsn diff matches the watches of two
    builds by it, where addresses differ."""
    text = location.strip()
    if _IDENTIFIER.match(text) and not text.startswith("$"):
        return "sym=" + text
    try:
        found = gdb.execute("info symbol %#x" % addr, to_string=True)
    except gdb.error:
        return None
    match = _INFO_SYMBOL.match(found.strip())
    if not match:
        return None
    name, offset = match.groups()
    return "sym=%s%s" % (name, "+%s" % offset if offset else "")


def condition_option(text, resolve):
    """``a0 >= 5`` -> ``if=a0>=0x5``, the register named as the plugin does."""
    match = opts.CONDITION.match(text)
    if not match:
        raise gdb.GdbError("condition '%s' is not REG OP VALUE (OP one of "
                           "== != < <= > >=)" % text)
    reg, op, value = match.groups()
    return "if=%s%s%#x" % (resolve(reg), op, opts.evaluate(value, "value"))


def watch_options(args, resolve, register_spec):
    """The plugin's option words for @args: registers of regs= as
    @register_spec words them, the condition's as @resolve does."""
    return opts.plugin_options(
        args, lambda text: condition_option(text, resolve), register_spec)
