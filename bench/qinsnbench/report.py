"""From samples to results: per-configuration statistics, the targets,
CSV/JSON files, a Markdown report and gnuplot plots.

Ratios compare medians with the median of the configuration's own
baseline (same invocation, same QEMU build).  Cost per hit is
(t - t_base) / hits and cost per logged hit (t - t_base) / logged hits;
for gdb, whose runs stop after a fixed number of hits, the guest's own
share of those hits (t_base / hits of a full run) is subtracted instead.
Writer throughput is written / writer_busy_ns from the last `stats` reply
of the run, or logged records / t ("end to end") when the plugin has no
such counters.
"""

import csv
import json
import os
import platform
import shutil
import statistics
import subprocess

from . import disk, plots

HOT = "hot-riscv64"
FLOOR = "floor-hot-4-regs"
COLUMNS = ["workload", "config", "qemu", "runs", "failed", "median_s",
           "min_s", "max_s", "ratio", "ns_per_hit", "ns_per_hit_noise",
           "ns_per_logged", "hits", "logged", "dropped", "records_per_s",
           "writer_records_per_s", "writer_write_share", "bytes_per_record",
           "flushes", "ms_per_flush", "flush_p50_ms", "flush_p99_ms",
           "maxrss_mb", "what"]


def _median(xs):
    return statistics.median(xs) if xs else None


def summarize(wl, configs, samples, extra):
    """Rows of one workload; samples[name] are run times, extra[name] are
    lists of per-run info dicts."""
    med = {n: _median(s) for n, s in samples.items()}
    hits = {n: _median([i["hits"] for i in extra[n] if "hits" in i])
            for n in samples}
    rows = []
    for c in configs:
        s = samples[c.name]
        infos = extra[c.name]
        row = {"workload": wl.name, "config": c.name, "qemu": c.flavour,
               "runs": len(s), "what": c.what,
               "failed": sum(1 for i in infos if "error" in i)}
        rows.append(row)
        if not s:
            continue
        m = med[c.name]
        base = med.get(c.base)
        row.update(median_s=m, min_s=min(s), max_s=max(s))
        rss = [i["maxrss_kb"] for i in infos if "maxrss_kb" in i]
        if rss:
            row["maxrss_mb"] = _median(rss) / 1024
        h = hits[c.name]
        if h:
            row["hits"] = h
            row["logged"] = _median([i["logged"] for i in infos
                                     if "logged" in i])
            row["dropped"] = _median([i["dropped"] for i in infos
                                      if "dropped" in i])
        _writer(row, infos, m)
        if c.gdb:
            full = hits.get(c.ref)
            if base and full and h:
                row["ns_per_hit"] = (m - h * base / full) * 1e9 / h
                row["ns_per_logged"] = row["ns_per_hit"]
        elif base:
            row["ratio"] = m / base
            bs = samples[c.base]
            row["base_spread_pct"] = (max(bs) - min(bs)) / base * 100
            if h and c.name != c.base:
                row["ns_per_hit"] = (m - base) * 1e9 / h
                # within the baseline's own spread: not a measurement
                spread = max(samples[c.base]) - min(samples[c.base])
                row["ns_per_hit_noise"] = abs(m - base) <= spread
            if row.get("logged") and c.name != c.base:
                row["ns_per_logged"] = (m - base) * 1e9 / row["logged"]
        if c.flush_every:
            fl = [i for i in infos if "flushes" in i]
            n = _median([i["flushes"] for i in fl])
            lat = [x for i in fl for x in i["flush_ms"]]
            zero = "0-watches" + ("-patched" if c.flavour == "patched"
                                  else "")
            row["flushes"] = n
            if lat:
                row["flush_p50_ms"] = statistics.median(lat)
                row["flush_p99_ms"] = sorted(lat)[int(0.99 * (len(lat) - 1))]
            if n and med.get(zero):
                row["ms_per_flush"] = (m - med[zero]) * 1e3 / n
    return rows


