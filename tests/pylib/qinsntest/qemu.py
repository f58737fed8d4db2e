"""QEMU for qinsn's Python tests: which binary, its command line for the
test guests' machines, and the processes a test starts.

Every process started through Qemu is ended by the pid it was given when
the test ends, whichever way it ends: stop(), the test's exit (atexit),
or SIGTERM from meson at a timeout.  With QINSN_ASAN_PRELOAD naming the
AddressSanitizer runtime (the plugin comes from a -Db_sanitize=address
build; QEMU is not built with it), every QEMU gets it preloaded, and the
test ends with an assertion that no QEMU printed a sanitizer report.
"""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

from .tap import at_finish, skip_all

# Machine options of the freestanding guests of tests/guests (README.md
# there); x86_64 needs no NIC or VGA, nor their option ROMs.
MACHINE = {
    'riscv64': ['-M', 'virt', '-bios', 'none'],
    'aarch64': ['-M', 'virt', '-cpu', 'cortex-a57', '-semihosting'],
    'x86_64': ['-M', 'pc', '-no-reboot', '-nic', 'none', '-vga', 'none',
               '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'],
}
# The guests' exit status when they pass.
PASS = {'riscv64': 0, 'aarch64': 0, 'x86_64': 33}
# What each architecture calls its PC and flags registers in qinsn and gdb.
PC_REG = {'x86_64': 'rip', 'riscv64': 'pc', 'aarch64': 'pc'}
FLAGS_REG = {'x86_64': 'eflags', 'riscv64': None, 'aarch64': 'cpsr'}

ASAN_PRELOAD = os.environ.get('QINSN_ASAN_PRELOAD', '')
# QEMU itself leaks at exit: leak checking would only report that.
ASAN_ENV = {
    'ASAN_OPTIONS': 'detect_leaks=0:halt_on_error=1:abort_on_error=1',
    'UBSAN_OPTIONS': 'print_stacktrace=1:halt_on_error=1',
}
REPORT = re.compile(r'ERROR: AddressSanitizer|runtime error:|'
                    r'ERROR: LeakSanitizer|SUMMARY: UndefinedBehavior')
# Sanitizer reports seen in the output of the QEMUs of this test.
SANITIZER_REPORTS = []
# Processes started here and not yet ended.
RUNNING = set()


def _end_running(signum=None, _frame=None):
    """Kill (by pid) every process still running; exit on a signal."""
    for q in list(RUNNING):
        q.kill()
    if signum:
        sys.exit(1)


atexit.register(_end_running)
signal.signal(signal.SIGTERM, _end_running)


def patched_prefix():
    """The patched QEMU's install prefix (the one qemu-patch/build prints,
    passed in QINSN_PATCHED_QEMU), or skip the whole test."""
    prefix = os.environ.get('QINSN_PATCHED_QEMU', '')
    if not prefix or not os.path.isdir(os.path.join(prefix, 'bin')):
        skip_all('patched QEMU not built (QINSN_PATCHED_QEMU=%s; run '
                 'qemu-patch/build)' % prefix)
    return prefix


def patched_binary(name, required=True):
    """The patched QEMU's binary @name (qemu-system-riscv64, qemu-x86_64):
    without it the test is skipped, or None when not @required."""
    prefix = os.environ.get('QINSN_PATCHED_QEMU', '')
    if required:
        prefix = patched_prefix()
    path = os.path.join(prefix, 'bin', name)
    if prefix and os.access(path, os.X_OK):
        return path
    if required:
        skip_all('%s not in %s' % (name, prefix))
    return None


def stock_binary(name):
    """@name from PATH, or skip the whole test."""
    path = shutil.which(name)
    if not path:
        skip_all('%s not installed' % name)
    return path


def system_binary(kind, arch):
    """qemu-system-@arch of the @kind QEMU: stock (PATH) or patched."""
    name = 'qemu-system-' + arch
    return stock_binary(name) if kind == 'stock' else patched_binary(name)


def system_command(arch, kernel, plugins=(), serial='null', smp=None,
                   extra=(), qemu=None):
    """qemu-system-@arch (or @qemu) running @kernel, one -plugin per item
    of @plugins (each 'PATH,key=value,...'), no display nor monitor."""
    cmd = ([qemu or 'qemu-system-' + arch] + MACHINE[arch] +
           ['-display', 'none', '-monitor', 'none', '-serial', serial,
            '-kernel', kernel])
    if smp:
        cmd += ['-smp', str(smp)]
    for opt in plugins:
        cmd += ['-plugin', opt]
    return cmd + list(extra)


def qemu_env(extra=None):
    """The environment of a QEMU: ours, the ASan runtime preloaded when
    QINSN_ASAN_PRELOAD says so, and @extra."""
    env = dict(os.environ)
    if ASAN_PRELOAD:
        env.update(ASAN_ENV)
        env['LD_PRELOAD'] = ASAN_PRELOAD
    env.update(extra or {})
    return env


