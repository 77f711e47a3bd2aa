/* test-pay-vectors.c — every worked example of drg-payment.md, dip.md,
 * per-diem.md and dip-catalogue-building.md §6, reproduced to the fen (or
 * to the 4th decimal for weights, scores, points and point values), plus
 * the boundary cases one fen either side of each threshold.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Amounts in the rows are written as the documents print them (yuan, 4-dp
 * fractions) and parsed with the library's own digit-by-digit parsers, so a
 * row reads like the example it checks. Each row names the example id and
 * the clause (policy tag) it comes from. */
#include "config.h"

#include "test-common.h"
#include "cm-money.h"
#include "cm-price.h"
#include "cm-catalogue.h"
#include "cm-policy.h"

static CmFen
Y (const char *yuan)
{
  CmFen v;
  const char *why = NULL;
  cr_assert (cm_scaled_parse (yuan, 2, -CM_FEN_MAX, CM_FEN_MAX, &v, &why),
             "bad yuan literal %s: %s", yuan, why);
  return v;
}

static CmE4
E (const char *dec)
{
  CmE4 v;
  const char *why = NULL;
  cr_assert (cm_scaled_parse (dec, 4, -G_MAXINT64, G_MAXINT64, &v, &why),
             "bad decimal literal %s: %s", dec, why);
  return v;
}

static const char *
fen_str (CmFen v, char *buf)
{
  cm_fen_format (v, buf);
  return buf;
}

#define EXPECT_FEN(got, want, id) do { \
    char _a[CM_MONEY_BUF], _b[CM_MONEY_BUF]; \
    cr_expect_eq ((got), Y (want), "%s: got %s, want %s", (id), \
                  fen_str ((got), _a), fen_str (Y (want), _b)); \
  } while (0)

#define EXPECT_E4(got, want, id) do { \
    char _a[CM_MONEY_BUF]; \
    cm_e4_format ((got), _a); \
    cr_expect_eq ((got), E (want), "%s: got %s, want %s", (id), _a, (want)); \
  } while (0)

/* ==================================================================== */
/* drg-payment.md §2 relative weights, dip.md §3 scores,                 */
/* dip-catalogue-building.md §6: weighted means 1:2:7                     */

typedef struct {
  const char *id;
  const char *group[3];   /* yearly mean costs (yuan), oldest first */
  const char *all[3];
  gint64 scale;
  const char *want;       /* 4 dp */
} RatioRow;

static RatioRow ratio_rows[] = {
  { "RW-1 drg-payment.md §2", { "9800", "10200", "10600" }, { "11500", "12000", "12400" }, 1, "0.8536" },
  { "RW-2 drg-payment.md §2", { "45000", "48000", "50000" }, { "11500", "12000", "12400" }, 1, "4.0147" },
  { "SCORE-1 dip.md §3", { "5000", "5300", "5600" }, { "9000", "9400", "9800" }, 1000, "568.4647" },
  { "SCORE-2 dip.md §3", { "28000", "29500", "31000" }, { "9000", "9400", "9800" }, 1000, "3153.5270" },
  { "§6 K35.3 conservative dip-catalogue-building.md", { "4000", "4200", "4400" }, { "9000", "9500", "10000" }, 1000, "440.8163" },
  { "§6 K35.3+47.0100 dip-catalogue-building.md", { "11000", "11500", "12000" }, { "9000", "9500", "10000" }, 1000, "1204.0816" },
  { "§6 K35.3+47.0901 dip-catalogue-building.md", { "9000", "9300", "9500" }, { "9000", "9500", "10000" }, 1000, "960.2041" },
  { "§6 K35.3+47.0100+45.6200 dip-catalogue-building.md", { "15400", "16100", "16800" }, { "9000", "9500", "10000" }, 1000, "1685.7143" },
};

ParameterizedTestParameters (pay_vectors, weighted_ratio)
{
  return cr_make_param_array (RatioRow, ratio_rows, G_N_ELEMENTS (ratio_rows));
}

ParameterizedTest (RatioRow *row, pay_vectors, weighted_ratio)
{
  CmYearStat g[3], a[3];
  static const gint64 w[3] = { 1, 2, 7 };
  CmE4 got = -1;

  for (guint i = 0; i < 3; i++)
    {
      /* a yearly mean is one "case" of that cost */
      g[i] = (CmYearStat) { Y (row->group[i]), 1 };
      a[i] = (CmYearStat) { Y (row->all[i]), 1 };
    }
  cr_assert (cm_catalogue_weighted_ratio_e4 (g, a, w, 3, CM_MEAN_YEARLY, row->scale, &got),
             "%s", row->id);
  EXPECT_E4 (got, row->want, row->id);
}

Test (pay_vectors, catalogue_example_pooled_comprehensive_group)
{
  /* dip-catalogue-building.md §6: the three leftovers pool into K35 相关手术组,
   * 17 cases; yearly means 9 920 / 10 140 / 10 514.29 → 10 380 → 1059.18 */
  CmYearStat g[3] = {
    { Y ("18000") + Y ("21600") + Y ("10000"), 5 },   /* 2×9000, 2×10800, 1×10000 */
    { Y ("18400") + Y ("22000") + Y ("10300"), 5 },   /* 2×9200, 2×11000, 1×10300 */
    { Y ("18800") + Y ("33600") + Y ("21200"), 7 },   /* 2×9400, 3×11200, 2×10600 */
  };
  CmYearStat a[3] = { { Y ("9000"), 1 }, { Y ("9500"), 1 }, { Y ("10000"), 1 } };
  static const gint64 w[3] = { 1, 2, 7 };
  CmE4 rw;
  CmFen m;

  cr_assert (cm_catalogue_weighted_mean_fen (g, w, 3, CM_MEAN_YEARLY, &m));
  EXPECT_FEN (m, "10380.00", "§6 pooled weighted mean");
  cr_assert (cm_catalogue_weighted_ratio_e4 (g, a, w, 3, CM_MEAN_YEARLY, 1000, &rw));
  EXPECT_E4 (rw, "1059.1837", "§6 K35 相关手术组 (1059.18)");
}