def _writer(row, infos, m):
    """Records a second and log bytes a record of a row that logged."""
    logged = row.get("logged")
    if not logged:
        return
    row["records_per_s"] = logged / m
    size = _median([i["log_bytes"] for i in infos if i.get("log_bytes")])
    if size:
        row["bytes_per_record"] = size / logged
    # the writer's own counters, from the run's last `stats`
    own = [i["writer"] for i in infos
           if i.get("writer", {}).get("writer_busy_ns")
           and i["writer"].get("written")]
    if own:
        row["writer_records_per_s"] = _median(
            [s["written"] / (s["writer_busy_ns"] / 1e9) for s in own])
        shares = [s["writer_write_ns"] / s["writer_busy_ns"] for s in own
                  if s.get("writer_write_ns") is not None]
        if shares:
            row["writer_write_share"] = _median(shares)


def _find(rows, workload, config):
    for r in rows:
        if r["workload"] == workload and r["config"] == config:
            return r
    return None


def targets(rows, lats, idles=()):
    """The issue's targets against this invocation's numbers."""
    out = []

    def add(name, value, limit, unit, better="below", noise=False):
        note = "within the run-to-run spread of its baseline" if noise else ""
        if value is None:
            out.append({"target": name, "limit": limit, "unit": unit,
                        "value": None, "met": None, "better": better,
                        "note": "not measured in this invocation"})
            return
        met = value <= limit if better == "below" else value >= limit
        if met:
            miss = ""
        elif better == "below":
            miss = (f"missed by {value - limit:.3g} {unit}, "
                    f"{value / limit:.2g}x the limit")
        else:
            miss = f"missed: {value:.3g} vs {limit:.3g}"
        out.append({"target": name, "limit": limit, "unit": unit,
                    "value": value, "met": met, "better": better,
                    "note": "; ".join(x for x in (miss, note) if x)})

    def overhead(cfg, limit, name):
        r = _find(rows, "linux-x86_64", cfg)
        if not r or "ratio" not in r:
            return add(name, None, limit, "%")
        pct = (r["ratio"] - 1) * 100
        add(name, pct, limit, "%", noise=abs(pct) <= r["base_spread_pct"])

    def writer(cfg, limit, name):
        r = _find(rows, HOT, cfg) or {}
        own = r.get("writer_records_per_s")
        v = own if own else r.get("records_per_s")
        label = name + (" (writer busy time)" if own else " (end to end)")
        add(label, None if v is None else v / 1e6, limit, "M records/s",
            better="above")

    overhead("0-watches-patched", 1, "0-watch overhead, Linux, patched QEMU")
    overhead("0-watches", 10, "0-watch overhead, Linux, stock fallback")
    ctf = _find(rows, HOT, "ctf-hot-4-regs") or {}
    ctf_ns = ctf.get("ns_per_logged")
    add(f"CTF: cost per logged hit, 4 registers ({HOT}, stock, lossless)",
        ctf_ns, 200, "ns", noise=ctf.get("ns_per_hit_noise", False))
    floor = (_find(rows, HOT, FLOOR) or {}).get("ns_per_logged")
    add("CTF: cost per logged hit / floor (reads only)",
        ctf_ns / floor if ctf_ns and floor and floor > 0 else None, 1.3,
        "x")
    writer("text-hot-4-regs", 3, "text writer, lossless")
    writer("ctf-hot-4-regs", 20, "CTF writer, lossless")
    gdb = _find(rows, "peers-riscv64", "gdb-dprintf")
    ratio = None
    if gdb and gdb.get("ns_per_hit") and ctf_ns and ctf_ns > 0:
        ratio = gdb["ns_per_hit"] / ctf_ns
    add("cheaper per logged hit than gdb dprintf (CTF)", ratio, 5000, "x",
        better="above")
    for lat in lats:
        limit = 2 if lat["qemu"] == "patched" else 20
        add(f"request-to-live p99, {lat['qemu']} ({lat['flush_path']})",
            lat["ok_p99_ms"], limit, "ms")
    for x in idles:
        limit = 2 if x["qemu"] == "patched" else 20
        add(f"request-to-live p99, idle Linux, {x['qemu']} "
            f"({x['flush_path']})", x["watch_p99_ms"], limit, "ms")
        add(f"first watch on idle Linux, worst of {x['boots']} boots, "
            f"{x['qemu']}", x["first_max_ms"], limit, "ms")
    return out


