/* test-ledger.c — the settlement ledger: idempotent and killable imports,
 * corrections with an audit trail, rejects with line numbers, monthly
 * re-settlement, special-case review, point values from the budget,
 * grouped operations and the conservation identities.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Fixtures: the shipped illustrative packs (tables/policy/zhuzhou, yiyang,
 * year 2024) copied to a temporary folder with tests/data/settle/pack's
 * settlement.xml, and episodes from the seeded sample generator. */
#include "test-common.h"
#include <signal.h>
#include <glib/gstdio.h>
#include "cm-ledger.h"
#include "cm-settle-report.h"
#include "cm-policy.h"

/* ---- fixtures ----------------------------------------------------------- */

typedef struct {
  char *dir;        /* temporary folder */
  char *pack;       /* the pack folder */
  CmPolicy *policy;
  CmSettleConfig *config;
} Fixture;

static void
copy_into (const char *from_dir, const char *to_dir)
{
  g_autoptr (GDir) d = g_dir_open (from_dir, 0, NULL);
  const char *name;

  cr_assert_not_null (d, "cannot open %s", from_dir);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *from = g_build_filename (from_dir, name, NULL);
      g_autofree char *to = g_build_filename (to_dir, name, NULL);
      g_autofree char *bytes = NULL;
      gsize len;
      if (!g_file_test (from, G_FILE_TEST_IS_REGULAR))
        continue;
      cr_assert (g_file_get_contents (from, &bytes, &len, NULL));
      cr_assert (g_file_set_contents (to, bytes, (gssize) len, NULL));
    }
}

static char *
tables_dir (void)
{
  const char *t = g_getenv ("CASEMIX_TABLES");
  return g_strdup (t ? t : "tables");
}

/* A pack from the shipped region @name, with @settlement_xml (text) or the
 * fixture's settlement.xml and tables. */
static void
fixture_init (Fixture *f, const char *name, const char *settlement_xml)
{
  g_autofree char *tables = tables_dir ();
  g_autofree char *shipped = g_build_filename (tables, "policy", name, NULL);
  g_autofree char *fix = test_data_path ("settle/pack");
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("cm-ledger-XXXXXX", NULL);
  f->pack = g_build_filename (f->dir, "pack", NULL);
  g_mkdir (f->pack, 0755);
  copy_into (shipped, f->pack);
  copy_into (fix, f->pack);
  if (settlement_xml != NULL)
    {
      g_autofree char *p = g_build_filename (f->pack, "settlement.xml", NULL);
      cr_assert (g_file_set_contents (p, settlement_xml, -1, NULL));
    }
  f->policy = cm_policy_load (f->pack, &error);
  cr_assert_not_null (f->policy, "%s", error ? error->message : "?");
  f->config = cm_settle_config_load_for_policy (cm_policy_get_path (f->policy), &error);
  cr_assert_not_null (f->config, "%s", error ? error->message : "?");
}

static void
fixture_clear (Fixture *f)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);
  g_clear_pointer (&f->policy, cm_policy_unref);
  g_clear_pointer (&f->config, cm_settle_config_unref);
  (void) system (cmd);
  g_free (f->dir);
  g_free (f->pack);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Fixture, fixture_clear)

/* @n sample episodes discharged in 2024-@month, ids <prefix><n>. */
static char *
sample (const Fixture *f, int month, guint64 n, const char *prefix,
        const char *const *counties)
{
  g_autoptr (CmScheme) codes = test_load_scheme ("changsha-2023");
  g_autofree char *name = g_strdup_printf ("%s%02d.csv", prefix, month);
  char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr (GError) error = NULL;
  CmSampleOptions o;
  FILE *out = fopen (path, "w");

  cm_sample_options_init (&o);
  o.n = n;
  o.seed = (guint32) (month * 31 + n);
  o.year = 2024;
  o.month = month;
  o.n_hospitals = 6;
  o.id_prefix = prefix;
  if (counties)
    o.counties = counties;
  cr_assert (cm_sample_write (codes, &o, out, &error), "%s", error ? error->message : "");
  fclose (out);
  return path;
}

