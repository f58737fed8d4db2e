/*
 * The one parser of watch requests (see watchspec.h).
 */
#include <inttypes.h>
#include <string.h>

#include "regs.h"
#include "watchspec.h"

void qinsn_watch_spec_init(QinsnWatchSpec *s)
{
    memset(s, 0, sizeof(*s));
    s->cpu = -1;
}

void qinsn_watch_spec_clear(QinsnWatchSpec *s)
{
    if (s->regs) {
        g_ptr_array_unref(s->regs);
    }
    qinsn_cond_clear(&s->cond);
    g_free(s->cond_text);
    g_free(s->capture_reg);
    g_free(s->capture_text);
    g_free(s->sym);
    qinsn_watch_spec_init(s);
}

static bool parse_count(const char *key, const char *val, uint64_t *out,
                        GError **errp)
{
    if (!qinsn_parse_u64(val, out, errp)) {
        g_prefix_error(errp, "%s: ", key);
        return false;
    }
    return true;
}

/*
 * The symbol a client resolved the address from, kept for the log's watch
 * record; the wire's word splitting already refuses spaces and control bytes.
 */
static bool parse_sym(const char *v, char **out, GError **errp)
{
    if (!*v || strlen(v) > 255 || strchr(v, '"') || strchr(v, '\\')) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "sym: '%s' is not a symbol name (1 to 255 characters, "
                    "no quotes or backslashes)", v);
        return false;
    }
    *out = g_strdup(v);
    return true;
}

static bool parse_regs(QinsnWatchSpec *s, const char *v, GError **errp)
{
    g_auto(GStrv) names = g_strsplit_set(v, ",:", -1);

    s->regs = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; names[i]; i++) {
        if (!*names[i]) {
            continue;
        }
        if (!qinsn_regs_name_valid(names[i], errp)) {
            return false;
        }
        g_ptr_array_add(s->regs, g_strdup(names[i]));
    }
    return true;
}

bool qinsn_watch_spec_set_cond(QinsnWatchSpec *s, const char *text,
                               GError **errp)
{
    qinsn_cond_clear(&s->cond);
    if (!qinsn_cond_parse(text, &s->cond, errp)) {
        g_prefix_error(errp, "if: ");
        return false;
    }
    if (s->kind == QINSN_WATCH_MEM && !g_str_equal(s->cond.reg, "value")) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "if: memory watches compare the accessed value, not "
                    "'%s': if=value<op><number>", s->cond.reg);
        return false;
    }
    g_free(s->cond_text);
    s->cond_text = g_strdup(text);
    s->has_cond = true;
    return true;
}

bool qinsn_watch_spec_set_capture(QinsnWatchSpec *s, QinsnCaptureKind kind,
                                  const char *text, GError **errp)
{
    if (s->capture) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "mem= and str= cannot be combined on one watch");
        return false;
    }
    if (kind == QINSN_CAPTURE_MEM) {
        QinsnMemSpec m = { 0 };

        if (!qinsn_mem_spec_parse(text, &m, QINSN_MAX_MEM, errp)) {
            return false;
        }
        s->capture_reg = g_steal_pointer(&m.reg);
        s->capture_off = m.offset;
        s->capture_len = m.len;
    } else {
        if (!qinsn_regs_name_valid(text, errp)) {
            g_prefix_error(errp, "str: ");
            return false;
        }
        s->capture_reg = g_strdup(text);
        s->capture_len = QINSN_MAX_STR;
    }
    s->capture = kind;
    s->capture_text = g_strdup_printf("%s=%s",
                                      kind == QINSN_CAPTURE_MEM ? "mem" :
                                      "str", text);
    return true;
}

static bool parse_cpu(QinsnWatchSpec *s, const char *v, GError **errp)
{
    uint64_t n;

    if (!parse_count("cpu", v, &n, errp)) {
        return false;
    }
    if (n > QINSN_MAX_CPU) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "cpu: %" PRIu64 " is not a vCPU index", n);
        return false;
    }
    s->cpu = (int)n;
    return true;
}

