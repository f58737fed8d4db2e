"""Plots of one invocation, drawn with gnuplot (PNG through pngcairo when
gnuplot has it, SVG otherwise).  Each plot's data goes into a .dat file
next to it, so it can be redrawn or read without the harness.
"""

import os
import shutil
import subprocess

from .common import say

QINSN_CONFIGS = ["0-watches", "1-cold", "1-hot-4-regs", "10-watches",
                 "1000-watches", "100000-watches", "0-watches-patched",
                 "1-hot-4-regs-patched"]
# (label, workload, config, kind) of the cost-per-hit plot and table; kind
# says which qinsn row a peer is compared with: insn or mem watches
HIT_BARS = [
    ("qinsn CTF", "hot-riscv64", "ctf-hot-4-regs", "insn"),
    ("qinsn text", "hot-riscv64", "text-hot-4-regs", "insn"),
    ("floor (reads only)", "hot-riscv64", "floor-hot-4-regs", "insn"),
    ("naive plugin", "hot-riscv64", "naive-hot-4-regs", "insn"),
    ("execlog afilter", "hot-riscv64", "execlog-hot", "insn"),
    ("qinsn JSON", "compute-riscv64", "1-hot-4-regs", "insn"),
    ("qinsn JSON patched", "compute-riscv64", "1-hot-4-regs-patched",
     "insn"),
    ("qinsn Linux", "linux-x86_64", "1-hot-4-regs", "insn"),
    ("gdb dprintf", "peers-riscv64", "gdb-dprintf", "insn"),
    ("qinsn watch-mem", "compute-riscv64", "mem-watch", "mem"),
    ("gdb watch", "peers-riscv64", "gdb-watch", "mem"),
]
HIT_REFERENCE = {"insn": ("hot-riscv64", "ctf-hot-4-regs"),
                 "mem": ("compute-riscv64", "mem-watch")}


def _terminal():
    probe = subprocess.run(["gnuplot", "-e", "set terminal"],
                           capture_output=True, text=True)
    if "pngcairo" in probe.stdout + probe.stderr:
        return "pngcairo noenhanced size 900,520 font 'sans,10'", "png"
    return "svg noenhanced size 900,520 font 'sans,10'", "svg"


def _get(rows, workload, config, key):
    for r in rows:
        if r["workload"] == workload and r["config"] == config:
            return r.get(key)
    return None


def _slowdown(out, rows):
    # the peers workload is too short for its ratios to mean much
    workloads = list(dict.fromkeys(r["workload"] for r in rows
                                   if not r["workload"].startswith("peers")))
    configs = [c for c in QINSN_CONFIGS
               if any(_get(rows, w, c, "ratio") for w in workloads)]
    if not configs:
        return None
    with open(os.path.join(out, "slowdown.dat"), "w") as f:
        f.write("config " + " ".join(workloads) + "\n")
        for c in configs:
            vals = [_get(rows, w, c, "ratio") for w in workloads]
            f.write(c + " " + " ".join("?" if v is None else f"{v:.4f}"
                                       for v in vals) + "\n")
    return f"""
set title "qinsn: run time / baseline (median of runs)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set datafile missing "?"
set yrange [0:*]
set ylabel "ratio to baseline"
set xtics rotate by -30
set key top left
set grid ytics
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2
plot for [i=2:{len(workloads) + 1}] 'slowdown.dat' using i:xtic(1) \
    title columnheader(i)
"""


