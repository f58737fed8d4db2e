/*
 * Session state and the helpers command handlers share: checked requests,
 * event printing, instruction bytes by address, register names, watch ids
 * and symbols.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kv.h"
#include "output.h"
#include "proto.h"
#include "session.h"

Session *session_new(Conn *conn, bool json)
{
    Session *s = g_new0(Session, 1);

    s->conn = conn;
    s->json = json;
    s->disas = conn ? disas_new(conn->arch) : NULL;
    s->insn = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                    g_free);
    return s;
}

void session_free(Session *s)
{
    if (!s) {
        return;
    }
    conn_free(s->conn);
    disas_free(s->disas);
    elf_free(s->elf);
    g_free(s->elf_problem);
    g_hash_table_unref(s->insn);
    if (s->reg_names) {
        g_ptr_array_unref(s->reg_names);
    }
    g_free(s->qmp_path);
    g_free(s->err_class);
    g_free(s->err_text);
    g_free(s);
}

void session_print(Session *s, const char *text, bool to_stderr)
{
    if (s && s->emit) {
        s->emit(text, to_stderr);
        return;
    }
    fputs(text, to_stderr ? stderr : stdout);
    fflush(to_stderr ? stderr : stdout);
}

void session_report(Session *s, const GError *err, const char *where)
{
    g_autoptr(GString) out = g_string_new(NULL);
    int code = cli_exit_code(err);

    if (s && s->json) {
        bool remote = code == CLI_EXIT_REMOTE && s->err_class;

        output_json_error(out, remote ? s->err_class : NULL, code,
                          remote ? s->err_text : err->message);
        g_clear_pointer(&s->err_class, g_free);
        session_print(s, out->str, false);
        return;
    }
    g_string_printf(out, "qinsn: %s%s%s\n", where ? where : "",
                    where ? ": " : "", err->message);
    session_print(s, out->str, true);
}

static const char *hint_for(const char *cls)
{
    if (g_str_equal(cls, "NOTFOUND")) {
        return " (see 'list' for the watches)";
    }
    if (g_str_equal(cls, "SYNTAX")) {
        return " (see 'help')";
    }
    return "";
}

Reply *session_request(Session *s, const char *line, GError **errp)
{
    g_autoptr(Reply) r = conn_request(s->conn, line, errp);
    g_autofree char *cmd = NULL;

    if (!r) {
        return NULL;
    }
    if (r->ok) {
        return g_steal_pointer(&r);
    }
    cmd = g_strndup(line, strcspn(line, " \t"));
    g_free(s->err_class);
    s->err_class = g_strdup(r->err_class);
    g_free(s->err_text);
    s->err_text = g_strdup_printf("%s: %s", cmd, r->err_text);
    g_set_error(errp, CLI_ERROR, CLI_EXIT_REMOTE, "%s: %s [%s]%s", cmd,
                r->err_text, r->err_class, hint_for(r->err_class));
    return NULL;
}

bool session_hold_events(Session *s, GError **errp)
{
    g_autoptr(Reply) r = NULL;

    if (s->subscribed || s->holding || !conn_is_open(s->conn)) {
        return true;
    }
    r = session_request(s, "subscribe", errp);
    if (!r) {
        return false;
    }
    s->holding = true;
    s->conn->max_events = HELD_EVENTS_MAX;
    return true;
}

unsigned session_flush_events(Session *s)
{
    char *ev;

    if (s->conn && s->holding && !s->subscribed) {
        while ((ev = conn_next_event(s->conn))) {
            g_free(ev);
        }
        s->conn->events_dropped = 0;
        return 0;
    }
    return session_flush_hits(s, 0);
}

unsigned session_flush_hits(Session *s, unsigned max)
{
    unsigned hits = 0;
    char *ev;

    while (s->conn && (!max || hits < max) &&
           (ev = conn_next_event(s->conn))) {
        g_autoptr(GString) out = g_string_new(NULL);

        hits += g_str_has_prefix(ev, "hit ") ||
                g_str_has_prefix(ev, "mem ");
        output_event(s, ev, out);
        session_print(s, out->str, false);
        g_free(ev);
    }
    return hits;
}

static uint64_t *pc_key(uint64_t pc)
{
    uint64_t *k = g_new(uint64_t, 1);

    *k = pc;
    return k;
}

void session_learn_disas(Session *s, uint64_t pc, const char *value)
{
    char *text = value ? qinsn_unquote(value, NULL) : NULL;

    if (text) {
        g_hash_table_replace(s->insn, pc_key(pc), text);
    }
}

void session_learn_list(Session *s, const Reply *r)
{
    for (guint i = 0; i < r->data->len; i++) {
        g_autoptr(GArray) kv = kv_split(g_ptr_array_index(r->data, i));
        const char *addr = kv_get(kv, "addr");
        uint64_t pc, end;

        if (addr && qinsn_parse_range(addr, &pc, &end, NULL)) {
            session_learn_disas(s, pc, kv_get(kv, "disas"));
        }
    }
}

/* Capstone's text of the instruction at @pc in the guest's ELF file. */
static char *disas_from_elf(Session *s, uint64_t pc)
{
    uint8_t code[16];
    size_t len;

    if (!s->disas) {
        return NULL;
    }
    len = elf_read_code(session_elf(s), pc, code, sizeof(code));
    return disas_code(s->disas, pc, code, len);
}

