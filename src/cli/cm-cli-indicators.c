/* cm-cli-indicators.c — `casemix indicators`: grouped (or priced) episodes
 * in; indicator tables, the bureau KPIs with pass/fail, a tidy CSV for
 * research, an HTML report with charts and an .xlsx workbook out.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every input file goes through the batch pipeline; each worker groups an
 * episode under every --scheme (research mode: regroup years of data under
 * one or more schemes) and prices it under every --policy (as settled),
 * and writes a compact binary record of the case to the pipeline's
 * output. That output is the accumulator's sink (cm_indicators_open_sink):
 * records arrive in input order after the duplicate check, so a rejected
 * duplicate is never counted and nothing is counted twice. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cm-cli.h"
#include "casemix.h"
#include "cm-indicators.h"
#include "cm-indicators-report.h"
#include "cm-kpi.h"
#include "cm-policy.h"
#include "cm-price.h"
#include "cm-report.h"

typedef struct {
  guint n_slots;
  CmScheme *scheme[CM_IND_MAX_SLOTS];    /* research slots */
  CmPolicy *policy[CM_IND_MAX_SLOTS];    /* as-settled slots */
  CmWeightTable *weights[CM_IND_MAX_SLOTS];
  CmGroupFlags flags;
  gboolean include_per_diem;
  CmPriceOptions price_options;
} IndJob;

