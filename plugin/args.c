/*
 * Parsing the plugin's arguments: one loop over key=value words, unknown
 * keys refused, each value checked as far as it can be before a vCPU
 * exists.
 */
#include "args.h"

#include <string.h>

static void options_free(gpointer p)
{
    qinsn_watch_spec_clear(p);
    g_free(p);
}

void qinsn_args_init(QinsnArgs *a)
{
    memset(a, 0, sizeof(*a));
    a->initial = g_ptr_array_new_with_free_func(options_free);
    a->default_regs = g_ptr_array_new_with_free_func(g_free);
    a->format = FORMAT_TEXT;
    a->stall_ms = 5000;
}

void qinsn_args_clear(QinsnArgs *a)
{
    g_clear_pointer(&a->initial, g_ptr_array_unref);
    g_clear_pointer(&a->default_regs, g_ptr_array_unref);
    g_clear_pointer(&a->log_path, g_free);
    g_clear_pointer(&a->sock_path, g_free);
}

/* regs=: the registers of watches that name none. */
static bool parse_regs(QinsnArgs *a, const char *val, GError **errp)
{
    g_auto(GStrv) names = g_strsplit_set(val, ":,", -1);

    g_ptr_array_set_size(a->default_regs, 0);
    for (int j = 0; names[j]; j++) {
        if (!qinsn_regs_name_valid(names[j], errp)) {
            return false;
        }
        g_ptr_array_add(a->default_regs, g_strdup(names[j]));
    }
    return true;
}

static bool parse_format(QinsnArgs *a, const char *val, GError **errp)
{
    if (g_str_equal(val, "text")) {
        a->format = FORMAT_TEXT;
    } else if (g_str_equal(val, "json")) {
        a->format = FORMAT_JSON;
    } else if (g_str_equal(val, "ctf")) {
        a->format = FORMAT_CTF;
    } else {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "'%s' is not text, json or ctf", val);
        return false;
    }
    return true;
}

/* stall=: milliseconds, 1 to an hour. */
static bool parse_stall(QinsnArgs *a, const char *val, GError **errp)
{
    uint64_t ms;

    if (!qinsn_parse_u64(val, &ms, errp)) {
        return false;
    }
    if (ms < 1 || ms > 3600000) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "%s ms is not between 1 and 3600000", val);
        return false;
    }
    a->stall_ms = (uint32_t)ms;
    return true;
}

/* sock=: a path, or none for no control socket. */
static bool parse_sock(QinsnArgs *a, const char *val, GError **errp)
{
    g_clear_pointer(&a->sock_path, g_free);
    a->no_sock = g_str_equal(val, "none");
    if (a->no_sock) {
        return true;
    }
    if (!*val) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "empty path (sock=none disables the socket)");
        return false;
    }
    a->sock_path = g_strdup(val);
    return true;
}

/* One key=value pair; false with @errp set when the value is refused. */
static bool parse_one(QinsnArgs *a, const char *key, const char *val,
                      GError **errp)
{
    if (g_str_equal(key, "watch")) {
        QinsnWatchSpec *o = g_new(QinsnWatchSpec, 1);

        qinsn_watch_spec_init(o);
        g_ptr_array_add(a->initial, o);
        return qinsn_parse_range(val, &o->start, &o->end, errp);
    } else if (g_str_equal(key, "regs")) {
        return parse_regs(a, val, errp);
    } else if (g_str_equal(key, "log")) {
        if (!*val) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG, "empty path");
            return false;
        }
        g_free(a->log_path);
        a->log_path = g_strdup(val);
    } else if (g_str_equal(key, "format")) {
        return parse_format(a, val, errp);
    } else if (g_str_equal(key, "overflow")) {
        if (!g_str_equal(val, "wait") && !g_str_equal(val, "drop")) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                        "'%s' is not wait or drop", val);
            return false;
        }
        a->overflow_drop = g_str_equal(val, "drop");
    } else if (g_str_equal(key, "stall")) {
        return parse_stall(a, val, errp);
    } else if (g_str_equal(key, "sock")) {
        return parse_sock(a, val, errp);
    }
    return true;
}

bool qinsn_args_parse(QinsnArgs *a, int argc, char **argv, GError **errp)
{
    static const char *const known[] = {
        "watch", "regs", "log", "format", "sock", "overflow", "stall", NULL
    };

    for (int i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        g_autofree char *key = NULL;

        if (!eq) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                        "argument '%s' is not key=value", argv[i]);
            return false;
        }
        key = g_strndup(argv[i], eq - argv[i]);
        if (!g_strv_contains(known, key)) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                        "unknown argument '%s' (known: watch, regs, log, "
                        "format, sock, overflow, stall)", key);
            return false;
        }
        if (!parse_one(a, key, eq + 1, errp)) {
            g_prefix_error(errp, "argument %s: ", argv[i]);
            return false;
        }
    }
    return true;
}
