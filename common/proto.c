/*
 * qinsn wire protocol: command table, request splitting and value parsers.
 *
 * Both ends use this file: the plugin to dispatch and validate requests, the
 * CLI to check a command before sending it and to drive help and completion.
 */
#include "proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(qinsn-error-quark, qinsn_error)

static const char *const class_names[] = {
    [QINSN_ERR_SYNTAX] = "SYNTAX",
    [QINSN_ERR_ARG] = "ARG",
    [QINSN_ERR_NOTFOUND] = "NOTFOUND",
    [QINSN_ERR_LIMIT] = "LIMIT",
    [QINSN_ERR_STATE] = "STATE",
    [QINSN_ERR_IO] = "IO",
    [QINSN_ERR_DENIED] = "DENIED",
};

const char *qinsn_error_class_name(QinsnErrorClass cls)
{
    if ((size_t)cls < G_N_ELEMENTS(class_names)) {
        return class_names[cls];
    }
    return "INTERNAL";
}

int qinsn_error_class_from_name(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(class_names); i++) {
        if (g_str_equal(name, class_names[i])) {
            return (int)i;
        }
    }
    return -1;
}

GPtrArray *qinsn_proto_split(const char *line, GError **errp)
{
    g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
    const char *p = line;

    for (const char *c = line; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if ((u < 0x20 && u != '\t') || u >= 0x7f) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_SYNTAX,
                        "byte 0x%02x at column %d is not printable ASCII",
                        u, (int)(c - line) + 1);
            return NULL;
        }
    }
    while (*p) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t') {
            p++;
        }
        if (p > start) {
            g_ptr_array_add(words, g_strndup(start, p - start));
        }
    }
    return g_steal_pointer(&words);
}

static bool str_in(const char *const *list, const char *s)
{
    for (; list && *list; list++) {
        if (g_str_equal(*list, s)) {
            return true;
        }
    }
    return false;
}

void qinsn_request_free(QinsnRequest *req)
{
    if (!req) {
        return;
    }
    /* a request refused while being split has no arrays yet */
    g_clear_pointer(&req->words, g_ptr_array_unref);
    g_clear_pointer(&req->args, g_ptr_array_unref);
    g_clear_pointer(&req->opt_keys, g_ptr_array_unref);
    g_clear_pointer(&req->opt_values, g_ptr_array_unref);
    g_free(req);
}

QinsnRequest *qinsn_request_parse(const char *line, GError **errp)
{
    return qinsn_request_parse_spec(line, NULL, errp);
}

/*
 * Sort the words after the command into options (key=value with a key of
 * @spec's, or one of its flags) and arguments; false with @errp set for an
 * unknown option.
 */
static bool sort_words(QinsnRequest *req, const QinsnCommandSpec *spec,
                       GError **errp)
{
    for (guint i = 1; i < req->words->len; i++) {
        const char *w = g_ptr_array_index(req->words, i);
        const char *eq = strchr(w, '=');

        if (spec->keys && eq && eq != w) {
            g_autofree char *key = g_strndup(w, eq - w);
            if (!str_in(spec->keys, key)) {
                g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                            "%s: unknown option '%s'", spec->name, key);
                return false;
            }
            g_ptr_array_add(req->opt_keys, g_steal_pointer(&key));
            g_ptr_array_add(req->opt_values, g_strdup(eq + 1));
        } else if (str_in(spec->flags, w)) {
            g_ptr_array_add(req->opt_keys, g_strdup(w));
            g_ptr_array_add(req->opt_values, NULL);
        } else {
            g_ptr_array_add(req->args, (gpointer)w);
        }
    }
    return true;
}

