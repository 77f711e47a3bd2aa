/* test-pay-price.c — pricing whole episodes through a policy: the worked
 * examples end to end, scheme switch on the discharge date and the shadow
 * scheme, money conservation on every priced episode of sample-20k, the
 * catalogue builder, and the `casemix price` / `casemix catalogue build`
 * commands.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <glib/gstdio.h>
#include "test-common.h"
#include "cm-money.h"
#include "cm-price.h"
#include "cm-policy.h"
#include "cm-catalogue.h"

#define HEADER \
  "episode_id,patient_id,hospital_id,hospital_level,county_id,insurance_type," \
  "insured_region,sex,age_years,age_days,birth_weight_g,admit_date,discharge_date," \
  "los_days,dept,discharge_status,icu_hours,diagnoses,procedures,total_cost," \
  "out_of_catalogue_cost,patient_copay,fund_paid_ffs,per_diem_category"

static CmPolicy *
load_test_policy (const char *name)
{
  g_autofree char *rel = g_build_filename ("pay", name, NULL);
  g_autofree char *dir = test_data_path (rel);
  g_autoptr (GError) error = NULL;
  CmPolicy *p = cm_policy_load (dir, &error);
  cr_assert_not_null (p, "%s: %s", name, error ? error->message : "?");
  return p;
}

static CmFen
Y (const char *yuan)
{
  CmFen v;
  cr_assert (cm_scaled_parse (yuan, 2, -CM_FEN_MAX, CM_FEN_MAX, &v, NULL), "%s", yuan);
  return v;
}

static char *
yuan (CmFen v)
{
  char buf[CM_MONEY_BUF];
  cm_fen_format (v, buf);
  return g_strdup (buf);
}

/* One episode line (without the id) priced through @policy. */
typedef struct {
  const char *id;            /* example id and clause */
  const char *pack;          /* tests/data/pay/<pack> */
  const char *hospital;      /* hospital_id */
  int level;
  const char *admit, *discharge;
  const char *dx, *px;
  const char *cost, *ooc, *copay, *fund_ffs;
  const char *per_diem;
  /* expected */
  const char *scheme;
  CmPayMethod method;
  CmCaseClass cls;
  const char *pay, *fund, *profit_loss;
  const char *standard;      /* NULL: not checked */
  const char *shadow;        /* shadow scheme id, "" none */
  gboolean review;
} CaseRow;

