/*
 * Splitting protocol lines into key=value words, and writing them as JSON.
 *
 * Values are single words except the strings captured by str= watches,
 * which the plugin writes JSON-quoted and which may hold spaces.
 */
#include <string.h>

#include "kv.h"
#include "proto.h"

static void kv_clear(gpointer p)
{
    KvPair *kv = p;

    g_free(kv->key);
    g_free(kv->value);
}

/* The end of a quoted string starting at @q (just past its end quote). */
static const char *skip_quoted(const char *q)
{
    for (q++; *q && *q != '"'; q++) {
        if (*q == '\\' && q[1]) {
            q++;
        }
    }
    return *q ? q + 1 : q;
}

GArray *kv_split(const char *line)
{
    GArray *kv = g_array_new(false, true, sizeof(KvPair));
    const char *p = line;

    g_array_set_clear_func(kv, kv_clear);
    while (*p) {
        const char *start, *eq, *end;
        KvPair pair = { 0 };

        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (!*p) {
            break;
        }
        start = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '=') {
            p++;
        }
        eq = *p == '=' && p > start ? p : NULL;
        end = eq && eq[1] == '"' ? skip_quoted(eq + 1) : p;
        while (*end && *end != ' ' && *end != '\t') {
            end++;
        }
        if (eq) {
            pair.key = g_strndup(start, eq - start);
            pair.value = g_strndup(eq + 1, end - eq - 1);
        } else {
            pair.value = g_strndup(start, end - start);
        }
        g_array_append_val(kv, pair);
        p = end;
    }
    return kv;
}

char *kv_cut_quoted(const char *line, const char *key, char **value)
{
    g_autofree char *word = g_strdup_printf(" %s=\"", key);
    /*
     * Inside a quoted string a quote is always escaped, so ' key="' (the
     * quote right after '=') begins a word wherever it is found.
     */
    const char *at = strstr(line, word);
    const char *quote, *end;
    g_autofree char *head = NULL;

    *value = NULL;
    if (!at) {
        return g_strdup(line);
    }
    quote = at + strlen(word) - 1;
    end = skip_quoted(quote);
    *value = g_strndup(quote, end - quote);
    head = g_strndup(line, at - line);
    return g_strconcat(head, end, NULL);
}

const char *kv_get(GArray *kv, const char *key)
{
    const char *v = NULL;

    for (guint i = 0; i < kv->len; i++) {
        KvPair *pair = &g_array_index(kv, KvPair, i);

        if (pair->key && g_str_equal(pair->key, key)) {
            v = pair->value;
        }
    }
    return v;
}

bool kv_all_pairs(GArray *kv)
{
    for (guint i = 0; i < kv->len; i++) {
        if (!g_array_index(kv, KvPair, i).key) {
            return false;
        }
    }
    return true;
}

static bool is_decimal(const char *s)
{
    if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 15) {
        return false;
    }
    for (; *s; s++) {
        if (!g_ascii_isdigit(*s)) {
            return false;
        }
    }
    return true;
}

void kv_json_key(GString *out, const char *key)
{
    g_string_append_c(out, '"');
    qinsn_json_escape(out, key);
    g_string_append(out, "\":");
}

void kv_json_value(GString *out, const char *value)
{
    size_t len = strlen(value);

    if (is_decimal(value) ||
        (len >= 2 && value[0] == '"' && value[len - 1] == '"')) {
        g_string_append(out, value);
        return;
    }
    g_string_append_c(out, '"');
    qinsn_json_escape(out, value);
    g_string_append_c(out, '"');
}

/* Values that only look like numbers: hex bytes, names, tokens. */
static bool always_string(const char *key)
{
    return g_str_equal(key, "insn") || g_str_equal(key, "token") ||
           g_str_equal(key, "regs") || g_str_equal(key, "name");
}

void kv_json_members(GString *out, GArray *kv)
{
    for (guint i = 0, n = 0; i < kv->len; i++) {
        KvPair *pair = &g_array_index(kv, KvPair, i);

        if (!pair->key) {
            continue;
        }
        if (n++) {
            g_string_append_c(out, ',');
        }
        kv_json_key(out, pair->key);
        if (always_string(pair->key)) {
            g_string_append_c(out, '"');
            qinsn_json_escape(out, pair->value);
            g_string_append_c(out, '"');
        } else {
            kv_json_value(out, pair->value);
        }
    }
}
