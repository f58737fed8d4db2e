#!/bin/sh
# Regression hunts end to end on real QEMU: whole runs recorded by
# "qinsn run --log FILE -x SCRIPT" with "wait", then "qinsn diff" between
# the good and the bad build of the demo guest (riscv64 and x86_64), which
# differ from iteration 37 (hit #38 of demo_step) on.  Also: watches set in
# another order, a memory watch by symbol, a run shorter than the other, a
# removed watch, JSON and CTF against text, a killed run's trace, a real
# stall record, and "wait" running out of time.  Prints TAP.
#
# Environment (tests/cli/meson.build): QINSN, QINSN_PLUGIN, GUEST_SPIN,
# GUEST_DEMO, GUEST_DEMO_GOOD, GUEST_DEMO_X86_64, GUEST_DEMO_GOOD_X86_64.
set -u
: "${QINSN:?run with meson test}" "${GUEST_DEMO_GOOD_X86_64:?}"
work=$(mktemp -d /tmp/qinsn-diff-run.XXXXXX)
qpid= cpid=
cleanup() {
    [ -n "$qpid" ] && kill -KILL "$qpid" 2>/dev/null
    [ -n "$cpid" ] && kill -KILL "$cpid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export XDG_RUNTIME_DIR="$work/run"
mkdir -p run
n=0
failed=0

ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}

not_ok() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    sed 's/^/# /' out
}

# expect_out NAME STATUS GOT REGEX: the last command's status and output
expect_out() {
    if [ "$3" = "$2" ] && grep -Eq -- "$4" out; then
        ok "$1"
    else
        echo "exit $3, wanted $2; output should match: $4" >>out
        not_ok "$1"
    fi
}

# record LOG GUEST SCRIPT [RUN-OPTIONS]: a whole run into LOG.  timeout
# sends SIGTERM, on which qinsn run still stops its QEMU.
record() {
    log=$1 guest=$2 script=$3
    shift 3
    timeout 120 "$QINSN" run --paused --log "$log" "$@" -x "$script" \
        -- "$guest" >out 2>&1
}

# diff_check NAME STATUS REGEX ARGS...
diff_check() {
    name=$1 want=$2 re=$3
    shift 3
    "$QINSN" diff "$@" >out 2>&1
    expect_out "$name" "$want" $? "$re"
}

cat >rv.qinsn <<'SCRIPT'
watch demo_step regs=a0,a1,a2
watch demo_done regs=a0
continue
wait 60
SCRIPT
cat >rv-reversed.qinsn <<'SCRIPT'
watch demo_done regs=a0
watch demo_step regs=a2,a1,a0
continue
wait 60
SCRIPT
cat >rv-short.qinsn <<'SCRIPT'
watch demo_step regs=a0,a1,a2 count=30
watch demo_done regs=a0
continue
wait 60
SCRIPT
cat >rv-removed.qinsn <<'SCRIPT'
watch demo_step regs=a0,a1,a2
watch demo_sum regs=a0
watch demo_done regs=a0
unwatch demo_sum
continue
wait 60
SCRIPT
cat >x86.qinsn <<'SCRIPT'
watch demo_step regs=rdi,rsi,rdx
watch demo_done regs=rax
continue
wait 60
SCRIPT

# riscv64: the good build twice, the bad build once
record good.log "$GUEST_DEMO_GOOD" rv.qinsn
expect_out "riscv64 good build: a whole run recorded with wait" 0 $? \
    "checksum .*: OK"
record good2.log "$GUEST_DEMO_GOOD" rv.qinsn
record bad.log "$GUEST_DEMO" rv.qinsn
expect_out "riscv64 bad build: a whole run recorded" 0 $? "MISMATCH"
cp good.log out
expect_out "the log has a watch record with the symbol" 0 0 \
    "^watch w1 +insn addr=0x[0-9a-f]+ sym=demo_step regs=a0,a1,a2 regnums=10,11,12$"
expect_out "the log has all 64 hits and the summary" 0 0 \
    "^summary w1 +pc=0x[0-9a-f]+ hits=64 logged=64$"

diff_check "riscv64: two runs of the good build agree" 0 \
    "good.log and good2.log agree on 65 hits of 2 watches; both logs are complete" \
    good.log good2.log
diff_check "riscv64: the regression found at hit #38 of demo_step" 1 \
    "^first divergence: watch w1 \(demo_step, 0x[0-9a-f]+\), hit #38:$" \
    good.log bad.log
diff_check "riscv64: the entry used, a1, differs: 0x55a against 0x5a5" 1 \
    "^  a1 \(gdb 11\): good.log 0x55a, bad.log 0x5a5$" good.log bad.log