def _cost_per_hit(out, rows):
    # figures within the baseline's spread are noise: not drawn
    bars = [(label, _get(rows, w, c, "ns_per_logged"))
            for label, w, c, _ in HIT_BARS
            if not _get(rows, w, c, "ns_per_hit_noise")]
    bars = [(label, v) for label, v in bars if v and v > 0]
    if not bars:
        return None
    with open(os.path.join(out, "cost-per-hit.dat"), "w") as f:
        for label, v in bars:
            f.write(f'"{label}" {v:.1f} "{_duration(v)}"\n')
    return """
set title "cost per logged hit (ns, log scale)"
set style data histograms
set style fill solid 0.8 border -1
set logscale y
set yrange [1:*]
set ylabel "ns per logged hit"
set termoption enhanced
set format y "10^{%L}"
set xtics rotate by -30
set grid ytics
unset key
plot 'cost-per-hit.dat' using 2:xtic(1), \
     '' using 0:($2*1.5):3 with labels
"""


def _duration(ns):
    for unit, scale in (("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.0f} ns"


def _latency(out, lats):
    if not lats:
        return None
    plots = []
    for x in lats:
        name = f"latency-{x['qemu']}.dat"
        ok, hit = sorted(x["ok_ms"]), sorted(x["hit_ms"])
        with open(os.path.join(out, name), "w") as f:
            for i, (a, b) in enumerate(zip(ok, hit)):
                f.write(f"{(i + 1) / len(ok):.4f} {a:.4f} {b:.4f}\n")
        plots.append(f"'{name}' using 2:1 with steps lw 2 title "
                     f"'{x['qemu']}: request to OK'")
        plots.append(f"'{name}' using 3:1 with steps lw 2 dt 2 title "
                     f"'{x['qemu']}: request to first hit'")
    return f"""
set title "request to live on a busy guest (CDF)"
set logscale x
set xlabel "ms (log)"
set ylabel "fraction of requests"
set yrange [0:1.02]
set key bottom right
set grid
plot {", ".join(plots)}
"""


def _watches(out, rows):
    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    counts = [(1, "1-cold"), (10, "10-watches"), (1000, "1000-watches"),
              (100000, "100000-watches")]
    series = []
    for w in workloads:
        pts = [(n, _get(rows, w, c, "ratio"), _get(rows, w, c, "maxrss_mb"))
               for n, c in counts]
        pts = [p for p in pts if p[1]]
        if len(pts) < 2:
            continue
        name = f"watches-{w}.dat"
        with open(os.path.join(out, name), "w") as f:
            for n, r, m in pts:
                f.write(f"{n} {r:.4f} {m or 0:.1f}\n")
        series.append((w, name))
    if not series:
        return None
    ratio = ", ".join(f"'{n}' using 1:2 with linespoints lw 2 title '{w}'"
                      for w, n in series)
    rss = ", ".join(f"'{n}' using 1:3 with linespoints lw 2 title '{w}'"
                    for w, n in series)
    return f"""
set multiplot layout 1,2 title "cost of watches that are never hit"
set logscale x
set xlabel "watches (log)"
set grid
set key top left
set ylabel "run time / baseline"
plot {ratio}
set ylabel "QEMU max RSS (MB)"
plot {rss}
unset multiplot
"""


def draw(out, rows, lats):
    """Draw every plot there is data for; [(title, file name)]."""
    if not shutil.which("gnuplot"):
        say("gnuplot missing: no plots")
        return []
    term, ext = _terminal()
    made = []
    for title, name, script in [
            ("Slowdown per configuration", "slowdown", _slowdown(out, rows)),
            ("Cost per logged hit", "cost-per-hit",
             _cost_per_hit(out, rows)),
            ("Request to live", "latency", _latency(out, lats)),
            ("Watches never hit", "watches", _watches(out, rows))]:
        if not script:
            continue
        fname = f"{name}.{ext}"
        gp = os.path.join(out, f"{name}.gp")
        with open(gp, "w") as f:
            f.write(f"set terminal {term}\nset output '{fname}'\n{script}")
        r = subprocess.run(["gnuplot", f"{name}.gp"], cwd=out,
                           capture_output=True, text=True)
        if r.returncode != 0:
            say(f"gnuplot failed on {gp}: {r.stderr.strip()}")
            continue
        made.append((title, fname))
    return made
