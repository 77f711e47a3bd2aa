/* test-pay-money.c — fen and 4-decimal fractions: digit-by-digit parsing,
 * rendering, checked arithmetic and half-up rounding at the edges (zero,
 * one fen, negatives, ties, maxima).
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include "test-common.h"
#include "cm-money.h"
#include "cm-money-private.h"

typedef struct {
  const char *text;
  guint decimals;
  gboolean ok;
  gint64 value;
  const char *problem;   /* substring of the problem when !ok */
} ParseRow;

static ParseRow parse_rows[] = {
  { "0", 2, TRUE, 0, NULL },
  { "0.00", 2, TRUE, 0, NULL },
  { "0.01", 2, TRUE, 1, NULL },
  { "12345.6", 2, TRUE, 1234560, NULL },
  { "12345.67", 2, TRUE, 1234567, NULL },
  { "12345.678", 2, FALSE, 0, "more than 2 decimal places" },
  { "0.8536", 4, TRUE, 8536, NULL },
  { "0.85361", 4, FALSE, 0, "more than 4 decimal places" },
  { "1", 4, TRUE, 10000, NULL },
  { "-1.5", 4, FALSE, 0, "negative" },
  { "", 2, FALSE, 0, "not a decimal number" },
  { ".5", 2, FALSE, 0, "not a decimal number" },
  { "5.", 2, FALSE, 0, "not a decimal number" },
  { "1,000.00", 2, FALSE, 0, "not a decimal number" },
  { " 1.00", 2, FALSE, 0, "not a decimal number" },
  { "1.00 ", 2, FALSE, 0, "not a decimal number" },
  { "1e3", 2, FALSE, 0, "not a decimal number" },
  { "+1", 2, FALSE, 0, "not a decimal number" },
  { "10000000000000.00", 2, TRUE, CM_FEN_MAX, NULL },
  { "10000000000000.01", 2, FALSE, 0, "above the allowed range" },
  { "1234567890123456789", 0, FALSE, 0, "too large" },
  { "10000000.0000", 4, TRUE, CM_E4_MAX, NULL },
  { "10000000.0001", 4, FALSE, 0, "above the allowed range" },
};

ParameterizedTestParameters (pay_money, parse)
{
  return cr_make_param_array (ParseRow, parse_rows, G_N_ELEMENTS (parse_rows));
}

ParameterizedTest (ParseRow *row, pay_money, parse)
{
  gint64 v = -1;
  const char *why = NULL;
  gboolean ok = row->decimals == 2 ? cm_fen_parse (row->text, &v, &why)
                : row->decimals == 4 ? cm_e4_parse (row->text, &v, &why)
                : cm_scaled_parse (row->text, row->decimals, 0, G_MAXINT64, &v, &why);

  cr_expect_eq (ok, row->ok, "'%s': ok %d, want %d (%s)", row->text, ok, row->ok,
                why ? why : "");
  if (row->ok)
    cr_expect_eq (v, row->value, "'%s': %" G_GINT64_FORMAT, row->text, v);
  else
    cr_expect (why != NULL && strstr (why, row->problem) != NULL,
               "'%s': problem '%s', want '%s'", row->text, why ? why : "(none)",
               row->problem);
}

Test (pay_money, parse_negative_when_allowed)
{
  gint64 v;
  cr_assert (cm_scaled_parse ("-0.01", 2, -100, 100, &v, NULL));
  cr_expect_eq (v, -1);
  cr_assert (cm_scaled_parse ("-1", 4, -CM_E4_ONE, 0, &v, NULL));
  cr_expect_eq (v, -CM_E4_ONE);
}

static guint64
pow10_u64 (int e)
{
  guint64 p = 1;
  while (e-- > 0)
    p *= 10;
  return p;
}

typedef struct {
  gint64 value;
  const char *fen;
  const char *e4;
} FormatRow;

static FormatRow format_rows[] = {
  { 0, "0.00", "0.0000" },
  { 1, "0.01", "0.0001" },
  { -1, "-0.01", "-0.0001" },
  { 9, "0.09", "0.0009" },
  { 10, "0.10", "0.0010" },
  { 99, "0.99", "0.0099" },
  { 100, "1.00", "0.0100" },
  { 12345, "123.45", "1.2345" },
  { -12345, "-123.45", "-1.2345" },
  { 1000000, "10000.00", "100.0000" },
  { 985000000, "9850000.00", "98500.0000" },
  /* either side of 10^8 in the integer part: the branch-free and the
   * two-digit-loop renderers meet there */
  { 9999999999, "99999999.99", "999999.9999" },
  { 10000000000, "100000000.00", "1000000.0000" },
  { 999999999999, "9999999999.99", "99999999.9999" },
  { 1000000000000, "10000000000.00", "100000000.0000" },
  { -1000000000000, "-10000000000.00", "-100000000.0000" },
  { G_MAXINT64, "92233720368547758.07", "922337203685477.5807" },
  { -G_MAXINT64, "-92233720368547758.07", "-922337203685477.5807" },
  { G_MININT64, "-92233720368547758.08", "-922337203685477.5808" },
};

ParameterizedTestParameters (pay_money, format)
{
  return cr_make_param_array (FormatRow, format_rows, G_N_ELEMENTS (format_rows));
}

ParameterizedTest (FormatRow *row, pay_money, format)
{
  char buf[CM_MONEY_BUF];
  gsize n = cm_fen_format (row->value, buf);

  cr_expect_str_eq (buf, row->fen);
  cr_expect_eq (n, strlen (row->fen));
  n = cm_e4_format (row->value, buf);
  cr_expect_str_eq (buf, row->e4);
  cr_expect_eq (n, strlen (row->e4));
}

