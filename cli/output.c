/*
 * Rendering of replies and events, in text or JSON.
 *
 * Text keeps the protocol's words so that what a user reads is what the
 * protocol reference documents; the client only adds the disassembly (and
 * symbol) after a ';'.  That disassembly is the plugin's disas= field when
 * the line has one, moved there from the middle of the line; else capstone's
 * from the ELF file.  JSON turns each key=value into a member, decimal
 * numbers into numbers, and groups the registers of a hit.
 */
#include <string.h>

#include "cli.h"
#include "kv.h"
#include "output.h"
#include "proto.h"

/*
 * The value of the first word with key @key (an event's own pc comes
 * before a register called pc), or NULL.
 */
static const char *first_value(GArray *kv, const char *key)
{
    for (guint i = 0; i < kv->len; i++) {
        KvPair *p = &g_array_index(kv, KvPair, i);

        if (p->key && g_str_equal(p->key, key)) {
            return p->value;
        }
    }
    return NULL;
}

/*
 * @line without its disas= field, whose text is learnt as the instruction
 * at the line's pc (an event) or address (a list line).
 */
static char *take_disas(Session *s, const char *line)
{
    g_autofree char *value = NULL;
    char *rest = kv_cut_quoted(line, "disas", &value);
    g_autoptr(GArray) kv = NULL;
    const char *at;
    uint64_t v, end;

    if (!value) {
        return rest;
    }
    kv = kv_split(rest);
    at = first_value(kv, "pc");
    at = at ? at : first_value(kv, "addr");
    if (at && qinsn_parse_range(at, &v, &end, NULL)) {
        session_learn_disas(s, v, value);
    }
    return rest;
}

/*
 * What to say after a line: the instruction at an event's pc, or at a
 * list line's address (for a memory watch: the symbol of the data).
 */
static char *line_note(Session *s, GArray *kv)
{
    const char *addr = first_value(kv, "addr");
    const char *pc = first_value(kv, "pc");
    uint64_t v, end;

    if (pc && qinsn_parse_u64(pc, &v, NULL)) {
        return session_describe_pc(s, v);
    }
    if (!addr || !qinsn_parse_range(addr, &v, &end, NULL)) {
        return NULL;
    }
    if (g_strcmp0(first_value(kv, "type"), "mem") == 0) {
        return elf_symbolize(session_elf(s), v);
    }
    return session_describe_pc(s, v);
}

static void json_string_member(GString *out, const char *key, const char *v)
{
    g_string_append_c(out, ',');
    kv_json_key(out, key);
    g_string_append_c(out, '"');
    qinsn_json_escape(out, v);
    g_string_append_c(out, '"');
}

static void json_data_line(Session *s, GString *out, const char *wire)
{
    g_autofree char *line = take_disas(s, wire);
    g_autoptr(GArray) kv = kv_split(line);
    g_autofree char *note = NULL;

    if (!kv_all_pairs(kv)) {
        g_string_append_c(out, '"');
        qinsn_json_escape(out, line);
        g_string_append_c(out, '"');
        return;
    }
    g_string_append_c(out, '{');
    kv_json_members(out, kv);
    note = line_note(s, kv);
    if (note) {
        json_string_member(out, "asm", note);
    }
    g_string_append_c(out, '}');
}

static void json_reply(Session *s, const Reply *r, const char *extra,
                       const char *note, GString *out)
{
    g_autofree char *fields = g_strjoin(" ", r->fields, extra ? extra : "",
                                        NULL);
    g_autoptr(GArray) kv = kv_split(fields);

    g_string_append(out, "{\"ok\":true");
    if (kv->len) {
        g_string_append_c(out, ',');
        kv_json_members(out, kv);
    }
    if (note) {
        json_string_member(out, "asm", note);
    }
    if (r->data->len) {
        g_string_append(out, ",\"data\":[");
        for (guint i = 0; i < r->data->len; i++) {
            if (i) {
                g_string_append_c(out, ',');
            }
            json_data_line(s, out, g_ptr_array_index(r->data, i));
        }
        g_string_append_c(out, ']');
    }
    g_string_append(out, "}\n");
}

void output_reply(Session *s, const Reply *r, const char *extra,
                  const char *note, GString *out)
{
    bool any = false;

    if (s->json) {
        json_reply(s, r, extra, note, out);
        return;
    }
    for (guint i = 0; i < r->data->len; i++) {
        g_autofree char *line = take_disas(s, g_ptr_array_index(r->data, i));
        g_autoptr(GArray) kv = kv_split(line);
        g_autofree char *n = line_note(s, kv);

        g_string_append_printf(out, "%s%s%s\n", line, n ? "  ; " : "",
                               n ? n : "");
    }
    if (*r->fields || extra) {
        g_string_append(out, r->fields);
        if (extra) {
            g_string_append_printf(out, "%s%s", *r->fields ? " " : "",
                                   extra);
        }
        any = true;
    }
    if (note) {
        g_string_append_printf(out, "%s; %s", any ? "  " : "", note);
        any = true;
    }
    if (any) {
        g_string_append_c(out, '\n');
    } else if (!r->data->len) {
        g_string_append(out, "OK\n");
    }
}

/* Keys of hit and mem events that are not registers. */
static bool is_hit_key(const char *key)
{
    static const char *const keys[] = {
        "watch", "cpu", "pc", "hit", "addr", "size", "dir", "value",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        if (g_str_equal(key, keys[i])) {
            return true;
        }
    }
    return false;
}

