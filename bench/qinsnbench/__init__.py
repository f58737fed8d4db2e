"""qinsn's benchmark harness, driven by bench/run.

Modules: common (paths, QEMU binaries, socket clients), workloads (the
freestanding guests and the Linux workload), linux (a Debian kernel with a
busybox initramfs), peers (QEMU's execlog, the naive every-instruction
plugin, gdb through the gdbstub), configs (what each workload is run
with), runner (one timed run), live (request-to-live latency), report
(statistics, targets, CSV/JSON, Markdown), plots (gnuplot) and profile
(perf record).
"""