static CmLedger *
open_ledger (const Fixture *f, const char *name)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr (GError) error = NULL;
  CmLedger *l = cm_ledger_open (path, &error);
  cr_assert_not_null (l, "%s", error ? error->message : "?");
  return l;
}

static CmImportResult
import (CmLedger *l, const Fixture *f, const char *path, const char *period,
        const char *source)
{
  g_autoptr (GError) error = NULL;
  CmImportOptions o = { period, source, NULL, NULL, 0 };
  CmImportResult r;
  cr_assert (cm_ledger_import (l, f->policy, f->config, path, &o, &r, &error), "%s",
             error ? error->message : "?");
  return r;
}

static char *
digest (CmLedger *l)
{
  g_autoptr (GError) error = NULL;
  char *d = cm_ledger_digest (l, &error);
  cr_assert_not_null (d, "%s", error ? error->message : "?");
  return d;
}

/* ---- imports ------------------------------------------------------------ */

Test (ledger, import_twice_changes_nothing)
{
  g_auto (Fixture) f = { 0 };
  g_autoptr (CmLedger) l = NULL;
  g_autofree char *ep = NULL, *d1 = NULL, *d2 = NULL;
  CmImportResult a, b;

  fixture_init (&f, "zhuzhou", NULL);
  ep = sample (&f, 1, 300, "A", NULL);
  l = open_ledger (&f, "l.sqlite");
  a = import (l, &f, ep, "2024-01", NULL);
  cr_assert_not (a.already_imported);
  cr_assert_eq (a.accepted, 300);
  cr_assert_eq (a.added, 300);
  cr_assert_eq (a.lines, 301);
  d1 = digest (l);
  b = import (l, &f, ep, "2024-01", NULL);
  cr_assert (b.already_imported);
  cr_assert_eq (b.batch_id, a.batch_id);
  cr_assert_str_eq (b.sha256, a.sha256);
  d2 = digest (l);
  cr_assert_str_eq (d1, d2, "a repeated import changed the ledger");
}

/* The child imports and signals the parent from inside the transaction. */
static int kill_pipe = -1;

static gboolean
signal_and_wait (gpointer data, guint64 done, guint64 total)
{
  char c = 'x';
  (void) !write (kill_pipe, &c, 1);
  for (;;)
    pause ();
  return TRUE;
}

Test (ledger, killed_import_then_import_again_equals_one_clean_import, .timeout = 120)
{
  g_auto (Fixture) f = { 0 };
  g_autofree char *ep = NULL, *clean_digest = NULL, *after = NULL;
  g_autofree char *path = NULL, *journal = NULL;
  int fds[2];
  pid_t pid;
  char c;
  int status;

  fixture_init (&f, "zhuzhou", NULL);
  ep = sample (&f, 2, 3000, "K", NULL);
  {
    g_autoptr (CmLedger) clean = open_ledger (&f, "clean.sqlite");
    CmImportResult r = import (clean, &f, ep, "2024-02", NULL);
    cr_assert_eq (r.added, 3000);
    clean_digest = digest (clean);
  }
  path = g_build_filename (f.dir, "killed.sqlite", NULL);
  journal = g_strdup_printf ("%s-journal", path);
  cr_assert_eq (pipe (fds), 0);
  pid = fork ();
  cr_assert (pid >= 0);
  if (pid == 0)
    {
      g_autoptr (CmLedger) l = cm_ledger_open (path, NULL);
      CmImportOptions o = { "2024-02", NULL, signal_and_wait, NULL, 1000 };
      CmImportResult r;
      close (fds[0]);
      kill_pipe = fds[1];
      cm_ledger_import (l, f.policy, f.config, ep, &o, &r, NULL);
      _exit (3);
    }
  close (fds[1]);
  /* the child is inside the transaction, 1 000 cases written */
  cr_assert_eq (read (fds[0], &c, 1), 1, "the child did not reach the progress call");
  close (fds[0]);
  cr_assert_eq (kill (pid, SIGKILL), 0);
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  cr_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  cr_assert (g_file_test (journal, G_FILE_TEST_EXISTS),
             "no hot journal: the kill did not land inside the transaction");
  {
    g_autoptr (CmLedger) l = open_ledger (&f, "killed.sqlite");
    g_autoptr (GString) audit = g_string_new (NULL);
    CmImportResult r;

    /* the half-done batch is gone: nothing was imported */
    cr_assert (cm_ledger_audit (l, NULL, audit, NULL));
    cr_assert_eq (audit->len, 0, "audit after the kill: %s", audit->str);
    r = import (l, &f, ep, "2024-02", NULL);
    cr_assert_not (r.already_imported);
    cr_assert_eq (r.added, 3000);
    after = digest (l);
  }
  cr_assert_str_eq (after, clean_digest, "killed + re-imported ≠ one clean import");
}

