#!/bin/sh
# qinsn diff on hand-written logs: the reader (text and JSON, watch
# records, captures, memory records), watch matching, the comparison
# rules, the options, and the verdicts with their exit codes: 0 the same,
# 1 different or incomplete, 2 usage or unreadable input naming file:line.
# Needs no QEMU; diff-run.sh does the same on real runs.  Prints TAP.
#
# Environment: QINSN (the client), from tests/cli/meson.build.
set -u
: "${QINSN:?run with meson test}"
work=$(mktemp -d /tmp/qinsn-diff-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
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

# check NAME STATUS REGEX ARGS...: qinsn diff ARGS exits STATUS and its
# output (stdout and stderr) matches the extended REGEX.
check() {
    name=$1 want=$2 re=$3
    shift 3
    "$QINSN" diff "$@" >out 2>&1
    got=$?
    if [ "$got" = "$want" ] && grep -Eq -- "$re" out; then
        ok "$name"
    else
        echo "exit $got, wanted $want; output should match: $re" >>out
        not_ok "$name"
    fi
}

# the good run: two watches, four hits, a summary
cat >good.log <<'LOG'
watch w1    insn addr=0x00000000800012cc sym=demo_step regs=a0,a1,s0 regnums=10,11,8
watch w2    insn addr=0x00000000800012dc sym=demo_done regs=a0 regnums=10
hit   w1    cpu0   #1        pc=0x00000000800012cc a0=0x0000000000000000 a1=0x0000000000000001 s0=0x0000000000000005
hit   w1    cpu0   #2        pc=0x00000000800012cc a0=0x0000000000000001 a1=0x0000000000000002 s0=0x0000000000000005
hit   w1    cpu0   #3        pc=0x00000000800012cc a0=0x0000000000000002 a1=0x0000000000000005 s0=0x0000000000000005
hit   w2    cpu0   #1        pc=0x00000000800012dc a0=0x0000000000000099
summary hits=4 logged=4 dropped=0 flushes=1 write_errors=0
summary w1    pc=0x00000000800012cc hits=3 logged=3
summary w2    pc=0x00000000800012dc hits=1 logged=1
LOG

# the same run as JSON, from another build: the watches in the other
# order, at other addresses, s0 named fp
cat >same.json <<'LOG'
{"type":"watch","watch":1,"kind":"insn","addr":"0x80001310","sym":"demo_done","regs":["a0"],"regnums":[10]}
{"type":"watch","watch":2,"kind":"insn","addr":"0x800012d0","sym":"demo_step","regs":["a0","a1","fp"],"regnums":[10,11,8]}
{"type":"hit","watch":2,"cpu":0,"pc":"0x800012d0","hit":1,"regs":{"a0":"0x0","a1":"0x1","fp":"0x5"}}
{"type":"mark","token":"half"}
{"type":"hit","watch":2,"cpu":0,"pc":"0x800012d0","hit":2,"regs":{"a0":"0x1","a1":"0x2","fp":"0x5"}}
{"type":"hit","watch":2,"cpu":0,"pc":"0x800012d0","hit":3,"regs":{"a0":"0x2","a1":"0x5","fp":"0x5"}}
{"type":"hit","watch":1,"cpu":0,"pc":"0x80001310","hit":1,"regs":{"a0":"0x99"}}
{"type":"summary","hits":4,"logged":4,"dropped":0,"flushes":1,"write_errors":0,"watches":[]}
LOG

# the bad run: hit 3 of demo_step used another entry
sed 's/a1=0x0000000000000005/a1=0x0000000000000006/' good.log >bad.log

check "a log is the same as itself" 0 \
    "agree on 4 hits of 2 watches; both logs are complete" good.log good.log
check "text and JSON, watches in another order, other addresses" 0 \
    "agree on 4 hits of 2 watches" good.log same.json
check "the divergence: watch, symbol, address, hit, register, values" 1 \
    "first divergence: watch w1 \(demo_step, 0x800012cc\), hit #3:" \
    good.log bad.log
check "the differing register with its gdb number and both values" 1 \
    "a1 \(gdb 11\): good.log 0x5, bad.log 0x6" good.log bad.log
check "only the differing register is named" 1 "differ \(3 hits" \
    good.log bad.log
grep -q "a0 (gdb" out && not_ok "an equal register is not named" ||
    ok "an equal register is not named"
check "context: the records before it, the divergent one marked" 1 \
    "  > bad.log:5: hit   w1    cpu0   #3" good.log bad.log
check "context in A" 1 "    good.log:4: hit   w1    cpu0   #2" \
    good.log bad.log
check "--context 0: the divergent records only" 1 "  > good.log:5:" \
    --context 0 good.log bad.log
grep -q "good.log:4:" out && not_ok "--context 0 shows no record before" ||
    ok "--context 0 shows no record before"
check "--ignore-regs a1: the same" 0 "agree on 4 hits" \
    --ignore-regs a1 good.log bad.log
check "--regs a0,s0: the same" 0 "agree on 4 hits" \
    --regs a0,s0 good.log bad.log
sed 's/"fp":"0x5"}}$/"fp":"0x7"}}/' same.json >fp.json
check "--regs fp: B's fp is A's s0 (the same gdb number)" 1 \
    "s0 \(gdb 8\): good.log 0x5, fp.json 0x7" --regs fp good.log fp.json
check "--regs '#11' names a register by gdb number" 1 "a1 \(gdb 11\)" \
    --regs '#11' good.log bad.log
check "--regs naming no logged register: a usage error, not agreement" 2 \
    "--regs: no compared watch of good.log or bad.log logs a register 'a7'" \
    --regs a0,a7 good.log bad.log
check "--ignore-regs naming no logged register: a usage error" 2 \
    "--ignore-regs: no compared watch .* logs a register 'x1'" \
    --ignore-regs x1 good.log bad.log
check "--watch demo_done: only that watch" 0 "agree on 1 hits of 1 watch" \
    --watch demo_done good.log bad.log
check "--watch 0x800012cc: by address" 1 "first divergence" \
    --watch 0x800012cc good.log bad.log
check "--watch nothing: a usage error" 2 \
    "--watch nosuch: no watch of good.log or bad.log" \
    --watch nosuch good.log bad.log

# every divergence
sed 's/a0=0x0000000000000099/a0=0x0000000000000098/' bad.log >bad2.log
check "--all: every divergence" 1 "differ: 2 of 4 compared hits" \
    --all good.log bad2.log
check "--all names the second divergence" 1 \
    "divergence: watch w2 \(demo_done, 0x800012dc\), hit #1" \
    --all good.log bad2.log

# --json: one object, checked by a JSON parser
check "--json: exits 1 on a divergence" 1 '"result":"differ"' \
    --json good.log bad.log
if python3 -c '
import json, sys
o = json.loads(open("out").read())
d = o["divergence"]
assert o["type"] == "result" and o["divergences"] == 1
assert d["watch"]["a"] == {"id": 1, "addr": "0x800012cc", "sym": "demo_step"}
assert d["hit"] == {"a": 3, "b": 3} and d["index"] == 3
assert d["diffs"] == [{"name": "a1", "regnum": 11, "a": "0x5", "b": "0x6"}]
assert d["context"]["b"][-1]["line"] == 5
'; then ok "--json: one object with the divergence"; else
    not_ok "--json: one object with the divergence"; fi
"$QINSN" --json diff good.log good.log >out 2>&1
if python3 -c '
import json
o = json.loads(open("out").read())
assert o["result"] == "same" and o["divergence"] is None
assert o["compared"] == 4 and o["incomplete"] == []
'; then ok "qinsn --json diff: the same"; else
    not_ok "qinsn --json diff: the same"; fi
"$QINSN" diff --json --all good.log bad2.log >out 2>&1
if python3 -c '
import json
lines = [json.loads(l) for l in open("out")]
assert [l["type"] for l in lines] == ["divergence", "divergence", "result"]
assert lines[-1]["divergences"] == 2
'; then ok "--json --all: a line per divergence, then the result"; else
    not_ok "--json --all: a line per divergence, then the result"; fi

# matching without symbols: creation order, and --pair
sed 's/ sym=[a-z_]*//' good.log >nosym.log
grep -v '"type":"watch"' same.json >nowatch.json
check "no symbols: creation order (here the wrong pairs)" 1 \
    "first divergence: watch w1 \(0x800012cc\) in nosym.log, w1 \(0x80001310\)" \
    nosym.log nowatch.json
check "--pair overrides the order" 0 "agree on 4 hits of 2 watches" \
    --pair 1=2 --pair 2=1 nosym.log nowatch.json
check "--pair with an unknown id" 2 "--pair 1=7: nowatch.json has no watch w7" \
    --pair 1=7 nosym.log nowatch.json
check "a log without watch records (older plugin): watches from hits" 0 \
    "agree on 4 hits of 2 watches" --pair 1=2 --pair 2=1 good.log nowatch.json

# different lengths
sed '5d' good.log >short.log
check "one run shorter: incomplete, which one said" 1 \
    "incomplete: watch w1 \(demo_step, 0x800012cc\): good.log has 3 hits, short.log has 2 \(the run of short.log is shorter\)" \
    good.log short.log
check "the shorter run first" 1 "the run of short.log is shorter" \
    short.log good.log

# drops and stalls: incomplete, naming the record's line
sed '4a\
drop  2 hit records lost: the log could not keep up' good.log >drop.log
check "a drop record: exit 1, incomplete, file:line" 1 \
    "incomplete: drop.log:5: a drop record \(2 hit records lost\): hits after it are not compared" \
    good.log drop.log
check "a drop record in A" 1 "incomplete: drop.log:5: a drop record" \
    drop.log good.log
sed '4a\
{"type":"drop","count":1}' same.json >drop.json
check "a JSON drop record" 1 "incomplete: drop.json:5: a drop record \(1 hit record lost\)" \
    good.log drop.json
sed '3a\
stall guest held 120 ms: the log could not keep up' good.log >stall.log
check "a stall record" 1 "incomplete: stall.log:4: a stall record" \
    good.log stall.log
sed '5a\
drop  1 hit records lost' bad.log >baddrop.log
check "a divergence before the drop is still reported" 1 \
    "a1 \(gdb 11\): good.log 0x5, baddrop.log 0x6" good.log baddrop.log

# truncated logs
grep -v '^summary' good.log >nosummary.log
check "no summary: a truncated or killed run" 1 \
    "incomplete: nosummary.log ends without a summary" good.log nosummary.log
head -c 200 good.log >cut.log
check "a cut last line: incomplete, not malformed" 1 \
    "incomplete: cut.log: its last line is cut off" good.log cut.log
check "  and the cut record is not compared" 1 \
    "agree on 0 hits of 0 watches, but the comparison is incomplete" \
    good.log cut.log

# the summary's counts: records the writer could not write
sed 's/^summary hits=4 logged=4 dropped=0 flushes=1 write_errors=0$/summary hits=4 logged=5 dropped=0 flushes=1 write_errors=0/' \
    good.log >fewer.log
check "fewer records than the summary counts: incomplete" 1 \
    "incomplete: fewer.log: its summary counts 5 logged hits, the log holds 4" \
    good.log fewer.log
sed 's/^summary hits=4 logged=4 dropped=0 flushes=1 write_errors=0$/summary hits=4 logged=4 dropped=2 flushes=1 write_errors=3/' \
    good.log >werr.log
check "write errors in the summary: incomplete" 1 \
    "incomplete: werr.log: its summary counts 3 write errors: records may be missing" \
    good.log werr.log
check "dropped hits in the summary, without a drop record: incomplete" 1 \
    "incomplete: werr.log: its summary counts 2 dropped hit records" \
    good.log werr.log
sed '4s/^hit   w1    cpu0   #2 /hit   w1hit   w1    cpu0   #2 /' werr.log \
    >damaged.log
check "a damaged record in a log with write errors: incomplete there" 1 \
    "incomplete: damaged.log:4: a damaged record \(malformed hit record: 'w1hit'\): hits after it are not compared" \
    good.log damaged.log
sed '4s/^hit   w1    cpu0   #2 /hit   w1hit   w1    cpu0   #2 /' good.log \
    >damaged2.log
check "the same record without write errors: malformed, exit 2" 2 \
    "damaged2.log:4: malformed hit record: 'w1hit'" good.log damaged2.log

# removed watches: w2 removed after its first hit keeps its watch record
cat >removed.log <<'LOG'
watch w1    insn addr=0x00000000800012cc sym=demo_step regs=a0 regnums=10
watch w2    insn addr=0x00000000800012dc sym=demo_done regs=a0 regnums=10
hit   w2    cpu0   #1        pc=0x00000000800012dc a0=0x0000000000000007
hit   w1    cpu0   #1        pc=0x00000000800012cc a0=0x0000000000000001
summary hits=2 logged=2 dropped=0 flushes=1 write_errors=0
summary w1    pc=0x00000000800012cc hits=1 logged=1
LOG
sed 's/a0=0x0000000000000007/a0=0x0000000000000008/' removed.log >removed2.log
check "a removed watch is still matched and compared" 1 \
    "watch w2 \(demo_done, 0x800012dc\), hit #1" removed.log removed2.log
head -1 removed.log >extra.log
sed -n '4,6p' removed.log >>extra.log
check "a watch without counterpart: incomplete" 1 \
    "incomplete: watch w2 \(demo_done, 0x800012dc\) of removed.log has no counterpart in extra.log: its 1 hits are not compared" \
    removed.log extra.log

# what only one log holds is not compared; stale values are not compared
cat >regs-a.log <<'LOG'
watch w1    insn addr=0x0000000000101000 sym=f regs=rdi,eflags regnums=5,49
hit   w1    cpu0   #1        pc=0x0000000000101000 rdi=0x0000000000000001 eflags=0x0000000000000202(stale)
summary hits=1 logged=1 dropped=0 flushes=1 write_errors=0
LOG
cat >regs-b.log <<'LOG'
watch w1    insn addr=0x0000000000102000 sym=f regs=rdi,eflags,rax regnums=5,49,0
hit   w1    cpu0   #1        pc=0x0000000000102000 rdi=0x0000000000000001 eflags=0x0000000000000246 rax=0x0000000000000009
summary hits=1 logged=1 dropped=0 flushes=1 write_errors=0
LOG
check "registers of one log only, and stale values, are not compared" 0 \
    "agree on 1 hits of 1 watch" regs-a.log regs-b.log

# captures and memory records
cat >cap-a.log <<'LOG'
watch w1    insn addr=0x0000000080001000 sym=probe_str regs=a1 regnums=11 str=a0
watch w2    mem addr=0x0000000080003000 end=0x000000008000300f sym=table regs=a0 regnums=10 dir=rw
hit   w1    cpu0   #1        pc=0x0000000080001000 a1=0x000000000000000b str@0x80001000="hello qinsn"
mem   w2    cpu0   #1        pc=0x0000000080001100 addr=0x0000000080003008 size=8  dir=w value=0x0000000000000005 a0=0x0000000080003008
summary hits=2 logged=2 dropped=0 flushes=1 write_errors=0
LOG
cat >cap-b.json <<'LOG'
{"type":"watch","watch":1,"kind":"insn","addr":"0x80001040","sym":"probe_str","regs":["a1"],"regnums":[11],"str":"a0"}
{"type":"watch","watch":2,"kind":"mem","addr":"0x80004000","end":"0x8000400f","sym":"table","regs":["a0"],"regnums":[10],"dir":"rw"}
{"type":"hit","watch":1,"cpu":0,"pc":"0x80001040","hit":1,"regs":{"a1":"0xb"},"str":{"addr":"0x80002000","value":"hello qinsn"}}
{"type":"mem","watch":2,"cpu":0,"pc":"0x80001140","hit":1,"addr":"0x80004008","size":8,"dir":"w","value":"0x5","regs":{"a0":"0x80003008"}}
{"type":"summary","hits":2,"logged":2,"dropped":0,"flushes":1,"write_errors":0,"watches":[]}
LOG
check "captures and accesses compare by value and offset, not address" 0 \
    "agree on 2 hits of 2 watches" cap-a.log cap-b.json
sed 's/hello qinsn/hello QINSN/; s/0x80004008/0x80004010/' cap-b.json >cap-c.json
check "a string capture that differs" 1 \
    "str: cap-a.log \"hello qinsn\", cap-c.json \"hello QINSN\"" \
    --all --ignore-regs a0 cap-a.log cap-c.json
check "a memory access at another offset" 1 \
    "offset: cap-a.log 0x8, cap-c.json 0x10" \
    --all --ignore-regs a0 cap-a.log cap-c.json

# inputs: stdin, unreadable, malformed
check "A from stdin ('-')" 0 "agree on 4 hits" - same.json <good.log
check "a missing file: exit 2 naming it" 2 \
    "qinsn: diff: cannot read nosuch.log: No such file or directory" \
    good.log nosuch.log
mkdir trace.d
check "a directory is taken for a CTF trace, through qinsn decode" 2 \
    "trace.d is a directory, taken for a CTF trace, and 'qinsn decode trace.d' failed" \
    good.log trace.d
sed '3s/.*/hello world/' good.log >garbage.log
check "a line that is no record: exit 2, file:line" 2 \
    "qinsn: diff: garbage.log:3: not a qinsn log record: 'hello world'" \
    good.log garbage.log
check "--json: an error is a JSON object with its class" 2 \
    '^\{"ok":false,"class":"USAGE","error":"diff: garbage.log:3: not a qinsn log record' \
    --json good.log garbage.log
sed '4s/#2 /#x /' good.log >badhit.log
check "a malformed hit record: exit 2, file:line" 2 \
    "badhit.log:4: malformed hit record: '#x'" good.log badhit.log
sed '3s/"hit":1,/"hit":1/' same.json >badjson.json
check "malformed JSON: exit 2, file:line and column" 2 \
    "badjson.json:3: bad JSON at column [0-9]+: expected ',' or '}'" \
    good.log badjson.json
sed '1s/"kind":"insn",//' same.json >nokind.json
check "a watch record without kind: exit 2" 2 \
    "nokind.json:1: malformed watch record: bad or missing \"kind\"" \
    nokind.json good.log
sed '2p' good.log >twice.log
check "a watch created twice: exit 2" 2 \
    "twice.log:3: watch w2 created twice \(first at line 2\)" twice.log good.log
printf 'hit   w1 \000\n' >binary.log
check "binary data: exit 2" 2 "binary.log:1: not a qinsn log: binary data" \
    binary.log good.log
check "one log only: usage" 2 "two logs are needed, A and B" good.log
check "three logs: usage" 2 "only two logs" good.log good.log good.log
check "--context -1: usage" 2 "--context -1: give a number" \
    --context -1 good.log good.log
check "an unknown option: usage" 2 "usage: qinsn diff" --frob good.log good.log
check "--help" 0 "usage: qinsn diff" --help

echo "1..$n"
[ "$failed" = 0 ]
