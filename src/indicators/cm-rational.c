/* cm-rational.c — exact rationals on little-endian arrays of 32-bit limbs.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A value is sign × num / den with num ≥ 0, den > 0, both magnitudes
 * without leading zero limbs (zero has no limbs). Fractions are not
 * reduced: nothing here needs a canonical form, and skipping the gcd keeps
 * each addition linear. Division for rounding is shift-and-subtract over
 * the bits of the quotient only, which is at most 64 + 1 bits long for any
 * value that can be printed. */
#include "config.h"

#include <string.h>
#include "cm-rational.h"

typedef struct {
  guint32 *d;
  guint n;     /* used limbs */
  guint cap;
} Big;

struct _CmRational {
  int sign;    /* -1, 0, 1 (0 iff num is zero) */
  Big num;
  Big den;
};

/* ---------------------------------------------------------------------- */
/* Magnitudes                                                              */

static void
big_reserve (Big *b, guint n)
{
  if (b->cap >= n)
    return;
  b->cap = MAX (n, b->cap * 2);
  b->d = g_renew (guint32, b->d, b->cap);
}

static void
big_trim (Big *b)
{
  while (b->n > 0 && b->d[b->n - 1] == 0)
    b->n--;
}

static void
big_clear (Big *b)
{
  g_free (b->d);
  b->d = NULL;
  b->n = b->cap = 0;
}

static void
big_set_u128 (Big *b, unsigned __int128 v)
{
  big_reserve (b, 4);
  b->n = 0;
  while (v != 0)
    {
      b->d[b->n++] = (guint32) v;
      v >>= 32;
    }
}

static void
big_copy (Big *dst, const Big *src)
{
  big_reserve (dst, src->n ? src->n : 1);
  if (src->n)
    memcpy (dst->d, src->d, src->n * sizeof (guint32));
  dst->n = src->n;
}

static int
big_cmp (const Big *a, const Big *b)
{
  if (a->n != b->n)
    return a->n < b->n ? -1 : 1;
  for (guint i = a->n; i-- > 0;)
    if (a->d[i] != b->d[i])
      return a->d[i] < b->d[i] ? -1 : 1;
  return 0;
}

/* b ×= m */
static void
big_mul_u64 (Big *b, guint64 m)
{
  guint32 lo = (guint32) m, hi = (guint32) (m >> 32);
  guint n = b->n;
  guint64 carry = 0;

  if (n == 0)
    return;
  if (m == 0)
    {
      b->n = 0;
      return;
    }
  big_reserve (b, n + 2);
  if (hi == 0)
    {
      for (guint i = 0; i < n; i++)
        {
          guint64 t = (guint64) b->d[i] * lo + carry;
          b->d[i] = (guint32) t;
          carry = t >> 32;
        }
      b->d[n] = (guint32) carry;
      b->n = n + 1;
    }
  else
    {
      /* two passes into a scratch copy: b·lo + (b·hi << 32) */
      guint32 *src = g_memdup2 (b->d, n * sizeof (guint32));
      memset (b->d, 0, (n + 2) * sizeof (guint32));
      for (guint i = 0; i < n; i++)
        {
          guint64 t = (guint64) src[i] * lo + b->d[i] + carry;
          b->d[i] = (guint32) t;
          carry = t >> 32;
        }
      b->d[n] = (guint32) carry;
      carry = 0;
      for (guint i = 0; i < n; i++)
        {
          guint64 t = (guint64) src[i] * hi + b->d[i + 1] + carry;
          b->d[i + 1] = (guint32) t;
          carry = t >> 32;
        }
      b->d[n + 1] = (guint32) carry;
      b->n = n + 2;
      g_free (src);
    }
  big_trim (b);
}