static CaseRow case_rows[] = {
  { "CASE-N + FUND-1 drg-payment.md §5.3/§6", "drg-test", "H1", 2, "2024-03-01", "2024-03-05",
    "I21.001", "", "12000.00", "0.00", "3100.00", "8900.00", "",
    "changsha-2023", CM_PAY_METHOD_DRG, CM_CASE_NORMAL, "9849.23", "6749.23", "-2150.77",
    "9849.23", "", FALSE },
  { "CASE-H1 drg-payment.md §5.3", "drg-test", "H1", 2, "2024-03-01", "2024-03-05",
    "I21.001", "", "32000.00", "0.00", "6000.00", "26000.00", "",
    "changsha-2023", CM_PAY_METHOD_DRG, CM_CASE_HIGH, "12301.54", "6301.54", "-19698.46",
    "9849.23", "", FALSE },
  { "CASE-L2 low side drg-payment.md §5.3", "drg-test", "H1", 2, "2024-03-01", "2024-03-05",
    "I21.001", "", "3939.69", "0.00", "939.69", "3000.00", "",
    "changsha-2023", CM_PAY_METHOD_DRG, CM_CASE_LOW, "3939.69", "3000.00", "0.00",
    "9849.23", "", FALSE },
  { "CASE-L2 normal side drg-payment.md §5.3", "drg-test", "H1", 2, "2024-03-01", "2024-03-05",
    "I21.001", "", "3939.70", "0.00", "939.70", "3000.00", "",
    "changsha-2023", CM_PAY_METHOD_DRG, CM_CASE_NORMAL, "9849.23", "8909.53", "5909.53",
    "9849.23", "", FALSE },
  { "STD-2 tertiary c 1.05 drg-payment.md §4", "drg-test", "H1", 3, "2024-03-01", "2024-03-05",
    "J18.900", "", "50000.00", "0.00", "10000.00", "40000.00", "",
    "changsha-2023", CM_PAY_METHOD_DRG, CM_CASE_NORMAL, "48639.63", "38639.63", "-1360.37",
    "48639.63", "", FALSE },
  { "hospital coefficient 1.2 replaces the level's drg-payment.md §4", "drg-test", "H9", 3,
    "2024-03-01", "2024-03-05", "I21.001", "", "12000.00", "0.00", "3100.00", "8900.00", "",
    "changsha-2023", CM_PAY_METHOD_DRG, CM_CASE_NORMAL, "11819.08", "8719.08", "-180.92",
    "11819.08", "", FALSE },
  { "group coefficient 1.1 × level 1.05 drg-payment.md §4", "drg-test", "H1", 3,
    "2024-03-01", "2024-03-05", "I20.000", "", "12000.00", "0.00", "3100.00", "8900.00", "",
    "changsha-2023", CM_PAY_METHOD_DRG, CM_CASE_NORMAL, "13326.92", "10226.92", "1326.92",
    "13326.92", "", FALSE },
  { "primary-care group pays c 1 at tertiary level (同病同付) drg-payment.md §4", "drg-test",
    "H1", 3, "2024-03-01", "2024-03-05", "I63.801", "", "12000.00", "0.00", "3100.00",
    "8900.00", "", "changsha-2023", CM_PAY_METHOD_DRG, CM_CASE_NORMAL, "11538.46", "8438.46",
    "-461.54", "11538.46", "", FALSE },
  { "ungrouped: FFS × 0.7 drg-payment.md §5.2", "drg-test", "H1", 2, "2024-03-01", "2024-03-05",
    "Z99.999", "", "1000.00", "0.00", "100.00", "900.00", "",
    "changsha-2023", CM_PAY_METHOD_DRG, CM_CASE_UNGROUPED, "700.00", "600.00", "-300.00",
    NULL, "", FALSE },
  { "LOS ≥ 60 excluded: FFS drg-payment.md §1", "drg-test", "H1", 2, "2024-01-01", "2024-03-05",
    "I21.001", "", "50000.00", "1000.00", "9000.00", "40000.00", "",
    "changsha-2023", CM_PAY_METHOD_FFS, CM_CASE_EXCLUDED_LOS, "50000.00", "40000.00", "0.00",
    NULL, "", FALSE },
  { "shadow scheme in the transition window scheme-versions.md §7 ex. 2", "drg-test", "H1", 2,
    "2024-11-10", "2024-11-15", "I21.001", "", "12000.00", "0.00", "3100.00", "8900.00", "",
    "changsha-2023", CM_PAY_METHOD_DRG, CM_CASE_NORMAL, "9849.23", "6749.23", "-2150.77",
    "9849.23", "chs-drg-3.0", FALSE },
  { "key date is the discharge date scheme-versions.md §7 ex. 1", "drg-test", "H1", 3,
    "2024-12-20", "2025-01-03", "J18.900", "", "80000.00", "0.00", "20000.00", "60000.00", "",
    "chs-drg-3.0", CM_PAY_METHOD_DRG, CM_CASE_HIGH, "57051.48", "42788.61", "-17211.39",
    "48639.63", "", FALSE },
  { "CASE-L3 PRORATA, RATIO fund share drg-payment.md §5.3/§6", "drg-test", "H1", 3,
    "2025-03-01", "2025-03-05", "J18.900", "", "17000.00", "0.00", "5000.00", "12000.00", "",
    "chs-drg-3.0", CM_PAY_METHOD_DRG, CM_CASE_LOW, "17850.00", "12600.00", "600.00",
    "48639.63", "", FALSE },
  { "PTS-1 point method drg-payment.md §7", "drg-test", "H1", 2, "2026-03-01", "2026-03-05",
    "I21.001", "", "10000.00", "0.00", "2000.00", "8000.00", "",
    "chs-drg-3.0", CM_PAY_METHOD_DRG, CM_CASE_NORMAL, "9867.61", "7867.61", "-132.39",
    "9867.61", "", FALSE },
  { "PSY-1 + per-diem FUND-1 per-diem.md §3", "drg-test", "H1", 3, "2024-03-01", "2024-04-15",
    "F20.000", "", "12400.00", "0.00", "2480.00", "9920.00", "psych",
    "changsha-2023", CM_PAY_METHOD_PER_DIEM, CM_CASE_PER_DIEM, "11700.00", "9220.00", "-700.00",
    "11700.00", "", FALSE },
  { "PSY-3 floor per-diem.md §3", "drg-test", "H1", 3, "2024-03-01", "2024-03-21",
    "F20.000", "", "3000.00", "0.00", "600.00", "2400.00", "psych",
    "changsha-2023", CM_PAY_METHOD_PER_DIEM, CM_CASE_PER_DIEM_FLOOR, "3000.00", "2400.00", "0.00",
    "5200.00", "", FALSE },
  { "psych stay outside the diagnosis list goes to DRG per-diem.md §2", "drg-test", "H1", 2,
    "2024-03-01", "2024-03-05", "I21.001", "", "12000.00", "0.00", "3100.00", "8900.00", "psych",
    "changsha-2023", CM_PAY_METHOD_DRG, CM_CASE_NORMAL, "9849.23", "6749.23", "-2150.77",
    "9849.23", "", FALSE },
  { "HOS-1 extra days held for review per-diem.md §3", "drg-test", "H1", 3, "2024-01-05",
    "2024-03-20", "C34.900", "", "30000.00", "0.00", "6000.00", "24000.00", "hospice",
    "changsha-2023", CM_PAY_METHOD_PER_DIEM, CM_CASE_PER_DIEM, "24000.00", "18000.00", "-6000.00",
    "24000.00", "", TRUE },
  { "hospice under min-los, ineligible=ffs per-diem.md §2", "drg-test", "H1", 3, "2024-03-01",
    "2024-03-02", "C34.900", "", "3000.00", "0.00", "600.00", "2400.00", "hospice",
    "changsha-2023", CM_PAY_METHOD_FFS, CM_CASE_PER_DIEM_INELIGIBLE, "3000.00", "2400.00", "0.00",
    NULL, "", FALSE },
  { "no scheme before the timeline scheme-versions.md §7", "drg-test", "H1", 2, "2023-12-01",
    "2023-12-05", "I21.001", "", "1000.00", "0.00", "100.00", "900.00", "",
    "", CM_PAY_METHOD_EXCLUDED, CM_CASE_NO_SCHEME, "0.00", "0.00", "0.00", NULL, "", FALSE },
  { "no parameter set for 2027", "drg-test", "H1", 2, "2027-03-01", "2027-03-05",
    "I21.001", "", "1000.00", "0.00", "100.00", "900.00", "",
    "chs-drg-3.0", CM_PAY_METHOD_EXCLUDED, CM_CASE_NO_PARAMETERS, "0.00", "0.00", "0.00", NULL,
    "", FALSE },
  /* DIP */
  { "PAY-1 (DEV-2, tertiary) dip.md §8", "dip-test", "H1", 3, "2024-03-01", "2024-03-05",
    "I21.001", "", "14000.00", "0.00", "4200.00", "9800.00", "",
    "dip-cn-national-3.0", CM_PAY_METHOD_DIP, CM_CASE_HIGH, "9262.33", "5062.33", "-4737.67",
    "6174.89", "", FALSE },
  { "PAY-2 (DEV-1, secondary) dip.md §8", "dip-test", "H1", 2, "2024-03-01", "2024-03-05",
    "I21.001", "", "2100.00", "0.00", "400.00", "1700.00", "",
    "dip-cn-national-3.0", CM_PAY_METHOD_DIP, CM_CASE_LOW, "2105.07", "1705.07", "5.07",
    "5613.53", "", FALSE },
  { "DEV-5 extreme, flagged for review dip.md §7", "dip-test", "H1", 2, "2024-03-01",
    "2024-03-05", "I21.001", "", "30800.00", "0.00", "6000.00", "24800.00", "",
    "dip-cn-national-3.0", CM_PAY_METHOD_DIP, CM_CASE_EXTREME, "25260.89", "19260.89", "-5539.11",
    "5613.53", "", TRUE },
  { "primary-care group: c 1 at tertiary level dip.md §6", "dip-test", "H1", 3, "2024-03-01",
    "2024-03-05", "J18.900", "", "10000.00", "0.00", "2000.00", "8000.00", "",
    "dip-cn-national-3.0", CM_PAY_METHOD_DIP, CM_CASE_NORMAL, "9874.90", "7874.90", "-125.10",
    "9874.90", "", FALSE },
  { "comprehensive group pooled at chapter level dip-catalogue-building.md §4", "dip-test", "H1",
    2, "2024-03-01", "2024-03-05", "Z99.999", "", "5000.00", "0.00", "1000.00", "4000.00", "",
    "dip-cn-national-3.0", CM_PAY_METHOD_DIP, CM_CASE_NORMAL, "4937.45", "3937.45", "-62.55",
    "4937.45", "", FALSE },
  { "blank group: FFS × 0.7 dip.md §10", "dip-test", "H1", 2, "2024-03-01", "2024-03-05",
    "K35.300", "47.0100", "10000.00", "0.00", "2000.00", "8000.00", "",
    "dip-cn-national-3.0", CM_PAY_METHOD_DIP, CM_CASE_BLANK, "7000.00", "5000.00", "-3000.00",
    NULL, "", FALSE },
  { "excluded principal diagnosis: FFS GROUPING.md §5.1", "dip-test", "H1", 2, "2024-03-01",
    "2024-03-05", "Z51.100", "", "3000.00", "0.00", "600.00", "2400.00", "",
    "dip-cn-national-3.0", CM_PAY_METHOD_FFS, CM_CASE_EXCLUDED_DX, "3000.00", "2400.00", "0.00",
    NULL, "", FALSE },
};

