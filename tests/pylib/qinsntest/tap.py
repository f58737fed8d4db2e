"""TAP output for qinsn's Python tests, and their scratch directories.

One numbered line per named assertion, the plan at the end, the detail of
a failure as '# ' diagnostics after it.  Scratch directories made with
workdir() are removed when every assertion passed and kept (and named)
otherwise.  Work that must happen before the plan (ending QEMUs, the
sanitizer assertion of qemu.py) registers itself with at_finish().
"""

import shutil
import sys
import tempfile

# Scratch directories of this test: removed by Tap.done() when all passed.
WORKDIRS = []
# Callables run by Tap.done() before the plan, each given the Tap.
FINISHERS = []


def at_finish(fn):
    """Run @fn(tap) when the test finishes, before the plan."""
    if fn not in FINISHERS:
        FINISHERS.append(fn)


def workdir(name):
    """A fresh scratch directory (short: it holds socket paths); removed
    by Tap.done() when every assertion passed, kept otherwise."""
    path = tempfile.mkdtemp(prefix='qinsn-%s-' % name)
    WORKDIRS.append(path)
    return path


class Tap:
    """Numbered TAP results on stdout; the plan goes at the end."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=None):
        """One assertion; @detail follows a failure as diagnostics."""
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

    def done(self):
        """Finish, print the plan and exit: 1 if an assertion failed."""
        for fn in FINISHERS:
            fn(self)
        if self.failed and WORKDIRS:
            self.diag('kept for a look: ' + ' '.join(WORKDIRS))
        elif not self.failed:
            for path in WORKDIRS:
                shutil.rmtree(path, ignore_errors=True)
        print('1..%d' % self.n, flush=True)
        sys.exit(1 if self.failed else 0)


def skip_all(reason):
    """Report the whole test skipped and exit."""
    print('1..0 # SKIP ' + reason, flush=True)
    sys.exit(0)
