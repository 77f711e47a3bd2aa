/* test-settle-demo.c — the demo year end to end: money conserved to the
 * fen for every month and the year in both demo regions, the workbook
 * read back, opened by LibreOffice and the report page rendered by
 * headless Chromium (each skipped, saying so, when not installed).
 * SPDX-License-Identifier: Apache-2.0
 *
 * The demo runs once per test process (Criterion forks per test) in a
 * temporary folder with a small number of cases per month. */
#include "test-common.h"
#include <glib/gstdio.h>
#include "cm-demo.h"
#include "cm-ledger.h"
#include "cm-xlsx.h"

#define CASES_PER_MONTH 300
#define LIBREOFFICE "/usr/bin/libreoffice"
#define CHROMIUM "/usr/bin/chromium"

static char *demo_dir;
static CmDemoResult *demo;

static void
run_demo (void)
{
  g_autoptr (GError) error = NULL;
  CmDemoOptions o;

  g_setenv ("SOURCE_DATE_EPOCH", "1767225600", TRUE);  /* 2026-01-01 */
  demo_dir = g_dir_make_tmp ("cm-demo-XXXXXX", NULL);
  cm_demo_options_init (&o);
  o.out_dir = demo_dir;
  o.cases_per_month = CASES_PER_MONTH;
  demo = cm_demo_run (&o, &error);
  cr_assert_not_null (demo, "demo: %s", error ? error->message : "?");
}

static void
remove_demo (void)
{
  if (demo_dir != NULL)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", demo_dir);
      (void) system (cmd);
    }
  g_clear_pointer (&demo, cm_demo_result_free);
  g_clear_pointer (&demo_dir, g_free);
}

TestSuite (settle_demo, .init = run_demo, .fini = remove_demo, .timeout = 900);

Test (settle_demo, both_regions_run_a_full_year)
{
  cr_assert_eq (demo->regions->len, 2);
  for (guint i = 0; i < demo->regions->len; i++)
    {
      const CmDemoRegion *r = demo->regions->pdata[i];
      cr_assert_gt (r->n_hospitals, 5, "%s", r->pack);
      /* twelve months, two cases lost to the April correction */
      cr_assert_eq (r->n_cases, 12 * CASES_PER_MONTH - 2, "%s: %" G_GUINT64_FORMAT,
                    r->pack, r->n_cases);
      cr_assert_gt (r->final_payable_fen, 0);
      /* DIP's cap of 5 ‰ leaves no quota at this size; DRG's 5 % does */
      if (strcmp (r->pack, "zhuzhou") == 0)
        cr_assert_gt (r->n_special_submitted, 0, "%s", r->pack);
      cr_assert_gt (r->n_alliances, 3, "%s", r->pack);
      cr_assert (g_file_test (r->year_xlsx, G_FILE_TEST_IS_REGULAR));
      cr_assert (g_file_test (r->year_html, G_FILE_TEST_IS_REGULAR));
    }
  cr_assert_eq (strlen (demo->digest), 64);
}

Test (settle_demo, the_same_options_give_the_same_ledger, .timeout = 900)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *other = g_build_filename (demo_dir, "again", NULL);
  g_autoptr (CmDemoResult) again = NULL;
  CmDemoOptions o;

  cm_demo_options_init (&o);
  o.out_dir = other;
  o.cases_per_month = CASES_PER_MONTH;
  again = cm_demo_run (&o, &error);
  cr_assert_not_null (again, "%s", error ? error->message : "");
  cr_assert_str_eq (again->digest, demo->digest, "two runs, two ledgers");
}

