/* cm-settle.h — the formulas of the bureau's settlement cycle: monthly
 * advance and quality reserve, annual clearing, hospital-level incentive,
 * special-case caps and the working-day calendar of the deadlines.
 * SPDX-License-Identifier: Apache-2.0
 *
 * This is the formula layer of settlement (../shared/docs/domain/
 * settlement.md). Every function takes explicit parameters, computes the
 * exact product at 128 bits and rounds once, half-up to the fen, with the
 * rounding rule of the amount it produces; the worked examples of
 * settlement.md (MON-*, CLR-*, INC-*, SC-*, WD-*) are its unit tests
 * (tests/test-settle.c). The runs that apply them to a month or a year of
 * priced cases live in cm-ledger.h; the DIP and DRG point values come from
 * cm-price.h (cm_price_point_value_e4) and cm_settle_budget_point_value_e4
 * below.
 *
 * Units (cm-money.h): money CmFen, fractions CmE4 (×10 000). Assessment
 * scores are on a 0–100 scale carried as CmE4 (92 → 920 000). */
#pragma once

#include <glib.h>
#include "cm-money.h"

G_BEGIN_DECLS

#define CM_SETTLE_ERROR (cm_settle_error_quark ())
/* Append-only; docs/errors.md lists them. */
typedef enum {
  CM_SETTLE_ERROR_CONFIG,    /* settlement.xml or one of its tables is wrong
                              * (file:line, the parameter or column) */
  CM_SETTLE_ERROR_LEDGER,    /* the ledger database cannot be opened, read
                              * or written (SQLite's message) */
  CM_SETTLE_ERROR_STATE,     /* an operation out of order: a month not
                              * imported or not settled, a decision on a
                              * case that is not a candidate, a quota
                              * exhausted, a year already cleared */
  CM_SETTLE_ERROR_OVERFLOW,  /* an amount does not fit in 64 bits */
  CM_SETTLE_ERROR_INPUT,     /* an input file cannot be read, or is not an
                              * episode file of the period */
  CM_SETTLE_ERROR_IO,        /* an output cannot be written */
} CmSettleError;

CM_API GQuark cm_settle_error_quark (void);

/* ---- monthly settlement (settlement.md §2) ------------------------------ */

typedef struct {
  CmFen payable_fen;    /* Σ fund_case of the month (+ special-case adjustments) */
  CmFen deduct_fen;     /* audit refusals and penalties of the month */
  CmFen base_fen;       /* payable − deduct */
  CmFen advance_fen;    /* round2 (base × (1 − w)) */
  CmFen withheld_fen;   /* base − advance: the quality reserve (质量保证金) */
} CmMonthlyAdvance;

/**
 * cm_settle_monthly_advance:
 * @payable_fen: payable_m
 * @deduct_fen: deduct_m
 * @reserve_ratio_e4: w, 0 to 1.0000 (settle.quality_reserve_ratio)
 * @out: (out): the figures
 *
 * settlement.md §2: advance_m = round2 ((payable − deduct) × (1 − w)),
 * rounded once at hospital level (§8); withheld by difference, so the two
 * always add up to the base (MON-1, MON-2).
 *
 * Returns: FALSE on overflow or a ratio outside [0, 1].
 */
CM_API gboolean cm_settle_monthly_advance (CmFen payable_fen, CmFen deduct_fen,
                                           CmE4 reserve_ratio_e4,
                                           CmMonthlyAdvance *out);

/**
 * cm_settle_month_share_fen:
 * @annual_fen: an annual amount (budget)
 * @month: 1 to 12
 * @out: (out): the month's share
 *
 * Equal monthly shares that add up to @annual_fen exactly: month m gets
 * round (A × m / 12) − round (A × (m − 1) / 12) [A].
 */
CM_API gboolean cm_settle_month_share_fen (CmFen annual_fen, int month,
                                           CmFen *out);

/* ---- annual clearing (settlement.md §3) --------------------------------- */

typedef struct {
  CmFen final_payable_fen;     /* Σ fund_case with final parameters */
  CmFen audit_deductions_fen;  /* the year's audit deductions */
  CmE4 reserve_ratio_e4;       /* w */
  CmE4 score_e4;               /* assessment score 0–100 (×10 000) */
  CmFen incentive_fen;         /* ± §4 adjustment */
  CmFen advances_fen;          /* Σ advance_m */
  CmFen prepayment_fen;        /* prepayment outstanding */
} CmClearingInput;

typedef struct {
  CmFen assess_fen;    /* round2 (final × w × (1 − score/100)) */
  CmFen due_fen;       /* final − deductions − assess ± incentive */
  CmFen clearing_fen;  /* due − advances − prepayment; < 0: recovered */
} CmClearing;

/**
 * cm_settle_clearing:
 * @in: the hospital's year
 * @out: (out): assess, due and the clearing amount
 *
 * settlement.md §3 (CLR-1, CLR-2, CLR-3): the reserve forfeited for the
 * assessment is rounded once at hospital level; the rest is exact.
 *
 * Returns: FALSE on overflow or a score outside 0–100.
 */
CM_API gboolean cm_settle_clearing (const CmClearingInput *in, CmClearing *out);

/* ---- hospital-level incentive (settlement.md §4) ------------------------ */

