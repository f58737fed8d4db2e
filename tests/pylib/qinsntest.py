"""What every Python test of qinsn needs: TAP output, skipping a whole
test, symbol addresses from nm, the text of a timed-out process.

The helper modules of the test directories (tests/patched/patchedlib.py,
tests/stress/qlib.py, tests/seed/seedlib.py) put this directory on sys.path
themselves and re-export these names, so a test script imports from its
own helper module only and runs however it is started (meson, any build
directory, by hand).  Standard library only.
"""

import subprocess
import sys


class Tap:
    """Numbered TAP results on stdout; the plan goes at the end.

    The detail of a failed assertion follows it as '# ' diagnostics.  A
    helper module that has more to do when the test ends (more assertions,
    cleaning up) overrides finish(), which done() runs before the plan.
    """

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print('%s %d - %s' % ('ok' if cond else 'not ok', self.n, name),
              flush=True)
        if not cond and detail is not None:
            self.diag(detail)
        return bool(cond)

    def eq(self, got, want, name):
        return self.ok(got == want, name, 'got %r, want %r' % (got, want))

    def skip(self, name, why):
        self.n += 1
        print('ok %d - %s # SKIP %s' % (self.n, name, why), flush=True)

    def diag(self, text):
        for line in str(text).splitlines():
            print('# ' + line)
        sys.stdout.flush()

    def finish(self):
        """Work at the end of the test, before the plan: none here."""

    def done(self):
        """Finish, print the plan and exit: 1 if an assertion failed."""
        self.finish()
        print('1..%d' % self.n, flush=True)
        sys.exit(1 if self.failed else 0)


def skip_all(reason):
    """Report the whole test skipped and exit."""
    print('1..0 # SKIP ' + reason, flush=True)
    sys.exit(0)


def symbol(elf, name):
    """Address of symbol @name in @elf, from nm."""
    out = subprocess.run(['nm', elf], check=True, capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] == name:
            return int(f[0], 16)
    raise LookupError('%s: no symbol %s' % (elf, name))


def partial_output(data):
    """The output a TimeoutExpired caught, as text: it is bytes even when
    the process was run with text=True, and None when there was none."""
    if isinstance(data, bytes):
        return data.decode(errors='replace')
    return data or ''
