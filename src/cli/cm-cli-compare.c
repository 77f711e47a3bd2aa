/* cm-cli-compare.c — `casemix compare`: the migration report between two
 * schemes, for a batch of episodes or for one case.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "cm-cli.h"
#include "casemix.h"
#include "cm-compare.h"

typedef struct {
  CmScheme *a, *b;
} CompareJob;

typedef struct {
  CmGroupContext *a, *b;
} CompareWorker;

static gpointer
compare_worker_new (gpointer user_data)
{
  CompareJob *job = user_data;
  CompareWorker *w = g_new0 (CompareWorker, 1);
  w->a = cm_group_context_new (job->a);
  w->b = cm_group_context_new (job->b);
  return w;
}

static void
compare_worker_free (gpointer p)
{
  CompareWorker *w = p;
  cm_group_context_free (w->a);
  cm_group_context_free (w->b);
  g_free (w);
}

static const char *
compare_process (gpointer p, const CmEpisode *ep, GString *out)
{
  CompareWorker *w = p;
  CmCompareCase c;

  cm_compare_case (w->a, w->b, ep, &c);
  cm_compare_append_row (ep, &c, out);
  return !c.group_changed ? "same group" : c.adrg_changed ? "other ADRG/group"
                                                          : "same ADRG, other DRG";
}

static void
print_side (const char *id, CmScheme *s, const CmGroupResult *r, const char *label)
{
  CmDrgScheme *d = cm_scheme_get_drg (s);
  const char *name = d ? cm_drg_scheme_lookup_name (d, label) : NULL;
  if (r->family == CM_SCHEME_FAMILY_DRG)
    printf ("  %-16s %-13s %-6s %-5s %-6s %s\n", id, r->status, r->mdc, r->adrg, r->drg,
            name ? name : "");
  else
    printf ("  %-16s %-13s %-14s %s\n", id, r->status, label, r->rule_stage);
}

static int
compare_one (CmScheme *a, CmScheme *b, const char *line_text)
{
  static const char header[] =
    "episode_id,patient_id,hospital_id,hospital_level,county_id,insurance_type,"
    "insured_region,sex,age_years,age_days,birth_weight_g,admit_date,discharge_date,"
    "los_days,dept,discharge_status,icu_hours,diagnoses,procedures,total_cost,"
    "out_of_catalogue_cost,patient_copay,fund_paid_ffs,per_diem_category";
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  g_autofree char *hdr = g_strdup (header);
  g_autofree char *line = g_strdup (line_text);
  g_autoptr (CmGroupContext) ca = cm_group_context_new (a);
  g_autoptr (CmGroupContext) cb = cm_group_context_new (b);
  g_autoptr (GError) error = NULL;
  CmEpisode ep;
  CmReject rej;
  CmCompareCase c;
  gsize len;

  g_strchomp (line);
  len = strlen (line);
  if (!cm_episode_parser_set_header (parser, hdr, strlen (hdr), &rej, &error))
    {
      cm_cli_error ("compare: internal header rejected");
      return CM_EXIT_FAILURE;
    }
  if (len == 0 || !cm_episode_parser_parse_line (parser, line, len, 1, &ep, &rej))
    {
      char buf[CM_REJECT_MESSAGE_LEN + 40];
      if (len == 0)
        cm_cli_error ("compare: --episode is empty");
      else
        {
          cm_reject_format (&rej, buf, sizeof buf);
          cm_cli_error ("compare: --episode: %s (one line of the episode CSV, 24 columns, "
                        "without the header)", buf);
        }
      return CM_EXIT_USAGE;
    }
  cm_compare_case (ca, cb, &ep, &c);
  {
    char date[11] = "";
    if (ep.discharge_date != 0)
      cm_date_format (ep.discharge_date, date);
    printf ("episode %s%s%s\n", ep.episode_id, *date ? ", discharged " : "", date);
  }
  print_side (cm_scheme_get_id (a), a, &c.a, c.label_a);
  print_side (cm_scheme_get_id (b), b, &c.b, c.label_b);
  if (!c.group_changed)
    printf ("  → same group (%s) under both schemes\n", c.label_a);
  else if (c.both_drg && !c.adrg_changed)
    printf ("  → DRG changes %s → %s within ADRG %s\n", c.label_a, c.label_b, c.a.adrg);
  else if (c.both_drg && !c.mdc_changed)
    printf ("  → ADRG changes %s → %s (DRG %s → %s) within %s\n", c.a.adrg, c.b.adrg,
            c.label_a, c.label_b, c.a.mdc);
  else if (c.both_drg)
    printf ("  → MDC changes %s → %s (DRG %s → %s)\n", c.a.mdc, c.b.mdc, c.label_a, c.label_b);
  else
    printf ("  → group changes %s → %s\n", c.label_a, c.label_b);
  return CM_EXIT_OK;
}

int
cm_cli_compare (int argc, char **argv)
{
  g_auto (GStrv) schemes = NULL;
  g_auto (GStrv) rest = NULL;
  g_autofree char *out_dir = NULL, *episode = NULL, *input_format = NULL;
  gint threads = 0, top = 15;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
    { "scheme", 0, 0, G_OPTION_ARG_STRING_ARRAY, &schemes,
      "The scheme in force, then its successor (give it twice)", "SCHEME" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir,
      "Write the report (CSV files and report.html) into this folder", "DIR" },
    { "episode", 0, 0, G_OPTION_ARG_STRING, &episode,
      "Compare one case: a line of the episode CSV (24 columns, no header)", "CSV-LINE" },
    { "input-format", 0, 0, G_OPTION_ARG_STRING, &input_format,
      "episodes (default) or opendrg", "FORMAT" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads,
      "Worker threads (default: number of cores)", "N" },
    { "top", 0, 0, G_OPTION_ARG_INT, &top, "Movements in the printed summary (15)", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No summary", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("[INPUT.csv | -]");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmScheme) a = NULL, b = NULL;
  g_autoptr (CmCompare) cmp = NULL;
  g_autofree char *episodes_path = NULL, *tmp_dir = NULL, *rejects_path = NULL;
  CmPipelineOptions popt = { 0 };
  CmPipelineOps ops = { .worker_new = compare_worker_new, .worker_free = compare_worker_free, .process = compare_process };
  CmPipelineStats stats;
  CompareJob job;
  const char *input = "-";
  int fd = 0;
  FILE *out, *rej = NULL;
  gboolean ok;

  g_option_context_set_summary (oc,
    "Group the same episodes under two schemes and report what moves where: the\n"
    "transition matrix (group in A → group in B), the share of episodes whose\n"
    "ADRG/DRG (or DIP group) changes, the top movements and per-hospital figures.\n"
    "With --episode, the same for one case (\"what does this case become?\").");
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("compare: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (schemes == NULL || g_strv_length (schemes) != 2)
    {
      cm_cli_error ("compare: give --scheme twice: the scheme in force, then its successor");
      return CM_EXIT_USAGE;
    }
  if (rest != NULL && g_strv_length (rest) > 1)
    {
      cm_cli_error ("compare: one input file at most");
      return CM_EXIT_USAGE;
    }
  if (episode != NULL && rest != NULL && rest[0] != NULL)
    {
      cm_cli_error ("compare: --episode and an input file exclude each other");
      return CM_EXIT_USAGE;
    }
  if (threads < 0 || top < 0)
    {
      cm_cli_error ("compare: --threads and --top must be 0 or more");
      return CM_EXIT_USAGE;
    }
  if (input_format == NULL || strcmp (input_format, "episodes") == 0)
    popt.format = CM_INPUT_EPISODES;
  else if (strcmp (input_format, "opendrg") == 0)
    popt.format = CM_INPUT_OPENDRG;
  else
    {
      cm_cli_error ("compare: --input-format must be episodes or opendrg, not '%s'",
                    input_format);
      return CM_EXIT_USAGE;
    }
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *dir = cm_tables_find (schemes[i], &error);
      CmScheme *s = dir ? cm_scheme_load (dir, &error) : NULL;
      if (s == NULL)
        {
          cm_cli_error ("%s", error->message);
          return CM_EXIT_SCHEME;
        }
      if (i == 0)
        a = s;
      else
        b = s;
    }
  if (episode != NULL)
    return compare_one (a, b, episode);

  if (rest != NULL && rest[0] != NULL)
    input = rest[0];
  if (out_dir != NULL)
    {
      if (g_mkdir_with_parents (out_dir, 0755) != 0)
        {
          cm_cli_error ("%s: %s", out_dir, g_strerror (errno));
          return CM_EXIT_FAILURE;
        }
      episodes_path = g_build_filename (out_dir, "episodes.csv", NULL);
      rejects_path = g_build_filename (out_dir, "rejects.csv", NULL);
    }
  else
    {
      tmp_dir = g_dir_make_tmp ("casemix-compare-XXXXXX", &error);
      if (tmp_dir == NULL)
        {
          cm_cli_error ("compare: %s", error->message);
          return CM_EXIT_FAILURE;
        }
      episodes_path = g_build_filename (tmp_dir, "episodes.csv", NULL);
    }
  if (strcmp (input, "-") != 0)
    {
      fd = open (input, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          cm_cli_error ("%s: %s", input, g_strerror (errno));
          return CM_EXIT_FAILURE;
        }
    }
  out = fopen (episodes_path, "w");
  if (out == NULL || (rejects_path && (rej = fopen (rejects_path, "w")) == NULL))
    {
      cm_cli_error ("%s: %s", out ? rejects_path : episodes_path, g_strerror (errno));
      if (out)
        fclose (out);
      if (fd > 0)
        close (fd);
      return CM_EXIT_FAILURE;
    }
  fputs (CM_COMPARE_EPISODE_HEADER "\n", out);
  job.a = a;
  job.b = b;
  popt.n_threads = (guint) threads;
  popt.input_name = input;
  ok = cm_pipeline_run (fd, &popt, &ops, &job, out, rej, &stats, &error);
  if (fd > 0)
    close (fd);
  if (fclose (out) != 0)
    {
      cm_cli_error ("%s: write error", episodes_path);
      ok = FALSE;
    }
  if (rej != NULL && fclose (rej) != 0)
    {
      cm_cli_error ("%s: write error", rejects_path);
      ok = FALSE;
    }
  if (!ok)
    {
      if (error)
        cm_cli_error ("%s", error->message);
      return CM_EXIT_FAILURE;
    }
  cmp = cm_compare_new (a, b);
  if (!cm_compare_add_file (cmp, episodes_path, &error)
      || (out_dir != NULL && !cm_compare_write_report (cmp, out_dir, input, &error)))
    {
      cm_cli_error ("compare: %s", error->message);
      return CM_EXIT_FAILURE;
    }
  if (tmp_dir != NULL)
    {
      g_unlink (episodes_path);
      g_rmdir (tmp_dir);
    }
  if (!quiet)
    {
      FILE *f = out_dir != NULL ? stderr : stdout;
      fprintf (f, "casemix compare: %s: %" G_GUINT64_FORMAT " lines read, %" G_GUINT64_FORMAT
                  " episodes compared, %" G_GUINT64_FORMAT " rejected\n", input, stats.lines,
               stats.accepted, stats.rejected);
      cm_compare_print_summary (cmp, f, (guint) top);
      if (out_dir != NULL)
        fprintf (f, "report: %s/report.html (and matrix.csv, top_movements.csv, "
                    "hospitals.csv, summary.csv, episodes.csv)\n", out_dir);
    }
  return CM_EXIT_OK;
}
