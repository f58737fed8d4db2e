/*
 * "qinsn run": start the QEMU that matches a guest, with the plugin on a
 * fresh socket in a private directory, then drive it like any other QEMU
 * (REPL, -x script, or stdin) and stop it when done.
 *
 * A kernel ELF picks the system emulator from its e_machine; arguments
 * after "--" that start with '-' are QEMU's own, passed verbatim.  QEMU
 * always gets a QMP socket, so that "continue" can resume a guest started
 * with --paused (-S) once a script has set its watches.  Programs meant for
 * user-mode emulation are recognised (an interpreter, or a GNU ABI note
 * naming Linux) and run under the patched qemu-<arch> (run_user_argv()).
 */
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "launch.h"
#include "session.h"

#define GUEST_EXIT_WAIT_MS 2000
#define USER_EXIT_WAIT_MS 10000

typedef struct RunOptions {
    const char *arch;
    const char *gdb_port;
    const char *log;
    const char *format;
    const char *qemu;
    const char *plugin_args;    /* extra key=value for the plugin */
    bool paused;
    bool user;              /* a Linux program under qemu-<arch> */
    bool help;              /* --help was given: nothing to run */
    char **rest;            /* after the options: kernel or QEMU args */
} RunOptions;

typedef struct RunDir {
    char *dir;
    char *sock;
    char *qmp;
} RunDir;

static const char run_usage[] =
    "usage: qinsn run [--arch ARCH] [--gdb PORT] [--paused] [-x SCRIPT]\n"
    "                 [--log PATH] [--format text|json|ctf] [--qemu BINARY]\n"
    "                 [--user] [--plugin-args K=V,...]\n"
    "                 [--] <kernel.elf> [<qemu-args>...] | <qemu-args>...\n"
    "                      | <program> [<args>...]   (user mode)\n";

enum {
    RUN_ARCH = 256, RUN_GDB, RUN_LOG, RUN_FORMAT, RUN_QEMU, RUN_PAUSED,
    RUN_USER, RUN_PLUGIN_ARGS,
};

static const struct option run_options[] = {
    { "arch", required_argument, NULL, RUN_ARCH },
    { "gdb", required_argument, NULL, RUN_GDB },
    { "log", required_argument, NULL, RUN_LOG },
    { "format", required_argument, NULL, RUN_FORMAT },
    { "qemu", required_argument, NULL, RUN_QEMU },
    { "paused", no_argument, NULL, RUN_PAUSED },
    { "user", no_argument, NULL, RUN_USER },
    { "plugin-args", required_argument, NULL, RUN_PLUGIN_ARGS },
    { "script", required_argument, NULL, 'x' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static bool parse_run(int argc, char **argv, RunOptions *r, CliOptions *o,
                      GError **errp)
{
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "+x:h", run_options, NULL)) != -1) {
        switch (c) {
        case RUN_ARCH: r->arch = optarg; break;
        case RUN_GDB: r->gdb_port = optarg; break;
        case RUN_LOG: r->log = optarg; break;
        case RUN_FORMAT: r->format = optarg; break;
        case RUN_QEMU: r->qemu = optarg; break;
        case RUN_PAUSED: r->paused = true; break;
        case RUN_USER: r->user = true; break;
        case RUN_PLUGIN_ARGS: r->plugin_args = optarg; break;
        case 'x': o->script = optarg; break;
        case 'h':
            fputs(run_usage, stdout);
            r->help = true;
            return true;
        default:
            g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE, "%s", run_usage);
            return false;
        }
    }
    r->rest = argv + optind;
    if (!*r->rest) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "run: no guest given\n%s", run_usage);
        return false;
    }
    return true;
}

static bool plugin_exists(const char *p)
{
    return g_file_test(p, G_FILE_TEST_IS_REGULAR);
}

