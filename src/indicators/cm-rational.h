/* cm-rational.h — exact rational numbers with integers of any size, for
 * indicators that are sums of ratios (cost and time consumption indices)
 * and for every ratio the indicators print or compare with a target.
 * SPDX-License-Identifier: Apache-2.0
 *
 * indicators.md: "Ratios are computed exactly and only formatted (2 dp for
 * percentages, 4 dp for indices) at output; target comparisons use
 * cross-multiplication on integers." A cost consumption index is
 * Σ_i C_hi·N_i / C_i ÷ n_h: its exact value has the product of the
 * region's group totals as denominator, far beyond 128 bits for a few
 * hundred groups, so the terms are added as fractions of big integers and
 * rounded once, half away from zero, when the figure is printed.
 *
 * Cost: adding a term multiplies the running numerator and denominator by
 * a 64-bit integer (linear in their size); a hospital-month with k groups
 * costs O(k²) limb operations, about a millisecond for k = 800. */
#pragma once

#include <glib.h>
#include "cm-version.h"

G_BEGIN_DECLS

typedef struct _CmRational CmRational;

/**
 * cm_rational_new:
 * @num: numerator
 * @den: denominator, not 0
 *
 * Returns: (transfer full): @num / @den.
 */
CM_API CmRational *cm_rational_new (gint64 num, gint64 den);
CM_API CmRational *cm_rational_copy (const CmRational *r);
CM_API void cm_rational_free (CmRational *r);

/* @r += @a × @b / @c (@c not 0), exactly. */
CM_API void cm_rational_add_product_ratio (CmRational *r, gint64 a, gint64 b,
                                           gint64 c);
/* @r += @x. */
CM_API void cm_rational_add (CmRational *r, const CmRational *x);
/* @r ×= @num / @den (@den not 0). */
CM_API void cm_rational_mul_ratio (CmRational *r, gint64 num, gint64 den);
/* @r ×= @x. */
CM_API void cm_rational_mul (CmRational *r, const CmRational *x);
/* @r ÷= @x (@x not 0). */
CM_API void cm_rational_div (CmRational *r, const CmRational *x);

/* -1, 0 or 1. */
CM_API int cm_rational_sign (const CmRational *r);
CM_API gboolean cm_rational_is_zero (const CmRational *r);
/* Exact comparison: -1, 0 or 1. */
CM_API int cm_rational_compare (const CmRational *a, const CmRational *b);
/* Exact comparison of @r with @num / @den (@den > 0). */
CM_API int cm_rational_compare_ratio (const CmRational *r, gint64 num,
                                      gint64 den);

/**
 * cm_rational_round:
 * @r: the value
 * @decimals: 0 to 18
 * @out: (out): @r × 10^@decimals rounded half away from zero (四舍五入)
 *
 * The one rounding of an indicator (indicators.md: at output).
 *
 * Returns: FALSE when the result does not fit in 64 bits.
 */
CM_API gboolean cm_rational_round (const CmRational *r, guint decimals,
                                   gint64 *out);

/* The same with the result rounded toward +∞ / −∞ (a smallest amount that
 * meets a "≥" target, a largest one that meets "≤"). */
CM_API gboolean cm_rational_ceil (const CmRational *r, guint decimals,
                                  gint64 *out);
CM_API gboolean cm_rational_floor (const CmRational *r, guint decimals,
                                   gint64 *out);

/**
 * cm_rational_to_string:
 * @r: the value
 * @decimals: digits after the point
 *
 * Returns: (transfer full): @r rounded as cm_rational_round() and written
 *   with exactly @decimals digits ("1.1361", "-2.30"); "overflow" when it
 *   does not fit.
 */
CM_API char *cm_rational_to_string (const CmRational *r, guint decimals);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmRational, cm_rational_free)

G_END_DECLS
