/* cm-money-private.h — exact wide products and the rounding rules, shared
 * by the payment and settlement modules inside the library.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every amount is produced as an exact rational num/den of 128-bit
 * integers (no intermediate rounding, domain/README.md convention 3) and
 * then passes through exactly one of the rule functions below. They all
 * round half away from zero (四舍五入); they differ in what they are for,
 * so that a policy that changes one rule (say, truncation of case points)
 * changes one function, found by searching its clause. */
#pragma once

#include "cm-money.h"

G_BEGIN_DECLS

typedef __int128 CmWide;

/* num/den rounded half away from zero; FALSE when den is 0 or the result
 * does not fit in 64 bits. */
static inline gboolean
cm_wide_div_half_up (CmWide num, CmWide den, gint64 *out)
{
  CmWide q, r;
  gboolean neg;

  if (den == 0)
    return FALSE;
  if (num >= G_MININT64 / 2 && num <= G_MAXINT64 / 2 && den > 0 && den <= G_MAXINT64)
    {
      /* the common case fits 64 bits: no 128-bit division */
      gint64 n = (gint64) num, d = (gint64) den;
      gint64 q64 = n / d, r64 = n % d;
      if (r64 < 0)
        r64 = -r64;
      if (r64 >= d - r64)
        q64 += n < 0 ? -1 : 1;
      *out = q64;
      return TRUE;
    }
  if (den < 0)
    {
      num = -num;
      den = -den;
    }
  neg = num < 0;
  if (neg)
    num = -num;
  q = num / den;
  r = num % den;
  if (r * 2 >= den)
    q++;
  if (neg)
    q = -q;
  if (q > G_MAXINT64 || q < G_MININT64)
    return FALSE;
  *out = (gint64) q;
  return TRUE;
}

/* Exact comparison of a/b with c/d for b, d > 0: -1, 0 or 1 (domain/README
 * convention 4: classification ratios are compared by cross-multiplying). */
static inline int
cm_wide_cmp_ratio (CmWide a, CmWide b, CmWide c, CmWide d)
{
  CmWide l = a * d, r = c * b;
  return l < r ? -1 : l > r;
}

/**
 * cm_round_case_amount_fen:
 * A money amount of one case (payment standard, case payment, fund share,
 * per-diem standard, extra-day charges): half-up to the fen, once, from
 * the exact product. domain/README.md convention 3; drg-payment.md §4,
 * §5.2, §6, §10; dip.md §6, §8; per-diem.md §5.
 */
gboolean cm_round_case_amount_fen (CmWide num, CmWide den, CmFen *out);

/**
 * cm_round_published_e4:
 * A published 4-decimal figure: relative weight, DIP score, point value,
 * case points, subtype-adjusted and deviation-adjusted case scores.
 * domain/README.md convention 2; drg-payment.md §2, §7, §10; dip.md §3,
 * §4, §5, §7.
 */
gboolean cm_round_published_e4 (CmWide num, CmWide den, CmE4 *out);

/**
 * cm_round_published_rate_fen:
 * A published DRG base rate, 2 decimals of a yuan: drg-payment.md §3.
 */
gboolean cm_round_published_rate_fen (CmWide num, CmWide den, CmFen *out);

/**
 * cm_round_hospital_total_fen:
 * An amount defined at hospital or pool level (DIP annual total, clearing):
 * rounded once at that level, not per case. domain/README.md convention 3
 * (exception); dip.md §9; settlement.md §8.
 */
gboolean cm_round_hospital_total_fen (CmWide num, CmWide den, CmFen *out);

G_END_DECLS
