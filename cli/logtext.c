/*
 * Text log records, as plugin/format.c writes them:
 *
 *   watch w1    insn addr=0x… [end=0x…] [sym=S] regs=a0 regnums=10 …
 *   hit   w1    cpu0   #1        pc=0x… a0=0x…[(stale)] [mem@0x…=hex]
 *   mem   w2    cpu0   #1        pc=0x… addr=0x… size=8  dir=w …
 *   mark  TOKEN / drop  N … / stall … / summary … / summary w1   pc=0x… …
 *
 * Words are separated by runs of spaces; a str= capture is a JSON string
 * literal that may hold spaces, so it runs to the end of the line.
 */
#include <string.h>

#include "cli.h"
#include "logparse.h"

static bool bad(GError **errp, const char *what, const char *word)
{
    g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE, "malformed %s record%s%s%s",
                what, word ? ": '" : "", word ? word : "", word ? "'" : "");
    return false;
}

/*
 * The words of a line, split in place in a copy of it: no allocation per
 * word, this runs for every line of both logs.  @orig is the line itself,
 * for what runs to its end (a str= capture).
 */
typedef struct Words {
    char *p;
    char *buf;
    const char *orig;
} Words;

/* The next word, or NULL at the end. */
static char *next_word(Words *t)
{
    char *s = t->p, *e;

    while (*s == ' ' || *s == '\t') {
        s++;
    }
    if (!*s) {
        t->p = s;
        return NULL;
    }
    for (e = s; *e && *e != ' ' && *e != '\t'; e++) {
        /* to the end of the word */
    }
    t->p = *e ? e + 1 : e;
    *e = '\0';
    return s;
}

/* The original line from @at (a pointer into the copy) to its end. */
static const char *rest_of_line(const Words *t, const char *at)
{
    return t->orig + (at - t->buf);
}

/* "w12" -> 12 */
static bool watch_id(const char *w, unsigned *id)
{
    uint64_t v;

    if (!w || w[0] != 'w' || !g_ascii_isdigit(w[1]) ||
        !log_number(w + 1, &v) || v > G_MAXUINT) {
        return false;
    }
    *id = (unsigned)v;
    return true;
}

/* "key=value": the value if @w's key is @key. */
static const char *key_value(const char *w, const char *key)
{
    size_t n = strlen(key);

    return w && strncmp(w, key, n) == 0 && w[n] == '=' ? w + n + 1 : NULL;
}

static bool hit_head(LogRecord *rec, Words *p, GError **errp)
{
    const char *what = rec->kind == LOG_MEM ? "mem" : "hit";
    char *w = next_word(p), *c = next_word(p), *h = next_word(p),
         *pc = next_word(p);
    uint64_t cpu;

    if (!watch_id(w, &rec->watch)) {
        return bad(errp, what, w);
    }
    if (!c || !g_str_has_prefix(c, "cpu") || !log_number(c + 3, &cpu)) {
        return bad(errp, what, c);
    }
    rec->cpu = (unsigned)cpu;
    if (!h || h[0] != '#' || !log_number(h + 1, &rec->hit)) {
        return bad(errp, what, h);
    }
    if (!log_number(key_value(pc, "pc"), &rec->pc)) {
        return bad(errp, what, pc);
    }
    return true;
}

static bool mem_access(LogRecord *rec, Words *p, GError **errp)
{
    char *a = next_word(p), *s = next_word(p), *d = next_word(p),
         *v = next_word(p);
    const char *dir = key_value(d, "dir");
    uint64_t size;

    if (!log_number(key_value(a, "addr"), &rec->addr) ||
        !log_number(key_value(s, "size"), &size) || size > 64 || !dir ||
        (!g_str_equal(dir, "r") && !g_str_equal(dir, "w")) ||
        !log_is_hex(key_value(v, "value"))) {
        return bad(errp, "mem", NULL);
    }
    rec->size = (unsigned)size;
    rec->dir = g_strdup(dir);
    rec->value = g_strdup(key_value(v, "value"));
    logread_normalize_hex(rec->value);
    return true;
}

/* "mem@0x…=hex", or "str@0x…=" and the rest of the line. */
static bool capture(LogRecord *rec, const char *word, Words *p,
                    GError **errp)
{
    const char *eq = strchr(word, '=');

    rec->cap_kind = g_strndup(word, 3);
    if (!eq) {
        return bad(errp, "hit", word);
    }
    if (word[0] == 's') {
        /* the literal may hold spaces: it runs to the end of the line */
        rec->cap_value = g_strdup(rest_of_line(p, eq + 1));
        p->p += strlen(p->p);
    } else {
        rec->cap_value = g_strdup(eq + 1);
    }
    return true;
}