def machine_info():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    qemu = subprocess.run(["qemu-system-x86_64", "--version"],
                          capture_output=True, text=True)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem,
            "kernel": platform.release(),
            "os": platform.freedesktop_os_release().get("PRETTY_NAME", "")
            if hasattr(platform, "freedesktop_os_release") else "",
            "qemu": qemu.stdout.splitlines()[0] if qemu.stdout else "?",
            "load_at_start": os.getloadavg()[0]}


def _fmt(v):
    if v is None or v == "":
        return ""
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v.is_integer() and abs(v) >= 10:
            return f"{v:,.0f}"
        for limit, spec in ((1000, ",.0f"), (100, ".0f"), (10, ".1f")):
            if abs(v) >= limit:
                return format(v, spec)
        return f"{v:.3f}"
    return str(v)


def _ns(r):
    v = _fmt(r.get("ns_per_hit"))
    return f"({v})" if v and r.get("ns_per_hit_noise") else v


def results_table(rows):
    head = ["workload", "configuration", "median s", "min s", "max s",
            "ratio", "ns/hit", "ns/logged hit", "hits", "logged",
            "max RSS MB"]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    for r in rows:
        failed = f" (**{r['failed']} failed**)" if r.get("failed") else ""
        lines.append("| " + " | ".join([
            r["workload"], r["config"] + failed,
            _fmt(r.get("median_s")), _fmt(r.get("min_s")),
            _fmt(r.get("max_s")), _fmt(r.get("ratio")),
            _ns(r), _fmt(r.get("ns_per_logged")), _fmt(r.get("hits")),
            _fmt(r.get("logged")), _fmt(r.get("maxrss_mb"))]) + " |")
    lines += ["", "ns/hit in parentheses: the difference from the baseline "
              "is within the baseline's own spread (min to max), so the "
              "figure is noise."]
    return "\n".join(lines)


def hits_table(rows):
    """Cost per logged hit of every tool, next to qinsn's (stock QEMU)
    for the same kind of watch."""
    lines = ["| tool | workload / configuration | logged hits | ns per "
             "logged hit | / qinsn |", "|---|---|---|---|---|"]
    for label, w, c, kind in plots.HIT_BARS:
        r = _find(rows, w, c)
        if not r or r.get("ns_per_logged") is None:
            continue
        ref = (_find(rows, *plots.HIT_REFERENCE[kind]) or {}).get(
            "ns_per_logged")
        x = r["ns_per_logged"] / ref if ref and ref > 0 else None
        v = _fmt(r["ns_per_logged"])
        v = f"({v})" if r.get("ns_per_hit_noise") else v
        lines.append(f"| {label} | {w} / {c} | {_fmt(r.get('logged'))} | "
                     f"{v} | {_fmt(x)} |")
    if len(lines) == 2:
        return ""
    lines += ["", "/ qinsn: ns per logged hit divided by qinsn's (CTF, "
              "lossless, stock QEMU) for instruction watches, by qinsn's "
              "watch-mem for memory watches."]
    return "\n".join(lines)