static gboolean
stop_progress (gpointer data, guint64 done, guint64 total)
{
  return FALSE;
}

Test (ledger, cancelled_import_rolls_back)
{
  g_auto (Fixture) f = { 0 };
  g_autoptr (CmLedger) l = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *ep = NULL, *d0 = NULL, *d1 = NULL;
  CmImportOptions o = { "2024-01", NULL, NULL, NULL, 50 };
  CmImportResult r;

  fixture_init (&f, "zhuzhou", NULL);
  ep = sample (&f, 1, 200, "C", NULL);
  l = open_ledger (&f, "l.sqlite");
  d0 = digest (l);
  o.progress = stop_progress;
  cr_assert_not (cm_ledger_import (l, f.policy, f.config, ep, &o, &r, &error));
  cr_assert (g_error_matches (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE));
  d1 = digest (l);
  cr_assert_str_eq (d0, d1);
}

Test (ledger, corrections_version_withdraw_and_audit)
{
  g_auto (Fixture) f = { 0 };
  g_autoptr (CmLedger) l = NULL;
  g_autofree char *ep = NULL, *text = NULL, *fixed = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) audit = g_string_new (NULL);
  g_auto (GStrv) lines = NULL;
  g_autofree char *changed_id = NULL, *dropped_id = NULL;
  CmImportResult r;

  fixture_init (&f, "zhuzhou", NULL);
  ep = sample (&f, 3, 50, "R", NULL);
  l = open_ledger (&f, "l.sqlite");
  r = import (l, &f, ep, "2024-03", "march.csv");
  cr_assert_eq (r.added, 50);

  /* drop line 2, change the cost of line 3, add a copy of line 4 as new */
  cr_assert (g_file_get_contents (ep, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      if (*lines[i] == '\0')
        continue;
      if (i == 1)
        {
          dropped_id = g_strndup (lines[i], strchr (lines[i], ',') - lines[i]);
          continue;
        }
      if (i == 2)
        {
          g_auto (GStrv) fl = g_strsplit (lines[i], ",", -1);
          g_autofree char *joined = NULL;
          changed_id = g_strdup (fl[0]);
          g_free (fl[19]);
          fl[19] = g_strdup ("999999.99");
          joined = g_strjoinv (",", fl);
          g_string_append_printf (out, "%s\n", joined);
          continue;
        }
      g_string_append_printf (out, "%s\n", lines[i]);
      if (i == 4)
        {
          g_autofree char *dup = g_strdup (lines[i]);
          dup[0] = 'N';
          g_string_append_printf (out, "%s\n", dup);
        }
    }
  fixed = g_build_filename (f.dir, "march-v2.csv", NULL);
  cr_assert (g_file_set_contents (fixed, out->str, -1, NULL));
  r = import (l, &f, fixed, "2024-03", "march.csv");
  cr_assert_eq (r.corrected, 1);
  cr_assert_eq (r.withdrawn, 1);
  cr_assert_eq (r.added, 1);
  cr_assert_eq (r.unchanged, 48);
  cr_assert (cm_ledger_audit (l, "430200", audit, NULL));
  {
    g_autofree char *c = g_strdup_printf ("case %s v1 → v2: content changed", changed_id);
    g_autofree char *w = g_strdup_printf ("case %s v1 withdrawn", dropped_id);
    cr_assert_not_null (strstr (audit->str, c), "%s", audit->str);
    cr_assert_not_null (strstr (audit->str, w), "%s", audit->str);
  }
  /* the old file again is a correction back (same content as v1 → v3) */
  r = import (l, &f, ep, "2024-03", "march.csv");
  cr_assert_eq (r.corrected, 1);
  cr_assert_eq (r.added, 1, "the withdrawn case comes back as a new version");
  cr_assert_eq (r.withdrawn, 1);
}