static void
price_row (CmPolicy *policy, const CaseRow *row, const CmPriceOptions *opt,
           CmPricedCase *pc)
{
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  g_autoptr (CmPriceContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *header = g_strdup (HEADER);
  g_autofree char *line = NULL;
  gint32 a, d;
  CmEpisode ep;
  CmReject rej;

  cr_assert (cm_date_parse (row->admit, &a) && cm_date_parse (row->discharge, &d));
  line = g_strdup_printf ("T1,P1,%s,%d,430102,employee,local,1,45,,,%s,%s,%d,0304,1,0,"
                          "%s,%s,%s,%s,%s,%s,%s", row->hospital, row->level, row->admit,
                          row->discharge, MAX (1, d - a), row->dx, row->px, row->cost,
                          row->ooc, row->copay, row->fund_ffs, row->per_diem);
  cr_assert (cm_episode_parser_set_header (parser, header, strlen (header), &rej, NULL));
  cr_assert (cm_episode_parser_parse_line (parser, line, strlen (line), 2, &ep, &rej),
             "%s: %s", row->id, rej.message);
  ctx = cm_price_context_new (policy, opt, &error);
  cr_assert_not_null (ctx, "%s", error ? error->message : "?");
  cr_assert (cm_price_episode (ctx, &ep, pc, &error), "%s: %s", row->id,
             error ? error->message : "?");
}

ParameterizedTestParameters (pay_price, worked_examples_through_a_policy)
{
  return cr_make_param_array (CaseRow, case_rows, G_N_ELEMENTS (case_rows));
}

ParameterizedTest (CaseRow *row, pay_price, worked_examples_through_a_policy)
{
  g_autoptr (CmPolicy) policy = load_test_policy (row->pack);
  CmPricedCase pc;
  g_autofree char *pay = NULL, *fund = NULL, *pl = NULL, *std = NULL;

  price_row (policy, row, NULL, &pc);
  pay = yuan (pc.pay_fen);
  fund = yuan (pc.fund_fen);
  pl = yuan (pc.profit_loss_fen);
  std = yuan (pc.standard_fen);
  cr_expect_str_eq (pc.scheme_id, row->scheme, "%s: scheme", row->id);
  cr_expect_eq (pc.method, row->method, "%s: method %s", row->id, cm_pay_method_name (pc.method));
  cr_expect_eq (pc.case_class, row->cls, "%s: class %s, want %s (group %s %s)", row->id,
                cm_case_class_name (pc.case_class), cm_case_class_name (row->cls),
                pc.group.status, pc.group_code);
  cr_expect_str_eq (pay, row->pay, "%s: pay", row->id);
  cr_expect_str_eq (fund, row->fund, "%s: fund", row->id);
  cr_expect_str_eq (pl, row->profit_loss, "%s: profit/loss", row->id);
  if (row->standard != NULL)
    cr_expect_str_eq (std, row->standard, "%s: standard", row->id);
  cr_expect_str_eq (pc.shadow_scheme_id, row->shadow, "%s: shadow", row->id);
  cr_expect_eq (pc.review, row->review, "%s: review", row->id);
  if (pc.method != CM_PAY_METHOD_EXCLUDED)
    {
      cr_expect_eq (pc.hospital_income_fen, pc.patient_fen + pc.other_fen + pc.fund_fen,
                    "%s: income identity", row->id);
      cr_expect_eq (pc.profit_loss_fen, pc.hospital_income_fen - pc.cost_fen,
                    "%s: profit/loss identity", row->id);
    }
}

Test (pay_price, final_stage_uses_the_final_point_value)
{
  /* PTS-2: the year-end point value 107.9365 → 9 397.73 */
  g_autoptr (CmPolicy) policy = load_test_policy ("drg-test");
  CmPriceOptions opt = { CM_PRICE_STAGE_FINAL, FALSE };
  CaseRow row = case_rows[13];
  CmPricedCase pc;
  g_autofree char *pay = NULL;

  cr_assert_str_eq (row.id, "PTS-1 point method drg-payment.md §7");
  price_row (policy, &row, &opt, &pc);
  pay = yuan (pc.pay_fen);
  cr_expect_str_eq (pay, "9397.73", "PTS-2");
  cr_expect_eq (pc.points_e4, 870672, "PTS case points 87.0672");
}

Test (pay_price, final_stage_without_final_values_is_an_error)
{
  g_autoptr (CmPolicy) policy = load_test_policy ("dip-test");
  g_autoptr (GError) error = NULL;
  CmPriceOptions opt = { CM_PRICE_STAGE_FINAL, FALSE };
  g_autoptr (CmPriceContext) ctx = cm_price_context_new (policy, &opt, &error);

  cr_assert_null (ctx);
  cr_expect (g_error_matches (error, CM_POLICY_ERROR, CM_POLICY_ERROR_PARAMETER));
  cr_expect (strstr (error->message, "stage=\"final\"") != NULL, "%s", error->message);
}

/* ==================================================================== */
/* Money is conserved on every priced episode of sample-20k               */

typedef struct {
  guint64 priced, excluded;
  CmFen income, patient, other, fund, cost, pay, profit_loss;
} Sums;

static void
check_conservation (const char *pack)
{
  g_autofree char *corpus = test_shared_path ("episodes/sample-20k.csv");
  g_autoptr (CmPolicy) policy = NULL;
  g_autoptr (CmPriceContext) ctx = NULL;
  g_autoptr (CmEpisodeReader) reader = NULL;
  g_autoptr (GError) error = NULL;
  Sums s = { 0 };
  FILE *in;
  CmEpisode ep;
  CmReject rej;
  CmReadResult rr;

  if (corpus == NULL)
    cr_skip_test ("shared corpus absent");
  policy = cm_policy_load (pack, &error);
  cr_assert_not_null (policy, "%s", error ? error->message : "?");
  ctx = cm_price_context_new (policy, NULL, &error);
  cr_assert_not_null (ctx);
  in = fopen (corpus, "r");
  cr_assert_not_null (in);
  reader = cm_episode_reader_new (in, CM_INPUT_EPISODES);
  while ((rr = cm_episode_reader_next (reader, &ep, &rej, &error)) != CM_READ_EOF)
    {
      CmPricedCase pc;

      cr_assert_neq (rr, CM_READ_ERROR, "%s", error ? error->message : "?");
      if (rr != CM_READ_EPISODE)
        continue;
      cr_assert (cm_price_episode (ctx, &ep, &pc, &error), "%s", ep.episode_id);
      if (pc.method == CM_PAY_METHOD_EXCLUDED)
        {
          s.excluded++;
          continue;
        }
      s.priced++;
      /* what the hospital receives comes from the three payers */
      cr_assert_eq (pc.hospital_income_fen, pc.patient_fen + pc.other_fen + pc.fund_fen,
                    "%s: income ≠ patient + other + fund", ep.episode_id);
      cr_assert_eq (pc.profit_loss_fen, pc.hospital_income_fen - pc.cost_fen,
                    "%s: profit/loss ≠ income − cost", ep.episode_id);
      /* the FFS split of the cost is the input's */
      cr_assert_eq (pc.cost_fen, ep.out_of_catalogue_cost_fen + ep.patient_copay_fen
                    + ep.fund_paid_ffs_fen + pc.other_fen, "%s: cost split", ep.episode_id);
      cr_assert_geq (pc.fund_fen, 0, "%s: negative fund share", ep.episode_id);
      cr_assert_geq (pc.other_fen, 0, "%s", ep.episode_id);
      /* DIFFERENCE, other payers inside: the hospital gets the case payment
       * unless the patient's burden alone exceeds it */
      if (pc.pay_fen >= pc.patient_fen + pc.other_fen)
        cr_assert_eq (pc.hospital_income_fen, pc.pay_fen, "%s: income ≠ pay", ep.episode_id);
      else
        cr_assert_eq (pc.fund_fen, 0, "%s", ep.episode_id);
      /* FFS payment leaves the FFS fund share unchanged */
      if (pc.method == CM_PAY_METHOD_FFS)
        {
          cr_assert_eq (pc.pay_fen, pc.cost_fen, "%s", ep.episode_id);
          cr_assert_eq (pc.fund_fen, pc.fund_ffs_fen, "%s", ep.episode_id);
          cr_assert_eq (pc.profit_loss_fen, 0, "%s", ep.episode_id);
        }
      /* profit/loss is the fund's gain or loss against FFS (FUND-1 ✓) */
      if (pc.fund_fen > 0)
        cr_assert_eq (pc.profit_loss_fen, pc.fund_fen - pc.fund_ffs_fen, "%s", ep.episode_id);
      s.income += pc.hospital_income_fen;
      s.patient += pc.patient_fen;
      s.other += pc.other_fen;
      s.fund += pc.fund_fen;
      s.cost += pc.cost_fen;
      s.profit_loss += pc.profit_loss_fen;
    }
  fclose (in);
  cr_expect_eq (s.priced + s.excluded, 20000);
  cr_expect_eq (s.excluded, 0, "every 2024 episode has a scheme and a parameter set");
  cr_expect_eq (s.income, s.patient + s.other + s.fund, "totals: income");
  cr_expect_eq (s.profit_loss, s.income - s.cost, "totals: profit/loss");
}

Test (pay_price, money_is_conserved_zhuzhou_sample_20k, .timeout = 300)
{
  check_conservation ("zhuzhou");
}

Test (pay_price, money_is_conserved_yiyang_sample_20k, .timeout = 300)
{
  check_conservation ("yiyang");
}

/* ==================================================================== */
/* The catalogue builder                                                  */

/* Feeds @n cases of group @code (cost from @cost, +@step each) to @b. */
static void
feed (CmCatalogueBuilder *b, CmSchemeFamily fam, const char *status, const char *code,
      const char *dx, const char *px, int year, int level, guint n, CmFen cost, CmFen step)
{
  CmEpisode ep;
  CmGroupResult res = { 0 };
  char date[11];
  gint32 d;

  cm_episode_clear (&ep);
  ep.episode_id = "B";
  ep.dx[0] = dx;
  ep.n_dx = 1;
  if (px != NULL && *px)
    {
      ep.px[0] = px;
      ep.n_px = 1;
    }
  g_snprintf (date, sizeof date, "%04d-06-30", year);
  cr_assert (cm_date_parse (date, &d));
  ep.admit_date = d - 5;
  ep.discharge_date = d;
  ep.hospital_level = level;
  res.family = fam;
  res.status = status;
  res.group_id = code;
  res.rule_stage = "";
  g_strlcpy (res.drg, code, sizeof res.drg);
  for (guint i = 0; i < n; i++)
    {
      ep.total_cost_fen = cost + (CmFen) i * step;
      cm_catalogue_builder_add (b, &ep, &res);
    }
}

static CmCatalogue *
write_and_load (CmCatalogueBuilder *b, CmSchemeFamily fam, char **text)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  FILE *f;
  int fd = g_file_open_tmp ("cm-cat-XXXXXX.tsv", &path, NULL);
  CmCatalogue *cat;

  cr_assert (fd >= 0);
  f = fdopen (fd, "w");
  cr_assert (cm_catalogue_builder_write (b, f, NULL, &error), "%s",
             error ? error->message : "?");
  fclose (f);
  if (text)
    g_file_get_contents (path, text, NULL, NULL);
  cat = cm_catalogue_load (path, fam, &error);
  cr_assert_not_null (cat, "%s", error ? error->message : "?");
  g_unlink (path);
  return cat;
}

