"""What the tests know of a guest program: its symbols (from nm) and the
values tests/guests/expected-ARCH.txt says its probes hold."""

import collections
import subprocess

Symbol = collections.namedtuple('Symbol', 'address size kind')


def symbols(elf):
    """{name: Symbol(address, size, kind)} of @elf, from nm -S; size is 0
    where nm gives none, kind is nm's letter (t, T, d ...)."""
    out = subprocess.run(['nm', '-S', elf], check=True, capture_output=True,
                         text=True).stdout
    found = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4:
            found[f[3]] = Symbol(int(f[0], 16), int(f[1], 16), f[2])
        elif len(f) == 3 and f[0] != 'U' and f[1] != 'U':
            found[f[2]] = Symbol(int(f[0], 16), 0, f[1])
    return found


def symbol(elf, name):
    """Address of symbol @name in @elf."""
    sym = symbols(elf).get(name)
    if sym is None:
        raise LookupError('%s: no symbol %s' % (elf, name))
    return sym.address


def read_expected(path):
    """An expected-ARCH.txt file as (rows, flags), in file order: each a
    list of (label, hit, {register: value text}).  Rows are the lines
    'LABEL HIT REG=VALUE...', flags the lines 'FLAGS LABEL HIT ...'."""
    rows, flags = [], []
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith('#'):
                continue
            into = rows
            if w[0] == 'FLAGS':
                into, w = flags, w[1:]
            into.append((w[0], int(w[1]), dict(kv.split('=', 1)
                                               for kv in w[2:])))
    return rows, flags


def expected_values(path):
    """The same as {(label, hit): {register: int}}, rows and flags
    apart."""
    rows, flags = read_expected(path)
    return tuple({(label, hit): {k: int(v, 16) for k, v in regs.items()}
                  for label, hit, regs in part} for part in (rows, flags))
