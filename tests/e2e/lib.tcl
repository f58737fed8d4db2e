# Shared helpers of qinsn's expect end-to-end tests.
#
# Tests print TAP: a plan, then one "ok N - name" or "not ok N - name" per
# assertion.  QEMU runs for real; the plugin's socket is spoken to with socat
# and its JSON log is read back.  Timeouts and unexpected ends of file are
# failures, never passes.

set tap_n 0
set tap_failed 0
set timeout 30
log_user 0
match_max -d 262144
set stty_init "raw -echo"

proc plan {n} { puts "1..$n" }

proc ok {cond name} {
    global tap_n tap_failed
    incr tap_n
    if {$cond} {
        puts "ok $tap_n - $name"
    } else {
        puts "not ok $tap_n - $name"
        incr tap_failed
    }
}

proc diag {msg} {
    foreach line [split $msg "\n"] { puts "# $line" }
}

proc bail {msg} {
    puts "Bail out! $msg"
    exit 1
}

proc done {} {
    global tap_failed
    exit [expr {$tap_failed ? 1 : 0}]
}

# Address of symbol $sym in ELF $elf, as 0x-prefixed lower-case hex.
proc sym {elf sym} {
    foreach line [split [exec nm $elf] "\n"] {
        if {[lindex $line 2] eq $sym} {
            return [format 0x%x [expr {"0x[lindex $line 0]"}]]
        }
    }
    bail "symbol $sym not found in $elf"
}

# The QEMU command for a guest of $arch (system mode).
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

# Expected-values file: list of {label hit {reg val ...}} and flag lines.
proc read_expected {path} {
    set f [open $path]
    set rows {}
    set flags {}
    foreach line [split [read $f] "\n"] {
        set line [string trim $line]
        if {$line eq "" || [string index $line 0] eq "#"} { continue }
        set kind [lindex $line 0]
        if {$kind eq "FLAGS"} {
            set pairs {}
            foreach kv [lrange $line 3 end] {
                lappend pairs {*}[split $kv =]
            }
            lappend flags [list [lindex $line 1] [lindex $line 2] $pairs]
            continue
        }
        set pairs {}
        foreach kv [lrange $line 2 end] {
            lappend pairs {*}[split $kv =]
        }
        lappend rows [list $kind [lindex $line 1] $pairs]
    }
    close $f
    return [list $rows $flags]
}

proc read_file {path} {
    set f [open $path]
    set data [read $f]
    close $f
    return $data
}

# Hit records of a JSON log: list of dicts with watch cpu pc hit regs stale.
# The log is read incrementally: a busy log is parsed once, not per poll.
array set json_cache {}
proc json_hits {path} {
    global json_cache
    if {![info exists json_cache($path,off)] ||
        [file size $path] < $json_cache($path,off)} {
        set json_cache($path,off) 0
        set json_cache($path,hits) {}
        set json_cache($path,part) ""
    }
    set f [open $path]
    seek $f $json_cache($path,off)
    set chunk [read $f]
    set json_cache($path,off) [tell $f]
    close $f
    set lines [split "$json_cache($path,part)$chunk" "\n"]
    set json_cache($path,part) [lindex $lines end]
    foreach line [lrange $lines 0 end-1] {
        if {![regexp {^\{"type":"hit","watch":(\d+),"cpu":(\d+),"pc":"(0x[0-9a-f]+)","hit":(\d+),"regs":\{([^\}]*)\}(.*)\}$} \
                  $line -> w cpu pc hit regs rest]} {
            continue
        }
        set rd {}
        foreach {-> k v} [regexp -all -inline {"([^"]+)":"(0x[0-9a-f]+)"} $regs] {
            dict set rd $k $v
        }
        set stale {}
        if {[regexp {"stale":\[([^\]]*)\]} $rest -> s]} {
            set stale [string map {\" ""} [split $s ,]]
        }
        lappend json_cache($path,hits) [dict create watch $w cpu $cpu pc $pc \
            hit $hit regs $rd stale $stale rest $rest]
    }
    return $json_cache($path,hits)
}

