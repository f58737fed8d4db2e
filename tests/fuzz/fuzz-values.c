/*
 * Fuzz harness: the value parsers of the wire protocol and of plugin
 * arguments (numbers, ranges, conditions, memory captures, word splitting,
 * register names) and JSON escaping.
 *
 * Input: one byte choosing the parser, then its text.  Checks: a result or
 * an error, never both nor neither; what parsed prints back and parses to
 * the same value; words never hold blanks; escaped JSON is valid and
 * unescapes to its input.
 */
#include <inttypes.h>
#include <string.h>

#include "fuzzlib.h"
#include "proto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_glib();
    return 0;
}

static void check_u64(const char *s)
{
    g_autoptr(GError) err = NULL;
    uint64_t v, back;
    bool ok = qinsn_parse_u64(s, &v, &err);
    g_autofree char *dec = NULL, *hex = NULL;

    FUZZ_CHECK(ok == !err);
    if (!ok) {
        FUZZ_CHECK(err->code == QINSN_ERR_ARG);
        return;
    }
    /* the documented grammar: decimal digits, or 0x and hex digits */
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        FUZZ_CHECK(s[2] && strspn(s + 2, "0123456789abcdefABCDEF") ==
                   strlen(s + 2));
    } else {
        FUZZ_CHECK(*s && strspn(s, "0123456789") == strlen(s));
    }
    dec = g_strdup_printf("%" PRIu64, v);
    hex = g_strdup_printf("0x%" PRIx64, v);
    FUZZ_CHECK(qinsn_parse_u64(dec, &back, NULL) && back == v);
    FUZZ_CHECK(qinsn_parse_u64(hex, &back, NULL) && back == v);
}

static void check_range(const char *s)
{
    g_autoptr(GError) err = NULL;
    uint64_t a, b, a2, b2;
    bool ok = qinsn_parse_range(s, &a, &b, &err);
    g_autofree char *back = NULL;

    FUZZ_CHECK(ok == !err);
    if (!ok) {
        return;
    }
    FUZZ_CHECK(a <= b);
    FUZZ_CHECK(strstr(s, "..") || a == b);
    back = g_strdup_printf("0x%" PRIx64 "..%" PRIu64, a, b);
    FUZZ_CHECK(qinsn_parse_range(back, &a2, &b2, NULL) && a2 == a && b2 == b);
}

static void check_cond(const char *s)
{
    g_autoptr(GError) err = NULL;
    QinsnCond c = { 0 }, c2 = { 0 };
    bool ok = qinsn_cond_parse(s, &c, &err);
    g_autofree char *back = NULL;

    FUZZ_CHECK(ok == !err);
    if (!ok) {
        FUZZ_CHECK(!c.reg);
        return;
    }
    FUZZ_CHECK(c.reg && *c.reg);
    FUZZ_CHECK(strcmp(qinsn_op_name(c.op), "?") != 0);
    /* what the list command shows is what was given: it parses the same */
    back = g_strdup_printf("%s%s0x%" PRIx64, c.reg, qinsn_op_name(c.op),
                           c.value);
    if (qinsn_regs_name_valid(c.reg, NULL)) {
        FUZZ_CHECK(qinsn_cond_parse(back, &c2, NULL));
        FUZZ_CHECK(g_str_equal(c2.reg, c.reg) && c2.op == c.op &&
                   c2.value == c.value);
        qinsn_cond_clear(&c2);
    }
    /* the comparison is the one its name says */
    FUZZ_CHECK(qinsn_cond_eval(c.op, c.value, c.value) ==
               (c.op == QINSN_OP_EQ || c.op == QINSN_OP_LE ||
                c.op == QINSN_OP_GE));
    qinsn_cond_clear(&c);
}

