/*
 * Argument helpers shared by the example plugins of the qemulib API:
 * numbers, address ranges and lists inside the layer's args= string.
 * Header-only, so that each example stays a single shared object that
 * needs nothing but the layer.
 *
 * An args string is fields separated by ';'.  Lists inside a field are
 * separated by ':' or ','; QEMU's option syntax needs a comma inside
 * args= written twice (",,"), which is why ':' is accepted too.
 */
#ifndef EXAMPLE_ARGS_H
#define EXAMPLE_ARGS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The whole of @s as a number (decimal, 0x hex or 0 octal). */
static inline bool ex_parse_u64(const char *s, uint64_t *out)
{
    char *end;

    if (!*s || *s == '-') {
        return false;
    }
    errno = 0;
    *out = strtoull(s, &end, 0);
    return errno == 0 && *end == '\0';
}

/* "START..END" (END excluded) or "ADDRESS" (that instruction only). */
static inline bool ex_parse_range(const char *s, uint64_t *start,
                                  uint64_t *end)
{
    const char *dots = strstr(s, "..");
    char first[32];
    size_t len = dots ? (size_t)(dots - s) : strlen(s);

    if (len == 0 || len >= sizeof(first)) {
        return false;
    }
    memcpy(first, s, len);
    first[len] = '\0';
    if (!ex_parse_u64(first, start)) {
        return false;
    }
    if (!dots) {
        *end = *start + 1;
        return true;
    }
    return ex_parse_u64(dots + 2, end) && *end > *start;
}

/* Up to @max numbers separated by ':' or ','; -1 on a bad one. */
static inline int ex_parse_list(const char *s, uint64_t *out, int max)
{
    int n = 0;

    while (*s) {
        size_t len = strcspn(s, ":,");
        char item[32];

        if (n == max || len == 0 || len >= sizeof(item)) {
            return -1;
        }
        memcpy(item, s, len);
        item[len] = '\0';
        if (!ex_parse_u64(item, &out[n++])) {
            return -1;
        }
        s += len;
        if (*s) {
            s++;
        }
    }
    return n;
}

/* The value of @field when it reads "KEY=VALUE", else NULL. */
static inline const char *ex_value(const char *field, const char *key)
{
    size_t len = strlen(key);

    if (strncmp(field, key, len) == 0 && field[len] == '=') {
        return field + len + 1;
    }
    return NULL;
}

/*
 * Split @args at ';': the first field goes to @first, each later one to
 * @field.  False (and the rest not looked at) as soon as one of them is.
 */
static inline bool ex_parse_args(const char *args,
                                 bool (*first)(const char *),
                                 bool (*field)(const char *))
{
    char *copy = strdup(args);
    char *save = NULL;
    char *f = strtok_r(copy, ";", &save);
    bool ok = f && first(f);

    while (ok && (f = strtok_r(NULL, ";", &save))) {
        ok = field(f);
    }
    free(copy);
    return ok;
}

/* A register's bytes (target byte order) as a number, up to 8 of them. */
static inline uint64_t ex_reg_value(const uint8_t *buf, int len,
                                    bool big_endian)
{
    uint64_t v = 0;

    for (int i = 0; i < len && i < 8; i++) {
        v |= (uint64_t)buf[big_endian ? len - 1 - i : i] << (8 * i);
    }
    return v;
}

#endif /* EXAMPLE_ARGS_H */
