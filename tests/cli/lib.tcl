# Shared helpers of the qinsn CLI tests (expect, TAP output).
#
# Every check is one named assertion printed as "ok N - name" or
# "not ok N - name"; the plan is printed by done_testing.  Output of the
# spawned programs is not echoed (log_user 0) so that stdout stays TAP;
# diagnostics go out as "# " comments.  An expect that times out or meets
# eof fails the assertion being checked (expect_after).
#
# The environment comes from tests/cli/meson.build: QINSN (the client),
# QINSN_PLUGIN, GUEST_SPIN (riscv64 spin guest), GUEST_DEMO.

log_user 0
# a deadline, not a wait: expect returns as soon as its pattern comes
set timeout 60
set test_count 0
set test_failed 0
set current ""

foreach var {QINSN QINSN_PLUGIN GUEST_SPIN GUEST_DEMO} {
    if {![info exists env($var)]} {
        puts "Bail out! $var is not set (run the tests with meson test)"
        exit 1
    }
}
set qinsn $env(QINSN)
set plugin $env(QINSN_PLUGIN)
set spin_elf $env(GUEST_SPIN)
set demo_elf $env(GUEST_DEMO)

# A private directory for sockets, history and scripts; the client looks
# for sockets under XDG_RUNTIME_DIR, so tests never see other QEMUs.
set tmpdir [exec mktemp -d /tmp/qinsn-cli-test.XXXXXX]
set env(XDG_RUNTIME_DIR) $tmpdir/run
set env(XDG_STATE_HOME) $tmpdir/state
file mkdir $tmpdir/run
array unset env QINSN_SOCKET
set env(TERM) dumb
array set qemu_ids {}

proc pass {name} {
    incr ::test_count
    puts "ok $::test_count - $name"
}

proc fail {name} {
    incr ::test_count
    incr ::test_failed
    puts "not ok $::test_count - $name"
}

proc check {name cond} {
    if {$cond} {
        pass $name
    } else {
        fail $name
    }
}

proc diag {text} {
    foreach line [split $text "\n"] {
        puts "# $line"
    }
}

# Make timeout and eof fail the current assertion for spawn id @id.
proc guard {id} {
    expect_after -i $id \
        timeout { fail "$::current (timeout)" } \
        eof { fail "$::current (eof)" }
}

# spawn (in the caller's scope) with the guard set; returns the pid.
proc start {args} {
    upvar 1 spawn_id sid
    set pid [uplevel 1 [list spawn -noecho {*}$args]]
    guard $sid
    return $pid
}

# Reap the caller's spawned program; returns its exit status.
proc reap {} {
    upvar 1 spawn_id sid
    catch {expect_after -i $sid}
    catch {close -i $sid}
    return [lindex [wait -i $sid] 3]
}

# Expect @re from the spawned program as assertion @name.
proc ok_re {name re} {
    set ::current $name
    expect -re $re { pass $name }
}

# Run qinsn with @args to its end; returns {output exit-status}.
proc qinsn_run {args} {
    set ::current "qinsn $args"
    set out ""
    set timed_out 0
    start $::qinsn {*}$args
    expect {
        -re {[^\n]*\n} { append out $expect_out(0,string); exp_continue }
        timeout { set timed_out 1 }
        eof { append out $expect_out(buffer) }
    }
    if {$timed_out} {
        # SIGTERM: "qinsn run" still stops its QEMU
        diag "timed out: $::current"
        catch {exec kill [exp_pid]}
    }
    set status [reap]
    if {$timed_out} {
        set status timeout
    }
    return [list [string map {"\r" ""} $out] $status]
}

# One-shot command: check its exit status and that its output matches @re.
proc oneshot {name status re args} {
    return [oneshot_until $name 0 $status $re {*}$args]
}

# As oneshot, for a state the plugin reaches by itself (code translated,
# say): the command is run again until it matches, for at most @secs.
proc oneshot_until {name secs status re args} {
    set end [expr {[clock milliseconds] + $secs * 1000}]
    while 1 {
        lassign [qinsn_run {*}$args] out got
        if {($got == $status && [regexp -- $re $out]) ||
            [clock milliseconds] >= $end} {
            break
        }
        after 100
    }
    if {$got == $status && [regexp -- $re $out]} {
        pass $name
    } else {
        fail $name
        diag "exit $got (want $status), output:\n$out"
    }
    return $out
}

# Whether a UNIX socket at @path is listening (so a connect is not
# refused): the file appears at bind(), a moment before listen().
proc listening {path} {
    if {[catch {open /proc/net/unix} f]} {
        return [file exists $path]
    }
    set table [read $f]
    close $f
    foreach line [split $table "\n"] {
        # Num RefCount Protocol Flags Type St Inode Path; 00010000: listening
        if {[lindex $line end] eq $path && [lindex $line 3] eq "00010000"} {
            return 1
        }
    }
    return 0
}

# Wait until @cond (an expression) holds, for at most @secs seconds.
proc wait_until {cond {secs 60}} {
    set end [expr {[clock milliseconds] + $secs * 1000}]
    while {![uplevel 1 [list expr $cond]]} {
        if {[clock milliseconds] >= $end} {
            return 0
        }
        after 50
    }
    return 1
}

# Start a riscv64 QEMU with the plugin running @elf; @sock empty means the
# plugin's default socket.  Returns QEMU's pid.
proc start_qemu {elf {sock ""} {extra {}}} {
    set arg "$::plugin,log=/dev/null"
    if {$sock ne ""} {
        append arg ",sock=$sock"
    }
    set pid [start qemu-system-riscv64 -M virt -bios none \
                 -display none -serial null -kernel $elf -plugin $arg \
                 {*}$extra]
    set ::qemu_ids($pid) $spawn_id
    return $pid
}

proc socket_of {pid} {
    return "$::tmpdir/run/qinsn/$pid.sock"
}

# Wait until the client can talk to the QEMU behind @sock (at most a
# minute).
proc wait_socket {sock} {
    return [wait_until {[file exists $sock] &&
                        ![catch {exec $::qinsn -s $sock stats}]}]
}

# Stop the QEMU started as @pid and reap it.
proc stop_qemu {pid} {
    set spawn_id $::qemu_ids($pid)
    catch {exec kill $pid}
    reap
    unset ::qemu_ids($pid)
}

proc done_testing {} {
    foreach pid [array names ::qemu_ids] {
        stop_qemu $pid
    }
    file delete -force $::tmpdir
    puts "1..$::test_count"
    exit [expr {$::test_failed ? 1 : 0}]
}
