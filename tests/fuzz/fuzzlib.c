/*
 * Helpers shared by the fuzz harnesses (see fuzzlib.h).
 */
#include "fuzzlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    abort();
}

static void log_abort(const gchar *domain, GLogLevelFlags level,
                      const gchar *message, gpointer unused)
{
    g_log_default_handler(domain, level, message, unused);
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL |
                 G_LOG_LEVEL_WARNING)) {
        /* abort(), not GLib's breakpoint trap: libFuzzer catches SIGABRT */
        abort();
    }
}

void fuzz_init_glib(void)
{
    g_log_set_default_handler(log_abort, NULL);
}

typedef struct TableReg {
    const char *name;
    int gdb_num;
    int size;
} TableReg;

/*
 * Names, gdb numbers and sizes as QEMU 10.0 reports them for the three
 * targets the project tests (a subset is enough: aliases and numbers are
 * what matter), with the wide vector registers that must stay out of
 * conditions.
 */
static const TableReg riscv64_regs[] = {
    { "zero", 0, 8 }, { "ra", 1, 8 }, { "sp", 2, 8 }, { "gp", 3, 8 },
    { "tp", 4, 8 }, { "t0", 5, 8 }, { "t1", 6, 8 }, { "t2", 7, 8 },
    { "fp", 8, 8 }, { "s1", 9, 8 }, { "a0", 10, 8 }, { "a1", 11, 8 },
    { "a2", 12, 8 }, { "a3", 13, 8 }, { "a4", 14, 8 }, { "a5", 15, 8 },
    { "a6", 16, 8 }, { "a7", 17, 8 }, { "s2", 18, 8 }, { "s3", 19, 8 },
    { "t3", 28, 8 }, { "t6", 31, 8 }, { "pc", 32, 8 }, { "ft0", 33, 8 },
    { "fflags", 66, 4 }, { "mstatus", 833, 8 }, { "v0", 4162, 16 },
    { NULL, 0, 0 },
};

static const TableReg x86_64_regs[] = {
    { "rax", 0, 8 }, { "rbx", 1, 8 }, { "rcx", 2, 8 }, { "rdx", 3, 8 },
    { "rsi", 4, 8 }, { "rdi", 5, 8 }, { "rbp", 6, 8 }, { "rsp", 7, 8 },
    { "r8", 8, 8 }, { "r15", 15, 8 }, { "rip", 16, 8 }, { "eflags", 17, 4 },
    { "cs", 18, 4 }, { "fs_base", 24, 8 }, { "st0", 27, 10 },
    { "xmm0", 40, 16 }, { "mxcsr", 56, 4 }, { "ymm0h", 57, 16 },
    { "zmm0", 90, 64 }, { "unknownsize", 200, 0 },
    { NULL, 0, 0 },
};

static const TableReg aarch64_regs[] = {
    { "x0", 0, 8 }, { "x1", 1, 8 }, { "x2", 2, 8 }, { "x16", 16, 8 },
    { "x17", 17, 8 }, { "x29", 29, 8 }, { "x30", 30, 8 }, { "sp", 31, 8 },
    { "pc", 32, 8 }, { "cpsr", 33, 4 }, { "v0", 34, 16 }, { "fpsr", 66, 4 },
    { NULL, 0, 0 },
};

const QinsnRegTable *fuzz_table(unsigned int which)
{
    static const struct {
        const char *arch;
        const TableReg *regs;
    } specs[FUZZ_N_TABLES] = {
        { "riscv64", riscv64_regs },
        { "x86_64", x86_64_regs },
        { "aarch64", aarch64_regs },
    };
    static QinsnRegTable *tables[FUZZ_N_TABLES];
    unsigned int i = which % FUZZ_N_TABLES;

    if (!tables[i]) {
        tables[i] = qinsn_regs_new(specs[i].arch);
        for (const TableReg *r = specs[i].regs; r->name; r++) {
            /* QEMU's handles are the gdb number plus one */
            qinsn_regs_add(tables[i], r->name, r->gdb_num, r->size,
                           GINT_TO_POINTER(r->gdb_num + 1));
        }
    }
    return tables[i];
}