Test (pay_price, builder_drg_weights_with_year_weights_and_trimming)
{
  CmCatalogueOptions o;
  g_autoptr (CmCatalogueBuilder) b = NULL;
  g_autoptr (CmCatalogue) cat = NULL;
  const CmCatalogueEntry *e;

  cm_catalogue_options_init (&o, CM_SCHEME_FAMILY_DRG);
  o.trim_low_permille = 0;       /* drop the highest 10 % only */
  o.trim_high_permille = 900;
  b = cm_catalogue_builder_new (CM_SCHEME_FAMILY_DRG, &o, NULL);
  /* group AA11: 9 cases a year at 1 000 / 1 100 / 1 200 and one outlier a
   * year (trimmed: ⌊30 × 10 %⌋ = 3); BB11: 3 cases a year at 3 000 (⌊9 × 10 %⌋
   * = 0 trimmed); years 2022–2024 */
  for (int y = 2022; y <= 2024; y++)
    {
      feed (b, CM_SCHEME_FAMILY_DRG, "SUCCESS", "AA11", "A00", NULL, y, 3, 9,
            Y ("1000") + (y - 2022) * Y ("100"), 0);
      feed (b, CM_SCHEME_FAMILY_DRG, "SUCCESS", "AA11", "A00", NULL, y, 3, 1, Y ("900000"), 0);
      feed (b, CM_SCHEME_FAMILY_DRG, "SUCCESS", "BB11", "A00", NULL, y, 3, 3, Y ("3000"), 0);
    }
  feed (b, CM_SCHEME_FAMILY_DRG, "QY", "QY", "A00", NULL, 2024, 3, 5, Y ("1"), 0);
  cat = write_and_load (b, CM_SCHEME_FAMILY_DRG, NULL);
  e = cm_catalogue_lookup (cat, "AA11");
  cr_assert_not_null (e);
  /* m_AA = (1 000 + 2 × 1 100 + 7 × 1 200) / 10 = 1 160; yearly all-case
   * means 1 500, 1 575, 1 650 → M = 1 620; RW 0.7160 and 1.8519 */
  cr_expect_eq (e->weight_e4, 7160, "AA11 weight %" G_GINT64_FORMAT, e->weight_e4);
  cr_expect_eq (e->n_cases, 30);
  cr_expect_eq (e->mean_cost_fen, Y ("1160"));
  e = cm_catalogue_lookup (cat, "BB11");
  cr_assert_not_null (e);
  cr_expect_eq (e->weight_e4, 18519, "BB11 weight %" G_GINT64_FORMAT, e->weight_e4);
  cr_expect_null (cm_catalogue_lookup (cat, "QY"), "ungrouped cases make no row");
}