/* $QINSN_PLUGIN, the build tree next to this binary, the installed one. */
static char *find_plugin(GError **errp)
{
    const char *env = g_getenv("QINSN_PLUGIN");
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = exe ? g_path_get_dirname(exe) : NULL;
    g_autofree char *built = dir ? g_build_filename(dir, "..", "plugin",
                                                    "libqinsn.so", NULL)
                                 : NULL;

    if (env && *env) {
        return g_strdup(env);
    }
    if (built && plugin_exists(built)) {
        return g_steal_pointer(&built);
    }
    if (plugin_exists(QINSN_PLUGIN_PATH)) {
        return g_strdup(QINSN_PLUGIN_PATH);
    }
    g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                "the qinsn plugin is not installed at %s nor built next to "
                "this qinsn; set $QINSN_PLUGIN to libqinsn.so",
                QINSN_PLUGIN_PATH);
    return NULL;
}

static void machine_args(GPtrArray *a, const char *arch)
{
    if (g_str_equal(arch, "riscv64")) {
        g_ptr_array_add(a, g_strdup("-M"));
        g_ptr_array_add(a, g_strdup("virt"));
        g_ptr_array_add(a, g_strdup("-bios"));
        g_ptr_array_add(a, g_strdup("none"));
    } else if (g_str_equal(arch, "aarch64")) {
        g_ptr_array_add(a, g_strdup("-M"));
        g_ptr_array_add(a, g_strdup("virt"));
        g_ptr_array_add(a, g_strdup("-cpu"));
        g_ptr_array_add(a, g_strdup("cortex-a57"));
        g_ptr_array_add(a, g_strdup("-semihosting"));
    } else if (g_str_equal(arch, "x86_64")) {
        g_ptr_array_add(a, g_strdup("-device"));
        g_ptr_array_add(a, g_strdup("isa-debug-exit,iobase=0xf4,"
                                    "iosize=0x04"));
        g_ptr_array_add(a, g_strdup("-no-reboot"));
    }
    g_ptr_array_add(a, g_strdup("-display"));
    g_ptr_array_add(a, g_strdup("none"));
    g_ptr_array_add(a, g_strdup("-serial"));
    g_ptr_array_add(a, g_strdup("stdio"));
}

/* What every QEMU started by run gets: the plugin, QMP, run control. */
static char *plugin_option(const RunOptions *r, const char *plugin,
                           const RunDir *d, const char *default_log)
{
    const char *log = r->log ? r->log : default_log;

    return g_strdup_printf("%s,sock=%s%s%s%s%s%s%s", plugin, d->sock,
                           log ? ",log=" : "", log ? log : "",
                           r->format ? ",format=" : "",
                           r->format ? r->format : "",
                           r->plugin_args ? "," : "",
                           r->plugin_args ? r->plugin_args : "");
}

static void qinsn_args(GPtrArray *a, const RunOptions *r, const char *plugin,
                       const RunDir *d)
{
    g_ptr_array_add(a, g_strdup("-plugin"));
    g_ptr_array_add(a, plugin_option(r, plugin, d, "/dev/null"));
    g_ptr_array_add(a, g_strdup("-qmp"));
    g_ptr_array_add(a, g_strdup_printf("unix:%s,server=on,wait=off",
                                       d->qmp));
    if (r->gdb_port) {
        g_ptr_array_add(a, g_strdup("-gdb"));
        g_ptr_array_add(a, g_strdup_printf("tcp::%s", r->gdb_port));
    }
    if (r->gdb_port || r->paused) {
        g_ptr_array_add(a, g_strdup("-S"));
    }
}

/*
 * A Linux program under user-mode emulation: qemu-<arch> from the patched
 * QEMU ($QINSN_PATCHED_QEMU, which qemu-patch/build prints), since Debian's
 * qemu-user binaries cannot load plugins.  There is no QMP in user mode:
 * to set watches before the first instruction, give them as plugin
 * arguments (--plugin-args watch=ADDR,regs=...) or hold the program with
 * --gdb PORT.  The log goes to stderr unless --log says otherwise.
 */
