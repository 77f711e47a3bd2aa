/* cm-cli-scheme.c — `casemix scheme`: load a revised NHSA configuration
 * workbook (import-workbook), write a scheme as that workbook
 * (export-workbook), and describe a scheme (info).
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include "cm-cli.h"
#include "casemix.h"
#include "cm-workbook.h"
#include "cm-xlsx.h"

static int
exit_for (const GError *error)
{
  if (error->domain == CM_WORKBOOK_ERROR && error->code == CM_WORKBOOK_ERROR_OUTPUT)
    return CM_EXIT_FAILURE;
  if (error->domain == CM_XLSX_ERROR && error->code == CM_XLSX_ERROR_IO)
    return CM_EXIT_FAILURE;
  return CM_EXIT_SCHEME;
}

static void
print_log (const CmWorkbookSummary *s, gboolean all)
{
  for (guint i = 0; s->log && i < s->log->len; i++)
    {
      const char *row = s->log->pdata[i];
      g_auto (GStrv) f = g_strsplit (row, "\t", 4);
      if (g_strv_length (f) < 4)
        continue;
      if (all || strcmp (f[0], "warning") == 0)
        fprintf (stderr, "  %s: %s %s: %s\n", f[0], f[1], f[2], f[3]);
    }
}

static int
scheme_import (int argc, char **argv)
{
  g_autofree char *out = NULL, *id = NULL, *display = NULL, *region = NULL, *base = NULL;
  gboolean force = FALSE, quiet = FALSE, verbose = FALSE;
  g_auto (GStrv) rest = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "The scheme folder to write", "DIR" },
    { "id", 0, 0, G_OPTION_ARG_STRING, &id, "Scheme id (default: the folder name)", "ID" },
    { "display-name", 0, 0, G_OPTION_ARG_STRING, &display, "Display name", "TEXT" },
    { "region", 0, 0, G_OPTION_ARG_STRING, &region, "Region", "TEXT" },
    { "base", 0, 0, G_OPTION_ARG_STRING, &base,
      "Take settings, checks, statuses, code maps and dictionaries from this scheme "
      "(a folder or a shipped name, e.g. chs-drg-3.0)", "SCHEME" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force,
      "Replace the scheme files of a folder that is not empty", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print every conversion note", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No summary on standard error", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("WORKBOOK.xlsx -o DIR");
  g_autoptr (GError) error = NULL;
  g_autofree char *base_dir = NULL;
  CmWorkbookImportOptions opt = { 0 };
  CmWorkbookSummary sum = { 0 };

  g_option_context_set_summary (oc,
    "Translate the NHSA DRG configuration workbook (sheets MDC, ADRG, DRG, 集合, CC,\n"
    "排除表) into a flat scheme folder (format 2) that `casemix group --scheme DIR`\n"
    "uses at once. Formula and sheet errors name the sheet, row and column.");
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("scheme import-workbook: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (rest == NULL || rest[0] == NULL || rest[1] != NULL || out == NULL)
    {
      cm_cli_error ("scheme import-workbook: give one WORKBOOK.xlsx and -o DIR");
      return CM_EXIT_USAGE;
    }
  if (base != NULL)
    {
      base_dir = cm_tables_find (base, &error);
      if (base_dir == NULL)
        {
          cm_cli_error ("scheme import-workbook: --base: %s", error->message);
          return CM_EXIT_SCHEME;
        }
    }
  opt.id = id;
  opt.display_name = display;
  opt.region = region;
  opt.base_dir = base_dir;
  opt.force = force;
  if (!cm_workbook_import (rest[0], out, &opt, &sum, &error))
    {
      cm_cli_error ("%s", error->message);
      cm_workbook_summary_clear (&sum);
      return exit_for (error);
    }
  if (!quiet)
    {
      fprintf (stderr,
               "casemix scheme import-workbook: %s → %s: %u MDC, %u ADRG rules, %u ambiguity "
               "and %u fail rules, %u DRG splits, %u sets (%u codes), %u CC/MCC, %u "
               "exclusion rows, %u warning(s)\n",
               rest[0], out, sum.n_mdc, sum.n_adrg_rules, sum.n_qy_rules, sum.n_fail_rules,
               sum.n_splits, sum.n_lists, sum.n_list_members, sum.n_cc, sum.n_exclusions,
               sum.n_warnings);
      print_log (&sum, verbose);
    }
  cm_workbook_summary_clear (&sum);
  return CM_EXIT_OK;
}

static int
scheme_export (int argc, char **argv)
{
  g_autofree char *out = NULL;
  gboolean official = FALSE, no_dict = FALSE, quiet = FALSE, verbose = FALSE;
  g_auto (GStrv) rest = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "The workbook to write", "WORKBOOK.xlsx" },
    { "official-only", 0, 0, G_OPTION_ARG_NONE, &official,
      "Only the six official sheets (no casemix and 说明 sheets)", NULL },
    { "no-dictionaries", 0, 0, G_OPTION_ARG_NONE, &no_dict,
      "Leave the diagnosis and procedure dictionaries out of the casemix sheet", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print every note", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No summary on standard error", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("SCHEME -o WORKBOOK.xlsx");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  CmWorkbookExportOptions opt = { 0 };
  CmWorkbookSummary sum = { 0 };

  g_option_context_set_summary (oc,
    "Write a flat DRG scheme (a folder or a shipped name) as a workbook in the layout of\n"
    "the NHSA DRG 3.0 configuration workbook, conditions written as its formulas.");
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("scheme export-workbook: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (rest == NULL || rest[0] == NULL || rest[1] != NULL || out == NULL)
    {
      cm_cli_error ("scheme export-workbook: give one SCHEME and -o WORKBOOK.xlsx");
      return CM_EXIT_USAGE;
    }
  dir = cm_tables_find (rest[0], &error);
  if (dir == NULL)
    {
      cm_cli_error ("%s", error->message);
      return CM_EXIT_SCHEME;
    }
  opt.official_only = official;
  opt.no_dictionaries = no_dict;
  if (!cm_workbook_export (dir, out, &opt, &sum, &error))
    {
      cm_cli_error ("%s", error->message);
      cm_workbook_summary_clear (&sum);
      return exit_for (error);
    }
  if (!quiet)
    {
      fprintf (stderr,
               "casemix scheme export-workbook: %s → %s: %u MDC, %u ADRG rules, %u ambiguity "
               "and %u fail rules, %u DRG splits, %u sets (%u codes), %u CC/MCC, %u "
               "exclusion rows, %u warning(s)\n",
               dir, out, sum.n_mdc, sum.n_adrg_rules, sum.n_qy_rules, sum.n_fail_rules,
               sum.n_splits, sum.n_lists, sum.n_list_members, sum.n_cc, sum.n_exclusions,
               sum.n_warnings);
      print_log (&sum, verbose);
    }
  cm_workbook_summary_clear (&sum);
  return CM_EXIT_OK;
}

/* Data rows of a TSV file (-1 when absent). */
static gint64
count_rows (const char *dir, const char *name)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  gint64 n = 0;
  if (!g_file_get_contents (p, &text, &len, NULL))
    return -1;
  for (gsize i = 0; i < len; i++)
    if (text[i] == '\n')
      n++;
  if (len > 0 && text[len - 1] != '\n')
    n++;
  return n > 0 ? n - 1 : 0;
}