Test (pay_price, builder_dip_threshold_and_pooling)
{
  CmCatalogueOptions o;
  g_autoptr (CmCatalogueBuilder) b = NULL;
  g_autoptr (CmCatalogue) cat = NULL;
  g_autoptr (CmDipPool) pool = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = cm_tables_find ("dip-cn-national-3.0", &error);
  g_autofree char *text = NULL;
  CmDipPoolLevel lv[] = { CM_DIP_POOL_CATEGORY, CM_DIP_POOL_CHAPTER };
  const CmCatalogueEntry *e;

  cr_assert_not_null (dir);
  pool = cm_dip_pool_load (dir, lv, 2, &error);
  cr_assert_not_null (pool, "%s", error ? error->message : "?");
  cm_catalogue_options_init (&o, CM_SCHEME_FAMILY_DIP);
  o.trim_low_permille = 0;
  o.trim_high_permille = 1000;
  o.n_year_weights = 1;
  o.year_weights[0] = 1;
  b = cm_catalogue_builder_new (CM_SCHEME_FAMILY_DIP, &o, pool);
  /* a core group with 20 cases stays; one with 10 folds into ZH-K35-S with
   * 6 comprehensive cases (16 ≥ 15 → kept); 4 cases of K40 surgery fold to
   * ZH-K40-S (4 < 15) and move to the chapter pool ZH-K-S with 3 K41 cases */
  feed (b, CM_SCHEME_FAMILY_DIP, "GROUPED", "CORE-1", "K35.300", "47.0100", 2024, 3, 20,
        Y ("10000"), 0);
  feed (b, CM_SCHEME_FAMILY_DIP, "GROUPED", "CORE-2", "K35.800", "47.0100", 2024, 3, 10,
        Y ("12000"), 0);
  feed (b, CM_SCHEME_FAMILY_DIP, "COMPREHENSIVE", "ZH-K35-S", "K35.200", "47.0100", 2024, 2, 6,
        Y ("9000"), 0);
  feed (b, CM_SCHEME_FAMILY_DIP, "GROUPED", "CORE-3", "K40.900", "53.0101", 2024, 2, 4,
        Y ("8000"), 0);
  feed (b, CM_SCHEME_FAMILY_DIP, "COMPREHENSIVE", "ZH-K41-S", "K41.900", "53.0101", 2024, 2, 3,
        Y ("8000"), 0);
  feed (b, CM_SCHEME_FAMILY_DIP, "EXCLUDED_DX", "", "Z51.100", NULL, 2024, 2, 3, Y ("1000"), 0);
  cat = write_and_load (b, CM_SCHEME_FAMILY_DIP, &text);
  cr_expect_not_null (cm_catalogue_lookup (cat, "CORE-1"), "%s", text);
  cr_expect_null (cm_catalogue_lookup (cat, "CORE-2"), "%s", text);
  cr_expect_null (cm_catalogue_lookup (cat, "CORE-3"), "%s", text);
  e = cm_catalogue_lookup (cat, "ZH-K35-S");
  cr_assert_not_null (e, "%s", text);
  cr_expect_eq (e->n_cases, 16);
  cr_expect (e->comprehensive);
  cr_expect_null (cm_catalogue_lookup (cat, "ZH-K40-S"), "%s", text);
  e = cm_catalogue_lookup (cat, "ZH-K-S");
  cr_assert_not_null (e, "%s", text);
  cr_expect_eq (e->n_cases, 7);
  /* all = 20×10 000 + 10×12 000 + 6×9 000 + 7×8 000 = 430 000 over 43 → 10 000;
   * CORE-1 mean 10 000 → score 1000.0000 */
  e = cm_catalogue_lookup (cat, "CORE-1");
  cr_expect_eq (e->weight_e4, 1000 * CM_E4_ONE);
  cr_expect (strstr (text, "excluded-dx 3") != NULL, "%s", text);
  cr_expect (strstr (text, "# budget_point_value\t10.0000") != NULL, "%s", text);
}

