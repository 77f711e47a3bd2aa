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

/* The files of a batch command: the input (fd 0 for "-"), the output
 * (stdout for NULL or "-", fully buffered through @buf), the optional
 * rejects file. */
typedef struct {
  int fd;
  FILE *out;
  FILE *rejects;
  const char *out_path;
  const char *rejects_path;
} CmCliBatchIo;

/* Opens them; on failure prints the reason, closes what was opened and
 * returns CM_EXIT_FAILURE, else CM_EXIT_OK. */
int cm_cli_batch_open (CmCliBatchIo *io, const char *input, const char *out_path,
                       const char *rejects_path, char *buf, gsize buf_size);
/* Flushes and closes them; FALSE (after printing why) on a write error. */
gboolean cm_cli_batch_close (CmCliBatchIo *io);

/* Prints "casemix: <message>" on stderr. */
void cm_cli_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
