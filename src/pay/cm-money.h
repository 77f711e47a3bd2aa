/* cm-money.h — money and scaled numbers: fen, 4-decimal fractions, checked
 * arithmetic, digit-by-digit parsing, one rounding function per rule and
 * the one function that renders fen as yuan.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Scales (domain/README.md, conventions 1–3), documented here and nowhere
 * else:
 *
 *   CmFen  money, a signed count of fen (1 yuan = 100 fen); cm-episode.h
 *   CmE4   a fraction ×10 000: relative weights, DIP scores, coefficients,
 *          ratios, outlier multiples, DRG and DIP point values (yuan per
 *          point), case points. Bureaus publish all of these to 4 decimals.
 *
 * Floating point never touches either. Products are formed at full width
 * (128 bits inside the library) and rounded once, by the function of the
 * rule that produces the amount. Half-up means half away from zero
 * (四舍五入): 0.5 fen → 1 fen, −0.5 fen → −1 fen. */
#pragma once

#include <glib.h>
#include "cm-episode.h"

G_BEGIN_DECLS

/* A fraction scaled by 10 000 (see above). */
typedef gint64 CmE4;

#define CM_E4_ONE ((CmE4) 10000)
#define CM_FEN_PER_YUAN ((CmFen) 100)

/* Largest amount the parsers accept: 10^15 fen = 10 000 000 000 000.00 yuan;
 * keeps every product of three published numbers inside 128 bits. */
#define CM_FEN_MAX ((CmFen) 1000000000000000)
/* Largest scaled fraction the parsers accept: 10^11 (10 000 000.0000). */
#define CM_E4_MAX ((CmE4) 100000000000)

/* Enough for "-92233720368547758.08" and its NUL. */
#define CM_MONEY_BUF 32

/**
 * cm_fen_add:
 * @a: an amount
 * @b: an amount
 * @out: (out): @a + @b
 *
 * Checked addition.
 *
 * Returns: FALSE on overflow (@out untouched).
 */
CM_API gboolean cm_fen_add (CmFen a, CmFen b, CmFen *out);

/* Checked subtraction @a − @b; FALSE on overflow. */
CM_API gboolean cm_fen_sub (CmFen a, CmFen b, CmFen *out);

/* Checked multiplication of an amount by a count; FALSE on overflow. */
CM_API gboolean cm_fen_mul (CmFen a, gint64 n, CmFen *out);

/**
 * cm_fen_mul_ratio:
 * @amount: an amount
 * @num: numerator
 * @den: denominator, not 0
 * @out: (out): round_half_up (@amount × @num / @den)
 *
 * The generic case-amount rule (domain/README.md convention 3): the exact
 * product, rounded half-up to the fen once. Settlement uses it for
 * `advance = round2 (base × (1 − w))` with @num/@den = (10000 − w_e4)/10000.
 *
 * Returns: FALSE when @den is 0 or the result does not fit.
 */
CM_API gboolean cm_fen_mul_ratio (CmFen amount, gint64 num, gint64 den,
                                  CmFen *out);

/**
 * cm_scaled_parse:
 * @text: decimal text: optional '-' (only when @min < 0), digits, optional
 *   '.' and at least one digit
 * @decimals: how many fractional digits the scale holds (2 for fen, 4 for e4)
 * @min: smallest scaled value allowed
 * @max: largest scaled value allowed
 * @out: (out): the value × 10^@decimals
 * @problem: (out) (optional) (transfer none): a static description of what
 *   is wrong, for the caller's message
 *
 * Parses digit by digit. More fractional digits than @decimals is an error,
 * never a silent rounding (STYLE §6); so are signs, spaces, exponents and
 * thousands separators.
 *
 * Returns: TRUE when @text is a number in range.
 */
CM_API gboolean cm_scaled_parse (const char *text, guint decimals,
                                 gint64 min, gint64 max, gint64 *out,
                                 const char **problem);

/* Money as yuan with at most 2 decimals → fen; see cm_scaled_parse. */
CM_API gboolean cm_fen_parse (const char *text, CmFen *out,
                              const char **problem);

/* A 4-decimal fraction → CmE4 in [0, CM_E4_MAX]; see cm_scaled_parse. */
CM_API gboolean cm_e4_parse (const char *text, CmE4 *out,
                             const char **problem);

/**
 * cm_fen_format:
 * @fen: an amount
 * @buf: (out caller-allocates): at least CM_MONEY_BUF bytes
 *
 * Renders @fen as yuan with exactly two decimals ("-1234.56", "0.00"); no
 * thousands separator. The only fen → yuan conversion of the project.
 *
 * Returns: the length written (without the NUL).
 */
CM_API gsize cm_fen_format (CmFen fen, char *buf);

/* Renders a CmE4 with exactly four decimals ("0.8536"); returns the length. */
CM_API gsize cm_e4_format (CmE4 value, char *buf);

/* Appends cm_fen_format / cm_e4_format to @out. */
CM_API void cm_fen_append (GString *out, CmFen fen);
CM_API void cm_e4_append (GString *out, CmE4 value);

/* The rounding rules themselves (one function per rule, each citing its
 * clause) work on 128-bit exact products and live in cm-money-private.h;
 * the formulas that use them are public in cm-price.h. */

G_END_DECLS