grep -Eq "^  a[02] " out && not_ok "riscv64: i and the sum so far agree" ||
    ok "riscv64: i and the sum so far agree"
diff_check "riscv64: --all goes on to demo_done, at another address" 1 \
    "divergence: watch w2 \(demo_done, 0x[0-9a-f]+\) in good.log, w2 \(demo_done, 0x[0-9a-f]+\) in bad.log, hit #1" \
    --all good.log bad.log

# another watch order, other register order: matched by symbol
record reversed.log "$GUEST_DEMO_GOOD" rv-reversed.qinsn
diff_check "watches set in another order are matched by symbol" 0 \
    "agree on 65 hits of 2 watches" good.log reversed.log
diff_check "  and the regression is still found in demo_step" 1 \
    "first divergence: watch w2 \(demo_step, 0x[0-9a-f]+\) in reversed.log, w1 \(demo_step, 0x[0-9a-f]+\) in bad.log, hit #38" \
    reversed.log bad.log

# JSON against text
record bad.json "$GUEST_DEMO" rv.qinsn --format json
diff_check "a JSON log against a text log" 1 \
    "a1 \(gdb 11\): good.log 0x55a, bad.json 0x5a5" good.log bad.json

# a memory watch by symbol: the table moves with the build (its address,
# and pointers into it, differ); its reads compare by offset
cat >rv-mem.qinsn <<'SCRIPT'
watch-mem table 520 r regs=a0
watch demo_step regs=a0,a1,a2
continue
wait 60
SCRIPT
record mgood.log "$GUEST_DEMO_GOOD" rv-mem.qinsn
record mbad.log "$GUEST_DEMO" rv-mem.qinsn
cp mgood.log out
expect_out "watch-mem by symbol: the watch record has sym=table" 0 0 \
    "^watch w1 +mem addr=0x[0-9a-f]+ end=0x[0-9a-f]+ sym=table regs=a0 regnums=10 dir=r$"
diff_check "a pointer into data that moved differs at once" 1 \
    "watch w1 \(table, 0x[0-9a-f]+\.\.0x[0-9a-f]+\) in mgood.log, w1 \(table, 0x[0-9a-f]+\.\.0x[0-9a-f]+\) in mbad.log, hit #1:" \
    mgood.log mbad.log
diff_check "without it: read #38 is of another entry (offset 0x128, not 0x130)" 1 \
    "offset: mgood.log 0x128, mbad.log 0x130" --ignore-regs a0 mgood.log mbad.log
diff_check "  with the value read" 1 "value: mgood.log 0x55a, mbad.log 0x5a5" \
    --ignore-regs a0 mgood.log mbad.log

# a CTF trace (format=ctf, a directory) is read through qinsn decode
record good.ctf "$GUEST_DEMO_GOOD" rv.qinsn --format ctf
record bad.ctf "$GUEST_DEMO" rv.qinsn --format ctf
diff_check "a CTF trace against a text log of the same build" 0 \
    "agree on 65 hits of 2 watches; both logs are complete" good.ctf good.log
diff_check "CTF traces of the good and the bad build" 1 \
    "a1 \(gdb 11\): good.ctf 0x55a, bad.ctf 0x5a5" good.ctf bad.ctf

# a killed run: its trace has no summary and decodes as far as it goes
qemu-system-riscv64 -M virt -bios none -display none -serial null \
    -kernel "$GUEST_SPIN" \
    -plugin "$QINSN_PLUGIN,sock=$work/killed.sock,log=$work/killed.ctf,format=ctf" \
    >qemu.out 2>&1 &
