/*
 * Replays fuzz inputs through a harness without libFuzzer, under any
 * compiler and any sanitizer: each file named (or each file of each
 * directory named, in name order) is one input.  Prints TAP: one line per
 * input of a crash found (named regress-*), one for all the others; a
 * failed check aborts, which the test runner reports.  This is how crashes
 * the fuzzers found stay fixed: their inputs live in the corpus and are
 * replayed on every test run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzlib.h"

static void collect(const char *path, GPtrArray *files)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    if (!dir) {
        g_ptr_array_add(files, g_strdup(path));
        return;
    }
    while ((name = g_dir_read_name(dir))) {
        g_ptr_array_add(names, g_build_filename(path, name, NULL));
    }
    g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
    for (guint i = 0; i < names->len; i++) {
        collect(g_ptr_array_index(names, i), files);
    }
}

static int cmp_path(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run one input; false (with a TAP diagnostic) if it cannot be read. */
static bool replay(const char *path)
{
    g_autofree char *data = NULL;
    g_autoptr(GError) err = NULL;
    gsize len;

    if (!g_file_get_contents(path, &data, &len, &err)) {
        printf("# %s\n", err->message);
        return false;
    }
    /* a crash here leaves this line as the last one seen */
    fprintf(stderr, "replaying %s\n", path);
    fflush(stdout);
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    return true;
}

int main(int argc, char **argv)
{
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
    guint n = 0, others = 0, unread = 0;

    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        collect(argv[i], files);
    }
    g_ptr_array_sort(files, cmp_path);
    /* Inputs of crashes found (regress-*) are assertions of their own. */
    for (guint i = 0; i < files->len; i++) {
        const char *path = g_ptr_array_index(files, i);
        g_autofree char *base = g_path_get_basename(path);

        if (!g_str_has_prefix(base, "regress-")) {
            others++;
            continue;
        }
        printf("%s %u - %s\n", replay(path) ? "ok" : "not ok", ++n, base);
    }
    for (guint i = 0; i < files->len; i++) {
        const char *path = g_ptr_array_index(files, i);
        g_autofree char *base = g_path_get_basename(path);

        if (!g_str_has_prefix(base, "regress-") && !replay(path)) {
            unread++;
        }
    }
    printf("%s %u - %u other corpus inputs\n", unread ? "not ok" : "ok",
           ++n, others);
    printf("1..%u\n", n);
    return unread ? 1 : 0;
}
