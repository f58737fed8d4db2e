"""gdb breakpoints that stand for qinsn breaks, so that gdb's own
breakpoint commands act on them.

Each qinsn-break (qinsn-tbreak) also creates an ordinary gdb breakpoint
at the same location, with the same condition, whose locations stay
disabled: gdb never inserts it into the target (that would stop the
guest at every execution, which is what qinsn-break avoids), but it is
listed by 'info breakpoints' under gdb's number, and gdb's commands on
that number are carried to the plugin's break:

  condition N [COND]   the break is set again with the new condition
                       (refused, and the old one kept, if the plugin
                       cannot evaluate COND as gdb would);
  ignore N COUNT       the break is set again with ignore=COUNT, so its
                       next COUNT matches pass; gdb's own count is
                       cleared, since gdb never sees the matches;
  disable N, enable N  disable or enable the break;
  delete N             remove it.

A location that gdb enables (enable N.1) is disabled again: it would be
a real gdb breakpoint.

This module keeps the bookkeeping (which gdb breakpoint stands for which
breaks); break_commands carries gdb's changes to the plugin.
"""

import gdb



class Shadow:
    """The gdb breakpoint standing for the plugin's breaks @ids."""

    def __init__(self, bp, ids, condition):
        self.bp = bp
        self.ids = list(ids)
        self.condition = condition      # gdb's text, or None
        self.enabled = True


_shadows = {}       # gdb breakpoint number -> Shadow
_busy = []          # non-empty while qinsn changes a breakpoint itself


def quietly(change):
    """Run @change without reacting to the events it causes."""
    _busy.append(True)
    try:
        change()
    finally:
        _busy.pop()


def warn(text):
    gdb.write("qinsn: %s\n" % text, gdb.STDERR)


def create(spec, ids, temporary, condition):
    """A gdb breakpoint at @spec (as gdb's 'break' reads it) standing for
    the plugin's breaks @ids; @condition a breakcond.Condition or None.
    Returns its number, or None if gdb could not make one."""
    made = []

    def make():
        bp = gdb.Breakpoint(spec, internal=False, temporary=temporary)
        made.append(bp)
        for loc in bp.locations:
            loc.enabled = False
        if condition is not None and condition.word:
            bp.condition = condition.gdb_text

    try:
        quietly(make)
    except (gdb.error, RuntimeError) as err:
        if made and made[0].is_valid():
            quietly(made[0].delete)
        warn("no gdb breakpoint stands for break %s (%s); use qinsn-list "
              "and the qinsn-* commands" %
              (",".join(str(i) for i in ids), err))
        return None
    bp = made[0]
    _shadows[bp.number] = Shadow(bp, ids, bp.condition)
    return bp.number


def number_of(watch_id):
    """gdb's number of the breakpoint standing for break @watch_id."""
    for number, shadow in _shadows.items():
        if watch_id in shadow.ids:
            return number
    return None


def replaced(old_id, new_id, condition=None, keep_condition=True):
    """The plugin's break @old_id is now @new_id (qinsn-condition,
    qinsn-ignore); a new condition (breakcond.Condition or None when
    @keep_condition is false) is shown by gdb too."""
    number = number_of(old_id)
    if number is None:
        return
    shadow = _shadows[number]
    shadow.ids = [new_id if i == old_id else i for i in shadow.ids]
    if keep_condition or not shadow.bp.is_valid():
        return
    text = condition.gdb_text if condition is not None and \
        condition.word else None
    try:
        quietly(lambda: setattr(shadow.bp, "condition", text))
    except gdb.error:
        text = None
        quietly(lambda: setattr(shadow.bp, "condition", None))
    shadow.condition = text


def removed(ids):
    """The plugin's breaks @ids are gone: delete the gdb breakpoints left
    standing for none."""
    gone = set(ids)
    for number in list(_shadows):
        shadow = _shadows[number]
        shadow.ids = [i for i in shadow.ids if i not in gone]
        if not shadow.ids:
            del _shadows[number]
            if shadow.bp.is_valid():
                quietly(shadow.bp.delete)


def toggled(ids, enabled):
    """qinsn-enable/qinsn-disable of @ids: gdb's breakpoint follows."""
    for shadow in _shadows.values():
        if set(ids) & set(shadow.ids) and shadow.bp.is_valid():
            shadow.enabled = enabled
            quietly(lambda s=shadow: setattr(s.bp, "enabled", enabled))


def forget_all():
    """The session ends: the breakpoints stand for nothing any more."""
    for shadow in list(_shadows.values()):
        if shadow.bp.is_valid():
            quietly(shadow.bp.delete)
    _shadows.clear()


def prune(current):
    """After qinsn-unwatch: delete the gdb breakpoints whose breaks are
    gone."""
    try:
        live = current.watch_ids("break")
    except gdb.GdbError:
        return
    removed([i for s in _shadows.values() for i in s.ids if i not in live])


def shadow_of(bp):
    """The Shadow of gdb breakpoint @bp, or None (also while qinsn itself
    changes breakpoints, whose events are not gdb's user's changes)."""
    if _busy or not bp.is_valid():
        return None
    return _shadows.get(bp.number)


def pop(number):
    """Forget gdb breakpoint @number (deleted by gdb); its Shadow or
    None."""
    if _busy:
        return None
    return _shadows.pop(number, None)