qpid=$!
i=0
while [ ! -S killed.sock ] && [ $i -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
done
"$QINSN" -s killed.sock -e "$GUEST_SPIN" watch spin_rare regs=a0 count=100 \
    >out 2>&1
i=0
while ! "$QINSN" -s killed.sock stats 2>/dev/null | grep -q '^written=100$' &&
      [ $i -lt 600 ]; do
    sleep 0.2
    i=$((i + 1))
done
kill -KILL "$qpid"
wait "$qpid" 2>/dev/null
qpid=
diff_check "a killed run's trace: incomplete, no summary" 1 \
    "agree on 100 hits of 1 watch, but the comparison is incomplete:" \
    killed.ctf killed.ctf
diff_check "  and the reason given" 1 \
    "^incomplete: killed.ctf ends without a summary" killed.ctf killed.ctf

# a run shorter than the other
record short.log "$GUEST_DEMO_GOOD" rv-short.qinsn
diff_check "a shorter run: incomplete, and which one" 1 \
    "incomplete: watch w1 \(demo_step, 0x[0-9a-f]+\): good.log has 64 hits, short.log has 30 \(the run of short.log is shorter\)" \
    good.log short.log

# a removed watch keeps its watch record; it matches nothing in the other
record removed.log "$GUEST_DEMO_GOOD" rv-removed.qinsn
cp removed.log out
expect_out "a removed watch is still defined in the log" 0 0 \
    "^watch w2 +insn addr=0x[0-9a-f]+ sym=demo_sum "
diff_check "a removed watch without hits does not make the diff fail" 0 \
    "agree on 65 hits of 2 watches" removed.log good.log

# x86_64
record xgood.log "$GUEST_DEMO_GOOD_X86_64" x86.qinsn
expect_out "x86_64 good build: a whole run recorded" 0 $? \
    "checksum .*: OK"
record xbad.log "$GUEST_DEMO_X86_64" x86.qinsn
diff_check "x86_64: the regression found at hit #38 of demo_step" 1 \
    "^first divergence: watch w1 \(demo_step, 0x[0-9a-f]+\), hit #38:$" \
    xgood.log xbad.log
diff_check "x86_64: the entry used, rsi, differs: 0x55a against 0x5a5" 1 \
    "^  rsi \(gdb 4\): xgood.log 0x55a, xbad.log 0x5a5$" xgood.log xbad.log

# wait running out of time: the script fails, QEMU quits cleanly
cat >spin.qinsn <<'SCRIPT'
watch spin_tick regs=a0 count=5
continue
wait 1
SCRIPT
record spin.log "$GUEST_SPIN" spin.qinsn
expect_out "wait 1 on a guest that runs on: the script fails" 1 $? \
    "spin.qinsn:3: wait: QEMU still ran after 1 s: ended it with QMP quit"
cp spin.log out
expect_out "  QEMU was ended cleanly: the log has its summary" 0 0 \
    "^summary w1 +pc=0x[0-9a-f]+ hits=[0-9]+ logged=[0-5]$"

# a real stall: the log is a pipe nobody reads until a vCPU has given up
# waiting for the writer; the plugin then logs a stall record, and a diff
# of that log is incomplete
mkfifo stall.fifo
exec 3<>stall.fifo
qemu-system-riscv64 -M virt -bios none -display none -serial null \
    -kernel "$GUEST_SPIN" \
    -plugin "$QINSN_PLUGIN,sock=$work/stall.sock,log=$work/stall.fifo,stall=200" \
    3>&- >qemu.out 2>&1 &
qpid=$!
i=0
while [ ! -S stall.sock ] && [ $i -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
done
"$QINSN" -s stall.sock -e "$GUEST_SPIN" watch spin_rare regs=a0 >out 2>&1
i=0
while ! "$QINSN" -s stall.sock stats 2>/dev/null | grep -q '^stalls=[1-9]' &&
      [ $i -lt 600 ]; do
    sleep 0.2
    i=$((i + 1))
done
cat stall.fifo 3>&- >stall.log &
cpid=$!
# close our end only once cat reads: a pipe with no reader at all would
# fail the plugin's write (EPIPE) and cut the log short mid-line
i=0
while [ ! -s stall.log ] && [ $i -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
done
exec 3>&-
# let the writer catch up before QEMU exits
i=0
while [ $i -lt 300 ] && ! "$QINSN" -s stall.sock stats 2>/dev/null |
        awk -F= '$1 == "logged" { l = $2 } $1 == "written" { w = $2 }
                 END { exit !(w >= l && l > 0) }'; do
    sleep 0.2
    i=$((i + 1))
done
kill -TERM "$qpid"
wait "$qpid"
qpid=
wait "$cpid"
cpid=
grep -E "^(stall|drop|summary) " stall.log >out
expect_out "a log nobody read for a while has a stall record" 0 0 \
    "^stall cpu0 waited 200 ms for the log writer"
diff_check "a log with a stall record: exit 1, incomplete, file:line" 1 \
    "^incomplete: stall.log:[0-9]+: a stall record: hits after it are not compared$" \
    stall.log stall.log

"$QINSN" wait >out 2>&1
expect_out "wait without qinsn run: a usage error" 2 $? \
    "wait: only for the QEMU that 'qinsn run' started"
printf 'wait soon\n' >badwait.qinsn
record badwait.log "$GUEST_DEMO_GOOD" badwait.qinsn
expect_out "wait with a bad number of seconds" 2 $? \
    "wait: 'soon' is not a number of seconds"

echo "1..$n"
[ "$failed" = 0 ]
