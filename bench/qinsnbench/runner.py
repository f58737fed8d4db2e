"""One timed run of one workload in one configuration.

QEMU starts paused (-S); qinsn's watches are set through its control
socket; the guest is resumed through QMP and timed from the resume to
QEMU's exit.  gdb runs are resumed and timed by gdb itself (see peers.py).
A run is checked: QEMU's exit status and, for Linux, the console; a qinsn
run whose configuration says so, that its log is complete (logs.py).
"""

import os
import select
import subprocess
import tempfile
import threading
import time

from .common import Qmp, free_port, qinsn_connect, qinsn_requests, wait_path
from . import logs, peers

STATS_EVERY = 0.2       # seconds between `stats` requests of a logging run


class Flusher(threading.Thread):
    """Sends `flush` every @every seconds until QEMU goes away, and keeps
    each request's time to its OK."""

    def __init__(self, sock, every):
        super().__init__(daemon=True)
        self.client = qinsn_connect(sock)
        self.every = every
        self.latencies = []

    def run(self):
        try:
            while True:
                t0 = time.monotonic()
                self.client.send("flush\n")
                r = self.client.reply()
                if not r.startswith("OK"):
                    break
                self.latencies.append(time.monotonic() - t0)
                time.sleep(self.every)
        except (EOFError, OSError):
            pass


class StatsPoller(threading.Thread):
    """Sends `stats` every @every seconds until QEMU goes away and keeps
    the writer's counters of the last reply that has them (the writer's
    rate is written / writer_busy_ns; QEMU's exit leaves no later time
    to ask)."""

    KEYS = ("written", "writer_busy_ns", "writer_write_ns")

    def __init__(self, sock, every):
        super().__init__(daemon=True)
        self.client = qinsn_connect(sock)
        self.every = every
        self.last = None

    def run(self):
        try:
            while True:
                self.client.send("stats\n")
                got = {}
                while True:
                    r = self.client.line()
                    if r.startswith("= "):
                        k, _, v = r[2:].partition("=")
                        if k in self.KEYS and v.isdigit():
                            got[k] = int(v)
                    elif not r.startswith("! "):
                        break
                if not r.startswith("OK"):
                    break
                if got.get("writer_busy_ns"):
                    self.last = got
                time.sleep(self.every)
        except (EOFError, OSError):
            pass


def _qemu_cmd(env, wl, cfg, tmp, tools):
    cmd = [env.qemu(wl.arch, cfg.flavour), "-display", "none",
           "-serial", f"file:{tmp}/console", "-S"] + wl.args
    if cfg.gdb:
        cmd += ["-gdb", f"tcp:127.0.0.1:{tools['port']}"]
    else:
        cmd += ["-qmp", f"unix:{tmp}/qmp.sock,server=on,wait=off"]
    if cfg.plugin == "qinsn":
        cmd += ["-plugin", ",".join(
            [env.plugin, f"sock={tmp}/q.sock",
             f"log={logs.log_path(tmp, cfg.qargs)}"] + cfg.qargs)]
    elif cfg.plugin == "execlog":
        # execlog writes through QEMU's log, which -d plugin turns on
        cmd += ["-plugin", ",".join([tools["execlog"]] + cfg.args),
                "-d", "plugin", "-D", f"{tmp}/log"]
    elif cfg.plugin == "naive":
        cmd += ["-plugin", ",".join([tools["naive"]] + cfg.args +
                                    [f"log={tmp}/log"])]
    elif cfg.plugin in ("floor", "empty"):
        cmd += ["-plugin", ",".join([tools[cfg.plugin]] + cfg.args)]
    return cmd


def _plugin_info(env, wl, cfg, tmp):
    """Hit counts from the plugin's log; "error" when the log fails the
    configuration's check."""
    log = os.path.join(tmp, "log")
    info = {}
    if cfg.plugin == "floor":
        # it logs nothing: its hit count is on QEMU's stderr
        n = peers.floor_hits(os.path.join(tmp, "stderr"))
        if n is not None:
            info.update(hits=n, logged=n, dropped=0)
        return info
    if cfg.plugin == "qinsn":
        return _qinsn_info(env, wl, cfg, tmp)
    if not os.path.exists(log):
        return info
    info["log_bytes"] = logs.log_bytes(log)
    if cfg.plugin == "execlog":
        # one line per executed instruction that passed the filter
        n = peers.count_lines(log)
        info.update(hits=n, logged=n, dropped=0)
    elif cfg.plugin == "naive":
        with open(log, "rb") as f:
            f.seek(max(0, os.path.getsize(log) - 200))
            last = f.read().decode(errors="replace").splitlines()[-1]
        if last.startswith("summary hits="):
            n = int(last.split("=")[1])
            info.update(hits=n, logged=n, dropped=0)
    return info


def _qinsn_info(env, wl, cfg, tmp):
    path = logs.log_path(tmp, cfg.qargs)
    info = {}
    try:
        s, how = logs.summary(path, cfg.qargs, env.cli)
    except (OSError, RuntimeError, ValueError) as e:
        return {"error": f"reading the log: {e}"}
    if s:
        info.update(hits=s.get("hits"), logged=s.get("logged"),
                    dropped=s.get("dropped"), log_bytes=logs.log_bytes(path),
                    summary=s, summary_read_by=how)
    if cfg.check:
        problem = logs.check(cfg.check, s, wl.hot_hits)
        if problem:
            info["error"] = f"log check ({how}): {problem}"
    return info


