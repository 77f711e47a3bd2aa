/* cm-cli-sample.c — `casemix sample`: write synthetic episodes.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cm-cli.h"
#include "casemix.h"

int
cm_cli_sample (int argc, char **argv)
{
  g_autofree char *scheme_arg = NULL, *out_path = NULL, *prefix = NULL;
  g_autofree char *counties = NULL;
  gint64 n = 1000;
  gint seed = 1, year = 2025, month = 0, hospitals = 12;
  GOptionEntry entries[] = {
    { "scheme", 0, 0, G_OPTION_ARG_STRING, &scheme_arg,
      "DRG scheme whose codes are drawn (default chs-drg-1.1)", "SCHEME" },
    { "count", 'n', 0, G_OPTION_ARG_INT64, &n, "Episodes to write (default 1000)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed (default 1)", "SEED" },
    { "year", 0, 0, G_OPTION_ARG_INT, &year, "Discharge year (default 2025)", "YEAR" },
    { "month", 0, 0, G_OPTION_ARG_INT, &month, "Discharge month 1-12 (default: whole year)", "M" },
    { "hospitals", 0, 0, G_OPTION_ARG_INT, &hospitals, "Number of hospitals (default 12)", "H" },
    { "counties", 0, 0, G_OPTION_ARG_STRING, &counties,
      "Comma-separated county codes (default: Zhuzhou's)", "CODES" },
    { "id-prefix", 0, 0, G_OPTION_ARG_STRING, &prefix, "Episode id prefix (default S)", "P" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_path,
      "Write here (default: standard output)", "OUT.csv" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmScheme) scheme = NULL;
  g_autofree char *dir = NULL;
  g_auto (GStrv) county_list = NULL;
  CmSampleOptions opt;
  FILE *out = stdout;
  gboolean ok;

  g_option_context_set_summary (oc,
    "Write synthetic, well-formed episodes (episodes/FORMAT.md) for demos,\n"
    "tests and benchmarks. The same seed gives the same file. No real data.");
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("sample: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (argc > 1)
    {
      cm_cli_error ("sample: unexpected argument '%s'", argv[1]);
      return CM_EXIT_USAGE;
    }
  if (n < 0 || hospitals < 1 || month < 0 || month > 12 || year < 1900 || year > 9998)
    {
      cm_cli_error ("sample: need -n ≥ 0, --hospitals ≥ 1, --month 0-12, --year 1900-9998");
      return CM_EXIT_USAGE;
    }
  dir = cm_tables_find (scheme_arg ? scheme_arg : "chs-drg-1.1", &error);
  if (dir != NULL)
    scheme = cm_scheme_load (dir, &error);
  if (scheme == NULL)
    {
      cm_cli_error ("%s", error->message);
      return CM_EXIT_SCHEME;
    }
  cm_sample_options_init (&opt);
  opt.n = (guint64) n;
  opt.seed = (guint32) seed;
  opt.year = year;
  opt.month = month;
  opt.n_hospitals = (guint) hospitals;
  if (prefix != NULL)
    {
      for (const char *p = prefix; *p; p++)
        if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '.')
          {
            cm_cli_error ("sample: --id-prefix may use A-Z a-z 0-9 _ . - only");
            return CM_EXIT_USAGE;
          }
      opt.id_prefix = prefix;
    }
  if (counties != NULL)
    {
      county_list = g_strsplit (counties, ",", -1);
      for (guint i = 0; county_list[i]; i++)
        if (strlen (county_list[i]) != 6 || strspn (county_list[i], "0123456789") != 6)
          {
            cm_cli_error ("sample: county '%s' is not a 6-digit code", county_list[i]);
            return CM_EXIT_USAGE;
          }
      opt.counties = (const char *const *) county_list;
    }
  if (out_path != NULL && strcmp (out_path, "-") != 0)
    {
      out = fopen (out_path, "w");
      if (out == NULL)
        {
          cm_cli_error ("%s: %s", out_path, g_strerror (errno));
          return CM_EXIT_FAILURE;
        }
    }
  ok = cm_sample_write (scheme, &opt, out, &error);
  if (fflush (out) != 0)
    ok = FALSE;
  if (out != stdout && fclose (out) != 0)
    ok = FALSE;
  if (!ok)
    {
      cm_cli_error ("sample: %s", error ? error->message : "write error");
      return error && error->domain == CM_SCHEME_ERROR ? CM_EXIT_USAGE : CM_EXIT_FAILURE;
    }
  return CM_EXIT_OK;
}
