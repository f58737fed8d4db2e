"""The tools qinsn is compared with, made ready at bench time.

- QEMU's own execlog plugin, compiled from Debian's QEMU source package
  (contrib/plugins/execlog.c in the orig tarball in the cache) against the
  plugin header; its afilter= argument limits logging to one address.
- bench/naive/naive.c: a callback on every instruction and the watch set
  looked up at execution.
- bench/floor/floor.c: one callback on the hot PC that only reads the
  registers: the floor of a register-logging hit on stock QEMU.
- bench/empty/empty.c: loaded, registers nothing: what loading any plugin
  costs.
- gdb-multiarch through QEMU's gdbstub: a dprintf at the hot PC, and a
  write watchpoint on a hot variable, each stopped after a fixed number of
  hits (every hit stops the guest, so a full run would take hours).

The plugins are built into cache/plugins, keyed by a hash of their source
and the header, so a changed source is rebuilt.
"""

import glob
import os
import subprocess
import tarfile

from .common import TOP, digest, run_tool, say

HEADER_DIR = os.environ.get("QINSN_QEMU_INCLUDE",
                            "/usr/local/include/qinsn-qemu")
NAIVE_SRC = os.path.join(TOP, "bench", "naive", "naive.c")
FLOOR_SRC = os.path.join(TOP, "bench", "floor", "floor.c")
EMPTY_SRC = os.path.join(TOP, "bench", "empty", "empty.c")
EXECLOG_MEMBER = "contrib/plugins/execlog.c"


def _glib_cflags():
    return run_tool(["pkg-config", "--cflags", "glib-2.0"]).split()


def _compile(src, out):
    header = os.path.join(HEADER_DIR, "qemu-plugin.h")
    if not os.path.exists(header):
        raise SystemExit(f"bench: {header} missing: run scripts/setup")
    run_tool(["gcc", "-O2", "-Wall", "-shared", "-fPIC", "-I", HEADER_DIR]
             + _glib_cflags() + ["-o", out + ".tmp", src])
    os.replace(out + ".tmp", out)


def _qemu_orig_tarball():
    src = os.path.join(os.environ.get("QINSN_CACHE", "/var/cache/qinsn"),
                       "src")
    found = sorted(glob.glob(os.path.join(src, "qemu_10.0.*.orig.tar.xz")))
    if not found:
        raise SystemExit(f"bench: no QEMU source package in {src}: "
                         "run qemu-patch/build or scripts/setup")
    return found[-1]


def execlog(env):
    """Path of execlog.so, built from the cached QEMU source package."""
    tarball = _qemu_orig_tarball()
    header = os.path.join(HEADER_DIR, "qemu-plugin.h")
    out = os.path.join(env.cache_dir("plugins"),
                       f"execlog-{digest(os.path.basename(tarball), header)}"
                       ".so")
    if os.path.exists(out):
        return out
    say(f"building execlog from {os.path.basename(tarball)}")
    src = os.path.join(env.cache_dir("plugins"), "execlog.c")
    with tarfile.open(tarball) as tf:
        member = next(m for m in tf if m.name.endswith("/" + EXECLOG_MEMBER))
        with tf.extractfile(member) as f, open(src, "wb") as o:
            o.write(f.read())
    _compile(src, out)
    return out


def _own(env, name, src):
    """Path of one of bench/'s own plugins, built from @src."""
    header = os.path.join(HEADER_DIR, "qemu-plugin.h")
    out = os.path.join(env.cache_dir("plugins"),
                       f"{name}-{digest(src, header)}.so")
    if not os.path.exists(out):
        say(f"building {os.path.relpath(src, TOP)}")
        _compile(src, out)
    return out


def naive(env):
    """Path of the naive plugin, built from bench/naive/naive.c."""
    return _own(env, "naive", NAIVE_SRC)


def floor(env):
    """Path of the floor plugin, built from bench/floor/floor.c."""
    return _own(env, "floor", FLOOR_SRC)


def empty(env):
    """Path of the empty plugin, built from bench/empty/empty.c."""
    return _own(env, "empty", EMPTY_SRC)


def floor_hits(stderr_path):
    """The hit count that the floor plugin prints at exit, or None."""
    with open(stderr_path, errors="replace") as f:
        for line in f:
            if line.startswith("floor hits="):
                return int(line.split()[1].split("=")[1])
    return None


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            n += chunk.count(b"\n")
    return n


def gdb_script(kind, port, wl, hits):
    """gdb commands that connect, set the dprintf or the watchpoint, and
    time `continue` until hit number @hits stops the guest."""
    regs = wl.regs
    s = ["set pagination off", "set confirm off", "set height 0",
         f"target remote 127.0.0.1:{port}"]
    if kind == "dprintf":
        fmt = " ".join(f"{r}=%lx" for r in regs)
        args = ",".join(f"${r}" for r in regs)
        s += [f'dprintf *{wl.hot:#x},"hit {fmt}\\n",{args}',
              # a breakpoint at the same PC ends the run at the last hit
              f"break *{wl.hot:#x}", f"ignore 2 {hits - 1}"]
    else:
        loc = f"*(unsigned long *){wl.mem:#x}"
        s += ["set $qb_n = 0", f"watch {loc}", "commands", "silent",
              "set $qb_n = $qb_n + 1", f'printf "hit w=%lx\\n", {loc}',
              f"if $qb_n < {hits}", "continue", "end", "end"]
    s += ['python import time; print("qbench t0 %.6f" % time.monotonic())',
          "continue",
          'python print("qbench t1 %.6f" % time.monotonic())',
          "kill"]
    return "\n".join(s) + "\n"


def gdb_listening(port):
    """True once something listens on 127.0.0.1:port (read from
    /proc/net/tcp, without connecting: the gdbstub takes one client)."""
    want = f":{port:04X}"
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if parts[1].endswith(want) and parts[3] == "0A":
                return True
    return False


def gdb_run(script_path, elf, timeout):
    """Run gdb-multiarch in batch mode; (seconds from continue to the last
    hit's stop, number of hits printed, output)."""
    r = subprocess.run(["gdb-multiarch", "-batch", "-nx", "-x", script_path,
                        elf], capture_output=True, text=True,
                       timeout=timeout)
    out = r.stdout + r.stderr
    t = {}
    hits = 0
    for line in out.splitlines():
        if line.startswith("qbench t"):
            k, v = line.split()[1:3]
            t[k] = float(v)
        elif line.startswith("hit "):
            hits += 1
    if "t0" not in t or "t1" not in t:
        raise RuntimeError(f"gdb did not finish:\n{out[-2000:]}")
    return t["t1"] - t["t0"], hits, out
