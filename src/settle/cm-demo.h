/* cm-demo.h — the demo year: the README's main job, run end to end on
 * synthetic data for the two demo regions.
 * SPDX-License-Identifier: Apache-2.0
 *
 * For each region (zhuzhou: DRG rate method, yiyang: DIP with monthly
 * point values from the budget):
 *
 *   1. a base year of synthetic episodes (cm_sample_write), grouped and
 *      turned into a catalogue (DRG weights / DIP scores);
 *   2. a policy pack for the base year and the demo year, derived from the
 *      shipped illustrative pack: the new catalogue, DRG rates from the
 *      budget (drg-payment.md §3) or DIP budget point values (dip.md §5),
 *      and a settlement.xml: budgets, special cases, hospitals (prepayment,
 *      scores), county alliances, the holiday calendar;
 *   3. twelve months: episodes, import into one ledger, deductions, a
 *      correction of an earlier month, the quarterly special-case review,
 *      the monthly settlement and its workbook;
 *   4. the annual clearing, the alliances, the annual report (.xlsx and
 *      HTML) and the conservation check.
 *
 * Everything is written under the output folder; the same options give
 * the same files (time stamps follow $SOURCE_DATE_EPOCH when set). No
 * real patient data is involved. */
#pragma once

#include <glib.h>
#include "cm-money.h"

G_BEGIN_DECLS

/* Called before each step; @done of @total steps of the whole demo. */
typedef void (*CmDemoProgress) (gpointer user_data, const char *step, guint done,
                                guint total);

typedef struct {
  const char *out_dir;          /* default "demo-out" */
  guint64 cases_per_month;      /* per region; default 5 000 */
  int base_year;                /* default 2024 */
  int year;                     /* default 2025 */
  guint32 seed;                 /* default 2025 */
  const char *const *regions;   /* shipped pack names; NULL = zhuzhou, yiyang */
  CmDemoProgress progress;      /* nullable */
  gpointer progress_data;
} CmDemoOptions;

CM_API void cm_demo_options_init (CmDemoOptions *options);

typedef struct {
  char *pack;                   /* "zhuzhou" */
  char *region;                 /* "430200" */
  char *name;
  char *method;                 /* "DRG (rate)" or "DIP (budget point values)" */
  guint n_hospitals;
  guint64 n_cases;
  guint64 n_rejected;
  CmFen cost_fen;
  CmFen monthly_payable_fen;
  CmFen advances_fen;
  CmFen withheld_fen;
  CmFen deductions_fen;
  CmFen final_payable_fen;
  CmFen assess_fen;
  CmFen prepayment_fen;
  CmFen clearing_fen;
  CmE4 final_pv_e4[3];
  CmFen pool_target_fen;        /* Σ T of the budget pools (0: no budget) */
  CmFen pool_pay_fen;
  CmFen pool_residual_fen;
  guint n_special_submitted;
  guint n_special_approved;
  guint n_alliances;
  CmFen alliance_budget_fen;
  CmFen alliance_actual_fen;
  CmFen alliance_retained_fen;
  CmFen alliance_returned_fen;
  CmFen alliance_fund_share_fen;
  CmFen alliance_own_share_fen;
  guint n_checked;              /* conservation identities */
  guint n_failed;
  char *dir;                    /* the region's output folder */
  char *year_xlsx;
  char *year_html;
} CmDemoRegion;

typedef struct {
  char *out_dir;
  char *ledger;                 /* the ledger file */
  char *digest;                 /* cm_ledger_digest at the end */
  GPtrArray *regions;           /* CmDemoRegion * */
} CmDemoResult;

CM_API void cm_demo_result_free (CmDemoResult *result);

/**
 * cm_demo_run:
 * @options: what to run
 * @error: any error of the steps (scheme, policy, ledger, I/O)
 *
 * Runs the demo year (module comment). The ledger file of the output
 * folder is replaced.
 *
 * Returns: (transfer full) (nullable): the figures.
 */
CM_API CmDemoResult *cm_demo_run (const CmDemoOptions *options, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmDemoResult, cm_demo_result_free)

G_END_DECLS