Test (ledger, rejects_carry_line_numbers_and_out_of_period_cases)
{
  g_auto (Fixture) f = { 0 };
  g_autoptr (CmLedger) l = NULL;
  g_autoptr (GString) rej = g_string_new (NULL);
  g_autofree char *ep = NULL, *text = NULL, *bad = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  CmImportResult r;

  fixture_init (&f, "zhuzhou", NULL);
  ep = sample (&f, 4, 10, "J", NULL);
  cr_assert (g_file_get_contents (ep, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      if (*lines[i] == '\0')
        continue;
      if (i == 3)
        g_string_append (out, "broken,line\n");
      g_string_append_printf (out, "%s\n", lines[i]);
    }
  bad = g_build_filename (f.dir, "bad.csv", NULL);
  cr_assert (g_file_set_contents (bad, out->str, -1, NULL));
  l = open_ledger (&f, "l.sqlite");
  /* declared as May: every April discharge is outside the period */
  r = import (l, &f, bad, "2024-05", NULL);
  cr_assert_eq (r.accepted, 0);
  cr_assert_eq (r.rejected, 11);
  cr_assert (cm_ledger_list_rejects (l, r.batch_id, rej, NULL));
  cr_assert_not_null (strstr (rej->str, "\n4,\"columns:"), "%s", rej->str);
  cr_assert_not_null (strstr (rej->str, "outside the period 2024-05"), "%s", rej->str);
  cr_assert_not_null (strstr (rej->str, "\n2,\"discharge_date: case J"), "%s", rej->str);
}

/* ---- monthly settlement ------------------------------------------------- */

Test (ledger, month_settled_again_supersedes_and_shows_the_difference)
{
  g_auto (Fixture) f = { 0 };
  g_autoptr (CmLedger) l = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmMonthResult) m1 = NULL, m2 = NULL, back = NULL;
  g_autofree char *ep = NULL, *ded = NULL;

  fixture_init (&f, "zhuzhou", NULL);
  ep = sample (&f, 1, 400, "M", NULL);
  l = open_ledger (&f, "l.sqlite");
  import (l, &f, ep, "2024-01", NULL);
  m1 = cm_ledger_settle_month (l, f.policy, f.config, "2024-01", &error);
  cr_assert_not_null (m1, "%s", error ? error->message : "?");
  cr_assert_eq (m1->run_no, 1);
  cr_assert_eq (m1->total.n_cases, 400);
  /* the fixture's reserve is 10 % */
  for (guint i = 0; i < m1->hospitals->len; i++)
    {
      const CmStatement *s = m1->hospitals->pdata[i];
      CmMonthlyAdvance a;
      cr_assert (cm_settle_monthly_advance (s->payable_fen, s->deduct_fen, 1000, &a));
      cr_assert_eq (s->advance_fen, a.advance_fen);
      cr_assert_eq (s->advance_fen + s->withheld_fen, s->payable_fen - s->deduct_fen);
    }
  /* deductions for the first hospital, then settle again */
  ded = g_build_filename (f.dir, "ded.tsv", NULL);
  {
    const CmStatement *s0 = m1->hospitals->pdata[0];
    g_autofree char *t = g_strdup_printf ("hospital_id\tamount\treason\n%s\t100.00\taudit\n",
                                          s0->hospital_id);
    cr_assert (g_file_set_contents (ded, t, -1, NULL));
  }
  cr_assert (cm_ledger_set_deductions (l, "430200", "2024-01", ded, &error), "%s",
             error ? error->message : "");
  m2 = cm_ledger_settle_month (l, f.policy, f.config, "2024-01", &error);
  cr_assert_not_null (m2);
  cr_assert_eq (m2->run_no, 2);
  cr_assert_eq (m2->superseded_run_id, m1->run_id);
  {
    const CmStatement *a = m1->hospitals->pdata[0], *b = m2->hospitals->pdata[0];
    cr_assert_eq (b->deduct_fen, 10000);
    cr_assert_eq (b->previous_advance_fen, a->advance_fen);
    cr_assert_eq (b->advance_fen - b->previous_advance_fen, -9000,
                  "100.00 deducted, 90 % of it less advanced");
  }
  back = cm_ledger_get_month (l, "430200", "2024-01", &error);
  cr_assert_not_null (back);
  cr_assert_eq (back->run_id, m2->run_id);
  cr_assert_eq (back->total.advance_fen, m2->total.advance_fen);
  cr_assert_eq (back->total.payable_fen, m2->total.payable_fen);
}