/* ==================================================================== */
/* The commands                                                           */

typedef struct {
  int status;
  char *out;
  char *err;
} Run;

static Run
run (const char *args)
{
  const char *bin = g_getenv ("CM_CASEMIX_BIN");
  g_autofree char *cmd = NULL;
  g_autoptr (GError) error = NULL;
  Run r = { 0 };
  int wait;

  cr_assert_not_null (bin, "CM_CASEMIX_BIN not set");
  cmd = g_strdup_printf ("%s %s", bin, args);
  cr_assert (g_spawn_command_line_sync (cmd, &r.out, &r.err, &wait, &error), "%s",
             error ? error->message : "");
  r.status = WIFEXITED (wait) ? WEXITSTATUS (wait) : -1;
  return r;
}

static void
run_free (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

/* The data rows of a table (comment lines dropped). */
static char *
table_rows (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GString *s = g_string_new (NULL);
  for (guint i = 0; lines[i]; i++)
    if (lines[i][0] != '#')
      g_string_append_printf (s, "%s\n", lines[i]);
  return g_string_free (s, FALSE);
}

static void
check_rebuild (const char *scheme, const char *shipped_rel)
{
  g_autofree char *corpus = test_shared_path ("episodes/sample-20k.csv");
  g_autofree char *dir = g_dir_make_tmp ("cm-cat-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "t.tsv", NULL);
  g_autofree char *args = NULL, *got = NULL, *want = NULL, *rows_got = NULL, *rows_want = NULL;
  g_autofree char *shipped = g_build_filename (g_getenv ("CASEMIX_TABLES"), shipped_rel, NULL);
  Run r;

  if (corpus == NULL)
    cr_skip_test ("shared corpus absent");
  args = g_strdup_printf ("catalogue build --scheme %s %s -o %s", scheme, corpus, out);
  r = run (args);
  cr_assert_eq (r.status, 0, "exit %d: %s", r.status, r.err);
  cr_assert (g_file_get_contents (out, &got, NULL, NULL));
  cr_assert (g_file_get_contents (shipped, &want, NULL, NULL), "%s", shipped);
  rows_got = table_rows (got);
  rows_want = table_rows (want);
  cr_expect_str_eq (rows_got, rows_want,
                    "the shipped %s is not what `casemix catalogue build` makes of "
                    "sample-20k (see tables/policy/PROVENANCE.md)", shipped_rel);
  cr_expect (strstr (got, "# base_period\t2024-01-01..2024-12-31") != NULL, "%s", got);
  g_unlink (out);
  g_rmdir (dir);
  run_free (&r);
}

Test (pay_price, shipped_drg_weights_are_a_rebuild_of_sample_20k, .timeout = 120)
{
  check_rebuild ("changsha-2023", "policy/zhuzhou/drg-weights-2024.tsv");
}

Test (pay_price, shipped_dip_scores_are_a_rebuild_of_sample_20k, .timeout = 120)
{
  check_rebuild ("dip-cn-national-3.0", "policy/yiyang/dip-scores-2024.tsv");
}

Test (pay_price, price_command_is_deterministic_across_threads, .timeout = 120)
{
  g_autofree char *corpus = test_shared_path ("episodes/sample-20k.csv");
  g_autofree char *a1 = NULL, *a2 = NULL;
  Run r1, r2;

  if (corpus == NULL)
    cr_skip_test ("shared corpus absent");
  a1 = g_strdup_printf ("price --policy yiyang --detail --threads 1 -q %s", corpus);
  a2 = g_strdup_printf ("price --policy yiyang --detail --threads 3 -q %s", corpus);
  r1 = run (a1);
  r2 = run (a2);
  cr_assert_eq (r1.status, 0, "%s", r1.err);
  cr_assert_eq (r2.status, 0, "%s", r2.err);
  cr_expect (g_str_has_prefix (r1.out, "episode_id,scheme,group,"), "%.200s", r1.out);
  cr_expect_str_eq (r1.out, r2.out, "output depends on the thread count");
  run_free (&r1);
  run_free (&r2);
}

Test (pay_price, price_command_summary_and_rejects, .timeout = 120)
{
  g_autofree char *dir = g_dir_make_tmp ("cm-price-XXXXXX", NULL);
  g_autofree char *in = g_build_filename (dir, "in.csv", NULL);
  g_autofree char *out = g_build_filename (dir, "out.csv", NULL);
  g_autofree char *rej = g_build_filename (dir, "rej.csv", NULL);
  g_autofree char *pack = test_data_path ("pay/drg-test");
  g_autofree char *args = NULL, *otext = NULL, *rtext = NULL;
  Run r;

  cr_assert (g_file_set_contents (in, HEADER "\n"
    "E1,P1,H1,2,430102,employee,local,1,45,,,2024-03-01,2024-03-05,4,0304,1,0,I21.001,,"
    "12000.00,0.00,3100.00,8900.00,\n"
    "E2,broken\n"
    "E3,P1,H1,2,430102,resident,local,1,45,,,2024-03-01,2024-03-05,4,0304,1,0,I21.001,,"
    "32000.00,0.00,6000.00,26000.00,\n", -1, NULL));
  args = g_strdup_printf ("price --policy %s -o %s --rejects %s %s", pack, out, rej, in);
  r = run (args);
  cr_assert_eq (r.status, 0, "exit %d: %s", r.status, r.err);
  cr_assert (g_file_get_contents (out, &otext, NULL, NULL));
  cr_assert (g_file_get_contents (rej, &rtext, NULL, NULL));
  cr_expect (strstr (otext, "\nE1,changsha-2023,FR19,,,DRG,normal,0,FR19,0.8536,1.0000,,,"
                     "9849.23,9849.23,6749.23,-2150.77\n") != NULL, "%s", otext);
  cr_expect (strstr (otext, "\nE3,changsha-2023,FR19,,,DRG,high,0,FR19,0.8536,1.0000,,,"
                     "9849.23,12301.54,6301.54,-19698.46\n") != NULL, "%s", otext);
  cr_expect (strstr (rtext, "3,") != NULL, "%s", rtext);
  cr_expect (strstr (r.err, "2 episodes priced, 1 rejected") != NULL, "%s", r.err);
  cr_expect (strstr (r.err, "[illustrative figures]") != NULL, "%s", r.err);
  run_free (&r);
  g_unlink (in);
  g_unlink (out);
  g_unlink (rej);
  g_rmdir (dir);
}

Test (pay_price, price_command_bad_policy_names_file_line_parameter)
{
  g_autofree char *dir = g_dir_make_tmp ("cm-price-XXXXXX", NULL);
  g_autofree char *src = test_data_path ("pay/drg-test");
  g_autofree char *xml = NULL, *bad = NULL, *args = NULL;
  const char *files[] = { "schemes.tsv", "weights-2024.tsv", "weights-3.0.tsv",
                          "hospitals.tsv" };
  Run r;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *from = g_build_filename (src, files[i], NULL);
      g_autofree char *to = g_build_filename (dir, files[i], NULL);
      g_autofree char *t = NULL;
      cr_assert (g_file_get_contents (from, &t, NULL, NULL));
      cr_assert (g_file_set_contents (to, t, -1, NULL));
    }
  {
    g_autofree char *from = g_build_filename (src, "policy.xml", NULL);
    cr_assert (g_file_get_contents (from, &xml, NULL, NULL));
  }
  bad = g_build_filename (dir, "policy.xml", NULL);
  {
    GString *s = g_string_new (xml);
    g_string_replace (s, "low-ratio=\"0.4\"", "low-ratio=\"0.40001\"", 1);
    cr_assert (g_file_set_contents (bad, s->str, -1, NULL));
    g_string_free (s, TRUE);
  }
  args = g_strdup_printf ("price --policy %s /dev/null", bad);
  r = run (args);
  cr_expect_eq (r.status, 3, "exit %d", r.status);
  cr_expect (strstr (r.err, "policy.xml:13: drg.outlier.low_ratio (<outlier low-ratio>): "
                     "'0.40001' has more than 4 decimal places") != NULL, "%s", r.err);
  run_free (&r);
  r = run ("price --policy no-such-region /dev/null");
  cr_expect_eq (r.status, 3);
  cr_expect (strstr (r.err, "no-such-region") != NULL, "%s", r.err);
  run_free (&r);
  r = run ("price /dev/null");
  cr_expect_eq (r.status, 2);
  run_free (&r);
  r = run ("price --policy zhuzhou --stage yearly /dev/null");
  cr_expect_eq (r.status, 2);
  run_free (&r);
  r = run ("catalogue frobnicate");
  cr_expect_eq (r.status, 2);
  run_free (&r);
  g_unlink (bad);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *to = g_build_filename (dir, files[i], NULL);
      g_unlink (to);
    }
  g_rmdir (dir);
}

