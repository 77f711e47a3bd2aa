/* cm-cli-catalogue.c — `casemix catalogue build`: DRG relative weights or
 * DIP scores from a base-period episode file, written as the TSV table a
 * policy pack points to.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cm-cli.h"
#include "casemix.h"
#include "cm-catalogue.h"
#include "cm-money.h"

typedef struct {
  CmScheme *scheme;
  CmSchemeFamily family;
  const CmCatalogueOptions *options;
  CmDipPool *pool;
  CmCatalogueBuilder *total;
  GMutex lock;
} BuildJob;

typedef struct {
  BuildJob *job;
  CmGroupContext *group;
  CmCatalogueBuilder *builder;
} BuildWorker;

static gpointer
build_worker_new (gpointer user_data)
{
  BuildJob *job = user_data;
  BuildWorker *w = g_new0 (BuildWorker, 1);

  w->job = job;
  w->group = cm_group_context_new (job->scheme);
  w->builder = cm_catalogue_builder_new (job->family, job->options, job->pool);
  return w;
}

static void
build_worker_free (gpointer worker)
{
  BuildWorker *w = worker;

  g_mutex_lock (&w->job->lock);
  cm_catalogue_builder_merge (w->job->total, w->builder);
  g_mutex_unlock (&w->job->lock);
  cm_catalogue_builder_free (w->builder);
  cm_group_context_free (w->group);
  g_free (w);
}

static const char *
build_process (gpointer worker, const CmEpisode *ep, GString *out)
{
  BuildWorker *w = worker;
  CmGroupResult res;

  cm_group (w->group, ep, CM_GROUP_DEFAULT, &res);
  return cm_catalogue_builder_add (w->builder, ep, &res);
}

/* "1:2:7" → weights. */
static gboolean
parse_year_weights (const char *text, CmCatalogueOptions *o)
{
  g_auto (GStrv) parts = g_strsplit (text, ":", -1);
  guint n = g_strv_length (parts);

  if (n == 0 || n > CM_CATALOGUE_MAX_YEARS)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (!cm_scaled_parse (parts[i], 0, 1, 1000, &o->year_weights[i], NULL))
      return FALSE;
  o->n_year_weights = n;
  return TRUE;
}

/* "2.5:97.5" (percent quantiles kept) or "none". */
static gboolean
parse_trim (const char *text, CmCatalogueOptions *o)
{
  g_auto (GStrv) parts = NULL;
  gint64 lo, hi;

  if (strcmp (text, "none") == 0)
    {
      o->trim_low_permille = 0;
      o->trim_high_permille = 1000;
      return TRUE;
    }
  parts = g_strsplit (text, ":", -1);
  if (g_strv_length (parts) != 2
      || !cm_scaled_parse (parts[0], 1, 0, 499, &lo, NULL)
      || !cm_scaled_parse (parts[1], 1, 501, 1000, &hi, NULL))
    return FALSE;
  o->trim_low_permille = (guint) lo;
  o->trim_high_permille = (guint) hi;
  return TRUE;
}

/* "2:60" → LOS window; "none". */
static gboolean
parse_los (const char *text, CmCatalogueOptions *o)
{
  g_auto (GStrv) parts = NULL;
  gint64 a, b;

  if (strcmp (text, "none") == 0)
    {
      o->los_max_short = o->los_min_long = -1;
      return TRUE;
    }
  parts = g_strsplit (text, ":", -1);
  if (g_strv_length (parts) != 2
      || !cm_scaled_parse (parts[0], 0, 0, 100000, &a, NULL)
      || !cm_scaled_parse (parts[1], 0, 1, 100000, &b, NULL) || b <= a + 1)
    return FALSE;
  o->los_max_short = (gint32) a;
  o->los_min_long = (gint32) b;
  return TRUE;
}

static gboolean
parse_pool (const char *text, CmDipPoolLevel *lv, guint *n)
{
  static const char *const names[] = { "category", "chapter", "all" };
  g_auto (GStrv) parts = g_strsplit_set (text, ", ", -1);

  *n = 0;
  for (guint i = 0; parts[i]; i++)
    {
      guint k;
      if (*parts[i] == '\0')
        continue;
      for (k = 0; k < G_N_ELEMENTS (names); k++)
        if (strcmp (parts[i], names[k]) == 0)
          break;
      if (k == G_N_ELEMENTS (names) || *n == CM_DIP_POOL_MAX_LEVELS)
        return FALSE;
      for (guint j = 0; j < *n; j++)
        if (lv[j] == (CmDipPoolLevel) k)
          return FALSE;
      lv[(*n)++] = (CmDipPoolLevel) k;
    }
  return *n > 0;
}