/* out = a × b (out distinct from a and b) */
static void
big_mul (Big *out, const Big *a, const Big *b)
{
  if (a->n == 0 || b->n == 0)
    {
      out->n = 0;
      return;
    }
  big_reserve (out, a->n + b->n);
  memset (out->d, 0, (a->n + b->n) * sizeof (guint32));
  for (guint i = 0; i < a->n; i++)
    {
      guint64 carry = 0;
      for (guint j = 0; j < b->n; j++)
        {
          guint64 t = (guint64) a->d[i] * b->d[j] + out->d[i + j] + carry;
          out->d[i + j] = (guint32) t;
          carry = t >> 32;
        }
      out->d[i + b->n] = (guint32) carry;
    }
  out->n = a->n + b->n;
  big_trim (out);
}

/* a += b */
static void
big_add (Big *a, const Big *b)
{
  guint n = MAX (a->n, b->n);
  guint64 carry = 0;

  big_reserve (a, n + 1);
  for (guint i = a->n; i < n + 1; i++)
    a->d[i] = 0;
  for (guint i = 0; i < n; i++)
    {
      guint64 t = (guint64) a->d[i] + (i < b->n ? b->d[i] : 0) + carry;
      a->d[i] = (guint32) t;
      carry = t >> 32;
    }
  a->d[n] = (guint32) carry;
  a->n = n + 1;
  big_trim (a);
}

/* a -= b, a ≥ b */
static void
big_sub (Big *a, const Big *b)
{
  gint64 borrow = 0;

  for (guint i = 0; i < a->n; i++)
    {
      gint64 t = (gint64) a->d[i] - (i < b->n ? b->d[i] : 0) - borrow;
      borrow = t < 0;
      a->d[i] = (guint32) (t + (borrow ? ((gint64) 1 << 32) : 0));
    }
  big_trim (a);
}

static guint
big_bits (const Big *b)
{
  if (b->n == 0)
    return 0;
  return (b->n - 1) * 32 + (guint) (32 - __builtin_clz (b->d[b->n - 1]));
}

/* out = b << k */
static void
big_shl (Big *out, const Big *b, guint k)
{
  guint limbs = k / 32, bits = k % 32;

  big_reserve (out, b->n + limbs + 1);
  memset (out->d, 0, (b->n + limbs + 1) * sizeof (guint32));
  for (guint i = 0; i < b->n; i++)
    {
      guint64 v = (guint64) b->d[i] << bits;
      out->d[i + limbs] |= (guint32) v;
      out->d[i + limbs + 1] |= (guint32) (v >> 32);
    }
  out->n = b->n + limbs + 1;
  big_trim (out);
}

/* q = floor (a / b), r = a mod b; FALSE when q needs more than 64 bits. */
static gboolean
big_divmod_u64 (const Big *a, const Big *b, guint64 *q, Big *r)
{
  guint ab = big_bits (a), bb = big_bits (b);
  Big t = { 0 };

  g_assert (b->n > 0);
  big_copy (r, a);
  *q = 0;
  if (ab < bb)
    return TRUE;
  if (ab - bb >= 64)
    {
      /* the quotient has at least 64 bits; exactly 64 still fits */
      if (ab - bb > 64)
        return FALSE;
    }
  for (guint k = ab - bb + 1; k-- > 0;)
    {
      big_shl (&t, b, k);
      if (big_cmp (r, &t) >= 0)
        {
          if (k >= 64)
            {
              big_clear (&t);
              return FALSE;
            }
          big_sub (r, &t);
          *q |= (guint64) 1 << k;
        }
    }
  big_clear (&t);
  return TRUE;
}

static guint64
u64_abs (gint64 v)
{
  return v < 0 ? (guint64) 0 - (guint64) v : (guint64) v;
}

/* ---------------------------------------------------------------------- */
/* Rationals                                                               */

CmRational *
cm_rational_new (gint64 num, gint64 den)
{
  CmRational *r;

  g_return_val_if_fail (den != 0, NULL);
  r = g_new0 (CmRational, 1);
  big_set_u128 (&r->num, u64_abs (num));
  big_set_u128 (&r->den, u64_abs (den));
  r->sign = num == 0 ? 0 : ((num < 0) != (den < 0) ? -1 : 1);
  return r;
}

