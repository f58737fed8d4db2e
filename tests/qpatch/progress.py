#!/usr/bin/python3
"""Tests of qemu-patch/progress, the filter that shows a QEMU build's
progress: fed a captured ninja-like stream (no QEMU is built), it must
keep every line in the log, show a step count on stderr, stay quiet
between steps, and pass the command's exit status on.  Prints TAP."""
import os
import pty
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "pylib"))
from qinsntest import Tap  # noqa: E402

PROGRESS = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="qinsn-progress.")
t = Tap()
ok = t.ok


def stream(total, status=0):
    """A shell command printing what ninja prints while compiling."""
    lines = ["ninja: Entering directory `build'"]
    for i in range(1, total + 1):
        lines.append("[%d/%d] Compiling C object libqemu.a.p/f%d.c.o"
                     % (i, total, i))
        if i == total // 2:
            lines.append("../src/f.c:12: warning: unused variable 'x'")
    path = os.path.join(TMP, "stream-%d-%d" % (total, status))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return ["sh", "-c", 'cat "$1"; exit %d' % status, "sh", path]


def run(cmd, env=None):
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "build.log")
        with open(log, "w") as f:
            f.write("=== configuring\n")
        p = subprocess.run([PROGRESS, log, "qemu-patch/build: compiling",
                            "--"] + cmd, capture_output=True, text=True,
                           env=env)
        with open(log) as f:
            return p.returncode, p.stdout, p.stderr, f.read()


rc, out, err, log = run(stream(3000))
ok(rc == 0, "exit status 0 when the build succeeds", err)
ok(log.startswith("=== configuring\n"), "log is appended to, not replaced")
ok(log.count("Compiling C object") == 3000 and "warning: unused" in log,
   "every line of the build is in the log")
ok(out == "", "nothing on stdout (the prefix line stays the last one)")
lines = err.splitlines()
ok(lines and lines[-1] == "qemu-patch/build: compiling: 3000/3000 steps "
   "(100%)", "last progress line is the step count at 100%", err)
ok(any("1500/3000 steps (50%)" in l for l in lines), "progress in between",
   err)
ok(len(lines) <= 11, "throttled: at most a line per tenth when not a tty "
   "(%d lines for 3000 steps)" % len(lines), err)
ok("warning" not in err and "Compiling" not in err,
   "compiler output stays in the log", err)

rc, out, err, log = run(stream(40, status=1))
ok(rc == 1, "the command's failure status is passed on (%d)" % rc, err)
ok(log.count("Compiling C object") == 40, "failed build: log complete")

# On a terminal: one line rewritten in place.
pid, fd = pty.fork()
if pid == 0:
    os.execv(PROGRESS, [PROGRESS, os.path.join(TMP, "tty.log"), "build",
                        "--"] + stream(500))
chunks = []
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    chunks.append(data)
_, status = os.waitpid(pid, 0)
tty = b"".join(chunks).decode()
ok(os.waitstatus_to_exitcode(status) == 0, "tty: exit status 0")
ok(tty.count("\r") >= 10 and tty.count("\n") <= 2,
   "tty: one line, rewritten (%d rewrites)" % tty.count("\r"), repr(tty[-200:]))
ok("500/500 steps (100%)" in tty, "tty: ends at 100%", repr(tty[-200:]))

shutil.rmtree(TMP)
t.done()
