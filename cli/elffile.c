/*
 * Reading guest ELF files: header, program headers (for an interpreter,
 * and where the code is) and the symbol table.  Only little-endian files
 * are read; the symbol table and code only of 64-bit ones, which every
 * supported guest is.
 */
#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "elffile.h"
#include "proto.h"

typedef struct ElfSym {
    char *name;
    uint64_t addr;
    uint64_t size;
} ElfSym;

/* An executable segment's bytes in the file. */
typedef struct ElfCode {
    uint64_t vaddr;
    uint64_t offset;
    uint64_t filesz;
} ElfCode;

static void sym_clear(gpointer p)
{
    g_free(((ElfSym *)p)->name);
}

void elf_free(ElfFile *e)
{
    if (!e) {
        return;
    }
    g_free(e->path);
    if (e->syms) {
        g_array_unref(e->syms);
    }
    if (e->code) {
        g_array_unref(e->code);
    }
    g_free(e);
}

static const char *arch_of(unsigned machine)
{
    switch (machine) {
    case EM_X86_64:
    case EM_386:
        return "x86_64";
    case EM_AARCH64:
        return "aarch64";
    case EM_RISCV:
        return "riscv64";
    }
    return NULL;
}

static bool in_file(gsize size, uint64_t off, uint64_t len)
{
    return off <= size && len <= size - off;
}

/*
 * A static Linux program carries a GNU ABI tag note naming Linux (OS 0);
 * a bare-metal kernel does not.  Either way it is for user-mode emulation.
 */
static bool linux_abi_note(const char *p, uint64_t len)
{
    uint64_t off = 0;

    while (off + sizeof(Elf64_Nhdr) <= len) {
        const Elf64_Nhdr *n = (const Elf64_Nhdr *)(p + off);
        uint64_t name = off + sizeof(*n);
        uint64_t desc = name + ((n->n_namesz + 3) & ~3u);

        if (desc + ((n->n_descsz + 3) & ~3u) > len) {
            return false;
        }
        if (n->n_type == NT_GNU_ABI_TAG && n->n_namesz == 4 &&
            memcmp(p + name, "GNU", 4) == 0 && n->n_descsz >= 4 &&
            *(const uint32_t *)(p + desc) == ELF_NOTE_OS_LINUX) {
            return true;
        }
        off = desc + ((n->n_descsz + 3) & ~3u);
    }
    return false;
}

/* The interpreter (or a Linux ABI note), and the executable segments. */
static void read_segments(ElfFile *e, const char *data, gsize size)
{
    const Elf64_Ehdr *h = (const Elf64_Ehdr *)data;

    if (!in_file(size, h->e_phoff, (uint64_t)h->e_phnum * sizeof(Elf64_Phdr))) {
        return;
    }
    for (unsigned i = 0; i < h->e_phnum; i++) {
        const Elf64_Phdr *ph = (const Elf64_Phdr *)(data + h->e_phoff) + i;

        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) &&
            in_file(size, ph->p_offset, ph->p_filesz)) {
            ElfCode c = { ph->p_vaddr, ph->p_offset, ph->p_filesz };
            g_array_append_val(e->code, c);
        }
        if (ph->p_type == PT_INTERP ||
            (ph->p_type == PT_NOTE && in_file(size, ph->p_offset,
                                              ph->p_filesz) &&
             linux_abi_note(data + ph->p_offset, ph->p_filesz))) {
            e->dynamic = true;
        }
    }
}

static gint sym_cmp(gconstpointer a, gconstpointer b)
{
    const ElfSym *x = a, *y = b;

    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void add_symbols(ElfFile *e, const char *data, gsize size,
                        const Elf64_Shdr *symtab, const Elf64_Shdr *strtab)
{
    size_t n = symtab->sh_size / sizeof(Elf64_Sym);

    for (size_t i = 0; i < n; i++) {
        const Elf64_Sym *s = (const Elf64_Sym *)(data + symtab->sh_offset) + i;
        int type = ELF64_ST_TYPE(s->st_info);
        ElfSym sym;

        if (!s->st_name || s->st_name >= strtab->sh_size || !s->st_value ||
            s->st_shndx == SHN_UNDEF ||
            (type != STT_FUNC && type != STT_NOTYPE && type != STT_OBJECT)) {
            continue;
        }
        sym.name = g_strndup(data + strtab->sh_offset + s->st_name,
                             strtab->sh_size - s->st_name);
        if (!*sym.name || sym.name[0] == '$' || sym.name[0] == '.') {
            g_free(sym.name);   /* mapping symbols and local labels */
            continue;
        }
        sym.addr = s->st_value;
        sym.size = s->st_size;
        g_array_append_val(e->syms, sym);
    }
}

static void read_symbols(ElfFile *e, const char *data, gsize size)
{
    const Elf64_Ehdr *h = (const Elf64_Ehdr *)data;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(data + h->e_shoff);

    if (!h->e_shoff || h->e_shentsize != sizeof(Elf64_Shdr) ||
        !in_file(size, h->e_shoff, (uint64_t)h->e_shnum * sizeof(*sh))) {
        return;
    }
    for (unsigned i = 0; i < h->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= h->e_shnum ||
            !in_file(size, sh[i].sh_offset, sh[i].sh_size) ||
            !in_file(size, sh[sh[i].sh_link].sh_offset,
                     sh[sh[i].sh_link].sh_size)) {
            continue;
        }
        add_symbols(e, data, size, &sh[i], &sh[sh[i].sh_link]);
    }
    g_array_sort(e->syms, sym_cmp);
}

