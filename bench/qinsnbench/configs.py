"""The configurations each workload runs with.

Every configuration of a workload is compared with a baseline of the same
invocation and the same QEMU build: `baseline` (Debian's QEMU, no plugin)
or `baseline-patched` (the patched QEMU from QINSN_PATCHED_QEMU, no
plugin).  Configurations on the patched QEMU are left out, and said to be,
when that variable is unset.

qinsn logs losslessly by default (overflow=wait): every configuration that
watches the hot PC is checked after its run, from the log's summary, to
have logged every hit (`check="lossless"`) or, in drop mode, to have
counted every hit as logged or dropped (`check="drop"`).  A run that fails
its check is a failed run, not a figure.
"""

from dataclasses import dataclass, field

from .common import PATCHED, STOCK

GDB_HITS = {"quick": 300, "full": 1000}
FLUSH_EVERY = 1.0          # seconds between flush requests


@dataclass
class Config:
    name: str
    flavour: str = STOCK            # which QEMU build
    plugin: str = None      # None | qinsn | execlog | naive | floor | empty
    watches: list = field(default_factory=list)     # qinsn requests
    args: list = field(default_factory=list)        # other plugins' args
    flush_every: float = None       # send `flush` this often while running
    gdb: str = None                 # None | dprintf | watch
    gdb_hits: int = 0
    base: str = "baseline"
    ref: str = None     # config whose hit count is the full run's (gdb)
    what: str = ""      # one line for the report
    qargs: list = field(default_factory=lambda: ["format=json"])  # qinsn's
    # None | lossless | drop (qinsn: the log's summary checked) | hits (a
    # peer's count of logged hits checked against the guest's)
    check: str = None


def _qinsn(wl, suffix="", flavour=STOCK, hot=True, cold=True):
    base = "baseline" if flavour == STOCK else "baseline-patched"
    regs = ",".join(wl.regs)
    out = [Config("0-watches" + suffix, flavour, "qinsn", base=base,
                  what="qinsn loaded, nothing watched")]
    if cold:
        out.append(Config("1-cold" + suffix, flavour, "qinsn",
                          [f"watch {wl.cold:#x}"], base=base,
                          what="one watch on code never executed"))
    if hot == "drop":
        # a billion hits cannot all be logged (hundreds of GB): the cost of
        # a hit whose record mostly finds the ring full
        out.append(Config("1-hot-4-regs-drop" + suffix, flavour, "qinsn",
                          [f"watch {wl.hot:#x} regs={regs}"], base=base,
                          qargs=["format=json", "overflow=drop"],
                          check="drop", what="one watch on the hot PC, "
                          "4 registers, drop mode, not lossless"))
    elif hot:
        out.append(Config("1-hot-4-regs" + suffix, flavour, "qinsn",
                          [f"watch {wl.hot:#x} regs={regs}"], base=base,
                          check="lossless", what="one watch on the hot PC, "
                          "4 registers, JSON log, lossless"))
    return out


def hot_rows(wl):
    """The hot watch logged by every tool on stock QEMU, each logging
    every hit (but the drop-mode row, named so), on the same workload."""
    watch = [f"watch {wl.hot:#x} regs={','.join(wl.regs)}"]
    return [
        Config("ctf-hot-4-regs", plugin="qinsn", watches=watch,
               qargs=["format=ctf"], check="lossless",
               what="qinsn, format=ctf, lossless"),
        Config("text-hot-4-regs", plugin="qinsn", watches=watch,
               qargs=["format=text"], check="lossless",
               what="qinsn, format=text, lossless"),
        Config("text-drop-hot-4-regs", plugin="qinsn", watches=watch,
               qargs=["format=text", "overflow=drop"], check="drop",
               what="qinsn, format=text, overflow=drop: drop mode, not "
               "lossless"),
        Config("execlog-hot", plugin="execlog",
               args=[f"afilter={wl.hot:#x}"], check="hits",
               what="QEMU's execlog, afilter= the hot PC"),
        Config("naive-hot-4-regs", plugin="naive",
               args=[f"addr={wl.hot:#x}", "regs=" + ":".join(wl.regs)],
               check="hits",
               what="callback on every instruction, hot PC, 4 regs"),
        _floor(wl),
    ]


