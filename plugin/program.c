/*
 * The guest program, as QEMU was told it.
 *
 * System mode: the file after -kernel on QEMU's own command line
 * (/proc/self/cmdline), whatever it is; a client checks whether it is an
 * ELF file with symbols (a compressed kernel image is not).  User mode:
 * QEMU's path to the program, and where it was loaded: the API gives the
 * start of its text, the program's headers where that text starts in the
 * file's addresses, and the difference is the load offset (0 unless the
 * program is position-independent).  The user-mode API needs a vCPU
 * thread, hence program_learn() from vcpu_init.
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
static bool load_known;
static uint64_t load;

static char *absolute(const char *p)
{
    return g_path_is_absolute(p) ? g_strdup(p)
                                 : g_build_filename(cwd, p, NULL);
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

/* The lowest address of an executable segment, as the file says. */
static bool text_vaddr(const char *file, uint64_t *vaddr)
{
    g_autofree char *data = NULL;
    const Elf64_Ehdr *h;
    gsize size;
    bool found = false;

    if (!g_file_get_contents(file, &data, &size, NULL) ||
        size < sizeof(*h) || memcmp(data, ELFMAG, SELFMAG) != 0 ||
        data[EI_CLASS] != ELFCLASS64) {
        return false;
    }
    h = (const Elf64_Ehdr *)data;
    if (h->e_phentsize != sizeof(Elf64_Phdr) || h->e_phoff > size ||
        (size - h->e_phoff) / sizeof(Elf64_Phdr) < h->e_phnum) {
        return false;
    }
    for (unsigned i = 0; i < h->e_phnum; i++) {
        const Elf64_Phdr *ph = (const Elf64_Phdr *)(data + h->e_phoff) + i;

        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) &&
            (!found || ph->p_vaddr < *vaddr)) {
            *vaddr = ph->p_vaddr;
            found = true;
        }
    }
    return found;
}

void program_learn(void)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
    g_autofree char *bin = NULL;
    uint64_t vaddr = 0;

    if (!user_mode || path) {
        return;
    }
    bin = (char *)qemu_plugin_path_to_binary();
    if (!bin) {
        return;
    }
    path = absolute(bin);
    if (text_vaddr(path, &vaddr)) {
        load = qemu_plugin_start_code() - vaddr;
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
