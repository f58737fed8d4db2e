# What every expect test of qinsn shares (tests/cli, tests/e2e).
#
#   TAP        one "ok N - name" or "not ok N - name" per assertion (ok,
#              check, pass, fail, skip), "# " diagnostics, the plan printed by
#              "plan N" first or by "done" at the end, "Bail out!"
#   processes  QEMUs spawned with spawn_qemu are ended by their pid when
#              the test ends, whichever way: stop_qemu, exit, or SIGTERM
#              (meson's timeout)
#   guests     symbol addresses (nm), QEMU command lines of the test
#              guests' machines, their pass status
#   sockets    the plugin's control socket through socat (connect,
#              request, field), QMP cont, whether a socket listens
#
# A suite's own lib.tcl sources this file and adds what only it needs.
# Output of spawned programs is not echoed (log_user 0): stdout is TAP.

log_user 0
set tap_n 0
set tap_failed 0
set tap_plan ""
# Scripts "done" runs before the plan: a suite's cleanup.
set tap_at_done {}

# One assertion: @cond true passes.
proc ok {cond name} {
    incr ::tap_n
    if {$cond} {
        puts "ok $::tap_n - $name"
    } else {
        incr ::tap_failed
        puts "not ok $::tap_n - $name"
    }
    return [expr {$cond ? 1 : 0}]
}

# The same with the name first, as the CLI tests write it.
proc check {name cond} { return [ok $cond $name] }
proc pass {name} { ok 1 $name }
# An assertion not made here, for @why.
proc skip {name why} {
    incr ::tap_n
    puts "ok $::tap_n - $name # SKIP $why"
}
proc fail {name} { ok 0 $name }

proc diag {text} {
    foreach line [split $text "\n"] {
        puts "# $line"
    }
}

proc bail {msg} {
    puts "Bail out! $msg"
    exit 1
}

# Announce @n assertions before the first one.
proc plan {n} {
    set ::tap_plan $n
    puts "1..$n"
}

# Run @script (at global level) in "done", before the plan.
proc at_done {script} {
    lappend ::tap_at_done $script
}

# End the test: the suite's cleanup, the plan if none was announced,
# exit status 1 if an assertion failed or the plan was not kept.
proc done {} {
    foreach script $::tap_at_done {
        uplevel #0 $script
    }
    if {$::tap_plan eq ""} {
        puts "1..$::tap_n"
    } elseif {$::tap_plan != $::tap_n} {
        diag "planned $::tap_plan assertions, ran $::tap_n"
        incr ::tap_failed
    }
    exit [expr {$::tap_failed ? 1 : 0}]
}

# Address of symbol @name in ELF @elf, as 0x-prefixed lower-case hex.
proc sym {elf name} {
    foreach line [split [exec nm $elf] "\n"] {
        if {[lindex $line 2] eq $name} {
            return [format 0x%x [expr {"0x[lindex $line 0]"}]]
        }
    }
    bail "symbol $name not found in $elf"
}

# The QEMU command for a guest of @arch (system mode), serial on stdio.
proc qemu_cmd {arch elf args} {
    switch $arch {
        riscv64 {
            set cmd [list qemu-system-riscv64 -M virt -bios none]
        }
        aarch64 {
            set cmd [list qemu-system-aarch64 -M virt -cpu cortex-a57 \
                         -semihosting]
        }
        x86_64 {
            set cmd [list qemu-system-x86_64 -no-reboot \
                         -device isa-debug-exit,iobase=0xf4,iosize=0x04]
        }
        default { bail "no QEMU command for $arch" }
    }
    return [concat $cmd -display none -serial stdio -kernel $elf $args]
}

# Exit status of a guest that passed.
proc pass_status {arch} {
    return [expr {$arch eq "x86_64" ? 33 : 0}]
}

# Wait until @cond (an expression, in the caller's scope) holds, for at
# most @secs seconds; whether it did.
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

proc wait_for_file {path {secs 20}} {
    return [wait_until {[file exists $path]} $secs]
}

# QEMUs spawned and not yet reaped: spawn id -> pid.
array set qemu_spawned {}
exit -onexit {
    foreach {sid pid} [array get qemu_spawned] {
        catch { exec kill -9 $pid }
    }
}
trap {exit 143} SIGTERM

