"""Clients of the plugin's control socket (docs/protocol.md), QMP
commands, and a free TCP port for a gdbstub.

A reply is any number of '= ' data lines and one status line (OK ...,
ERR CLASS ...); '! ' event lines may come between replies and are kept
apart, so that request() returns (status, data) whatever was subscribed.
"""

import json
import re
import socket
import time


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Client:
    """One control connection, connected once (connect() retries).

    Lines are read from a buffer of our own, so a timeout loses nothing
    of a line that was half received.
    """

    def __init__(self, path, timeout=60):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.timeout = timeout
        try:
            self.sock.settimeout(timeout)
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise
        self.buf = b''
        self.events = []
        self.greeting = self.line()

    def line(self):
        """The next line; EOFError when the plugin closed the connection,
        socket.timeout after the connection's timeout."""
        while b'\n' not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError('connection closed')
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        return line.decode('ascii', 'replace').rstrip('\r')

    def reply(self):
        """(status line, data lines) of the next reply; events kept."""
        data = []
        while True:
            line = self.line()
            if line.startswith('= '):
                data.append(line[2:])
            elif line.startswith('! '):
                self.events.append(line)
            else:
                return line, data

    def send(self, text):
        """Send @text (str or bytes) as it is: add the newline yourself."""
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    def request(self, line):
        """Send one request line; (status line, data lines)."""
        self.send(line + '\n')
        return self.reply()

    def timed_request(self, line):
        """As request(), with the seconds from sending to the status."""
        start = time.monotonic()
        status, data = self.request(line)
        return status, data, time.monotonic() - start

    def pipeline(self, lines):
        """Send every line at once, then read one reply per line."""
        self.send(''.join(l + '\n' for l in lines))
        return [self.reply() for _ in lines]

    def wait_event(self, prefix, secs):
        """The first event starting with @prefix (taken out of .events),
        or None when none came within @secs.  Other events are kept."""
        deadline = time.monotonic() + secs
        try:
            while True:
                for ev in self.events:
                    if ev.startswith(prefix):
                        self.events.remove(ev)
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.sock.settimeout(left)
                line = self.line()
                if line.startswith('! '):
                    self.events.append(line)
        except (socket.timeout, EOFError, OSError):
            return None
        finally:
            self.sock.settimeout(self.timeout)

    def stats(self):
        """The stats reply as a dict of strings."""
        status, data = self.request('stats')
        if status != 'OK':
            raise RuntimeError('stats: ' + status)
        return dict(d.split('=', 1) for d in data if '=' in d)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def connect(path, secs=60, timeout=60):
    """A Client of the plugin at @path, once it accepts connections.

    The socket file appears when the plugin binds it, a moment before it
    listens (and a QEMU may not have made it yet): a refused or missing
    socket is tried again until @secs have passed.
    """
    end = time.monotonic() + secs
    while True:
        try:
            return Client(path, timeout)
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() >= end:
                raise
            time.sleep(0.05)


def request(path, line, secs=30):
    """One request on a connection of its own; its status line ('' when
    the plugin closed the connection first)."""
    with connect(path, secs, secs) as c:
        try:
            return c.request(line)[0]
        except EOFError:
            return ''


def fields(line):
    """key=value words of a protocol line as a dict."""
    return dict(w.split('=', 1) for w in line.split() if '=' in w)


def field(line, key):
    """The value of the first @key=VALUE word of @line, or None."""
    m = re.search(r'(?:^| )%s=(\S*)' % re.escape(key), line)
    return m.group(1) if m else None


def qmp(path, command, secs=20):
    """QMP @command (after qmp_capabilities) on QEMU's monitor socket at
    @path; True when accepted.  A guest may be done and QEMU gone before
    it answers 'cont': that counts as accepted, the exit status tells."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(secs)
        s.connect(path)
        f = s.makefile('r')
        f.readline()
        for name in ('qmp_capabilities', command):
            s.sendall((json.dumps({'execute': name}) + '\n').encode())
            while True:
                try:
                    line = f.readline()
                except ConnectionResetError:
                    line = ''
                if not line:
                    return name == 'cont'
                reply = json.loads(line)
                if 'return' in reply or 'error' in reply:
                    break
        return 'return' in reply
