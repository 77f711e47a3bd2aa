/* cm-cli-demo.c — `casemix demo`: the README's main job, a full demo year
 * on synthetic data for the two demo regions (src/settle/cm-demo.h), with a
 * progress bar when standard error is a terminal.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cm-cli.h"
#include "casemix.h"
#include "cm-demo.h"
#include "cm-settle.h"
#include "cm-policy.h"

static void
progress_bar (gpointer data, const char *step, guint done, guint total)
{
  const int width = 30;
  int filled = total ? (int) (done * (guint) width / total) : width;

  fprintf (stderr, "\r\033[K[%.*s%*s] %3u%%  %s", filled,
           "##############################", width - filled, "",
           total ? done * 100 / total : 100, step);
  if (done == total)
    fputc ('\n', stderr);
  fflush (stderr);
}

static void
progress_lines (gpointer data, const char *step, guint done, guint total)
{
  if (done < total)
    fprintf (stderr, "casemix demo: [%u/%u] %s\n", done + 1, total, step);
}

static void
money (const char *label, CmFen v)
{
  char buf[CM_MONEY_BUF];
  cm_fen_format (v, buf);
  printf ("  %-46s %18s\n", label, buf);
}

int
cm_cli_demo (int argc, char **argv)
{
  g_autofree char *out_dir = NULL;
  g_autofree char *regions_arg = NULL;
  gint64 per_month = 0;
  gint year = 0, base_year = 0, seed = -1;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir,
      "Output folder (default demo-out)", "DIR" },
    { "cases-per-month", 'n', 0, G_OPTION_ARG_INT64, &per_month,
      "Synthetic episodes per region and month (default 5000)", "N" },
    { "year", 0, 0, G_OPTION_ARG_INT, &year, "The demo year (default 2025)", "YYYY" },
    { "base-year", 0, 0, G_OPTION_ARG_INT, &base_year,
      "The base year of the catalogue (default the year before)", "YYYY" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed (default 2025)", "S" },
    { "regions", 0, 0, G_OPTION_ARG_STRING, &regions_arg,
      "Comma-separated demo regions (default zhuzhou,yiyang)", "LIST" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress on standard error", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmDemoResult) res = NULL;
  g_auto (GStrv) regions = NULL;
  CmDemoOptions opt;
  guint failed = 0;

  g_option_context_set_summary (oc,
    "Run a full demo year on synthetic data for the demo regions zhuzhou (DRG)\n"
    "and yiyang (DIP): a base year and its catalogue, a policy pack with budgets,\n"
    "twelve monthly settlements (with deductions, a corrected month and quarterly\n"
    "special-case reviews), the annual clearing, the county alliances, workbooks\n"
    "and report pages, and a check that every money identity holds to the fen.\n"
    "No real patient data is involved.");
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("demo: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (argc > 1 || per_month < 0 || per_month > 10000000)
    {
      cm_cli_error ("demo: bad arguments (see casemix demo --help)");
      return CM_EXIT_USAGE;
    }
  cm_demo_options_init (&opt);
  if (out_dir)
    opt.out_dir = out_dir;
  if (per_month > 0)
    opt.cases_per_month = (guint64) per_month;
  if (year > 0)
    {
      opt.year = year;
      opt.base_year = year - 1;
    }
  if (base_year > 0)
    opt.base_year = base_year;
  if (seed >= 0)
    opt.seed = (guint32) seed;
  if (regions_arg)
    {
      regions = g_strsplit (regions_arg, ",", -1);
      opt.regions = (const char *const *) regions;
    }
  if (!quiet)
    opt.progress = isatty (STDERR_FILENO) ? progress_bar : progress_lines;

  res = cm_demo_run (&opt, &error);
  if (res == NULL)
    {
      if (!quiet && isatty (STDERR_FILENO))
        fputc ('\n', stderr);
      cm_cli_error ("demo: %s", error->message);
      return error->domain == CM_POLICY_ERROR || error->domain == CM_SCHEME_ERROR
             ? CM_EXIT_SCHEME : CM_EXIT_FAILURE;
    }
  printf ("casemix demo %d: %s (ledger %s, digest %.16s…)\n", opt.year, res->out_dir,
          res->ledger, res->digest);
  for (guint i = 0; i < res->regions->len; i++)
    {
      const CmDemoRegion *r = res->regions->pdata[i];
      printf ("\n%s (%s) — %s\n", r->name, r->region, r->method);
      printf ("  %-46s %18u\n", "hospitals", r->n_hospitals);
      printf ("  %-46s %18" G_GUINT64_FORMAT "\n", "cases settled", r->n_cases);
      money ("total cost", r->cost_fen);
      money ("Σ monthly payable", r->monthly_payable_fen);
      money ("Σ monthly advances paid", r->advances_fen);
      money ("Σ quality reserve withheld", r->withheld_fen);
      money ("deductions", r->deductions_fen);
      money ("final payable (clearing)", r->final_payable_fen);
      money ("assessment forfeits", r->assess_fen);
      money ("prepayments recovered", r->prepayment_fen);
      money ("clearing (net, + paid / − recovered)", r->clearing_fen);
      for (int p = 0; p < 3; p++)
        if (r->final_pv_e4[p] > 0)
          {
            static const char *const pools[] = { "final point value", "final PV employee",
                                                 "final PV resident" };
            char pv[CM_MONEY_BUF];
            cm_e4_format (r->final_pv_e4[p], pv);
            printf ("  %-46s %18s\n", pools[p], pv);
          }
      if (r->pool_target_fen != 0)
        {
          money ("budget target T = F / p", r->pool_target_fen);
          money ("Σ hospital point payments", r->pool_pay_fen);
          money ("point-value residual", r->pool_residual_fen);
        }
      printf ("  %-46s %12u / %u\n", "special cases submitted / approved",
              r->n_special_submitted, r->n_special_approved);
      printf ("  %-46s %18u\n", "county alliances", r->n_alliances);
      money ("alliance budgets", r->alliance_budget_fen);
      money ("alliance actual charges", r->alliance_actual_fen);
      money ("surplus retained / returned to the fund", r->alliance_retained_fen);
      money ("", r->alliance_returned_fen);
      money ("overspend: fund's share / alliances' share", r->alliance_fund_share_fen);
      money ("", r->alliance_own_share_fen);
      printf ("  %-46s %11u checked, %u failed\n", "money conserved (identities)",
              r->n_checked, r->n_failed);
      printf ("  reports: %s, %s\n", r->year_xlsx, r->year_html);
      failed += r->n_failed;
    }
  if (failed > 0)
    {
      cm_cli_error ("demo: %u money identities do not hold (casemix settle verify)", failed);
      return CM_EXIT_FAILURE;
    }
  return CM_EXIT_OK;
}
