/*
 * JSON log records (format=json), as plugin/format.c writes them:
 *
 *   {"type":"watch","watch":1,"kind":"insn","addr":"0x…","sym":"f",
 *    "regs":["a0"],"regnums":[10],"if":"a0==37","count":1}
 *   {"type":"hit","watch":1,"cpu":0,"pc":"0x…","hit":3,
 *    "regs":{"a0":"0x5"},"stale":["eflags"],"mem":{"addr":…,"bytes":…}}
 *   {"type":"mem",… "addr":"0x…","size":8,"dir":"w","value":"0x…",…}
 *   {"type":"mark"…} {"type":"drop","count":N} {"type":"stall"…}
 *   {"type":"summary",…}
 */
#include <string.h>

#include "cli.h"
#include "json.h"
#include "logparse.h"

static bool bad(GError **errp, const char *type, const char *key)
{
    g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                "malformed %s record: %s \"%s\"", type,
                key ? "bad or missing" : "", key ? key : "");
    return false;
}

static bool get_hex(const JsonValue *o, const char *key, uint64_t *v)
{
    const char *s = json_get_str(o, key);

    return log_is_hex(s) && log_number(s, v);
}

static bool get_uint(const JsonValue *o, const char *key, unsigned *v)
{
    uint64_t n;

    if (!json_get_u64(o, key, &n) || n > G_MAXUINT) {
        return false;
    }
    *v = (unsigned)n;
    return true;
}

static bool in_array(const JsonValue *a, const char *s)
{
    for (guint i = 0; a && a->type == JSON_ARRAY && i < a->items->len;
         i++) {
        const JsonValue *it = g_ptr_array_index(a->items, i);
        if (it->type == JSON_STRING && g_str_equal(it->text, s)) {
            return true;
        }
    }
    return false;
}

static bool hit_capture(LogRecord *rec, const JsonValue *o)
{
    static const char *const kinds[] = { "mem", "str" };

    for (int k = 0; k < 2; k++) {
        const JsonValue *c = json_get(o, kinds[k]);
        const JsonValue *v;

        if (!c) {
            continue;
        }
        if (c->type != JSON_OBJECT) {
            return false;
        }
        rec->cap_kind = g_strdup(kinds[k]);
        if (json_get(c, "error")) {
            rec->cap_value = g_strdup("<unreadable>");
        } else if (k == 0 && json_get_str(c, "bytes")) {
            rec->cap_value = g_strdup(json_get_str(c, "bytes"));
        } else if (k == 1 && (v = json_get(c, "value")) &&
                   v->type == JSON_STRING) {
            rec->cap_value = g_strdup(v->literal);
        } else {
            return false;
        }
    }
    return true;
}

static bool hit_record(LogRecord *rec, const JsonValue *o, const char *type,
                       GError **errp)
{
    const JsonValue *regs = json_get(o, "regs");
    const JsonValue *stale = json_get(o, "stale");
    const char *dir;
    unsigned size;

    if (!get_uint(o, "watch", &rec->watch)) {
        return bad(errp, type, "watch");
    }
    if (!get_uint(o, "cpu", &rec->cpu) || !get_hex(o, "pc", &rec->pc) ||
        !json_get_u64(o, "hit", &rec->hit)) {
        return bad(errp, type, "cpu, pc or hit");
    }
    if (rec->kind == LOG_MEM) {
        dir = json_get_str(o, "dir");
        if (!get_hex(o, "addr", &rec->addr) ||
            !get_uint(o, "size", &size) || size > 64 || !dir ||
            !log_is_hex(json_get_str(o, "value"))) {
            return bad(errp, type, "addr, size, dir or value");
        }
        rec->size = size;
        rec->dir = g_strdup(dir);
        rec->value = g_strdup(json_get_str(o, "value"));
        logread_normalize_hex(rec->value);
    }
    if (regs && regs->type != JSON_OBJECT) {
        return bad(errp, type, "regs");
    }
    for (guint i = 0; regs && i < regs->items->len; i++) {
        const JsonValue *v = g_ptr_array_index(regs->items, i);
        const char *name = g_ptr_array_index(regs->keys, i);

        if (v->type != JSON_STRING || !log_is_hex(v->text)) {
            return bad(errp, type, name);
        }
        log_add_reg(rec, name, v->text, in_array(stale, name));
    }
    if (rec->kind == LOG_HIT && !hit_capture(rec, o)) {
        return bad(errp, type, "mem or str");
    }
    return true;
}