# Spawn QEMU command @cmd (a list); its spawn id.
proc spawn_qemu {cmd} {
    global spawn_id
    diag "run: $cmd"
    spawn -noecho {*}$cmd
    set ::qemu_spawned($spawn_id) [exp_pid -i $spawn_id]
    return $spawn_id
}

proc qemu_pid {sid} {
    return $::qemu_spawned($sid)
}

# The spawn id of @id, a spawn id or the pid of a spawned QEMU.
proc qemu_sid {id} {
    if {[info exists ::qemu_spawned($id)]} {
        return $id
    }
    foreach {sid pid} [array get ::qemu_spawned] {
        if {$pid == $id} {
            return $sid
        }
    }
    error "no QEMU $id"
}

# Reap QEMU @sid once it ended; its exit status.
proc reap_qemu {sid} {
    catch { expect_after -i $sid }
    catch { close -i $sid }
    set st [lindex [wait -i $sid] 3]
    unset ::qemu_spawned($sid)
    return $st
}

# Wait for QEMU @sid to end; its exit status (-1 after @secs: killed).
proc wait_qemu {sid {secs 60}} {
    set timeout $secs
    expect {
        -i $sid eof { }
        -i $sid timeout {
            exec kill -9 [qemu_pid $sid]
            reap_qemu $sid
            return -1
        }
        -i $sid -re ".+" { exp_continue }
    }
    return [reap_qemu $sid]
}

# End QEMU @id (spawn id or pid) with SIGTERM; its exit status.
proc stop_qemu {id} {
    set sid [qemu_sid $id]
    catch { exec kill [qemu_pid $sid] }
    return [reap_qemu $sid]
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

# Wait (at most @secs) until a UNIX socket at @path listens.
proc wait_listening {path {secs 60}} {
    return [wait_until {[listening $path]} $secs]
}

# A control connection through socat; its spawn id, greeting read (in
# ::greeting).
proc connect {sock} {
    global spawn_id
    # the socket file exists a moment before the plugin accepts on it
    for {set try 0} {$try < 600} {incr try} {
        spawn -noecho socat - UNIX-CONNECT:$sock
        set sid $spawn_id
        set timeout 30
        expect {
            -i $sid -re "(QINSN \[^\r\n\]*)\r?\n" {
                set ::greeting $expect_out(1,string)
                return $sid
            }
            -i $sid timeout { bail "no greeting on $sock" }
            -i $sid eof { catch { wait -i $sid } }
        }
        after 100
    }
    bail "connection to $sock closed"
}

# Send one request and collect its reply: {status data-lines}; events go
# to ::events.
proc request {sid line {secs 20}} {
    set timeout $secs
    send -i $sid -- "$line\n"
    set data {}
    expect {
        -i $sid -re "^(= \[^\r\n\]*)\r?\n" {
            lappend data [string range $expect_out(1,string) 2 end]
            exp_continue
        }
        -i $sid -re "^(! \[^\r\n\]*)\r?\n" {
            lappend ::events $expect_out(1,string)
            exp_continue
        }
        -i $sid -re "^((OK|ERR)\[^\r\n\]*)\r?\n" {
            return [list $expect_out(1,string) $data]
        }
        -i $sid -re "^\[^\r\n\]*\r?\n" {
            return [list "JUNK $expect_out(0,string)" $data]
        }
        -i $sid timeout { return [list TIMEOUT $data] }
        -i $sid eof { return [list EOF $data] }
    }
}

# Value of @key in a "k=v k=v" line ("" when absent).
proc field {line key} {
    foreach kv [split $line " "] {
        if {[string match "$key=*" $kv]} {
            return [string range $kv [expr {[string length $key] + 1}] end]
        }
    }
    return ""
}

# Resume a QEMU started with -S through its QMP socket; the socat spawn id.
proc qmp_cont {path} {
    global spawn_id
    wait_for_file $path
    spawn -noecho socat - UNIX-CONNECT:$path
    set sid $spawn_id
    set timeout 10
    expect -i $sid -re "QMP" { }
    send -i $sid "{\"execute\":\"qmp_capabilities\"}\n"
    expect -i $sid -re "return" { }
    send -i $sid "{\"execute\":\"cont\"}\n"
    expect -i $sid -re "return" { }
    return $sid
}