typedef struct {
  gboolean enabled;
  gboolean cap_surplus;        /* recover the part of D above τh × Σ pay */
  CmE4 surplus_cap_e4;         /* τh */
  CmE4 surplus_retained_e4;    /* ρh */
  CmE4 overspend_share_e4;     /* φh */
} CmIncentiveRule;

/* Defaults: disabled; τh 0.10, ρh 1.0000, φh 0.5000, no cap [A]. */
CM_API void cm_incentive_rule_init (CmIncentiveRule *rule);

/**
 * cm_settle_incentive:
 * @rule: τh, ρh, φh
 * @pay_fen: Σ pay_case of the hospital's DRG/DIP cases in the year
 * @ffs_fen: Σ FFS cost of the same cases
 * @reasonable_loss_fen: the loss the review accepted (used when D < 0)
 * @d_fen: (out) (optional): D = pay − FFS
 * @adjustment_fen: (out): what the fund adds (> 0) or recovers (< 0)
 *
 * settlement.md §4: D ≥ 0 → retained = min (D, τh × pay) × ρh, and with
 * cap_surplus the rest of D is recovered (adjustment = retained − D);
 * without it the hospital keeps D (adjustment 0). D < 0 → the fund adds
 * φh × reasonable_loss (INC-1, INC-2). Each product rounded once.
 */
CM_API gboolean cm_settle_incentive (const CmIncentiveRule *rule, CmFen pay_fen,
                                     CmFen ffs_fen, CmFen reasonable_loss_fen,
                                     CmFen *d_fen, CmFen *adjustment_fen);

/* ---- special-case review (settlement.md §5) ----------------------------- */

/**
 * cm_settle_special_case_cap:
 * @discharges: the hospital's DRG (or DIP) discharges in the review period
 * @cap_ratio_e4: special_case.cap_ratio (0.05 DRG, 0.005 DIP)
 *
 * cap_cases = floor (discharges × cap_ratio), so the cap is never
 * exceeded (SC-1, SC-2).
 *
 * Returns: the number of cases the hospital may submit.
 */
CM_API gint64 cm_settle_special_case_cap (gint64 discharges, CmE4 cap_ratio_e4);

/* ---- point values (dip.md §5) ------------------------------------------- */

/**
 * cm_settle_budget_point_value_e4:
 * @yearly_cost_fen: (array length=n_years): annual DIP inpatient cost of
 *   the base years, oldest first
 * @year_weights: (array length=n_years): their weights (1:2:7)
 * @n_years: 1 to 8
 * @hist_points_e4: P_hist = Σ score_i × n_i
 * @out: (out): budget PV = round4 (C_w / P_hist), C_w the weighted mean
 *
 * dip.md §5 (PV-1). The weighted mean is not rounded: C_w / P_hist is one
 * exact ratio rounded once. The settlement PV (PV-2, PV-3) is
 * cm_price_point_value_e4 (F, p, P_year).
 */
CM_API gboolean cm_settle_budget_point_value_e4 (const CmFen *yearly_cost_fen,
                                                 const gint64 *year_weights,
                                                 guint n_years,
                                                 CmE4 hist_points_e4,
                                                 CmE4 *out);

/**
 * cm_settle_pool_amount_fen:
 * @points_e4: the points of a pool (a hospital's, or the region's)
 * @point_value_e4: the point value
 * @out: (out): round2 (points × PV), rounded once at that level
 *
 * dip.md §9 (ANN-1; ANN-2 per pool, then added) and drg-payment.md §7 for
 * point-method DRG at clearing.
 */
CM_API gboolean cm_settle_pool_amount_fen (CmE4 points_e4, CmE4 point_value_e4,
                                           CmFen *out);

/* ---- working-day calendar (settlement.md §1) ---------------------------- */

typedef struct _CmCalendar CmCalendar;

/* A calendar where Monday–Friday are working days. */
CM_API CmCalendar *cm_calendar_new (void);
CM_API void cm_calendar_free (CmCalendar *cal);

/* Marks @day (days since 1970-01-01) a holiday (@working FALSE) or an
 * adjusted working day, 调休 (@working TRUE). */
CM_API void cm_calendar_set (CmCalendar *cal, gint32 day, gboolean working);

/**
 * cm_calendar_load:
 * @cal: the calendar
 * @path: a TSV with the columns `date` (YYYY-MM-DD) and `kind`
 *   (`holiday` or `workday`), optional `name`
 * @error: CM_SETTLE_ERROR_CONFIG naming file:line:column
 */
CM_API gboolean cm_calendar_load (CmCalendar *cal, const char *path,
                                  GError **error);

CM_API gboolean cm_calendar_is_working_day (const CmCalendar *cal, gint32 day);

/**
 * cm_calendar_add_working_days:
 * @cal: the calendar
 * @from: the declaration deadline (not counted)
 * @n: working days, ≥ 1
 *
 * settlement.md §1: counting starts the day after @from (WD-1, WD-2).
 *
 * Returns: the @n-th working day after @from.
 */
CM_API gint32 cm_calendar_add_working_days (const CmCalendar *cal, gint32 from,
                                            guint n);

/* Day of the week of @day: 1 Monday … 7 Sunday. */
CM_API int cm_date_weekday (gint32 day);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmCalendar, cm_calendar_free)

G_END_DECLS
