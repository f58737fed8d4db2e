#!/usr/bin/env python3
"""Error paths of the qinsn gdb commands, socket discovery, loading (TAP).

Usage: test_gdb_errors.py PLUGIN SPIN_GUEST_RISCV64

Every user error must end batch gdb with status 1 and the documented
message, never a Python traceback.  A fake plugin (a socket served here)
stands in where a real one cannot misbehave: a wrong greeting, a register
list that disagrees with gdb's.
"""

import os
import re
import shutil
import socket
import sys
import threading

import gdbtest
from gdbtest import Qemu, run_gdb
from qinsntest import Tap, workdir


class FakePlugin:
    """Greets with @greeting and answers 'regs' with @regs (data lines)."""

    def __init__(self, path, greeting, regs=()):
        self.greeting = greeting
        self.regs = list(regs)
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(path)
        self.sock.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        with conn, conn.makefile("rw") as f:
            f.write(self.greeting + "\n")
            f.flush()
            for line in f:
                if line.split()[:1] == ["regs"]:
                    for reg in self.regs:
                        f.write("= " + reg + "\n")
                    f.write("OK count=%d\n" % len(self.regs))
                else:
                    f.write("OK\n")
                f.flush()


def expect_error(tap, name, run, message):
    tap.ok(run.rc == 1 and message in run.err and run.clean(),
           name + ": exit 1, '%s'" % message, run.text)


def plain_errors(tap, qemu, spin):
    cases = [
        ("not connected", ["qinsn-watch spin_fn"],
         "not connected to qinsn; use qinsn-connect [SOCKET]"),
        ("not connected, qinsn-watch-mem", ["qinsn-watch-mem spin_text"],
         "not connected to qinsn; use qinsn-connect [SOCKET]"),
        ("not connected, qinsn-hits", ["qinsn-hits"],
         "not connected to qinsn; use qinsn-connect [SOCKET]"),
        ("no such socket", ["qinsn-connect /nonexistent/q.sock"],
         "cannot connect to /nonexistent/q.sock: [Errno 2]"),
    ]
    for name, commands, message in cases:
        expect_error(tap, name, run_gdb(commands, elf=spin), message)
    connect = "qinsn-connect " + qemu.sock
    cases = [
        ("unknown register", "qinsn-watch spin_fn regs=a0,bogus",
         "unknown register 'bogus' for riscv64"),
        ("unknown register in a condition", "qinsn-watch spin_fn if q9 == 1",
         "unknown register 'q9' for riscv64"),
        ("bad location", "qinsn-watch no_such_function",
         'Function "no_such_function" not defined.'),
        ("bad condition", "qinsn-watch spin_fn if a0 ~ 3",
         "condition 'a0 ~ 3' is not REG OP VALUE"),
        ("bad condition value", "qinsn-watch spin_fn if a0 == no_such_var",
         "value 'no_such_var': No symbol \"no_such_var\" in current "
         "context."),
        ("missing location", "qinsn-watch", "a location is needed"),
        ("bad count", "qinsn-hits many", "Usage: qinsn-hits [N]"),
        ("bad watch number", "qinsn-enable one",
         "'one' is not a watch number"),
        ("unknown watch", "qinsn-unwatch 999", "no watch with id 999"),
        ("bad mark", "qinsn-mark 'a b'", "use letters, digits and . _ -"),
        ("memory watch, not an lvalue without len=",
         "qinsn-watch-mem &spin_text",
         "'&spin_text' is not an lvalue in memory: add len=N to watch N "
         "bytes at the address it evaluates to"),
        ("memory watch, register value without len=",
         "qinsn-watch-mem $sp",
         "'$sp' is not an lvalue in memory: add len=N"),
        ("memory watch, bad direction", "qinsn-watch-mem spin_text x",
         "'x' is not a direction: use r (loads), w (stores) or rw (both, "
         "the default)"),
        ("memory watch, two directions", "qinsn-watch-mem spin_text r w",
         "two directions given (r and w); give one of r, w or rw"),
        ("memory watch, unknown option", "qinsn-watch-mem spin_text str=a0",
         "unknown option 'str=a0' (qinsn-watch-mem takes regs=, len=, "
         "ignore=, count=, cpu= and once)"),
        ("memory watch, condition on a register",
         "qinsn-watch-mem spin_text if a0 == 1",
         "condition 'a0 == 1' is not value OP VALUE (a memory watch "
         "compares the accessed value"),
        ("memory watch, len=0: the plugin's refusal",
         "qinsn-watch-mem &spin_text len=0",
         "length 0 is empty or wraps around"),
        ("memory watch, function", "qinsn-watch-mem spin_fn",
         "'spin_fn' is a function, not data: give len=N"),
        ("memory watch, a float as address", "qinsn-watch-mem 1.5 len=4",
         "'1.5' is neither an lvalue in memory nor an address (its type is "
         "double)"),
        ("memory watch, no expression", "qinsn-watch-mem w",
         "No symbol \"w\" in current context."),
        ("memory watch, options only", "qinsn-watch-mem len=4",
         "an expression is needed (Usage: qinsn-watch-mem EXPR"),
        ("memory watch, bad expression", "qinsn-watch-mem no_such_var",
         'No symbol "no_such_var" in current context.'),
        ("memory watch, unknown register",
         "qinsn-watch-mem spin_text regs=a0,bogus",
         "unknown register 'bogus' for riscv64"),
        ("memory watch, plugin refuses",
         "qinsn-watch-mem 0xffffffffffffff00 len=0x1000",
         "0xffffffffffffff00 (rw, 4096 bytes at 0xffffffffffffff00): "
         "length 4096 is empty or wraps around"),
    ]
    for name, command, message in cases:
        run = run_gdb([connect, command], elf=spin, port=qemu.port)
        expect_error(tap, name, run, message)