def hot_table(rows, meta):
    """Every tool logging every hit of the same hot watch, side by side:
    cost per logged hit, against the floor, writer throughput and the
    disk's bound on it."""
    hot = [r for r in rows if r["workload"] == HOT and r.get("logged")]
    if not hot:
        return ""
    floor = (_find(rows, HOT, FLOOR) or {}).get("ns_per_logged")
    bw = meta.get("disk")
    lines = ["| configuration | what | median s | hits | logged | dropped | "
             "ns per logged hit | / floor | records/s | bytes/record | "
             "disk bound records/s (write / fsync) |", "|" + "---|" * 11]
    for r in hot:
        ns = r.get("ns_per_logged")
        x = ns / floor if ns and floor and floor > 0 else None
        own = r.get("writer_records_per_s")
        rps = _fmt(own or r.get("records_per_s"))
        if rps and not own:
            rps += " (end to end)"
        elif rps and r.get("writer_write_share") is not None:
            share = r["writer_write_share"]
            # write(2) time is a part of busy time: more is a counter bug
            odd = ", **more than its busy time**" if share > 1 else ""
            rps += f" (writer busy time, {share:.0%} in write{odd})"
        elif rps:
            rps += " (writer busy time)"
        bpr = r.get("bytes_per_record")
        bound = ""
        if bw and bpr:
            bound = (f"{_fmt(bw['bytes'] / bw['write_s'] / bpr)} / "
                     f"{_fmt(bw['bytes'] / bw['fsync_s'] / bpr)}")
        failed = f" (**{r['failed']} failed**)" if r.get("failed") else ""
        lines.append("| " + " | ".join([
            r["config"] + failed, r.get("what", ""), _fmt(r.get("median_s")),
            _fmt(r.get("hits")), _fmt(r.get("logged")),
            _fmt(r.get("dropped")), _fmt(ns), _fmt(x), rps, _fmt(bpr),
            bound]) + " |")
    lines += ["", "ns per logged hit: (median − baseline median) / logged "
              "hits; the floor plugin logs nothing, its figure is per hit. "
              "records/s: the writer's own rate (written / writer_busy_ns of "
              "the run's last `stats`), or, marked end to end, logged hits "
              "/ median run time (the guest's own time included) when the "
              "plugin lacks those counters."]
    if bw:
        lines += ["", "Disk bound: " + disk.describe(bw) + ". A lossless "
                  "writer cannot outrun it: its bound in records/s is each "
                  "rate / the row's bytes per record."]
    return "\n".join(lines)


def flush_table(rows):
    fl = [r for r in rows if r.get("flushes") is not None]
    if not fl:
        return ""
    lines = ["| workload | configuration | flushes per run | request to OK "
             "p50 ms | p99 ms | guest slowdown per flush ms |",
             "|---|---|---|---|---|---|"]
    for r in fl:
        lines.append(f"| {r['workload']} | {r['config']} | "
                     f"{_fmt(r['flushes'])} | {_fmt(r.get('flush_p50_ms'))}"
                     f" | {_fmt(r.get('flush_p99_ms'))} | "
                     f"{_fmt(r.get('ms_per_flush'))} |")
    return "\n".join(lines)


def latency_table(lats):
    lines = ["| QEMU | flush path | samples | to OK p50 ms | to OK p99 ms | "
             "to first hit p50 ms | to first hit p99 ms |",
             "|---|---|---|---|---|---|---|"]
    for x in lats:
        lines.append(f"| {x['qemu']} | {x['flush_path']} | {x['samples']} |"
                     f" {x['ok_p50_ms']:.3f} | {x['ok_p99_ms']:.3f} | "
                     f"{x['hit_p50_ms']:.3f} | {x['hit_p99_ms']:.3f} |")
    return "\n".join(lines)


def idle_table(idles):
    lines = ["| QEMU | flush path | boots | load average at each boot | "
             "first watch ms, each boot | its flush ms | later watch p50 ms "
             "| p99 ms | unwatch p50 ms | p99 ms |",
             "|" + "---|" * 10]
    for x in idles:
        flushes = [r.get("first_flush") for r in x["runs"]]
        fl = ", ".join(f"{f[1]:.1f}" if f else "?" for f in flushes)
        rt = " (SCHED_FIFO)" if x.get("realtime") else ""
        lines.append(
            f"| {x['qemu']}{rt} | {x['flush_path']} | {x['boots']} | "
            + ", ".join(f"{v:.1f}" for v in x["loads"]) + " | "
            + ", ".join(f"{v:.1f}" for v in x["first_ms"]) + f" | {fl} | "
            f"{x['watch_p50_ms']:.3f} | {x['watch_p99_ms']:.3f} | "
            f"{x['unwatch_p50_ms']:.3f} | {x['unwatch_p99_ms']:.3f} |")
    lines += ["", f"Later requests: {idles[0]['samples']} cycles per QEMU "
              f"in all, {idles[0]['gap_ms']} ms apart. Its flush: from the "
              "flush's start to its completion (the exclusive section and "
              "QEMU's tb_flush), from `stats`."]
    return "\n".join(lines)