QinsnRequest *qinsn_request_parse_spec(const char *line,
                                       const QinsnCommandSpec *spec,
                                       GError **errp)
{
    g_autoptr(QinsnRequest) req = g_new0(QinsnRequest, 1);

    req->words = qinsn_proto_split(line, errp);
    if (!req->words) {
        return NULL;
    }
    req->args = g_ptr_array_new();
    req->opt_keys = g_ptr_array_new_with_free_func(g_free);
    req->opt_values = g_ptr_array_new_with_free_func(g_free);
    if (req->words->len == 0) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_SYNTAX, "empty request");
        return NULL;
    }
    if (!spec) {
        spec = qinsn_proto_find_command(g_ptr_array_index(req->words, 0));
    }
    if (!spec) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_SYNTAX,
                    "unknown command '%s' (try 'help')",
                    (char *)g_ptr_array_index(req->words, 0));
        return NULL;
    }
    req->spec = spec;
    if (!sort_words(req, spec, errp)) {
        return NULL;
    }
    if ((int)req->args->len < spec->min_args ||
        (spec->max_args >= 0 && (int)req->args->len > spec->max_args)) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_SYNTAX,
                    "wrong number of arguments to %s: got %u "
                    "(usage: %s %s)", spec->name, req->args->len,
                    spec->name, spec->args);
        return NULL;
    }
    return g_steal_pointer(&req);
}

const char *qinsn_request_opt(const QinsnRequest *req, const char *key)
{
    const char *val = NULL;

    for (guint i = 0; i < req->opt_keys->len; i++) {
        if (g_str_equal(g_ptr_array_index(req->opt_keys, i), key)) {
            val = g_ptr_array_index(req->opt_values, i);
        }
    }
    return val;
}

bool qinsn_request_has_flag(const QinsnRequest *req, const char *flag)
{
    for (guint i = 0; i < req->opt_keys->len; i++) {
        if (g_str_equal(g_ptr_array_index(req->opt_keys, i), flag) &&
            !g_ptr_array_index(req->opt_values, i)) {
            return true;
        }
    }
    return false;
}

bool qinsn_parse_u64(const char *s, uint64_t *out, GError **errp)
{
    const char *digits = s;
    int base = 10;
    char *end;

    if (g_str_has_prefix(s, "0x") || g_str_has_prefix(s, "0X")) {
        digits = s + 2;
        base = 16;
    }
    if (!*digits || !g_ascii_isxdigit(*digits) ||
        (base == 10 && !g_ascii_isdigit(*digits))) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "'%s' is not a number (decimal or 0x-prefixed hex)", s);
        return false;
    }
    /* strtoull() would take a second "0x" as part of the number */
    if (base == 16 && digits[0] == '0' && g_ascii_tolower(digits[1]) == 'x') {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "'%s' is not a number: junk from '%s'", s, digits + 1);
        return false;
    }
    errno = 0;
    *out = g_ascii_strtoull(digits, &end, base);
    if (errno == ERANGE) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "'%s' does not fit in 64 bits", s);
        return false;
    }
    if (*end) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "'%s' is not a number: junk from '%s'", s, end);
        return false;
    }
    return true;
}

bool qinsn_parse_range(const char *s, uint64_t *start, uint64_t *end,
                       GError **errp)
{
    const char *dots = strstr(s, "..");
    g_autofree char *first = NULL;

    if (!dots) {
        if (!qinsn_parse_u64(s, start, errp)) {
            return false;
        }
        *end = *start;
        return true;
    }
    first = g_strndup(s, dots - s);
    if (!qinsn_parse_u64(first, start, errp) ||
        !qinsn_parse_u64(dots + 2, end, errp)) {
        return false;
    }
    if (*end < *start) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "range '%s' ends before it starts", s);
        return false;
    }
    return true;
}

static const struct {
    const char *text;
    QinsnOp op;
} ops[] = {
    /* two-character operators first so "<=" is not read as "<" */
    { "==", QINSN_OP_EQ }, { "!=", QINSN_OP_NE }, { "<=", QINSN_OP_LE },
    { ">=", QINSN_OP_GE }, { "<", QINSN_OP_LT }, { ">", QINSN_OP_GT },
};

const char *qinsn_op_name(QinsnOp op)
{
    for (size_t i = 0; i < G_N_ELEMENTS(ops); i++) {
        if (ops[i].op == op) {
            return ops[i].text;
        }
    }
    return "?";
}

bool qinsn_cond_parse(const char *s, QinsnCond *cond, GError **errp)
{
    for (const char *p = s; *p; p++) {
        for (size_t i = 0; i < G_N_ELEMENTS(ops); i++) {
            size_t n = strlen(ops[i].text);
            if (strncmp(p, ops[i].text, n) != 0) {
                continue;
            }
            if (p == s) {
                g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                            "condition '%s' has no register before '%s'",
                            s, ops[i].text);
                return false;
            }
            if (!qinsn_parse_u64(p + n, &cond->value, errp)) {
                g_prefix_error(errp, "condition '%s': ", s);
                return false;
            }
            cond->reg = g_strndup(s, p - s);
            cond->op = ops[i].op;
            return true;
        }
    }
    g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                "condition '%s' needs one of == != < <= > >=", s);
    return false;
}