def discovery(tap, plugin, spin, directory):
    runtime = os.path.join(directory, "xdg")
    os.mkdir(runtime, 0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime)
    env.pop("QINSN_SOCKET", None)
    where = os.path.join(runtime, "qinsn")
    run = run_gdb(["qinsn-connect"], env=env)
    expect_error(tap, "discovery, no socket", run,
                 "no live qinsn socket in " + where)
    first = Qemu("riscv64", spin, plugin, directory, "one", gdb=False,
                 sock="default", env=env)
    second = None
    try:
        path = os.path.join(where, "%d.sock" % first.proc.pid)
        first.wait_socket(path)
        dead = socket.socket(socket.AF_UNIX)
        dead.bind(os.path.join(where, "dead.sock"))
        dead.close()
        run = run_gdb(["qinsn-connect"], env=env)
        tap.ok(run.rc == 0 and "Connected to qinsn at %s:" % path in run.out,
               "discovery: the one live socket (a dead one beside it)",
               run.text)
        second = Qemu("riscv64", spin, plugin, directory, "two", gdb=False,
                      sock="default", env=env)
        other = os.path.join(where, "%d.sock" % second.proc.pid)
        second.wait_socket(other)
        run = run_gdb(["qinsn-connect"], env=env)
        expect_error(tap, "discovery, two sockets", run,
                     "several qinsn sockets are live; choose one")
        tap.ok(path in run.err and other in run.err and
               "dead.sock" not in run.err,
               "discovery: both live sockets listed", run.err)
        run = run_gdb(["qinsn-connect"], env=dict(env, QINSN_SOCKET=other))
        tap.ok(run.rc == 0 and "Connected to qinsn at %s:" % other in run.out,
               "discovery: $QINSN_SOCKET wins", run.text)
        # until the session's reader has seen the connection close and
        # queued its notice (at most a minute)
        run = run_gdb(["qinsn-connect %s" % path,
                       "shell kill %d" % first.proc.pid,
                       "python from qinsn_gdb import session; "
                       "session.peek().query._thread.join(60)",
                       "qinsn-hits", "qinsn-list"], env=env)
        expect_error(tap, "QEMU gone", run, "the connection to %s is closed"
                     % path)
        tap.ok("No hits received." in run.out and
               "qinsn: connection to %s closed" % path in run.out,
               "QEMU gone: qinsn-hits still works, the loss was reported",
               run.text)
    finally:
        first.stop()
        if second:
            second.stop()