static bool hit_regs(LogRecord *rec, Words *p, GError **errp)
{
    char *w;

    while ((w = next_word(p))) {
        char *eq = strchr(w, '=');
        bool stale = g_str_has_suffix(w, "(stale)");

        if (g_str_has_prefix(w, "mem@") || g_str_has_prefix(w, "str@")) {
            return capture(rec, w, p, errp);
        }
        if (stale) {
            w[strlen(w) - strlen("(stale)")] = '\0';
        }
        if (!eq || eq == w || !log_is_hex(eq + 1)) {
            return bad(errp, rec->kind == LOG_MEM ? "mem" : "hit", w);
        }
        *eq = '\0';
        log_add_reg(rec, w, eq + 1, stale);
    }
    return true;
}

/* The options of a watch record, as text for messages. */
static const char *const watch_option_keys[] = {
    "if", "ignore", "count", "cpu", "mem", "str", "dir", NULL
};

static bool watch_line(LogRecord *rec, Words *p, GError **errp)
{
    char *w = next_word(p), *k = next_word(p);
    const char *regs = NULL, *nums = NULL;
    g_autoptr(GString) opts = g_string_new(NULL);
    bool have_addr = false;
    char *kw;

    if (!watch_id(w, &rec->watch) || !k ||
        (!g_str_equal(k, "insn") && !g_str_equal(k, "mem"))) {
        return bad(errp, "watch", w && watch_id(w, &rec->watch) ? k : w);
    }
    rec->wkind = g_strdup(k);
    while ((kw = next_word(p))) {
        char *eq = strchr(kw, '=');

        if (!eq) {
            return bad(errp, "watch", kw);
        }
        *eq = '\0';
        if (g_str_equal(kw, "addr")) {
            have_addr = log_number(eq + 1, &rec->start);
        } else if (g_str_equal(kw, "end")) {
            if (!log_number(eq + 1, &rec->end)) {
                return bad(errp, "watch", eq + 1);
            }
        } else if (g_str_equal(kw, "sym")) {
            g_free(rec->sym);   /* a repeated key: the last one holds */
            rec->sym = g_strdup(eq + 1);
        } else if (g_str_equal(kw, "regs")) {
            regs = eq + 1;
        } else if (g_str_equal(kw, "regnums")) {
            nums = eq + 1;
        } else if (g_strv_contains(watch_option_keys, kw)) {
            g_string_append_printf(opts, "%s%s=%s", opts->len ? " " : "",
                                   kw, eq + 1);
        }
        /* other keys: options of a later plugin, shown by nobody */
    }
    if (!have_addr) {
        return bad(errp, "watch", "no addr=");
    }
    if (!rec->end) {
        rec->end = rec->start;
    }
    if (!log_split_regs(rec, regs, nums)) {
        return bad(errp, "watch", "regs= and regnums= differ");
    }
    rec->options = opts->len ? g_strdup(opts->str) : NULL;
    return true;
}

static bool summary_line(LogRecord *rec, Words *p, GError **errp)
{
    char *w = next_word(p);

    if (w && w[0] == 'w') {
        rec->kind = LOG_SUMMARY_WATCH;
        if (!watch_id(w, &rec->watch)) {
            return bad(errp, "summary", w);
        }
    } else if (!w || !g_str_has_prefix(w, "hits=")) {
        return bad(errp, "summary", w);
    } else {
        /* the counts that tell whether records are missing */
        while ((w = next_word(p))) {
            const char *v;
            if ((v = key_value(w, "logged"))) {
                log_number(v, &rec->sum_logged);
            } else if ((v = key_value(w, "dropped"))) {
                log_number(v, &rec->sum_dropped);
            } else if ((v = key_value(w, "write_errors"))) {
                log_number(v, &rec->sum_write_errors);
            }
        }
    }
    return true;
}

bool parse_text_line(LogRecord *rec, const char *line, GError **errp)
{
    g_autofree char *buf = g_strdup(line);
    Words words = { buf, buf, line };
    Words *p = &words;
    char *type = next_word(p);
    char *n;

    if (!type) {
        return bad(errp, "blank", NULL);
    }
    if (g_str_equal(type, "hit") || g_str_equal(type, "mem")) {
        rec->kind = g_str_equal(type, "hit") ? LOG_HIT : LOG_MEM;
        return hit_head(rec, p, errp) &&
               (rec->kind == LOG_HIT || mem_access(rec, p, errp)) &&
               hit_regs(rec, p, errp);
    }
    if (g_str_equal(type, "watch")) {
        rec->kind = LOG_WATCH;
        return watch_line(rec, p, errp);
    }
    if (g_str_equal(type, "summary")) {
        rec->kind = LOG_SUMMARY;
        return summary_line(rec, p, errp);
    }
    if (g_str_equal(type, "drop")) {
        rec->kind = LOG_DROP;
        n = next_word(p);
        return log_number(n, &rec->lost) || bad(errp, "drop", n);
    }
    if (g_str_equal(type, "mark")) {
        rec->kind = LOG_MARK;
        return true;
    }
    if (g_str_equal(type, "stall")) {
        rec->kind = LOG_STALL;
        return true;
    }
    g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                "not a qinsn log record: '%.40s'", line);
    return false;
}