proc json_lines {path type} {
    set out {}
    foreach line [split [read_file $path] "\n"] {
        if {[string match "\{\"type\":\"$type\"*" $line]} {
            lappend out $line
        }
    }
    return $out
}

# Start a QEMU in the background; returns its spawn id.  Whatever way the
# test ends, the QEMUs it started end with it.
set qemu_pids {}
exit -onexit {
    foreach pid $qemu_pids { catch { exec kill -9 $pid } }
}
proc start_qemu {cmd} {
    global spawn_id qemu_pids
    diag "run: $cmd"
    eval spawn -noecho $cmd
    lappend qemu_pids [exp_pid -i $spawn_id]
    return $spawn_id
}

# Wait for a spawned QEMU to end; returns its exit status (-1 on timeout).
proc wait_qemu {sid {secs 60}} {
    set timeout $secs
    expect {
        -i $sid eof { }
        -i $sid timeout { exec kill [exp_pid -i $sid]; return -1 }
        -i $sid -re ".+" { exp_continue }
    }
    set st [wait -i $sid]
    return [lindex $st 3]
}

proc stop_qemu {sid} {
    catch { exec kill [exp_pid -i $sid] }
    catch { close -i $sid }
    catch { wait -i $sid }
}

proc wait_for_file {path {secs 20}} {
    for {set i 0} {$i < $secs * 20} {incr i} {
        if {[file exists $path]} { return 1 }
        after 50
    }
    return 0
}

# A control connection through socat; returns its spawn id, greeting read.
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

# Send one request and collect its reply: {status data-lines}.
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

# Value of key in a "k=v k=v" line.
proc field {line key} {
    foreach kv [split $line " "] {
        if {[string match "$key=*" $kv]} {
            return [string range $kv [expr {[string length $key] + 1}] end]
        }
    }
    return ""
}

# Wait until the log holds at least $n hit records of watch $w.
proc wait_hits {log w n {secs 30}} {
    set got {}
    for {set i 0} {$i <= $secs * 10} {incr i} {
        set got {}
        foreach h [json_hits $log] {
            if {[dict get $h watch] == $w} { lappend got $h }
        }
        if {[llength $got] >= $n || $i == $secs * 10} { return $got }
        after 100
    }
    return $got
}

# Once watch $w logs nothing more (disabled or spent): wait until the log
# holds every record the plugin counted for it, and return that count (-1 if
# it never does).
proc settled_hits {c log w {secs 30}} {
    for {set i 0} {$i <= $secs * 10} {incr i} {
        lassign [request $c list] st data
        set logged -1
        foreach line $data {
            if {[field $line id] == $w} { set logged [field $line logged] }
        }
        set n [llength [wait_hits $log $w 0 0]]
        if {$n == $logged} { return $n }
        after 100
    }
    return -1
}

# Poll until the log holds a record of type $type (e.g. mark): all of them.
proc wait_lines {log type {secs 30}} {
    for {set i 0} {$i <= $secs * 10} {incr i} {
        set got [json_lines $log $type]
        if {[llength $got] || $i == $secs * 10} { return $got }
        after 100
    }
}

# Resume a QEMU started with -S through its QMP socket.
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

# Records of a JSON log of the given type (e.g. mem) as dicts.
proc json_records {path type} {
    set out {}
    foreach line [json_lines $path $type] {
        set d {}
        foreach {-> k v} [regexp -all -inline {"([a-z]+)":("[^"]*"|\d+)} \
                              [regsub {"regs":\{[^\}]*\}} $line ""]] {
            dict set d $k [string trim $v \"]
        }
        set regs {}
        if {[regexp {"regs":\{([^\}]*)\}} $line -> r]} {
            foreach {-> k v} [regexp -all -inline {"([^"]+)":"([^"]*)"} $r] {
                dict set regs $k $v
            }
        }
        dict set d regs $regs
        lappend out $d
    }
    return $out
}
