#!/usr/bin/python3
"""Run the examples of the documentation against real guests, so that
they cannot drift from what qinsn does.  Prints TAP, one line per example.

An example is marked by a comment on the line right before its block:

    Markdown:  <!-- example KIND [GUEST] [OPTION...] -->   then a ``` block
               or a block indented by 4 spaces
    man page:  .\\" example KIND [GUEST] [OPTION...]      then .nf … .fi

KIND says how the block is run:

  sh      Lines "$ COMMAND" (a trailing backslash continues one) run with
          sh, one after the other, in a scratch directory; the lines after a
          command are its expected output (stdout and stderr).  Lines
          without "$ " in a block with no "$ " at all are one command each
          and print nothing to check.  Exit statuses are not checked (a
          guest may end QEMU with a status of its own).
  socket  A conversation on the plugin's control socket: lines starting
          with "QINSN ", "= ", "OK", "ERR " or "! " are expected from the
          plugin, any other line is sent.  A "$ " line (how to connect,
          socat say) is not run.  A request is sent only once every line
          expected before it has come, so events are waited for; events
          may come in another order relative to replies than written.
  qinsn   Lines "(qinsn) COMMAND" form a script run with "qinsn -f"; the
          other lines are its expected output.
  file    The block is written to file GUEST (here a file name, not a
          guest) in the scratch directory, for the sh blocks after it in
          the same session= to build or run.
  gdb     Lines "(gdb) COMMAND" run in gdb-multiarch in batch mode, with
          the guest's ELF loaded; the other lines are expected output.
          "$ " lines (how to start QEMU and gdb) are not run.

In qinsn and gdb blocks that show no output, only the exit status is
checked (0: every command worked).

GUEST is the riscv64 guest a QEMU runs for the example (demo, spin,
probes), with the plugin on the default socket of a private runtime
directory, so that "qinsn" and "qinsn-connect" find it.  In the scratch
directory, guest.elf is that guest, build/ the build tree, and qinsn is
on PATH; the socket's path replaces /tmp/q.sock, the QMP socket's (qemu=
paused) /tmp/qmp.sock, and QEMU's gdbstub port :1234.  A command with a
here-document (<<EOF) runs with its lines.  qinsn's installed headers
(<qinsn/qemulib.h>) are on the compiler's path, as after meson install.

OPTIONS:
  qemu=none|running|paused|gdb   the QEMU started for the example (default
                                 running; none without GUEST).  paused: -S
                                 and a QMP socket; gdb: -S and a gdbstub.
  vary=KEY,KEY…                  values that differ from run to run (pids,
                                 registers of a live guest): in KEY=VALUE
                                 any word matches, in "KEY VALUE" any word
                                 up to a comma
  session=NAME                   blocks with the same NAME share one QEMU,
                                 (socket) one connection and one scratch
                                 directory; they follow each other

Expected output is matched line by line, exactly, after trailing blanks
are stripped, except: a line "..." matches any number of lines, "..."
inside a line matches any text, and the vary= keys.

Usage: examples.py SOURCE_ROOT BUILD_ROOT FILE...
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "pylib"))
import qinsntest  # noqa: E402
from qinsntest import Tap, free_port, system_command  # noqa: E402

GUESTS = {
    "demo": "tests/guests/guest-demo.elf",
    "spin": "tests/guests/guest-spin-riscv64.elf",
    "probes": "tests/guests/guest-riscv64.elf",
}
REPLY = re.compile(r"^(QINSN |= |OK\b|ERR |! )")
MARK_MD = re.compile(r"^<!-- example (.*?) -->\s*$")
MARK_MAN = re.compile(r'^\.\\" example (.*)$')
TIMEOUT = 60


class Example:
    def __init__(self, path, line, words, lines):
        self.path = path
        self.line = line
        self.kind = words[0] if words else ""
        self.guest = None
        self.opts = {}
        for w in words[1:]:
            if "=" in w:
                k, v = w.split("=", 1)
                self.opts[k] = v
            else:
                self.guest = w
        self.lines = lines
        self.vary = [k for k in self.opts.get("vary", "").split(",") if k]

    @property
    def name(self):
        return "%s:%d %s%s" % (self.path, self.line, self.kind,
                               " " + self.guest if self.guest else "")


def man_text(line):
    """A line of a man page's .nf block as the reader sees it."""
    for roff, text in (("\\-", "-"), ("\\e", "\\"), ("\\(aq", "'"),
                       ("\\&", "")):
        line = line.replace(roff, text)
    return line


