#!/bin/bash
#
# Checks expected-<arch>.txt against the real probe guests, with no qinsn
# involved: runs each guest under QEMU's gdbstub, stops gdb-multiarch at
# every label the file names, prints the registers the file names there
# and diffs the result against the file.  Also checks the guest's exit
# status.  Builds nothing.
#
# Usage: verify-expected.sh BUILDDIR [ARCH...]
#   BUILDDIR is the meson build directory (or the directory holding the
#   guest-<arch>.elf files); ARCH defaults to riscv64 aarch64 x86_64.
# Exits 0 when everything matches, 1 on a mismatch, 2 on usage errors,
# 77 (meson's "skipped") when gdb-multiarch or a QEMU is not installed.

set -u

here=$(cd "$(dirname "$0")" && pwd)

if [ $# -lt 1 ]; then
    echo "usage: $0 BUILDDIR [ARCH...]" >&2
    exit 2
fi
guests=$1/tests/guests
[ -d "$guests" ] || guests=$1
shift
arches=${*:-riscv64 aarch64 x86_64}

for tool in gdb-multiarch qemu-system-riscv64 qemu-system-aarch64 \
            qemu-system-x86_64; do
    if ! command -v "$tool" > /dev/null; then
        echo "SKIP: $tool is not installed"
        exit 77
    fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The command lines README.md documents, plus the gdbstub.
qemu_cmd() {
    case $1 in
    riscv64) echo qemu-system-riscv64 -M virt -bios none ;;
    aarch64) echo qemu-system-aarch64 -M virt -cpu cortex-a57 -semihosting ;;
    x86_64) echo qemu-system-x86_64 -M pc -no-reboot \
                 -device isa-debug-exit,iobase=0xf4,iosize=0x04 ;;
    esac
}

pass_status() {
    case $1 in
    x86_64) echo 33 ;;
    *) echo 0 ;;
    esac
}

# One breakpoint per label with a hit counter; each hit prints the
# expected-file lines for that label, prefixed "@@ " to tell them from
# gdb's own chatter.
make_gdb_script() {
    awk '
    /^#/ || NF == 0 { next }
    {
        kind = ($1 == "FLAGS") ? "F" : "G"
        label = (kind == "F") ? $2 : $1
        first = (kind == "F") ? 4 : 3
        if (!(label in seen)) {
            seen[label] = 1
            order[n++] = label
        }
        for (i = first; i <= NF; i++) {
            reg = substr($i, 1, index($i, "=") - 1)
            key = kind SUBSEP label SUBSEP reg
            if (!(key in have)) {
                have[key] = 1
                regs[kind, label] = regs[kind, label] " " reg
            }
        }
    }
    function emit(prefix, list,    r, m, fmt, args, i) {
        m = split(list, r, " ")
        fmt = prefix " %d"
        args = ""
        for (i = 1; i <= m; i++) {
            fmt = fmt " " r[i] "=0x%lx"
            args = args ", $" r[i]
        }
        printf "printf \"@@ %s\\n\", $hit_%s%s\n", fmt, label_now, args
    }
    END {
        for (j = 0; j < n; j++) {
            label_now = order[j]
            printf "set $hit_%s = 0\n", label_now
            printf "break *%s\ncommands\nsilent\n", label_now
            printf "set $hit_%s = $hit_%s + 1\n", label_now, label_now
            if (("G", label_now) in regs) {
                emit(label_now, regs["G", label_now])
            }
            if (("F", label_now) in regs) {
                emit("FLAGS " label_now, regs["F", label_now])
            }
            printf "continue\nend\n"
        }
        printf "continue\n"
    }' "$1"
}

verify_arch() {
    local arch=$1 elf=$guests/guest-$1.elf expected=$here/expected-$1.txt
    local sock=$work/$arch.sock status want i

    if [ ! -f "$elf" ] || [ ! -f "$expected" ]; then
        echo "FAIL $arch: missing $elf or $expected"
        return 1
    fi

    {
        echo "set pagination off"
        echo "set confirm off"
        echo "file $elf"
        echo "target remote $sock"
        make_gdb_script "$expected"
    } > "$work/$arch.gdb"

    timeout 120 $(qemu_cmd "$arch") -display none -kernel "$elf" \
        -serial "file:$work/$arch.console" \
        -S -gdb "unix:$sock,server=on,wait=off" &
    local qemu=$!
    for i in $(seq 100); do
        [ -S "$sock" ] && break
        sleep 0.1
    done

    timeout 120 gdb-multiarch -batch -nx -x "$work/$arch.gdb" \
        > "$work/$arch.gdb.out" 2>&1
    wait "$qemu"
    status=$?

    sed -n 's/^@@ //p' "$work/$arch.gdb.out" > "$work/$arch.got"
    grep -v '^#' "$expected" | awk 'NF { $1 = $1; print }' \
        > "$work/$arch.want"

    if ! diff -u --label "expected-$arch.txt" --label "gdb" \
            "$work/$arch.want" "$work/$arch.got"; then
        echo "FAIL $arch: registers differ (gdb log follows)"
        cat "$work/$arch.gdb.out"
        return 1
    fi
    want=$(pass_status "$arch")
    if [ "$status" != "$want" ]; then
        echo "FAIL $arch: QEMU exit status $status, want $want"
        cat "$work/$arch.console"
        return 1
    fi
    echo "PASS $arch: $(wc -l < "$work/$arch.got") lines, exit status $status"
}

rc=0
for arch in $arches; do
    verify_arch "$arch" || rc=1
done
exit $rc
