/*
 * The key=value words of protocol lines (status fields, list and stats
 * lines, events), split once and turned into JSON for --json.
 */
#ifndef QINSN_CLI_KV_H
#define QINSN_CLI_KV_H

#include <glib.h>
#include <stdbool.h>

typedef struct KvPair {
    char *key;      /* NULL for a word without '=' */
    char *value;    /* as on the wire; a quoted string keeps its quotes */
} KvPair;

/* Split @line into words; a value starting with '"' runs to its end quote. */
GArray *kv_split(const char *line);

/*
 * @line without its word @key="…" (a quoted value: a register that
 * happens to be called @key keeps its word), and that value, quotes and
 * all, in @value (NULL when there is none).
 */
char *kv_cut_quoted(const char *line, const char *key, char **value);

/* The value of the last word with key @key, or NULL. */
const char *kv_get(GArray *kv, const char *key);

/* Whether every word of @kv is key=value. */
bool kv_all_pairs(GArray *kv);

/*
 * Append @value as JSON: a decimal number as a number, a quoted string as
 * it is (the plugin escapes it as JSON already), anything else as a string.
 */
void kv_json_value(GString *out, const char *value);

/* Append "key":value members for every pair, comma separated. */
void kv_json_members(GString *out, GArray *kv);

/* Append "key": with @key escaped. */
void kv_json_key(GString *out, const char *key);

#endif /* QINSN_CLI_KV_H */
