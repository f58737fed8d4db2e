/*
 * LogRecord: one record of a log, reused from line to line, and the
 * helpers the text and JSON parsers share.
 */
#include <string.h>

#include "logparse.h"
#include "proto.h"

static void logreg_clear(gpointer p)
{
    LogReg *r = p;

    g_free(r->name);
    g_free(r->value);
}

void logrecord_init(LogRecord *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->regs = g_array_new(false, true, sizeof(LogReg));
    g_array_set_clear_func(rec->regs, logreg_clear);
    rec->reg_names = g_ptr_array_new_with_free_func(g_free);
    rec->regnums = g_array_new(false, true, sizeof(int));
}

/* Empty @rec for the next record, keeping its arrays. */
void logrecord_reset(LogRecord *rec)
{
    GArray *regs = rec->regs, *regnums = rec->regnums;
    GPtrArray *names = rec->reg_names;

    g_free(rec->dir);
    g_free(rec->value);
    g_free(rec->cap_kind);
    g_free(rec->cap_value);
    g_free(rec->wkind);
    g_free(rec->sym);
    g_free(rec->options);
    g_free(rec->line);
    g_array_set_size(regs, 0);
    g_array_set_size(regnums, 0);
    g_ptr_array_set_size(names, 0);
    memset(rec, 0, sizeof(*rec));
    rec->regs = regs;
    rec->regnums = regnums;
    rec->reg_names = names;
}

void logrecord_clear(LogRecord *rec)
{
    logrecord_reset(rec);
    g_array_unref(rec->regs);
    g_array_unref(rec->regnums);
    g_ptr_array_unref(rec->reg_names);
    memset(rec, 0, sizeof(*rec));
}

void logread_normalize_hex(char *v)
{
    char *d;

    if (!v || v[0] != '0' || (v[1] != 'x' && v[1] != 'X')) {
        return;
    }
    for (d = v + 2; d[0] == '0' && d[1]; d++) {
        /* skip leading zeros, keep the last digit */
    }
    memmove(v + 2, d, strlen(d) + 1);
    for (d = v + 2; *d; d++) {
        *d = g_ascii_tolower(*d);
    }
}

bool log_is_hex(const char *v)
{
    if (!v || v[0] != '0' || v[1] != 'x' || !v[2]) {
        return false;
    }
    for (v += 2; *v; v++) {
        if (!g_ascii_isxdigit(*v)) {
            return false;
        }
    }
    return true;
}

bool log_number(const char *s, uint64_t *v)
{
    return s && *s && qinsn_parse_u64(s, v, NULL);
}

void log_add_reg(LogRecord *rec, const char *name, const char *value,
                    bool stale)
{
    LogReg r = { g_strdup(name), g_strdup(value), stale };

    logread_normalize_hex(r.value);
    g_array_append_val(rec->regs, r);
}

/* "a0,a1" / "10,11" of a watch record. */
bool log_split_regs(LogRecord *rec, const char *names, const char *nums)
{
    /* "-": a watch that logs no register (text form) */
    bool no_names = !names || !*names || g_str_equal(names, "-");
    bool no_nums = !nums || !*nums || g_str_equal(nums, "-");
    g_auto(GStrv) n = no_names ? NULL : g_strsplit(names, ",", -1);
    g_auto(GStrv) g = no_nums ? NULL : g_strsplit(nums, ",", -1);

    for (int i = 0; n && n[i]; i++) {
        g_ptr_array_add(rec->reg_names, g_strdup(n[i]));
    }
    for (int i = 0; g && g[i]; i++) {
        uint64_t v;
        int num;
        if (!log_number(g[i], &v) || v > INT32_MAX) {
            return false;
        }
        num = (int)v;
        g_array_append_val(rec->regnums, num);
    }
    return !g || rec->regnums->len == rec->reg_names->len;
}