static void check_mem_spec(const char *s, uint32_t max)
{
    g_autoptr(GError) err = NULL;
    QinsnMemSpec m = { 0 }, m2 = { 0 };
    bool ok = qinsn_mem_spec_parse(s, &m, max, &err);
    g_autofree char *back = NULL;

    FUZZ_CHECK(ok == !err);
    if (!ok) {
        FUZZ_CHECK(!m.reg);
        FUZZ_CHECK(err->code == QINSN_ERR_ARG || err->code == QINSN_ERR_LIMIT);
        return;
    }
    FUZZ_CHECK(m.len >= 1 && m.len <= max);
    FUZZ_CHECK(m.reg && !strpbrk(m.reg, "+-"));
    back = g_strdup_printf("%s%s%" PRIu64 ":%u", m.reg,
                           m.offset < 0 ? "-" : "+",
                           m.offset < 0 ? -(uint64_t)m.offset :
                           (uint64_t)m.offset, m.len);
    if (*m.reg) {
        FUZZ_CHECK(qinsn_mem_spec_parse(back, &m2, max, NULL));
        FUZZ_CHECK(g_str_equal(m2.reg, m.reg) && m2.offset == m.offset &&
                   m2.len == m.len);
        qinsn_mem_spec_clear(&m2);
    }
    qinsn_mem_spec_clear(&m);
}

static void check_split(const char *s)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) words = qinsn_proto_split(s, &err);
    g_autoptr(GString) joined = g_string_new(NULL);
    g_autoptr(GString) squeezed = g_string_new(NULL);

    FUZZ_CHECK(!words == !!err);
    if (!words) {
        FUZZ_CHECK(err->code == QINSN_ERR_SYNTAX);
        FUZZ_CHECK(!fuzz_printable(s, strlen(s)) || strchr(s, '\t'));
        return;
    }
    for (guint i = 0; i < words->len; i++) {
        const char *w = g_ptr_array_index(words, i);
        FUZZ_CHECK(*w && !strpbrk(w, " \t"));
        g_string_append(joined, w);
    }
    for (const char *c = s; *c; c++) {
        if (*c != ' ' && *c != '\t') {
            g_string_append_c(squeezed, *c);
        }
    }
    FUZZ_CHECK(g_str_equal(joined->str, squeezed->str));
}

static void check_reg_name(const char *s, const QinsnRegTable *t)
{
    g_autoptr(GError) err = NULL;
    bool valid = qinsn_regs_name_valid(s, &err);
    int i;

    FUZZ_CHECK(valid == !err);
    g_clear_error(&err);
    i = qinsn_regs_resolve(t, s, &err);
    FUZZ_CHECK((i < 0) == !!err);
    FUZZ_CHECK(i < (int)t->regs->len);
    FUZZ_CHECK(i < 0 || valid);
}

/* Undo qinsn_json_escape(): the inverse must give back the input. */
static char *json_unescape(const char *s)
{
    GString *out = g_string_new(NULL);

    for (; *s; s++) {
        if (*s != '\\') {
            g_string_append_c(out, *s);
            continue;
        }
        s++;
        if (*s == 'u') {
            char hex[5] = { s[1], s[2], s[3], s[4], 0 };
            g_string_append_c(out, (char)strtoul(hex, NULL, 16));
            s += 4;
        } else {
            g_string_append_c(out, *s);
        }
    }
    return g_string_free(out, false);
}

static void check_json_escape(const char *s)
{
    g_autoptr(GString) out = g_string_new("\"");
    g_autofree char *back = NULL;

    for (const char *c = s; *c; c++) {
        if ((unsigned char)*c >= 0x80) {
            return;     /* callers give ASCII only (see format.c) */
        }
    }
    qinsn_json_escape(out, s);
    g_string_append_c(out, '"');
    FUZZ_CHECK(fuzz_json_valid(out->str, out->len));
    g_string_truncate(out, out->len - 1);
    back = json_unescape(out->str + 1);
    FUZZ_CHECK(g_str_equal(back, s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *s = NULL;

    if (size < 1 || size > 8192) {
        return 0;
    }
    s = fuzz_string(data + 1, size - 1);
    switch (data[0] % 8) {
    case 0:
        check_u64(s);
        break;
    case 1:
        check_range(s);
        break;
    case 2:
        check_cond(s);
        break;
    case 3:
        check_mem_spec(s, 256);
        break;
    case 4:
        check_mem_spec(s, data[0] >> 3);
        break;
    case 5:
        check_split(s);
        break;
    case 6:
        check_reg_name(s, fuzz_table(data[0] >> 3));
        break;
    case 7:
        check_json_escape(s);
        break;
    }
    return 0;
}
