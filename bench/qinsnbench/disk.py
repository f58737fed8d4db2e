"""The bound that the machine's disk puts on any lossless writer.

A writer that loses nothing cannot outrun the writes it makes: 1 GiB is
written in 1 MiB writes to a file in the directory where the runs keep
their logs (the same file system), timed to the last write() returning
(what a writer that leaves flushing to the kernel sees) and to fsync()
returning (what the disk itself sustains), then deleted.  Divided by a
configuration's log bytes per record, it gives that row's bound in
records a second.
"""

import os
import tempfile
import time

TOTAL = 1 << 30
CHUNK = 1 << 20


def write_bandwidth(total=TOTAL):
    """{"bytes", "write_s", "fsync_s", "dir"}: @total bytes written in
    1 MiB writes, the seconds to the last write and to the fsync."""
    block = os.urandom(CHUNK)
    with tempfile.TemporaryDirectory(prefix="qinsn-bench-disk-") as tmp:
        path = os.path.join(tmp, "bandwidth")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            t0 = time.monotonic()
            for _ in range(total // CHUNK):
                view = memoryview(block)
                while view:
                    view = view[os.write(fd, view):]
            t1 = time.monotonic()
            os.fsync(fd)
            t2 = time.monotonic()
        finally:
            os.close(fd)
            os.remove(path)
    return {"bytes": total, "write_s": t1 - t0, "fsync_s": t2 - t0,
            "dir": os.path.dirname(tmp), "dirty_limit": _dirty_limit()}


def _dirty_limit():
    """Bytes of dirty page cache past which the kernel makes writers
    wait for the disk (about half way between vm.dirty_background_ratio
    and vm.dirty_ratio of available memory), or None."""
    try:
        with open("/proc/meminfo") as f:
            mem = {ln.split(":")[0]: int(ln.split()[1]) * 1024 for ln in f}
        ratios = []
        for name in ("dirty_background_ratio", "dirty_ratio"):
            with open(f"/proc/sys/vm/{name}") as f:
                ratios.append(int(f.read()))
        return int(mem["MemAvailable"] * (ratios[0] + ratios[1]) / 200)
    except (OSError, ValueError, KeyError):
        return None


def describe(bw):
    """One line for the report."""
    gib = bw["bytes"] / (1 << 30)
    text = (f"{gib:.0f} GiB in 1 MiB writes to {bw['dir']}: "
            f"{bw['bytes'] / bw['write_s'] / 1e6:,.0f} MB/s to the last "
            f"write(), {bw['bytes'] / bw['fsync_s'] / 1e6:,.0f} MB/s to "
            "fsync()")
    if bw.get("dirty_limit"):
        text += (f"; past about {bw['dirty_limit'] / 1e9:.1f} GB of dirty "
                 "page cache the kernel makes writers wait for the disk, "
                 "so a longer log is written at the fsync() rate")
    return text
