"""qinsn-break's condition: what gdb means by it, as a condition the
plugin evaluates identically.

The plugin compares a register, read as an unsigned number of its own
width and zero-extended to 64 bits, with a 64-bit unsigned constant.  gdb
compares the register's value, of the register's type (signed on most
targets: $a0 is a long), with the constant, after C's promotions.  The two
agree for == and != whatever the types once the constant is reduced to
the register's width, and for < <= > >= only when gdb compares unsigned
numbers.  Rather than re-deriving gdb's promotion rules, each candidate
constant is checked against gdb itself: gdb evaluates the comparison for
register values at every point where either reading can change its answer
(around the constant, around the sign boundary, at both ends), and the
condition is accepted only if gdb and the plugin agree on all of them.
"""

import re

import gdb

from . import options as opts

OPS = ("==", "!=", "<=", ">=", "<", ">")
FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_COMPARISON = re.compile(r"^(.+?)\s*(==|!=|<=|>=|<|>)\s*(.+)$")
_REGISTER = re.compile(r"^\$?([A-Za-z_][A-Za-z0-9_]*|#\d+)$")
_CAST = re.compile(r"^\(\s*([^()]+?)\s*\)\s*(\S+)$")

SUPPORTED = ("a register ($a0 or a0), a register compared with a constant "
             "(REG OP VALUE or VALUE OP REG, OP one of == != < <= > >=), "
             "or a constant")


class Condition:
    """None (no condition), or the plugin's ``if=`` word."""

    def __init__(self, word, text, gdb_text=None):
        self.word = word        # "if=a0==0x25", or None: always true
        self.text = text        # what the user wrote
        self.gdb_text = gdb_text or text   # the same as a gdb expression


def _plugin_compare(op, lhs, rhs):
    return {"==": lhs == rhs, "!=": lhs != rhs, "<": lhs < rhs,
            "<=": lhs <= rhs, ">": lhs > rhs, ">=": lhs >= rhs}[op]


def _gdb_compare(op, lhs, rhs):
    return bool({"==": lambda: lhs == rhs, "!=": lambda: lhs != rhs,
                 "<": lambda: lhs < rhs, "<=": lambda: lhs <= rhs,
                 ">": lambda: lhs > rhs, ">=": lambda: lhs >= rhs}[op]())


def _is_register(text):
    """REG, $REG or (TYPE)REG."""
    text = text.strip()
    cast = _CAST.match(text)
    if cast:
        text = cast.group(2)
    return _REGISTER.match(text) is not None


def _register_operand(text):
    """(name, type gdb compares it as) of REG, $REG or (TYPE)REG; a cast
    must keep the register's bits: an integer type of the same size."""
    text = text.strip()
    cast = _CAST.match(text)
    name = (cast.group(2) if cast else text).lstrip("$")
    reg_type = _register_type(name)
    if not cast:
        return name, reg_type
    try:
        cast_type = gdb.parse_and_eval("(%s)0" % cast.group(1)).type
    except gdb.error as err:
        raise gdb.GdbError("(%s): %s" % (cast.group(1), err))
    if (cast_type.strip_typedefs().code != gdb.TYPE_CODE_INT or
            cast_type.sizeof != reg_type.sizeof):
        raise gdb.GdbError(
            "cast (%s): only to an integer type of $%s's size (%d bytes), "
            "which keeps its bits" % (cast.group(1), name, reg_type.sizeof))
    return name, cast_type


def _as_gdb(operand):
    """Register operand @operand as gdb writes it: ``a0`` is ``$a0``,
    ``(unsigned long)a0`` is ``(unsigned long)$a0``."""
    operand = operand.strip()
    cast = _CAST.match(operand)
    name = (cast.group(2) if cast else operand).lstrip("$")
    return ("(%s)$%s" % (cast.group(1), name)) if cast else "$" + name


def _register_type(name):
    """gdb's type of register $@name."""
    try:
        return gdb.parse_and_eval("$" + name).type
    except gdb.error as err:
        raise gdb.GdbError("register $%s: %s" % (name, err))