/* Options every kind of watch takes: regs, if, sym, ignore, count, once, cpu. */
static bool common_options(QinsnWatchSpec *s, const QinsnRequest *req,
                           GError **errp)
{
    const char *v;

    if ((v = qinsn_request_opt(req, "regs")) && !parse_regs(s, v, errp)) {
        return false;
    }
    if ((v = qinsn_request_opt(req, "if")) &&
        !qinsn_watch_spec_set_cond(s, v, errp)) {
        return false;
    }
    if ((v = qinsn_request_opt(req, "sym")) && !parse_sym(v, &s->sym, errp)) {
        return false;
    }
    if ((v = qinsn_request_opt(req, "ignore")) &&
        !parse_count("ignore", v, &s->ignore, errp)) {
        return false;
    }
    if ((v = qinsn_request_opt(req, "count")) &&
        !parse_count("count", v, &s->count, errp)) {
        return false;
    }
    if (qinsn_request_has_flag(req, "once")) {
        if (s->count > 1) {
            g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                        "once contradicts count=%" PRIu64, s->count);
            return false;
        }
        s->count = 1;
    }
    return !(v = qinsn_request_opt(req, "cpu")) || parse_cpu(s, v, errp);
}

/* "watch" and "break": an address or range, and captures. */
static bool parse_insn(QinsnWatchSpec *s, const QinsnRequest *req,
                       GError **errp)
{
    const char *v;

    if (!qinsn_parse_range(g_ptr_array_index(req->args, 0), &s->start,
                           &s->end, errp) ||
        !common_options(s, req, errp)) {
        return false;
    }
    if ((v = qinsn_request_opt(req, "mem")) &&
        !qinsn_watch_spec_set_capture(s, QINSN_CAPTURE_MEM, v, errp)) {
        return false;
    }
    return !(v = qinsn_request_opt(req, "str")) ||
        qinsn_watch_spec_set_capture(s, QINSN_CAPTURE_STR, v, errp);
}

static bool parse_dir(const char *dir, int *out, GError **errp)
{
    if (g_str_equal(dir, "r")) {
        *out = QINSN_MEM_READ;
    } else if (g_str_equal(dir, "w")) {
        *out = QINSN_MEM_WRITE;
    } else if (g_str_equal(dir, "rw")) {
        *out = QINSN_MEM_READ | QINSN_MEM_WRITE;
    } else {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "'%s' is not r, w or rw", dir);
        return false;
    }
    return true;
}

/* "watch-mem <addr> <len> [r|w|rw]". */
static bool parse_mem(QinsnWatchSpec *s, const QinsnRequest *req,
                      GError **errp)
{
    uint64_t len;

    if (!qinsn_parse_u64(g_ptr_array_index(req->args, 0), &s->start, errp)) {
        return false;
    }
    if (!qinsn_parse_u64(g_ptr_array_index(req->args, 1), &len, errp)) {
        g_prefix_error(errp, "length: ");
        return false;
    }
    if (len == 0 || s->start + (len - 1) < s->start) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_ARG,
                    "length %" PRIu64 " is empty or wraps around", len);
        return false;
    }
    s->end = s->start + len - 1;
    return parse_dir(req->args->len > 2 ? g_ptr_array_index(req->args, 2) :
                     "rw", &s->mem_dir, errp) &&
        common_options(s, req, errp);
}

bool qinsn_watch_spec_parse(QinsnWatchSpec *s, const QinsnRequest *req,
                            GError **errp)
{
    const char *name = req->spec->name;

    if (g_str_equal(name, "watch-mem")) {
        s->kind = QINSN_WATCH_MEM;
        return parse_mem(s, req, errp);
    }
    if (!g_str_equal(name, "watch") && !g_str_equal(name, "break")) {
        g_set_error(errp, QINSN_ERROR, QINSN_ERR_SYNTAX,
                    "'%s' is not a watch request", name);
        return false;
    }
    s->kind = name[0] == 'b' ? QINSN_WATCH_BREAK : QINSN_WATCH_INSN;
    return parse_insn(s, req, errp);
}