/* "regs":["a0",…] and "regnums":[10,…] as the text form's lists. */
static bool watch_regs(LogRecord *rec, const JsonValue *o)
{
    const JsonValue *names = json_get(o, "regs");
    const JsonValue *nums = json_get(o, "regnums");
    g_autoptr(GString) n = g_string_new(NULL), g = g_string_new(NULL);

    if ((names && names->type != JSON_ARRAY) ||
        (nums && nums->type != JSON_ARRAY)) {
        return false;
    }
    for (guint i = 0; names && i < names->items->len; i++) {
        const JsonValue *v = g_ptr_array_index(names->items, i);
        if (v->type != JSON_STRING || strchr(v->text, ',')) {
            return false;
        }
        g_string_append_printf(n, "%s%s", i ? "," : "", v->text);
    }
    for (guint i = 0; nums && i < nums->items->len; i++) {
        const JsonValue *v = g_ptr_array_index(nums->items, i);
        if (v->type != JSON_NUMBER) {
            return false;
        }
        g_string_append_printf(g, "%s%s", i ? "," : "", v->text);
    }
    return log_split_regs(rec, n->str, g->str);
}

static bool watch_record(LogRecord *rec, const JsonValue *o, GError **errp)
{
    static const char *const keys[] = {
        "if", "ignore", "count", "cpu", "mem", "str", "dir",
    };
    g_autoptr(GString) opts = g_string_new(NULL);
    const char *kind = json_get_str(o, "kind");

    if (!get_uint(o, "watch", &rec->watch)) {
        return bad(errp, "watch", "watch");
    }
    if (!kind || (!g_str_equal(kind, "insn") && !g_str_equal(kind, "mem"))) {
        return bad(errp, "watch", "kind");
    }
    rec->wkind = g_strdup(kind);
    if (!get_hex(o, "addr", &rec->start)) {
        return bad(errp, "watch", "addr");
    }
    rec->end = rec->start;
    if (json_get(o, "end") && !get_hex(o, "end", &rec->end)) {
        return bad(errp, "watch", "end");
    }
    rec->sym = g_strdup(json_get_str(o, "sym"));
    if (!watch_regs(rec, o)) {
        return bad(errp, "watch", "regs or regnums");
    }
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        const JsonValue *v = json_get(o, keys[i]);
        if (v && (v->type == JSON_STRING || v->type == JSON_NUMBER)) {
            g_string_append_printf(opts, "%s%s=%s", opts->len ? " " : "",
                                   keys[i], v->text);
        }
    }
    rec->options = opts->len ? g_strdup(opts->str) : NULL;
    return true;
}

bool parse_json_line(LogRecord *rec, const char *line, GError **errp)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonValue) o = json_parse(line, &err);
    const char *type;

    if (!o) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE, "%s", err->message);
        return false;
    }
    type = json_get_str(o, "type");
    if (!type) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "not a qinsn log record: no \"type\"");
        return false;
    }
    if (g_str_equal(type, "hit") || g_str_equal(type, "mem")) {
        rec->kind = g_str_equal(type, "hit") ? LOG_HIT : LOG_MEM;
        return hit_record(rec, o, type, errp);
    }
    if (g_str_equal(type, "watch")) {
        rec->kind = LOG_WATCH;
        return watch_record(rec, o, errp);
    }
    if (g_str_equal(type, "drop")) {
        rec->kind = LOG_DROP;
        return json_get_u64(o, "count", &rec->lost) ||
               bad(errp, "drop", "count");
    }
    if (g_str_equal(type, "summary")) {
        json_get_u64(o, "logged", &rec->sum_logged);
        json_get_u64(o, "dropped", &rec->sum_dropped);
        json_get_u64(o, "write_errors", &rec->sum_write_errors);
    }
    if (g_str_equal(type, "summary") || g_str_equal(type, "mark") ||
        g_str_equal(type, "stall")) {
        rec->kind = g_str_equal(type, "summary") ? LOG_SUMMARY :
                    g_str_equal(type, "mark") ? LOG_MARK : LOG_STALL;
        return true;
    }
    g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                "not a qinsn log record: type \"%.40s\"", type);
    return false;
}
