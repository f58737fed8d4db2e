/*
 * A small JSON reader for the lines of the plugin's JSON log: one object
 * per line, a few levels deep.  Enough for qinsn diff, which must not
 * depend on more than glib; it keeps each string's literal as written too,
 * so that two logs' string captures compare byte for byte.
 */
#ifndef QINSN_CLI_JSON_H
#define QINSN_CLI_JSON_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT,
} JsonType;

typedef struct JsonValue {
    JsonType type;
    char *text;         /* string: decoded; number: as written */
    char *literal;      /* string: as written, quotes included */
    bool boolean;
    GPtrArray *keys;    /* object: char *, in order */
    GPtrArray *items;   /* array and object: JsonValue *, in order */
} JsonValue;

/* Parse @line, which must hold one value and nothing else. */
JsonValue *json_parse(const char *line, GError **errp);
void json_free(JsonValue *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsonValue, json_free)

/* The member @key of object @v, or NULL (also when @v is no object). */
JsonValue *json_get(const JsonValue *v, const char *key);

/* Member @key as a string, or NULL when absent or of another type. */
const char *json_get_str(const JsonValue *v, const char *key);

/* Member @key as an unsigned number; false when absent or not one. */
bool json_get_u64(const JsonValue *v, const char *key, uint64_t *out);

#endif /* QINSN_CLI_JSON_H */