Test (pay_vectors, catalogue_example_case_weighted_alternative)
{
  /* dip-catalogue-building.md §6: Σ w·n·mean / Σ w·n = 11 822.92 → 1206.42 */
  CmYearStat g[3] = {
    { 80 * Y ("11000"), 80 }, { 90 * Y ("11500"), 90 }, { 100 * Y ("12000"), 100 },
  };
  CmYearStat m_all[3] = { { 0, 0 }, { 0, 0 }, { Y ("9800"), 1 } };  /* M = 9 800 */
  static const gint64 w[3] = { 1, 2, 7 };
  CmFen m;
  CmE4 rw;

  cr_assert (cm_catalogue_weighted_mean_fen (g, w, 3, CM_MEAN_CASES, &m));
  EXPECT_FEN (m, "11822.92", "§6 case-weighted mean");
  cr_assert (cm_catalogue_weighted_ratio_e4 (g, m_all, w, 3, CM_MEAN_CASES, 1000, &rw));
  EXPECT_E4 (rw, "1206.4201", "§6 case-weighted RW (1206.42)");
}

/* ==================================================================== */
/* drg-payment.md §3 base rate, §4 standard                               */

typedef struct {
  const char *id;
  const char *budget, *share, *weight;
  const char *want;
} RateRow;

static RateRow rate_rows[] = {
  { "RATE-1 drg-payment.md §3", "600000000.00", "0.65", "80000", "11538.46" },
  { "RATE-2 drg-payment.md §3", "250000000.00", "0.70", "30500", "11709.60" },
};

ParameterizedTestParameters (pay_vectors, drg_rate)
{
  return cr_make_param_array (RateRow, rate_rows, G_N_ELEMENTS (rate_rows));
}

ParameterizedTest (RateRow *row, pay_vectors, drg_rate)
{
  CmFen got;
  cr_assert (cm_price_drg_rate_fen (Y (row->budget), E (row->share), E (row->weight), &got));
  EXPECT_FEN (got, row->want, row->id);
}

typedef struct {
  const char *id;
  const char *rate, *weight, *coef;
  const char *want;
} StdRow;

static StdRow std_rows[] = {
  { "STD-1 drg-payment.md §4", "11538.46", "0.8536", "1.0000", "9849.23" },
  { "STD-2 drg-payment.md §4", "11538.46", "4.0147", "1.0500", "48639.63" },
  { "STD-2 level-free drg-payment.md §4", "11538.46", "4.0147", "1.0000", "46323.46" },
};

ParameterizedTestParameters (pay_vectors, drg_standard)
{
  return cr_make_param_array (StdRow, std_rows, G_N_ELEMENTS (std_rows));
}

ParameterizedTest (StdRow *row, pay_vectors, drg_standard)
{
  CmFen got;
  cr_assert (cm_price_drg_standard_fen (Y (row->rate), E (row->weight), E (row->coef), &got));
  EXPECT_FEN (got, row->want, row->id);
}

/* ==================================================================== */
/* drg-payment.md §5 classification and case payment                      */

typedef struct {
  const char *id;
  const char *weight, *std, *ref, *cost;
  CmLowPay low_pay;
  CmHighPay high_pay;
  const char *beta;
  gboolean low_inclusive, high_inclusive;
  CmCaseClass want_class;
  const char *want_pay;
} DrgCaseRow;