def extract(root, rel):
    """The marked examples of file @rel."""
    with open(os.path.join(root, rel)) as f:
        lines = f.read().split("\n")
    out = []
    man = rel.endswith(".1")
    i = 0
    while i < len(lines):
        m = (MARK_MAN if man else MARK_MD).match(lines[i])
        if not m:
            i += 1
            continue
        start = i + 1
        block = []
        j = start
        if man:
            while j < len(lines) and lines[j].startswith("."):
                if lines[j] == ".nf":
                    break
                j += 1
            j += 1
            while j < len(lines) and lines[j] != ".fi":
                block.append(man_text(lines[j]))
                j += 1
        elif j < len(lines) and lines[j].startswith("```"):
            j += 1
            while j < len(lines) and not lines[j].startswith("```"):
                block.append(lines[j])
                j += 1
        else:
            while j < len(lines) and (lines[j].startswith("    ") or
                                      (not lines[j].strip() and
                                       j + 1 < len(lines) and
                                       lines[j + 1].startswith("    "))):
                block.append(lines[j][4:])
                j += 1
        out.append(Example(rel, start, m.group(1).split(), block))
        i = j
    return out


def line_re(expected, vary):
    """A regex for one expected line."""
    keys = "|".join(re.escape(k) for k in vary)
    pieces = [r"\.\.\.", "…"]
    if keys:
        pieces.append(r"(?:(?<=\s)|^)(?:%s)(?:=\S+|\ [^\s,;]+)" % keys)
    rx = ""
    for i, p in enumerate(re.split("(%s)" % "|".join(pieces),
                                   expected.rstrip())):
        if i % 2 == 0:
            rx += re.escape(p)
        elif p in ("...", "…"):
            rx += ".*"
        elif "=" in p:
            rx += re.escape(p.split("=", 1)[0]) + r"=\S+"
        else:
            rx += re.escape(p.split(" ", 1)[0]) + r" [^\s,;]+"
    return re.compile("^" + rx + "$")


def match_lines(expected, actual, vary):
    """Whether @actual (lines) matches @expected (lines, with "...")."""
    exp = [l.rstrip() for l in expected]
    act = [l.rstrip() for l in actual]
    while exp and not exp[-1]:
        exp.pop()
    while act and not act[-1]:
        act.pop()

    def m(i, j):
        if i == len(exp):
            return j == len(act)
        if exp[i].strip() in ("...", "…"):
            return any(m(i + 1, k) for k in range(j, len(act) + 1))
        return j < len(act) and line_re(exp[i], vary).match(act[j]) and \
            m(i + 1, j + 1)
    return bool(m(0, 0))


class Qemu(qinsntest.Qemu):
    """The riscv64 QEMU of an example, with the plugin."""

    def __init__(self, env, guest, mode):
        self.env = env
        self.port = None
        self.qmp = os.path.join(env.tmp, "qmp-%d.sock" % id(self))
        extra = []
        if mode == "paused":
            extra = ["-S", "-qmp", "unix:%s,server=on,wait=off" % self.qmp]
        elif mode == "gdb":
            self.port = free_port()
            extra = ["-S", "-gdb", "tcp:127.0.0.1:%d" % self.port]
        cmd = system_command("riscv64", env.guest_path(guest),
                             [env.plugin + ",log=/dev/null"], extra=extra)
        super().__init__(cmd, os.path.join(env.tmp, "qemu-%d.out" % id(self)),
                         env=env.environ)
        self.sock = os.path.join(env.runtime, "qinsn", "%d.sock" % self.pid)
        try:
            self.wait_socket(self.sock, TIMEOUT)
        except RuntimeError:
            self.stop()
            raise

    def stop(self):
        return super().stop(timeout=30)


class Env:
    def __init__(self, src, build):
        self.src = src
        self.build = build
        self.plugin = os.path.join(build, "plugin", "libqinsn.so")
        self.tmp = tempfile.mkdtemp(prefix="qinsn-examples.")
        self.runtime = os.path.join(self.tmp, "run")
        os.mkdir(self.runtime, 0o700)
        self.environ = dict(os.environ)
        self.environ.update({
            "XDG_RUNTIME_DIR": self.runtime,
            "XDG_STATE_HOME": os.path.join(self.tmp, "state"),
            "HOME": self.tmp,
            "PATH": os.path.join(build, "cli") + os.pathsep +
            os.environ.get("PATH", ""),
            "TERM": "dumb",
        })
        self.environ.pop("QINSN_SOCKET", None)
        include = os.path.join(self.tmp, "include", "qinsn")
        os.makedirs(include)
        os.symlink(os.path.join(src, "plugin", "seed", "qemulib.h"),
                   os.path.join(include, "qemulib.h"))
        self.environ["CPATH"] = os.path.dirname(include)
        self.sessions = {}

    def guest_path(self, guest):
        return os.path.join(self.build, GUESTS[guest])

    def scratch(self, guest):
        d = tempfile.mkdtemp(dir=self.tmp)
        os.symlink(self.build, os.path.join(d, "build"))
        if guest:
            os.symlink(self.guest_path(guest), os.path.join(d, "guest.elf"))
        return d

    def subst(self, text, qemu):
        if qemu:
            text = text.replace("/tmp/q.sock", qemu.sock)
            text = text.replace("/tmp/qmp.sock", qemu.qmp)
            if qemu.port:
                text = re.sub(r":1234\b", ":%d" % qemu.port, text)
        return text


