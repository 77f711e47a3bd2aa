/* cm-cli-settle.c — `casemix settle`: the bureau's settlement cycle on a
 * ledger file: import a month, settle it, review special cases, clear the
 * year, verify and audit.
 * SPDX-License-Identifier: Apache-2.0
 *
 *   casemix settle import  --ledger L --policy P --month YYYY-MM EPISODES.csv
 *   casemix settle month   --ledger L --policy P --month YYYY-MM [--input EPISODES.csv]
 *                          [--deductions D.tsv] [--xlsx F] [--html F] [-o F.csv]
 *   casemix settle review  ACTION --ledger L --policy P …
 *   casemix settle year    --ledger L --policy P --year YYYY [--xlsx F] [--html F] [-o F.csv]
 *   casemix settle verify  --ledger L --policy P --year YYYY
 *   casemix settle audit   --ledger L [--policy P]
 *
 * The settlement parameters come from the pack's settlement.xml (or
 * --settlement). Everything else is in src/settle/; this file parses
 * options and prints. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cm-cli.h"
#include "casemix.h"
#include "cm-ledger.h"
#include "cm-settle-report.h"

typedef struct {
  char *ledger;
  char *policy;
  char *settlement;
  char *actor;
} Common;

static void
common_clear (Common *c)
{
  g_free (c->ledger);
  g_free (c->policy);
  g_free (c->settlement);
  g_free (c->actor);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Common, common_clear)

static void
add_common (GOptionContext *oc, Common *c, gboolean need_policy)
{
  GOptionEntry entries[] = {
    { "ledger", 'l', 0, G_OPTION_ARG_FILENAME, &c->ledger,
      "The ledger database (created when missing)", "LEDGER.sqlite" },
    { "policy", 0, 0, G_OPTION_ARG_STRING, &c->policy,
      need_policy ? "Policy pack: a shipped region (zhuzhou, yiyang), a folder or a policy.xml"
                  : "Policy pack (limits the output to its region)", "REGION" },
    { "settlement", 0, 0, G_OPTION_ARG_FILENAME, &c->settlement,
      "Settlement parameters (default: the pack's settlement.xml)", "SETTLEMENT.xml" },
    { "actor", 0, 0, G_OPTION_ARG_STRING, &c->actor,
      "Who acts, for the audit trail (default: $USER)", "NAME" },
    G_OPTION_ENTRY_NULL
  };
  g_option_context_add_main_entries (oc, entries, NULL);
}

/* Loads what the common options name; prints and returns an exit code
 * (CM_EXIT_OK when everything loaded). */
static int
open_common (const char *cmd, Common *c, gboolean need_policy, CmLedger **ledger,
             CmPolicy **policy, CmSettleConfig **config)
{
  g_autoptr (GError) error = NULL;

  if (c->ledger == NULL)
    {
      cm_cli_error ("settle %s: --ledger is required", cmd);
      return CM_EXIT_USAGE;
    }
  if (need_policy && c->policy == NULL)
    {
      cm_cli_error ("settle %s: --policy is required", cmd);
      return CM_EXIT_USAGE;
    }
  if (c->policy != NULL && policy != NULL)
    {
      *policy = cm_policy_load (c->policy, &error);
      if (*policy == NULL)
        {
          cm_cli_error ("%s", error->message);
          return CM_EXIT_SCHEME;
        }
      if (config != NULL)
        {
          *config = c->settlement ? cm_settle_config_load (c->settlement, &error)
                    : cm_settle_config_load_for_policy (cm_policy_get_path (*policy),
                                                        &error);
          if (*config == NULL)
            {
              cm_cli_error ("%s", error->message);
              return CM_EXIT_SCHEME;
            }
        }
    }
  *ledger = cm_ledger_open (c->ledger, &error);
  if (*ledger == NULL)
    {
      cm_cli_error ("%s", error->message);
      return CM_EXIT_FAILURE;
    }
  if (c->actor != NULL)
    cm_ledger_set_actor (*ledger, c->actor);
  return CM_EXIT_OK;
}

static int
fail (const GError *error)
{
  cm_cli_error ("%s", error->message);
  if (error->domain == CM_SETTLE_ERROR
      && (error->code == CM_SETTLE_ERROR_CONFIG))
    return CM_EXIT_SCHEME;
  if (error->domain == CM_POLICY_ERROR)
    return CM_EXIT_SCHEME;
  return CM_EXIT_FAILURE;
}

