/*
 * The guest program, as QEMU was told it.
 *
 * System mode: the file after -kernel on QEMU's own command line
 * (/proc/self/cmdline), whatever it is; a client checks whether it is an
 * ELF file with symbols (a compressed kernel image is not).
 *
 * User mode: what the kernel interface tells the guest itself, read from
 * the guest's initial stack when its vCPU starts (argc, argv, envp, then
 * the auxiliary vector): AT_EXECFN names the program, AT_ENTRY is where
 * its entry point was loaded, and the difference with the file's e_entry
 * is the load offset (0 unless it is position-independent; for a dynamic
 * program too, whose first instruction is the interpreter's).  The stack
 * is read as 64-bit little-endian words, as every supported guest has
 * them.  QEMU 10.0's
 * qemu_plugin_path_to_binary() and qemu_plugin_start_code() are not
 * exported by its user-mode binaries, so a plugin referring to them does
 * not load there.
 *
 * Written once, read by the control thread: under a lock.
 */
#include <elf.h>
#include <inttypes.h>
#include <string.h>

#include <qemu-plugin.h>

#include "program.h"
#include "proto.h"

static GMutex lock;
static char *cwd;           /* QEMU's directory at install */
static char *path;          /* absolute, or NULL while unknown */
static bool user_mode;
static bool tried;          /* user mode: the stack was read once */
static bool load_known;
static uint64_t load;

static char *absolute(const char *p)
{
    return g_canonicalize_filename(p, cwd);
}

/* The argument of -kernel (or --kernel) in /proc/self/cmdline. */
static char *kernel_arg(void)
{
    g_autofree char *cmdline = NULL;
    gsize len;

    if (!g_file_get_contents("/proc/self/cmdline", &cmdline, &len, NULL)) {
        return NULL;
    }
    for (gsize off = 0; off < len; off += strlen(cmdline + off) + 1) {
        const char *w = cmdline + off;
        gsize next = off + strlen(w) + 1;

        if ((g_str_equal(w, "-kernel") || g_str_equal(w, "--kernel")) &&
            next < len) {
            return absolute(cmdline + next);
        }
    }
    return NULL;
}

void program_init(bool system_mode)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

    cwd = g_get_current_dir();
    user_mode = !system_mode;
    if (system_mode) {
        path = kernel_arg();
    }
}

/* The e_entry of the ELF file at @file. */
static bool file_entry(const char *file, uint64_t *entry)
{
    g_autofree char *data = NULL;
    gsize size;

    if (!g_file_get_contents(file, &data, &size, NULL) ||
        size < sizeof(Elf64_Ehdr) || memcmp(data, ELFMAG, SELFMAG) != 0 ||
        data[EI_CLASS] != ELFCLASS64) {
        return false;
    }
    *entry = ((const Elf64_Ehdr *)data)->e_entry;
    return true;
}

/* A 64-bit little-endian word of guest memory; vCPU thread only. */
static bool guest_word(uint64_t addr, uint64_t *value)
{
    g_autoptr(GByteArray) buf = g_byte_array_new();

    if (!qemu_plugin_read_memory_vaddr(addr, buf, 8) || buf->len != 8) {
        return false;
    }
    *value = GUINT64_FROM_LE(*(uint64_t *)buf->data);
    return true;
}

/* The stack pointer of the current vCPU (by its gdb name). */
static bool stack_pointer(uint64_t *sp)
{
    g_autoptr(GArray) regs = qemu_plugin_get_registers();
    g_autoptr(GByteArray) buf = g_byte_array_new();

    for (guint i = 0; regs && i < regs->len; i++) {
        qemu_plugin_reg_descriptor *d =
            &g_array_index(regs, qemu_plugin_reg_descriptor, i);

        if ((g_str_equal(d->name, "sp") || g_str_equal(d->name, "rsp")) &&
            qemu_plugin_read_register(d->handle, buf) == 8) {
            *sp = GUINT64_FROM_LE(*(uint64_t *)buf->data);
            return true;
        }
    }
    return false;
}

/* A NUL-terminated string of guest memory, at most @max bytes. */
static char *guest_string(uint64_t addr, size_t max)
{
    g_autoptr(GString) s = g_string_new(NULL);
    g_autoptr(GByteArray) buf = g_byte_array_new();

    while (s->len < max && qemu_plugin_read_memory_vaddr(addr + s->len,
                                                         buf, 1)) {
        if (!buf->data[0]) {
            return g_string_free(g_steal_pointer(&s), false);
        }
        g_string_append_c(s, buf->data[0]);
    }
    return NULL;
}

/* AT_EXECFN and AT_ENTRY from the initial stack at @sp. */
static bool read_auxv(uint64_t sp, char **execfn, uint64_t *entry)
{
    uint64_t argc, p, key, value, fn = 0;
    bool have_entry = false;

    if (!guest_word(sp, &argc) || argc > 0x100000) {
        return false;
    }
    p = sp + 8 * (argc + 2);            /* past argv and its NULL */
    for (int n = 0; guest_word(p, &value) && value; n++, p += 8) {
        if (n > 0x100000) {
            return false;               /* no end to envp: not a stack */
        }
    }
    for (p += 8; guest_word(p, &key) && key != AT_NULL; p += 16) {
        if (!guest_word(p + 8, &value)) {
            return false;
        }
        if (key == AT_ENTRY) {
            *entry = value;
            have_entry = true;
        } else if (key == AT_EXECFN) {
            fn = value;
        }
    }
    *execfn = fn ? guest_string(fn, 4096) : NULL;
    return *execfn && have_entry;
}

void program_learn(void)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
    g_autofree char *execfn = NULL;
    uint64_t sp = 0, entry = 0, file_e = 0;

    if (!user_mode || path || tried) {
        return;
    }
    tried = true;
    if (!stack_pointer(&sp) || !read_auxv(sp, &execfn, &entry)) {
        return;
    }
    path = absolute(execfn);
    if (file_entry(path, &file_e)) {
        load = entry - file_e;
        load_known = true;
    }
}

void program_stats(GString *text)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

    if (!path) {
        return;
    }
    g_string_append(text, "= program=");
    qinsn_quote(text, path);
    g_string_append_c(text, '\n');
    if (load_known) {
        g_string_append_printf(text, "= load=0x%" PRIx64 "\n", load);
    }
}