static DrgCaseRow drg_case_rows[] = {
  { "CASE-N drg-payment.md §5.3", "0.8536", "9849.23", "9849.23", "12000.00",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_NORMAL, "9849.23" },
  { "CASE-H1 drg-payment.md §5.3", "0.8536", "9849.23", "9849.23", "32000.00",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_HIGH, "12301.54" },
  { "CASE-H1 points formula drg-payment.md §5.3", "0.8536", "9849.23", "9849.23", "32000.00",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_POINTS, "1.0", FALSE, FALSE, CM_CASE_HIGH, "12301.54" },
  { "CASE-H2 drg-payment.md §5.3", "4.0147", "48639.63", "46323.46", "80000.00",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "0.8", FALSE, FALSE, CM_CASE_HIGH, "57051.48" },
  { "CASE-H2 points formula drg-payment.md §5.3", "4.0147", "48639.63", "46323.46", "80000.00",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_POINTS, "0.8", FALSE, FALSE, CM_CASE_HIGH, "59680.18" },
  { "CASE-L1 drg-payment.md §5.3", "0.8536", "9849.23", "9849.23", "3500.00",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_LOW, "3500.00" },
  { "CASE-L2 low side drg-payment.md §5.3", "0.8536", "9849.23", "9849.23", "3939.69",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_LOW, "3939.69" },
  { "CASE-L2 normal side drg-payment.md §5.3", "0.8536", "9849.23", "9849.23", "3939.70",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_NORMAL, "9849.23" },
  { "CASE-L3 FFS drg-payment.md §5.3", "4.0147", "48639.63", "46323.46", "17000.00",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_LOW, "17000.00" },
  { "CASE-L3 PRORATA drg-payment.md §5.3", "4.0147", "48639.63", "46323.46", "17000.00",
    CM_LOW_PAY_PRORATA, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_LOW, "17850.00" },
  { "CASE-L3 MIN drg-payment.md §5.2", "4.0147", "48639.63", "46323.46", "17000.00",
    CM_LOW_PAY_MIN, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_LOW, "17000.00" },
  /* one fen either side of 3 × 9 849.23 = 29 547.69 (§5.1 `>` vs `≥`) */
  { "high threshold, equal, strict drg-payment.md §5.1", "0.8536", "9849.23", "9849.23", "29547.69",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_NORMAL, "9849.23" },
  { "high threshold +1 fen drg-payment.md §5.1", "0.8536", "9849.23", "9849.23", "29547.70",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_HIGH, "9849.24" },
  { "high threshold, equal, inclusive drg-payment.md §5.1", "0.8536", "9849.23", "9849.23", "29547.69",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, TRUE, CM_CASE_HIGH, "9849.23" },
  { "high threshold -1 fen, inclusive drg-payment.md §5.1", "0.8536", "9849.23", "9849.23", "29547.68",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, TRUE, CM_CASE_NORMAL, "9849.23" },
  /* the low threshold 0.4 × 9 849.23 = 3 939.692 is never a whole fen:
   * ≤ and < agree; an exact threshold: ref 10 000.00 → 4 000.00 */
  { "low threshold, equal, strict drg-payment.md §5.1", "0.8536", "10000.00", "10000.00", "4000.00",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_NORMAL, "10000.00" },
  { "low threshold, equal, inclusive drg-payment.md §5.1", "0.8536", "10000.00", "10000.00", "4000.00",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", TRUE, FALSE, CM_CASE_LOW, "4000.00" },
  { "low threshold -1 fen drg-payment.md §5.1", "0.8536", "10000.00", "10000.00", "3999.99",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_LOW, "3999.99" },
  /* weight tiers: RW 1.0000 → k 3; 1.0001 → k 2; 2.0001 → k 1.5 */
  { "tier RW 1.0000 (k 3) drg-payment.md §5.1", "1.0000", "10000.00", "10000.00", "25000.00",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_NORMAL, "10000.00" },
  { "tier RW 1.0001 (k 2) drg-payment.md §5.1", "1.0001", "10000.00", "10000.00", "25000.00",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_HIGH, "15000.00" },
  { "tier RW 2.0001 (k 1.5) drg-payment.md §5.1", "2.0001", "10000.00", "10000.00", "15000.01",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_HIGH, "10000.01" },
  /* zero cost: low, FFS pays nothing */
  { "zero cost", "0.8536", "9849.23", "9849.23", "0.00",
    CM_LOW_PAY_FFS, CM_HIGH_PAY_ADDON, "1.0", FALSE, FALSE, CM_CASE_LOW, "0.00" },
};

ParameterizedTestParameters (pay_vectors, drg_case)
{
  return cr_make_param_array (DrgCaseRow, drg_case_rows, G_N_ELEMENTS (drg_case_rows));
}

ParameterizedTest (DrgCaseRow *row, pay_vectors, drg_case)
{
  CmDrgOutlierRule rule;
  CmCaseClass cls;
  CmFen pay;

  cm_drg_outlier_rule_init (&rule);
  rule.low_pay = row->low_pay;
  rule.high_pay = row->high_pay;
  rule.high_beta_e4 = E (row->beta);
  rule.low_inclusive = row->low_inclusive;
  rule.high_inclusive = row->high_inclusive;
  cr_assert (cm_price_drg_case (&rule, E (row->weight), Y (row->std), Y (row->ref),
                                Y (row->cost), &cls, &pay), "%s", row->id);
  cr_expect_eq (cls, row->want_class, "%s: class %s, want %s", row->id,
                cm_case_class_name (cls), cm_case_class_name (row->want_class));
  EXPECT_FEN (pay, row->want_pay, row->id);
}

Test (pay_vectors, drg_addon_equals_points_and_prorata_equals_ffs_when_ref_is_std)
{
  /* drg-payment.md §5.2 "Identity worth a unit test" */
  CmDrgOutlierRule a, p;
  static const char *const costs[] = { "29547.70", "32000.00", "50000.01", "123456.78",
                                       "3939.69", "100.00", "0.01" };

  cm_drg_outlier_rule_init (&a);
  p = a;
  p.high_pay = CM_HIGH_PAY_POINTS;
  p.low_pay = CM_LOW_PAY_PRORATA;
  for (guint i = 0; i < G_N_ELEMENTS (costs); i++)
    {
      CmCaseClass c1, c2;
      CmFen x, y;
      cr_assert (cm_price_drg_case (&a, E ("0.8536"), Y ("9849.23"), Y ("9849.23"),
                                    Y (costs[i]), &c1, &x));
      cr_assert (cm_price_drg_case (&p, E ("0.8536"), Y ("9849.23"), Y ("9849.23"),
                                    Y (costs[i]), &c2, &y));
      cr_expect_eq (c1, c2, "cost %s", costs[i]);
      cr_expect_eq (x, y, "cost %s: %" G_GINT64_FORMAT " vs %" G_GINT64_FORMAT,
                    costs[i], x, y);
    }
}

/* ==================================================================== */
/* drg-payment.md §6 fund share, dip.md §8, per-diem.md FUND-1            */

typedef struct {
  const char *id;
  CmFundShareMethod method;
  const char *pay, *patient, *other, *fund_ffs, *cost;
  const char *want_fund;
  const char *want_income;   /* patient + other + fund */
} FundRow;

static FundRow fund_rows[] = {
  { "FUND-1 DIFFERENCE drg-payment.md §6", CM_FUND_SHARE_DIFFERENCE,
    "9849.23", "3100.00", "0.00", "8900.00", "12000.00", "6749.23", "9849.23" },
  { "FUND-2 RATIO drg-payment.md §6", CM_FUND_SHARE_RATIO,
    "9849.23", "3100.00", "0.00", "8900.00", "12000.00", "7304.85", "10404.85" },
  { "PAY-1 fund dip.md §8", CM_FUND_SHARE_DIFFERENCE,
    "9262.33", "4200.00", "0.00", "0.00", "14000.00", "5062.33", "9262.33" },
  { "per-diem FUND-1 per-diem.md §3", CM_FUND_SHARE_DIFFERENCE,
    "11700.00", "2480.00", "0.00", "9920.00", "12400.00", "9220.00", "11700.00" },
  { "burden above pay: fund floored at 0 (README convention 3)", CM_FUND_SHARE_DIFFERENCE,
    "3000.00", "3100.00", "0.00", "0.00", "3500.00", "0.00", "3100.00" },
  { "other payers inside pay", CM_FUND_SHARE_DIFFERENCE,
    "9849.23", "3100.00", "500.00", "8400.00", "12000.00", "6249.23", "9849.23" },
  { "RATIO with zero cost", CM_FUND_SHARE_RATIO,
    "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00" },
};

ParameterizedTestParameters (pay_vectors, fund_share)
{
  return cr_make_param_array (FundRow, fund_rows, G_N_ELEMENTS (fund_rows));
}

ParameterizedTest (FundRow *row, pay_vectors, fund_share)
{
  CmFundShareRule rule = { row->method, TRUE };
  CmFen fund;

  cr_assert (cm_price_fund_share (&rule, Y (row->pay), Y (row->patient), Y (row->other),
                                  Y (row->fund_ffs), Y (row->cost), &fund));
  EXPECT_FEN (fund, row->want_fund, row->id);
  EXPECT_FEN (Y (row->patient) + Y (row->other) + fund, row->want_income, row->id);
}

Test (pay_vectors, fund_1_hospital_loss_identity)
{
  /* FUND-1: loss = pay − cost = −2 150.77 = fund − FFS fund */
  CmFundShareRule rule = { CM_FUND_SHARE_DIFFERENCE, TRUE };
  CmFen fund;

  cr_assert (cm_price_fund_share (&rule, Y ("9849.23"), Y ("3100.00"), 0, Y ("8900.00"),
                                  Y ("12000.00"), &fund));
  EXPECT_FEN (Y ("9849.23") - Y ("12000.00"), "-2150.77", "FUND-1 pay − cost");
  EXPECT_FEN (fund - Y ("8900.00"), "-2150.77", "FUND-1 fund − FFS fund");
  /* FUND-2: the two methods differ by 555.62 on one case */
  cr_assert (cm_price_fund_share (&(CmFundShareRule) { CM_FUND_SHARE_RATIO, TRUE },
                                  Y ("9849.23"), Y ("3100.00"), 0, Y ("8900.00"),
                                  Y ("12000.00"), &fund));
  EXPECT_FEN (fund - Y ("6749.23"), "555.62", "FUND-2 difference");
}

/* ==================================================================== */
/* Points and point values: drg-payment.md §7, dip.md §5, §6, §8, §9       */

typedef struct {
  const char *id;
  const char *money, *share, *points;
  const char *want;      /* PV, 4 dp */
} PvRow;

static PvRow pv_rows[] = {
  { "PTS-1 PV drg-payment.md §7", "680000000.00", "1", "6000000", "113.3333" },
  { "PTS-2 PV drg-payment.md §7", "680000000.00", "1", "6300000", "107.9365" },
  { "PV-1 budget, P_hist 240 000 000 dip.md §5", "2320000000.00", "1", "240000000", "9.6667" },
  { "PV-1 budget, P_hist 250 000 000 dip.md §5", "2320000000.00", "1", "250000000", "9.2800" },
  { "PV-2 settlement dip.md §5", "1500000000.00", "0.62", "245000000", "9.8749" },
  { "PV-3 employee dip.md §5", "800000000.00", "0.72", "100000000", "11.1111" },
  { "PV-3 resident dip.md §5", "700000000.00", "0.58", "140000000", "8.6207" },
  { "§6 year-start PV dip-catalogue-building.md (9.52)", "1200000000.00", "1", "126000000", "9.5238" },
  { "§6 settlement PV dip-catalogue-building.md (9.41)", "800000000.00", "0.68", "125000000", "9.4118" },
};

ParameterizedTestParameters (pay_vectors, point_value)
{
  return cr_make_param_array (PvRow, pv_rows, G_N_ELEMENTS (pv_rows));
}

ParameterizedTest (PvRow *row, pay_vectors, point_value)
{
  CmE4 got;
  cr_assert (cm_price_point_value_e4 (Y (row->money), E (row->share), E (row->points), &got),
             "%s", row->id);
  EXPECT_E4 (got, row->want, row->id);
}

Test (pay_vectors, pv_1_weighted_cost)
{
  /* PV-1: costs 2.0 / 2.2 / 2.4 billion, 1:2:7 → C_w = 2.32 billion */
  CmYearStat c[3] = { { Y ("2000000000"), 1 }, { Y ("2200000000"), 1 },
                      { Y ("2400000000"), 1 } };
  static const gint64 w[3] = { 1, 2, 7 };
  CmFen cw;
  CmE4 pv;

  cr_assert (cm_catalogue_weighted_mean_fen (c, w, 3, CM_MEAN_YEARLY, &cw));
  EXPECT_FEN (cw, "2320000000.00", "PV-1 C_w");
  cr_assert (cm_price_point_value_e4 (cw, CM_E4_ONE, E ("240000000"), &pv));
  EXPECT_E4 (pv, "9.6667", "PV-1");
}

typedef struct {
  const char *id;
  const char *points, *pv, *coef;
  const char *want;
} PointsPayRow;

static PointsPayRow points_pay_rows[] = {
  { "PTS-1 pay drg-payment.md §7", "87.0672", "113.3333", "1", "9867.61" },
  { "PTS-2 pay drg-payment.md §7", "87.0672", "107.9365", "1", "9397.73" },
  { "STD-1 dip.md §6", "568.4647", "9.8749", "1.00", "5613.53" },
  { "STD-2 dip.md §6", "3153.5270", "9.8749", "1.10", "34254.84" },
  { "PAY-1 dip.md §8", "852.6971", "9.8749", "1.10", "9262.33" },
  { "PAY-2 dip.md §8", "213.1743", "9.8749", "1.00", "2105.07" },
  { "§6 standard K35.3+47.0100 dip-catalogue-building.md", "1204.0816", "9.5", "1", "11438.78" },
  { "§6 tertiary standard dip-catalogue-building.md", "1300.4081", "9.5", "1", "12353.88" },
  { "§6 low case pay dip-catalogue-building.md", "526.3157", "9.5", "1", "5000.00" },
  { "§6 high case pay dip-catalogue-building.md", "1857.4859", "9.5", "1", "17646.12" },
};

ParameterizedTestParameters (pay_vectors, points_pay)
{
  return cr_make_param_array (PointsPayRow, points_pay_rows, G_N_ELEMENTS (points_pay_rows));
}

ParameterizedTest (PointsPayRow *row, pay_vectors, points_pay)
{
  CmFen got;
  cr_assert (cm_price_points_pay_fen (E (row->points), E (row->pv), E (row->coef), &got));
  EXPECT_FEN (got, row->want, row->id);
}

Test (pay_vectors, pts_case_points)
{
  /* PTS-1: base points RW × 100 = 85.36, d = 1.02 → 87.0672 */
  CmE4 pts;
  cr_assert (cm_price_drg_case_points_e4 (E ("0.8536"), E ("100"), E ("1.02"), &pts));
  EXPECT_E4 (pts, "87.0672", "PTS-1 case points");
  cr_assert (cm_price_drg_case_points_e4 (E ("0.8536"), E ("100"), E ("1"), &pts));
  EXPECT_E4 (pts, "85.3600", "PTS-1 base points");
}

typedef struct {
  const char *id;
  const char *score, *coef;
  const char *want;
} SubtypeRow;

static SubtypeRow subtype_rows[] = {
  { "AUX-1 dip.md §4", "568.4647", "1.2500", "710.5809" },
  { "AUX-2 dip.md §4", "568.4647", "0.9000", "511.6182" },
  { "§6 tertiary case score dip-catalogue-building.md", "1204.0816", "1.08", "1300.4081" },
};

ParameterizedTestParameters (pay_vectors, subtype_score)
{
  return cr_make_param_array (SubtypeRow, subtype_rows, G_N_ELEMENTS (subtype_rows));
}

ParameterizedTest (SubtypeRow *row, pay_vectors, subtype_score)
{
  CmE4 got;
  cr_assert (cm_price_dip_subtype_score_e4 (E (row->score), E (row->coef), &got));
  EXPECT_E4 (got, row->want, row->id);
}

Test (pay_vectors, aux_subtype_coefficients)
{
  /* AUX-1: 6 850 / 5 480 = 1.2500; AUX-2: 4 932 / 5 480 = 0.9000 (round4) */
  CmYearStat sub1 = { Y ("6850"), 1 }, sub2 = { Y ("4932"), 1 }, comb = { Y ("5480"), 1 };
  static const gint64 w[1] = { 1 };
  CmE4 c;

  cr_assert (cm_catalogue_weighted_ratio_e4 (&sub1, &comb, w, 1, CM_MEAN_YEARLY, 1, &c));
  EXPECT_E4 (c, "1.2500", "AUX-1 coef_sub");
  cr_assert (cm_catalogue_weighted_ratio_e4 (&sub2, &comb, w, 1, CM_MEAN_YEARLY, 1, &c));
  EXPECT_E4 (c, "0.9000", "AUX-2 coef_sub");
}

typedef struct {
  const char *id;
  const char *points, *pv;
  const char *want;
} AnnRow;

static AnnRow ann_rows[] = {
  { "ANN-1 dip.md §9", "1250000.5000", "9.8749", "12343629.94" },
  { "ANN-2 employee dip.md §9", "500000.0000", "11.1111", "5555550.00" },
  { "ANN-2 resident dip.md §9", "750000.5000", "8.6207", "6465529.31" },
};

ParameterizedTestParameters (pay_vectors, hospital_total)
{
  return cr_make_param_array (AnnRow, ann_rows, G_N_ELEMENTS (ann_rows));
}

ParameterizedTest (AnnRow *row, pay_vectors, hospital_total)
{
  CmFen got;
  cr_assert (cm_price_dip_hospital_total_fen (E (row->points), E (row->pv), &got));
  EXPECT_FEN (got, row->want, row->id);
}

Test (pay_vectors, ann_totals)
{
  CmFen a, e, r;

  /* ANN-1: fund before deductions = 12 343 629.94 − 3 980 000.00 */
  cr_assert (cm_price_dip_hospital_total_fen (E ("1250000.5000"), E ("9.8749"), &a));
  EXPECT_FEN (a - Y ("3980000.00"), "8363629.94", "ANN-1 fund / CLR-3");
  /* ANN-2: each pool rounded separately, then added */
  cr_assert (cm_price_dip_hospital_total_fen (E ("500000.0000"), E ("11.1111"), &e));
  cr_assert (cm_price_dip_hospital_total_fen (E ("750000.5000"), E ("8.6207"), &r));
  EXPECT_FEN (e + r, "12021079.31", "ANN-2 hospital total");
}

/* ==================================================================== */
/* dip.md §7 deviation cases                                              */

typedef struct {
  const char *id;
  const char *cost;
  gboolean low_inclusive, high_inclusive;
  CmDipHighFormula formula;
  CmDipExtremePay extreme;
  CmCaseClass want_class;
  const char *want_score;
} DevRow;

static DevRow dev_rows[] = {
  { "DEV-1 dip.md §7", "2100.00", FALSE, FALSE, CM_DIP_HIGH_NATIONAL, CM_DIP_EXTREME_FORMULA,
    CM_CASE_LOW, "213.1743" },
  { "DEV-2 dip.md §7", "14000.00", FALSE, FALSE, CM_DIP_HIGH_NATIONAL, CM_DIP_EXTREME_FORMULA,
    CM_CASE_HIGH, "852.6971" },
  { "DEV-3 `<` dip.md §7", "2800.00", FALSE, FALSE, CM_DIP_HIGH_NATIONAL, CM_DIP_EXTREME_FORMULA,
    CM_CASE_NORMAL, "568.4647" },
  { "DEV-3 `≤` dip.md §7", "2800.00", TRUE, FALSE, CM_DIP_HIGH_NATIONAL, CM_DIP_EXTREME_FORMULA,
    CM_CASE_LOW, "284.2324" },
  { "DEV-3 -1 fen dip.md §7", "2799.99", FALSE, FALSE, CM_DIP_HIGH_NATIONAL, CM_DIP_EXTREME_FORMULA,
    CM_CASE_LOW, "284.2313" },
  { "DEV-4 `>` dip.md §7", "11200.00", FALSE, FALSE, CM_DIP_HIGH_NATIONAL, CM_DIP_EXTREME_FORMULA,
    CM_CASE_NORMAL, "568.4647" },
  { "DEV-4 `≥` (same money) dip.md §7", "11200.00", FALSE, TRUE, CM_DIP_HIGH_NATIONAL,
    CM_DIP_EXTREME_FORMULA, CM_CASE_HIGH, "568.4647" },
  { "DEV-4 +1 fen dip.md §7", "11200.01", FALSE, FALSE, CM_DIP_HIGH_NATIONAL, CM_DIP_EXTREME_FORMULA,
    CM_CASE_HIGH, "568.4657" },
  { "DEV-5 national, review dip.md §7", "30800.00", FALSE, FALSE, CM_DIP_HIGH_NATIONAL,
    CM_DIP_EXTREME_FORMULA, CM_CASE_EXTREME, "2558.0912" },
  { "DEV-5 济宁 pays normal pending review dip.md §7", "30800.00", TRUE, FALSE, CM_DIP_HIGH_JINING,
    CM_DIP_EXTREME_NORMAL, CM_CASE_EXTREME, "568.4647" },
  { "DEV-6 dip.md §7", "8000.00", FALSE, FALSE, CM_DIP_HIGH_NATIONAL, CM_DIP_EXTREME_FORMULA,
    CM_CASE_NORMAL, "568.4647" },
  { "济宁 high band, c 1: r − 2 + c = r − 1 dip.md §7", "14000.00", TRUE, FALSE,
    CM_DIP_HIGH_JINING, CM_DIP_EXTREME_NORMAL, CM_CASE_HIGH, "852.6971" },
};

ParameterizedTestParameters (pay_vectors, dip_deviation)
{
  return cr_make_param_array (DevRow, dev_rows, G_N_ELEMENTS (dev_rows));
}

ParameterizedTest (DevRow *row, pay_vectors, dip_deviation)
{
  CmDipDeviationRule rule;
  CmCaseClass cls;
  CmE4 score;

  cm_dip_deviation_rule_init (&rule);
  rule.low_inclusive = row->low_inclusive;
  rule.high_inclusive = row->high_inclusive;
  rule.high_formula = row->formula;
  rule.extreme_pay = row->extreme;
  cr_assert (cm_price_dip_case_score (&rule, E ("568.4647"), CM_E4_ONE, Y ("5600.00"),
                                      Y ("5600.00"), Y (row->cost), &cls, &score, NULL),
             "%s", row->id);
  cr_expect_eq (cls, row->want_class, "%s: class %s, want %s", row->id,
                cm_case_class_name (cls), cm_case_class_name (row->want_class));
  EXPECT_E4 (score, row->want_score, row->id);
}

Test (pay_vectors, jining_coefficient_inside_the_factor)
{
  /* 济宁: r − 2 + c_hosp with c 1.10: 568.4647 × (2.5 − 2 + 1.1) = 909.5435 */
  CmDipDeviationRule rule;
  CmCaseClass cls;
  CmE4 score;
  gboolean inside = FALSE;

  cm_dip_deviation_rule_init (&rule);
  rule.high_formula = CM_DIP_HIGH_JINING;
  cr_assert (cm_price_dip_case_score (&rule, E ("568.4647"), E ("1.10"), Y ("5600.00"),
                                      Y ("5600.00"), Y ("14000.00"), &cls, &score, &inside));
  cr_expect_eq (cls, CM_CASE_HIGH);
  cr_expect (inside, "the coefficient is inside the case score");
  EXPECT_E4 (score, "909.5435", "济宁 high with c 1.10");
}

Test (pay_vectors, catalogue_example_deviation_against_the_standard)
{
  /* dip-catalogue-building.md §6 (S3 §5.3 variant): classify and price
   * against the tertiary standard 12 353.88; NP's rule above 200 %. */
  CmDipDeviationRule rule;
  CmCaseClass cls;
  CmE4 score;
  CmFen pay;

  cm_dip_deviation_rule_init (&rule);
  rule.classify_ref = rule.price_ref = CM_DIP_REF_STD;
  cr_assert (cm_price_dip_case_score (&rule, E ("1300.4081"), E ("1.08"), Y ("12353.88"),
                                      Y ("12353.88"), Y ("5000.00"), &cls, &score, NULL));
  cr_expect_eq (cls, CM_CASE_LOW);
  EXPECT_E4 (score, "526.3157", "§6 low case score");
  cr_assert (cm_price_points_pay_fen (score, E ("9.5"), CM_E4_ONE, &pay));
  EXPECT_FEN (pay, "5000.00", "§6 low case pay");
  cr_assert (cm_price_dip_case_score (&rule, E ("1300.4081"), E ("1.08"), Y ("12353.88"),
                                      Y ("12353.88"), Y ("30000.00"), &cls, &score, NULL));
  cr_expect_eq (cls, CM_CASE_HIGH);
  EXPECT_E4 (score, "1857.4859", "§6 high case score");
  cr_assert (cm_price_points_pay_fen (score, E ("9.5"), CM_E4_ONE, &pay));
  EXPECT_FEN (pay, "17646.12", "§6 high case pay");
}

/* ==================================================================== */
/* per-diem.md §3                                                         */

static CmPerDiemRule
psych_rule (void)
{
  /* psychiatric tertiary 260.00/day, segments 1–60: 1.00, 61–90: 0.90,
   * ≥ 91: 0.80, floor 0.70 */
  CmPerDiemRule r;
  cm_per_diem_rule_init (&r, CM_PER_DIEM_PSYCH);
  r.rate_fen[3] = Y ("260.00");
  r.n_segments = 3;
  r.segments[0] = (CmPerDiemSegment) { 60, E ("1.00"), { -1, -1, -1, -1 } };
  r.segments[1] = (CmPerDiemSegment) { 90, E ("0.90"), { -1, -1, -1, -1 } };
  r.segments[2] = (CmPerDiemSegment) { 0, E ("0.80"), { -1, -1, -1, -1 } };
  r.floor_ratio_e4 = E ("0.70");
  return r;
}

static CmPerDiemRule
hospice_rule (CmExtraDays extra)
{
  /* hospice tertiary 400.00/day, episode cap 60 days, extra days FFS */
  CmPerDiemRule r;
  cm_per_diem_rule_init (&r, CM_PER_DIEM_HOSPICE);
  r.rate_fen[3] = Y ("400.00");
  r.cap_days_episode = 60;
  r.extra_days = extra;
  r.floor_ratio_e4 = 0;
  return r;
}

static CmPerDiemRule
rehab_rule (void)
{
  /* rehabilitation stage rates 380.00 (days 1–30) and 300.00 (31–60) */
  CmPerDiemRule r;
  cm_per_diem_rule_init (&r, CM_PER_DIEM_REHAB);
  r.n_segments = 2;
  r.segments[0] = (CmPerDiemSegment) { 30, CM_E4_ONE, { -1, -1, -1, Y ("380.00") } };
  r.segments[1] = (CmPerDiemSegment) { 60, CM_E4_ONE, { -1, -1, -1, Y ("300.00") } };
  r.cap_days_episode = 60;
  r.floor_ratio_e4 = 0;
  return r;
}

typedef struct {
  const char *id;
  int rule;                /* 0 psych, 1 hospice FFS, 2 hospice REVIEW, 3 hospice UNPAID, 4 rehab */
  gint32 los;
  const char *cost;
  const char *extra_charges;   /* NULL = pro rata */
  const char *want_std;
  const char *want_pay;
  gboolean want_floor, want_review;
} PerDiemRow;

static PerDiemRow per_diem_rows[] = {
  { "PSY-1 per-diem.md §3", 0, 45, "12400.00", NULL, "11700.00", "11700.00", FALSE, FALSE },
  { "PSY-2 per-diem.md §3", 0, 100, "30000.00", NULL, "24700.00", "24700.00", FALSE, FALSE },
  { "PSY-3 floor per-diem.md §3", 0, 20, "3000.00", NULL, "5200.00", "3000.00", TRUE, FALSE },
  { "PSY-3 floor -1 fen per-diem.md §2", 0, 20, "3639.99", NULL, "5200.00", "3639.99", TRUE, FALSE },
  { "PSY-3 floor equal per-diem.md §2", 0, 20, "3640.00", NULL, "5200.00", "5200.00", FALSE, FALSE },
  { "HOS-1 FFS extra days per-diem.md §3", 1, 75, "35000.00", "5100.00", "24000.00", "29100.00", FALSE, FALSE },
  { "HOS-1 REVIEW per-diem.md §3", 2, 75, "35000.00", "5100.00", "24000.00", "24000.00", FALSE, TRUE },
  { "HOS-1 UNPAID per-diem.md §3", 3, 75, "35000.00", "5100.00", "24000.00", "24000.00", FALSE, FALSE },
  { "HOS-1 pro rata charges [A]", 1, 75, "30000.00", NULL, "24000.00", "30000.00", FALSE, FALSE },
  { "HOS-2 per-diem.md §3", 1, 50, "21000.00", NULL, "20000.00", "20000.00", FALSE, FALSE },
  { "REH-1 per-diem.md §3", 4, 42, "16000.00", NULL, "15000.00", "15000.00", FALSE, FALSE },
  { "segment boundary day 60 per-diem.md §2", 0, 60, "20000.00", NULL, "15600.00", "15600.00", FALSE, FALSE },
  { "segment boundary day 61 per-diem.md §2", 0, 61, "20000.00", NULL, "15834.00", "15834.00", FALSE, FALSE },
};

ParameterizedTestParameters (pay_vectors, per_diem)
{
  return cr_make_param_array (PerDiemRow, per_diem_rows, G_N_ELEMENTS (per_diem_rows));
}

ParameterizedTest (PerDiemRow *row, pay_vectors, per_diem)
{
  CmPerDiemRule r;
  CmPerDiemPay pd;

  switch (row->rule)
    {
    case 0: r = psych_rule (); break;
    case 1: r = hospice_rule (CM_EXTRA_DAYS_FFS); break;
    case 2: r = hospice_rule (CM_EXTRA_DAYS_REVIEW); break;
    case 3: r = hospice_rule (CM_EXTRA_DAYS_UNPAID); break;
    default: r = rehab_rule (); break;
    }
  cr_assert (cm_price_per_diem (&r, 3, row->los, Y (row->cost),
                                row->extra_charges ? Y (row->extra_charges) : -1, &pd),
             "%s", row->id);
  EXPECT_FEN (pd.standard_fen, row->want_std, row->id);
  EXPECT_FEN (pd.pay_fen, row->want_pay, row->id);
  cr_expect_eq (pd.floor_applied, row->want_floor, "%s: floor", row->id);
  cr_expect_eq (pd.review, row->want_review, "%s: review", row->id);
}

Test (pay_vectors, los_days)
{
  gint32 a, d;

  /* LOS-1: 2026-03-01 → 2026-04-15 = 45 days */
  cr_assert (cm_date_parse ("2026-03-01", &a) && cm_date_parse ("2026-04-15", &d));
  cr_expect_eq (cm_price_los_days (a, d), 45, "LOS-1");
  /* LOS-2: same day → 1; overnight → 1 (README convention 5) */
  cr_assert (cm_date_parse ("2026-06-10", &a) && cm_date_parse ("2026-06-11", &d));
  cr_expect_eq (cm_price_los_days (a, a), 1, "LOS-2 same day");
  cr_expect_eq (cm_price_los_days (a, d), 1, "LOS-2 overnight");
  /* HOS-1: 2026-01-05 → 2026-03-21 = 75 */
  cr_assert (cm_date_parse ("2026-01-05", &a) && cm_date_parse ("2026-03-21", &d));
  cr_expect_eq (cm_price_los_days (a, d), 75, "HOS-1 LOS");
}

typedef struct {
  const char *id;
  gint32 first, last;
  const char *want;
} InterimRow;

static InterimRow interim_rows[] = {
  { "INT-1 January (days 1–12) per-diem.md §3", 1, 12, "3120.00" },
  { "INT-1 February (days 13–40) per-diem.md §3", 13, 40, "7280.00" },
  { "INT-1 March (days 41–49) per-diem.md §3", 41, 49, "2340.00" },
  { "INT-1 whole stay per-diem.md §3", 1, 49, "12740.00" },
  { "INT-2 January (days 1–31) per-diem.md §3", 1, 31, "8060.00" },
  { "INT-2 February (days 32–59) per-diem.md §3", 32, 59, "7280.00" },
  { "INT-2 March (days 60–73) per-diem.md §3", 60, 73, "3302.00" },
  { "INT-2 whole stay per-diem.md §3", 1, 73, "18642.00" },
  { "empty statement", 10, 9, "0.00" },
};

ParameterizedTestParameters (pay_vectors, per_diem_interim)
{
  return cr_make_param_array (InterimRow, interim_rows, G_N_ELEMENTS (interim_rows));
}

ParameterizedTest (InterimRow *row, pay_vectors, per_diem_interim)
{
  CmPerDiemRule r = psych_rule ();
  CmFen got;

  cr_assert (cm_price_per_diem_days_fen (&r, 3, row->first, row->last, &got), "%s", row->id);
  EXPECT_FEN (got, row->want, row->id);
}

Test (pay_vectors, per_diem_fixed_copayment)
{
  /* per-diem FUND-2: the patient pays 10 % of the standard 11 700.00 */
  CmFen patient, fund;
  CmFundShareRule rule = { CM_FUND_SHARE_DIFFERENCE, TRUE };

  cr_assert (cm_fen_mul_ratio (Y ("11700.00"), E ("0.10"), CM_E4_ONE, &patient));
  EXPECT_FEN (patient, "1170.00", "FUND-2 patient");
  cr_assert (cm_price_fund_share (&rule, Y ("11700.00"), patient, 0, 0, Y ("12400.00"), &fund));
  EXPECT_FEN (fund, "10530.00", "FUND-2 fund");
}
