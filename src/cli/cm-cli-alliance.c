/* cm-cli-alliance.c — `casemix alliance`: county medical alliance (县域医共体)
 * total budgets, charges and the year's surplus retention or overspend
 * sharing (medical-alliance.md).
 * SPDX-License-Identifier: Apache-2.0
 *
 *   casemix alliance budget  --policy P --year YYYY
 *   casemix alliance charges --ledger L --policy P --year YYYY CHARGES.tsv
 *   casemix alliance settle  --ledger L --policy P --year YYYY [--charges F]
 *                            [--xlsx F] [--html F] [-o F.csv]
 *
 * Alliances, counties, tiers and the assessment come from the pack's
 * settlement.xml (<alliance>); in-county charges from the ledger. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cm-cli.h"
#include "casemix.h"
#include "cm-ledger.h"
#include "cm-settle-report.h"

typedef struct {
  char *ledger, *policy, *settlement, *charges, *xlsx, *html, *out;
  gint year;
} Opts;

static void
opts_clear (Opts *o)
{
  g_free (o->ledger);
  g_free (o->policy);
  g_free (o->settlement);
  g_free (o->charges);
  g_free (o->xlsx);
  g_free (o->html);
  g_free (o->out);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Opts, opts_clear)

static int
fail (const GError *error)
{
  cm_cli_error ("%s", error->message);
  if ((error->domain == CM_SETTLE_ERROR && error->code == CM_SETTLE_ERROR_CONFIG)
      || error->domain == CM_POLICY_ERROR)
    return CM_EXIT_SCHEME;
  return CM_EXIT_FAILURE;
}

/* @text to @path ("-" or NULL: standard output) with stdio. */
static gboolean
write_text (const char *path, const GString *text, GError **error)
{
  FILE *f;
  gboolean ok;

  if (path == NULL || strcmp (path, "-") == 0)
    {
      fwrite (text->str, 1, text->len, stdout);
      return fflush (stdout) == 0;
    }
  f = fopen (path, "w");
  if (f == NULL)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s: %s", path,
                   g_strerror (errno));
      return FALSE;
    }
  ok = fwrite (text->str, 1, text->len, f) == text->len;
  ok = (fclose (f) == 0) && ok;
  if (!ok)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: write error", path);
  return ok;
}

static void
usage (FILE *f)
{
  fprintf (f,
    "Usage: casemix alliance COMMAND [OPTIONS…]\n\n"
    "County medical alliance total budgets (medical-alliance.md):\n"
    "  budget   the year's budgets from settlement.xml (fund- or growth-based)\n"
    "  charges  record out-of-county / outpatient charges of the year (TSV)\n"
    "  settle   budget, charges, surplus retention / overspend sharing, assessment\n\n"
    "`casemix alliance COMMAND --help` describes a command.\n");
}

