"""Reading the plugin's JSON log (format=json, docs/protocol.md): whole
files of records, and a counter for logs too busy to keep."""

import json
import os
import re
import threading


def read_log(path):
    """The JSON records of a plugin log, one dict per line."""
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def hits(recs, pc=None, watch=None):
    """The hit records of @recs, those at @pc and of @watch if given."""
    return [r for r in recs if r.get('type') == 'hit' and
            (pc is None or int(r['pc'], 16) == pc) and
            (watch is None or r.get('watch') == watch)]


def summary_fields(text):
    """hits, logged, dropped, flushes, write_errors of a JSON summary."""
    return {k: int(v) for k, v in
            re.findall(r'"(hits|logged|dropped|flushes|write_errors)":(\d+)',
                       text.split('"watches"')[0])}


class LogCounter(threading.Thread):
    """Reads a JSON log through a FIFO and counts its records by type.

    The plugin opens log=PATH for writing, which on a FIFO waits for this
    reader; counting in big chunks keeps up with a busy log without
    storing it.  Drop counts and the summary are parsed.
    """

    KINDS = ('watch', 'hit', 'mem', 'mark', 'drop', 'stall', 'summary')

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        os.mkfifo(path)
        self.counts = dict.fromkeys(self.KINDS, 0)
        self.other = 0
        self.dropped = 0
        self.summary = None
        self.bytes = 0
        self.start()

    def run(self):
        fd = os.open(self.path, os.O_RDONLY)
        rest = b''
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            self.bytes += len(chunk)
            data = rest + chunk
            cut = data.rfind(b'\n') + 1
            rest = data[cut:]
            self.take(data[:cut])
        os.close(fd)
        if rest:
            self.other += 1

    def take(self, block):
        lines = block.count(b'\n')
        seen = 0
        for kind in self.KINDS:
            n = block.count(b'{"type":"%s"' % kind.encode())
            self.counts[kind] += n
            seen += n
        self.other += lines - seen
        if b'"type":"drop"' in block:
            for m in re.finditer(rb'\{"type":"drop","count":(\d+)\}', block):
                self.dropped += int(m.group(1))
        if b'"type":"summary"' in block:
            m = re.search(rb'\{"type":"summary",[^\n]*', block)
            self.summary = m.group(0).decode()
