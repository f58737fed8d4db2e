"""Building blocks of bench/run: guests, configurations, one timed run,
request-to-live latency, and the report."""

import csv
import json
import os
import platform
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

ARCH_QEMU = {
    "riscv64": ["qemu-system-riscv64", "-M", "virt", "-bios", "none"],
    "x86_64": ["qemu-system-x86_64", "-no-reboot", "-device",
               "isa-debug-exit,iobase=0xf4,iosize=0x04"],
}
ARG_REGS = {
    "riscv64": ["a0", "a1", "a2", "a3"],
    "x86_64": ["rdi", "rsi", "rdx", "rcx"],
}
# Addresses in RAM that no guest executes: targets of cold watches.
COLD_BASE = {"riscv64": 0x87000000, "x86_64": 0x7000000}


class Env:
    def __init__(self, build):
        self.build = build
        self.plugin = os.path.join(build, "plugin", "libqinsn.so")
        self.guests = os.path.join(build, "tests", "guests")
        for p in (self.plugin, self.guests):
            if not os.path.exists(p):
                raise SystemExit(f"bench: {p} missing: run scripts/build")

    def guest(self, name):
        return os.path.join(self.guests, name + ".elf")


@dataclass
class Workload:
    name: str
    arch: str
    elf: str
    hot: str            # symbol executed once per unit of work


@dataclass
class Config:
    name: str
    plugin: bool = True
    watches: list = field(default_factory=list)   # request lines


