"""Helpers for the test scripts that run inside gdb (gdb_*.py).

They take their parameters from $QINSN_TEST_SPEC (JSON), record what each
command printed or which error it raised, and write everything to the JSON
file the spec names; the driver outside gdb judges the result.
"""

import json
import os
import time

import gdb

from qinsn_gdb import session

SPEC = json.loads(os.environ["QINSN_TEST_SPEC"])
RESULT = {"steps": []}


def run(command):
    """Execute @command, keeping its output or its error message."""
    step = {"cmd": command}
    try:
        step["out"] = gdb.execute(command, to_string=True)
    except gdb.error as err:
        step["error"] = str(err)
    RESULT["steps"].append(step)
    return step


def wait(seconds):
    time.sleep(seconds)


def wait_until(cond, timeout=60.0, at_least=0.0, step=0.05):
    """Poll @cond until it holds, and return its value (false once
    @timeout seconds passed); never before @at_least seconds."""
    start = time.monotonic()
    while True:
        waited = time.monotonic() - start
        if waited >= at_least:
            value = cond()
            if value or waited >= timeout:
                return value
        time.sleep(step)


def stats():
    """The plugin's stats as a dict of strings."""
    return dict(line.split("=", 1)
                for line in session.current().request("stats").data)


def wait_events(timeout=60.0):
    """Once the watches log nothing more (the guest stopped): wait until
    every record the plugin logged has come back as an event, through its
    log writer and the events connection.  False if that never happens."""
    ring = session.peek().ring
    return wait_until(lambda: ring.received + ring.lost >=
                      int(stats()["logged"]), timeout)


def reg_int(value):
    """A register's gdb.Value as an unsigned number of its size."""
    size = value.type.sizeof
    try:
        number = int(value)
    except gdb.error:       # flags types: let gdb print the number
        number = int(value.format_string(format="x"), 16)
    return number & ((1 << (8 * size)) - 1)


SCALARS = (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_PTR, gdb.TYPE_CODE_FLAGS)


def loggable_general_registers():
    """gdb's 'general' registers that qinsn can log, as the plugin names
    them: scalars (no vectors gdb may put in that group), and no
    pseudo-registers such as eax."""
    frame = gdb.selected_frame()
    names = []
    for desc in frame.architecture().registers("general"):
        reg_type = frame.read_register(desc.name).type.strip_typedefs()
        if reg_type.code not in SCALARS or reg_type.sizeof > 8:
            continue
        try:
            name = session.current().resolve(desc.name)
        except gdb.GdbError:
            continue
        if name not in names:
            names.append(name)
    return names


def hits():
    return [{"watch": h.watch, "hit": h.hit, "pc": h.pc,
             "regs": dict(h.regs), "stale": sorted(h.stale)}
            for h in session.peek().ring.hits()]


def save():
    with open(SPEC["out"], "w") as out:
        json.dump(RESULT, out, indent=1)
