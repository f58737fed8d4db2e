"""Finding the control socket when qinsn-connect is given none.

The plugin puts its socket at $XDG_RUNTIME_DIR/qinsn/<qemu-pid>.sock, or at
/tmp/qinsn-<uid>/<qemu-pid>.sock when XDG_RUNTIME_DIR is unset; gdb looks
where a QEMU started in the same environment would have put it.  A file
there may be left over from a QEMU that died, so only sockets that accept a
connection count.  $QINSN_SOCKET, when set, names the socket outright.
"""

import glob
import os
import socket


class DiscoveryError(Exception):
    """No socket, or several: the message says which and what to do."""


def socket_dir(environ=None):
    """Where the plugin puts sockets it names itself (docs/protocol.md)."""
    env = os.environ if environ is None else environ
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        return os.path.join(runtime, "qinsn")
    return "/tmp/qinsn-%d" % os.getuid()


def is_live(path):
    """True when something accepts connections at @path."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(1.0)
    try:
        sock.connect(path)
        return True
    except OSError:
        return False
    finally:
        sock.close()


def live_sockets(environ=None):
    pattern = os.path.join(socket_dir(environ), "*.sock")
    return [path for path in sorted(glob.glob(pattern)) if is_live(path)]


def find_socket(environ=None):
    """The one socket to use, or DiscoveryError explaining the choice."""
    env = os.environ if environ is None else environ
    if env.get("QINSN_SOCKET"):
        return env["QINSN_SOCKET"]
    found = live_sockets(env)
    if len(found) == 1:
        return found[0]
    where = socket_dir(env)
    if not found:
        raise DiscoveryError(
            "no live qinsn socket in %s; start QEMU with "
            "-plugin .../libqinsn.so, or give the socket: "
            "qinsn-connect SOCKET" % where)
    lines = ["several qinsn sockets are live; choose one with "
             "qinsn-connect SOCKET:"]
    lines += ["  " + path for path in found]
    raise DiscoveryError("\n".join(lines))
