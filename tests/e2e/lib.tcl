# What only qinsn's expect end-to-end tests need: the expected-values
# files of the probe guests and the plugin's JSON log read back.  TAP, QEMU
# processes, symbols and the control socket through socat come from
# tests/lib/qinsn.tcl.  Timeouts and unexpected ends of file are failures,
# never passes.

source [file join [file dirname [info script]] .. lib qinsn.tcl]

set timeout 30
match_max -d 262144
set stty_init "raw -echo"

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