Test (ledger, month_without_cases_is_refused)
{
  g_auto (Fixture) f = { 0 };
  g_autoptr (CmLedger) l = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmMonthResult) m = NULL;

  fixture_init (&f, "zhuzhou", NULL);
  l = open_ledger (&f, "l.sqlite");
  m = cm_ledger_settle_month (l, f.policy, f.config, "2024-07", &error);
  cr_assert_null (m);
  cr_assert (g_error_matches (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE));
  cr_assert_not_null (strstr (error->message, "2024-07"), "%s", error->message);
}

/* ---- DIP point values from the budget ----------------------------------- */

static const char dip_settlement[] =
  "<settlement format=\"1\" region=\"430900\"><year value=\"2024\">"
  "<monthly quality-reserve=\"0.05\"/>"
  "<budget pools=\"insurance\">"
  "<fund insurance=\"employee\" amount=\"6000000.00\" fund-share=\"0.70\"/>"
  "<fund insurance=\"resident\" amount=\"5000000.00\" fund-share=\"0.62\"/>"
  "</budget></year></settlement>";

Test (ledger, dip_month_point_value_is_the_budget_over_the_points, .timeout = 120)
{
  static const char *const yiyang[] = { "430902", "430903", "430921", NULL };
  g_auto (Fixture) f = { 0 };
  g_autoptr (CmLedger) l = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmMonthResult) m = NULL;
  g_autoptr (CmYearResult) y = NULL;
  g_autofree char *ep1 = NULL, *ep2 = NULL;
  CmFen f_m;
  CmE4 pv;
  guint failed = 1, checked = 0;

  fixture_init (&f, "yiyang", dip_settlement);
  ep1 = sample (&f, 1, 400, "D", yiyang);
  ep2 = sample (&f, 2, 400, "E", yiyang);
  l = open_ledger (&f, "l.sqlite");
  import (l, &f, ep1, "2024-01", NULL);
  import (l, &f, ep2, "2024-02", NULL);
  m = cm_ledger_settle_month (l, f.policy, f.config, "2024-01", &error);
  cr_assert_not_null (m, "%s", error ? error->message : "?");
  cr_assert (m->pv_from_budget);
  /* employee pool: F_m = 6 000 000 / 12 (exact), PV = round4 (F_m / 0.7 / P) */
  cr_assert (cm_settle_month_share_fen (600000000, 1, &f_m));
  cr_assert_eq (m->budget_fen[1], f_m);
  cr_assert (cm_price_point_value_e4 (f_m, 7000, m->points_e4[1], &pv));
  cr_assert_eq (m->pv_e4[1], pv);
  cr_assert_eq (m->pool_pay_fen[1] + m->residual_fen[1], m->target_fen[1]);
  cr_assert_eq (m->pool_pay_fen[2] + m->residual_fen[2], m->target_fen[2]);
  g_clear_pointer (&m, cm_month_result_free);
  m = cm_ledger_settle_month (l, f.policy, f.config, "2024-02", &error);
  cr_assert_not_null (m);
  y = cm_ledger_settle_year (l, f.policy, f.config, 2024, &error);
  cr_assert_not_null (y, "%s", error ? error->message : "?");
  /* PV-2/PV-3 with the year's points; hospital totals rounded once */
  cr_assert (cm_price_point_value_e4 (600000000, 7000, y->points_e4[1], &pv));
  cr_assert_eq (y->pv_e4[1], pv);
  cr_assert_eq (y->pool_pay_fen[1] + y->residual_fen[1], y->target_fen[1]);
  for (guint i = 0; i < y->hospitals->len; i++)
    {
      const CmClearingStatement *s = y->hospitals->pdata[i];
      cr_assert_eq (s->case_fund_fen + s->rounding_fen + s->netting_fen + s->special_fen,
                    s->final_payable_fen, "%s", s->hospital_id);
      cr_assert_leq (s->netting_fen, 0);
    }
  cr_assert (cm_ledger_check_conservation (l, "430900", 2024, NULL, &checked, &failed,
                                           &error));
  cr_assert_eq (failed, 0);
  cr_assert_gt (checked, 20);
}

