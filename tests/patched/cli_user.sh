#!/bin/sh
# "qinsn run --user": a Linux program under the patched qemu-<arch> with the
# plugin, watches given as plugin arguments; the logged arguments of a
# function are the ones the program passes (probe_two(6, 7)).
#
# Usage: cli_user.sh QINSN PROGRAM(x86_64 args) WORKDIR
set -u
qinsn=$1 prog=$2 work=$3
if [ -z "${QINSN_PATCHED_QEMU:-}" ] || [ ! -d "$QINSN_PATCHED_QEMU" ]; then
    echo "1..0 # SKIP patched QEMU not built (run qemu-patch/build)"
    exit 0
fi
mkdir -p "$work"
echo "1..4"
addr=$(printf '0x%x' "0x$(nm "$prog" | awk '$3 == "probe_two" { print $1 }')")
printf 'stats\n' > "$work/s.qinsn"
rm -f "$work/log.json"
"$qinsn" run --plugin-args "watch=$addr,regs=rdi:rsi" \
    --format json --log "$work/log.json" -x "$work/s.qinsn" -- "$prog" \
    > "$work/out" 2>&1
rc=$?
n=0
check() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
check $rc "qinsn run -- PROGRAM (a static Linux program) exits 0 (got $rc)"
grep -q "flush_path=patched" "$work/out"
check $? "the script talks to the plugin in the patched qemu-x86_64"
grep -q "\"pc\":\"$addr\",\"hit\":1,\"regs\":{\"rdi\":\"0x6\",\"rsi\":\"0x7\"}" \
    "$work/log.json"
check $? "probe_two's arguments logged: rdi=6 rsi=7"
QINSN_PATCHED_QEMU= "$qinsn" run --user -- "$prog" > "$work/out2" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "user mode needs the patched QEMU" "$work/out2"
check $? "without the patched QEMU: a usage error saying what to do"
