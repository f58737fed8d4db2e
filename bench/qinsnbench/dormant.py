"""What a dormant qinsn costs on the patched QEMU (bench/run --dormant).

On tight-riscv64, the loop where a per-block cost weighs most, with the
patched QEMU: no plugin (the baseline), the empty plugin (loaded,
registers nothing: what loading any plugin costs QEMU) and qinsn with no
watch (dormant: it registers no translation callback).  Warm-up rounds
come first and are dropped; then every round runs the three in an order
that rotates, and each configuration's ratio is taken against the
baseline of the same round.  A limit is met only when the largest ratio
of all rounds stays within it: the spread counts against the claim.
"""

import statistics

from .common import PATCHED, say
from .configs import Config
from .runner import run_once
from .workloads import all_workloads

LIMIT = 0.01            # qinsn's claim: within 1 % of no plugin
TIMEOUT = 900


def configs():
    return [
        Config("baseline-patched", PATCHED, base="baseline-patched",
               what="patched QEMU, no plugin"),
        Config("empty-patched", PATCHED, "empty", base="baseline-patched",
               what="patched QEMU, the empty plugin"),
        Config("0-watches-patched", PATCHED, "qinsn",
               base="baseline-patched",
               what="patched QEMU, qinsn loaded, nothing watched (dormant)"),
    ]


def _round(env, wl, cfgs, tools, r):
    times = {}
    for i in range(len(cfgs)):
        cfg = cfgs[(i + r) % len(cfgs)]
        secs, info = run_once(env, wl, cfg, tools, TIMEOUT)
        if info.get("error"):
            raise RuntimeError(f"{cfg.name}: {info['error']}")
        times[cfg.name] = secs
    return times


def measure(env, tools, rounds, warmup):
    """Seconds and ratios per configuration; raises if a run fails."""
    if not env.patched:
        raise SystemExit("bench --dormant needs QINSN_PATCHED_QEMU")
    wl = all_workloads(env, False, only=["tight-riscv64"])[0]
    cfgs = configs()
    for r in range(warmup):
        say(f"dormant: warm-up round {r + 1}/{warmup}")
        _round(env, wl, cfgs, tools, r)
    samples = []
    for r in range(rounds):
        say(f"dormant: round {r + 1}/{rounds}")
        samples.append(_round(env, wl, cfgs, tools, r))
    out = {"rounds": rounds, "warmup": warmup, "limit": LIMIT, "rows": []}
    for cfg in cfgs:
        secs = [s[cfg.name] for s in samples]
        ratios = [s[cfg.name] / s["baseline-patched"] for s in samples]
        out["rows"].append({
            "config": cfg.name, "what": cfg.what,
            "median_s": statistics.median(secs),
            "ratio_median": statistics.median(ratios),
            "ratio_min": min(ratios), "ratio_max": max(ratios),
            "met": max(ratios) <= 1 + LIMIT,
        })
    return out


def describe(res):
    lines = [f"dormant overhead on tight-riscv64, patched QEMU: "
             f"{res['rounds']} rounds after {res['warmup']} warm-up rounds; "
             f"ratio to no plugin in the same round (median, min..max); "
             f"limit {100 * res['limit']:.0f} %, met only if the max is "
             f"within it"]
    for row in res["rows"]:
        lines.append(
            f"  {row['config']:<20} {row['median_s']:7.3f} s  "
            f"{row['ratio_median']:.3f} ({row['ratio_min']:.3f}.."
            f"{row['ratio_max']:.3f})"
            + ("" if row["config"] == "baseline-patched" else
               "  met" if row["met"] else "  not met"))
    return "\n".join(lines)
