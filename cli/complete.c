/*
 * Completion candidates, from the command table: command names, then for a
 * command its option keys and flags, the values of register-valued options
 * (regs=a0,a<TAB>, if=, mem=, str=) and its positional arguments (watch
 * ids from list, register names from regs, symbols of the guest ELF).
 * Readline is not involved here; repl.c feeds the candidates to it.
 */
#include <string.h>

#include "commands.h"
#include "handlers.h"

static void add_matching(GPtrArray *out, const char *prefix,
                         const char *text, const char *cand)
{
    g_autofree char *full = g_strconcat(prefix, cand, NULL);

    if (g_str_has_prefix(full, text)) {
        g_ptr_array_add(out, g_steal_pointer(&full));
    }
}

void complete_commands(Session *s, const char *text, GPtrArray *out)
{
    size_t n;
    const CliCommand *t = commands_table(&n);

    for (size_t i = 0; i < n; i++) {
        if (t[i].shell_only && s->conn) {
            continue;
        }
        add_matching(out, "", text, t[i].spec->name);
        if (t[i].spec->alias) {
            add_matching(out, "", text, t[i].spec->alias);
        }
    }
}

void complete_registers(Session *s, const char *text, GPtrArray *out)
{
    GPtrArray *regs = session_registers(s);

    for (guint i = 0; i < regs->len; i++) {
        add_matching(out, "", text, g_ptr_array_index(regs, i));
    }
    if (regs != s->reg_names) {
        g_ptr_array_unref(regs);
    }
}

void complete_ids(Session *s, const char *text, GPtrArray *out)
{
    g_autoptr(GPtrArray) ids = session_watch_ids(s);

    for (guint i = 0; i < ids->len; i++) {
        add_matching(out, "", text, g_ptr_array_index(ids, i));
    }
}

void complete_unwatch(Session *s, const char *text, GPtrArray *out)
{
    add_matching(out, "", text, "all");
    complete_ids(s, text, out);
}

void complete_symbols(Session *s, const char *text, GPtrArray *out)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();

    elf_complete(session_elf(s), text, names);
    for (guint i = 0; i < names->len; i++) {
        g_ptr_array_add(out, g_strdup(g_ptr_array_index(names, i)));
    }
}

/* regs=a0,a<TAB>: complete the last name of the list. */
static void complete_value(Session *s, const char *key, const char *text,
                           GPtrArray *out, bool *space)
{
    const char *value = strchr(text, '=') + 1;
    const char *last = g_str_equal(key, "regs") ? strrchr(value, ',') : NULL;
    g_autofree char *prefix = g_strndup(text, (last ? last + 1 : value) -
                                              text);
    GPtrArray *regs = session_registers(s);

    if (g_str_equal(key, "regs") || g_str_equal(key, "if") ||
        g_str_equal(key, "mem") || g_str_equal(key, "str")) {
        for (guint i = 0; i < regs->len; i++) {
            add_matching(out, prefix, text, g_ptr_array_index(regs, i));
        }
    }
    /* a condition or a capture goes on after the register */
    *space = !g_str_equal(key, "if") && !g_str_equal(key, "mem");
    if (regs != s->reg_names) {
        g_ptr_array_unref(regs);
    }
}

static bool in_list(const char *const *list, const char *s)
{
    for (; list && *list; list++) {
        if (g_str_equal(*list, s)) {
            return true;
        }
    }
    return false;
}

/* Positional arguments among @words (after the command name). */
static int count_positional(const QinsnCommandSpec *spec, char **words)
{
    int n = 0;

    for (int i = 1; words[i]; i++) {
        const char *eq = strchr(words[i], '=');
        g_autofree char *key = eq ? g_strndup(words[i], eq - words[i]) : NULL;

        if (!(key && in_list(spec->keys, key)) &&
            !in_list(spec->flags, words[i])) {
            n++;
        }
    }
    return n;
}

static void complete_options(Session *s, const CliCommand *cmd,
                             char **words, const char *text, GPtrArray *out)
{
    const QinsnCommandSpec *spec = cmd->spec;

    for (const char *const *k = spec->keys; k && *k; k++) {
        g_autofree char *key = g_strconcat(*k, "=", NULL);
        add_matching(out, "", text, key);
    }
    for (const char *const *f = spec->flags; f && *f; f++) {
        add_matching(out, "", text, *f);
    }
    if (cmd->complete && (spec->max_args < 0 ||
                          count_positional(spec, words) < spec->max_args)) {
        cmd->complete(s, text, out);
    }
}

static gint compare_strings(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

static bool all_end_with_eq(GPtrArray *out)
{
    for (guint i = 0; i < out->len; i++) {
        if (!g_str_has_suffix(g_ptr_array_index(out, i), "=")) {
            return false;
        }
    }
    return out->len > 0;
}

GPtrArray *commands_complete(Session *s, const char *before,
                             const char *text, bool *space)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) words = g_strsplit_set(before, " \t", -1);
    g_autoptr(GPtrArray) w = g_ptr_array_new();
    const CliCommand *cmd;
    const char *eq = strchr(text, '=');

    *space = true;
    for (int i = 0; words[i]; i++) {
        if (*words[i]) {
            g_ptr_array_add(w, words[i]);
        }
    }
    g_ptr_array_add(w, NULL);
    if (w->len == 1) {
        complete_commands(s, text, out);
    } else if ((cmd = commands_find(g_ptr_array_index(w, 0)))) {
        g_autofree char *key = eq ? g_strndup(text, eq - text) : NULL;

        if (key && in_list(cmd->spec->keys, key)) {
            complete_value(s, key, text, out, space);
        } else {
            complete_options(s, cmd, (char **)w->pdata, text, out);
        }
    }
    g_ptr_array_sort(out, compare_strings);
    for (guint i = 1; i < out->len; i++) {
        if (g_str_equal(g_ptr_array_index(out, i),
                        g_ptr_array_index(out, i - 1))) {
            g_ptr_array_remove_index(out, i--);
        }
    }
    if (all_end_with_eq(out)) {
        *space = false;
    }
    return out;
}