def fake_plugins(tap, qemu, spin, directory):
    real = run_gdb(["qinsn-connect " + qemu.sock,
                    "python from qinsn_gdb import session",
                    "python print('\\n'.join(session.current()"
                    ".request('regs').data))"])
    regs = [line for line in real.out.splitlines()
            if line.startswith("name=")]
    tap.ok(len(regs) > 60, "fake plugin: real register list read (%d)" %
           len(regs), real.text)
    greeting = "QINSN 1 arch=riscv64 pid=1 flush=stock-reset exact=no " \
               "mode=system"
    altered = [r.replace("name=a0 ", "name=x10 ")
               .replace("name=a1 gdb=11 size=8", "name=a1 gdb=11 size=4")
               for r in regs if not r.startswith("name=t6 ")]
    cases = [
        ("not qinsn", "HELLO there", regs, ["not a qinsn socket"]),
        ("protocol 2", greeting.replace("QINSN 1", "QINSN 2"), regs,
         ["the plugin speaks protocol version 2"]),
        ("other arch", greeting.replace("riscv64", "x86_64"), regs,
         ["gdb debugs a riscv:rv64 target but the plugin serves x86_64"]),
        ("registers differ", greeting, altered,
         ["gdb and the plugin disagree on the target's registers",
          "#10 is x10 in QEMU's list but a0 in gdb's",
          "a1 (#11) has 4 bytes in QEMU's list but 8 in gdb's"]),
    ]
    for number, (name, hello, reg_lines, messages) in enumerate(cases):
        path = os.path.join(directory, "fake%d.sock" % number)
        FakePlugin(path, hello, reg_lines)
        commands = ["qinsn-connect " + path]
        if name == "registers differ":
            commands.append("qinsn-log a2")
        run = run_gdb(commands, elf=spin, port=qemu.port)
        for message in messages:
            expect_error(tap, "fake plugin, " + name, run, message)
    tap.ok(len(re.findall("disagree on the target's registers", run.err))
           == 2 and "warning: qinsn: 1 register(s) gdb reads are not in "
           "QEMU's list: t6#31" in run.out,
           "fake plugin: a mismatch fails every register use; missing "
           "registers are named", run.text)


def loading(tap, spin, directory):
    run = run_gdb(["source " + gdbtest.QINSN_PY, "help qinsn-list"])
    tap.ok(run.rc == 0 and "Usage: qinsn-list" in run.out and run.clean(),
           "loading: sourcing qinsn.py twice is harmless", run.text)
    run = run_gdb(["help qinsn-watch-mem"])
    tap.ok(run.rc == 0 and run.clean() and
           "Usage: qinsn-watch-mem EXPR [r|w|rw] [if value OP VALUE]" in
           run.out and
           "lvalue in memory, that is gdb can take its address" in run.out,
           "loading: help qinsn-watch-mem gives the usage and the rule for "
           "EXPR", run.text)
    auto = os.path.join(directory, "auto")
    os.mkdir(auto)
    elf = os.path.join(auto, "guest.elf")
    shutil.copy(spin, elf)
    with open(elf + "-gdb.py", "w") as script:
        script.write('gdb.execute("source %s")\n' % gdbtest.QINSN_PY)
    run = run_gdb(["help qinsn-watch"], elf=elf, source=False,
                  early=["add-auto-load-safe-path " + auto])
    tap.ok(run.rc == 0 and "Usage: qinsn-watch" in run.out and run.clean(),
           "loading: gdb auto-loads the commands with the guest", run.text)
    run = run_gdb(["help qinsn-watch"], elf=elf, source=False)
    tap.ok(run.rc == 1 and "auto-loading has been declined" in run.text,
           "loading: only from a safe path", run.text)


def main():
    plugin, spin = sys.argv[1:3]
    gdbtest.patched_run("riscv64")
    tap = Tap()
    directory = workdir("gdb")
    with Qemu("riscv64", spin, plugin, directory, "errors") as qemu:
        plain_errors(tap, qemu, spin)
        fake_plugins(tap, qemu, spin, directory)
    discovery(tap, plugin, spin, directory)
    loading(tap, spin, directory)
    tap.done()


if __name__ == "__main__":
    main()