def run_sh(env, ex, qemu, cwd):
    cmds = []           # [command, expected lines]
    pending = ""
    plain = not any(l.startswith("$ ") for l in ex.lines)
    heredoc = None
    for line in ex.lines:
        if pending:
            pending += "\n" + line
            if heredoc is not None and line == heredoc:
                heredoc = None
            if heredoc is None and not line.endswith("\\"):
                cmds.append([pending, []])
                pending = ""
            continue
        if line.startswith("$ ") or (plain and line.strip()):
            text = line[2:] if line.startswith("$ ") else line
            m = re.search(r"<<\s*'?(\w+)'?", text)
            heredoc = m.group(1) if m else None
            if text.endswith("\\") or heredoc:
                pending = text
            else:
                cmds.append([text, []])
        elif cmds and not plain:
            cmds[-1][1].append(line)
    environ = env.environ
    for cmd, expected in cmds:
        cmd = env.subst(cmd, qemu)
        try:
            p = subprocess.run(["sh", "-c", cmd], cwd=cwd, env=environ,
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               timeout=TIMEOUT)
            out = p.stdout
        except subprocess.TimeoutExpired as e:
            return False, "timed out: %s\n%s" % (cmd, e.output)
        expected = [env.subst(l, qemu) for l in expected]
        if not match_lines(expected, out.split("\n"), ex.vary):
            return False, "$ %s\nwanted:\n%s\ngot:\n%s" % (
                cmd, "\n".join(expected), out)
    return True, ""


class Conversation:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(path)
        self.file = self.sock.makefile("rw", newline="\n")

    def close(self):
        self.file.close()
        self.sock.close()


def match_socket(expected, actual, vary):
    """Events may come before the reply they follow in the text (a hit
    can beat the OK of its watch): events and the rest are matched each
    in their own order."""
    def events(lines, want):
        return [l for l in lines if l.startswith("! ") == want]
    return (match_lines(events(expected, True), events(actual, True), vary)
            and match_lines(events(expected, False), events(actual, False),
                            vary))


def run_socket(env, ex, qemu, conv):
    got = []
    lines = [l for l in ex.lines if l.strip() and not l.startswith("$ ")]
    i = 0
    while i < len(lines):
        line = env.subst(lines[i], qemu)
        if not REPLY.match(line) and line.strip() not in ("...", "…"):
            conv.file.write(line + "\n")
            conv.file.flush()
            got.append("> " + line)
            i += 1
            continue
        # the expected lines up to the next request, matched as a group
        j = i
        while j < len(lines) and (REPLY.match(lines[j]) or
                                  lines[j].strip() in ("...", "…")):
            j += 1
        expected = [env.subst(l, qemu) for l in lines[i:j]]
        want = sum(1 for l in expected if l.strip() not in ("...", "…"))
        actual = []
        try:
            while len(actual) < want or not match_socket(expected, actual,
                                                         ex.vary):
                text = conv.file.readline()
                if not text:
                    break
                actual.append(text.rstrip("\n"))
                got.append(actual[-1])
                if len(actual) > want + 1000:
                    break
        except OSError as e:
            got.append("(%s)" % e)
        if not match_socket(expected, actual, ex.vary):
            return False, "wanted:\n%s\ngot:\n%s" % ("\n".join(expected),
                                                     "\n".join(got))
        i = j
    return True, ""


def split_prompted(ex, prompt):
    """Commands after @prompt, and the expected output (None: the block
    shows none, so only the exit status is checked)."""
    cmds, expected, shown = [], [], False
    shell = False
    for line in ex.lines:
        if line.startswith(prompt):
            cmds.append(line[len(prompt):])
            shell = False
        elif line.startswith("$ ") or (shell and line.startswith(" ")):
            shell = True        # how to start QEMU or gdb: the harness does
        elif cmds:
            expected.append(line)
            shown = shown or bool(line.strip())
    return cmds, expected if shown else None