char *session_insn_text(Session *s, uint64_t pc)
{
    const char *qemu = g_hash_table_lookup(s->insn, &pc);

    return qemu ? g_strdup(qemu) : disas_from_elf(s, pc);
}

char *session_describe_pc(Session *s, uint64_t pc)
{
    g_autofree char *sym = elf_symbolize(session_elf(s), pc);
    g_autofree char *text = session_insn_text(s, pc);

    if (sym && text) {
        return g_strdup_printf("%s: %s", sym, text);
    }
    return sym ? g_steal_pointer(&sym) : g_steal_pointer(&text);
}

GPtrArray *session_registers(Session *s)
{
    g_autoptr(Reply) r = NULL;

    if (s->reg_names) {
        return s->reg_names;
    }
    r = conn_is_open(s->conn) ? conn_request(s->conn, "regs", NULL) : NULL;
    if (!r || !r->ok) {
        return g_ptr_array_new_with_free_func(g_free);
    }
    s->reg_names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < r->data->len; i++) {
        g_autoptr(GArray) kv = kv_split(g_ptr_array_index(r->data, i));
        const char *name = kv_get(kv, "name");

        if (name) {
            g_ptr_array_add(s->reg_names, g_strdup(name));
        }
    }
    return s->reg_names;
}

GPtrArray *session_watch_ids(Session *s)
{
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(Reply) r = NULL;

    r = conn_is_open(s->conn) ? conn_request(s->conn, "list", NULL) : NULL;
    if (!r || !r->ok) {
        return ids;
    }
    session_learn_list(s, r);
    for (guint i = 0; i < r->data->len; i++) {
        g_autoptr(GArray) kv = kv_split(g_ptr_array_index(r->data, i));
        const char *id = kv_get(kv, "id");

        if (id) {
            g_ptr_array_add(ids, g_strdup(id));
        }
    }
    return ids;
}

/* What stats says about the guest program: its path and load offset. */
static bool ask_program(Session *s, char **path, uint64_t *load,
                        bool *load_known)
{
    g_autoptr(Reply) r = conn_is_open(s->conn) ?
        conn_request(s->conn, "stats", NULL) : NULL;

    for (guint i = 0; r && r->ok && i < r->data->len; i++) {
        const char *line = g_ptr_array_index(r->data, i);

        if (g_str_has_prefix(line, "program=")) {
            *path = qinsn_unquote(line + 8, NULL);
        } else if (g_str_has_prefix(line, "load=")) {
            *load_known = qinsn_parse_u64(line + 5, load, NULL);
        }
    }
    return r && r->ok;
}

static void set_problem(Session *s, char *text)
{
    g_free(s->elf_problem);
    s->elf_problem = text;
}

/* Open the program the plugin named, or say why it has no symbols. */
static void open_program(Session *s, const char *path)
{
    g_autoptr(GError) err = NULL;

    s->elf = elf_open(path, &err);
    if (!s->elf) {
        set_problem(s, g_strdup_printf(
            "the guest program has no symbols: %s (a compressed or raw "
            "kernel image?); give its ELF file with -e FILE", err->message));
    }
}

ElfFile *session_elf(Session *s)
{
    g_autofree char *path = NULL;
    uint64_t load = 0;
    bool load_known = false;
    bool system = s->conn && s->conn->greeting &&
                  strstr(s->conn->greeting, " mode=system");

    /* user mode learns its program as the guest starts: ask again later */
    if (s->elf_learned || !s->conn ||
        g_get_monotonic_time() - s->elf_asked_at < G_USEC_PER_SEC) {
        return s->elf;
    }
    s->elf_asked_at = g_get_monotonic_time();
    if (!ask_program(s, &path, &load, &load_known)) {
        return s->elf;
    }
    s->elf_learned = path || system;
    if (!s->elf && path) {
        open_program(s, path);
    } else if (!s->elf && s->elf_learned) {
        set_problem(s, g_strdup("QEMU was started without -kernel, so the "
                                "guest program is not known; give its ELF "
                                "file with -e FILE"));
    } else if (!s->elf) {
        set_problem(s, g_strdup("the guest program is not known yet (no "
                                "vCPU has started); give it with -e FILE"));
    }
    if (s->elf && s->elf->pie && load_known) {
        s->elf->bias = load;
    }
    return s->elf;
}

char *session_resolve_addr(Session *s, const char *word, GError **errp)
{
    ElfFile *elf;
    uint64_t addr;

    if (g_ascii_isdigit(word[0])) {
        if (!qinsn_parse_u64(word, &addr, errp)) {
            return NULL;
        }
        return g_strdup(word);
    }
    elf = session_elf(s);
    if (elf_lookup(elf, word, &addr)) {
        return g_strdup_printf("0x%" PRIx64, addr);
    }
    if (elf && elf->syms->len) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "'%s' is neither an address nor a known symbol of %s",
                    word, elf->path);
    } else if (elf) {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "'%s' is not an address, and %s has no symbol table "
                    "(stripped?): give an unstripped copy with -e FILE",
                    word, elf->path);
    } else {
        g_set_error(errp, CLI_ERROR, CLI_EXIT_USAGE,
                    "'%s' is not an address, and %s", word,
                    s->elf_problem ? s->elf_problem :
                    "there are no symbols: give the guest ELF with -e FILE");
    }
    return NULL;
}