/* ---- special cases ------------------------------------------------------ */

Test (ledger, special_case_review_state_machine_quota_and_payment, .timeout = 120)
{
  g_auto (Fixture) f = { 0 };
  g_autoptr (CmLedger) l = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) cands = NULL;
  g_autoptr (GPtrArray) quotas = NULL;
  g_autoptr (CmMonthResult) m1 = NULL, m2 = NULL;
  g_autoptr (CmYearResult) y = NULL;
  g_autofree char *ep1 = NULL, *ep2 = NULL;
  const CmSpecialCase *c = NULL;
  const CmSpecialQuota *q = NULL;
  const char *plain = NULL;
  guint failed = 1;

  fixture_init (&f, "zhuzhou", NULL);
  ep1 = sample (&f, 1, 600, "S", NULL);
  ep2 = sample (&f, 2, 600, "T", NULL);
  l = open_ledger (&f, "l.sqlite");
  import (l, &f, ep1, "2024-01", NULL);
  m1 = cm_ledger_settle_month (l, f.policy, f.config, "2024-01", &error);
  cr_assert_not_null (m1);
  /* the fixture's cycle is the month */
  cands = cm_ledger_special_list (l, f.config, "430200", "2024-01", TRUE, &quotas, &error);
  cr_assert_not_null (cands, "%s", error ? error->message : "?");
  cr_assert_gt (cands->len, 0);
  c = cands->pdata[0];
  for (guint i = 0; i < quotas->len; i++)
    if (strcmp (((CmSpecialQuota *) quotas->pdata[i])->hospital_id, c->hospital_id) == 0)
      q = quotas->pdata[i];
  cr_assert_not_null (q);
  /* SC-1 rule on the hospital's discharges */
  cr_assert_eq (q->cap, cm_settle_special_case_cap (q->discharges, 500));

  /* a non-candidate cannot be submitted */
  {
    g_autofree char *text = NULL;
    g_auto (GStrv) lines = NULL;
    cr_assert (g_file_get_contents (ep1, &text, NULL, NULL));
    lines = g_strsplit (text, "\n", -1);
    for (guint i = 1; lines[i] && plain == NULL; i++)
      {
        g_autofree char *id = g_strndup (lines[i], strcspn (lines[i], ","));
        gboolean flagged = FALSE;
        for (guint k = 0; k < cands->len; k++)
          flagged |= strcmp (((CmSpecialCase *) cands->pdata[k])->episode_id, id) == 0;
        if (!flagged && *id)
          {
            g_autoptr (GError) e2 = NULL;
            if (!cm_ledger_special_act (l, f.policy, f.config, id, CM_SPECIAL_SUBMIT,
                                        CM_SPECIAL_PAY_FFS, 0, NULL, &e2)
                && strstr (e2->message, "not a special-case candidate"))
              plain = "ok";
          }
      }
    cr_assert_not_null (plain, "a plain case was accepted");
  }
  /* the state machine */
  cr_assert (cm_ledger_special_act (l, f.policy, f.config, c->episode_id, CM_SPECIAL_SUBMIT,
                                    CM_SPECIAL_PAY_FFS, 0, "test", &error));
  cr_assert_not (cm_ledger_special_act (l, f.policy, f.config, c->episode_id,
                                        CM_SPECIAL_APPEAL, CM_SPECIAL_PAY_FFS, 0, NULL,
                                        &error));
  cr_assert_not_null (strstr (error->message, "cannot appeal a case that is submitted"),
                      "%s", error->message);
  g_clear_error (&error);
  cr_assert (cm_ledger_special_act (l, f.policy, f.config, c->episode_id, CM_SPECIAL_REJECT,
                                    CM_SPECIAL_PAY_FFS, 0, NULL, &error));
  cr_assert (cm_ledger_special_act (l, f.policy, f.config, c->episode_id, CM_SPECIAL_APPEAL,
                                    CM_SPECIAL_PAY_FFS, 0, NULL, &error));
  cr_assert (cm_ledger_special_act (l, f.policy, f.config, c->episode_id, CM_SPECIAL_START,
                                    CM_SPECIAL_PAY_FFS, 0, NULL, &error));
  cr_assert (cm_ledger_special_act (l, f.policy, f.config, c->episode_id,
                                    CM_SPECIAL_APPROVE, CM_SPECIAL_PAY_FFS, 0, "FFS", &error));

  /* the quota: submitting more than the cap fails */
  {
    gint64 used = 1;
    gboolean refused = FALSE;
    for (guint i = 1; i < cands->len && !refused; i++)
      {
        const CmSpecialCase *o = cands->pdata[i];
        g_autoptr (GError) e2 = NULL;
        if (strcmp (o->hospital_id, c->hospital_id) != 0)
          continue;
        if (cm_ledger_special_act (l, f.policy, f.config, o->episode_id, CM_SPECIAL_SUBMIT,
                                   CM_SPECIAL_PAY_FFS, 0, NULL, &e2))
          used++;
        else
          {
            cr_assert_not_null (strstr (e2->message, "used its quota"), "%s", e2->message);
            refused = TRUE;
          }
      }
    cr_assert (refused || used <= q->cap);
    cr_assert_leq (used, q->cap);
  }

  /* the approved case is paid at the next run: its cost, by the fund rule */
  import (l, &f, ep2, "2024-02", NULL);
  m2 = cm_ledger_settle_month (l, f.policy, f.config, "2024-02", &error);
  cr_assert_not_null (m2);
  cr_assert_eq (m2->n_special_applied, 1);
  {
    CmFen special = 0;
    for (guint i = 0; i < m2->hospitals->len; i++)
      special += ((CmStatement *) m2->hospitals->pdata[i])->special_fen;
    cr_assert_eq (special, m2->total.special_fen);
    cr_assert_neq (special, 0);
  }
  y = cm_ledger_settle_year (l, f.policy, f.config, 2024, &error);
  cr_assert_not_null (y, "%s", error ? error->message : "?");
  cr_assert (cm_ledger_check_conservation (l, "430200", 2024, NULL, NULL, &failed, &error));
  cr_assert_eq (failed, 0);
}