def _check_hits(wl, cfg, info):
    """A peer that logs every hit must have logged the guest's count."""
    if cfg.check != "hits" or wl.hot_hits is None or "error" in info:
        return
    if info.get("hits") != wl.hot_hits:
        info["error"] = (f"logged {info.get('hits')} hits, the guest ran "
                         f"{wl.hot_hits}")


def run_once(env, wl, cfg, tools, timeout):
    """(seconds, info) of one run; info["error"] says what went wrong."""
    with tempfile.TemporaryDirectory(prefix="qinsn-bench-") as tmp:
        if cfg.gdb:
            tools = dict(tools, port=free_port())
        cmd = _qemu_cmd(env, wl, cfg, tmp, tools)
        info = {}
        flusher = None
        poller = None
        proc = None
        try:
            with open(os.path.join(tmp, "stderr"), "w") as err:
                proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                        stderr=err)
            if cfg.gdb:
                elapsed = _gdb(wl, cfg, tools, tmp, proc, timeout, info)
                status, rss, _ = _reap(proc, 30)
            else:
                wait_path(f"{tmp}/qmp.sock", proc)
                if cfg.plugin == "qinsn":
                    wait_path(f"{tmp}/q.sock", proc)
                    if cfg.watches:
                        qinsn_requests(f"{tmp}/q.sock", cfg.watches)
                    if cfg.flush_every:
                        flusher = Flusher(f"{tmp}/q.sock", cfg.flush_every)
                    if cfg.check:
                        poller = StatsPoller(f"{tmp}/q.sock", STATS_EVERY)
                qmp = Qmp(f"{tmp}/qmp.sock")
                start = qmp.cont()
                for t in (flusher, poller):
                    if t:
                        t.start()
                status, rss, exited = _reap(proc, timeout)
                elapsed = exited - start
                qmp.close()
        except Exception as e:          # noqa: BLE001 (reported, not hidden)
            info["error"] = f"{type(e).__name__}: {e}"
            return 0.0, info
        finally:
            if proc and proc.poll() is None:
                proc.kill()
                proc.wait()
        if flusher:
            flusher.join(5)
            info["flushes"] = len(flusher.latencies)
            info["flush_ms"] = [x * 1e3 for x in flusher.latencies]
        if poller:
            poller.join(5)
            if poller.last:
                info["writer"] = poller.last
        if rss and not cfg.gdb:
            info["maxrss_kb"] = rss
        with open(os.path.join(tmp, "console"), errors="replace") as f:
            console = f.read()
        problem = wl.check(status, console) if not cfg.gdb else (
            None if status in (0, wl.ok_status, 9, -9) else
            f"exit status {status}")
        if problem:
            with open(os.path.join(tmp, "stderr"), errors="replace") as f:
                info["error"] = problem + ": " + f.read()[-500:]
        if cfg.plugin:
            pinfo = _plugin_info(env, wl, cfg, tmp)
            if "error" in info:
                pinfo.pop("error", None)
            info.update(pinfo)
            _check_hits(wl, cfg, info)
        return elapsed, info


class _Timeout(Exception):
    pass


def _peak_rss_kb(pid):
    """QEMU's VmHWM.  Not the rusage of wait4: a child spawned from this
    process starts with this process's high-water mark, which can exceed
    QEMU's own."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _reap(proc, timeout):
    """Wait for QEMU; (exit status, peak RSS in kB, time of the exit).
    A pidfd wakes us the moment QEMU exits; the 50 ms timeouts on the way
    are for sampling its peak RSS."""
    end = time.monotonic() + timeout
    peak = 0
    fd = os.pidfd_open(proc.pid)
    try:
        while True:
            peak = max(peak, _peak_rss_kb(proc.pid))
            left = end - time.monotonic()
            if left <= 0:
                raise _Timeout(f"no exit within {timeout:.0f} s")
            if select.select([fd], [], [], min(left, 0.05))[0]:
                break
    finally:
        os.close(fd)
    exited = time.monotonic()
    _, status = os.waitpid(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, peak, exited


def _gdb(wl, cfg, tools, tmp, proc, timeout, info):
    end = time.monotonic() + 30
    while not peers.gdb_listening(tools["port"]):
        if proc.poll() is not None or time.monotonic() > end:
            raise RuntimeError("the gdbstub did not start")
        time.sleep(0.01)
    script = os.path.join(tmp, "gdb.cmd")
    with open(script, "w") as f:
        f.write(peers.gdb_script(cfg.gdb, tools["port"], wl, cfg.gdb_hits))
    elapsed, hits, out = peers.gdb_run(script, wl.elf, timeout)
    if hits != cfg.gdb_hits:
        raise RuntimeError(f"gdb printed {hits} hits, expected "
                           f"{cfg.gdb_hits}:\n{out[-1500:]}")
    info.update(hits=hits, logged=hits, dropped=0)
    return elapsed