static int
scheme_info (int argc, char **argv)
{
  g_auto (GStrv) rest = NULL;
  GOptionEntry entries[] = {
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("SCHEME…");
  g_autoptr (GError) error = NULL;
  int status = CM_EXIT_OK;

  g_option_context_set_summary (oc,
    "Load each scheme (a folder or a shipped name) as `casemix group` would and describe\n"
    "it: id, family, format, provenance and table sizes. A scheme that does not load\n"
    "is reported with the loader's file:line:column message (exit 3).");
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("scheme info: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (rest == NULL || rest[0] == NULL)
    {
      cm_cli_error ("scheme info: give at least one SCHEME");
      return CM_EXIT_USAGE;
    }
  for (guint i = 0; rest[i]; i++)
    {
      g_autofree char *dir = cm_tables_find (rest[i], &error);
      g_autoptr (CmScheme) s = dir ? cm_scheme_load (dir, &error) : NULL;
      g_autofree char *meta = NULL;
      static const char *const tables[] = {
        "mdc.tsv", "adrg_rules.tsv", "drg_splits.tsv", "lists.tsv", "list_info.tsv", "cc.tsv",
        "cc_exclusion.tsv", "checks.tsv", "dx_names.tsv", "px_names.tsv", "groups.tsv", NULL
      };

      if (s == NULL)
        {
          cm_cli_error ("%s", error->message);
          g_clear_error (&error);
          status = CM_EXIT_SCHEME;
          continue;
        }
      printf ("%s%s\n", i > 0 ? "\n" : "", dir);
      printf ("  %-22s %s\n", "id", cm_scheme_get_id (s));
      printf ("  %-22s %s\n", "family",
              cm_scheme_get_family (s) == CM_SCHEME_FAMILY_DRG ? "DRG" : "DIP");
      if (cm_scheme_get_drg (s) != NULL)
        printf ("  %-22s %d\n", "format_version",
                cm_drg_scheme_get_format_version (cm_scheme_get_drg (s)));
      {
        g_autofree char *p = g_build_filename (dir, "meta.tsv", NULL);
        if (g_file_get_contents (p, &meta, NULL, NULL))
          {
            g_auto (GStrv) lines = g_strsplit (meta, "\n", -1);
            for (guint k = 1; lines[k]; k++)
              {
                char *tab = strchr (lines[k], '\t');
                if (tab == NULL)
                  continue;
                *tab = '\0';
                if (strcmp (lines[k], "id") == 0 || strcmp (lines[k], "scheme_id") == 0
                    || strcmp (lines[k], "format_version") == 0)
                  continue;
                printf ("  %-22s %s\n", lines[k], tab + 1);
              }
          }
      }
      printf ("  tables:\n");
      for (guint k = 0; tables[k]; k++)
        {
          gint64 n = count_rows (dir, tables[k]);
          if (n >= 0)
            printf ("    %-20s %" G_GINT64_FORMAT " rows\n", tables[k], n);
        }
    }
  return status;
}

int
cm_cli_scheme (int argc, char **argv)
{
  static const char usage[] =
    "Usage: casemix scheme SUBCOMMAND [OPTIONS…]\n\n"
    "Subcommands:\n"
    "  import-workbook WORKBOOK.xlsx -o DIR   the NHSA configuration workbook → a scheme folder\n"
    "  export-workbook SCHEME -o WORKBOOK.xlsx a scheme → a workbook in the official layout\n"
    "  info SCHEME…                           load and describe schemes\n\n"
    "`casemix scheme SUBCOMMAND --help` describes a subcommand.\n";

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      fputs (usage, argc < 2 ? stderr : stdout);
      return argc < 2 ? CM_EXIT_USAGE : CM_EXIT_OK;
    }
  if (strcmp (argv[1], "import-workbook") == 0)
    return scheme_import (argc - 1, argv + 1);
  if (strcmp (argv[1], "export-workbook") == 0)
    return scheme_export (argc - 1, argv + 1);
  if (strcmp (argv[1], "info") == 0)
    return scheme_info (argc - 1, argv + 1);
  cm_cli_error ("scheme: unknown subcommand '%s' (see casemix scheme --help)", argv[1]);
  return CM_EXIT_USAGE;
}