CmRational *
cm_rational_copy (const CmRational *r)
{
  CmRational *c;

  g_return_val_if_fail (r != NULL, NULL);
  c = g_new0 (CmRational, 1);
  c->sign = r->sign;
  big_copy (&c->num, &r->num);
  big_copy (&c->den, &r->den);
  return c;
}

void
cm_rational_free (CmRational *r)
{
  if (r == NULL)
    return;
  big_clear (&r->num);
  big_clear (&r->den);
  g_free (r);
}

/* r += sign·num/den, where num and den are magnitudes (den > 0). */
static void
add_signed (CmRational *r, int sign, const Big *num, const Big *den)
{
  Big a = { 0 }, b = { 0 };

  if (sign == 0)
    return;
  /* a = r.num × den, b = num × r.den, den' = r.den × den */
  big_mul (&a, &r->num, den);
  big_mul (&b, num, &r->den);
  if (r->sign == 0 || r->sign == sign)
    {
      big_add (&a, &b);
      r->sign = sign;
    }
  else
    {
      int c = big_cmp (&a, &b);
      if (c >= 0)
        big_sub (&a, &b);
      else
        {
          big_sub (&b, &a);
          big_copy (&a, &b);
          r->sign = sign;
        }
      if (c == 0)
        r->sign = 0;
    }
  big_copy (&r->num, &a);
  big_mul (&b, &r->den, den);
  big_copy (&r->den, &b);
  if (r->num.n == 0)
    r->sign = 0;
  big_clear (&a);
  big_clear (&b);
}

static guint64
gcd_u64 (guint64 a, guint64 b)
{
  while (b != 0)
    {
      guint64 t = a % b;
      a = b;
      b = t;
    }
  return a;
}

void
cm_rational_add_product_ratio (CmRational *r, gint64 a, gint64 b, gint64 c)
{
  unsigned __int128 p;
  guint64 ua = u64_abs (a), ub = u64_abs (b), uc = u64_abs (c), g;
  int sign;
  Big num = { 0 }, den = { 0 };

  g_return_if_fail (r != NULL && c != 0);
  if (a == 0 || b == 0)
    return;
  sign = ((a < 0) != (b < 0)) != (c < 0) ? -1 : 1;
  /* keep the terms small: cancel common factors with c first */
  g = gcd_u64 (ua, uc);
  ua /= g;
  uc /= g;
  g = gcd_u64 (ub, uc);
  ub /= g;
  uc /= g;
  p = (unsigned __int128) ua * ub;
  big_set_u128 (&num, p);
  big_set_u128 (&den, uc);
  add_signed (r, sign, &num, &den);
  big_clear (&num);
  big_clear (&den);
}

void
cm_rational_add (CmRational *r, const CmRational *x)
{
  g_return_if_fail (r != NULL && x != NULL);
  if (x == r)
    {
      cm_rational_mul_ratio (r, 2, 1);
      return;
    }
  add_signed (r, x->sign, &x->num, &x->den);
}

void
cm_rational_mul_ratio (CmRational *r, gint64 num, gint64 den)
{
  g_return_if_fail (r != NULL && den != 0);
  big_mul_u64 (&r->num, u64_abs (num));
  big_mul_u64 (&r->den, u64_abs (den));
  if (num == 0 || r->num.n == 0)
    r->sign = 0;
  else if ((num < 0) != (den < 0))
    r->sign = -r->sign;
}

void
cm_rational_mul (CmRational *r, const CmRational *x)
{
  Big t = { 0 };

  g_return_if_fail (r != NULL && x != NULL);
  big_mul (&t, &r->num, &x->num);
  big_copy (&r->num, &t);
  big_mul (&t, &r->den, &x->den);
  big_copy (&r->den, &t);
  r->sign = r->sign * x->sign;
  big_clear (&t);
}

void
cm_rational_div (CmRational *r, const CmRational *x)
{
  Big t = { 0 };

  g_return_if_fail (r != NULL && x != NULL && x->sign != 0);
  big_mul (&t, &r->num, &x->den);
  big_copy (&r->num, &t);
  big_mul (&t, &r->den, &x->num);
  big_copy (&r->den, &t);
  r->sign = r->sign * x->sign;
  big_clear (&t);
}