int
cm_cli_alliance (int argc, char **argv)
{
  g_auto (Opts) o = { NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 };
  g_auto (GStrv) rest = NULL;
  GOptionEntry entries[] = {
    { "ledger", 'l', 0, G_OPTION_ARG_FILENAME, &o.ledger, "The ledger database",
      "LEDGER.sqlite" },
    { "policy", 0, 0, G_OPTION_ARG_STRING, &o.policy,
      "Policy pack: a shipped region, a folder or a policy.xml", "REGION" },
    { "settlement", 0, 0, G_OPTION_ARG_FILENAME, &o.settlement,
      "Settlement parameters (default: the pack's settlement.xml)", "SETTLEMENT.xml" },
    { "year", 'y', 0, G_OPTION_ARG_INT, &o.year, "The year", "YYYY" },
    { "charges", 0, 0, G_OPTION_ARG_FILENAME, &o.charges,
      "settle: record these charges first (as alliance charges)", "CHARGES.tsv" },
    { "xlsx", 0, 0, G_OPTION_ARG_FILENAME, &o.xlsx, "settle: write the workbook", "OUT.xlsx" },
    { "html", 0, 0, G_OPTION_ARG_FILENAME, &o.html, "settle: write the report page",
      "OUT.html" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.out,
      "Write the results as CSV (- for standard output)", "OUT.csv" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmPolicy) policy = NULL;
  g_autoptr (CmSettleConfig) config = NULL;
  g_autoptr (CmLedger) ledger = NULL;
  const char *cmd;

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? CM_EXIT_USAGE : CM_EXIT_OK;
    }
  cmd = argv[1];
  if (strcmp (cmd, "budget") != 0 && strcmp (cmd, "charges") != 0
      && strcmp (cmd, "settle") != 0)
    {
      cm_cli_error ("alliance: unknown command '%s' (see casemix alliance --help)", cmd);
      return CM_EXIT_USAGE;
    }
  oc = g_option_context_new (strcmp (cmd, "charges") == 0 ? "CHARGES.tsv" : NULL);
  g_option_context_set_summary (oc, strcmp (cmd, "budget") == 0
    ? "Print the year's alliance budgets: fund-based B_county = F − S − R split by\n"
      "insured headcount (exact ratio, largest remainder), or growth-based\n"
      "B = A_prev × (1 + g)."
    : strcmp (cmd, "charges") == 0
    ? "Record the year's charges that do not come from the case ledger: a TSV of\n"
      "alliance_id, month (YYYY-MM), kind (out_of_county, outpatient, other), amount\n"
      "(yuan). Replaces the year's earlier charges; the same file twice changes nothing."
    : "Settle the year's alliances: budget, in-county fund payments of the local\n"
      "insured at member hospitals (from the clearing when the year is cleared), other\n"
      "charges, then surplus retention or reasonable overspend sharing with the\n"
      "assessment factor (medical-alliance.md §4–§6).");
  g_option_context_add_main_entries (oc, entries, NULL);
  argc--;
  argv++;
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("alliance %s: %s", cmd, error->message);
      return CM_EXIT_USAGE;
    }
  if (o.policy == NULL || o.year < 1900 || o.year > 9999)
    {
      cm_cli_error ("alliance %s: --policy and --year are required", cmd);
      return CM_EXIT_USAGE;
    }
  policy = cm_policy_load (o.policy, &error);
  if (policy == NULL)
    return fail (error);
  config = o.settlement ? cm_settle_config_load (o.settlement, &error)
                        : cm_settle_config_load_for_policy (cm_policy_get_path (policy),
                                                            &error);
  if (config == NULL)
    return fail (error);

  if (strcmp (cmd, "budget") == 0)
    {
      guint n = cm_settle_config_get_n_alliances (config, o.year);
      g_autofree CmFen *b = g_new0 (CmFen, MAX (n, 1));
      g_autofree CmFen *cb = g_new0 (CmFen, MAX (n, 1));
      g_autofree CmFen *rs = g_new0 (CmFen, MAX (n, 1));
      g_autoptr (GString) csv = g_string_new ("alliance_id,name,county_id,insured,"
                                              "reserve,county_budget,budget\n");

      if (n == 0)
        {
          cm_cli_error ("alliance budget: %s lists no alliance for %d",
                        cm_settle_config_get_path (config), o.year);
          return CM_EXIT_SCHEME;
        }
      if (!cm_settle_config_alliance_budgets (config, o.year, b, cb, rs, &error))
        return fail (error);
      for (guint i = 0; i < n; i++)
        {
          const CmSettleAlliance *a = cm_settle_config_get_alliance (config, o.year, i);
          cm_csv_append_field (csv, a->alliance_id);
          g_string_append_c (csv, ',');
          cm_csv_append_field (csv, a->name);
          g_string_append_printf (csv, ",%s,%" G_GINT64_FORMAT ",", a->county_id,
                                  a->insured);
          cm_fen_append (csv, rs[i]);
          g_string_append_c (csv, ',');
          cm_fen_append (csv, cb[i]);
          g_string_append_c (csv, ',');
          cm_fen_append (csv, b[i]);
          g_string_append_c (csv, '\n');
        }
      if (!write_text (o.out, csv, &error))
        return fail (error);
      return CM_EXIT_OK;
    }

  if (o.ledger == NULL)
    {
      cm_cli_error ("alliance %s: --ledger is required", cmd);
      return CM_EXIT_USAGE;
    }
  ledger = cm_ledger_open (o.ledger, &error);
  if (ledger == NULL)
    return fail (error);
  if (strcmp (cmd, "charges") == 0)
    {
      if (rest == NULL || rest[0] == NULL || rest[1] != NULL)
        {
          cm_cli_error ("alliance charges: one CHARGES.tsv is required");
          return CM_EXIT_USAGE;
        }
      if (!cm_ledger_import_alliance_charges (ledger, cm_policy_get_region (policy), o.year,
                                              rest[0], &error))
        return fail (error);
      fprintf (stderr, "casemix alliance charges: %s recorded for %d\n", rest[0], o.year);
      return CM_EXIT_OK;
    }

  if (o.charges != NULL
      && !cm_ledger_import_alliance_charges (ledger, cm_policy_get_region (policy), o.year,
                                             o.charges, &error))
    return fail (error);
  {
    g_autoptr (CmAllianceYear) a = cm_ledger_settle_alliances (ledger, config,
                                                               cm_policy_get_region (policy),
                                                               o.year, &error);
    if (a == NULL)
      return fail (error);
    fprintf (stderr, "casemix alliance settle: %s %d: %u alliances (charges from the %s)\n",
             a->region, a->year, a->alliances->len,
             a->final_amounts ? "clearing" : "monthly runs");
    for (guint i = 0; i < a->alliances->len; i++)
      {
        const CmAllianceResult *r = a->alliances->pdata[i];
        char b[CM_MONEY_BUF], ac[CM_MONEY_BUF], x[CM_MONEY_BUF];
        cm_fen_format (r->outcome.budget_fen, b);
        cm_fen_format (r->outcome.actual_fen, ac);
        cm_fen_format (r->outcome.actual_fen <= r->outcome.budget_fen
                       ? r->outcome.retained_fen : r->outcome.fund_bears_fen, x);
        fprintf (stderr, "  %-10s budget %16s actual %16s %s %14s\n", r->alliance_id, b, ac,
                 r->outcome.actual_fen <= r->outcome.budget_fen ? "retained  " : "fund share",
                 x);
      }
    if (o.out != NULL)
      {
        g_autoptr (GString) csv = g_string_new (NULL);
        cm_settle_alliances_csv (a, csv);
        if (!write_text (o.out, csv, &error))
          return fail (error);
      }
    if (o.xlsx != NULL || o.html != NULL)
      {
        g_autoptr (CmReport) rep = cm_settle_report_alliances (a, cm_policy_get_name (policy));
        if (!cm_settle_report_write (rep, o.xlsx, o.html, &error))
          return fail (error);
      }
  }
  return CM_EXIT_OK;
}
