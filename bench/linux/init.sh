#!/bin/busybox sh
# /init of the benchmark initramfs: a fixed workload, then power off.
# Kernel command-line words without a dot reach us as variables:
# QBENCH=syms prints the kernel symbols the harness needs instead;
# QBENCH=idle prints a marker and sleeps (a booted guest with nothing to do);
# QBENCH_N sets the number of rounds of the command loop.
/bin/busybox --install -s
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp
echo "qbench start mode=${QBENCH:-work}"
if [ "$QBENCH" = syms ]; then
    # the names come from the kernel command line, comma-separated
    for s in $(echo "$QBENCH_SYMS" | tr , ' '); do
        grep " $s\$" /proc/kallsyms | head -n 1 | sed 's/^/qbench sym /'
    done
elif [ "$QBENCH" = idle ]; then
    # the harness waits for this line, then talks to the plugin
    echo "qbench idle"
    exec sleep 1000000
else
    i=0
    while [ $i -lt "${QBENCH_N:-200}" ]; do
        echo "round $i" >>/tmp/log
        cat /tmp/log >/dev/null
        ls -l /bin >/dev/null
        i=$((i + 1))
    done
    # one byte per read and write: a stream of short system calls
    dd if=/dev/zero of=/dev/null bs=1 count=50000 2>/dev/null
    dd if=/dev/zero of=/tmp/zero bs=4096 count=2048 2>/dev/null
    echo "qbench sha256 $(sha256sum /tmp/zero | cut -d' ' -f1)"
    echo "qbench gzip $(gzip -c /bin/busybox | wc -c)"
    echo "qbench lines $(wc -l </tmp/log)"
fi
echo "qbench done"
poweroff -f