static char *
file_sha256 (const char *path)
{
  g_autoptr (GMappedFile) m = g_mapped_file_new (path, FALSE, NULL);
  if (m == NULL)
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                      (const guchar *) g_mapped_file_get_contents (m),
                                      g_mapped_file_get_length (m));
}

static int
catalogue_build (int argc, char **argv)
{
  g_autofree char *scheme_arg = NULL, *out_path = NULL, *rejects_path = NULL;
  g_autofree char *weights_arg = NULL, *mean_arg = NULL, *trim_arg = NULL;
  g_autofree char *pool_arg = NULL, *procs_arg = NULL, *los_arg = NULL;
  gint threshold = -1, threads = 0;
  gint64 scale = -1;
  gboolean per_diem = FALSE, quiet = FALSE;
  g_auto (GStrv) rest = NULL;
  GOptionEntry entries[] = {
    { "scheme", 0, 0, G_OPTION_ARG_STRING, &scheme_arg,
      "Scheme to group with (DRG → weights, DIP → scores)", "SCHEME" },
    { "year-weights", 0, 0, G_OPTION_ARG_STRING, &weights_arg,
      "Weights of the base years, oldest to newest (default 1:2:7)", "W1:W2:…" },
    { "mean", 0, 0, G_OPTION_ARG_STRING, &mean_arg,
      "yearly (weights on yearly means, default) or cases", "HOW" },
    { "trim", 0, 0, G_OPTION_ARG_STRING, &trim_arg,
      "Per-group cost quantiles kept, in percent (default 2.5:97.5), or none", "LO:HI" },
    { "threshold", 0, 0, G_OPTION_ARG_INT, &threshold,
      "DIP: cases a core group needs (default 15)", "N" },
    { "scale", 0, 0, G_OPTION_ARG_INT64, &scale,
      "Score scale S (default 1 for DRG, 1000 for DIP)", "S" },
    { "pool", 0, 0, G_OPTION_ARG_STRING, &pool_arg,
      "DIP: pooling levels of comprehensive groups (default category,chapter,all)",
      "LEVELS" },
    { "procedures", 0, 0, G_OPTION_ARG_STRING, &procs_arg,
      "DIP: folder with or_procedures.tsv and excluded_px.tsv (default: the scheme)",
      "DIR" },
    { "exclude-los", 0, 0, G_OPTION_ARG_STRING, &los_arg,
      "Leave out stays with LOS ≤ SHORT or ≥ LONG (default none)", "SHORT:LONG" },
    { "include-per-diem", 0, 0, G_OPTION_ARG_NONE, &per_diem,
      "Keep stays registered for bed-day payment", NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_path,
      "Write the table here (default: standard output)", "TABLE.tsv" },
    { "rejects", 0, 0, G_OPTION_ARG_FILENAME, &rejects_path,
      "Write rejected lines (line,reason) here", "REJECTS.csv" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads,
      "Worker threads (default: number of cores)", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No summary on standard error", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, "INPUT.csv" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("INPUT.csv");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmScheme) scheme = NULL;
  g_autoptr (CmDipPool) pool = NULL;
  g_autoptr (CmCatalogueBuilder) total = NULL;
  g_autofree char *scheme_dir = NULL, *sha = NULL, *base = NULL, *cmd = NULL;
  CmCatalogueOptions opt;
  CmPipelineOptions popt = { 0 };
  CmPipelineOps ops = { .worker_new = build_worker_new, .worker_free = build_worker_free, .process = build_process };
  CmPipelineStats stats;
  BuildJob job = { 0 };
  CmSchemeFamily family;
  FILE *out = stdout, *rej = NULL, *sink = NULL;
  int fd;
  gboolean ok;

  g_option_context_set_summary (oc,
    "Build DRG relative weights (drg-payment.md §2) or DIP scores (dip.md §3,\n"
    "dip-catalogue-building.md) from a base-period episode file.");
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("catalogue build: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (scheme_arg == NULL || rest == NULL || g_strv_length (rest) != 1)
    {
      cm_cli_error ("catalogue build: --scheme and one INPUT.csv are required");
      return CM_EXIT_USAGE;
    }
  scheme_dir = cm_tables_find (scheme_arg, &error);
  if (scheme_dir != NULL)
    scheme = cm_scheme_load (scheme_dir, &error);
  if (scheme == NULL)
    {
      cm_cli_error ("%s", error->message);
      return CM_EXIT_SCHEME;
    }
  family = cm_scheme_get_family (scheme);
  cm_catalogue_options_init (&opt, family);
  if (weights_arg != NULL && !parse_year_weights (weights_arg, &opt))
    {
      cm_cli_error ("catalogue build: --year-weights '%s' is not like 1:2:7 (1 to %d "
                    "whole numbers)", weights_arg, CM_CATALOGUE_MAX_YEARS);
      return CM_EXIT_USAGE;
    }
  if (mean_arg != NULL)
    {
      if (strcmp (mean_arg, "yearly") == 0)
        opt.mean = CM_MEAN_YEARLY;
      else if (strcmp (mean_arg, "cases") == 0)
        opt.mean = CM_MEAN_CASES;
      else
        {
          cm_cli_error ("catalogue build: --mean must be yearly or cases");
          return CM_EXIT_USAGE;
        }
    }
  if (trim_arg != NULL && !parse_trim (trim_arg, &opt))
    {
      cm_cli_error ("catalogue build: --trim '%s' is not LO:HI percent (e.g. 2.5:97.5) "
                    "or none", trim_arg);
      return CM_EXIT_USAGE;
    }
  if (los_arg != NULL && !parse_los (los_arg, &opt))
    {
      cm_cli_error ("catalogue build: --exclude-los '%s' is not SHORT:LONG or none",
                    los_arg);
      return CM_EXIT_USAGE;
    }
  if (threshold == 0 || threshold < -1)
    {
      cm_cli_error ("catalogue build: --threshold must be 1 or more");
      return CM_EXIT_USAGE;
    }
  if (threshold > 0)
    opt.threshold = (guint) threshold;
  if (scale == 0 || scale < -1 || scale > 1000000)
    {
      cm_cli_error ("catalogue build: --scale must be 1 to 1000000");
      return CM_EXIT_USAGE;
    }
  if (scale > 0)
    opt.scale = scale;
  opt.include_per_diem = per_diem;
  if (threads < 0)
    {
      cm_cli_error ("catalogue build: --threads must be 0 or more");
      return CM_EXIT_USAGE;
    }
  if (family == CM_SCHEME_FAMILY_DIP)
    {
      CmDipPoolLevel lv[CM_DIP_POOL_MAX_LEVELS];
      guint n_lv;
      g_autofree char *pdir = NULL;

      if (!parse_pool (pool_arg ? pool_arg : "category,chapter,all", lv, &n_lv))
        {
          cm_cli_error ("catalogue build: --pool '%s' is not a list of category, "
                        "chapter, all", pool_arg);
          return CM_EXIT_USAGE;
        }
      pdir = procs_arg ? cm_tables_find (procs_arg, &error) : g_strdup (scheme_dir);
      if (pdir != NULL)
        pool = cm_dip_pool_load (pdir, lv, n_lv, &error);
      if (pool == NULL)
        {
          cm_cli_error ("%s", error->message);
          return CM_EXIT_SCHEME;
        }
    }
  else if (pool_arg != NULL || procs_arg != NULL || threshold > 0)
    {
      cm_cli_error ("catalogue build: --pool, --procedures and --threshold are for DIP "
                    "schemes");
      return CM_EXIT_USAGE;
    }

  fd = open (rest[0], O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      cm_cli_error ("%s: %s", rest[0], g_strerror (errno));
      return CM_EXIT_FAILURE;
    }
  sink = fopen ("/dev/null", "w");
  if (sink == NULL)
    {
      cm_cli_error ("/dev/null: %s", g_strerror (errno));
      close (fd);
      return CM_EXIT_FAILURE;
    }
  if (rejects_path != NULL)
    {
      rej = fopen (rejects_path, "w");
      if (rej == NULL)
        {
          cm_cli_error ("%s: %s", rejects_path, g_strerror (errno));
          close (fd);
          fclose (sink);
          return CM_EXIT_FAILURE;
        }
    }
  total = cm_catalogue_builder_new (family, &opt, pool);
  job.scheme = scheme;
  job.family = family;
  job.options = &opt;
  job.pool = pool;
  job.total = total;
  g_mutex_init (&job.lock);
  popt.format = CM_INPUT_EPISODES;
  popt.n_threads = (guint) threads;
  popt.input_name = rest[0];
  ok = cm_pipeline_run (fd, &popt, &ops, &job, sink, rej, &stats, &error);
  close (fd);
  fclose (sink);
  g_mutex_clear (&job.lock);
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

  sha = file_sha256 (rest[0]);
  base = g_path_get_basename (rest[0]);
  {
    /* the effective options, so that the line rebuilds the table */
    GString *c = g_string_new ("casemix catalogue build --scheme ");
    g_string_append (c, scheme_arg);
    g_string_append (c, " --year-weights ");
    for (guint i = 0; i < opt.n_year_weights; i++)
      g_string_append_printf (c, "%s%" G_GINT64_FORMAT, i ? ":" : "", opt.year_weights[i]);
    g_string_append_printf (c, " --mean %s", opt.mean == CM_MEAN_YEARLY ? "yearly" : "cases");
    if (opt.trim_low_permille == 0 && opt.trim_high_permille >= 1000)
      g_string_append (c, " --trim none");
    else
      g_string_append_printf (c, " --trim %u.%u:%u.%u", opt.trim_low_permille / 10,
                              opt.trim_low_permille % 10, opt.trim_high_permille / 10,
                              opt.trim_high_permille % 10);
    g_string_append_printf (c, " --scale %" G_GINT64_FORMAT, opt.scale);
    if (family == CM_SCHEME_FAMILY_DIP)
      g_string_append_printf (c, " --threshold %u --pool %s", opt.threshold,
                              pool_arg ? pool_arg : "category,chapter,all");
    if (opt.los_max_short >= 0)
      g_string_append_printf (c, " --exclude-los %d:%d", opt.los_max_short, opt.los_min_long);
    if (opt.include_per_diem)
      g_string_append (c, " --include-per-diem");
    g_string_append_printf (c, " %s", base);
    cmd = g_string_free (c, FALSE);
  }
  {
    g_autofree char *input = g_strdup_printf ("%s (sha256 %s, %" G_GUINT64_FORMAT
                                              " episodes read, %" G_GUINT64_FORMAT
                                              " rejected)", base, sha ? sha : "?",
                                              stats.accepted, stats.rejected);
    const char *meta[] = { "scheme", cm_scheme_get_id (scheme), "input", input,
                           "command", cmd, NULL, NULL };

    if (out_path != NULL && strcmp (out_path, "-") != 0)
      {
        out = fopen (out_path, "w");
        if (out == NULL)
          {
            cm_cli_error ("%s: %s", out_path, g_strerror (errno));
            return CM_EXIT_FAILURE;
          }
      }
    ok = cm_catalogue_builder_write (total, out, meta, &error);
    if (fflush (out) != 0 || ferror (out))
      ok = FALSE;
    if (out != stdout)
      fclose (out);
    if (!ok)
      {
        cm_cli_error ("%s: %s", out_path ? out_path : "stdout",
                      error ? error->message : "write error");
        return CM_EXIT_FAILURE;
      }
  }
  if (!quiet)
    {
      fprintf (stderr, "casemix catalogue build: %s: %" G_GUINT64_FORMAT
               " episodes read, %" G_GUINT64_FORMAT " rejected\n", rest[0],
               stats.accepted, stats.rejected);
      for (guint i = 0; i < stats.n_statuses; i++)
        fprintf (stderr, "  %-16s %" G_GUINT64_FORMAT "\n", stats.status[i],
                 stats.status_count[i]);
    }
  return CM_EXIT_OK;
}

int
cm_cli_catalogue (int argc, char **argv)
{
  if (argc >= 2 && strcmp (argv[1], "build") == 0)
    return catalogue_build (argc - 1, argv + 1);
  if (argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      printf ("Usage: casemix catalogue build --scheme SCHEME [OPTIONS…] INPUT.csv\n\n"
              "Builds DRG relative weights or DIP scores from base-period episodes\n"
              "(`casemix catalogue build --help` lists the options).\n");
      return CM_EXIT_OK;
    }
  cm_cli_error ("catalogue: expected the sub-command build (casemix catalogue build "
                "--help)");
  return CM_EXIT_USAGE;
}