Test (ledger, a_group_is_all_or_nothing)
{
  g_auto (Fixture) f = { 0 };
  g_autoptr (CmLedger) l = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *ep = NULL, *d0 = NULL, *d1 = NULL, *ep2 = NULL;

  fixture_init (&f, "zhuzhou", NULL);
  ep = sample (&f, 1, 100, "G", NULL);
  ep2 = sample (&f, 2, 100, "H", NULL);
  l = open_ledger (&f, "l.sqlite");
  d0 = digest (l);
  cr_assert (cm_ledger_begin (l, &error));
  import (l, &f, ep, "2024-01", NULL);
  /* a failing operation inside the group */
  cr_assert_not (cm_ledger_special_act (l, f.policy, f.config, "NO-SUCH-CASE",
                                        CM_SPECIAL_SUBMIT, CM_SPECIAL_PAY_FFS, 0, NULL,
                                        &error));
  g_clear_error (&error);
  import (l, &f, ep2, "2024-02", NULL);
  cr_assert_not (cm_ledger_commit (l, &error));
  cr_assert_not_null (strstr (error->message, "rolled back"), "%s", error->message);
  d1 = digest (l);
  cr_assert_str_eq (d0, d1);
}

Test (ledger, year_needs_every_month_settled)
{
  g_auto (Fixture) f = { 0 };
  g_autoptr (CmLedger) l = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmYearResult) y = NULL;
  g_autofree char *ep = NULL;

  fixture_init (&f, "zhuzhou", NULL);
  ep = sample (&f, 6, 50, "Y", NULL);
  l = open_ledger (&f, "l.sqlite");
  import (l, &f, ep, "2024-06", NULL);
  y = cm_ledger_settle_year (l, f.policy, f.config, 2024, &error);
  cr_assert_null (y);
  cr_assert (g_error_matches (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE));
  cr_assert_not_null (strstr (error->message, "2024-06"), "%s", error->message);
  cr_assert_not_null (strstr (error->message, "not settled"), "%s", error->message);
}

