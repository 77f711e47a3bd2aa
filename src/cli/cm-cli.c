/* cm-cli.c — the `casemix` program: sub-command dispatch.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cm-cli.h"

static const struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} commands[] = {
  { "group", cm_cli_group, "group episodes with a DRG or DIP scheme" },
  { "scheme", cm_cli_scheme, "import/export the NHSA DRG workbook, describe a scheme" },
  { "compare", cm_cli_compare, "migration report: the same episodes under two schemes" },
  { "sample", cm_cli_sample, "write synthetic episodes (demo, tests, benchmarks)" },
  { "indicators", cm_cli_indicators, "indicators, KPIs, trends, research tables and reports" },
  { "explain", cm_cli_explain, "show why one episode groups where it does, or why not elsewhere" },
  { "serve", cm_cli_serve, "serve grouping (and payment) over HTTP" },
  { "price", cm_cli_price, "price episodes under a payment policy" }, { "catalogue", cm_cli_catalogue, "build DRG weights / DIP scores from base data" },
  { "settle", cm_cli_settle, "settlement: ledger, monthly settlement, special cases, annual clearing" },
  { "alliance", cm_cli_alliance, "county medical alliance budgets, charges, surplus / overspend" },
  { "demo", cm_cli_demo, "a full demo year on synthetic data: settle, clear, alliances, reports" },
};

void
cm_cli_error (const char *format, ...)
{
  va_list ap;
  fputs ("casemix: ", stderr);
  va_start (ap, format);
  vfprintf (stderr, format, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

int
cm_cli_batch_open (CmCliBatchIo *io, const char *input, const char *out_path,
                   const char *rejects_path, char *buf, gsize buf_size)
{
  memset (io, 0, sizeof *io);
  io->out = stdout;
  io->out_path = out_path;
  io->rejects_path = rejects_path;
  if (strcmp (input, "-") != 0)
    {
      io->fd = open (input, O_RDONLY | O_CLOEXEC);
      if (io->fd < 0)
        {
          cm_cli_error ("%s: %s", input, g_strerror (errno));
          io->fd = 0;
          return CM_EXIT_FAILURE;
        }
      posix_fadvise (io->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
  if (out_path != NULL && strcmp (out_path, "-") != 0)
    {
      io->out = fopen (out_path, "w");
      if (io->out == NULL)
        {
          cm_cli_error ("%s: %s", out_path, g_strerror (errno));
          io->out = stdout;
          cm_cli_batch_close (io);
          return CM_EXIT_FAILURE;
        }
    }
  setvbuf (io->out, buf, _IOFBF, buf_size);
  if (rejects_path != NULL)
    {
      io->rejects = fopen (rejects_path, "w");
      if (io->rejects == NULL)
        {
          cm_cli_error ("%s: %s", rejects_path, g_strerror (errno));
          cm_cli_batch_close (io);
          return CM_EXIT_FAILURE;
        }
    }
  return CM_EXIT_OK;
}

gboolean
cm_cli_batch_close (CmCliBatchIo *io)
{
  gboolean ok = TRUE;

  if (io->fd > 0)
    close (io->fd);
  io->fd = 0;
  if (fflush (io->out) != 0 || ferror (io->out))
    {
      cm_cli_error ("%s: write error: %s", io->out_path ? io->out_path : "stdout",
                    g_strerror (errno));
      ok = FALSE;
    }
  if (io->out != stdout)
    fclose (io->out);
  io->out = stdout;
  if (io->rejects != NULL && fclose (io->rejects) != 0)
    {
      cm_cli_error ("%s: write error", io->rejects_path);
      ok = FALSE;
    }
  io->rejects = NULL;
  return ok;
}

static void
usage (FILE *f)
{
  fprintf (f, "Usage: casemix COMMAND [OPTIONS…]\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (f, "  %-10s %s\n", "version", "print the version");
  fprintf (f, "\n`casemix COMMAND --help` describes a command.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      usage (stderr);
      return CM_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      usage (stdout);
      return CM_EXIT_OK;
    }
  if (strcmp (argv[1], "version") == 0 || strcmp (argv[1], "--version") == 0)
    {
      printf ("casemix %s\n", CM_VERSION);
      return CM_EXIT_OK;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);
  cm_cli_error ("unknown command '%s' (see casemix --help)", argv[1]);
  return CM_EXIT_USAGE;
}
