"""Request-to-live latency on a busy guest.

The riscv64 spin guest loops forever; spin_rare runs once every 1024
iterations (every ~30 us).  Each sample sends `watch spin_rare count=1`
and times the request to its OK (the change is live: the flush is done)
and to the first hit event, then removes the watch.
"""

import os
import subprocess
import tempfile
import time

from .common import PATCHED, STOCK, percentile, qinsn_connect, symbols
from .common import wait_path


def latency(env, samples, flavour=STOCK):
    elf = env.guest("guest-spin-riscv64")
    rare = symbols(elf)["spin_rare"]
    with tempfile.TemporaryDirectory(prefix="qinsn-bench-") as tmp:
        sock = os.path.join(tmp, "q.sock")
        cmd = [env.qemu("riscv64", flavour), "-M", "virt", "-bios", "none",
               "-display", "none", "-serial", "null", "-kernel", elf,
               "-plugin", f"{env.plugin},sock={sock},log=/dev/null"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        try:
            wait_path(sock, proc)
            time.sleep(0.5)             # past boot: the loop is hot
            c = qinsn_connect(sock)
            c.send("subscribe\n")
            c.reply()
            to_ok, to_hit = [], []
            for _ in range(samples):
                t0 = time.monotonic()
                c.send(f"watch {rare:#x} count=1\n")
                r = c.reply()
                t1 = time.monotonic()
                if not r.startswith("OK"):
                    raise RuntimeError(f"watch answered {r!r}")
                wid = dict(kv.split("=") for kv in r.split()[1:])["id"]
                while not c.line().startswith(f"! hit watch={wid} "):
                    pass
                t2 = time.monotonic()
                c.send(f"unwatch {wid}\n")
                c.reply()
                to_ok.append((t1 - t0) * 1e3)
                to_hit.append((t2 - t0) * 1e3)
                time.sleep(0.005)
            path = c.greeting.get("flush", "?")
            c.close()
        finally:
            proc.kill()
            proc.wait()
    return {
        "qemu": flavour, "flush_path": path, "samples": samples,
        "ok_p50_ms": percentile(to_ok, 50), "ok_p99_ms": percentile(to_ok, 99),
        "hit_p50_ms": percentile(to_hit, 50),
        "hit_p99_ms": percentile(to_hit, 99),
        "ok_ms": to_ok, "hit_ms": to_hit,
    }


def all_latencies(env, samples):
    out = [latency(env, samples)]
    if env.patched:
        out.append(latency(env, samples, PATCHED))
    return out