Test (settle_demo, money_is_conserved_to_the_fen)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmLedger) l = cm_ledger_open (demo->ledger, &error);

  cr_assert_not_null (l, "%s", error ? error->message : "");
  for (guint i = 0; i < demo->regions->len; i++)
    {
      const CmDemoRegion *r = demo->regions->pdata[i];
      g_autoptr (CmYearResult) y = cm_ledger_get_year (l, r->region, 2025, &error);
      g_autoptr (GHashTable) advances = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                               g_free, g_free);
      CmFen months_payable = 0;
      guint failed = 1, checked = 0;

      /* the ledger's own check of every identity */
      cr_assert_eq (r->n_failed, 0, "%s: %u identities fail", r->pack, r->n_failed);
      cr_assert (cm_ledger_check_conservation (l, r->region, 2025, NULL, &checked, &failed,
                                               &error));
      cr_assert_eq (failed, 0);
      cr_assert_gt (checked, 300, "%s: %u identities", r->pack, checked);

      /* and again here, from the statements read back */
      cr_assert_not_null (y, "%s", error ? error->message : "");
      cr_assert_eq (y->n_months, 12);
      for (int m = 1; m <= 12; m++)
        {
          g_autofree char *period = g_strdup_printf ("2025-%02d", m);
          g_autoptr (CmMonthResult) mr = cm_ledger_get_month (l, r->region, period, &error);
          CmFen adv = 0, wh = 0, base = 0;

          cr_assert_not_null (mr, "%s", error ? error->message : "");
          cr_assert_eq (mr->run_no, m == 4 ? 2 : 1, "%s %s: the corrected April is run 2",
                        r->pack, period);
          for (guint h = 0; h < mr->hospitals->len; h++)
            {
              const CmStatement *s = mr->hospitals->pdata[h];
              CmFen *a = g_hash_table_lookup (advances, s->hospital_id);
              cr_assert_eq (s->advance_fen + s->withheld_fen, s->payable_fen - s->deduct_fen,
                            "%s %s %s", r->pack, period, s->hospital_id);
              cr_assert_eq (s->case_fund_fen + s->special_fen, s->payable_fen);
              adv += s->advance_fen;
              wh += s->withheld_fen;
              base += s->payable_fen - s->deduct_fen;
              if (a == NULL)
                {
                  a = g_new0 (CmFen, 1);
                  g_hash_table_insert (advances, g_strdup (s->hospital_id), a);
                }
              *a += s->advance_fen;
            }
          cr_assert_eq (adv + wh, base, "%s %s: Σ advance + Σ withheld", r->pack, period);
          if (mr->pv_from_budget)
            for (int p = 0; p < 3; p++)
              cr_assert_eq (mr->pool_pay_fen[p] + mr->residual_fen[p], mr->target_fen[p],
                            "%s %s pool %d", r->pack, period, p);
          months_payable += mr->total.payable_fen;
        }
      cr_assert_eq (months_payable, y->total.monthly_payable_fen);
      for (guint h = 0; h < y->hospitals->len; h++)
        {
          const CmClearingStatement *s = y->hospitals->pdata[h];
          const CmFen *a = g_hash_table_lookup (advances, s->hospital_id);
          cr_assert_eq (a ? *a : 0, s->advances_fen, "%s %s", r->pack, s->hospital_id);
          cr_assert_eq (s->advances_fen + s->prepayment_fen + s->clearing_fen, s->due_fen);
          cr_assert_eq (s->due_fen + s->assess_fen + s->deductions_fen - s->incentive_fen,
                        s->final_payable_fen);
          cr_assert_eq (s->case_fund_fen + s->rounding_fen + s->netting_fen + s->special_fen,
                        s->final_payable_fen);
        }
      if (y->pv_from_budget)
        {
          CmFen target = 0, pay = 0, residual = 0;
          for (int p = 0; p < 3; p++)
            {
              target += y->target_fen[p];
              pay += y->pool_pay_fen[p];
              residual += y->residual_fen[p];
            }
          cr_assert_gt (target, 0);
          cr_assert_eq (pay + residual, target, "%s: Σ hospitals + residual = budget",
                        r->pack);
          cr_assert_eq (target, r->pool_target_fen);
        }
      /* alliances: Σ (B − A) = Σ (retained + returned) − Σ (fund + alliance shares) */
      cr_assert_eq (r->alliance_budget_fen - r->alliance_actual_fen,
                    r->alliance_retained_fen + r->alliance_returned_fen
                    - r->alliance_fund_share_fen - r->alliance_own_share_fen, "%s", r->pack);
    }
}

Test (settle_demo, workbook_reads_back)
{
  for (guint i = 0; i < demo->regions->len; i++)
    {
      const CmDemoRegion *r = demo->regions->pdata[i];
      g_autoptr (GError) error = NULL;
      CmXlsxWorkbook *wb = cm_xlsx_workbook_open (r->year_xlsx, &error);

      cr_assert_not_null (wb, "%s", error ? error->message : "");
      cr_assert (cm_xlsx_workbook_has_sheet (wb, "清算 Clearing"));
      cr_assert (cm_xlsx_workbook_has_sheet (wb, "月度 Months"));
      cr_assert (cm_xlsx_workbook_has_sheet (wb, "医共体 Alliances"));
      cr_assert (cm_xlsx_workbook_has_sheet (wb, "病组 Groups"));
      cr_assert (cm_xlsx_workbook_has_sheet (wb, "偏差病例 Deviation cases"));
      cm_xlsx_workbook_free (wb);
    }
}