static bool is_hit_event(const char *type)
{
    return g_str_equal(type, "hit") || g_str_equal(type, "mem");
}

static void json_capture(GString *out, const KvPair *p)
{
    const char *at = strchr(p->key, '@');
    bool str = g_str_has_prefix(p->key, "str@");

    g_string_append_c(out, ',');
    kv_json_key(out, str ? "str" : "mem");
    g_string_append(out, "{\"addr\":");
    kv_json_value(out, at + 1);
    g_string_append(out, str ? ",\"value\":" : ",\"bytes\":");
    if (str || g_str_equal(p->value, "<unreadable>")) {
        kv_json_value(out, p->value);
    } else {
        g_string_append_printf(out, "\"%s\"", p->value);
    }
    g_string_append_c(out, '}');
}

static void json_stale(GString *out, const char *list)
{
    g_auto(GStrv) names = g_strsplit(list, ",", -1);

    g_string_append(out, ",\"stale\":[");
    for (int i = 0; names[i]; i++) {
        g_string_append_printf(out, "%s", i ? "," : "");
        kv_json_value(out, names[i]);
    }
    g_string_append_c(out, ']');
}

/* Whether pair @i is an event field (a register may be called "pc" too). */
static bool is_field(GArray *kv, guint i)
{
    const char *key = g_array_index(kv, KvPair, i).key;

    if (!key || !is_hit_key(key)) {
        return false;
    }
    for (guint j = 0; j < i; j++) {
        if (g_strcmp0(g_array_index(kv, KvPair, j).key, key) == 0) {
            return false;
        }
    }
    return true;
}

static void json_hit(const char *type, GArray *kv, const char *note,
                     GString *out)
{
    bool regs = false;

    g_string_append_printf(out, "{\"event\":\"%s\"", type);
    for (guint i = 0; i < kv->len; i++) {
        KvPair *p = &g_array_index(kv, KvPair, i);

        if (is_field(kv, i)) {
            g_string_append_c(out, ',');
            kv_json_key(out, p->key);
            kv_json_value(out, p->value);
        }
    }
    g_string_append(out, ",\"regs\":{");
    for (guint i = 0; i < kv->len; i++) {
        KvPair *p = &g_array_index(kv, KvPair, i);

        if (p->key && !is_field(kv, i) && !strchr(p->key, '@') &&
            !g_str_equal(p->key, "stale")) {
            g_string_append_printf(out, "%s", regs ? "," : "");
            kv_json_key(out, p->key);
            kv_json_value(out, p->value);
            regs = true;
        }
    }
    g_string_append_c(out, '}');
    for (guint i = 0; i < kv->len; i++) {
        KvPair *p = &g_array_index(kv, KvPair, i);

        if (p->key && strchr(p->key, '@')) {
            json_capture(out, p);
        } else if (p->key && g_str_equal(p->key, "stale")) {
            json_stale(out, p->value);
        }
    }
    if (note) {
        json_string_member(out, "asm", note);
    }
    g_string_append(out, "}\n");
}

/* Where a break stopped the guest, and how to go on. */
static char *stop_note(Session *s, GArray *kv)
{
    const char *at = kv_get(kv, "at");
    const char *pc = at ? at : kv_get(kv, "pc");
    uint64_t addr;
    g_autofree char *sym = NULL;

    if (pc && qinsn_parse_u64(pc, &addr, NULL)) {
        sym = elf_symbolize(s->elf, addr);
    }
    return g_strdup_printf("%s%sguest paused%s; 'continue' resumes it "
                           "(gdb: its continue)", sym ? sym : "",
                           sym ? ": " : "",
                           at ? " after the match (stock QEMU)" : "");
}

void output_event(Session *s, const char *wire, GString *out)
{
    g_autofree char *ev = take_disas(s, wire);
    const char *sp = strchr(ev, ' ');
    g_autofree char *type = sp ? g_strndup(ev, sp - ev) : g_strdup(ev);
    g_autoptr(GArray) kv = kv_split(sp ? sp + 1 : "");
    g_autofree char *note = NULL;

    if (is_hit_event(type)) {
        note = line_note(s, kv);
    } else if (g_str_equal(type, "stop")) {
        note = stop_note(s, kv);
    }
    if (!s->json) {
        g_string_append_printf(out, "%s%s%s\n", ev, note ? "  ; " : "",
                               note ? note : "");
        return;
    }
    if (is_hit_event(type)) {
        json_hit(type, kv, note, out);
        return;
    }
    g_string_append(out, "{\"event\":");
    kv_json_value(out, type);
    if (kv->len) {
        g_string_append_c(out, ',');
        kv_json_members(out, kv);
    }
    g_string_append(out, "}\n");
}

void output_json_error(GString *out, const char *cls, int code,
                       const char *msg)
{
    if (!cls) {
        cls = code == CLI_EXIT_CONNECT ? "CONNECT" :
              code == CLI_EXIT_USAGE ? "USAGE" : "ERROR";
    }
    g_string_append(out, "{\"ok\":false,\"class\":");
    kv_json_value(out, cls);
    g_string_append(out, ",\"error\":");
    g_string_append_c(out, '"');
    qinsn_json_escape(out, msg);
    g_string_append(out, "\"}\n");
}