def symbol(elf, name):
    out = subprocess.run(["nm", elf], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise SystemExit(f"bench: no symbol {name} in {elf}")


def workloads(env):
    return [
        Workload("tight-riscv64", "riscv64",
                 env.guest("guest-bench-tight-riscv64"), "bench_tight_body"),
        Workload("compute-riscv64", "riscv64",
                 env.guest("guest-bench-compute-riscv64"), "bench_hot"),
        Workload("compute-x86_64", "x86_64",
                 env.guest("guest-bench-compute-x86_64"), "bench_hot"),
    ]


def configs(env, wl):
    hot = symbol(wl.elf, wl.hot)
    cold = symbol(wl.elf, "guest_trap")
    regs = ",".join(ARG_REGS[wl.arch])
    base = COLD_BASE[wl.arch]

    def many(n):
        return [f"watch {base + 4 * i:#x}" for i in range(n)]

    return [
        Config("baseline", plugin=False),
        Config("0-watches"),
        Config("1-cold", watches=[f"watch {cold:#x}"]),
        Config("1-hot-4-regs", watches=[f"watch {hot:#x} regs={regs}"]),
        Config("10-watches", watches=many(10)),
        Config("1000-watches", watches=many(1000)),
        Config("100000-watches", watches=many(100000)),
    ]


def wait_path(path, proc, secs=20):
    end = time.monotonic() + secs
    while not os.path.exists(path):
        if proc.poll() is not None or time.monotonic() > end:
            raise RuntimeError(f"{path} did not appear")
        time.sleep(0.01)


class Lines:
    """A line-oriented client of a UNIX socket."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.file = self.sock.makefile("rw", buffering=1)

    def line(self):
        return self.file.readline().rstrip("\n")

    def reply(self):
        """The next status line, skipping events."""
        while True:
            r = self.line()
            if not r.startswith("! ") and not r.startswith("= "):
                return r

    def send(self, text):
        self.file.write(text)
        self.file.flush()

    def close(self):
        self.file.close()
        self.sock.close()


def qinsn_requests(path, lines):
    c = Lines(path)
    greeting = c.line()
    if not greeting.startswith("QINSN 1 "):
        raise RuntimeError(f"bad greeting {greeting!r}")
    # pipelined, read back in batches so neither side's buffer fills
    for i in range(0, len(lines), 200):
        batch = lines[i:i + 200]
        c.send("".join(x + "\n" for x in batch))
        for _ in batch:
            while True:
                r = c.line()
                if r.startswith("OK") or r.startswith("ERR"):
                    break
            if not r.startswith("OK"):
                raise RuntimeError(f"plugin answered {r}")
    c.close()


def qmp_cont(path):
    c = Lines(path)
    c.line()
    c.send('{"execute":"qmp_capabilities"}\n')
    c.line()
    start = time.monotonic()
    c.send('{"execute":"cont"}\n')
    return c, start


def run_once(env, wl, cfg):
    with tempfile.TemporaryDirectory(prefix="qinsn-bench-") as tmp:
        qmp = os.path.join(tmp, "qmp.sock")
        sock = os.path.join(tmp, "q.sock")
        log = os.path.join(tmp, "log.json")
        cmd = ARCH_QEMU[wl.arch] + [
            "-display", "none", "-serial", "null", "-S",
            "-qmp", f"unix:{qmp},server=on,wait=off", "-kernel", wl.elf]
        if cfg.plugin:
            cmd += ["-plugin", f"{env.plugin},sock={sock},log={log},"
                    "format=json"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        try:
            wait_path(qmp, proc)
            if cfg.plugin:
                wait_path(sock, proc)
                if cfg.watches:
                    qinsn_requests(sock, cfg.watches)
            c, start = qmp_cont(qmp)
            _, status, ru = os.wait4(proc.pid, 0)
            elapsed = time.monotonic() - start
            c.close()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        info = {"maxrss_kb": ru.ru_maxrss}
        if cfg.plugin and os.path.exists(log):
            with open(log) as f:
                for line in f:
                    if line.startswith('{"type":"summary"'):
                        s = json.loads(line)
                        info.update(hits=s["hits"], logged=s["logged"],
                                    dropped=s["dropped"])
        return elapsed, info


def summarize(workload, config, samples, base, extra):
    med = statistics.median(samples)
    row = {
        "workload": workload, "config": config, "runs": len(samples),
        "median_s": med, "min_s": min(samples), "max_s": max(samples),
        "ratio": med / base,
        "maxrss_mb": statistics.median(extra["maxrss_kb"]) / 1024,
    }
    if extra.get("hits") and statistics.median(extra["hits"]) > 0:
        hits = statistics.median(extra["hits"])
        row["hits"] = hits
        row["logged"] = statistics.median(extra["logged"])
        row["dropped"] = statistics.median(extra["dropped"])
        row["ns_per_hit"] = (med - base) * 1e9 / hits
    return row


def percentile(values, p):
    v = sorted(values)
    k = min(len(v) - 1, max(0, round(p / 100 * (len(v) - 1))))
    return v[k]


def latency(env, samples):
    """Request-to-OK and request-to-first-hit on a busy riscv64 guest."""
    elf = env.guest("guest-spin-riscv64")
    rare = symbol(elf, "spin_rare")
    with tempfile.TemporaryDirectory(prefix="qinsn-bench-") as tmp:
        sock = os.path.join(tmp, "q.sock")
        cmd = ARCH_QEMU["riscv64"] + [
            "-display", "none", "-serial", "null", "-kernel", elf,
            "-plugin", f"{env.plugin},sock={sock},log=/dev/null"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        try:
            wait_path(sock, proc)
            time.sleep(0.5)
            c = Lines(sock)
            greeting = c.line()
            c.send("subscribe\n")
            c.reply()
            to_ok, to_hit = [], []
            for _ in range(samples):
                t0 = time.monotonic()
                c.send(f"watch {rare:#x} count=1\n")
                r = c.reply()
                t1 = time.monotonic()
                wid = r.split()[1].split("=")[1]
                while True:
                    e = c.line()
                    if e.startswith(f"! hit watch={wid} "):
                        break
                t2 = time.monotonic()
                c.send(f"unwatch {wid}\n")
                c.reply()
                to_ok.append((t1 - t0) * 1e3)
                to_hit.append((t2 - t0) * 1e3)
            c.close()
        finally:
            proc.kill()
            proc.wait()
    path = greeting.split("flush=")[1].split()[0]
    return {
        "flush_path": path, "samples": samples,
        "ok_p50_ms": percentile(to_ok, 50), "ok_p99_ms": percentile(to_ok, 99),
        "hit_p50_ms": percentile(to_hit, 50),
        "hit_p99_ms": percentile(to_hit, 99),
    }


def report(results, lat, out, env):
    keys = ["workload", "config", "runs", "median_s", "min_s", "max_s",
            "ratio", "ns_per_hit", "hits", "logged", "dropped", "maxrss_mb"]
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, keys)
        w.writeheader()
        for r in results:
            w.writerow({k: r.get(k, "") for k in keys})
    machine = {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(), "kernel": platform.release(),
        "qemu": subprocess.run(["qemu-system-riscv64", "--version"],
                               capture_output=True, text=True
                               ).stdout.splitlines()[0],
    }
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"machine": machine, "results": results, "latency": lat},
                  f, indent=1)
    lines = ["| workload | configuration | median s | min s | max s | "
             "ratio | ns/hit | max RSS MB |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        nsh = f"{r['ns_per_hit']:.1f}" if "ns_per_hit" in r else ""
        lines.append(f"| {r['workload']} | {r['config']} | "
                     f"{r['median_s']:.3f} | {r['min_s']:.3f} | "
                     f"{r['max_s']:.3f} | {r['ratio']:.3f} | {nsh} | "
                     f"{r['maxrss_mb']:.0f} |")
    lines += ["", f"Request-to-live on a busy riscv64 guest "
              f"({lat['flush_path']} flush path, {lat['samples']} samples): "
              f"OK p50 {lat['ok_p50_ms']:.2f} ms, p99 {lat['ok_p99_ms']:.2f} "
              f"ms; first hit p50 {lat['hit_p50_ms']:.2f} ms, p99 "
              f"{lat['hit_p99_ms']:.2f} ms."]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    print(text)