Test (pay_money, format_round_trips_through_parse)
{
  for (gint64 v = 0; v < 2000000; v += 997)
    {
      char buf[CM_MONEY_BUF];
      CmFen back;
      cm_fen_format (v, buf);
      cr_assert (cm_fen_parse (buf, &back, NULL), "%s", buf);
      cr_assert_eq (back, v, "%s", buf);
    }
}

/* Against printf, over every digit count and sign (a deterministic LCG):
 * the renderer writes whole words, so a wrong length would show here. */
Test (pay_money, format_matches_printf)
{
  guint64 x = 88172645463325252ULL;

  for (int i = 0; i < 200000; i++)
    {
      char buf[CM_MONEY_BUF], want[48];
      gint64 v;
      guint64 u;
      gsize n;

      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      /* a random magnitude of 1 to 19 digits, either sign */
      u = (x >> 11) % G_GUINT64_CONSTANT (10000000000000000000);
      u /= (guint64) pow10_u64 ((int) ((x >> 3) % 19));
      v = (x & 1) ? -(gint64) (u >> 1) : (gint64) (u >> 1);

      n = cm_fen_format (v, buf);
      g_snprintf (want, sizeof want, "%s%" G_GUINT64_FORMAT ".%02" G_GUINT64_FORMAT,
                  v < 0 ? "-" : "", (guint64) ABS (v) / 100, (guint64) ABS (v) % 100);
      cr_assert_str_eq (buf, want);
      cr_assert_eq (n, strlen (want));
      n = cm_e4_format (v, buf);
      g_snprintf (want, sizeof want, "%s%" G_GUINT64_FORMAT ".%04" G_GUINT64_FORMAT,
                  v < 0 ? "-" : "", (guint64) ABS (v) / 10000, (guint64) ABS (v) % 10000);
      cr_assert_str_eq (buf, want);
      cr_assert_eq (n, strlen (want));
    }
}

Test (pay_money, checked_arithmetic_reports_overflow)
{
  CmFen r = 7;

  cr_expect (cm_fen_add (1, 2, &r) && r == 3);
  cr_expect (!cm_fen_add (G_MAXINT64, 1, &r));
  cr_expect_eq (r, 3, "untouched on overflow");
  cr_expect (cm_fen_sub (0, 1, &r) && r == -1);
  cr_expect (!cm_fen_sub (G_MININT64, 1, &r));
  cr_expect (cm_fen_mul (100, -3, &r) && r == -300);
  cr_expect (!cm_fen_mul (G_MAXINT64 / 2 + 1, 2, &r));
  cr_expect (!cm_fen_mul_ratio (1, 1, 0, &r), "zero divisor");
  cr_expect (!cm_fen_mul_ratio (G_MAXINT64, G_MAXINT64, 1, &r), "result too large");
}

typedef struct {
  gint64 num, den;
  gint64 want;
} RoundRow;

/* half away from zero (四舍五入), on both the 64-bit and the 128-bit path */
static RoundRow round_rows[] = {
  { 0, 1, 0 },
  { 1, 2, 1 },          /* 0.5 → 1 */
  { -1, 2, -1 },        /* −0.5 → −1 */
  { 3, 2, 2 },          /* 1.5 → 2 */
  { 5, 2, 3 },          /* 2.5 → 3 (not banker's) */
  { -5, 2, -3 },
  { 49, 100, 0 },
  { 50, 100, 1 },
  { -49, 100, 0 },
  { -50, 100, -1 },
  { 1, 3, 0 },
  { 2, 3, 1 },
  { 7, -2, -4 },        /* negative denominator */
  { G_MAXINT64, 1, G_MAXINT64 },
  { G_MAXINT64 - 1, 2, G_MAXINT64 / 2 },   /* 4611686018427387903 exactly */
};

ParameterizedTestParameters (pay_money, round_half_up)
{
  return cr_make_param_array (RoundRow, round_rows, G_N_ELEMENTS (round_rows));
}

ParameterizedTest (RoundRow *row, pay_money, round_half_up)
{
  CmFen got = 0;
  CmWide big = (CmWide) 1 << 80;

  cr_assert (cm_round_case_amount_fen (row->num, row->den, &got));
  cr_expect_eq (got, row->want, "%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " → %"
                G_GINT64_FORMAT, row->num, row->den, got);
  /* the same ratio scaled past 64 bits takes the 128-bit path */
  if (row->den != 0 && row->num > G_MININT64 / 2 && row->num < G_MAXINT64 / 2)
    {
      cr_assert (cm_round_published_e4 ((CmWide) row->num * big, (CmWide) row->den * big,
                                        &got));
      cr_expect_eq (got, row->want, "wide %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
                    row->num, row->den);
    }
}

Test (pay_money, rounding_refuses_what_does_not_fit)
{
  CmFen got;
  cr_expect (!cm_round_case_amount_fen (1, 0, &got));
  cr_expect (!cm_round_case_amount_fen ((CmWide) G_MAXINT64 * 4, 2, &got));
  cr_expect (cm_round_hospital_total_fen ((CmWide) G_MAXINT64 * 4, 4, &got));
  cr_expect_eq (got, G_MAXINT64);
}

Test (pay_money, ratio_comparison_is_exact)
{
  /* 3 939.69 < 0.4 × 9 849.23 = 3 939.692 but 3 939.70 is not */
  cr_expect_lt (cm_wide_cmp_ratio (393969, 1, 4 * 984923, 10), 0);
  cr_expect_gt (cm_wide_cmp_ratio (393970, 1, 4 * 984923, 10), 0);
  cr_expect_eq (cm_wide_cmp_ratio (1, 3, 2, 6), 0);
}