def _constant(text):
    """The gdb.Value of constant expression @text (it must not read the
    target: a register or memory changes before the condition is
    evaluated, so it would not mean what gdb means)."""
    if re.search(r"\$|\*|\[|->", text):
        raise gdb.GdbError(
            "'%s' is not a constant: the plugin evaluates %s" %
            (text.strip(), SUPPORTED))
    try:
        value = gdb.parse_and_eval(text)
    except gdb.error as err:
        raise gdb.GdbError("'%s': %s" % (text.strip(), err))
    code = value.type.strip_typedefs().code
    if code not in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_CHAR,
                    gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_ENUM):
        raise gdb.GdbError("'%s' is not an integer constant (the plugin "
                           "compares integers)" % text.strip())
    return value


def _probes(size, constant):
    """Register values where either reading can change its answer."""
    bits = 8 * size
    mask = (1 << bits) - 1
    half = 1 << (bits - 1)
    points = {0, 1, 2, half - 2, half - 1, half, half + 1, mask - 1, mask}
    c = constant & mask
    points |= {c - 2, c - 1, c, c + 1, c + 2}
    return sorted(p & mask for p in points)


def _register_value(bits, reg_type):
    """A gdb.Value of @reg_type whose bytes are @bits."""
    size = reg_type.sizeof
    data = bits.to_bytes(size, _byte_order())
    return gdb.Value(data, reg_type)


def _byte_order():
    endian = gdb.execute("show endian", to_string=True)
    return "big" if "big endian" in endian else "little"


def _translate(op, reg_type, const):
    """The plugin's constant for ``$reg OP const``, or None if none makes
    the plugin's reading equal to gdb's."""
    size = reg_type.sizeof
    c = int(const)
    candidates = []
    for value in (c & ((1 << (8 * size)) - 1), c & opts.MASK64):
        if value not in candidates:
            candidates.append(value)
    probes = _probes(size, c)
    for value in candidates:
        try:
            if all(_gdb_compare(op, _register_value(p, reg_type), const) ==
                   _plugin_compare(op, p, value) for p in probes):
                return value
        except gdb.error:
            return None
    return None


def _signedness(reg_type):
    t = reg_type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_INT and t.is_signed:
        return "signed"
    return "unsigned"


def parse(text, resolve):
    """Condition for qinsn-break's 'if' clause @text; @resolve maps gdb's
    register name to the plugin's (gdb.GdbError if unknown)."""
    text = text.strip()
    match = _COMPARISON.match(text)
    if not match:
        if _is_register(text):
            name, _ = _register_operand(text)
            return Condition("if=%s!=0x0" % resolve(name), text,
                             _as_gdb(text))
        const = _constant(text)
        if int(const) == 0:
            raise gdb.GdbError("the condition '%s' is always false: such a "
                               "break would never stop" % text)
        return Condition(None, text)
    left, op, right = (s.strip() for s in match.groups())
    if _is_register(left) and not _is_register(right):
        reg, const_text = left, right
        gdb_text = "%s %s %s" % (_as_gdb(left), op, right)
    elif _is_register(right) and not _is_register(left):
        reg, const_text, op = right, left, FLIP[op]
        gdb_text = "%s %s %s" % (left, FLIP[op], _as_gdb(right))
    else:
        raise gdb.GdbError("condition '%s': the plugin evaluates %s" %
                           (text, SUPPORTED))
    name, reg_type = _register_operand(reg)
    plugin_name = resolve(name)
    if reg_type.sizeof > 8:
        raise gdb.GdbError("$%s has %d bytes; the plugin compares up to 64 "
                           "bits" % (name, reg_type.sizeof))
    const = _constant(const_text)
    value = _translate(op, reg_type, const)
    if value is None:
        raise gdb.GdbError(
            "gdb reads '%s' with $%s as a %s %s (%d bytes), and the plugin "
            "would compare it as unsigned 64-bit numbers: some values of $%s "
            "would give a different answer.  Use == or !=, or cast: "
            "(unsigned long)$%s %s ..." %
            (text, name, _signedness(reg_type), reg_type, reg_type.sizeof,
             name, name, op))
    return Condition("if=%s%s%#x" % (plugin_name, op, value), text,
                     gdb_text)
