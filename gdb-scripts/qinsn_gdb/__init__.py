"""gdb commands for qinsn: watch guest instructions through QEMU's plugin.

Importing this package defines nothing; register() creates the commands
(qinsn.py, the file to source from gdb, calls it).  Standard library and
gdb's own module only.
"""

_registered = False


def register():
    """Create the qinsn-* commands once, however often this is sourced."""
    global _registered
    if _registered:
        return
    import gdb
    from . import break_commands, commands, session, watch_commands
    gdb.events.stop.connect(session.announce)
    gdb.events.stop.connect(break_commands.on_stop)
    gdb.events.before_prompt.connect(session.announce)
    gdb.events.exited.connect(commands.on_exited)
    gdb.events.cont.connect(commands.on_cont)
    gdb.events.breakpoint_modified.connect(break_commands.on_modified)
    gdb.events.breakpoint_deleted.connect(break_commands.on_deleted)
    commands.QinsnConnectCommand()
    commands.QinsnDisconnectCommand()
    commands.QinsnLogCommand()
    commands.QinsnHitsCommand()
    commands.QinsnMarkCommand()
    commands.QinsnStatusCommand()
    watch_commands.QinsnWatchCommand()
    watch_commands.QinsnWatchMemCommand()
    watch_commands.QinsnUnwatchCommand()
    watch_commands.QinsnEnableCommand()
    watch_commands.QinsnDisableCommand()
    watch_commands.QinsnListCommand()
    break_commands.QinsnBreakCommand()
    break_commands.QinsnTbreakCommand()
    break_commands.QinsnConditionCommand()
    break_commands.QinsnIgnoreCommand()
    _registered = True
