/* cm-cli.c — the `casemix` program: sub-command dispatch.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
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