static void
ind_job_clear (IndJob *job)
{
  for (guint s = 0; s < CM_IND_MAX_SLOTS; s++)
    {
      g_clear_pointer (&job->scheme[s], cm_scheme_unref);
      g_clear_pointer (&job->policy[s], cm_policy_unref);
      g_clear_pointer (&job->weights[s], cm_weight_table_unref);
    }
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (IndJob, ind_job_clear)

typedef struct {
  IndJob *job;
  CmGroupContext *gctx[CM_IND_MAX_SLOTS];
  CmPriceContext *pctx[CM_IND_MAX_SLOTS];
} IndWorker;

static gpointer
ind_worker_new (gpointer user_data)
{
  IndJob *job = user_data;
  IndWorker *w = g_new0 (IndWorker, 1);

  w->job = job;
  for (guint s = 0; s < job->n_slots; s++)
    if (job->scheme[s])
      w->gctx[s] = cm_group_context_new (job->scheme[s]);
    else
      /* checked against the policy before the run: cannot fail */
      w->pctx[s] = cm_price_context_new (job->policy[s], &job->price_options, NULL);
  return w;
}

static void
ind_worker_free (gpointer p)
{
  IndWorker *w = p;
  for (guint s = 0; s < w->job->n_slots; s++)
    {
      g_clear_pointer (&w->gctx[s], cm_group_context_free);
      g_clear_pointer (&w->pctx[s], cm_price_context_free);
    }
  g_free (w);
}

/* What a priced case is for the indicators. */
static void
slot_from_priced (CmIndSlotResult *r, const CmPricedCase *pc)
{
  r->label = cm_case_class_name (pc->case_class);
  r->fund_priced_fen = pc->fund_fen;
  r->weight_e4 = -1;
  r->group = "";
  if (pc->method != CM_PAY_METHOD_DRG && pc->method != CM_PAY_METHOD_DIP)
    {
      r->cls = CM_IND_NOT_SETTLED;
      return;
    }
  switch (pc->case_class)
    {
    case CM_CASE_QY:
    case CM_CASE_UNGROUPED:
      r->cls = CM_IND_UNGROUPED;
      break;
    case CM_CASE_OVERFLOW:
    case CM_CASE_NO_SCHEME:
    case CM_CASE_NO_PARAMETERS:
      r->cls = CM_IND_NOT_SETTLED;
      break;
    case CM_CASE_NO_WEIGHT:
    case CM_CASE_BLANK:
      r->cls = CM_IND_GROUPED;
      r->group = pc->group_code ? pc->group_code : "";
      r->weight_e4 = -2;   /* grouped, but no weight */
      break;
    default:
      r->cls = CM_IND_GROUPED;
      r->group = pc->group_code ? pc->group_code : "";
      r->weight_e4 = pc->weight_e4;
      break;
    }
  if (r->cls == CM_IND_GROUPED && *r->group == '\0')
    r->cls = CM_IND_UNGROUPED;
}

static const char *
ind_process (gpointer worker, const CmEpisode *ep, GString *out)
{
  IndWorker *w = worker;
  IndJob *job = w->job;
  CmGroupResult res[CM_IND_MAX_SLOTS];
  CmPricedCase pc[CM_IND_MAX_SLOTS];
  CmIndCase c;

  memset (&c, 0, sizeof c);
  cm_ind_case_set_episode (&c, ep);
  c.n_slots = job->n_slots;
  for (guint s = 0; s < job->n_slots; s++)
    {
      if (w->gctx[s])
        {
          cm_group (w->gctx[s], ep, job->flags, &res[s]);
          cm_ind_slot_set_group (&c.slot[s], &res[s], ep, job->include_per_diem);
        }
      else
        {
          /* an overflow is a class of the case (CM_CASE_OVERFLOW) */
          cm_price_episode (w->pctx[s], ep, &pc[s], NULL);
          slot_from_priced (&c.slot[s], &pc[s]);
        }
    }
  cm_ind_case_encode (&c, out);
  return c.slot[0].label;
}

/* ---------------------------------------------------------------------- */

static gboolean
split_list (char **in, GPtrArray *out)
{
  for (guint i = 0; in && in[i]; i++)
    {
      g_auto (GStrv) parts = g_strsplit (in[i], ",", -1);
      for (guint j = 0; parts[j]; j++)
        {
          const char *p = g_strstrip (parts[j]);
          if (*p == '\0')
            return FALSE;
          g_ptr_array_add (out, g_strdup (p));
        }
    }
  return TRUE;
}

static void
kpi_csv_row (const char *const *cells, gpointer user_data)
{
  GString *s = user_data;
  for (guint i = 0; i < CM_KPI_N_COLUMNS; i++)
    {
      if (i)
        g_string_append_c (s, ',');
      cm_csv_append_field (s, cells[i]);
    }
  g_string_append_c (s, '\n');
}

static void
kpi_text_row (const char *const *cells, gpointer user_data)
{
  FILE *f = user_data;
  fprintf (f, "  %-20s %-22s %12s  %-14s %-7s%s%s\n", cells[0], cells[2],
           *cells[4] ? cells[4] : "—", cells[5], cells[6],
           *cells[10] && strcmp (cells[6], "n/a") == 0 ? "  " : "",
           *cells[10] && strcmp (cells[6], "n/a") == 0 ? cells[10] : "");
}

static gboolean
write_file (const char *path, const char *text, gsize len)
{
  g_autoptr (GError) error = NULL;
  if (strcmp (path, "-") == 0)
    return fwrite (text, 1, len, stdout) == len;
  if (!g_file_set_contents (path, text, (gssize) len, &error))
    {
      cm_cli_error ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

/* Writes to @path ('-' = stdout) through @fn. */
static gboolean
with_output (const char *path, gboolean (*fn) (FILE *f, gpointer data, GError **error),
             gpointer data)
{
  g_autoptr (GError) error = NULL;
  FILE *f = strcmp (path, "-") == 0 ? stdout : fopen (path, "w");
  gboolean ok;

  if (f == NULL)
    {
      cm_cli_error ("%s: %s", path, g_strerror (errno));
      return FALSE;
    }
  ok = fn (f, data, &error);
  if (fflush (f) != 0 || ferror (f))
    {
      if (ok)
        cm_cli_error ("%s: write error: %s", path, g_strerror (errno));
      ok = FALSE;
    }
  else if (!ok)
    cm_cli_error ("%s: %s", path, error ? error->message : "write error");
  if (f != stdout && fclose (f) != 0 && ok)
    {
      cm_cli_error ("%s: write error: %s", path, g_strerror (errno));
      ok = FALSE;
    }
  return ok;
}

typedef struct {
  const CmIndicators *ind;
  guint dims;
} TableOut;

static gboolean
write_tables (FILE *f, gpointer data, GError **error)
{
  const TableOut *to = data;
  for (guint s = 0; s < cm_indicators_get_n_slots (to->ind); s++)
    {
      g_autoptr (CmIndTable) t = cm_indicators_table (to->ind, s, to->dims);
      if (!cm_ind_table_write_csv (t, cm_indicators_get_slot_name (to->ind, s), s == 0, f,
                                   error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
write_tidy (FILE *f, gpointer data, GError **error)
{
  return cm_indicators_write_tidy (data, f, error);
}

static void
print_summary (const CmIndicators *ind, FILE *f)
{
  for (guint s = 0; s < cm_indicators_get_n_slots (ind); s++)
    {
      g_autoptr (CmIndTable) t = cm_indicators_table (ind, s, CM_IND_DIM_YEAR);
      for (guint i = 0; i < cm_ind_table_get_n_rows (t); i++)
        {
          const CmIndRow *r = cm_ind_table_get_row (t, i);
          g_autofree char *gr = NULL, *cmi = NULL, *ci = NULL, *ti = NULL, *lrm = NULL;
          g_autoptr (CmRational) grp = r->grouping_rate ? cm_rational_copy (r->grouping_rate) : NULL;
          g_autoptr (CmRational) lr = r->lowrisk_mortality ? cm_rational_copy (r->lowrisk_mortality) : NULL;
          gint64 cpc = 0;
          char cb[32];

          if (grp)
            cm_rational_mul_ratio (grp, 100, 1);
          if (lr)
            cm_rational_mul_ratio (lr, 100, 1);
          gr = grp ? cm_rational_to_string (grp, 2) : g_strdup ("—");
          cmi = r->cmi ? cm_rational_to_string (r->cmi, 4) : g_strdup ("—");
          ci = r->cost_index ? cm_rational_to_string (r->cost_index, 4) : g_strdup ("—");
          ti = r->time_index ? cm_rational_to_string (r->time_index, 4) : g_strdup ("—");
          lrm = lr ? cm_rational_to_string (lr, 2) : g_strdup ("—");
          if (r->cost_per_case_fen && cm_rational_round (r->cost_per_case_fen, 0, &cpc))
            cm_report_format_scaled (cpc, 2, TRUE, cb);
          else
            g_strlcpy (cb, "—", sizeof cb);
          fprintf (f, "%s %d: %" G_GINT64_FORMAT " cases, grouping rate %s %%, %"
                   G_GINT64_FORMAT " groups, CMI %s, cost per case %s, cost index %s, "
                   "time index %s, low-risk mortality %s %%\n",
                   cm_indicators_get_slot_name (ind, s), r->year, r->n_cases, gr,
                   r->n_groups, cmi, cb, ci, ti, lrm);
        }
    }
}

int
cm_cli_indicators (int argc, char **argv)
{
  g_auto (GStrv) schemes_arg = NULL, policies_arg = NULL, weights_arg = NULL;
  g_auto (GStrv) sets = NULL, rest = NULL;
  g_autofree char *by = NULL, *config = NULL, *profile = NULL;
  g_autofree char *out_path = NULL, *tidy_path = NULL, *kpi_path = NULL;
  g_autofree char *html_path = NULL, *xlsx_path = NULL, *rejects_path = NULL;
  g_autofree char *title = NULL;
  gboolean translate = FALSE, no_comprehensive = FALSE, quiet = FALSE;
  gint threads = 0, year = 0;
  GOptionEntry entries[] = {
    { "scheme", 0, 0, G_OPTION_ARG_STRING_ARRAY, &schemes_arg,
      "Regroup every episode under this scheme (repeat or comma-separate for "
      "comparable trend tables under several schemes)", "SCHEME" },
    { "policy", 0, 0, G_OPTION_ARG_STRING_ARRAY, &policies_arg,
      "Group and price as settled under this payment policy pack", "POLICY" },
    { "weights", 0, 0, G_OPTION_ARG_STRING_ARRAY, &weights_arg,
      "Weight table (TSV drg<TAB>weight, or a catalogue) for the scheme: FILE, "
      "SCHEME=FILE, or self (derived from the input; the default)", "[SCHEME=]FILE" },
    { "by", 0, 0, G_OPTION_ARG_STRING, &by,
      "Dimensions of the indicator table: region, hospital, level, county, year, "
      "month, group, insurance, insured_region (default: year)", "DIMS" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config,
      "Options, KPI targets and figures (TSV key<TAB>value; docs/indicators.md)", "FILE" },
    { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets,
      "One configuration key (after --config)", "KEY=VALUE" },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile,
      "KPI set: zhuzhou-2026 (default), yiyang, county-alliance, all, none", "NAME" },
    { "year", 0, 0, G_OPTION_ARG_INT, &year,
      "Assessed discharge year of the KPIs (default: the latest)", "YYYY" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_path,
      "Indicator table by --by as CSV (- = standard output)", "TABLE.csv" },
    { "tidy", 0, 0, G_OPTION_ARG_FILENAME, &tidy_path,
      "Tidy CSV: one row per scheme × group × hospital × month", "TIDY.csv" },
    { "kpi", 0, 0, G_OPTION_ARG_FILENAME, &kpi_path,
      "KPI results as CSV", "KPI.csv" },
    { "html", 0, 0, G_OPTION_ARG_FILENAME, &html_path,
      "HTML report with charts", "REPORT.html" },
    { "xlsx", 0, 0, G_OPTION_ARG_FILENAME, &xlsx_path,
      "Workbook with the report's tables (and the tidy data)", "REPORT.xlsx" },
    { "title", 0, 0, G_OPTION_ARG_STRING, &title,
      "Title of the HTML report and workbook", "TEXT" },
    { "rejects", 0, 0, G_OPTION_ARG_FILENAME, &rejects_path,
      "Write rejected lines (file,line,reason) here", "REJECTS.csv" },
    { "translate", 0, 0, G_OPTION_ARG_NONE, &translate,
      "Translate codes through the schemes' dx_map/px_map (DRG)", NULL },
    { "no-comprehensive", 0, 0, G_OPTION_ARG_NONE, &no_comprehensive,
      "Do not form comprehensive groups (DIP)", NULL },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads,
      "Worker threads (default: number of cores)", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      "No summary on standard error", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL,
      "INPUT.csv…" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("INPUT.csv… | -");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) scheme_names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) policy_names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (CmKpiConfig) kcfg = cm_kpi_config_new ();
  g_autoptr (CmIndicators) ind = NULL;
  g_autoptr (GPtrArray) kpis = NULL;
  CmIndicatorOptions opt;
  g_auto (IndJob) job = { 0 };
  const char *slot_names[CM_IND_MAX_SLOTS];
  CmSchemeFamily families[CM_IND_MAX_SLOTS];
  guint dims = CM_IND_DIM_YEAR;
  guint64 n_rejected = 0, n_read = 0;
  g_autoptr (GString) rejects = g_string_new ("file,line,reason\n");
  FILE *sink;
  int rc = CM_EXIT_OK;

  g_option_context_set_summary (oc,
      "Indicators (grouping rate, groups, total weight, CMI, cost and time indices, "
      "low-risk mortality, cost per case raw and case-mix adjusted), the bureau KPIs "
      "with their targets, a tidy CSV for R/pandas, an HTML report and a workbook. "
      "Several input files (years) are read as one history.");
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("indicators: %s", error->message);
      return CM_EXIT_USAGE;
    }
  cm_indicator_options_init (&opt);
  if (!split_list (schemes_arg, scheme_names) || !split_list (policies_arg, policy_names))
    {
      cm_cli_error ("indicators: an empty name in --scheme or --policy");
      return CM_EXIT_USAGE;
    }
  if (scheme_names->len + policy_names->len == 0)
    {
      cm_cli_error ("indicators: --scheme or --policy is required");
      return CM_EXIT_USAGE;
    }
  if (scheme_names->len + policy_names->len > CM_IND_MAX_SLOTS)
    {
      cm_cli_error ("indicators: at most %d schemes and policies together", CM_IND_MAX_SLOTS);
      return CM_EXIT_USAGE;
    }
  if (rest == NULL || rest[0] == NULL)
    {
      cm_cli_error ("indicators: no input file (use - for standard input)");
      return CM_EXIT_USAGE;
    }
  if (threads < 0)
    {
      cm_cli_error ("indicators: --threads must be 0 or more");
      return CM_EXIT_USAGE;
    }
  if (year != 0 && (year < 1900 || year > 9999))
    {
      cm_cli_error ("indicators: --year must be a year");
      return CM_EXIT_USAGE;
    }
  if (by != NULL)
    {
      g_autofree char *problem = NULL;
      if (!cm_ind_dims_parse (by, &dims, &problem))
        {
          cm_cli_error ("indicators: --by: %s", problem);
          return CM_EXIT_USAGE;
        }
    }

  /* configuration: file, then --profile, then --set, in that order */
  if (config != NULL && !cm_kpi_config_load (kcfg, &opt, config, &error))
    {
      cm_cli_error ("%s", error->message);
      return CM_EXIT_SCHEME;
    }
  if (profile != NULL)
    {
      g_autofree char *problem = NULL;
      if (!cm_kpi_config_set (kcfg, &opt, "kpi.profile", profile, &problem))
        {
          cm_cli_error ("indicators: --profile: %s", problem);
          return CM_EXIT_USAGE;
        }
    }
  for (guint i = 0; sets && sets[i]; i++)
    {
      g_autofree char *problem = NULL;
      char *eq = strchr (sets[i], '=');
      if (eq == NULL)
        {
          cm_cli_error ("indicators: --set %s: not KEY=VALUE", sets[i]);
          return CM_EXIT_USAGE;
        }
      *eq = '\0';
      if (!cm_kpi_config_set (kcfg, &opt, sets[i], eq + 1, &problem))
        {
          cm_cli_error ("indicators: --set %s: %s", sets[i], problem);
          return CM_EXIT_USAGE;
        }
    }

  /* slots: schemes first, then policies */
  for (guint i = 0; i < scheme_names->len; i++)
    {
      g_autofree char *dir = cm_tables_find (scheme_names->pdata[i], &error);
      CmScheme *sc = dir ? cm_scheme_load (dir, &error) : NULL;
      guint s = job.n_slots++;
      if (sc == NULL)
        {
          cm_cli_error ("%s", error->message);
          return CM_EXIT_SCHEME;
        }
      job.scheme[s] = sc;
      slot_names[s] = cm_scheme_get_id (sc);
      families[s] = cm_scheme_get_family (sc);
    }
  for (guint i = 0; i < policy_names->len; i++)
    {
      CmPolicy *po = cm_policy_load (policy_names->pdata[i], &error);
      guint s = job.n_slots++;
      CmTimeline *tl;
      if (po == NULL)
        {
          cm_cli_error ("%s", error->message);
          return CM_EXIT_SCHEME;
        }
      job.policy[s] = po;
      slot_names[s] = policy_names->pdata[i];
      tl = cm_policy_get_timeline (po);
      families[s] = cm_timeline_get_n_schemes (tl) > 0
                    ? cm_scheme_get_family (cm_timeline_get_scheme (tl, 0))
                    : CM_SCHEME_FAMILY_DRG;
    }
  for (guint s = 0; s < job.n_slots; s++)
    for (guint t = 0; t < s; t++)
      if (strcmp (slot_names[s], slot_names[t]) == 0)
        {
          cm_cli_error ("indicators: %s is given twice", slot_names[s]);
          return CM_EXIT_USAGE;
        }
  job.flags = (translate ? CM_GROUP_TRANSLATE : 0)
              | (no_comprehensive ? CM_GROUP_NO_COMPREHENSIVE : 0);
  job.include_per_diem = opt.include_per_diem;
  for (guint s = 0; s < job.n_slots; s++)
    {
      if (job.scheme[s] && !cm_scheme_check_flags (job.scheme[s], job.flags, &error))
        {
          cm_cli_error ("indicators: %s", error->message);
          return CM_EXIT_USAGE;
        }
      if (job.policy[s])
        {
          /* fails here, not in a worker, when the options do not fit */
          CmPriceContext *pc = cm_price_context_new (job.policy[s], &job.price_options,
                                                     &error);
          if (pc == NULL)
            {
              cm_cli_error ("%s", error->message);
              return CM_EXIT_SCHEME;
            }
          cm_price_context_free (pc);
        }
    }

  /* weights: FILE (the only or first scheme), SCHEME=FILE, self */
  for (guint i = 0; weights_arg && weights_arg[i]; i++)
    {
      char *eq = strchr (weights_arg[i], '=');
      const char *file = eq ? eq + 1 : weights_arg[i];
      guint s = 0;
      if (eq)
        {
          *eq = '\0';
          for (s = 0; s < job.n_slots; s++)
            if (strcmp (slot_names[s], weights_arg[i]) == 0)
              break;
          if (s == job.n_slots)
            {
              cm_cli_error ("indicators: --weights %s: no such --scheme", weights_arg[i]);
              return CM_EXIT_USAGE;
            }
        }
      else if (job.n_slots > 1 && strcmp (file, "self") != 0)
        {
          cm_cli_error ("indicators: --weights: with several schemes write SCHEME=FILE");
          return CM_EXIT_USAGE;
        }
      if (job.policy[s])
        {
          cm_cli_error ("indicators: --weights %s: a policy brings its own weights",
                        slot_names[s]);
          return CM_EXIT_USAGE;
        }
      g_clear_pointer (&job.weights[s], cm_weight_table_unref);
      if (strcmp (file, "self") != 0)
        {
          job.weights[s] = cm_weight_table_load (file, families[s], &error);
          if (job.weights[s] == NULL)
            {
              cm_cli_error ("%s", error->message);
              return CM_EXIT_SCHEME;
            }
        }
    }

  ind = cm_indicators_new (&opt, job.n_slots, slot_names, families);
  for (guint s = 0; s < job.n_slots; s++)
    if (job.weights[s])
      cm_indicators_set_weights (ind, s, job.weights[s]);
    else if (job.policy[s])
      {
        /* priced cases carry the weight of their year's catalogue */
        g_autofree char *src = g_strdup_printf ("the policy's catalogues (%s)",
                                                cm_policy_get_path (job.policy[s]));
        g_autoptr (CmWeightTable) w = cm_weight_table_new_empty (src);
        cm_indicators_set_weights (ind, s, w);
      }

  /* the inputs, one history */
  sink = cm_indicators_open_sink (ind);
  if (sink == NULL)
    {
      cm_cli_error ("indicators: %s", g_strerror (errno));
      return CM_EXIT_FAILURE;
    }
  for (guint i = 0; rest[i]; i++)
    {
      const char *input = rest[i];
      CmPipelineOptions popt = { 0 };
      CmPipelineOps ops = { .worker_new = ind_worker_new, .worker_free = ind_worker_free, .process = ind_process };
      CmPipelineStats stats;
      char *rbuf = NULL;
      size_t rlen = 0;
      FILE *rej = open_memstream (&rbuf, &rlen);
      int fd = 0;
      gboolean ok;

      if (strcmp (input, "-") != 0)
        {
          fd = open (input, O_RDONLY | O_CLOEXEC);
          if (fd < 0)
            {
              cm_cli_error ("%s: %s", input, g_strerror (errno));
              fclose (rej);
              free (rbuf);
              fclose (sink);
              return CM_EXIT_FAILURE;
            }
          posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        }
      popt.format = CM_INPUT_EPISODES;
      popt.n_threads = (guint) threads;
      popt.input_name = input;
      ok = cm_pipeline_run (fd, &popt, &ops, &job, sink, rej, &stats, &error);
      if (fd > 0)
        close (fd);
      fflush (sink);
      fclose (rej);
      if (!ok)
        {
          cm_cli_error ("%s", error->message);
          free (rbuf);
          fclose (sink);
          return CM_EXIT_FAILURE;
        }
      /* "line,reason" rows after the pipeline's header → "file,line,reason" */
      if (rbuf != NULL)
        {
          char *p = strchr (rbuf, '\n');
          p = p ? p + 1 : rbuf + rlen;
          while (*p)
            {
              char *nl = strchr (p, '\n');
              cm_csv_append_field (rejects, input);
              g_string_append_c (rejects, ',');
              g_string_append_len (rejects, p, nl ? nl - p + 1 : (gssize) strlen (p));
              if (nl == NULL)
                {
                  g_string_append_c (rejects, '\n');
                  break;
                }
              p = nl + 1;
            }
        }
      free (rbuf);
      n_rejected += stats.rejected;
      n_read += stats.accepted;
      if (!quiet)
        fprintf (stderr, "casemix indicators: %s: %" G_GUINT64_FORMAT " lines read, %"
                 G_GUINT64_FORMAT " episodes, %" G_GUINT64_FORMAT " rejected, %"
                 G_GUINT64_FORMAT " empty\n", input, stats.lines, stats.accepted,
                 stats.rejected, stats.empty);
    }
  if (fclose (sink) != 0)
    {
      cm_cli_error ("indicators: internal error: a case record was malformed");
      return CM_EXIT_FAILURE;
    }
  if (cm_indicators_get_n_cases (ind) != n_read)
    {
      cm_cli_error ("indicators: internal error: %" G_GUINT64_FORMAT " episodes read but %"
                    G_GUINT64_FORMAT " counted", n_read, cm_indicators_get_n_cases (ind));
      return CM_EXIT_FAILURE;
    }
  if (!cm_indicators_finish (ind, &error))
    {
      cm_cli_error ("indicators: %s", error->message);
      return CM_EXIT_FAILURE;
    }
  kpis = cm_kpi_evaluate (ind, 0, kcfg, year);

  /* outputs */
  if (rejects_path && !write_file (rejects_path, rejects->str, rejects->len))
    rc = CM_EXIT_FAILURE;
  if (out_path || (!tidy_path && !kpi_path && !html_path && !xlsx_path))
    {
      TableOut to = { ind, dims };
      if (!with_output (out_path ? out_path : "-", write_tables, &to))
        rc = CM_EXIT_FAILURE;
    }
  if (tidy_path && !with_output (tidy_path, write_tidy, ind))
    rc = CM_EXIT_FAILURE;
  if (kpi_path)
    {
      g_autoptr (GString) k = g_string_new (NULL);
      const char *const *cols = cm_kpi_columns ();
      kpi_csv_row (cols, k);
      cm_kpi_results_to_rows (kpis, kpi_csv_row, k);
      if (!write_file (kpi_path, k->str, k->len))
        rc = CM_EXIT_FAILURE;
    }
  if (html_path || xlsx_path)
    {
      CmIndReportInfo info = { 0 };
      g_autoptr (CmReport) rep = NULL;
      g_autoptr (GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *when = g_date_time_format (now, "%Y-%m-%d %H:%M");
      g_autofree char *gen = g_strdup_printf ("%s by casemix %s", when, CM_VERSION);

      info.title = title;
      info.inputs = (const char *const *) rest;
      info.n_rejected = n_rejected;
      info.by_dims = by ? dims : 0;
      info.by_text = by;
      info.generated = gen;
      if (html_path)
        {
          rep = cm_indicators_build_report (ind, kpis, kcfg, &info);
          if (!cm_report_write_html (rep, html_path, &error))
            {
              cm_cli_error ("%s", error->message);
              g_clear_error (&error);
              rc = CM_EXIT_FAILURE;
            }
          g_clear_pointer (&rep, cm_report_free);
        }
      if (xlsx_path)
        {
          info.with_tidy = TRUE;
          rep = cm_indicators_build_report (ind, kpis, kcfg, &info);
          if (!cm_report_write_xlsx (rep, xlsx_path, &error))
            {
              cm_cli_error ("%s: %s", xlsx_path, error->message);
              g_clear_error (&error);
              rc = CM_EXIT_FAILURE;
            }
        }
    }

  if (!quiet)
    {
      print_summary (ind, stderr);
      if (kpis->len > 0)
        {
          fprintf (stderr, "KPIs (%s, %d):\n", cm_kpi_config_get_profile (kcfg),
                   ((CmKpiResult *) kpis->pdata[0])->year);
          cm_kpi_results_to_rows (kpis, kpi_text_row, stderr);
        }
    }
  return rc;
}
