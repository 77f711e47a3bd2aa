/* test-indicators-rational.c — exact rationals: rounding half away from
 * zero at any size, ceil/floor, comparison by cross-multiplication, sums
 * of ratios that are exact where doubles are not.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include "test-common.h"
#include "cm-rational.h"

typedef struct {
  const char *desc;
  gint64 num, den;
  guint decimals;
  const char *text;     /* cm_rational_to_string */
  gint64 ceil_v, floor_v;
} RoundRow;

static RoundRow round_rows[] = {
  { "zero", 0, 5, 2, "0.00", 0, 0 },
  { "one fen exactly", 1, 100, 2, "0.01", 1, 1 },
  { "tie rounds up (四舍五入)", 5, 1000, 2, "0.01", 1, 0 },
  { "negative tie rounds away from zero", -5, 1000, 2, "-0.01", 0, -1 },
  { "just below a tie", 4999, 1000000, 2, "0.00", 1, 0 },
  { "CMI-1 238.579/210", 2385790, 2100000, 4, "1.1361", 11361, 11360 },
  { "KPI-1 6 930 000/9 800 000 as %", 693000000, 9800000, 2, "70.71", 7072, 7071 },
  { "KPI-6 2.8125 % keeps 2.81", 28125, 10000, 2, "2.81", 282, 281 },
  { "negative denominator", 3, -4, 2, "-0.75", -75, -75 },
  { "whole number", 42, 1, 0, "42", 42, 42 },
  { "int64 extremes", G_MAXINT64, G_MAXINT64, 4, "1.0000", 10000, 10000 },
};

ParameterizedTestParameters (rational, rounds)
{
  return cr_make_param_array (RoundRow, round_rows, G_N_ELEMENTS (round_rows));
}

ParameterizedTest (RoundRow *row, rational, rounds)
{
  g_autoptr (CmRational) r = cm_rational_new (row->num, row->den);
  g_autofree char *s = cm_rational_to_string (r, row->decimals);
  gint64 c, f;

  cr_assert_str_eq (s, row->text, "%s: got %s", row->desc, s);
  cr_assert (cm_rational_ceil (r, row->decimals, &c), "%s", row->desc);
  cr_assert (cm_rational_floor (r, row->decimals, &f), "%s", row->desc);
  cr_assert_eq (c, row->ceil_v, "%s: ceil %" G_GINT64_FORMAT, row->desc, c);
  cr_assert_eq (f, row->floor_v, "%s: floor %" G_GINT64_FORMAT, row->desc, f);
}

Test (rational, sum_of_thirds_is_exactly_one)
{
  /* 1/3 + 1/3 + 1/3: a double sum is 0.9999…; the rational is 1 */
  g_autoptr (CmRational) r = cm_rational_new (0, 1);
  for (int i = 0; i < 3; i++)
    cm_rational_add_product_ratio (r, 1, 1, 3);
  cr_assert_eq (cm_rational_compare_ratio (r, 1, 1), 0);
}

Test (rational, index_of_many_groups_is_exact)
{
  /* Σ_i C_i · N_i / C_i over 500 groups with pairwise different large
   * denominators equals Σ N_i exactly (the region's own cost index is 1) */
  g_autoptr (CmRational) r = cm_rational_new (0, 1);
  gint64 n_total = 0;
  for (gint64 i = 0; i < 500; i++)
    {
      gint64 cost = 1000003 * (i + 7) + i * i;   /* fen */
      gint64 n = 1 + i % 13;
      cm_rational_add_product_ratio (r, cost, n, cost);
      n_total += n;
    }
  cm_rational_mul_ratio (r, 1, n_total);
  cr_assert_eq (cm_rational_compare_ratio (r, 1, 1), 0);
}

Test (rational, products_beyond_128_bits_compare_exactly)
{
  /* (10^18 / 3) · 3 · 10^18 ÷ 10^36 = 1 */
  g_autoptr (CmRational) r = cm_rational_new (1000000000000000000, 3);
  g_autoptr (CmRational) one = cm_rational_new (1, 1);
  cm_rational_mul_ratio (r, 3, 1);
  cm_rational_mul_ratio (r, 1000000000000000000, 1);
  cm_rational_mul_ratio (r, 1, 1000000000000000000);
  cm_rational_mul_ratio (r, 1, 1000000000000000000);
  cr_assert_eq (cm_rational_compare (r, one), 0);
}

Test (rational, signs_and_subtraction)
{
  g_autoptr (CmRational) r = cm_rational_new (1, 2);
  g_autoptr (CmRational) x = cm_rational_new (-3, 4);
  g_autofree char *s = NULL;
  cm_rational_add (r, x);                        /* -1/4 */
  cr_assert_eq (cm_rational_sign (r), -1);
  s = cm_rational_to_string (r, 3);
  cr_assert_str_eq (s, "-0.250");
  cm_rational_add_product_ratio (r, 1, 1, 4);    /* 0 */
  cr_assert (cm_rational_is_zero (r));
  cm_rational_add_product_ratio (r, -7, 3, -2);  /* 21/2 */
  cr_assert_eq (cm_rational_compare_ratio (r, 21, 2), 0);
  cm_rational_mul (r, x);                        /* -63/8 */
  cr_assert_eq (cm_rational_compare_ratio (r, -63, 8), 0);
  cm_rational_div (r, x);                        /* 21/2 */
  cr_assert_eq (cm_rational_compare_ratio (r, 21, 2), 0);
  cm_rational_add (r, r);                        /* 21 */
  cr_assert_eq (cm_rational_compare_ratio (r, 21, 1), 0);
}

Test (rational, overflow_is_reported_not_wrapped)
{
  g_autoptr (CmRational) r = cm_rational_new (G_MAXINT64, 1);
  gint64 v;
  g_autofree char *s = NULL;
  cm_rational_mul_ratio (r, 10, 1);
  cr_assert_not (cm_rational_round (r, 0, &v));
  s = cm_rational_to_string (r, 2);
  cr_assert_str_eq (s, "overflow");
}

Test (rational, comparison_at_the_target_edge)
{
  /* indicators.md: 6 930 000 × 100 ≥ 70 × 9 800 000 */
  g_autoptr (CmRational) kpi1 = cm_rational_new (6930000, 9800000);
  g_autoptr (CmRational) edge = cm_rational_new (6860000, 9800000);
  cr_assert_gt (cm_rational_compare_ratio (kpi1, 70, 100), 0);
  cr_assert_eq (cm_rational_compare_ratio (edge, 70, 100), 0);
  cr_assert_lt (cm_rational_compare_ratio (edge, 7000001, 10000000), 0);
}