ElfFile *elf_open(const char *path, GError **errp)
{
    g_autoptr(ElfFile) e = g_new0(ElfFile, 1);
    g_autofree char *data = NULL;
    const Elf64_Ehdr *h;
    gsize size;

    if (!g_file_get_contents(path, &data, &size, errp)) {
        return NULL;
    }
    h = (const Elf64_Ehdr *)data;
    if (size < sizeof(Elf32_Ehdr) || memcmp(data, ELFMAG, SELFMAG) != 0 ||
        data[EI_DATA] != ELFDATA2LSB) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "%s is not a little-endian ELF file", path);
        return NULL;
    }
    e->path = g_strdup(path);
    e->machine = h->e_machine;      /* same offset in 32-bit files */
    e->arch = arch_of(e->machine);
    e->syms = g_array_new(false, false, sizeof(ElfSym));
    e->code = g_array_new(false, false, sizeof(ElfCode));
    g_array_set_clear_func(e->syms, sym_clear);
    if (data[EI_CLASS] == ELFCLASS64 && size >= sizeof(Elf64_Ehdr)) {
        e->dynamic = e->pie = h->e_type == ET_DYN;
        read_segments(e, data, size);
        read_symbols(e, data, size);
    }
    return g_steal_pointer(&e);
}

bool elf_lookup(const ElfFile *e, const char *expr, uint64_t *addr)
{
    const char *plus = strchr(expr, '+');
    g_autofree char *name = plus ? g_strndup(expr, plus - expr)
                                 : g_strdup(expr);
    uint64_t off = 0;

    if (!e || (plus && !qinsn_parse_u64(plus + 1, &off, NULL))) {
        return false;
    }
    for (guint i = 0; i < e->syms->len; i++) {
        const ElfSym *s = &g_array_index(e->syms, ElfSym, i);

        if (g_str_equal(s->name, name)) {
            *addr = s->addr + e->bias + off;
            return true;
        }
    }
    return false;
}

char *elf_symbolize(const ElfFile *e, uint64_t addr)
{
    const ElfSym *best = NULL;
    uint64_t off;

    if (e) {
        addr -= e->bias;
    }
    for (guint i = 0; e && i < e->syms->len; i++) {
        const ElfSym *s = &g_array_index(e->syms, ElfSym, i);

        if (s->addr > addr) {
            break;
        }
        best = s;
    }
    if (!best) {
        return NULL;
    }
    off = addr - best->addr;
    if (off == 0) {
        return g_strdup(best->name);
    }
    if (best->size ? off >= best->size : off > 0x10000) {
        return NULL;
    }
    return g_strdup_printf("%s+0x%" G_GINT64_MODIFIER "x", best->name, off);
}

size_t elf_read_code(const ElfFile *e, uint64_t addr, uint8_t *buf,
                     size_t len)
{
    int fd;
    ssize_t n = 0;

    if (!e) {
        return 0;
    }
    addr -= e->bias;
    for (guint i = 0; i < e->code->len; i++) {
        const ElfCode *c = &g_array_index(e->code, ElfCode, i);

        if (addr < c->vaddr || addr - c->vaddr >= c->filesz) {
            continue;
        }
        len = MIN(len, c->filesz - (addr - c->vaddr));
        fd = open(e->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return 0;
        }
        n = pread(fd, buf, len, c->offset + (addr - c->vaddr));
        close(fd);
        return n < 0 ? 0 : (size_t)n;
    }
    return 0;
}

void elf_complete(const ElfFile *e, const char *prefix, GPtrArray *out)
{
    for (guint i = 0; e && i < e->syms->len; i++) {
        const ElfSym *s = &g_array_index(e->syms, ElfSym, i);

        if (g_str_has_prefix(s->name, prefix)) {
            g_ptr_array_add(out, s->name);
        }
    }
}
