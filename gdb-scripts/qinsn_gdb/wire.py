"""One connection to a qinsn plugin's control socket (docs/protocol.md).

A reader thread owns the socket's input: it matches status lines to the
requests waiting for them, in order, and hands event lines (``! ...``) to a
callback.  Requests therefore never block gdb unless the caller chooses to
wait, which matters because a ``watch`` reply is held by the plugin until
the guest runs.  Nothing here imports gdb, so it runs on any thread.
"""

import collections
import json
import re
import socket
import threading
import time

# The close reason when the plugin (QEMU) closed the connection.
CLOSED_BY_PLUGIN = "the plugin closed the connection"

PROTOCOL_VERSION = 1


class ProtocolError(Exception):
    """The peer is not a qinsn plugin we can talk to, or it went away."""


class Reply:
    """One request's answer: data lines (without ``= ``) and the status."""

    def __init__(self, request):
        self.request = request
        self.data = []
        self.status = None
        self.done = threading.Event()
        self.on_done = None

    @property
    def ok(self):
        return self.status is not None and self.status.startswith("OK")

    @property
    def error_class(self):
        """``ARG``, ``STATE`` ... for an ``ERR`` reply, else None."""
        if self.status and self.status.startswith("ERR "):
            return self.status.split(" ", 2)[1]
        return None

    @property
    def message(self):
        """The text of an ``ERR`` status, or the whole status otherwise."""
        if self.status and self.status.startswith("ERR "):
            parts = self.status.split(" ", 2)
            return parts[2] if len(parts) > 2 else parts[1]
        return self.status

    def fields(self):
        """``key=value`` words of the status line as a dict."""
        return parse_fields(self.status or "")

    def wait(self, timeout):
        return self.done.wait(timeout)

    def finish(self, status):
        self.status = status
        self.done.set()
        if self.on_done:
            self.on_done(self)


# key=value, the value a word or a JSON-quoted string (which may hold
# spaces): ``program="/a b"``, ``disas="addi a0,a0,1"``.
FIELD = re.compile(r'(\S+?)=("(?:[^"\\]|\\.)*"|\S*)')


def unquote(value):
    """A quoted value's text (``"a b"`` -> ``a b``); others as they are."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        try:
            return json.loads(value)
        except ValueError:
            pass
    return value


def parse_fields(line):
    """``a=1 b="x y"`` -> {'a': '1', 'b': 'x y'}; quoted values are
    unquoted, words without '=' are skipped."""
    return {m.group(1): unquote(m.group(2)) for m in FIELD.finditer(line)}


class Greeting:
    """The plugin's first line: ``QINSN 1 arch=... pid=... ...``."""

    def __init__(self, line):
        words = line.split()
        if len(words) < 2 or words[0] != "QINSN":
            raise ProtocolError("not a qinsn socket (it said %r)" % line[:80])
        if words[1] != str(PROTOCOL_VERSION):
            raise ProtocolError(
                "the plugin speaks protocol version %s; these commands "
                "speak version %d" % (words[1], PROTOCOL_VERSION))
        self.line = line
        self.fields = parse_fields(line)
        self.arch = self.fields.get("arch", "?")
        self.pid = self.fields.get("pid", "?")


class Connection:
    """A connected, greeted control socket with its reader thread."""

    def __init__(self, path, on_event=None, on_close=None, timeout=5.0):
        self.path = path
        self.on_event = on_event
        self.on_close = on_close
        self.closed = False
        self.close_reason = None
        self._pending = collections.deque()
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.settimeout(timeout)
            self._sock.connect(path)
            self._file = self._sock.makefile("rb")
            line = self._readline()
            if line is None:
                raise ProtocolError("the socket closed before greeting")
            if line.startswith("ERR "):
                raise ProtocolError("the plugin refused: " + line[4:])
            self.greeting = Greeting(line)
        except (OSError, ProtocolError):
            self._sock.close()
            raise
        self._sock.settimeout(None)
        self._thread = threading.Thread(target=self._read_loop,
                                        name="qinsn-reader", daemon=True)
        self._thread.start()

    def _readline(self):
        raw = self._file.readline()
        if not raw:
            return None
        return raw.decode("ascii", "replace").rstrip("\r\n")

    def send(self, request):
        """Queue @request; return its Reply, finished by the reader."""
        reply = Reply(request)
        with self._lock:
            if self.closed:
                reply.finish("ERR IO connection closed: %s" %
                             self.close_reason)
                return reply
            self._pending.append(reply)
            try:
                self._sock.sendall(request.encode("ascii") + b"\n")
            except OSError as err:
                self._pending.pop()
                reply.finish("ERR IO %s" % err)
        return reply

    def drain(self, timeout=1.0, until_closed=False):
        """Wait (at most @timeout) until the reader has taken what has
        arrived.  With @until_closed, until the plugin has closed the
        connection: when the guest has ended, gdb reports its exit before
        QEMU's exit has sent the last events, which may still sit in the
        rings of the plugin's writer."""
        if not until_closed:
            # Replies come in order with events, so once the reply to this
            # request is in, every event sent before it has been dispatched
            # (also lines already read into the reader's buffer, which a
            # select() on the socket would not see).
            self.send("help help").wait(timeout)
            return
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            time.sleep(0.01)

    def busy(self):
        """True while a request of this connection has no reply yet."""
        with self._lock:
            return bool(self._pending)

    def _read_loop(self):
        reason = CLOSED_BY_PLUGIN
        try:
            while True:
                line = self._readline()
                if line is None:
                    break
                self._dispatch(line)
        except OSError as err:
            reason = str(err)
        self._shut(reason)

    def _dispatch(self, line):
        if line.startswith("! "):
            if self.on_event:
                self.on_event(line[2:])
            return
        with self._lock:
            reply = self._pending[0] if self._pending else None
            if reply is None:
                return
            if line.startswith("= "):
                reply.data.append(line[2:])
                return
            self._pending.popleft()
        reply.finish(line)

    def _shut(self, reason):
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self.close_reason = reason
            waiting = list(self._pending)
            self._pending.clear()
        for reply in waiting:
            reply.finish("ERR IO connection closed: %s" % reason)
        if self.on_close:
            self.on_close(self, reason)

    def close(self):
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._shut("closed by gdb")
