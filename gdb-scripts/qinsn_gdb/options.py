"""What qinsn-watch and qinsn-watch-mem share of their arguments: the
'if' clause, integer values from gdb expressions, and the options
(regs=, ignore=, count=, cpu=, once) as the plugin's option words.

Each command splits its own arguments (location.split_watch_args,
memory.split_args) and words its own condition; plugin_options turns
the result into the words of the request.
"""

import re

import gdb

IF = re.compile(r"(?:^|\s+)if(?:\s+|$)")
CONDITION = re.compile(r"^\s*(\S+?)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$")
MASK64 = (1 << 64) - 1


class Args:
    """A watch command's arguments: the condition and the options."""

    def __init__(self, condition, options):
        self.condition = condition  # text after 'if', or None
        self.options = options      # [(key, value)], value None for 'once'

    def option(self, key):
        """The value of option @key, or None; the last one counts."""
        found = None
        for name, value in self.options:
            if name == key:
                found = value
        return found


def number(text, what):
    """The integer value of gdb expression @text (``$sp+8``, ``0x10``,
    ``count``); errors name it as @what."""
    try:
        value = gdb.parse_and_eval(text)
        return int(value)
    except gdb.error as err:
        raise gdb.GdbError("%s '%s': %s" % (what, text, err))
    except (TypeError, ValueError):
        raise gdb.GdbError("%s '%s' is not a number" % (what, text))


def evaluate(text, what):
    """number(@text, @what) as an unsigned 64-bit number."""
    return number(text, what) & MASK64


def plugin_options(args, condition_option, resolve, skip=()):
    """The plugin's option words for @args: the condition as
    @condition_option(text) words it, then the options in their order,
    registers as @resolve words them for the plugin, numbers evaluated by
    gdb.  Options in @skip are left out (the request has them elsewhere)."""
    words = []
    if args.condition is not None:
        words.append(condition_option(args.condition))
    for key, value in args.options:
        if key in skip:
            continue
        if key == "once":
            words.append("once")
        elif key == "regs":
            names = [resolve(n) for n in value.split(",") if n]
            if not names:
                raise gdb.GdbError("regs= needs at least one register")
            words.append("regs=" + ",".join(names))
        else:
            words.append("%s=%d" % (key, evaluate(value, key)))
    return words