static GPtrArray *run_user_argv(const RunOptions *r, const RunDir *d,
                                const char *plugin, const char *arch,
                                GError **errp)
{
    g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func(g_free);
    const char *prefix = g_getenv("QINSN_PATCHED_QEMU");

    if (r->paused) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "run: --paused needs a system emulator; in user mode "
                    "give watches with --plugin-args, or hold the program "
                    "with --gdb PORT");
        return NULL;
    }
    if (r->qemu) {
        g_ptr_array_add(a, g_strdup(r->qemu));
    } else if (prefix && *prefix) {
        g_ptr_array_add(a, g_strdup_printf("%s/bin/qemu-%s", prefix, arch));
    } else {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "run: user mode needs the patched QEMU (Debian's "
                    "qemu-%s cannot load plugins): run qemu-patch/build and "
                    "set QINSN_PATCHED_QEMU to the prefix it prints, or "
                    "give --qemu", arch);
        return NULL;
    }
    if (r->gdb_port) {
        g_ptr_array_add(a, g_strdup("-g"));
        g_ptr_array_add(a, g_strdup(r->gdb_port));
    }
    g_ptr_array_add(a, g_strdup("-plugin"));
    g_ptr_array_add(a, plugin_option(r, plugin, d, NULL));
    for (char **p = r->rest; *p; p++) {
        g_ptr_array_add(a, g_strdup(*p));
    }
    g_ptr_array_add(a, NULL);
    return g_steal_pointer(&a);
}

static GPtrArray *build_argv(const RunOptions *r, const RunDir *d,
                             ElfFile *elf, GError **errp)
{
    g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *plugin = find_plugin(errp);
    const char *arch = r->arch ? r->arch : elf ? elf->arch : NULL;
    char **extra = r->rest + (elf ? 1 : 0);

    if (!plugin) {
        return NULL;
    }
    if (!arch) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "run: which QEMU? give --arch (x86_64, riscv64, "
                    "aarch64)%s", elf ? ": the ELF's machine is unknown" : "");
        return NULL;
    }
    if (r->user || (elf && elf->dynamic)) {
        return run_user_argv(r, d, plugin, arch, errp);
    }
    g_ptr_array_add(a, r->qemu ? g_strdup(r->qemu)
                               : g_strdup_printf("qemu-system-%s", arch));
    if (elf) {
        machine_args(a, arch);
        g_ptr_array_add(a, g_strdup("-kernel"));
        g_ptr_array_add(a, g_strdup(elf->path));
    }
    for (; *extra; extra++) {
        g_ptr_array_add(a, g_strdup(*extra));
    }
    qinsn_args(a, r, plugin, d);
    g_ptr_array_add(a, NULL);
    return g_steal_pointer(&a);
}

static bool rundir_make(RunDir *d, GError **errp)
{
    d->dir = g_dir_make_tmp("qinsn-run-XXXXXX", errp);
    if (!d->dir) {
        g_prefix_error(errp, "run: ");
        return false;
    }
    d->sock = g_build_filename(d->dir, "qinsn.sock", NULL);
    d->qmp = g_build_filename(d->dir, "qmp.sock", NULL);
    return true;
}

static void rundir_remove(RunDir *d)
{
    if (d->dir) {
        unlink(d->sock);
        unlink(d->qmp);
        rmdir(d->dir);
    }
    g_free(d->dir);
    g_free(d->sock);
    g_free(d->qmp);
}

typedef struct RunState {
    Launch launch;
    Session *session;
    bool user;              /* a program: let it end by itself */
} RunState;

static void print_serial(const char *text, void *opaque)
{
    session_print(opaque, text, true);
}

/* QEMU's stdout (the guest's serial) is readable: relay it to stderr. */
static void serial_ready(int fd, void *opaque)
{
    RunState *st = opaque;

    launch_read_output(&st->launch, print_serial, st->session, false);
    if (st->launch.out_fd < 0) {
        conn_set_aux(st->session->conn, -1, NULL, NULL);
    }
}

/* The "wait" command's view of QEMU (session.h: SessionQemuWaitFn). */
static bool qemu_wait(void *opaque, int timeout_ms)
{
    RunState *st = opaque;
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000LL;

    while (!launch_exited(&st->launch)) {
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        struct pollfd p = { .fd = st->launch.out_fd, .events = POLLIN };

        if (left <= 0) {
            return false;
        }
        /* short slices: the exit itself wakes nobody */
        if (p.fd >= 0 && poll(&p, 1, MIN(left, 20)) > 0) {
            launch_read_output(&st->launch, print_serial, st->session, false);
        } else if (p.fd < 0) {
            g_usleep(MIN(left, 20) * 1000);
        }
    }
    return true;
}