def targets_table(tg):
    lines = ["| target | limit | measured | met |", "|---|---|---|---|"]
    for t in tg:
        v = "" if t["value"] is None else f"{_fmt(t['value'])} {t['unit']}"
        met = {True: "yes", False: "**no**", None: "n/a"}[t["met"]]
        note = f" ({t['note']})" if t["note"] else ""
        cmp_ = "≥" if t.get("better") == "above" else "≤"
        lines.append(f"| {t['target']} | {cmp_} {_fmt(t['limit'])} "
                     f"{t['unit']} | {v} | {met}{note} |")
    return "\n".join(lines)


def write(out, rows, lats, tg, meta, skipped, idles=()):
    """Everything into @out: results.csv, results.json, latency.csv,
    report.md and the plots; returns the Markdown text."""
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in COLUMNS})
    with open(os.path.join(out, "latency.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["qemu", "sample", "to_ok_ms", "to_hit_ms"])
        for x in lats:
            for i, (a, b) in enumerate(zip(x["ok_ms"], x["hit_ms"])):
                w.writerow([x["qemu"], i, f"{a:.4f}", f"{b:.4f}"])
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"meta": meta, "results": rows, "latency": lats,
                   "idle": list(idles), "targets": tg, "skipped": skipped},
                  f, indent=1)
    images = plots.draw(out, rows, lats)
    text = markdown(rows, lats, tg, meta, skipped, images, "", idles)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    return text, images


def markdown(rows, lats, tg, meta, skipped, images, image_dir, idles=()):
    m = meta["machine"]
    runs = (f"{meta['runs']} runs per configuration, interleaved; "
            if rows else "")
    parts = [
        f"Run {meta['started']} ({'--quick, ' if meta['quick'] else ''}"
        f"{runs}{meta['seconds']:.0f} s in all) on {m['cpu']}, {m['cores']} cores,"
        f" {m['memory']}, Linux {m['kernel']}, {m['qemu']}; load average "
        f"{m['load_at_start']:.1f} at start.",
    ]
    if skipped:
        parts.append("Skipped: " + "; ".join(skipped) + ".")
    parts += ["", "### Targets", "", targets_table(tg)]
    hot = hot_table(rows, meta)
    if hot:
        parts += ["", f"### Every hit logged ({HOT})", "", hot]
    ht = hits_table(rows)
    if ht:
        parts += ["", "### Cost per logged hit, side by side", "", ht]
    if rows:
        parts += ["", "### All configurations", "", results_table(rows)]
    ft = flush_table(rows)
    if ft:
        parts += ["", "### Flushes on a running Linux guest", "", ft]
    if lats:
        parts += ["", "### Request to live (busy riscv64 spin guest)", "",
                  latency_table(lats)]
    if idles:
        parts += ["", "### Request to live (idle booted Linux guest)", "",
                  idle_table(idles)]
    if meta.get("profile"):
        parts += ["", "### Profile", "", "```", meta["profile"].rstrip(),
                  "```"]
    if images:
        parts += ["", "### Plots", ""]
        for title, name in images:
            parts.append(f"![{title}]({os.path.join(image_dir, name)})")
    return "\n".join(parts) + "\n"


BEGIN = "<!-- bench/run --docs: results begin -->"
END = "<!-- bench/run --docs: results end -->"


def update_docs(top, out, rows, lats, tg, meta, skipped, images,
                idles=()):
    """Replace the results section of docs/performance.md and copy the
    plots it shows into docs/perf/."""
    doc = os.path.join(top, "docs", "performance.md")
    perf = os.path.join(top, "docs", "perf")
    os.makedirs(perf, exist_ok=True)
    for _, name in images:
        shutil.copy(os.path.join(out, name), os.path.join(perf, name))
    section = markdown(rows, lats, tg, meta, skipped, images, "perf", idles)
    with open(doc) as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"bench: {doc} lacks the results markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(doc, "w") as f:
        f.write(head + BEGIN + "\n" + section + END + tail)