Test (pay_price, pool_class_agrees_with_the_grouper_on_sample_20k, .timeout = 120)
{
  /* the pricer and the catalogue builder take the class from the grouper
   * (CmGroupResult.procedure_class, GROUPING.md §7.2); the pool computes it
   * on its own from the same tables: both must be the same function of the
   * procedures, and the comprehensive id must end in it */
  g_autofree char *corpus = test_shared_path ("episodes/sample-20k.csv");
  g_autoptr (CmScheme) s = NULL;
  g_autoptr (CmGroupContext) ctx = NULL;
  g_autoptr (CmDipPool) pool = NULL;
  g_autoptr (CmEpisodeReader) reader = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  CmDipPoolLevel lv[] = { CM_DIP_POOL_CATEGORY };
  guint n = 0, n_core = 0;
  FILE *in;
  CmEpisode ep;
  CmReject rej;
  CmReadResult rr;

  if (corpus == NULL)
    cr_skip_test ("shared corpus absent");
  s = test_load_scheme ("dip-cn-national-3.0");
  ctx = cm_group_context_new (s);
  dir = cm_tables_find ("dip-cn-national-3.0", &error);
  pool = cm_dip_pool_load (dir, lv, 1, &error);
  cr_assert_not_null (pool, "%s", error ? error->message : "?");
  in = fopen (corpus, "r");
  reader = cm_episode_reader_new (in, CM_INPUT_EPISODES);
  while ((rr = cm_episode_reader_next (reader, &ep, &rej, &error)) != CM_READ_EOF)
    {
      CmGroupResult r;
      char id[CM_DIP_POOL_ID_LEN];

      if (rr != CM_READ_EPISODE)
        continue;
      cm_group (ctx, &ep, 0, &r);
      if (strcmp (r.status, "GROUPED") == 0)
        {
          /* the class the grouper reports for core cases (the pricer pools
           * blank groups by it) is the pool's own computation */
          cr_assert_eq (r.procedure_class, cm_dip_pool_class (pool, &ep), "%s",
                        ep.episode_id);
          n_core++;
        }
      if (strcmp (r.status, "COMPREHENSIVE") != 0)
        continue;
      n++;
      cr_assert_eq (r.procedure_class, cm_dip_pool_class (pool, &ep), "%s", ep.episode_id);
      cr_assert (cm_dip_pool_id (pool, 0, ep.dx[0], cm_dip_pool_class (pool, &ep), id));
      cr_assert_str_eq (id, r.group_id, "%s", ep.episode_id);
    }
  fclose (in);
  cr_expect_gt (n, 1000);
  cr_expect_gt (n_core, 10000);
}