Test (ledger, alliances_of_the_fixture_reproduce_bud_1)
{
  g_auto (Fixture) f = { 0 };
  g_autoptr (CmLedger) l = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmMonthResult) m = NULL;
  g_autoptr (CmAllianceYear) a = NULL;
  g_autofree char *ep = NULL;
  guint failed = 1;

  fixture_init (&f, "zhuzhou", NULL);
  ep = sample (&f, 1, 100, "B", NULL);
  l = open_ledger (&f, "l.sqlite");
  import (l, &f, ep, "2024-01", NULL);
  m = cm_ledger_settle_month (l, f.policy, f.config, "2024-01", &error);
  cr_assert_not_null (m);
  a = cm_ledger_settle_alliances (l, f.config, "430200", 2024, &error);
  cr_assert_not_null (a, "%s", error ? error->message : "?");
  cr_assert_eq (a->alliances->len, 2);
  /* the fixture's county is BUD-1 / 1000: 620 000, 31 000, r 5 % */
  cr_assert_eq (((CmAllianceResult *) a->alliances->pdata[0])->outcome.budget_fen, 33480000);
  cr_assert_eq (((CmAllianceResult *) a->alliances->pdata[1])->outcome.budget_fen, 22320000);
  cr_assert_eq (((CmAllianceResult *) a->alliances->pdata[0])->county_budget_fen, 55800000);
  cr_assert (cm_ledger_check_conservation (l, "430200", 2024, NULL, NULL, &failed, &error));
  cr_assert_eq (failed, 0);
}
