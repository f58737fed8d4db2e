# What only the qinsn CLI tests need: the client run as a user runs it
# (one-shot, to its end, its output matched), a private runtime directory,
# riscv64 QEMUs on the plugin's default socket.  TAP (check, pass, fail,
# done), QEMU processes and the rest come from tests/lib/qinsn.tcl.  An
# expect that times out or meets eof fails the assertion being checked
# (expect_after).
#
# The environment comes from tests/cli/meson.build: QINSN (the client),
# QINSN_PLUGIN, GUEST_SPIN (riscv64 spin guest), GUEST_DEMO.

source [file join [file dirname [info script]] .. lib qinsn.tcl]

# a deadline, not a wait: expect returns as soon as its pattern comes
set timeout 60
set current ""

foreach var {QINSN QINSN_PLUGIN GUEST_SPIN GUEST_DEMO} {
    if {![info exists env($var)]} {
        bail "$var is not set (run the tests with meson test)"
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
# At the end: every QEMU still running stopped (SIGTERM, reaped), then the
# private directory removed.
at_done {
    foreach sid [array names ::qemu_spawned] {
        stop_qemu $sid
    }
    file delete -force $::tmpdir
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

# Start a riscv64 QEMU with the plugin running @elf; @sock empty means the
# plugin's default socket.  Returns QEMU's pid.
proc start_qemu {elf {sock ""} {extra {}}} {
    set arg "$::plugin,log=/dev/null"
    if {$sock ne ""} {
        append arg ",sock=$sock"
    }
    set sid [spawn_qemu [list qemu-system-riscv64 -M virt -bios none \
                             -display none -serial null -kernel $elf \
                             -plugin $arg {*}$extra]]
    return [qemu_pid $sid]
}

# Write @text to file @name in the private directory; its path.
proc script {name text} {
    set path $::tmpdir/$name
    set f [open $path w]
    puts -nonewline $f $text
    close $f
    return $path
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