int
cm_rational_sign (const CmRational *r)
{
  g_return_val_if_fail (r != NULL, 0);
  return r->sign;
}

gboolean
cm_rational_is_zero (const CmRational *r)
{
  g_return_val_if_fail (r != NULL, TRUE);
  return r->sign == 0;
}

int
cm_rational_compare (const CmRational *a, const CmRational *b)
{
  Big l = { 0 }, rr = { 0 };
  int c;

  g_return_val_if_fail (a != NULL && b != NULL, 0);
  if (a->sign != b->sign)
    return a->sign < b->sign ? -1 : 1;
  if (a->sign == 0)
    return 0;
  big_mul (&l, &a->num, &b->den);
  big_mul (&rr, &b->num, &a->den);
  c = big_cmp (&l, &rr) * a->sign;
  big_clear (&l);
  big_clear (&rr);
  return c;
}

int
cm_rational_compare_ratio (const CmRational *r, gint64 num, gint64 den)
{
  g_autoptr (CmRational) x = NULL;

  g_return_val_if_fail (r != NULL && den > 0, 0);
  x = cm_rational_new (num, den);
  return cm_rational_compare (r, x);
}

typedef enum { ROUND_HALF_UP, ROUND_CEIL, ROUND_FLOOR } RoundMode;

static gboolean
round_to (const CmRational *r, guint decimals, RoundMode mode, gint64 *out)
{
  Big n = { 0 }, d = { 0 }, rem = { 0 };
  guint64 q;
  gboolean ok;

  g_return_val_if_fail (r != NULL && out != NULL && decimals <= 18, FALSE);
  if (r->sign == 0)
    {
      *out = 0;
      return TRUE;
    }
  big_copy (&n, &r->num);
  big_copy (&d, &r->den);
  for (guint i = 0; i < decimals; i++)
    big_mul_u64 (&n, 10);
  if (mode == ROUND_HALF_UP)
    {
      /* floor ((2n + d) / 2d), on the magnitude: half away from zero */
      big_mul_u64 (&n, 2);
      big_add (&n, &d);
      big_mul_u64 (&d, 2);
    }
  ok = big_divmod_u64 (&n, &d, &q, &rem);
  if (ok && mode != ROUND_HALF_UP && rem.n != 0)
    {
      /* away from zero for ceil of a positive or floor of a negative */
      if ((mode == ROUND_CEIL) == (r->sign > 0))
        {
          if (q == G_MAXUINT64)
            ok = FALSE;
          else
            q++;
        }
    }
  big_clear (&n);
  big_clear (&d);
  big_clear (&rem);
  if (!ok || q > (guint64) G_MAXINT64)
    return FALSE;
  *out = r->sign < 0 ? -(gint64) q : (gint64) q;
  return TRUE;
}

gboolean
cm_rational_round (const CmRational *r, guint decimals, gint64 *out)
{
  return round_to (r, decimals, ROUND_HALF_UP, out);
}

gboolean
cm_rational_ceil (const CmRational *r, guint decimals, gint64 *out)
{
  return round_to (r, decimals, ROUND_CEIL, out);
}

gboolean
cm_rational_floor (const CmRational *r, guint decimals, gint64 *out)
{
  return round_to (r, decimals, ROUND_FLOOR, out);
}

char *
cm_rational_to_string (const CmRational *r, guint decimals)
{
  gint64 v;
  guint64 mag, p = 1;
  GString *s;

  g_return_val_if_fail (r != NULL && decimals <= 18, NULL);
  if (!cm_rational_round (r, decimals, &v))
    return g_strdup ("overflow");
  for (guint i = 0; i < decimals; i++)
    p *= 10;
  mag = u64_abs (v);
  s = g_string_new (v < 0 ? "-" : "");
  g_string_append_printf (s, "%" G_GUINT64_FORMAT, mag / p);
  if (decimals > 0)
    g_string_append_printf (s, ".%0*" G_GUINT64_FORMAT, (int) decimals, mag % p);
  return g_string_free (s, FALSE);
}
