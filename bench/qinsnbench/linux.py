"""The Linux workload: Debian's kernel booting a busybox initramfs that runs
bench/linux/init.sh and powers off.

Everything is fetched and assembled at bench time into the cache
(cache/linux): the kernel package that `linux-image-amd64` depends on and
`busybox-static`, with `apt-get download`; the kernel's /boot and busybox
are unpacked with dpkg-deb and the initramfs is written here as a newc
cpio archive.  The kernel boots with `nokaslr`, so the addresses one boot
reads from /proc/kallsyms hold for every later boot: a first boot with
QBENCH=syms prints the symbols the configurations need, and they are
cached next to the initramfs.
"""

import glob
import json
import os
import re
import stat
import subprocess
import tempfile

from .common import TOP, digest, run_tool, say

INIT = os.path.join(TOP, "bench", "linux", "init.sh")
ARCH = "x86_64"
# Kernel functions the configurations watch.
HOT = "do_syscall_64"               # every system call
COLD = "__x64_sys_kexec_load"       # never called by the workload
MANY = "__bss_start"                # data: never executed
OPENAT = "do_sys_openat2"           # watched on the idle guest (live.py)
SYMS = (HOT, COLD, MANY, OPENAT)
IDLE = "qbench idle"                # QBENCH=idle: booted, in `sleep`
DONE = "qbench done"
# sha256 of the 8 MiB of zeros the script writes
ZEROS_SHA256 = ("2daeb1f36095b44b318410b3f4e8b5d989dcc7bb023d1426c492dab0a"
                "3053e74")


def expected_console(rounds):
    """Lines a good run of the workload prints."""
    return [f"qbench sha256 {ZEROS_SHA256}", f"qbench lines {rounds}", DONE]


def _package_deps(pkg):
    out = run_tool(["apt-cache", "depends", pkg])
    return [m.group(1) for m in re.finditer(r"Depends: (\S+)", out)]


def _download(debs, pkg):
    found = glob.glob(os.path.join(debs, f"{pkg}_*.deb"))
    if not found:
        say(f"downloading {pkg}")
        run_tool(["apt-get", "download", "-q", pkg], cwd=debs)
        found = glob.glob(os.path.join(debs, f"{pkg}_*.deb"))
    if not found:
        raise SystemExit(f"bench: apt-get download {pkg} gave no .deb")
    return sorted(found)[-1]


def _cpio_entry(out, ino, name, mode, data=b"", rdev=(0, 0)):
    """One entry of a newc ("070701") cpio archive, as the kernel reads
    an initramfs."""
    name_b = name.encode() + b"\0"
    fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
              len(name_b), 0)
    out.write(b"070701" + "".join(f"{v:08x}" for v in fields).encode())
    out.write(name_b + b"\0" * (-(110 + len(name_b)) % 4))
    out.write(data + b"\0" * (-len(data) % 4))


def _write_initramfs(path, busybox):
    with open(busybox, "rb") as f:
        bb = f.read()
    with open(INIT, "rb") as f:
        init = f.read()
    dirs = ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc",
            "sys", "tmp")
    with open(path + ".tmp", "wb") as out:
        ino = 1
        for d in dirs:
            _cpio_entry(out, ino, d, stat.S_IFDIR | 0o755)
            ino += 1
        # the kernel opens /dev/console for init before anything mounts /dev
        _cpio_entry(out, ino, "dev/console", stat.S_IFCHR | 0o600,
                    rdev=(5, 1))
        _cpio_entry(out, ino + 1, "bin/busybox", stat.S_IFREG | 0o755, bb)
        _cpio_entry(out, ino + 2, "init", stat.S_IFREG | 0o755, init)
        _cpio_entry(out, 0, "TRAILER!!!", 0)
    os.replace(path + ".tmp", path)


class Linux:
    """The kernel, the initramfs and the kernel's symbol addresses."""

    def __init__(self, env):
        top = env.cache_dir("linux")
        debs = env.cache_dir("linux", "debs")
        meta = "linux-image-amd64"
        kpkg = next((d for d in _package_deps(meta)
                     if d.startswith("linux-image-")), None)
        if not kpkg:
            raise SystemExit(f"bench: cannot tell which kernel {meta} "
                             "depends on")
        kdeb = _download(debs, kpkg)
        bdeb = _download(debs, "busybox-static")
        root = os.path.join(top, "root-" + digest(kdeb, bdeb))
        if not os.path.isdir(os.path.join(root, "boot")):
            say(f"unpacking {os.path.basename(kdeb)}")
            os.makedirs(root, exist_ok=True)
            # only /boot: the modules are not needed and are most of it
            tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", kdeb],
                                   stdout=subprocess.PIPE)
            run_tool(["tar", "-x", "-C", root, "--no-same-owner", "./boot"],
                     stdin=tar.stdout)
            tar.wait()
            run_tool(["dpkg-deb", "-x", bdeb, root])
        kernels = glob.glob(os.path.join(root, "boot", "vmlinuz-*"))
        if not kernels:
            raise SystemExit(f"bench: no vmlinuz in {kdeb}")
        self.kernel = kernels[0]
        self.version = os.path.basename(self.kernel)[len("vmlinuz-"):]
        busybox = os.path.join(root, "bin", "busybox")
        self.initrd = os.path.join(top, "initrd-" +
                                   digest(busybox, INIT) + ".cpio")
        if not os.path.exists(self.initrd):
            _write_initramfs(self.initrd, busybox)
        self.syms = self._symbols(env, top)

    def args(self, mode="work", rounds=200, extra=""):
        """QEMU arguments that boot the workload (without -serial)."""
        cmdline = (f"console=ttyS0 nokaslr quiet panic=-1 QBENCH={mode} "
                   f"QBENCH_N={rounds} {extra}").strip()
        return ["-m", "512", "-no-reboot", "-nodefaults",
                "-kernel", self.kernel, "-initrd", self.initrd,
                "-append", cmdline]

    def _symbols(self, env, top):
        path = os.path.join(top, "syms-" + digest(self.kernel, self.initrd,
                                                  ",".join(SYMS)) + ".json")
        if os.path.exists(path):
            with open(path) as f:
                return {k: int(v, 16) for k, v in json.load(f).items()}
        say(f"booting {self.version} once to read /proc/kallsyms")
        with tempfile.TemporaryDirectory(prefix="qinsn-bench-") as tmp:
            con = os.path.join(tmp, "console")
            cmd = [env.qemu(ARCH), "-display", "none",
                   "-serial", f"file:{con}"] + self.args(
                       "syms", extra="QBENCH_SYMS=" + ",".join(SYMS))
            subprocess.run(cmd, timeout=300, check=True,
                           stdout=subprocess.DEVNULL)
            with open(con, errors="replace") as f:
                text = f.read()
        found = {}
        for m in re.finditer(r"qbench sym ([0-9a-f]+) \w (\S+)", text):
            found[m.group(2)] = m.group(1)
        missing = [s for s in SYMS if s not in found]
        if missing or DONE not in text:
            raise SystemExit(f"bench: symbols {missing} not found in "
                             f"/proc/kallsyms; console:\n{text[-2000:]}")
        with open(path, "w") as f:
            json.dump(found, f)
        return {k: int(v, 16) for k, v in found.items()}