/* Writes @text to @path (NULL or "-": standard output) with stdio, so that
 * a device or a pipe (/dev/null, /dev/stdout) stays what it is. */
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

/* A progress bar on stderr, only when it is a terminal. */
static gboolean
progress_bar (gpointer data, guint64 done, guint64 total)
{
  const char *label = data;
  int width = 40, filled = total ? (int) (done * (guint64) width / total) : width;
  fprintf (stderr, "\r%-24s [%.*s%*s] %3d%%", label,
           filled, "########################################", width - filled, "",
           total ? (int) (done * 100 / total) : 100);
  fflush (stderr);
  return TRUE;
}

static void
print_import (const char *path, const CmImportResult *r)
{
  fprintf (stderr, "casemix settle import: %s: %s batch %" G_GINT64_FORMAT " (sha256 %.16s…): "
           "%" G_GUINT64_FORMAT " lines, %" G_GUINT64_FORMAT " accepted, %" G_GUINT64_FORMAT
           " rejected; %" G_GUINT64_FORMAT " new, %" G_GUINT64_FORMAT " corrected, %"
           G_GUINT64_FORMAT " unchanged, %" G_GUINT64_FORMAT " withdrawn\n", path,
           r->already_imported ? "already imported as" : "imported as", r->batch_id,
           r->sha256, r->lines, r->accepted, r->rejected, r->added, r->corrected,
           r->unchanged, r->withdrawn);
}

static int
do_import (CmLedger *ledger, CmPolicy *policy, CmSettleConfig *config, const char *path,
           const char *month, const char *source, const char *rejects)
{
  g_autoptr (GError) error = NULL;
  CmImportOptions opt = { month, source, NULL, NULL, 0 };
  CmImportResult r;
  gboolean tty = isatty (STDERR_FILENO);

  if (tty)
    {
      opt.progress = progress_bar;
      opt.progress_data = (gpointer) "importing";
    }
  if (!cm_ledger_import (ledger, policy, config, path, &opt, &r, &error))
    {
      if (tty)
        fputc ('\n', stderr);
      return fail (error);
    }
  if (tty)
    fputs ("\r\033[K", stderr);
  print_import (path, &r);
  if (rejects != NULL)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      if (!cm_ledger_list_rejects (ledger, r.batch_id, out, &error)
          || !write_text (rejects, out, &error))
        return fail (error);
    }
  return CM_EXIT_OK;
}

