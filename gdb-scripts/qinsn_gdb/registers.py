"""One register numbering for gdb and the plugin.

The plugin lists its registers with their gdb remote numbers (``regs``);
gdb shows its own view of the same target in ``maint print remote-registers``
("Rmt Nr").  Both come from QEMU's target description, so every number must
carry the same name and size on both sides; anything else means gdb and the
plugin do not see the same target, and is reported, never ignored.

Users name registers the way gdb does.  Raw register names are the same on
both sides; what needs mapping are gdb's *user registers*, aliases that gdb
evaluates itself.  ALIASES lists those that stand for one raw register,
REFUSED those that do not (gdb's $fp is a computed frame base on x86_64 and
aarch64, not rbp or x29), so qinsn never logs something other than what
``print $name`` shows.  README.md has the table.
"""

RISCV_X = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
           "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
           "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
           "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"]
RISCV_F = ["ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7",
           "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
           "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
           "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"]

ALIASES = {
    "x86_64": {"pc": "rip", "sp": "rsp", "ps": "eflags"},
    "riscv64": dict([("s0", "fp")] +
                    [("x%d" % i, n) for i, n in enumerate(RISCV_X)] +
                    [("f%d" % i, n) for i, n in enumerate(RISCV_F)]),
    "aarch64": {"lr": "x30", "ip0": "x16", "ip1": "x17"},
}

REFUSED = {
    "x86_64": {"fp": "gdb's $fp is the frame base gdb computes, not a "
                     "register; name rbp"},
    "aarch64": {"fp": "gdb's $fp is the frame base gdb computes, not a "
                      "register; name x29",
                "ps": "gdb has no $ps on aarch64; name cpsr"},
    "riscv64": {"ps": "gdb has no $ps on riscv64 (it has no flags "
                      "register)"},
}

# gdb's architecture names for the plugin's target names.
GDB_ARCHES = {
    "x86_64": ("i386:x86-64",),
    "riscv64": ("riscv:rv64", "riscv"),
    "aarch64": ("aarch64",),
}


class RegisterError(Exception):
    """A register name that cannot be logged, with the reason."""


class Register:
    def __init__(self, name, num, size):
        self.name = name        # as the plugin and gdb spell it
        self.num = num          # gdb remote number
        self.size = size        # bytes; 0 when the plugin does not know


class GdbRow:
    """One line of ``maint print remote-registers``."""

    def __init__(self, name, nr, size, type_name, rmt):
        self.name = name
        self.nr = nr
        self.size = size
        self.type_name = type_name
        self.rmt = rmt          # None: gdb computes it (pseudo register)


def parse_plugin_regs(lines):
    """Data lines of ``regs``: ``name=a0 gdb=10 size=8``."""
    regs = []
    for line in lines:
        fields = dict(w.split("=", 1) for w in line.split() if "=" in w)
        regs.append(Register(fields["name"], int(fields["gdb"]),
                             int(fields.get("size", 0))))
    return regs


def parse_remote_registers(text):
    """Rows of gdb's table; the Type column is the only free-form one."""
    rows = []
    header = None
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        if words[0] == "Name":
            header = words
            continue
        if header is None or words[0] == "''" or not words[1].isdigit():
            continue
        size_at = 4 if "Rel" in header else 3
        remote = (len(words) >= size_at + 4 and words[-1].isdigit() and
                  words[-2].isdigit())
        type_words = words[size_at + 1:-2] if remote else words[size_at + 1:]
        rows.append(GdbRow(words[0], int(words[1]), int(words[size_at]),
                           " ".join(type_words),
                           int(words[-2]) if remote else None))
    return rows


def _sample(names, limit=8):
    names = list(names)
    text = ", ".join(names[:limit])
    if len(names) > limit:
        text += " and %d more" % (len(names) - limit)
    return text


class RegisterMap:
    """The plugin's registers, checked against gdb's when gdb has them."""

    def __init__(self, arch, plugin_regs, gdb_rows=None, source=None):
        self.arch = arch
        self.regs = plugin_regs
        self.by_num = {r.num: r for r in plugin_regs}
        self.by_name = {r.name: r for r in plugin_regs}
        self.gdb_rows = gdb_rows
        self.source = source    # what gdb is connected to, when checked
        self.mismatches = []    # fatal: the two sides disagree
        self.warnings = []      # one side has registers the other lacks
        if gdb_rows is not None:
            self.gdb_by_name = {row.name: row for row in gdb_rows}
            self._compare()

    @property
    def checked(self):
        return self.gdb_rows is not None

    def _compare(self):
        remote = {row.rmt: row for row in self.gdb_rows
                  if row.rmt is not None}
        for num in sorted(set(remote) & set(self.by_num)):
            mine, gdbs = self.by_num[num], remote[num]
            if mine.name != gdbs.name:
                self.mismatches.append(
                    "#%d is %s in QEMU's list but %s in gdb's" %
                    (num, mine.name, gdbs.name))
            elif mine.size and mine.size != gdbs.size:
                self.mismatches.append(
                    "%s (#%d) has %d bytes in QEMU's list but %d in gdb's" %
                    (mine.name, num, mine.size, gdbs.size))
        only_plugin = [self.by_num[n].name + "#%d" % n
                       for n in sorted(set(self.by_num) - set(remote))]
        only_gdb = [remote[n].name + "#%d" % n
                    for n in sorted(set(remote) - set(self.by_num))]
        if only_plugin:
            self.warnings.append(
                "%d register(s) of QEMU's list are unknown to gdb: %s" %
                (len(only_plugin), _sample(only_plugin)))
        if only_gdb:
            self.warnings.append(
                "%d register(s) gdb reads are not in QEMU's list: %s" %
                (len(only_gdb), _sample(only_gdb)))

    def resolve(self, text):
        """The Register that gdb's name @text denotes (or RegisterError)."""
        name = text[1:] if text.startswith("$") else text
        if name.startswith("#"):
            return self._by_number(text, name[1:])
        if not name:
            raise RegisterError("empty register name")
        if self.gdb_rows is not None and name in self.gdb_by_name:
            row = self.gdb_by_name[name]
            if row.rmt is None:
                raise RegisterError(
                    "%s is a pseudo-register gdb computes from others; "
                    "qinsn logs the target's raw registers" % text)
            if row.rmt not in self.by_num:
                raise RegisterError(
                    "%s (#%d) is not in QEMU's register list" %
                    (text, row.rmt))
            return self.by_num[row.rmt]
        refused = REFUSED.get(self.arch, {})
        if name in refused:
            raise RegisterError("%s: %s" % (text, refused[name]))
        alias = ALIASES.get(self.arch, {}).get(name)
        if alias:
            return self.resolve(alias)
        if self.gdb_rows is None and name in self.by_name:
            return self.by_name[name]
        raise RegisterError("unknown register '%s' for %s (see "
                            "'info registers all')" % (text, self.arch))

    def _by_number(self, text, digits):
        if not digits.isdigit():
            raise RegisterError("register '%s': '#' must be followed by a "
                                "gdb remote register number" % text)
        num = int(digits)
        if num not in self.by_num:
            raise RegisterError("%s has no register with remote number %d "
                                "(see 'maint print remote-registers')" %
                                (self.arch, num))
        return self.by_num[num]

    def names(self):
        """Names to offer in completion: registers, then aliases."""
        names = [r.name for r in self.regs]
        names += sorted(ALIASES.get(self.arch, {}))
        return names
