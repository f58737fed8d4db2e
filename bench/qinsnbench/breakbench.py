"""Time to a conditional stop: qinsn-break against gdb's `break ... if`.

The riscv64 spin guest (tests/guests) executes spin_tick once per loop
iteration with the iteration number n in a0, so `a0 == K-1` first holds
at the K-th execution.  Each measurement starts QEMU paused with the
gdbstub, sets the breakpoint from gdb, and times gdb's `continue` until
the guest stops:

- qinsn: `qinsn-break *spin_tick if $a0 == K-1`; the plugin tests the
  condition at each execution and stops the guest once (exactly on the
  patched QEMU, at the next block on stock QEMU);
- gdb: `break *spin_tick if $a0 == G-1`; the guest stops at every
  execution for gdb to test the condition.  G is small (gdb needs about
  a millisecond an execution), so gdb is compared per evaluated
  execution: seconds / G against seconds / K.
"""

import os
import statistics
import subprocess
import tempfile

from .common import STOCK, PATCHED, TOP, free_port, say, symbols
from .peers import gdb_listening

QINSN_PY = os.path.join(TOP, "gdb-scripts", "qinsn.py")


def _script(port, sock, hot, kind, count):
    s = ["set pagination off", "set confirm off", "set height 0",
         f"target remote 127.0.0.1:{port}"]
    if kind == "qinsn":
        s += [f"source {QINSN_PY}", f"qinsn-connect {sock}",
              f"qinsn-break *{hot:#x} if $a0 == {count - 1}"]
    else:
        s += [f"break *{hot:#x} if $a0 == {count - 1}"]
    s += ['python import time; print("qbench t0 %.6f" % time.monotonic())',
          "continue",
          'python print("qbench t1 %.6f" % time.monotonic())',
          'python print("qbench a0 %d" % int(gdb.parse_and_eval("$a0")))',
          "kill"]
    return "\n".join(s) + "\n"


def _once(env, flavour, kind, count, timeout):
    """Seconds from continue to the stop at execution @count."""
    elf = env.guest("guest-spin-riscv64")
    hot = symbols(elf)["spin_tick"]
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="qbench-break-") as d:
        sock = os.path.join(d, "q.sock")
        plugin = f"{env.plugin},sock={sock},log={d}/log"
        cmd = [env.qemu("riscv64", flavour), "-M", "virt", "-bios", "none",
               "-display", "none", "-serial", "null", "-monitor", "none",
               "-kernel", elf, "-gdb", f"tcp:127.0.0.1:{port}", "-S"]
        if kind == "qinsn":
            cmd += ["-plugin", plugin]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):
                if gdb_listening(port) and (
                        kind != "qinsn" or os.path.exists(sock)):
                    break
                if proc.poll() is not None:
                    raise RuntimeError("QEMU exited early")
                subprocess.run(["sleep", "0.05"])
            script = os.path.join(d, "gdb.cmd")
            with open(script, "w") as f:
                f.write(_script(port, sock, hot, kind, count))
            env_vars = dict(os.environ)
            env_vars["PYTHONPATH"] = os.path.dirname(QINSN_PY)
            r = subprocess.run(["gdb-multiarch", "-batch", "-nx", "-x",
                                script, elf], capture_output=True,
                               text=True, timeout=timeout, env=env_vars)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    out = r.stdout + r.stderr
    t = {}
    for line in out.splitlines():
        if line.startswith("qbench "):
            key, value = line.split()[1:3]
            t[key] = float(value)
    if "t0" not in t or "t1" not in t:
        raise RuntimeError(f"gdb did not finish:\n{out[-2000:]}")
    # Exact stops are in the matching iteration; late ones (stock QEMU)
    # normally too, at the next block, but may come later on a busy host.
    a0 = int(t.get("a0", -1))
    if a0 < count - 1 or (a0 != count - 1 and
                          (kind == "gdb" or flavour == PATCHED)):
        raise RuntimeError(f"stopped at a0={a0}, not {count - 1}")
    if a0 != count - 1:
        say(f"break: the late stop came {a0 - (count - 1)} iterations "
            f"after the match")
    return t["t1"] - t["t0"]


def measure(env, counts, gdb_count, runs, timeout=3600):
    """Rows: flavour, tool, executions, median seconds, ns per evaluated
    execution, and gdb's per-execution time over it (the ratio)."""
    flavours = [STOCK] + ([PATCHED] if env.patched else [])
    rows = []
    for flavour in flavours:
        say(f"break: gdb break-if to execution {gdb_count} ({flavour})")
        g = statistics.median(_once(env, flavour, "gdb", gdb_count, timeout)
                              for _ in range(runs))
        gdb_per = g / gdb_count
        rows.append(dict(flavour=flavour, tool="gdb break-if",
                         executions=gdb_count, seconds=g,
                         ns_per_execution=gdb_per * 1e9, ratio=1.0))
        for count in counts:
            say(f"break: qinsn-break to execution {count} ({flavour})")
            q = statistics.median(_once(env, flavour, "qinsn", count,
                                        timeout) for _ in range(runs))
            rows.append(dict(flavour=flavour, tool="qinsn-break",
                             executions=count, seconds=q,
                             ns_per_execution=q / count * 1e9,
                             ratio=gdb_per / (q / count)))
    return rows


def table(rows):
    lines = ["| QEMU | tool | stop at execution | seconds | ns per "
             "evaluated execution | gdb's time per execution / this |",
             "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['flavour']} | {r['tool']} | {r['executions']:,}"
                     f" | {r['seconds']:.3f} | {r['ns_per_execution']:,.1f} |"
                     f" {r['ratio']:,.0f}x |")
    return "\n".join(lines) + "\n"
