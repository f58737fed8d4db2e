/*
 * Helpers shared by qinsn's fuzz harnesses: register tables shaped like the
 * ones QEMU gives for each target, checks that abort (so libFuzzer and the
 * corpus replay both see a failure), and independent checkers of what the
 * code under test prints.
 *
 * Each harness is one file defining LLVMFuzzerTestOneInput (and
 * LLVMFuzzerInitialize); it links either with libFuzzer (clang) or with
 * replay.c, which runs a corpus through it under any compiler.
 */
#ifndef QINSN_FUZZLIB_H
#define QINSN_FUZZLIB_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "regs.h"

#define FUZZ_CHECK(cond) \
    do { \
        if (!(cond)) { \
            fuzz_fail(__FILE__, __LINE__, #cond); \
        } \
    } while (0)

G_NORETURN void fuzz_fail(const char *file, int line, const char *what);

/* Make GLib warnings and criticals abort: they are bugs here. */
void fuzz_init_glib(void);

/* A register table of target @which % FUZZ_N_TABLES, built once. */
#define FUZZ_N_TABLES 3
const QinsnRegTable *fuzz_table(unsigned int which);

/* @data as a NUL-terminated string (stopping at the first NUL byte). */
char *fuzz_string(const uint8_t *data, size_t size);

/* Every byte printable ASCII (0x20..0x7e): what a protocol line may hold. */
bool fuzz_printable(const char *s, size_t len);

/*
 * Is @s (of @len bytes) exactly one JSON value, by RFC 8259's grammar?
 * Strings must be ASCII; escapes are checked.
 */
bool fuzz_json_valid(const char *s, size_t len);

/* A register value as the logs show it: "0x" and hex, leading zeros cut. */
char *fuzz_expected_hex(const uint8_t *bytes, int len, bool big_endian);

/* The "libFuzzer" entry points every harness defines. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* QINSN_FUZZLIB_H */