void qinsn_cond_clear(QinsnCond *cond)
{
    g_clear_pointer(&cond->reg, g_free);
}

bool qinsn_cond_eval(QinsnOp op, uint64_t lhs, uint64_t rhs)
{
    switch (op) {
    case QINSN_OP_EQ:
        return lhs == rhs;
    case QINSN_OP_NE:
        return lhs != rhs;
    case QINSN_OP_LT:
        return lhs < rhs;
    case QINSN_OP_LE:
        return lhs <= rhs;
    case QINSN_OP_GT:
        return lhs > rhs;
    case QINSN_OP_GE:
        return lhs >= rhs;
    }
    return false;
}

bool qinsn_mem_spec_parse(const char *s, QinsnMemSpec *spec, uint32_t max_len,
                          GError **errp)
{
    const char *colon = strrchr(s, ':');
    g_autofree char *base = NULL;
    uint64_t len, off = 0;
    char *sign;

    if (!colon || colon == s) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "memory capture '%s' is not <reg>[+<off>]:<len>", s);
        return false;
    }
    if (!qinsn_parse_u64(colon + 1, &len, errp)) {
        g_prefix_error(errp, "memory capture '%s': length: ", s);
        return false;
    }
    if (len == 0 || len > max_len) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_LIMIT,
                    "memory capture '%s': length must be 1..%u", s, max_len);
        return false;
    }
    base = g_strndup(s, colon - s);
    sign = strpbrk(base, "+-");
    spec->offset = 0;
    if (sign) {
        if (sign == base ||
            !qinsn_parse_u64(sign + 1, &off, errp) || off > INT64_MAX) {
            g_clear_error(errp);
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                        "memory capture '%s': bad offset", s);
            return false;
        }
        spec->offset = *sign == '-' ? -(int64_t)off : (int64_t)off;
        *sign = '\0';
    }
    spec->reg = g_steal_pointer(&base);
    spec->len = (uint32_t)len;
    return true;
}

void qinsn_mem_spec_clear(QinsnMemSpec *spec)
{
    g_clear_pointer(&spec->reg, g_free);
}

void qinsn_json_escape(GString *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            g_string_append_c(out, '\\');
            g_string_append_c(out, c);
        } else if (c < 0x20 || c == 0x7f) {
            /* DEL too, so that log and event lines stay printable */
            g_string_append_printf(out, "\\u%04x", c);
        } else {
            g_string_append_c(out, c);
        }
    }
}

void qinsn_quote(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    qinsn_json_escape(out, s);
    g_string_append_c(out, '"');
}

/* The byte or character of the escape at @p (just past its backslash). */
static bool unescape(GString *out, const char **p)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *e = strchr(from, **p);
    gunichar u = 0;

    if (**p && e) {
        g_string_append_c(out, to[e - from]);
        return true;
    }
    if (**p != 'u') {
        return false;
    }
    for (int i = 1; i <= 4; i++) {
        if (!g_ascii_isxdigit((*p)[i])) {
            return false;
        }
        u = u * 16 + g_ascii_xdigit_value((*p)[i]);
    }
    if (!u || (u >= 0xd800 && u < 0xe000)) {
        return false;       /* NUL and surrogate halves name no byte */
    }
    g_string_append_unichar(out, u);
    *p += 4;
    return true;
}

char *qinsn_unquote(const char *s, GError **errp)
{
    g_autoptr(GString) out = g_string_new(NULL);
    const char *p = s + 1;

    if (*s != '"') {
        goto bad;
    }
    for (; *p && *p != '"'; p++) {
        if (*p != '\\') {
            g_string_append_c(out, *p);
        } else if (p++, !unescape(out, &p)) {
            goto bad;
        }
    }
    if (*p == '"' && !p[1]) {
        return g_string_free(g_steal_pointer(&out), false);
    }
bad:
    g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                "not a quoted string: %s", s);
    return NULL;
}
