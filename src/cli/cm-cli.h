/* cm-cli.h — the casemix command-line program: shared helpers.
 * SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <glib.h>

/* Exit codes (docs/cli.md). Append-only. */
enum {
  CM_EXIT_OK = 0,        /* the run completed (rejected lines included) */
  CM_EXIT_FAILURE = 1,   /* unreadable input, unwritable output, I/O error */
  CM_EXIT_USAGE = 2,     /* bad command line */
  CM_EXIT_SCHEME = 3,    /* the scheme (or policy) cannot be loaded */
};

int cm_cli_group (int argc, char **argv);
int cm_cli_scheme (int argc, char **argv);
int cm_cli_compare (int argc, char **argv);
int cm_cli_sample (int argc, char **argv);
int cm_cli_indicators (int argc, char **argv);
int cm_cli_explain (int argc, char **argv);
int cm_cli_serve (int argc, char **argv);
int cm_cli_price (int argc, char **argv); int cm_cli_catalogue (int argc, char **argv);
int cm_cli_settle (int argc, char **argv);
int cm_cli_alliance (int argc, char **argv);
int cm_cli_demo (int argc, char **argv);

/* Prints "casemix: <message>" on stderr. */
void cm_cli_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