def _many(wl, n):
    lines = [f"watch {wl.many_base + 4 * i:#x}" for i in range(n)]
    return Config(f"{n}-watches", plugin="qinsn", watches=lines,
                  what=f"{n} watches on code never executed")


def _mem(wl):
    return Config("mem-watch", plugin="qinsn",
                  watches=[f"watch-mem {wl.mem:#x} 8 w"],
                  what="qinsn watch-mem on 8 bytes stored every 256 items")


def _floor(wl):
    return Config("floor-hot-4-regs", plugin="floor",
                  args=[f"addr={wl.hot:#x}", "regs=" + ":".join(wl.regs)],
                  check="hits",
                  what="floor: reads 4 registers at the hot PC, logs "
                  "nothing")


def configs_for(env, wl, quick):
    """The configurations of workload @wl, baselines first."""
    mode = "quick" if quick else "full"
    c = [Config("baseline", what="Debian's QEMU, no plugin")]
    if env.patched:
        c.append(Config("baseline-patched", PATCHED, base="baseline-patched",
                        what="patched QEMU, no plugin"))
    if wl.kind == "hot":
        return c[:1] + hot_rows(wl)     # all on stock QEMU
    if wl.kind == "peers":
        c += _qinsn(wl)
        c += [
            Config("execlog-hot", plugin="execlog",
                   args=[f"afilter={wl.hot:#x}"], check="hits",
                   what="QEMU's execlog, afilter= the hot PC"),
            Config("naive-cold", plugin="naive",
                   args=[f"addr={wl.cold:#x}", "regs=" + ":".join(wl.regs)],
                   what="callback on every instruction, 1 cold watch"),
            Config("naive-hot-4-regs", plugin="naive",
                   args=[f"addr={wl.hot:#x}", "regs=" + ":".join(wl.regs)],
                   check="hits",
                   what="callback on every instruction, hot PC, 4 regs"),
            _floor(wl),
            _mem(wl),
            Config("gdb-dprintf", gdb="dprintf", gdb_hits=GDB_HITS[mode],
                   ref="1-hot-4-regs",
                   what="gdb dprintf at the hot PC, 4 registers"),
            Config("gdb-watch", gdb="watch", gdb_hits=GDB_HITS[mode] // 3,
                   ref="mem-watch",
                   what="gdb write watchpoint on the same 8 bytes"),
        ]
        if env.patched:
            c += _qinsn(wl, "-patched", PATCHED, cold=False)
        return c
    # Left out for time: the tight loops' hot watch (a billion hits, in
    # drop mode) with --quick, and always on the patched QEMU; with --quick
    # on Linux, the cold watch, 10 and 1,000 watches, the naive plugin and
    # the patched hot watch and flushes.
    linux = wl.kind == "linux"
    tight = wl.name.startswith("tight")
    hot = False if quick and tight else ("drop" if tight else True)
    trim = quick and linux
    c += _qinsn(wl, hot=hot, cold=not trim)
    counts = (100000,) if trim else (10, 1000, 100000)
    c += [_many(wl, n) for n in counts]
    if wl.mem is not None and wl.name == "compute-riscv64":
        c.append(_mem(wl))
    if linux:
        c += [Config("execlog-hot", plugin="execlog",
                     args=[f"afilter={wl.hot:#x}"],
                     what="QEMU's execlog, afilter= the hot PC"),
              Config("flush-1s", plugin="qinsn", flush_every=FLUSH_EVERY,
                     what="0 watches, a flush request every second")]
        if not quick:
            c.append(Config("naive-cold", plugin="naive",
                            args=[f"addr={wl.cold:#x}"],
                            what="callback on every instruction, 1 cold "
                            "watch"))
    if env.patched:
        c += _qinsn(wl, "-patched", PATCHED, hot=not (tight or trim),
                    cold=False)
        if linux and not quick:
            c.append(Config("flush-1s-patched", PATCHED, "qinsn",
                            flush_every=FLUSH_EVERY, base="baseline-patched",
                            what="patched: a flush request every second"))
    return c