static bool start_qemu(RunState *st, const RunOptions *r, const RunDir *d,
                       ElfFile *elf, GError **errp)
{
    g_autoptr(GPtrArray) argv = build_argv(r, d, elf, errp);
    Conn *c;

    if (!argv || !launch_start(&st->launch, (char **)argv->pdata,
                               elf != NULL, errp) ||
        !launch_wait_socket(&st->launch, d->sock, errp)) {
        return false;
    }
    c = conn_open(d->sock, errp);
    if (!c && launch_wait_exit(&st->launch, GUEST_EXIT_WAIT_MS)) {
        g_autofree char *how = launch_describe_exit(&st->launch);

        g_clear_error(errp);
        g_set_error(errp, CLI_ERROR, CLI_EXIT_CONNECT,
                    "QEMU %s before qinsn could connect: the guest ran to "
                    "its end (start it with --paused to set watches first)",
                    how);
    }
    if (!c) {
        return false;
    }
    st->session = session_new(c, false);
    st->session->qmp_path = g_strdup(d->qmp);
    st->session->qemu_wait = qemu_wait;
    st->session->qemu_opaque = st;
    if (st->launch.out_fd >= 0) {
        conn_set_aux(c, st->launch.out_fd, serial_ready, st);
    }
    return true;
}

/* Stop QEMU unless it ended by itself, which is then reported. */
static void finish_qemu(RunState *st)
{
    /* a closed connection means QEMU is on its way out: let it finish */
    bool closing = st->session && !conn_is_open(st->session->conn);
    /* a program in user mode is left to finish its run, then stopped */
    bool by_itself = closing || st->user ?
        launch_wait_exit(&st->launch, st->user ? USER_EXIT_WAIT_MS :
                         GUEST_EXIT_WAIT_MS) :
        launch_exited(&st->launch);

    launch_stop(&st->launch);
    while (st->launch.out_fd >= 0) {
        launch_read_output(&st->launch, print_serial, st->session, true);
    }
    if (by_itself) {
        g_autofree char *how = launch_describe_exit(&st->launch);
        fprintf(stderr, "qinsn: QEMU %s\n", how);
    }
}

static ElfFile *open_guest(const RunOptions *r, GError **errp)
{
    if (r->rest[0][0] == '-') {
        return NULL;
    }
    return elf_open(r->rest[0], errp);
}

int run_main(int argc, char **argv, CliOptions *o)
{
    g_autoptr(GError) err = NULL;
    RunOptions r = { 0 };
    RunDir d = { 0 };
    RunState st = { 0 };
    bool repl = false;
    int rc;

    if (!parse_run(argc, argv, &r, o, &err)) {
        cli_report(err);
        return cli_exit_code(err);
    }
    if (r.help) {
        return CLI_EXIT_OK;
    }
    {
        g_autoptr(ElfFile) elf = open_guest(&r, &err);

        st.user = r.user || (elf && elf->dynamic);
        if ((!elf && err) || !rundir_make(&d, &err) ||
            !start_qemu(&st, &r, &d, elf, &err)) {
            if (st.launch.pid > 0) {
                finish_qemu(&st);
            }
            rundir_remove(&d);
            cli_report(err);
            return cli_exit_code(err);
        }
        st.session->elf = g_steal_pointer(&elf);
    }
    st.session->json = o->json;
    repl = !o->script && isatty(STDIN_FILENO);
    if (repl) {
        fprintf(stderr, "qinsn: QEMU pid %d (%s%s), socket %s; 'quit' stops "
                "it\n", (int)st.launch.pid, st.session->conn->arch,
                r.paused || r.gdb_port ? ", paused" : "", d.sock);
    }
    rc = cli_drive(st.session, o);
    /* the socket closes just before QEMU exits */
    if (repl && rc == CLI_EXIT_CONNECT &&
        launch_wait_exit(&st.launch, GUEST_EXIT_WAIT_MS)) {
        rc = CLI_EXIT_OK;   /* the guest ended the session */
    }
    finish_qemu(&st);
    session_free(st.session);
    rundir_remove(&d);
    return rc;
}
