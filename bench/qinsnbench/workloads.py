"""The workloads: what QEMU runs, where its hot and cold PCs are, and how a
good run ends.

- tight-<arch>: the worst case for per-block costs, a loop of one
  block of three or four instructions (tests/guests, BENCH_TIGHT);
- compute-<arch>: bench_hot() called once per item, 40 M items;
- peers-riscv64: the same compute program built here with 1 M items, so
  that peers that log every hit synchronously (QEMU's execlog, the naive
  plugin) and gdb finish in seconds;
- hot-riscv64: the same compute program with 50 M items (--hot-items),
  the issue's worst case for a logging watch: one hit every few guest
  instructions, every hit logged by qinsn (CTF and text) and its peers;
- linux-x86_64: Debian's kernel booting busybox and running a fixed script
  (see linux.py).
"""

import os
from dataclasses import dataclass, field

from .common import TOP, digest, run_tool, symbols
from . import linux

GUESTS_SRC = os.path.join(TOP, "tests", "guests")

ARG_REGS = {
    "riscv64": ["a0", "a1", "a2", "a3"],
    "x86_64": ["rdi", "rsi", "rdx", "rcx"],
}
# Addresses in RAM that no freestanding guest executes: many-watch ranges.
UNUSED_RAM = {"riscv64": 0x87000000, "x86_64": 0x7000000}
PEER_ITEMS = 1000000
HOT_ITEMS = 50000000


@dataclass
class Workload:
    name: str
    arch: str
    args: list                  # QEMU arguments (machine, kernel, ...)
    hot: int                    # PC executed once per unit of work
    cold: int                   # PC never executed
    many_base: int              # start of never-executed addresses
    ok_status: int              # QEMU's exit status after a good run
    elf: str = None             # symbols for gdb
    mem: int = None             # 8 bytes stored to regularly
    console: list = field(default_factory=list)  # lines a good run prints
    kind: str = "guest"         # guest | peers | hot | linux
    regs: list = field(default_factory=list)
    hot_hits: int = None        # executions of the hot PC, when known

    def check(self, status, console):
        if status != self.ok_status:
            return f"exit status {status}, expected {self.ok_status}"
        for line in self.console:
            if line not in console:
                return f"console lacks {line!r}"
        return None


def _machine(arch, elf):
    if arch == "riscv64":
        return ["-M", "virt", "-bios", "none", "-kernel", elf]
    return ["-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-kernel", elf]


def _guest(name, arch, elf, hot_sym, kind="guest", hot_hits=None):
    syms = symbols(elf)
    return Workload(
        name=name, arch=arch, args=_machine(arch, elf), hot=syms[hot_sym],
        cold=syms["guest_trap"], many_base=UNUSED_RAM[arch],
        ok_status=0 if arch == "riscv64" else 33, elf=elf,
        mem=syms.get("table"), kind=kind, regs=ARG_REGS[arch],
        console=["bench result 0x"], hot_hits=hot_hits)


def build_compute(env, arch, items):
    """The compute guest with another item count, built into the cache
    with the flags tests/guests/meson.build uses."""
    cc = {
        "riscv64": ["riscv64-linux-gnu-gcc", "-march=rv64imac_zicsr",
                    "-mabi=lp64", "-mcmodel=medany"],
        "x86_64": ["gcc", "-m64", "-mgeneral-regs-only", "-mno-red-zone"],
    }[arch]
    src = [os.path.join(GUESTS_SRC, p) for p in (
        f"{arch}/start.S", f"{arch}/platform.c", "common/lib.c",
        f"{arch}/bench.S", "common/bench.c")]
    lds = os.path.join(GUESTS_SRC, arch, "link.ld")
    deps = src + [lds, os.path.join(GUESTS_SRC, "common", "guest.h")]
    out = os.path.join(env.cache_dir("guests"),
                       f"compute-{items}-{arch}-{digest(*deps)}.elf")
    if not os.path.exists(out):
        run_tool(cc + [
            "-O2", "-g", "-Wall", "-Wextra", "-ffreestanding", "-nostdlib",
            "-static", "-fno-pie", "-no-pie", "-fno-stack-protector",
            "-fno-asynchronous-unwind-tables",
            "-fno-tree-loop-distribute-patterns",
            "-I" + os.path.join(GUESTS_SRC, "common"),
            "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments",
            "-Wl,-z,max-page-size=0x1000", f"-DBENCH_ITERS={items}",
            "-T", lds, "-o", out + ".tmp"] + src)
        os.replace(out + ".tmp", out)
    return out


def linux_workload(env, rounds):
    lx = linux.Linux(env)
    return Workload(
        name="linux-x86_64", arch=linux.ARCH,
        args=lx.args(rounds=rounds), hot=lx.syms[linux.HOT],
        cold=lx.syms[linux.COLD], many_base=lx.syms[linux.MANY],
        ok_status=0, console=linux.expected_console(rounds), kind="linux",
        regs=ARG_REGS[linux.ARCH])


def all_workloads(env, quick, hot_items=HOT_ITEMS, only=None):
    """Every workload of an invocation, or those named in @only (the
    others are not even built); --quick leaves out the x86_64 ones but
    Linux and runs fewer rounds of the Linux script."""
    g = env.guest
    makers = [
        ("tight-riscv64", lambda: _guest(
            "tight-riscv64", "riscv64", g("guest-bench-tight-riscv64"),
            "bench_tight_body")),
        ("tight-x86_64", lambda: _guest(
            "tight-x86_64", "x86_64", g("guest-bench-tight-x86_64"),
            "bench_tight_body")),
        ("compute-riscv64", lambda: _guest(
            "compute-riscv64", "riscv64", g("guest-bench-compute-riscv64"),
            "bench_hot")),
        ("compute-x86_64", lambda: _guest(
            "compute-x86_64", "x86_64", g("guest-bench-compute-x86_64"),
            "bench_hot")),
        ("peers-riscv64", lambda: _guest(
            "peers-riscv64", "riscv64",
            build_compute(env, "riscv64", PEER_ITEMS), "bench_hot",
            kind="peers", hot_hits=PEER_ITEMS)),
        ("hot-riscv64", lambda: _guest(
            "hot-riscv64", "riscv64",
            build_compute(env, "riscv64", hot_items), "bench_hot",
            kind="hot", hot_hits=hot_items)),
        ("linux-x86_64", lambda: linux_workload(
            env, rounds=50 if quick else 200)),
    ]
    if quick:
        makers = [m for m in makers if not m[0].endswith("-x86_64")
                  or m[0].startswith("linux")]
    if only is not None:
        makers = [m for m in makers if m[0] in only]
    return [make() for _, make in makers]
