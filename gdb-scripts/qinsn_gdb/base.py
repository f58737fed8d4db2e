"""What every qinsn-* command shares: how it registers with gdb, and the
check of a command that takes no arguments."""

import gdb


class QinsnCommand(gdb.Command):
    """Base of the qinsn-* commands.  A subclass names itself in @name,
    its help category in @category, and has its help as docstring."""

    name = None
    category = None

    def __init__(self):
        super().__init__(self.name, self.category)


def no_arguments(arg, usage):
    """Raise gdb.GdbError(@usage) unless @arg holds no argument."""
    if gdb.string_to_argv(arg):
        raise gdb.GdbError(usage)
