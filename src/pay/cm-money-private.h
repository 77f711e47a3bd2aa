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

#include <string.h>
#include "cm-money.h"

G_BEGIN_DECLS

/* cm_fen_add / cm_fen_sub for the library's own hot paths (inlined). */
static inline gboolean
cm_fen_add_inline (CmFen a, CmFen b, CmFen *out)
{
  return !__builtin_add_overflow (a, b, out);
}

static inline gboolean
cm_fen_sub_inline (CmFen a, CmFen b, CmFen *out)
{
  return !__builtin_sub_overflow (a, b, out);
}

/* "00" "01" … "99": two digits at a time. */
extern const char cm_digit_pairs[201];

extern const guint64 cm_powers_of_ten[20];

/* Bytes cm_scaled_put may need at its destination: the longest text. */
#define CM_SCALED_SPAN 24

/* The 8 decimal digits of @x < 10^8 as one word, most significant digit in
 * the lowest byte, digit values 0–9 (not yet ASCII). No branch, no table:
 * the split into 4-, 2- and 1-digit lanes uses multiply-shift divisions
 * exact on these ranges (x/100 as x·5243 >> 19 for x < 43 699; x/10 as
 * x·103 >> 10 for x < 170). */
static inline guint64
cm_digits8 (guint64 x)
{
  guint64 v = (x / 10000) | ((x % 10000) << 32);        /* 2 × 4 digits */
  guint64 q = ((v * 5243) >> 19) & G_GUINT64_CONSTANT (0x0000007F0000007F);
  v = q | ((v - q * 100) << 16);                          /* 4 × 2 digits */
  q = ((v * 103) >> 10) & G_GUINT64_CONSTANT (0x000F000F000F000F);
  return q | ((v - q * 10) << 8);                         /* 8 × 1 digit */
}

/**
 * cm_scaled_put:
 * Writes @value with @decimals (0, 2 or 4) fractional digits at @p, no
 * NUL, and returns the end of the text (at most CM_SCALED_SPAN bytes, and
 * it may write, then leave, bytes up to there). The integer part below
 * 10^8 (every amount of a case) takes the branch-free cm_digits8 and one
 * 8-byte store; larger ones go two digits at a time. The one renderer of
 * money and scaled figures (cm_fen_format, cm_e4_format, priced rows).
 */
static inline __attribute__ ((always_inline)) char *
cm_scaled_put (char *p, gint64 value, guint decimals)
{
  guint64 u = value < 0 ? (guint64) 0 - (guint64) value : (guint64) value;
  guint64 ip = u;
  guint f = 0;

  if (value < 0)
    *p++ = '-';
  if (G_LIKELY (u < 100000000 && (decimals == 2 || decimals == 4)))
    {
      /* the whole figure in one cm_digits8: integer digits, then the
       * fraction; leading zeros dropped down to one integer digit */
      guint64 d = cm_digits8 (u);
      guint n_int = 8 - decimals;
      guint lz = MIN ((guint) __builtin_ctzll (d | (G_GUINT64_CONSTANT (1) << 56)) / 8,
                      n_int - 1);
      guint64 frac;

      d += G_GUINT64_CONSTANT (0x3030303030303030);
      frac = d >> (8 * n_int);                 /* the fraction's digits */
      d >>= 8 * lz;
      memcpy (p, &d, 8);
      p += n_int - lz;
      *p++ = '.';
      memcpy (p, &frac, 4);                    /* 2 or 4 digits, then zeros */
      return p + decimals;
    }
  if (decimals == 4)
    {
      ip = u / 10000;
      f = (guint) (u % 10000);
    }
  else if (decimals == 2)
    {
      ip = u / 100;
      f = (guint) (u % 100);
    }
  if (G_LIKELY (ip < 100000000))
    {
      guint64 d = cm_digits8 (ip);
      /* leading zero digits are the low zero bytes; keep the last digit */
      guint lz = (guint) __builtin_ctzll (d | (G_GUINT64_CONSTANT (1) << 56)) / 8;

      d = (d >> (8 * lz)) + G_GUINT64_CONSTANT (0x3030303030303030);
      memcpy (p, &d, 8);
      p += 8 - lz;
    }
  else
    {
      /* ⌊log10⌋ from the bit length: bits × 1233 / 4096, then one step */
      guint t = (guint) ((64 - __builtin_clzll (ip)) * 1233) >> 12;
      guint n = t + (ip >= cm_powers_of_ten[t] ? 1 : 0);
      char *q = p + n;

      while (ip >= 100)
        {
          guint d = (guint) (ip % 100);
          ip /= 100;
          q -= 2;
          memcpy (q, cm_digit_pairs + d * 2, 2);
        }
      if (ip >= 10)
        memcpy (q - 2, cm_digit_pairs + ip * 2, 2);
      else
        q[-1] = (char) ('0' + ip);
      p += n;
    }
  if (decimals == 4)
    {
      p[0] = '.';
      memcpy (p + 1, cm_digit_pairs + (f / 100) * 2, 2);
      memcpy (p + 3, cm_digit_pairs + (f % 100) * 2, 2);
      p += 5;
    }
  else if (decimals == 2)
    {
      p[0] = '.';
      memcpy (p + 1, cm_digit_pairs + f * 2, 2);
      p += 3;
    }
  return p;
}

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
  /* num in [MININT64/2, MAXINT64/2] as one unsigned comparison */
  if ((unsigned __int128) (num - G_MININT64 / 2) <= (unsigned __int128) G_MAXINT64
      && den > 0 && den <= G_MAXINT64)
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
static inline gboolean
cm_round_case_amount_fen (CmWide num, CmWide den, CmFen *out)
{
  return cm_wide_div_half_up (num, den, out);
}

/**
 * cm_round_published_e4:
 * A published 4-decimal figure: relative weight, DIP score, point value,
 * case points, subtype-adjusted and deviation-adjusted case scores.
 * domain/README.md convention 2; drg-payment.md §2, §7, §10; dip.md §3,
 * §4, §5, §7.
 */
static inline gboolean
cm_round_published_e4 (CmWide num, CmWide den, CmE4 *out)
{
  return cm_wide_div_half_up (num, den, out);
}

/**
 * cm_round_published_rate_fen:
 * A published DRG base rate, 2 decimals of a yuan: drg-payment.md §3.
 */
static inline gboolean
cm_round_published_rate_fen (CmWide num, CmWide den, CmFen *out)
{
  return cm_wide_div_half_up (num, den, out);
}

/**
 * cm_round_hospital_total_fen:
 * An amount defined at hospital or pool level (DIP annual total, clearing):
 * rounded once at that level, not per case. domain/README.md convention 3
 * (exception); dip.md §9; settlement.md §8.
 */
static inline gboolean
cm_round_hospital_total_fen (CmWide num, CmWide den, CmFen *out)
{
  return cm_wide_div_half_up (num, den, out);
}

G_END_DECLS