char *fuzz_string(const uint8_t *data, size_t size)
{
    return g_strndup((const char *)data, size);
}

bool fuzz_printable(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

char *fuzz_expected_hex(const uint8_t *bytes, int len, bool big_endian)
{
    GString *s = g_string_new(NULL);
    size_t skip = 0;

    for (int i = 0; i < len; i++) {
        g_string_append_printf(s, "%02x",
                               bytes[big_endian ? i : len - 1 - i]);
    }
    while (skip + 1 < s->len && s->str[skip] == '0') {
        skip++;
    }
    g_string_erase(s, 0, skip);
    if (!s->len) {
        g_string_append_c(s, '0');
    }
    g_string_prepend(s, "0x");
    return g_string_free(s, false);
}

/* A small recursive-descent checker of JSON syntax. */
typedef struct JsonScan {
    const char *p, *end;
    int depth;
} JsonScan;

static bool json_value(JsonScan *j);

static void json_ws(JsonScan *j)
{
    while (j->p < j->end &&
           (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
        j->p++;
    }
}

static bool json_lit(JsonScan *j, const char *lit)
{
    size_t n = strlen(lit);

    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0) {
        return false;
    }
    j->p += n;
    return true;
}

static bool json_string(JsonScan *j)
{
    if (j->p >= j->end || *j->p != '"') {
        return false;
    }
    j->p++;
    while (j->p < j->end && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20 || c > 0x7e) {
            return false;
        }
        if (c == '\\') {
            j->p++;
            if (j->p >= j->end) {
                return false;
            }
            if (*j->p == 'u') {
                for (int i = 1; i <= 4; i++) {
                    if (j->p + i >= j->end || !g_ascii_isxdigit(j->p[i])) {
                        return false;
                    }
                }
                j->p += 4;
            } else if (!strchr("\"\\/bfnrt", *j->p)) {
                return false;
            }
        }
        j->p++;
    }
    if (j->p >= j->end) {
        return false;
    }
    j->p++;
    return true;
}

static bool json_number(JsonScan *j)
{
    const char *start = j->p;

    if (j->p < j->end && *j->p == '-') {
        j->p++;
    }
    if (j->p >= j->end || !g_ascii_isdigit(*j->p)) {
        return false;
    }
    if (*j->p == '0') {
        j->p++;
    } else {
        while (j->p < j->end && g_ascii_isdigit(*j->p)) {
            j->p++;
        }
    }
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || !g_ascii_isdigit(*j->p)) {
            return false;
        }
        while (j->p < j->end && g_ascii_isdigit(*j->p)) {
            j->p++;
        }
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) {
            j->p++;
        }
        if (j->p >= j->end || !g_ascii_isdigit(*j->p)) {
            return false;
        }
        while (j->p < j->end && g_ascii_isdigit(*j->p)) {
            j->p++;
        }
    }
    return j->p > start;
}

static bool json_members(JsonScan *j, char close, bool keyed)
{
    j->p++;
    json_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return true;
    }
    for (;;) {
        json_ws(j);
        if (keyed) {
            if (!json_string(j)) {
                return false;
            }
            json_ws(j);
            if (j->p >= j->end || *j->p != ':') {
                return false;
            }
            j->p++;
        }
        if (!json_value(j)) {
            return false;
        }
        json_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return true;
        }
        return false;
    }
}

static bool json_value(JsonScan *j)
{
    bool ok;

    json_ws(j);
    if (j->p >= j->end || ++j->depth > 64) {
        return false;
    }
    switch (*j->p) {
    case '{':
        ok = json_members(j, '}', true);
        break;
    case '[':
        ok = json_members(j, ']', false);
        break;
    case '"':
        ok = json_string(j);
        break;
    case 't':
        ok = json_lit(j, "true");
        break;
    case 'f':
        ok = json_lit(j, "false");
        break;
    case 'n':
        ok = json_lit(j, "null");
        break;
    default:
        ok = json_number(j);
        break;
    }
    j->depth--;
    return ok;
}

bool fuzz_json_valid(const char *s, size_t len)
{
    JsonScan j = { .p = s, .end = s + len };

    if (!json_value(&j)) {
        return false;
    }
    json_ws(&j);
    return j.p == j.end;
}
