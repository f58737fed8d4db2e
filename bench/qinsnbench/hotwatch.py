"""The hot watch of bench/hot-ab and bench/writer-cpu: the compute guest
with one watch on bench_hot logging a0-a3, the plugin builds taken in
turn round after round, the first rotating, and the log removed after
each run."""

import os
import shutil

from .common import symbols
from .workloads import build_compute

REGS = "a0:a1:a2:a3"


def hot_guest(env, items):
    """(QEMU command line without plugin, address of bench_hot)."""
    elf = build_compute(env, "riscv64", items)
    qemu = ["qemu-system-riscv64", "-M", "virt", "-bios", "none",
            "-display", "none", "-serial", "null", "-kernel", elf]
    return qemu, symbols(elf)["bench_hot"]


def qinsn_plugin(so, hot, log, fmt):
    """The -plugin arguments of a lossless qinsn watch on the hot PC."""
    return ["-plugin", f"{os.path.abspath(so)},watch={hot:#x},regs={REGS},"
            f"log={log},format={fmt},sock=none"]


def rounds(cfgs, n):
    """(round number from 1, configuration) for @n rounds of @cfgs, each
    round starting one configuration later."""
    for r in range(n):
        k = r % len(cfgs)
        for cfg in cfgs[k:] + cfgs[:k]:
            yield r + 1, cfg


def remove_log(log):
    """A text log is a file, a CTF trace a directory."""
    shutil.rmtree(log, ignore_errors=True)
    if os.path.exists(log):
        os.remove(log)


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]
