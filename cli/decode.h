/*
 * "qinsn decode": a CTF trace of the plugin (format=ctf) printed as the
 * text or JSON log the plugin would have written (see decode.c).
 */
#ifndef QINSN_CLI_DECODE_H
#define QINSN_CLI_DECODE_H

#include "cli.h"

/*
 * Print the trace in @dir on stdout.  Errors: CLI_EXIT_REMOTE (status 1)
 * when the trace is cut short (all of it is printed first),
 * CLI_EXIT_USAGE (2) when it cannot be read or is malformed.
 */
bool decode_trace(const char *dir, bool json, GError **errp);

/* "qinsn decode …" from the shell: @argv starts with "decode". */
int decode_main(int argc, char **argv, const CliOptions *o);

#endif /* QINSN_CLI_DECODE_H */
