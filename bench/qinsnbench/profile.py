"""Where the time goes: `perf record -g` of up to three configurations,
summarised by thread and object and as the top symbols by self time.

- the hot watch logging 4 registers to a CTF trace, lossless, on
  hot-riscv64: the cost of a logged hit (callback, register reads,
  record) on the vCPU thread, and the writer's on its own thread;
- the hot watch logging 4 registers as JSON on compute-riscv64;
- no watch at all on tight-riscv64 (the worst case for per-block costs):
  what qinsn costs while it only waits for requests.

Watches are given as plugin arguments rather than through the socket so
that nothing but QEMU runs under perf.  QEMU names its threads
(debug-threads=on), so the vCPU thread ("CPU 0/TCG") and qinsn's log
writer ("qinsn-writer") are told apart; "[JIT]" is translated guest code.
"""

import os
import re
import shutil
import subprocess

from .common import say


def _report(data, keys, limit):
    """perf report lines sorted by @keys, down to @limit percent."""
    rep = subprocess.run(
        ["perf", "report", "-i", data, "--stdio", "--no-children",
         "-g", "none", "--percent-limit", str(limit), "--sort", keys],
        capture_output=True, text=True)
    lines = []
    for ln in rep.stdout.splitlines():
        if ln.strip() and not ln.startswith("#"):
            # drop the empty columns perf leaves for the call graph
            lines.append(re.sub(r"(\s+-)+\s*$", "", ln.rstrip()))
    return lines


# Where a hit's time goes, by thread and symbol: the first match wins.
VCPU = "CPU 0/TCG"
WRITER = "qinsn-writer"
_READS = re.compile(r"read_register|gdb_|object_.*cast|g_byte_array|"
                    r"g_array_")
_SHARES = [
    ("guest code (translated)", lambda c, d, s: c == VCPU and "[JIT]" in d),
    ("qinsn: callback and record (libqinsn.so, vCPU thread)",
     lambda c, d, s: c == VCPU and "libqinsn" in d),
    ("register reads (QEMU's plugin API, gdbstub accessors, GByteArray)",
     lambda c, d, s: c == VCPU and _READS.search(s)),
    ("clock reads on the vCPU thread (vdso: record timestamps)",
     lambda c, d, s: c == VCPU and "vdso" in d),
    ("vCPU thread in the kernel (waits for the writer, faults)",
     lambda c, d, s: c == VCPU and "kernel" in d),
    ("rest of QEMU on the vCPU thread (block lookup, helpers)",
     lambda c, d, s: c == VCPU),
    ("writer thread in the kernel (write(), page cache)",
     lambda c, d, s: c == WRITER and "kernel" in d),
    ("writer thread in user space (records to the log's format)",
     lambda c, d, s: c == WRITER),
    ("other threads (start-up, main loop)", lambda c, d, s: True),
]


def _shares(data):
    """Self time of the profile in the categories of _SHARES, in
    percent of all samples."""
    rep = subprocess.run(
        ["perf", "report", "-i", data, "--stdio", "--no-children",
         "-g", "none", "--percent-limit", "0", "-t", ";",
         "--sort", "comm,dso,symbol"], capture_output=True, text=True)
    sums = dict.fromkeys((name for name, _ in _SHARES), 0.0)
    for ln in rep.stdout.splitlines():
        parts = ln.split(";")
        if ln.startswith("#") or len(parts) < 4:
            continue
        try:
            pct = float(parts[0].strip().rstrip("%"))
        except ValueError:
            continue
        comm, dso, sym = (x.strip() for x in parts[1:4])
        for name, match in _SHARES:
            if match(comm, dso, sym):
                sums[name] += pct
                break
    return [f"{v:7.2f}%  {name}" for name, v in sums.items() if v >= 0.05]


def _one(env, wl, out, title, plugin_args, top, fmt="json"):
    data = os.path.join(out, "perf.data")
    log = os.path.join(out, "perf-hits." + fmt)
    cmd = ["perf", "record", "-q", "-g", "-o", data, "--",
           env.qemu(wl.arch), "-name", "bench,debug-threads=on",
           "-display", "none", "-serial", "null"] + wl.args + [
           "-plugin", f"{env.plugin},{plugin_args},log={log},format={fmt},"
           "sock=none"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    try:
        if r.returncode not in (0, wl.ok_status):
            say(f"perf record failed: {r.stderr.strip()[-300:]}")
            return None
        by_object = _report(data, "comm,dso", 2.0)
        by_symbol = _report(data, "comm,dso,symbol", 0.7)
        shares = _shares(data)
    finally:
        if os.path.isdir(log):
            shutil.rmtree(log)
        for p in (data, log):
            if os.path.exists(p):
                os.remove(p)
    # translated code has no symbols: it shows as one object above
    by_symbol = [ln for ln in by_symbol if "[JIT]" not in ln]
    symbols = "\n".join(by_symbol[:top]) or "    (none above 0.7 %)"
    return (f"{title} (perf record -g, self time)\n\n"
            "where the time goes:\n" + "\n".join(shares) +
            "\n\nby thread and object:\n" + "\n".join(by_object) +
            "\n\ntop symbols outside translated code:\n" + symbols + "\n")


def profile(env, workloads, out, top=20):
    """Record, write perf.txt and return the summary text (or None)."""
    if not shutil.which("perf"):
        say("perf missing: no profile")
        return None
    by_name = {w.name: w for w in workloads}
    parts = []
    ctf = by_name.get("hot-riscv64")
    if ctf:
        regs = ":".join(ctf.regs)
        parts.append(_one(env, ctf, out,
                          f"{ctf.name}, one watch on the hot PC, "
                          f"{len(ctf.regs)} registers, format=ctf, lossless",
                          f"watch={ctf.hot:#x},regs={regs}", top, "ctf"))
    hot = by_name.get("compute-riscv64")
    if hot:
        regs = ":".join(hot.regs)
        parts.append(_one(env, hot, out,
                          f"{hot.name}, one watch on the hot PC, "
                          f"{len(hot.regs)} registers, format=json, "
                          "lossless",
                          f"watch={hot.hot:#x},regs={regs}", top))
    tight = by_name.get("tight-riscv64")
    if tight:
        parts.append(_one(env, tight, out,
                          f"{tight.name}, qinsn loaded, no watch",
                          "regs=pc", top))
    parts = [p for p in parts if p]
    if not parts:
        return None
    text = "\n\n".join(parts)
    with open(os.path.join(out, "perf.txt"), "w") as f:
        f.write(text)
    return text