static int
cmd_import (int argc, char **argv)
{
  g_auto (Common) c = { NULL, NULL, NULL, NULL };
  g_autofree char *month = NULL, *source = NULL, *rejects = NULL;
  g_auto (GStrv) rest = NULL;
  GOptionEntry entries[] = {
    { "month", 'm', 0, G_OPTION_ARG_STRING, &month, "The settlement month", "YYYY-MM" },
    { "source", 0, 0, G_OPTION_ARG_STRING, &source,
      "Batch name (default: the file name); a new file under the same name corrects "
      "the earlier one", "NAME" },
    { "rejects", 0, 0, G_OPTION_ARG_FILENAME, &rejects,
      "Write the batch's rejected lines (line,reason) here", "REJECTS.csv" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, "EPISODES.csv" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("EPISODES.csv");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmLedger) ledger = NULL;
  g_autoptr (CmPolicy) policy = NULL;
  g_autoptr (CmSettleConfig) config = NULL;
  int rc;

  g_option_context_set_summary (oc,
    "Import a month of episodes into the ledger, priced under the policy. One\n"
    "transaction per file: the same file twice changes nothing; a changed file\n"
    "under the same --source corrects the earlier one (new versions, withdrawals,\n"
    "all in the audit trail).");
  add_common (oc, &c, TRUE);
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("settle import: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (month == NULL || rest == NULL || rest[0] == NULL || rest[1] != NULL)
    {
      cm_cli_error ("settle import: --month and one EPISODES.csv are required");
      return CM_EXIT_USAGE;
    }
  rc = open_common ("import", &c, TRUE, &ledger, &policy, &config);
  if (rc != CM_EXIT_OK)
    return rc;
  return do_import (ledger, policy, config, rest[0], month, source, rejects);
}

static int
write_reports (const CmReport *rep, const char *xlsx, const char *html)
{
  g_autoptr (GError) error = NULL;
  if (!cm_settle_report_write (rep, xlsx, html, &error))
    {
      cm_cli_error ("%s", error->message);
      return CM_EXIT_FAILURE;
    }
  return CM_EXIT_OK;
}

static void
print_month (const CmMonthResult *m)
{
  char pay[CM_MONEY_BUF], ded[CM_MONEY_BUF], adv[CM_MONEY_BUF], wh[CM_MONEY_BUF];
  char due[11];

  cm_fen_format (m->total.payable_fen, pay);
  cm_fen_format (m->total.deduct_fen, ded);
  cm_fen_format (m->total.advance_fen, adv);
  cm_fen_format (m->total.withheld_fen, wh);
  cm_date_format (m->deadline, due);
  fprintf (stderr, "casemix settle month: %s %s run %" G_GINT64_FORMAT " (no. %d%s): %u "
           "hospitals, %" G_GUINT64_FORMAT " cases; payable %s, deductions %s, advance %s, "
           "withheld %s; due by %s\n", m->region, m->period, m->run_id, m->run_no,
           m->superseded_run_id ? ", re-settlement" : "", m->hospitals->len,
           m->total.n_cases, pay, ded, adv, wh, due);
  for (int p = 0; p < 3; p++)
    if (m->pv_e4[p] > 0)
      {
        char pv[CM_MONEY_BUF], res[CM_MONEY_BUF];
        cm_e4_format (m->pv_e4[p], pv);
        cm_fen_format (m->residual_fen[p], res);
        fprintf (stderr, "  point value %s%s%s\n", pv,
                 m->pv_from_budget ? " from the budget, residual " : "",
                 m->pv_from_budget ? res : "");
      }
}

static int
cmd_month (int argc, char **argv)
{
  g_auto (Common) c = { NULL, NULL, NULL, NULL };
  g_autofree char *month = NULL, *input = NULL, *deductions = NULL, *xlsx = NULL;
  g_autofree char *html = NULL, *out = NULL, *source = NULL;
  GOptionEntry entries[] = {
    { "month", 'm', 0, G_OPTION_ARG_STRING, &month, "The settlement month", "YYYY-MM" },
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &input,
      "Import this episode file first (as settle import)", "EPISODES.csv" },
    { "source", 0, 0, G_OPTION_ARG_STRING, &source, "Batch name of --input", "NAME" },
    { "deductions", 0, 0, G_OPTION_ARG_FILENAME, &deductions,
      "Audit deductions of the month (hospital_id, amount, reason TSV); replaces "
      "earlier ones", "DEDUCTIONS.tsv" },
    { "xlsx", 0, 0, G_OPTION_ARG_FILENAME, &xlsx, "Write the workbook", "OUT.xlsx" },
    { "html", 0, 0, G_OPTION_ARG_FILENAME, &html, "Write the report page", "OUT.html" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
      "Write the statements as CSV (- for standard output)", "STATEMENTS.csv" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmLedger) ledger = NULL;
  g_autoptr (CmPolicy) policy = NULL;
  g_autoptr (CmSettleConfig) config = NULL;
  g_autoptr (CmMonthResult) m = NULL;
  int rc;

  g_option_context_set_summary (oc,
    "Settle a month (settlement.md §2): case payments, point values from the monthly\n"
    "budget, approved special cases, deductions, quality reserve; one statement per\n"
    "hospital. Settling a month again supersedes the earlier run and shows the\n"
    "difference to what was paid.");
  add_common (oc, &c, TRUE);
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("settle month: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (month == NULL || argc > 1)
    {
      cm_cli_error ("settle month: --month is required (and no other argument)");
      return CM_EXIT_USAGE;
    }
  rc = open_common ("month", &c, TRUE, &ledger, &policy, &config);
  if (rc != CM_EXIT_OK)
    return rc;
  if (input != NULL && (rc = do_import (ledger, policy, config, input, month, source,
                                        NULL)) != CM_EXIT_OK)
    return rc;
  if (deductions != NULL
      && !cm_ledger_set_deductions (ledger, cm_policy_get_region (policy), month,
                                    deductions, &error))
    return fail (error);
  m = cm_ledger_settle_month (ledger, policy, config, month, &error);
  if (m == NULL)
    return fail (error);
  print_month (m);
  if (out != NULL)
    {
      g_autoptr (GString) csv = g_string_new (NULL);
      cm_settle_month_csv (m, csv);
      if (!write_text (out, csv, &error))
        return fail (error);
    }
  if (xlsx != NULL || html != NULL)
    {
      g_autoptr (CmReport) rep = cm_settle_report_month (ledger, m,
                                                         cm_policy_get_name (policy),
                                                         &error);
      if (rep == NULL)
        return fail (error);
      return write_reports (rep, xlsx, html);
    }
  return CM_EXIT_OK;
}

static int
cmd_year (int argc, char **argv)
{
  g_auto (Common) c = { NULL, NULL, NULL, NULL };
  g_autofree char *xlsx = NULL, *html = NULL, *out = NULL;
  gint year = 0;
  gboolean with_alliances = FALSE;
  GOptionEntry entries[] = {
    { "year", 'y', 0, G_OPTION_ARG_INT, &year, "The year to clear", "YYYY" },
    { "alliances", 0, 0, G_OPTION_ARG_NONE, &with_alliances,
      "Also settle the county alliances of the year (casemix alliance settle)", NULL },
    { "xlsx", 0, 0, G_OPTION_ARG_FILENAME, &xlsx, "Write the workbook", "OUT.xlsx" },
    { "html", 0, 0, G_OPTION_ARG_FILENAME, &html, "Write the report page", "OUT.html" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
      "Write the clearing per hospital as CSV (- for standard output)", "CLEARING.csv" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmLedger) ledger = NULL;
  g_autoptr (CmPolicy) policy = NULL;
  g_autoptr (CmSettleConfig) config = NULL;
  g_autoptr (CmYearResult) y = NULL;
  g_autoptr (CmAllianceYear) a = NULL;
  char fp[CM_MONEY_BUF], cl[CM_MONEY_BUF];
  int rc;

  g_option_context_set_summary (oc,
    "Annual clearing (settlement.md §3): final point values from the annual budget,\n"
    "every case repriced, approved special cases, hospital totals rounded once,\n"
    "assessment, incentive, and the true-up against the monthly advances and the\n"
    "prepayment. Every month with cases must be settled.");
  add_common (oc, &c, TRUE);
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("settle year: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (year < 1900 || year > 9999 || argc > 1)
    {
      cm_cli_error ("settle year: --year YYYY is required");
      return CM_EXIT_USAGE;
    }
  rc = open_common ("year", &c, TRUE, &ledger, &policy, &config);
  if (rc != CM_EXIT_OK)
    return rc;
  y = cm_ledger_settle_year (ledger, policy, config, year, &error);
  if (y == NULL)
    return fail (error);
  cm_fen_format (y->total.final_payable_fen, fp);
  cm_fen_format (y->total.clearing_fen, cl);
  fprintf (stderr, "casemix settle year: %s %d run %" G_GINT64_FORMAT ": %u hospitals, %"
           G_GUINT64_FORMAT " cases, %d months; final payable %s, clearing %s\n",
           y->region, y->year, y->run_id, y->hospitals->len, y->total.n_cases,
           y->n_months, fp, cl);
  for (int p = 0; p < 3; p++)
    if (y->pv_e4[p] > 0)
      {
        char pv[CM_MONEY_BUF];
        cm_e4_format (y->pv_e4[p], pv);
        fprintf (stderr, "  final point value %s\n", pv);
      }
  if (with_alliances)
    {
      a = cm_ledger_settle_alliances (ledger, config, cm_policy_get_region (policy), year,
                                      &error);
      if (a == NULL)
        return fail (error);
    }
  if (out != NULL)
    {
      g_autoptr (GString) csv = g_string_new (NULL);
      cm_settle_year_csv (y, csv);
      if (!write_text (out, csv, &error))
        return fail (error);
    }
  if (xlsx != NULL || html != NULL)
    {
      g_autoptr (CmReport) rep = cm_settle_report_year (ledger, y, a,
                                                        cm_policy_get_name (policy), &error);
      if (rep == NULL)
        return fail (error);
      return write_reports (rep, xlsx, html);
    }
  return CM_EXIT_OK;
}

/* ---- review ------------------------------------------------------------- */

static gboolean
parse_action (const char *s, CmSpecialAction *out)
{
  static const struct { const char *name; CmSpecialAction a; } map[] = {
    { "submit", CM_SPECIAL_SUBMIT }, { "start", CM_SPECIAL_START },
    { "approve", CM_SPECIAL_APPROVE }, { "reject", CM_SPECIAL_REJECT },
    { "appeal", CM_SPECIAL_APPEAL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (strcmp (s, map[i].name) == 0)
      {
        *out = map[i].a;
        return TRUE;
      }
  return FALSE;
}

/* "ffs" or an amount in yuan. */
static gboolean
parse_pay (const char *s, CmSpecialPayRule *rule, CmFen *amount)
{
  if (s == NULL || strcmp (s, "ffs") == 0)
    {
      *rule = CM_SPECIAL_PAY_FFS;
      *amount = 0;
      return TRUE;
    }
  *rule = CM_SPECIAL_PAY_AMOUNT;
  return cm_fen_parse (s, amount, NULL);
}

static void
list_csv (GPtrArray *cases, GString *out)
{
  g_autoptr (GString) flags = g_string_new (NULL);

  g_string_append (out, "episode_id,hospital_id,period,cycle,group,class,flags,los_days,"
                   "ratio,cost,standard,pay,fund,state,approved_pay,note\n");
  for (guint i = 0; i < cases->len; i++)
    {
      const CmSpecialCase *c = cases->pdata[i];
      g_string_truncate (flags, 0);
      cm_special_flags_format (c->flags, flags);
      cm_csv_append_field (out, c->episode_id);
      g_string_append_c (out, ',');
      cm_csv_append_field (out, c->hospital_id);
      g_string_append_printf (out, ",%s,%s,", c->period, c->cycle);
      cm_csv_append_field (out, c->group_code);
      g_string_append_printf (out, ",%s,\"%s\",%d,", cm_case_class_name (c->case_class),
                              flags->str, c->los_days);
      cm_e4_append (out, c->ratio_e4);
      g_string_append_c (out, ',');
      cm_fen_append (out, c->cost_fen);
      g_string_append_c (out, ',');
      cm_fen_append (out, c->standard_fen);
      g_string_append_c (out, ',');
      cm_fen_append (out, c->pay_fen);
      g_string_append_c (out, ',');
      cm_fen_append (out, c->fund_fen);
      g_string_append_printf (out, ",%s,", cm_special_state_name (c->state));
      if (c->state == CM_SPECIAL_APPROVED)
        cm_fen_append (out, c->approved_pay_fen);
      g_string_append_c (out, ',');
      cm_csv_append_field (out, c->note);
      g_string_append_c (out, '\n');
    }
}

static int
cmd_review (int argc, char **argv)
{
  g_auto (Common) c = { NULL, NULL, NULL, NULL };
  g_autofree char *period = NULL, *pay = NULL, *note = NULL, *out = NULL;
  g_autofree char *decisions = NULL;
  g_auto (GStrv) rest = NULL;
  GOptionEntry entries[] = {
    { "period", 'p', 0, G_OPTION_ARG_STRING, &period,
      "Review period of candidates / list: YYYY-Qn, YYYY-MM or YYYY", "PERIOD" },
    { "pay", 0, 0, G_OPTION_ARG_STRING, &pay,
      "approve: ffs (the case's cost, default) or a reviewed amount in yuan", "ffs|YUAN" },
    { "note", 0, 0, G_OPTION_ARG_STRING, &note,
      "The committee's note (codes and reasons only, no patient data)", "TEXT" },
    { "decisions", 0, 0, G_OPTION_ARG_FILENAME, &decisions,
      "decide: a TSV of episode_id, action, pay, note", "DECISIONS.tsv" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
      "candidates / list: write CSV here (default standard output)", "OUT.csv" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL,
      "ACTION [CASE…]" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("ACTION [CASE…]");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmLedger) ledger = NULL;
  g_autoptr (CmPolicy) policy = NULL;
  g_autoptr (CmSettleConfig) config = NULL;
  const char *action;
  int rc;

  g_option_context_set_summary (oc,
    "Special-case review (特例单议, settlement.md §5). ACTION is one of:\n"
    "  candidates  flagged cases not yet submitted, with each hospital's quota\n"
    "  list        cases under review and decided, with their state\n"
    "  submit | start | approve | reject | appeal  CASE…  move cases through\n"
    "              SUBMITTED → UNDER_REVIEW → APPROVED | REJECTED → APPEALED\n"
    "  decide      apply a committee's decisions file (--decisions)\n"
    "Approved cases are paid at the next monthly run and at clearing.");
  add_common (oc, &c, TRUE);
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("settle review: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (rest == NULL || rest[0] == NULL)
    {
      cm_cli_error ("settle review: an ACTION is required (see --help)");
      return CM_EXIT_USAGE;
    }
  action = rest[0];
  rc = open_common ("review", &c, TRUE, &ledger, &policy, &config);
  if (rc != CM_EXIT_OK)
    return rc;

  if (strcmp (action, "candidates") == 0 || strcmp (action, "list") == 0)
    {
      gboolean cand = strcmp (action, "candidates") == 0;
      g_autoptr (GPtrArray) quotas = NULL;
      g_autoptr (GPtrArray) cases = NULL;
      g_autoptr (GString) csv = g_string_new (NULL);

      if (period == NULL)
        {
          cm_cli_error ("settle review %s: --period is required", action);
          return CM_EXIT_USAGE;
        }
      cases = cm_ledger_special_list (ledger, config, cm_policy_get_region (policy),
                                      period, cand, &quotas, &error);
      if (cases == NULL)
        return fail (error);
      list_csv (cases, csv);
      if (!write_text (out, csv, &error))
        return fail (error);
      fprintf (stderr, "casemix settle review %s: %s: %u cases\n", action, period,
               cases->len);
      fprintf (stderr, "  %-14s %-8s %10s %6s %10s %9s %8s\n", "hospital", "cycle",
               "discharges", "cap", "candidates", "submitted", "approved");
      for (guint i = 0; i < quotas->len; i++)
        {
          const CmSpecialQuota *q = quotas->pdata[i];
          fprintf (stderr, "  %-14s %-8s %10" G_GINT64_FORMAT " %6" G_GINT64_FORMAT " %10"
                   G_GINT64_FORMAT " %9" G_GINT64_FORMAT " %8" G_GINT64_FORMAT "\n",
                   q->hospital_id, q->cycle, q->discharges, q->cap, q->candidates,
                   q->submitted, q->approved);
        }
      return CM_EXIT_OK;
    }
  if (strcmp (action, "decide") == 0)
    {
      g_autofree char *text = NULL;
      g_auto (GStrv) lines = NULL;
      guint n = 0;

      if (decisions == NULL)
        {
          cm_cli_error ("settle review decide: --decisions is required");
          return CM_EXIT_USAGE;
        }
      if (!g_file_get_contents (decisions, &text, NULL, &error))
        return fail (error);
      lines = g_strsplit (text, "\n", -1);
      /* the whole file or nothing */
      if (!cm_ledger_begin (ledger, &error))
        return fail (error);
      for (guint i = 0; lines[i]; i++)
        {
          g_auto (GStrv) f = NULL;
          CmSpecialAction a;
          CmSpecialPayRule rule;
          CmFen amount;
          g_strchomp (lines[i]);
          if (*lines[i] == '\0' || *lines[i] == '#' || (i == 0
                                                        && g_str_has_prefix (lines[i],
                                                                             "episode_id")))
            continue;
          f = g_strsplit (lines[i], "\t", 4);
          if (g_strv_length (f) < 2 || !parse_action (f[1], &a)
              || !parse_pay (f[2] && *f[2] ? f[2] : NULL, &rule, &amount))
            {
              cm_cli_error ("%s:%u: expected episode_id<TAB>action<TAB>[ffs|yuan]<TAB>[note]; "
                            "no decision of the file was recorded", decisions, i + 1);
              cm_ledger_rollback (ledger);
              return CM_EXIT_FAILURE;
            }
          if (!cm_ledger_special_act (ledger, policy, config, f[0], a, rule, amount,
                                      f[2] && f[3] ? f[3] : NULL, &error))
            {
              cm_cli_error ("%s:%u: %s; no decision of the file was recorded", decisions,
                            i + 1, error->message);
              cm_ledger_rollback (ledger);
              return CM_EXIT_FAILURE;
            }
          n++;
        }
      if (!cm_ledger_commit (ledger, &error))
        return fail (error);
      fprintf (stderr, "casemix settle review decide: %u decisions recorded\n", n);
      return CM_EXIT_OK;
    }
  {
    CmSpecialAction a;
    CmSpecialPayRule rule;
    CmFen amount;
    guint n = 0;

    if (!parse_action (action, &a))
      {
        cm_cli_error ("settle review: unknown action '%s' (see --help)", action);
        return CM_EXIT_USAGE;
      }
    if (!parse_pay (pay, &rule, &amount))
      {
        cm_cli_error ("settle review: --pay must be ffs or an amount in yuan, not '%s'", pay);
        return CM_EXIT_USAGE;
      }
    if (rest[1] == NULL)
      {
        cm_cli_error ("settle review %s: name at least one case", action);
        return CM_EXIT_USAGE;
      }
    for (guint i = 1; rest[i]; i++)
      {
        if (!cm_ledger_special_act (ledger, policy, config, rest[i], a, rule, amount, note,
                                    &error))
          return fail (error);
        n++;
      }
    fprintf (stderr, "casemix settle review %s: %u cases\n", action, n);
  }
  return CM_EXIT_OK;
}

static int
cmd_verify (int argc, char **argv)
{
  g_auto (Common) c = { NULL, NULL, NULL, NULL };
  gint year = 0;
  GOptionEntry entries[] = {
    { "year", 'y', 0, G_OPTION_ARG_INT, &year, "The year", "YYYY" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmLedger) ledger = NULL;
  g_autoptr (CmPolicy) policy = NULL;
  g_autoptr (GString) report = g_string_new (NULL);
  g_autofree char *digest = NULL;
  guint failed = 0;
  int rc;

  g_option_context_set_summary (oc,
    "Check, to the fen, every money identity of the year's current runs (monthly\n"
    "advance + withheld, postings, point pools, clearing, alliances) and print the\n"
    "ledger's content digest. Exit status 1 when an identity fails.");
  add_common (oc, &c, TRUE);
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("settle verify: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (year < 1900 || year > 9999)
    {
      cm_cli_error ("settle verify: --year YYYY is required");
      return CM_EXIT_USAGE;
    }
  rc = open_common ("verify", &c, TRUE, &ledger, &policy, NULL);
  if (rc != CM_EXIT_OK)
    return rc;
  if (!cm_ledger_check_conservation (ledger, cm_policy_get_region (policy), year, report,
                                     NULL, &failed, &error))
    return fail (error);
  digest = cm_ledger_digest (ledger, &error);
  if (digest == NULL)
    return fail (error);
  fputs (report->str, stdout);
  printf ("ledger digest %s\n", digest);
  return failed == 0 ? CM_EXIT_OK : CM_EXIT_FAILURE;
}

static int
cmd_audit (int argc, char **argv)
{
  g_auto (Common) c = { NULL, NULL, NULL, NULL };
  g_autoptr (GOptionContext) oc = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmLedger) ledger = NULL;
  g_autoptr (CmPolicy) policy = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  int rc;

  g_option_context_set_summary (oc, "Print the audit trail: time, actor, period, action, "
                                "detail (TSV).");
  add_common (oc, &c, FALSE);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("settle audit: %s", error->message);
      return CM_EXIT_USAGE;
    }
  rc = open_common ("audit", &c, FALSE, &ledger, &policy, NULL);
  if (rc != CM_EXIT_OK)
    return rc;
  if (!cm_ledger_audit (ledger, policy ? cm_policy_get_region (policy) : NULL, out, &error))
    return fail (error);
  fputs (out->str, stdout);
  return CM_EXIT_OK;
}

static void
usage (FILE *f)
{
  fprintf (f,
    "Usage: casemix settle COMMAND [OPTIONS…]\n\n"
    "The bureau's settlement cycle on a ledger (SQLite file):\n"
    "  import   import a month of episodes (idempotent; corrections are versioned)\n"
    "  month    settle a month: statements, point values, reserve (settlement.md §2)\n"
    "  review   special-case review: candidates, quotas, decisions (§5)\n"
    "  year     annual clearing (§3, §4)\n"
    "  verify   check every money identity of a year, to the fen\n"
    "  audit    print the audit trail\n\n"
    "`casemix settle COMMAND --help` describes a command; docs/settlement.md the whole.\n");
}

int
cm_cli_settle (int argc, char **argv)
{
  static const struct {
    const char *name;
    int (*run) (int argc, char **argv);
  } cmds[] = {
    { "import", cmd_import }, { "month", cmd_month }, { "review", cmd_review },
    { "year", cmd_year }, { "verify", cmd_verify }, { "audit", cmd_audit },
  };

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? CM_EXIT_USAGE : CM_EXIT_OK;
    }
  for (guint i = 0; i < G_N_ELEMENTS (cmds); i++)
    if (strcmp (argv[1], cmds[i].name) == 0)
      return cmds[i].run (argc - 1, argv + 1);
  cm_cli_error ("settle: unknown command '%s' (see casemix settle --help)", argv[1]);
  return CM_EXIT_USAGE;
}
