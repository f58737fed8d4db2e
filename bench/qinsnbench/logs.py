"""Reading back what a qinsn run logged, and checking that it is complete.

Each format's summary (the last record qinsn writes) carries hits, logged
and dropped.  The text and JSON logs are files whose summary is near the
end.  A CTF trace is a directory, read with `qinsn decode DIR` when the
build has that command (the summary is then among the last lines), and
otherwise with babeltrace2 twice: the control stream alone (the watch
definitions and the summary, one line each) printed, and the whole trace
through its counter sink, whose event count less the control stream's must
equal the summary's `logged`.  (Printing 50 M events to find one line
would take minutes.)  Either way the whole trace is decoded, so a trace
that does not decode to its end fails the check.
"""

import collections
import json
import os
import re
import subprocess
import tempfile

TAIL_BYTES = 65536
DECODE_TAIL = 64                # lines of `qinsn decode` kept (| tail)
_BT_FIELD = re.compile(r"\b([a-z_]+) = (\d+)\b")
_DECODE = {}                    # cli path -> has `decode`


def log_path(tmp, qargs):
    """Where qinsn logs with @qargs: a directory for CTF."""
    return os.path.join(tmp, "trace" if "format=ctf" in qargs else "log")


def log_bytes(path):
    """Size of a log file, or of every file of a trace directory."""
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(path, n))
                   for n in os.listdir(path))
    return os.path.getsize(path) if os.path.exists(path) else 0


def _tail(path):
    with open(path, "rb") as f:
        f.seek(max(0, os.path.getsize(path) - TAIL_BYTES))
        return f.read().decode(errors="replace").splitlines()


def _text_fields(line):
    """{key: int} of a `summary hits=N logged=N ...` line; values that
    are not numbers (overflow=wait) are kept as strings."""
    out = {}
    for kv in line.split()[1:]:
        k, _, v = kv.partition("=")
        out[k] = int(v) if v.isdigit() else v
    return out


def _json_summary(path):
    for line in reversed(_tail(path)):
        if line.startswith('{"type":"summary"'):
            return json.loads(line)
    return None


def _text_summary(lines):
    for line in reversed(list(lines)):
        if line.startswith("summary hits="):
            return _text_fields(line)
    return None


def has_decode(cli):
    """True when the CLI at @cli has the `decode` command (its usage
    names it)."""
    if cli not in _DECODE:
        try:
            r = subprocess.run([cli, "--help"], capture_output=True,
                               text=True, timeout=30)
            _DECODE[cli] = re.search(r"\bdecode\b", r.stdout + r.stderr) \
                is not None
        except OSError:
            _DECODE[cli] = False
    return _DECODE[cli]


def _stream(cmd):
    """Lines of @cmd's output, read as they come (constant memory);
    raises when it fails.  Its stderr goes to a file, which a chatty
    tool cannot fill the way it fills a pipe nobody reads."""
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err,
                             text=True, errors="replace")
        try:
            yield from p.stdout
        finally:
            p.stdout.close()
            if p.wait() != 0:
                err.seek(0)
                msg = err.read().decode(errors="replace").strip()
                raise RuntimeError(f"{' '.join(cmd)} exited "
                                   f"{p.returncode}: {msg[-300:]}")


def _bt_control(path):
    """(summary fields or None, events) of the control stream of the
    trace at @path, printed by babeltrace2 from a directory that holds
    only that stream and the metadata."""
    with tempfile.TemporaryDirectory(prefix="qinsn-bench-ctl-") as ctl:
        for name in ("metadata", "control"):
            os.symlink(os.path.join(os.path.abspath(path), name),
                       os.path.join(ctl, name))
        lines = list(_stream(["babeltrace2", ctl]))
    found = [ln for ln in lines if " summary: " in ln]
    if not found:
        return None, len(lines)
    # the summary's own fields come before its per-watch array
    fields = {}
    for k, v in _BT_FIELD.findall(found[-1].split("watches = ")[0]):
        fields.setdefault(k, int(v))
    return fields, len(lines)


def _bt_events(path):
    """Event records in the whole trace at @path (babeltrace2's counter
    sink decodes every packet)."""
    for line in _stream(["babeltrace2", path, "-c", "sink.utils.counter",
                         "-p", "step=+0"]):
        if line.strip().endswith(" Event messages"):
            return int(line.split()[0])
    raise RuntimeError(f"babeltrace2 counted no events in {path}")


def _ctf_summary(path, cli):
    if cli and has_decode(cli):
        tail = collections.deque(_stream([cli, "decode", path]),
                                 maxlen=DECODE_TAIL)
        return _text_summary(line.rstrip("\n") for line in tail), "decode"
    fields, control = _bt_control(path)
    if fields is not None:
        fields["hit_records"] = _bt_events(path) - control
    return fields, "babeltrace2"


def summary(path, qargs, cli=None):
    """(summary fields or None, how it was read) of the log at @path."""
    if not os.path.exists(path):
        return None, "no log"
    if "format=ctf" in qargs:
        return _ctf_summary(path, cli)
    if "format=text" in qargs:
        return _text_summary(_tail(path)), "text"
    return _json_summary(path), "json"


def check(kind, s, expected_hits):
    """What is wrong with summary @s for a run checked as @kind
    (lossless | drop), or None."""
    if s is None:
        return "the log has no summary"
    for k in ("hits", "logged", "dropped"):
        if not isinstance(s.get(k), int):
            return f"the summary lacks {k}"
    if s.get("write_errors"):
        return f"write_errors={s['write_errors']}"
    if expected_hits is not None and s["hits"] != expected_hits:
        return f"summary hits={s['hits']}, the guest ran {expected_hits}"
    if "hit_records" in s and s["hit_records"] != s["logged"]:
        return (f"the trace holds {s['hit_records']} hit records, the "
                f"summary says logged={s['logged']}")
    if kind == "lossless":
        if s["logged"] != s["hits"] or s["dropped"] != 0:
            return (f"not lossless: hits={s['hits']} logged={s['logged']} "
                    f"dropped={s['dropped']}")
    elif s["logged"] + s["dropped"] != s["hits"]:
        return (f"hits={s['hits']} but logged={s['logged']} + "
                f"dropped={s['dropped']}")
    return None
