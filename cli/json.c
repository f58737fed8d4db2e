/*
 * A recursive-descent JSON reader (RFC 8259), for log lines.  Depth is
 * bounded so that a hostile line cannot exhaust the stack; errors give the
 * column, which the caller prefixes with the file and line.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JSON_MAX_DEPTH 16

typedef struct Parser {
    const char *start;
    const char *p;
    GError **errp;
} Parser;

static JsonValue *parse_value(Parser *ps, int depth);

static bool fail(Parser *ps, const char *what)
{
    g_set_error(ps->errp, G_MARKUP_ERROR, G_MARKUP_ERROR_PARSE,
                "bad JSON at column %d: %s", (int)(ps->p - ps->start) + 1,
                what);
    return false;
}

static void skip_space(Parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
           *ps->p == '\r') {
        ps->p++;
    }
}

static JsonValue *value_new(JsonType type)
{
    JsonValue *v = g_new0(JsonValue, 1);

    v->type = type;
    return v;
}

void json_free(JsonValue *v)
{
    if (!v) {
        return;
    }
    g_free(v->text);
    g_free(v->literal);
    if (v->keys) {
        g_ptr_array_unref(v->keys);
    }
    if (v->items) {
        g_ptr_array_unref(v->items);
    }
    g_free(v);
}

static int hex4(const char *s)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        int d = g_ascii_xdigit_value(s[i]);
        if (d < 0) {
            return -1;
        }
        v = v * 16 + d;
    }
    return v;
}

/* One escape after the backslash at ps->p; appends its character. */
static bool parse_escape(Parser *ps, GString *out)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *e = strchr(from, ps->p[1]);
    int u;

    if (ps->p[1] && e) {
        g_string_append_c(out, to[e - from]);
        ps->p += 2;
        return true;
    }
    if (ps->p[1] != 'u' || (u = hex4(ps->p + 2)) < 0) {
        return fail(ps, "bad escape in a string");
    }
    ps->p += 6;
    if (u >= 0xd800 && u < 0xdc00 && ps->p[0] == '\\' && ps->p[1] == 'u') {
        int lo = hex4(ps->p + 2);
        if (lo >= 0xdc00 && lo < 0xe000) {
            u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            ps->p += 6;
        }
    }
    g_string_append_unichar(out, u);
    return true;
}

static char *parse_string(Parser *ps, char **literal)
{
    g_autoptr(GString) out = g_string_new(NULL);
    const char *open = ps->p++;

    while (*ps->p != '"') {
        if (!*ps->p || (unsigned char)*ps->p < 0x20) {
            fail(ps, "unterminated string");
            return NULL;
        }
        if (*ps->p == '\\') {
            if (!parse_escape(ps, out)) {
                return NULL;
            }
        } else {
            g_string_append_c(out, *ps->p++);
        }
    }
    ps->p++;
    if (literal) {
        *literal = g_strndup(open, ps->p - open);
    }
    return g_string_free(g_steal_pointer(&out), false);
}

static JsonValue *parse_number(Parser *ps)
{
    const char *s = ps->p;
    JsonValue *v;

    if (*ps->p == '-') {
        ps->p++;
    }
    if (!g_ascii_isdigit(*ps->p)) {
        fail(ps, "expected a value");
        return NULL;
    }
    while (g_ascii_isdigit(*ps->p) || strchr(".eE+-", *ps->p)) {
        if (!*ps->p) {
            break;
        }
        ps->p++;
    }
    v = value_new(JSON_NUMBER);
    v->text = g_strndup(s, ps->p - s);
    return v;
}

static JsonValue *parse_word(Parser *ps)
{
    static const struct { const char *w; JsonType t; bool b; } words[] = {
        { "true", JSON_BOOL, true }, { "false", JSON_BOOL, false },
        { "null", JSON_NULL, false },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(words); i++) {
        size_t n = strlen(words[i].w);
        if (strncmp(ps->p, words[i].w, n) == 0) {
            JsonValue *v = value_new(words[i].t);
            v->boolean = words[i].b;
            ps->p += n;
            return v;
        }
    }
    return parse_number(ps);
}

/* The members of an object or the items of an array, after the bracket. */
static bool parse_members(Parser *ps, JsonValue *v, char close, int depth)
{
    bool object = v->type == JSON_OBJECT;

    skip_space(ps);
    if (*ps->p == close) {
        ps->p++;
        return true;
    }
    for (;;) {
        JsonValue *item;

        skip_space(ps);
        if (object) {
            char *key;
            if (*ps->p != '"') {
                return fail(ps, "expected a key");
            }
            if (!(key = parse_string(ps, NULL))) {
                return false;
            }
            g_ptr_array_add(v->keys, key);
            skip_space(ps);
            if (*ps->p++ != ':') {
                ps->p--;
                return fail(ps, "expected ':'");
            }
        }
        if (!(item = parse_value(ps, depth + 1))) {
            return false;
        }
        g_ptr_array_add(v->items, item);
        skip_space(ps);
        if (*ps->p == close) {
            ps->p++;
            return true;
        }
        if (*ps->p++ != ',') {
            ps->p--;
            return fail(ps, object ? "expected ',' or '}'"
                                   : "expected ',' or ']'");
        }
    }
}

static JsonValue *parse_value(Parser *ps, int depth)
{
    g_autoptr(JsonValue) v = NULL;

    if (depth > JSON_MAX_DEPTH) {
        fail(ps, "nested too deeply");
        return NULL;
    }
    skip_space(ps);
    if (*ps->p == '"') {
        v = value_new(JSON_STRING);
        v->text = parse_string(ps, &v->literal);
        return v->text ? g_steal_pointer(&v) : NULL;
    }
    if (*ps->p == '{' || *ps->p == '[') {
        bool object = *ps->p++ == '{';
        v = value_new(object ? JSON_OBJECT : JSON_ARRAY);
        v->items = g_ptr_array_new_with_free_func((GDestroyNotify)json_free);
        if (object) {
            v->keys = g_ptr_array_new_with_free_func(g_free);
        }
        if (!parse_members(ps, v, object ? '}' : ']', depth)) {
            return NULL;
        }
        return g_steal_pointer(&v);
    }
    return parse_word(ps);
}

JsonValue *json_parse(const char *line, GError **errp)
{
    Parser ps = { .start = line, .p = line, .errp = errp };
    g_autoptr(JsonValue) v = parse_value(&ps, 0);

    if (!v) {
        return NULL;
    }
    skip_space(&ps);
    if (*ps.p) {
        fail(&ps, "text after the value");
        return NULL;
    }
    return g_steal_pointer(&v);
}

JsonValue *json_get(const JsonValue *v, const char *key)
{
    if (!v || v->type != JSON_OBJECT) {
        return NULL;
    }
    for (guint i = 0; i < v->keys->len; i++) {
        if (g_str_equal(g_ptr_array_index(v->keys, i), key)) {
            return g_ptr_array_index(v->items, i);
        }
    }
    return NULL;
}

const char *json_get_str(const JsonValue *v, const char *key)
{
    JsonValue *m = json_get(v, key);

    return m && m->type == JSON_STRING ? m->text : NULL;
}

bool json_get_u64(const JsonValue *v, const char *key, uint64_t *out)
{
    JsonValue *m = json_get(v, key);
    char *end;

    if (!m || m->type != JSON_NUMBER || m->text[0] == '-') {
        return false;
    }
    *out = g_ascii_strtoull(m->text, &end, 10);
    return *end == '\0';
}