static gboolean
run (const char *const *argv, char **out, GError **error)
{
  int status;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                     out, NULL, &status, error))
    return FALSE;
  return g_spawn_check_wait_status (status, error);
}

Test (settle_demo, workbook_opens_in_libreoffice, .timeout = 600)
{
  const CmDemoRegion *r;
  g_autofree char *profile = NULL, *env = NULL, *outdir = NULL, *pdf = NULL;
  g_autofree char *pdf_bytes = NULL;
  g_autoptr (GError) error = NULL;
  gsize len = 0;

  if (!g_file_test (LIBREOFFICE, G_FILE_TEST_IS_EXECUTABLE))
    {
      cr_skip_test (LIBREOFFICE " is absent (Debian package libreoffice-calc-nogui, or "
                    "libreoffice-calc): LibreOffice test skipped");
      return;
    }
  r = demo->regions->pdata[1];
  profile = g_dir_make_tmp ("cm-lo-XXXXXX", NULL);
  env = g_strdup_printf ("-env:UserInstallation=file://%s", profile);
  outdir = g_build_filename (demo_dir, "pdf", NULL);
  {
    const char *argv[] = { LIBREOFFICE, env, "--headless", "--convert-to", "pdf",
                           "--outdir", outdir, r->year_xlsx, NULL };
    g_autofree char *out = NULL;
    cr_assert (run (argv, &out, &error), "libreoffice: %s", error ? error->message : "");
  }
  pdf = g_build_filename (outdir, "clearing-2025.pdf", NULL);
  cr_assert (g_file_get_contents (pdf, &pdf_bytes, &len, NULL), "no PDF from %s",
             r->year_xlsx);
  cr_assert_gt (len, 5000, "a PDF of %zu bytes looks empty", len);
  cr_assert_eq (memcmp (pdf_bytes, "%PDF", 4), 0);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", profile);
    (void) system (cmd);
  }
}

Test (settle_demo, report_renders_in_headless_chromium, .timeout = 600)
{
  const CmDemoRegion *r;
  g_autofree char *profile = NULL, *udd = NULL, *url = NULL, *dom = NULL;
  g_autofree char *png = NULL, *shot = NULL, *png_bytes = NULL;
  g_autoptr (GError) error = NULL;
  gsize len = 0;

  if (!g_file_test (CHROMIUM, G_FILE_TEST_IS_EXECUTABLE))
    {
      cr_skip_test (CHROMIUM " is absent (Debian package chromium): render test skipped");
      return;
    }
  r = demo->regions->pdata[1];
  profile = g_dir_make_tmp ("cm-chromium-XXXXXX", NULL);
  udd = g_strdup_printf ("--user-data-dir=%s", profile);
  url = g_strdup_printf ("file://%s", r->year_html);
  png = g_build_filename (demo_dir, "clearing.png", NULL);
  shot = g_strdup_printf ("--screenshot=%s", png);
  {
    const char *argv[] = { CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", udd, "--window-size=1280,2400", "--dump-dom",
                           url, NULL };
    cr_assert (run (argv, &dom, &error), "chromium: %s", error ? error->message : "");
  }
  cr_assert_not_null (strstr (dom, "<svg"), "no chart in the DOM");
  cr_assert_not_null (strstr (dom, "polyline"), "no line chart in the DOM");
  cr_assert_not_null (strstr (dom, "年度清算 Annual clearing 2025"), "no title in the DOM");
  cr_assert_not_null (strstr (dom, "tile met"), "the conservation tile is not green");
  {
    const char *argv[] = { CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", udd, "--window-size=1280,2400", shot, url,
                           NULL };
    cr_assert (run (argv, NULL, &error), "chromium: %s", error ? error->message : "");
  }
  cr_assert (g_file_get_contents (png, &png_bytes, &len, NULL), "no screenshot");
  cr_assert_gt (len, 20000, "a screenshot of %zu bytes looks blank", len);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", profile);
    (void) system (cmd);
  }
}