def _sanitizer_assertion(tap):
    for q in list(RUNNING):
        if not q.alive():
            q._ended()
    tap.ok(not SANITIZER_REPORTS, 'no sanitizer report from the plugin in '
           'any QEMU (AddressSanitizer, UBSan)',
           '\n'.join(SANITIZER_REPORTS)[-4000:])


class Qemu:
    """A QEMU (or another program) this test started and will end.

    Its stdout, and its stderr unless @err_path is given, go to @out_path;
    @wrapper is a command to run it under (valgrind ...); @env adds to
    qemu_env().
    """

    def __init__(self, cmd, out_path, err_path=None, env=None, wrapper=()):
        self.cmd = list(wrapper) + list(cmd)
        self.out_path = out_path
        self.out = open(out_path, 'wb')
        self.err = open(err_path, 'wb') if err_path else None
        self.proc = subprocess.Popen(
            self.cmd, stdin=subprocess.DEVNULL, stdout=self.out,
            stderr=self.err or subprocess.STDOUT, env=qemu_env(env),
            start_new_session=True)
        self.pid = self.proc.pid
        RUNNING.add(self)
        if ASAN_PRELOAD:
            at_finish(_sanitizer_assertion)

    def output(self):
        """What it printed so far (to @out_path), as text."""
        with open(self.out_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def alive(self):
        return self.proc.poll() is None

    def send_signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def wait(self, timeout=60):
        """Exit status, or None when still running after @timeout s."""
        try:
            st = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._ended()
        return st

    def wait_socket(self, path, secs=60):
        """Wait until a UNIX socket at @path accepts a connection (the
        plugin's: its file appears a moment before it listens).
        RuntimeError when QEMU ends first or after @secs."""
        deadline = time.monotonic() + secs
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError('QEMU exited with %d' %
                                   self.proc.returncode)
            with socket.socket(socket.AF_UNIX) as sock:
                try:
                    sock.connect(path)
                    return
                except OSError:
                    time.sleep(0.05)
        raise RuntimeError('no plugin socket at %s' % path)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Send @sig, wait, SIGKILL if it lingers; the exit status.  Its
        output is searched for sanitizer reports."""
        self.send_signal(sig)
        st = self.wait(timeout)
        if st is None:
            self.send_signal(signal.SIGKILL)
            st = self.wait(30)
        self._ended()
        return st

    def kill(self):
        """SIGKILL and reap, at the end of the test."""
        if self.alive():
            self.proc.kill()
            self.proc.wait()
        self._ended()

    def _ended(self):
        if self not in RUNNING:
            return
        RUNNING.discard(self)
        self.out.close()
        if self.err:
            self.err.close()
        out = self.output()
        if REPORT.search(out):
            SANITIZER_REPORTS.append(out)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_guest(arch, plugin, guest, work, args=(), smp=1, tag='qemu',
                wrapper=(), env=None):
    """qemu-system-@arch running @guest with the plugin and its key=value
    @args: serial console in @work/TAG.serial, QEMU's output in
    @work/TAG.out.  A Qemu."""
    cmd = system_command(arch, guest, [','.join([plugin] + list(args))],
                         serial='file:' + os.path.join(work, tag + '.serial'),
                         smp=smp)
    return Qemu(cmd, os.path.join(work, tag + '.out'), env=env,
                wrapper=wrapper)


def wait_for(cond, secs=30, step=0.05):
    """Poll @cond until it returns a true value (returned), for at most
    @secs seconds; then its last value."""
    end = time.monotonic() + secs
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


def jit_rss_kb(pid):
    """Resident KiB of @pid's anonymous executable mappings: QEMU's buffer
    of translated code, which grows with the code translated between two
    flushes (up to QEMU's tb-size) and is never given back."""
    kb, jit = 0, False
    with open('/proc/%d/smaps' % pid) as f:
        for line in f:
            head = line.split()
            if '-' in head[0] and len(head) >= 5 and ':' in head[3]:
                # a mapping: address perms offset dev inode [path]
                jit = 'x' in head[1] and len(head) == 5
            elif jit and head[0] == 'Rss:':
                kb += int(head[1])
    return kb


def usage(pid):
    """Open fds, threads and resident memory (KiB) of process @pid, with
    and without its buffer of translated code."""
    fds = len(os.listdir('/proc/%d/fd' % pid))
    threads = len(os.listdir('/proc/%d/task' % pid))
    rss = 0
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                rss = int(line.split()[1])
    jit = jit_rss_kb(pid)
    return {'fds': fds, 'threads': threads, 'rss_kb': rss,
            'heap_kb': rss - jit, 'jit_kb': jit}


def run(cmd, timeout, env=None):
    """Run @cmd to its end: (exit status, stdout and stderr as text); the
    status is None when it was killed after @timeout seconds."""
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors='replace', timeout=timeout,
                           env=env)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        return None, partial_output(e.stdout)


def partial_output(data):
    """The output a TimeoutExpired caught, as text: it is bytes even when
    the process was run with text=True, and None when there was none."""
    if isinstance(data, bytes):
        return data.decode(errors='replace')
    return data or ''
