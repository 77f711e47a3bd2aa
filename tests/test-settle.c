/* test-settle.c — the settlement formulas against every worked example of
 * settlement.md (MON, CLR, INC, SC, WD) and the point-value examples of
 * dip.md (PV, STD, PAY, ANN), to the fen.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Rows carry the example id of ../shared/docs/domain/ so a policy change
 * can be traced by searching for it. */
#include "test-common.h"
#include "cm-settle.h"
#include "cm-settle-config.h"
#include "cm-price.h"
#include <glib/gstdio.h>

#define Y(yuan, fen) ((CmFen) (yuan) * 100 + (fen))

/* ---- settlement.md §2: monthly advance ---------------------------------- */

typedef struct {
  const char *id;
  CmFen payable, deduct;
  CmE4 w;
  CmFen advance, withheld;
} MonRow;

ParameterizedTestParameters (settle, monthly_advance)
{
  static MonRow rows[] = {
    /* MON-1: 12 345 678.90 × 0.95 = 11 728 394.955 → .96 */
    { "MON-1", Y (12345678, 90), 0, 500, Y (11728394, 96), Y (617283, 94) },
    /* MON-2: (8 000 012.34 − 12 000) × 0.90 = 7 189 211.106 → .11 */
    { "MON-2", Y (8000012, 34), Y (12000, 0), 1000, Y (7189211, 11), Y (798801, 23) },
    { "zero", 0, 0, 500, 0, 0 },
    { "one fen, w 5 %: 0.95 fen rounds up", 1, 0, 500, 1, 0 },
    { "one fen, w 50 %: the half rounds up", 1, 0, 5000, 1, 0 },
    { "three fen, w 50 %: 1.5 → 2", 3, 0, 5000, 2, 1 },
    { "no reserve", Y (100, 1), 0, 0, Y (100, 1), 0 },
    { "all withheld", Y (100, 1), 0, CM_E4_ONE, 0, Y (100, 1) },
    { "deductions above payable: negative base, half away from zero",
      Y (100, 0), Y (100, 3), 5000, -2, -1 },
  };
  return cr_make_param_array (MonRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (MonRow *r, settle, monthly_advance)
{
  CmMonthlyAdvance a;

  cr_assert (cm_settle_monthly_advance (r->payable, r->deduct, r->w, &a), "%s", r->id);
  cr_assert_eq (a.advance_fen, r->advance, "%s: advance %" G_GINT64_FORMAT, r->id,
                a.advance_fen);
  cr_assert_eq (a.withheld_fen, r->withheld, "%s: withheld %" G_GINT64_FORMAT, r->id,
                a.withheld_fen);
  cr_assert_eq (a.advance_fen + a.withheld_fen, r->payable - r->deduct,
                "%s: advance + withheld = base", r->id);
}

Test (settle, monthly_advance_rejects_ratio_outside_0_1)
{
  CmMonthlyAdvance a;
  cr_assert_not (cm_settle_monthly_advance (100, 0, -1, &a));
  cr_assert_not (cm_settle_monthly_advance (100, 0, CM_E4_ONE + 1, &a));
  cr_assert_not (cm_settle_monthly_advance (G_MININT64, 1, 0, &a), "overflow");
}

Test (settle, month_shares_add_up_to_the_annual_amount)
{
  static const CmFen amounts[] = { 0, 1, 11, 12, 13, Y (1500000000, 0), Y (7, 77),
                                   G_GINT64_CONSTANT (999999999999999) };
  for (guint i = 0; i < G_N_ELEMENTS (amounts); i++)
    {
      CmFen sum = 0, share;
      for (int m = 1; m <= 12; m++)
        {
          cr_assert (cm_settle_month_share_fen (amounts[i], m, &share));
          cr_assert (share >= amounts[i] / 12 && share <= amounts[i] / 12 + 1,
                     "share %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT, share,
                     amounts[i]);
          sum += share;
        }
      cr_assert_eq (sum, amounts[i]);
    }
  cr_assert_not (cm_settle_month_share_fen (100, 0, &(CmFen) { 0 }));
  cr_assert_not (cm_settle_month_share_fen (100, 13, &(CmFen) { 0 }));
}

/* ---- settlement.md §3: clearing ----------------------------------------- */

typedef struct {
  const char *id;
  CmFen final_payable, deductions;
  CmE4 w, score;
  CmFen incentive, advances, prepayment;
  CmFen assess, due, clearing;
} ClrRow;

ParameterizedTestParameters (settle, clearing)
{
  static ClrRow rows[] = {
    /* CLR-1 (negative): assess = 106 400 000 × 0.05 × 0.10 = 532 000 */
    { "CLR-1", Y (106400000, 0), Y (350000, 0), 500, 90 * CM_E4_ONE, 0,
      Y (99750000, 0), Y (8000000, 0), Y (532000, 0), Y (105518000, 0),
      -Y (2232000, 0) },
    /* CLR-2 (positive): same hospital without prepayment */
    { "CLR-2", Y (106400000, 0), Y (350000, 0), 500, 90 * CM_E4_ONE, 0,
      Y (99750000, 0), 0, Y (532000, 0), Y (105518000, 0), Y (5768000, 0) },
    { "full score forfeits nothing", Y (1000, 0), 0, 500, 100 * CM_E4_ONE, 0,
      Y (950, 0), 0, 0, Y (1000, 0), Y (50, 0) },
    { "score 0 forfeits the whole reserve", Y (1000, 0), 0, 500, 0, 0,
      Y (950, 0), 0, Y (50, 0), Y (950, 0), 0 },
    /* 0.01 × 0.05 × 0.005 = 0.0000025 yuan: rounds to 0 */
    { "assess below half a fen", 1, 0, 500, 995000, 0, 0, 0, 0, 1, 1 },
    /* 10 fen × 0.05 × 1.0 = 0.5 fen: half up */
    { "assess of exactly half a fen", 10, 0, 500, 0, 0, 0, 0, 1, 9, 9 },
    { "incentive added to due", Y (1000, 0), 0, 500, 100 * CM_E4_ONE,
      Y (25, 0), Y (950, 0), 0, 0, Y (1025, 0), Y (75, 0) },
  };
  return cr_make_param_array (ClrRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (ClrRow *r, settle, clearing)
{
  CmClearingInput in = { r->final_payable, r->deductions, r->w, r->score,
                         r->incentive, r->advances, r->prepayment };
  CmClearing c;

  cr_assert (cm_settle_clearing (&in, &c), "%s", r->id);
  cr_assert_eq (c.assess_fen, r->assess, "%s: assess %" G_GINT64_FORMAT, r->id,
                c.assess_fen);
  cr_assert_eq (c.due_fen, r->due, "%s: due %" G_GINT64_FORMAT, r->id, c.due_fen);
  cr_assert_eq (c.clearing_fen, r->clearing, "%s: clearing %" G_GINT64_FORMAT, r->id,
                c.clearing_fen);
  /* conservation: advances + prepayment + clearing = due */
  cr_assert_eq (r->advances + r->prepayment + c.clearing_fen, c.due_fen);
}

Test (settle, clearing_rejects_a_score_above_100)
{
  CmClearingInput in = { 100, 0, 500, 100 * CM_E4_ONE + 1, 0, 0, 0 };
  CmClearing c;
  cr_assert_not (cm_settle_clearing (&in, &c));
}

Test (settle, clr_3_dip_hospital_final_payable)
{
  /* CLR-3 / dip.md ANN-1: points 1 250 000.5000 × PV 9.8749 = 12 343 629.93745
   * → 12 343 629.94; minus patient burden 3 980 000.00 */
  CmFen pay;
  cr_assert (cm_settle_pool_amount_fen (G_GINT64_CONSTANT (12500005000), 98749, &pay));
  cr_assert_eq (pay, Y (12343629, 94));
  cr_assert_eq (pay - Y (3980000, 0), Y (8363629, 94));
}

/* ---- settlement.md §4: incentive ---------------------------------------- */

typedef struct {
  const char *id;
  gboolean enabled, cap;
  CmFen pay, ffs, reasonable;
  CmFen d, adjustment;
} IncRow;

ParameterizedTestParameters (settle, incentive)
{
  static IncRow rows[] = {
    /* INC-1: D = 12 000 000 = 7.89 % of pay < τ 10 % → fully retained */
    { "INC-1", TRUE, FALSE, Y (152000000, 0), Y (140000000, 0), 0,
      Y (12000000, 0), 0 },
    { "INC-1 with the cap: nothing to recover below τ", TRUE, TRUE, Y (152000000, 0),
      Y (140000000, 0), 0, Y (12000000, 0), 0 },
    /* INC-2: D = −13 000 000; review accepts 5 000 000; φ 50 % */
    { "INC-2", TRUE, FALSE, Y (152000000, 0), Y (165000000, 0), Y (5000000, 0),
      -Y (13000000, 0), Y (2500000, 0) },
    /* capped surplus: D = 20 % of pay, τ 10 % → half recovered */
    { "surplus above τ recovered under the cap", TRUE, TRUE, Y (1000, 0), Y (800, 0), 0,
      Y (200, 0), -Y (100, 0) },
    { "disabled", FALSE, FALSE, Y (152000000, 0), Y (165000000, 0), Y (5000000, 0),
      -Y (13000000, 0), 0 },
    { "one fen of loss at 50 %: half up", TRUE, FALSE, 0, 1, 1, -1, 1 },
  };
  return cr_make_param_array (IncRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (IncRow *r, settle, incentive)
{
  CmIncentiveRule rule;
  CmFen d, adj;

  cm_incentive_rule_init (&rule);
  rule.enabled = r->enabled;
  rule.cap_surplus = r->cap;
  cr_assert (cm_settle_incentive (&rule, r->pay, r->ffs, r->reasonable, &d, &adj),
             "%s", r->id);
  cr_assert_eq (d, r->d, "%s: D", r->id);
  cr_assert_eq (adj, r->adjustment, "%s: adjustment %" G_GINT64_FORMAT, r->id, adj);
}

/* ---- settlement.md §5: special-case cap --------------------------------- */

typedef struct {
  const char *id;
  gint64 discharges;
  CmE4 ratio;
  gint64 cap;
} CapRow;

ParameterizedTestParameters (settle, special_case_cap)
{
  static CapRow rows[] = {
    { "SC-1: 3 217 × 0.05 = 160.85 → 160", 3217, 500, 160 },
    { "SC-2: 3 217 × 0.005 = 16.085 → 16", 3217, 50, 16 },
    { "exact multiple", 200, 500, 10 },
    { "just below one", 19, 500, 0 },
    { "no discharges", 0, 500, 0 },
    { "no cap ratio", 1000, 0, 0 },
  };
  return cr_make_param_array (CapRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (CapRow *r, settle, special_case_cap)
{
  cr_assert_eq (cm_settle_special_case_cap (r->discharges, r->ratio), r->cap, "%s", r->id);
}

/* ---- settlement.md §1: working days ------------------------------------- */

typedef struct {
  const char *id;
  const char *from;
  guint n;
  const char *holidays;   /* comma-separated, "" none; '+' prefix = workday */
  const char *expect;
} WdRow;

ParameterizedTestParameters (settle, working_days)
{
  static WdRow rows[] = {
    { "WD-1: 15 working days, weekends only", "2026-03-10", 15, "", "2026-03-31" },
    { "WD-2: 30 working days, weekends only", "2026-03-10", 30, "", "2026-04-21" },
    /* a pinned calendar: Qingming 2026-04-06 (Monday) off shifts WD-2 */
    { "WD-2 with a Monday holiday", "2026-03-10", 30, "2026-04-06", "2026-04-22" },
    /* an adjusted working Saturday (调休) pulls it back */
    { "WD-2 with a holiday and a working Saturday", "2026-03-10", 30,
      "2026-04-06,+2026-04-11", "2026-04-21" },
    { "from a Friday, one day", "2026-03-13", 1, "", "2026-03-16" },
  };
  return cr_make_param_array (WdRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (WdRow *r, settle, working_days)
{
  g_autoptr (CmCalendar) cal = cm_calendar_new ();
  g_auto (GStrv) days = g_strsplit (r->holidays, ",", -1);
  gint32 from, expect;
  char got[11];

  for (guint i = 0; days[i] && *days[i]; i++)
    {
      gint32 d;
      gboolean work = days[i][0] == '+';
      cr_assert (cm_date_parse (days[i] + (work ? 1 : 0), &d));
      cm_calendar_set (cal, d, work);
    }
  cr_assert (cm_date_parse (r->from, &from));
  cr_assert (cm_date_parse (r->expect, &expect));
  cm_date_format (cm_calendar_add_working_days (cal, from, r->n), got);
  cr_assert_str_eq (got, r->expect, "%s", r->id);
}

Test (settle, weekday_of_known_dates)
{
  gint32 d;
  cr_assert (cm_date_parse ("2026-03-10", &d));
  cr_assert_eq (cm_date_weekday (d), 2, "2026-03-10 is a Tuesday");
  cr_assert (cm_date_parse ("1969-12-28", &d));
  cr_assert_eq (cm_date_weekday (d), 7, "a Sunday before 1970");
}

Test (settle, calendar_file_names_the_bad_line)
{
  g_autofree char *dir = g_dir_make_tmp ("cm-cal-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cal.tsv", NULL);
  g_autoptr (CmCalendar) cal = cm_calendar_new ();
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, "date\tkind\n2025-10-01\tholiday\n2025-10-11\tworkday\n"
                       "2025-13-01\tholiday\n", -1, NULL);
  cr_assert_not (cm_calendar_load (cal, path, &error));
  cr_assert (strstr (error->message, "cal.tsv:4:") != NULL, "%s", error->message);
  cr_assert (strstr (error->message, "date") != NULL, "%s", error->message);
  g_unlink (path);
  g_rmdir (dir);
}

/* ---- dip.md §5, §6, §8, §9: point values -------------------------------- */

typedef struct {
  const char *id;
  CmFen money;       /* F (settlement) */
  CmE4 p;            /* fund share, CM_E4_ONE for none */
  CmE4 points;
  CmE4 pv;
} PvRow;

ParameterizedTestParameters (settle, settlement_point_value)
{
  static PvRow rows[] = {
    /* PV-2: 1 500 000 000 / 0.62 / 245 000 000 = 9.874917… */
    { "PV-2", Y (1500000000, 0), 6200, G_GINT64_CONSTANT (2450000000000), 98749 },
    /* PV-3 employee: 800 000 000 / 0.72 / 100 000 000 = 11.1111 */
    { "PV-3 employee", Y (800000000, 0), 7200, G_GINT64_CONSTANT (1000000000000), 111111 },
    /* PV-3 resident: 700 000 000 / 0.58 / 140 000 000 = 8.62068… */
    { "PV-3 resident", Y (700000000, 0), 5800, G_GINT64_CONSTANT (1400000000000), 86207 },
    /* drg-payment.md PTS-1: (500 000 000 + 180 000 000) / 6 000 000 */
    { "PTS-1", Y (680000000, 0), CM_E4_ONE, G_GINT64_CONSTANT (60000000000), 1133333 },
    /* PTS-2: points grew to 6 300 000 */
    { "PTS-2", Y (680000000, 0), CM_E4_ONE, G_GINT64_CONSTANT (63000000000), 1079365 },
  };
  return cr_make_param_array (PvRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (PvRow *r, settle, settlement_point_value)
{
  CmE4 pv;
  cr_assert (cm_price_point_value_e4 (r->money, r->p, r->points, &pv), "%s", r->id);
  cr_assert_eq (pv, r->pv, "%s: %" G_GINT64_FORMAT, r->id, pv);
}

typedef struct {
  const char *id;
  CmFen costs[3];
  CmE4 points;
  CmE4 pv;
} BudgetPvRow;

ParameterizedTestParameters (settle, budget_point_value)
{
  static BudgetPvRow rows[] = {
    /* PV-1: C_w = (2.0 + 4.4 + 16.8) / 10 billion = 2.32 billion */
    { "PV-1 (P_hist 240 000 000)", { Y (2000000000, 0), Y (2200000000, 0),
                                     Y (2400000000, 0) },
      G_GINT64_CONSTANT (2400000000000), 96667 },
    { "PV-1 (P_hist 250 000 000)", { Y (2000000000, 0), Y (2200000000, 0),
                                     Y (2400000000, 0) },
      G_GINT64_CONSTANT (2500000000000), 92800 },
  };
  return cr_make_param_array (BudgetPvRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (BudgetPvRow *r, settle, budget_point_value)
{
  static const gint64 weights[] = { 1, 2, 7 };
  CmE4 pv;
  cr_assert (cm_settle_budget_point_value_e4 (r->costs, weights, 3, r->points, &pv),
             "%s", r->id);
  cr_assert_eq (pv, r->pv, "%s: %" G_GINT64_FORMAT, r->id, pv);
}

typedef struct {
  const char *id;
  CmE4 score, pv, coef;
  CmFen amount;
} StdRow;

ParameterizedTestParameters (settle, point_payment)
{
  static StdRow rows[] = {
    /* STD-1: 568.4647 × 9.8749 × 1.00 = 5 613.532066 */
    { "STD-1", 5684647, 98749, CM_E4_ONE, Y (5613, 53) },
    /* STD-2: 3 153.5270 × 9.8749 × 1.10 = 34 254.840150 */
    { "STD-2", 31535270, 98749, 11000, Y (34254, 84) },
    /* PAY-1: DEV-2 tertiary: 852.6971 × 9.8749 × 1.10 = 9 262.328452 */
    { "PAY-1", 8526971, 98749, 11000, Y (9262, 33) },
    /* PAY-2: DEV-1 secondary: 213.1743 × 9.8749 = 2 105.074895 */
    { "PAY-2", 2131743, 98749, CM_E4_ONE, Y (2105, 7) },
    /* drg-payment.md PTS-1 / PTS-2 case pay: 87.0672 points */
    { "PTS-1 case", 870672, 1133333, CM_E4_ONE, Y (9867, 61) },
    { "PTS-2 case", 870672, 1079365, CM_E4_ONE, Y (9397, 73) },
  };
  return cr_make_param_array (StdRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (StdRow *r, settle, point_payment)
{
  CmFen pay;
  cr_assert (cm_price_points_pay_fen (r->score, r->pv, r->coef, &pay), "%s", r->id);
  cr_assert_eq (pay, r->amount, "%s: %" G_GINT64_FORMAT, r->id, pay);
}

Test (settle, pay_1_fund_share)
{
  /* dip.md PAY-1: fund = 9 262.33 − 4 200.00 */
  CmFundShareRule rule = { CM_FUND_SHARE_DIFFERENCE, TRUE };
  CmFen fund;
  cr_assert (cm_price_fund_share (&rule, Y (9262, 33), Y (4200, 0), 0, 0, Y (10000, 0),
                                  &fund));
  cr_assert_eq (fund, Y (5062, 33));
}

typedef struct {
  const char *id;
  CmE4 points, pv;
  CmFen amount;
} AnnRow;

ParameterizedTestParameters (settle, hospital_annual_total)
{
  static AnnRow rows[] = {
    /* ANN-1: 1 250 000.5000 × 9.8749 = 12 343 629.93745 */
    { "ANN-1", G_GINT64_CONSTANT (12500005000), 98749, Y (12343629, 94) },
    /* ANN-2 employee pool: 500 000.0000 × 11.1111 */
    { "ANN-2 employee", G_GINT64_CONSTANT (5000000000), 111111, Y (5555550, 0) },
    /* ANN-2 resident pool: 750 000.5000 × 8.6207 = 6 465 529.31035 */
    { "ANN-2 resident", G_GINT64_CONSTANT (7500005000), 86207, Y (6465529, 31) },
    { "zero points", 0, 98749, 0 },
    /* 0.0001 point × 50.0000 = 0.005 yuan = half a fen: up */
    { "half a fen", 1, 500000, 1 },
  };
  return cr_make_param_array (AnnRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (AnnRow *r, settle, hospital_annual_total)
{
  CmFen pay;
  cr_assert (cm_settle_pool_amount_fen (r->points, r->pv, &pay), "%s", r->id);
  cr_assert_eq (pay, r->amount, "%s: %" G_GINT64_FORMAT, r->id, pay);
}

Test (settle, ann_2_pools_rounded_separately_then_added)
{
  CmFen e, r;
  cr_assert (cm_settle_pool_amount_fen (G_GINT64_CONSTANT (5000000000), 111111, &e));
  cr_assert (cm_settle_pool_amount_fen (G_GINT64_CONSTANT (7500005000), 86207, &r));
  cr_assert_eq (e + r, Y (12021079, 31));
}

/* ---- the settlement configuration --------------------------------------- */

Test (settle, config_defaults_are_the_documented_ones)
{
  g_autoptr (CmSettleConfig) cfg = cm_settle_config_new_default ("430200");
  const CmSettleYear *y = cm_settle_config_get_year (cfg, 2025);

  cr_assert_eq (y->quality_reserve_e4, 500);
  cr_assert_eq (y->deadline_working_days, 30);
  cr_assert_eq (y->special_cap_drg_e4, 500);
  cr_assert_eq (y->special_cap_dip_e4, 50);
  cr_assert_eq (y->special_cycle, CM_SPECIAL_CYCLE_QUARTER);
  cr_assert_not (y->has_budget);
  cr_assert_not (y->incentive.enabled);
  cr_assert_eq (y->alliance.n_surplus, 2);
  cr_assert_eq (y->alliance.pass_mark_e4, 60 * CM_E4_ONE);
}

Test (settle, config_fixture_loads)
{
  g_autofree char *path = test_data_path ("settle/pack/settlement.xml");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmSettleConfig) cfg = cm_settle_config_load (path, &error);
  const CmSettleYear *y;
  const CmSettleHospital *h;

  cr_assert_not_null (cfg, "%s", error ? error->message : "?");
  y = cm_settle_config_get_year (cfg, 2024);
  cr_assert_eq (y->year, 2024);
  cr_assert_eq (y->quality_reserve_e4, 1000);
  cr_assert_eq (y->deadline_working_days, 15);
  cr_assert (y->has_budget);
  cr_assert_eq (y->pools, CM_PV_POOLS_INSURANCE);
  cr_assert_eq (y->budget_fen[1], Y (3000000, 0));
  cr_assert_eq (y->fund_share_e4[2], 6000);
  cr_assert_eq (y->special_cycle, CM_SPECIAL_CYCLE_MONTH);
  cr_assert (cm_settle_config_is_new_technology (cfg, 2024, "00.7801"));
  cr_assert_not (cm_settle_config_is_new_technology (cfg, 2024, "99.9999"));
  h = cm_settle_config_lookup_hospital (cfg, 2024, "H1");
  cr_assert_not_null (h);
  cr_assert_eq (h->prepayment_fen, Y (1000, 0));
  cr_assert_eq (h->score_e4, 90 * CM_E4_ONE);
  cr_assert_eq (cm_settle_config_get_n_alliances (cfg, 2024), 2);
  cr_assert_str_eq (cm_settle_config_get_alliance (cfg, 2024, 1)->members[0], "H3");
  cr_assert_eq (strlen (cm_settle_config_get_sha256 (cfg)), 64);
  /* an unlisted year: defaults */
  cr_assert_eq (cm_settle_config_get_year (cfg, 2030)->quality_reserve_e4, 500);
}

typedef struct {
  const char *id;
  const char *xml;
  const char *expect;   /* in the message */
} BadConfigRow;

ParameterizedTestParameters (settle, config_errors)
{
  static BadConfigRow rows[] = {
    { "not well-formed", "<settlement format=\"1\" region=\"x\">", ":1: not well-formed" },
    { "unknown element", "<settlement format=\"1\" region=\"x\">\n<year value=\"2025\">\n"
      "<monthy/></year></settlement>", ":3: <year>: unknown element <monthy>" },
    { "bad ratio", "<settlement format=\"1\" region=\"x\"><year value=\"2025\">\n"
      "<monthly quality-reserve=\"0.051234\"/></year></settlement>",
      ":2: <monthly quality-reserve=\"0.051234\">: settle.quality_reserve_ratio" },
    { "unknown attribute", "<settlement format=\"1\" region=\"x\"><year value=\"2025\">"
      "<monthly reserve=\"0.05\"/></year></settlement>", "unknown attribute 'reserve'" },
    { "pools need two funds", "<settlement format=\"1\" region=\"x\"><year value=\"2025\">"
      "<budget pools=\"insurance\"><fund insurance=\"employee\" amount=\"1\"/></budget>"
      "</year></settlement>", "dip.pv.fund" },
    { "tiers must end unbounded", "<settlement format=\"1\" region=\"x\"><year value=\"2025\">"
      "<alliance><surplus-tier up-to=\"0.1\" retained=\"1\"/></alliance></year>"
      "</settlement>", "the last tier must have no up-to" },
    { "missing table", "<settlement format=\"1\" region=\"x\"><year value=\"2025\">"
      "<hospitals href=\"nope.tsv\"/></year></settlement>", "no such file" },
    { "year twice", "<settlement format=\"1\" region=\"x\"><year value=\"2025\"/>\n"
      "<year value=\"2025\"/></settlement>", ":2: <year value=\"2025\">: listed twice" },
  };
  return cr_make_param_array (BadConfigRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (BadConfigRow *r, settle, config_errors)
{
  g_autofree char *dir = g_dir_make_tmp ("cm-settle-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "settlement.xml", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmSettleConfig) cfg = NULL;

  g_file_set_contents (path, r->xml, -1, NULL);
  cfg = cm_settle_config_load (path, &error);
  cr_assert_null (cfg, "%s: loaded", r->id);
  cr_assert (g_error_matches (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_CONFIG), "%s", r->id);
  cr_assert (strstr (error->message, "settlement.xml") != NULL, "%s: %s", r->id,
             error->message);
  cr_assert (strstr (error->message, r->expect) != NULL, "%s: %s", r->id, error->message);
  g_unlink (path);
  g_rmdir (dir);
}