def check_output(expected, p, ex, qemu, env):
    if expected is None:
        if p.returncode != 0:
            return False, "exit status %d:\n%s" % (p.returncode, p.stdout)
        return True, ""
    expected = [env.subst(l, qemu) for l in expected]
    if not match_lines(expected, p.stdout.split("\n"), ex.vary):
        return False, "wanted:\n%s\ngot:\n%s" % ("\n".join(expected),
                                                 p.stdout)
    return True, ""


def run_qinsn(env, ex, qemu, cwd):
    cmds, expected = split_prompted(ex, "(qinsn) ")
    script = os.path.join(cwd, "example.qinsn")
    with open(script, "w") as f:
        f.write("".join(env.subst(c, qemu) + "\n" for c in cmds))
    args = ["qinsn", "-f", script]
    if qemu and os.path.exists(qemu.qmp):
        args[1:1] = ["--qmp", qemu.qmp]
    try:
        p = subprocess.run(args, cwd=cwd, env=env.environ,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        return False, "timed out\n%s" % e.output
    return check_output(expected, p, ex, qemu, env)


def run_gdb(env, ex, qemu, cwd):
    cmds, expected = split_prompted(ex, "(gdb) ")
    args = ["gdb-multiarch", "-q", "-nx", "-batch",
            "-ex", "set pagination off", "-ex", "set confirm off"]
    if ex.guest:
        args += ["-ex", "file " + env.guest_path(ex.guest)]
    qinsn_py = os.path.join(env.src, "gdb-scripts", "qinsn.py")
    for c in cmds:
        c = env.subst(c, qemu).replace("/usr/share/qinsn/gdb/qinsn.py",
                                       qinsn_py)
        c = re.sub(r"(?<![\w/])gdb-scripts/qinsn\.py", qinsn_py, c)
        args += ["-ex", c]
    try:
        p = subprocess.run(args, cwd=cwd, env=env.environ,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        return False, "timed out\n%s" % e.output
    # batch mode's own goodbye, not the example's
    p.stdout = re.sub(r"\[Inferior \d+ \(process \d+\) detached\]\n?$", "",
                      p.stdout)
    return check_output(expected, p, ex, qemu, env)


def end_sessions(env, keep=None):
    for name in [n for n in env.sessions if n != keep]:
        qemu, conv, _ = env.sessions.pop(name)
        if conv:
            conv.close()
        if qemu:
            qemu.stop()


def run(env, ex):
    guest = ex.guest if ex.kind != "file" else None
    mode = ex.opts.get("qemu", "running" if guest else "none")
    name = ex.opts.get("session")
    qemu = conv = cwd = None
    end_sessions(env, name)     # a session's blocks follow each other
    if name and name in env.sessions:
        qemu, conv, cwd = env.sessions[name]
    elif mode != "none":
        qemu = Qemu(env, guest, mode)
    if not cwd:
        cwd = env.scratch(guest)
    elif guest and not os.path.exists(os.path.join(cwd, "guest.elf")):
        os.symlink(env.guest_path(guest), os.path.join(cwd, "guest.elf"))
    try:
        if ex.kind == "file":
            with open(os.path.join(cwd, ex.guest), "w") as f:
                f.write("\n".join(ex.lines) + "\n")
            return True, ""
        if ex.kind == "sh":
            return run_sh(env, ex, qemu, cwd)
        if ex.kind == "socket":
            if not conv:
                conv = Conversation(qemu.sock)
            return run_socket(env, ex, qemu, conv)
        if ex.kind == "qinsn":
            return run_qinsn(env, ex, qemu, cwd)
        if ex.kind == "gdb":
            return run_gdb(env, ex, qemu, cwd)
        return False, "unknown kind '%s'" % ex.kind
    finally:
        if name:
            env.sessions[name] = (qemu, conv, cwd)
        else:
            if conv:
                conv.close()
            if qemu:
                qemu.stop()


def main(argv):
    src, build, files = argv[1], argv[2], argv[3:]
    env = Env(src, build)
    t = Tap()
    try:
        for rel in files:
            examples = extract(src, rel)
            if not examples:
                t.ok(False, "%s: no marked example" % rel)
            for ex in examples:
                try:
                    ok, diag = run(env, ex)
                except Exception as e:      # a broken example, not a crash
                    ok, diag = False, "%s: %s" % (type(e).__name__, e)
                t.ok(ok, ex.name)
                if diag:
                    t.diag(diag.rstrip())
    finally:
        end_sessions(env)
        shutil.rmtree(env.tmp, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
