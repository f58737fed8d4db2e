/*
 * The one command table of qinsn (see QinsnCommandSpec in proto.h): the
 * plugin's commands and the client's own, with their arguments, options
 * and summaries.
 */
#include "proto.h"

static const char *const watch_keys[] = {
    "regs", "if", "ignore", "count", "cpu", "mem", "str", "sym", NULL
};
static const char *const watch_flags[] = { "once", NULL };
static const char *const watch_mem_keys[] = {
    "regs", "if", "ignore", "count", "cpu", "sym", NULL
};

static const char *const decode_flags[] = { "--json", NULL };

#define PLUGIN QINSN_CMD_PLUGIN
#define CLIENT QINSN_CMD_CLIENT
#define SHELL QINSN_CMD_SHELL

static const QinsnCommandSpec commands[] = {
    { .name = "watch", .args = "<addr>[..<end>]", .min_args = 1,
      .max_args = 1, .keys = watch_keys, .flags = watch_flags,
      .served = PLUGIN, .changes = true,
      .summary = "log registers each time the instruction(s) at an "
      "address run" },
    { .name = "break", .args = "<addr>[..<end>]", .min_args = 1,
      .max_args = 1, .keys = watch_keys, .flags = watch_flags,
      .served = PLUGIN, .changes = true,
      .summary = "log as watch does, and stop the guest at each logged "
      "hit" },
    { .name = "watch-mem", .args = "<addr> <len> [r|w|rw]", .min_args = 2,
      .max_args = 3, .keys = watch_mem_keys, .flags = watch_flags,
      .served = PLUGIN, .changes = true,
      .summary = "log the loads and stores that touch an address range" },
    { .name = "unwatch", .args = "<id>|<addr>|all", .min_args = 1,
      .max_args = 1, .served = PLUGIN, .summary = "remove watches" },
    { .name = "enable", .args = "<id>", .min_args = 1, .max_args = 1,
      .served = PLUGIN, .summary = "re-enable a watch" },
    { .name = "disable", .args = "<id>", .min_args = 1, .max_args = 1,
      .served = PLUGIN,
      .summary = "stop logging a watch without removing it" },
    { .name = "list", .args = "", .served = PLUGIN,
      .summary = "list watches" },
    { .name = "log", .args = "[<reg>...]", .max_args = -1, .served = PLUGIN,
      .summary = "set (or show) the default registers of new watches" },
    { .name = "regs", .args = "", .served = PLUGIN,
      .summary = "list the target's registers: name, gdb number, size" },
    { .name = "subscribe", .args = "", .served = PLUGIN,
      .summary = "receive hit events on this connection" },
    { .name = "unsubscribe", .args = "", .served = PLUGIN,
      .summary = "stop hit events" },
    { .name = "mark", .args = "<token>", .min_args = 1, .max_args = 1,
      .served = PLUGIN,
      .summary = "put a marker in the log, in execution order" },
    { .name = "stats", .args = "", .served = PLUGIN,
      .summary = "counters and flush path" },
    { .name = "flush", .args = "", .served = PLUGIN, .changes = true,
      .summary = "flush translated code now" },
    { .name = "overflow", .args = "[wait|drop]", .max_args = 1,
      .served = PLUGIN,
      .summary = "when the log falls behind: wait for it (lossless) or "
      "drop hits" },
    { .name = "help", .args = "[<command>]", .max_args = 1,
      .served = PLUGIN | CLIENT, .summary = "list commands" },
    { .name = "quit", .alias = "exit", .args = "", .served = PLUGIN | CLIENT,
      .summary = "close this connection",
      .client_summary = "leave the client (after qinsn run: stop QEMU "
      "too)" },
    /* the client's own */
    { .name = "tail", .alias = "follow", .args = "[<count>]",
      .max_args = 1, .served = CLIENT,
      .summary = "print hits as they happen, until Ctrl-C, <count> hits, "
      "or QEMU exits" },
    { .name = "continue", .args = "", .served = CLIENT,
      .summary = "resume a guest started paused (qinsn run --paused, or "
      "--qmp)" },
    { .name = "run", .args = "[<options>] -- <kernel.elf>|<qemu-args>",
      .max_args = -1, .served = CLIENT | SHELL,
      .summary = "start QEMU with the plugin and connect (from the "
      "shell)" },
    { .name = "wait", .args = "[<seconds>]", .max_args = 1, .served = CLIENT,
      .summary = "wait until QEMU exits (qinsn run); after <seconds>, end "
      "it and fail" },
    { .name = "diff", .args = "[<options>] <A> <B>", .max_args = -1,
      .served = CLIENT | SHELL,
      .summary = "the first divergent hit between two logs (from the "
      "shell)" },
    { .name = "decode", .args = "<dir>", .min_args = 1, .max_args = 1,
      .flags = decode_flags, .served = CLIENT,
      .summary = "print a CTF trace (format=ctf) as the text log, or JSON "
      "with --json" },
};

#undef PLUGIN
#undef CLIENT
#undef SHELL

const QinsnCommandSpec *qinsn_proto_commands(size_t *n)
{
    *n = G_N_ELEMENTS(commands);
    return commands;
}

const QinsnCommandSpec *qinsn_proto_find_command(const char *name)
{
    const QinsnCommandSpec *c = qinsn_proto_find_any(name);

    return c && (c->served & QINSN_CMD_PLUGIN) &&
        g_str_equal(c->name, name) ? c : NULL;
}

const QinsnCommandSpec *qinsn_proto_find_any(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (g_str_equal(commands[i].name, name) ||
            g_strcmp0(commands[i].alias, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}
