"""Turning qinsn-watch-mem's arguments into a ``watch-mem`` request.

gdb evaluates EXPR, so whatever ``print`` accepts names the memory: an
lvalue gives its own address and size (``buf[3]``, ``s.field``,
``*(long *)$sp``), anything else gives an address whose length ``len=``
must state.  The rule is spelled out in qinsn-watch-mem's help.
"""

import re

import gdb

from . import format as fmt
from . import options as opts

DIRECTIONS = ("r", "w", "rw")
OPTION_KEYS = ("regs", "len", "ignore", "count", "cpu")
FLAGS = ("once",)
USAGE = ("Usage: qinsn-watch-mem EXPR [r|w|rw] [if value OP VALUE] "
         "[regs=REG,...] [len=N] [ignore=N] [count=N] [once] [cpu=N]")

_LAST_WORD = re.compile(r"\s+(\S+)\s*$")
_KEY_VALUE = re.compile(r"^([A-Za-z_]\w*)=(?!=)(.*)$")
_WORD = re.compile(r"^[A-Za-z]+$")
# Types whose values can be an address, and whose negative numbers wrap
# to their size in a condition.
_SCALAR_CODES = (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_PTR, gdb.TYPE_CODE_ENUM,
                 gdb.TYPE_CODE_CHAR, gdb.TYPE_CODE_BOOL)


class MemArgs(opts.Args):
    def __init__(self, expr, direction, condition, options):
        super().__init__(condition, options)
        self.expr = expr
        self.direction = direction  # r, w or rw


class MemTarget:
    """Where a memory watch looks: its address and length, and the type
    of the lvalue when EXPR gave one of exactly that length."""

    def __init__(self, addr, length, value_type):
        self.addr = addr
        self.length = length
        self.type = value_type


def _unknown_option(word):
    return gdb.GdbError(
        "unknown option '%s' (qinsn-watch-mem takes %s and once)" %
        (word, ", ".join(k + "=" for k in OPTION_KEYS)))


def _strip_trailing(rest, options, directions):
    """Take option words, flags and directions off the end of @rest into
    @options and @directions (in their order); the rest.  The first word
    is left to EXPR, unless it is key=value (then EXPR is missing)."""
    while True:
        match = _LAST_WORD.search(rest)
        if not match:
            return rest
        word = match.group(1)
        before = rest[:match.start()]
        key_value = _KEY_VALUE.match(word)
        if key_value:
            if key_value.group(1) not in OPTION_KEYS:
                raise _unknown_option(word)
            options.insert(0, (key_value.group(1), key_value.group(2)))
        elif word in FLAGS + DIRECTIONS and before.strip():
            if word in FLAGS:
                options.insert(0, (word, None))
            else:
                directions.insert(0, word)
        else:
            return rest
        rest = before


def split_args(text):
    """EXPR [r|w|rw] [if COND] [key=value|once|r|w|rw]... -> MemArgs.

    Options and the direction are taken from the end, and from the end of
    what stands before 'if'.  The first word always belongs to EXPR."""
    options = []
    directions = []
    rest = _strip_trailing(" " + text.strip(), options, directions)
    condition = None
    match = opts.IF.search(rest)
    if match and rest[:match.start()].strip():
        condition = rest[match.end():].strip()
        if not condition:
            raise gdb.GdbError("'if' needs a condition: value OP VALUE")
        rest = _strip_trailing(rest[:match.start()], options, directions)
    expr = rest.strip()
    if not expr:
        raise gdb.GdbError("an expression is needed (%s)" % USAGE)
    if len(directions) > 1:
        raise gdb.GdbError("two directions given (%s); give one of r, w "
                           "or rw" % " and ".join(directions))
    return MemArgs(expr, directions[0] if directions else "rw", condition,
                   options)


def _bad_direction(expr):
    """gdb.GdbError when @expr is a good expression followed by a word
    that was meant as the direction (``buf x``), else None."""
    head, _, last = expr.rpartition(" ")
    if not head.strip() or not _WORD.match(last):
        return None
    try:
        gdb.parse_and_eval(head)
    except gdb.error:
        return None
    return gdb.GdbError("'%s' is not a direction: use r (loads), w (stores) "
                        "or rw (both, the default)" % last)


def resolve_target(expr, length_text):
    """The MemTarget that @expr (and len=@length_text, or None) denote."""
    try:
        value = gdb.parse_and_eval(expr)
    except gdb.error as err:
        raise _bad_direction(expr) or gdb.GdbError(str(err))
    length = None
    if length_text is not None:
        # its value is the plugin's to check
        length = opts.evaluate(length_text, "len")
    value_type = value.type
    code = value_type.strip_typedefs().code
    try:
        address = value.address
    except gdb.error:
        address = None
    if address is not None:
        addr = int(address) & opts.MASK64
        if length is not None:
            same = length == value_type.sizeof and code != gdb.TYPE_CODE_FUNC
            return MemTarget(addr, length, value_type if same else None)
        if code == gdb.TYPE_CODE_FUNC:
            raise gdb.GdbError("'%s' is a function, not data: give len=N to "
                               "watch N bytes of its code" % expr)
        if value_type.sizeof == 0:
            raise gdb.GdbError("'%s' has type %s, of size 0: give its length "
                               "with len=N" % (expr, value_type))
        return MemTarget(addr, value_type.sizeof, value_type)
    if length is None:
        raise gdb.GdbError("'%s' is not an lvalue in memory: add len=N to "
                           "watch N bytes at the address it evaluates to" %
                           expr)
    if code not in _SCALAR_CODES:
        raise gdb.GdbError("'%s' is neither an lvalue in memory nor an "
                           "address (its type is %s)" % (expr, value_type))
    try:
        addr = int(value) & opts.MASK64
    except gdb.error as err:
        raise gdb.GdbError(str(err))
    return MemTarget(addr, length, None)


def condition_option(text, target):
    """``value >= 5`` -> ``if=value>=0x5``.  A negative VALUE wraps to the
    size of the watched lvalue's type when that is a scalar (so that
    ``value == -1`` on an int matches a 4-byte store of -1), else to 64
    bits: the plugin compares the access's value zero-extended."""
    match = opts.CONDITION.match(text)
    if not match or match.group(1) != "value":
        raise gdb.GdbError("condition '%s' is not value OP VALUE (a memory "
                           "watch compares the accessed value; OP one of "
                           "== != < <= > >=)" % text)
    _, op, value_text = match.groups()
    number = opts.number(value_text, "value")
    bits = 64
    if (number < 0 and target.type is not None and
            target.type.strip_typedefs().code in _SCALAR_CODES and
            target.type.sizeof <= 8):
        bits = 8 * target.type.sizeof
    return "if=value%s%#x" % (op, number & ((1 << bits) - 1))


def watch_options(args, target, register_spec):
    """The plugin's option words for @args (after addr, len, direction),
    registers as @register_spec words them."""
    return opts.plugin_options(
        args, lambda text: condition_option(text, target), register_spec,
        skip=("len",))


def describe(args, target):
    """``buf[2] (rw, 1 byte at 0x80003002 <buf+2>)``, for messages."""
    return "%s (%s, %s at %s)" % (args.expr, args.direction,
                                  fmt.plural(target.length, "byte"),
                                  fmt.address(target.addr))
