/* cm-money.c — fen and scaled fractions: checked arithmetic, parsing,
 * rendering and the rounding rules.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include "cm-money-private.h"

gboolean
cm_fen_add (CmFen a, CmFen b, CmFen *out)
{
  CmFen r;
  if (!cm_fen_add_inline (a, b, &r))
    return FALSE;
  *out = r;
  return TRUE;
}

gboolean
cm_fen_sub (CmFen a, CmFen b, CmFen *out)
{
  CmFen r;
  if (!cm_fen_sub_inline (a, b, &r))
    return FALSE;
  *out = r;
  return TRUE;
}

gboolean
cm_fen_mul (CmFen a, gint64 n, CmFen *out)
{
  CmFen r;
  if (__builtin_mul_overflow (a, n, &r))
    return FALSE;
  *out = r;
  return TRUE;
}

gboolean
cm_fen_mul_ratio (CmFen amount, gint64 num, gint64 den, CmFen *out)
{
  return cm_round_case_amount_fen ((CmWide) amount * num, den, out);
}

/* ---- parsing ------------------------------------------------------------ */

static gboolean
parse_fail (const char **problem, const char *why)
{
  if (problem)
    *problem = why;
  return FALSE;
}

gboolean
cm_scaled_parse (const char *text, guint decimals, gint64 min, gint64 max,
                 gint64 *out, const char **problem)
{
  const char *p = text;
  gboolean neg = FALSE;
  CmWide v = 0;
  guint n_int = 0, n_frac = 0;

  g_return_val_if_fail (text != NULL && out != NULL && decimals <= 9, FALSE);
  if (*p == '-')
    {
      if (min >= 0)
        return parse_fail (problem, "is negative");
      neg = TRUE;
      p++;
    }
  for (; g_ascii_isdigit (*p); p++)
    {
      if (++n_int > 18)
        return parse_fail (problem, "is too large");
      v = v * 10 + (*p - '0');
    }
  if (*p == '.')
    {
      for (p++; g_ascii_isdigit (*p); p++)
        {
          if (++n_frac > decimals)
            return parse_fail (problem,
                               decimals == 2 ? "has more than 2 decimal places"
                               : decimals == 4 ? "has more than 4 decimal places"
                               : "has too many decimal places");
          v = v * 10 + (*p - '0');
        }
      if (n_frac == 0)
        return parse_fail (problem, "is not a decimal number");
    }
  if (*p != '\0' || n_int == 0)
    return parse_fail (problem, "is not a decimal number");
  for (; n_frac < decimals; n_frac++)
    v *= 10;
  if (neg)
    v = -v;
  if (v < min)
    return parse_fail (problem, "is below the allowed range");
  if (v > max)
    return parse_fail (problem, "is above the allowed range");
  *out = (gint64) v;
  return TRUE;
}

gboolean
cm_fen_parse (const char *text, CmFen *out, const char **problem)
{
  return cm_scaled_parse (text, 2, 0, CM_FEN_MAX, out, problem);
}

gboolean
cm_e4_parse (const char *text, CmE4 *out, const char **problem)
{
  return cm_scaled_parse (text, 4, 0, CM_E4_MAX, out, problem);
}

/* ---- rendering ------------------------------------------------------------ */

G_STATIC_ASSERT (CM_SCALED_SPAN < CM_MONEY_BUF);

const char cm_digit_pairs[201] =
  "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
  "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
  "8081828384858687888990919293949596979899";

const guint64 cm_powers_of_ten[20] = {
  1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
  100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL,
  1000000000000ULL, 10000000000000ULL, 100000000000000ULL,
  1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
  1000000000000000000ULL, 10000000000000000000ULL,
};

gsize
cm_fen_format (CmFen fen, char *buf)
{
  char *end = cm_scaled_put (buf, fen, 2);
  *end = '\0';
  return (gsize) (end - buf);
}

gsize
cm_e4_format (CmE4 value, char *buf)
{
  char *end = cm_scaled_put (buf, value, 4);
  *end = '\0';
  return (gsize) (end - buf);
}

void
cm_fen_append (GString *out, CmFen fen)
{
  char buf[CM_MONEY_BUF];
  gsize n = cm_fen_format (fen, buf);
  g_string_append_len (out, buf, (gssize) n);
}

void
cm_e4_append (GString *out, CmE4 value)
{
  char buf[CM_MONEY_BUF];
  gsize n = cm_e4_format (value, buf);
  g_string_append_len (out, buf, (gssize) n);
}
