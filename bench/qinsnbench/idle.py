"""Request-to-live latency on an idle booted Linux guest.

live.py measures a guest that spins, so a block that sees the flush flag
runs within microseconds.  Here Debian's kernel boots the bench initramfs
with QBENCH=idle: once it prints its marker it sits in `sleep`, and its
one vCPU is halted until the next interrupt.  After the marker (and a
second more, for the shell to reach `sleep`) the harness connects and:

- sends the first `watch` on do_sys_openat2 (its address from the cached
  kallsyms: the kernel boots with nokaslr) and times it to its OK: a
  figure of its own, one per boot, as on the patched QEMU it is the one
  that leaves dormancy and flushes every block the boot translated;
- then `unwatch`, and @samples more watch/unwatch cycles, a pause of
  @gap_ms between requests so the vCPU is halted again when each comes;
  each request timed to its OK.

The machine's load average is recorded beside every boot: on 2 cores any
other work lands in these figures.  With @realtime (bench/run
--idle-realtime, root only) QEMU's threads and the harness run under
SCHED_FIFO once the guest is idle, so that they get a CPU the moment they
wake up: what is left of the latency is then QEMU's and qinsn's own work,
not the wait for a CPU.
"""

import os
import subprocess
import tempfile
import time

from . import linux
from .common import PATCHED, STOCK, percentile, qinsn_connect, say
from .common import wait_for, wait_path

BOOT_TIMEOUT = 600      # seconds to the idle marker; loaded machines are slow
SETTLE = 1.0            # seconds after the marker: the shell reaches `sleep`


def _wait_console(path, proc, text, secs):
    def seen():
        if not os.path.exists(path):
            return False
        with open(path, errors="replace") as f:
            return text in f.read()
    wait_for(seen, proc, f"{text!r} on the console", secs, step=0.05)


def _timed(c, line):
    t0 = time.monotonic()
    c.send(line + "\n")
    r = c.reply()
    ms = (time.monotonic() - t0) * 1e3
    if not r.startswith("OK"):
        raise RuntimeError(f"{line!r} answered {r!r}")
    return ms, dict(kv.split("=", 1) for kv in r.split()[1:] if "=" in kv)


def _stats(c):
    c.send("stats\n")
    out = {}
    while True:
        r = c.line()
        if r.startswith("= "):
            for kv in r[2:].split():
                if "=" in kv:
                    k, v = kv.split("=", 1)
                    out[k] = v
        elif not r.startswith("! "):
            return out


def _flush_times(st):
    """The last flush's phases from `stats`, in ms (None: not reported)."""
    keys = ("flush_wait_ns", "flush_ns", "flush_done_ns")
    if not all(k in st for k in keys):
        return None
    return [int(st[k]) / 1e6 for k in keys]


def _realtime(pid):
    """QEMU's threads (@pid) and this process under SCHED_FIFO."""
    subprocess.run(["chrt", "-a", "-f", "-p", "10", str(pid)], check=True,
                   stdout=subprocess.DEVNULL)
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))


def one_boot(env, lx, flavour, samples, gap_ms, realtime=False):
    """Boot once, idle; the first watch and @samples cycles after it."""
    addr = lx.syms[linux.OPENAT]
    with tempfile.TemporaryDirectory(prefix="qinsn-bench-") as tmp:
        sock = os.path.join(tmp, "q.sock")
        con = os.path.join(tmp, "console")
        cmd = [env.qemu(linux.ARCH, flavour), "-display", "none",
               "-serial", f"file:{con}",
               "-plugin", f"{env.plugin},sock={sock},log=/dev/null"]
        cmd += lx.args("idle")
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            started = time.monotonic()
            wait_path(sock, proc)
            _wait_console(con, proc, linux.IDLE, BOOT_TIMEOUT)
            boot_s = time.monotonic() - started
            if realtime:
                _realtime(proc.pid)
            time.sleep(SETTLE)
            load = os.getloadavg()[0]
            c = qinsn_connect(sock)
            before = _stats(c)
            first, kv = _timed(c, f"watch {addr:#x}")
            first_times = _flush_times(_stats(c))
            watch_ms, unwatch_ms, times = [], [], []
            for i in range(samples + 1):
                if i:
                    time.sleep(gap_ms / 1e3)
                    ms, kv = _timed(c, f"watch {addr:#x}")
                    watch_ms.append(ms)
                    times.append(_flush_times(_stats(c)))
                wid = kv["id"]
                time.sleep(gap_ms / 1e3)
                ms, _ = _timed(c, f"unwatch {wid}")
                unwatch_ms.append(ms)
            after = _stats(c)
            load_end = os.getloadavg()[0]
            c.close()
        finally:
            if realtime:
                os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
            proc.kill()
            proc.wait()
    return {"first_ms": first, "watch_ms": watch_ms,
            "first_flush": first_times, "flush_times": times,
            "unwatch_ms": unwatch_ms, "boot_s": boot_s,
            "load": load, "load_end": load_end,
            "flush_path": before.get("flush_path", "?"),
            "flushes": int(after.get("flushes", 0)) -
            int(before.get("flushes", 0))}


def idle_latency(env, boots, samples, gap_ms=50, flavour=STOCK,
                 realtime=False):
    lx = linux.Linux(env)
    runs = []
    for b in range(boots):
        r = one_boot(env, lx, flavour, samples, gap_ms, realtime)
        say(f"idle {flavour} boot {b + 1}: booted in {r['boot_s']:.1f} s, "
            f"first watch {r['first_ms']:.2f} ms, later watch p50 "
            f"{percentile(r['watch_ms'], 50):.3f} ms (load "
            f"{r['load']:.1f})")
        runs.append(r)
    watch = [x for r in runs for x in r["watch_ms"]]
    unwatch = [x for r in runs for x in r["unwatch_ms"]]
    first = [r["first_ms"] for r in runs]
    return {
        "qemu": flavour, "flush_path": runs[0]["flush_path"],
        "realtime": realtime,
        "boots": boots, "samples": len(watch), "gap_ms": gap_ms,
        "first_ms": first, "first_max_ms": max(first),
        "first_p50_ms": percentile(first, 50),
        "watch_p50_ms": percentile(watch, 50),
        "watch_p99_ms": percentile(watch, 99),
        "unwatch_p50_ms": percentile(unwatch, 50),
        "unwatch_p99_ms": percentile(unwatch, 99),
        "loads": [r["load"] for r in runs],
        "runs": runs,
    }


def all_idle_latencies(env, boots, samples, realtime=False):
    out = [idle_latency(env, boots, samples, realtime=realtime)]
    if env.patched:
        out.append(idle_latency(env, boots, samples, flavour=PATCHED,
                                realtime=realtime))
    return out
