/* cm-price.h — turning a grouped episode into money: DRG rate and point
 * payment with outliers, DIP points with deviation classes, per-diem
 * stays, fund share and hospital profit/loss.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Two layers. The formula layer (cm_price_drg_*, cm_price_dip_*,
 * cm_price_per_diem_*, cm_price_fund_share) takes explicit parameters and
 * reproduces the worked examples of the domain documents to the fen; the
 * settlement module reuses it (point values, hospital totals). The case
 * layer (CmPriceContext, cm_price_episode) resolves the scheme and the
 * parameter set of an episode from its discharge date through a loaded
 * policy and fills a CmPricedCase with every figure.
 *
 * Units: money in fen (CmFen), fractions ×10 000 (CmE4), see cm-money.h.
 * Every amount is rounded once, by the rule function named in the comment
 * of the formula; classification compares exact ratios. */
#pragma once

#include <glib.h>
#include "cm-money.h"
#include "cm-scheme.h"

G_BEGIN_DECLS

#define CM_PRICE_ERROR (cm_price_error_quark ())
typedef enum {
  CM_PRICE_ERROR_OVERFLOW,   /* an amount does not fit (absurd input) */
  CM_PRICE_ERROR_ARGUMENT,   /* a formula called with an impossible value */
} CmPriceError;

CM_API GQuark cm_price_error_quark (void);

/* How the fund pays the case. Append-only; names in cm_pay_method_name. */
typedef enum {
  CM_PAY_METHOD_DRG = 0,
  CM_PAY_METHOD_DIP,
  CM_PAY_METHOD_PER_DIEM,
  CM_PAY_METHOD_FFS,        /* kept out of group payment: fee-for-service */
  CM_PAY_METHOD_EXCLUDED,   /* not priced: no scheme or parameters for the date */
  CM_PAY_METHOD_N
} CmPayMethod;

/* The case class (business outcome, never an error). Append-only: never
 * renumber or reuse; docs/payment.md §6 lists them. */
typedef enum {
  CM_CASE_NORMAL = 0,
  CM_CASE_HIGH,                /* high-ratio / DIP high deviation */
  CM_CASE_LOW,                 /* low-ratio / DIP low deviation */
  CM_CASE_EXTREME,             /* DIP ratio above the extreme limit: review */
  CM_CASE_QY,                  /* DRG ambiguous group (QY) */
  CM_CASE_UNGROUPED,           /* DRG 0000 / FAIL / CHECK_FAILED; DIP UNGROUPED */
  CM_CASE_NO_WEIGHT,           /* DRG code absent from the weight table */
  CM_CASE_BLANK,               /* DIP group absent from the score table (空白病组) */
  CM_CASE_PER_DIEM,            /* paid by bed-day */
  CM_CASE_PER_DIEM_FLOOR,      /* bed-day case paid its cost under the floor */
  CM_CASE_EXCLUDED_LOS,        /* outside the DRG length-of-stay window: FFS */
  CM_CASE_EXCLUDED_DX,         /* DIP principal diagnosis on the exclusion list: FFS */
  CM_CASE_PER_DIEM_INELIGIBLE, /* registered bed-day stay that fails entry: FFS */
  CM_CASE_NO_SCHEME,           /* no scheme in force on the discharge date */
  CM_CASE_NO_PARAMETERS,       /* no parameter set for the year / family */
  CM_CASE_OVERFLOW,            /* amounts too large to price */
  CM_CASE_N
} CmCaseClass;

/* Static names: "DRG", "DIP", "PER_DIEM", "FFS", "EXCLUDED". */
CM_API const char *cm_pay_method_name (CmPayMethod method);
/* Static names: "normal", "high", "low", "extreme", "qy", "ungrouped", … */
CM_API const char *cm_case_class_name (CmCaseClass cls);

/* ---------------------------------------------------------------------- */
/* Formula layer: DRG (drg-payment.md)                                     */

/* drg-payment.md §3: rate = round2 (F / p / W). */
CM_API gboolean cm_price_drg_rate_fen (CmFen budget_fen, CmE4 fund_share_e4,
                                       CmE4 total_weight_e4, CmFen *out);

/* drg-payment.md §4: std = round2 (rate × RW × c). */
CM_API gboolean cm_price_drg_standard_fen (CmFen rate_fen, CmE4 weight_e4,
                                           CmE4 coef_e4, CmFen *out);

/* drg-payment.md §7: case_points = round4 (RW × points_per_weight × d). */
CM_API gboolean cm_price_drg_case_points_e4 (CmE4 weight_e4,
                                             CmE4 points_per_weight_e4,
                                             CmE4 coef_e4, CmE4 *out);

/* Points × point value × coefficient, rounded once to the fen:
 * drg-payment.md §7 (case_pay = round2 (case_points × PV), coef 1),
 * dip.md §6 (std = round2 (score × PV × c)) and §8 (pay_case). */
CM_API gboolean cm_price_points_pay_fen (CmE4 points_e4, CmE4 point_value_e4,
                                         CmE4 coef_e4, CmFen *out);

/**
 * cm_price_point_value_e4:
 * @money_fen: the money the points share (DRG: F + B; DIP budget: C_w;
 *   DIP settlement: F)
 * @fund_share_e4: p to divide @money_fen by (DIP settlement PV), or
 *   CM_E4_ONE for none
 * @points_e4: the total points
 * @out: (out): round4 (money / p / points) in yuan per point
 *
 * drg-payment.md §7 (PV), dip.md §5 (budget and settlement PV).
 */
CM_API gboolean cm_price_point_value_e4 (CmFen money_fen, CmE4 fund_share_e4,
                                         CmE4 points_e4, CmE4 *out);

typedef enum {
  CM_OUTLIER_REF_STD = 0,        /* the case's payment standard */
  CM_OUTLIER_REF_GROUP_AVG,      /* level-free standard (c = 1), CASE-H2 */
  CM_OUTLIER_REF_CATALOGUE_MEAN, /* the group's mean cost in the weight table */
} CmOutlierRef;

typedef enum {
  CM_LOW_PAY_FFS = 0,   /* the cost (按项目) */
  CM_LOW_PAY_PRORATA,   /* std × cost / ref */
  CM_LOW_PAY_MIN,       /* min (cost, std) */
} CmLowPay;

typedef enum {
  CM_HIGH_PAY_ADDON = 0,  /* std + β × (cost − k × ref) */
  CM_HIGH_PAY_POINTS,     /* std × (cost / ref − k + 1) */
} CmHighPay;

#define CM_MAX_HIGH_TIERS 8

typedef struct {
  CmE4 max_weight_e4;   /* inclusive upper bound of RW; 0 = no bound */
  CmE4 multiple_e4;     /* k */
} CmHighTier;

/* drg-payment.md §5 parameters (drg.outlier.*). */
typedef struct {
  CmOutlierRef ref;
  CmE4 low_ratio_e4;          /* L */
  gboolean low_inclusive;     /* cost ≤ L × ref instead of < */
  gboolean high_inclusive;    /* cost ≥ k × ref instead of > */
  guint n_tiers;
  CmHighTier tiers[CM_MAX_HIGH_TIERS];  /* by ascending max_weight */
  CmLowPay low_pay;
  CmHighPay high_pay;
  CmE4 high_beta_e4;          /* β of ADDON */
} CmDrgOutlierRule;

/* The documented defaults of drg-payment.md §9. */
CM_API void cm_drg_outlier_rule_init (CmDrgOutlierRule *rule);

/* k for @weight_e4: the first tier whose bound is ≥ the weight. */
CM_API CmE4 cm_drg_outlier_rule_multiple (const CmDrgOutlierRule *rule,
                                          CmE4 weight_e4);

/**
 * cm_price_drg_case:
 * @rule: outlier parameters
 * @weight_e4: the group's RW (chooses k)
 * @std_fen: the payment standard
 * @ref_fen: the outlier reference (std, level-free std or mean cost), > 0
 * @cost_fen: the case's total cost
 * @cls: (out): CM_CASE_NORMAL, CM_CASE_HIGH or CM_CASE_LOW
 * @pay_fen: (out): the case payment, drg-payment.md §5.2, rounded once by
 *   cm_round_case_amount_fen
 *
 * drg-payment.md §5: classification by exact cross-multiplication, then
 * payment by class.
 *
 * Returns: FALSE on overflow or @ref_fen ≤ 0.
 */
CM_API gboolean cm_price_drg_case (const CmDrgOutlierRule *rule,
                                   CmE4 weight_e4, CmFen std_fen,
                                   CmFen ref_fen, CmFen cost_fen,
                                   CmCaseClass *cls, CmFen *pay_fen);

/* ---------------------------------------------------------------------- */
/* Formula layer: DIP (dip.md)                                             */

/* dip.md §4: score_case = round4 (score × coef_sub). */
CM_API gboolean cm_price_dip_subtype_score_e4 (CmE4 score_e4, CmE4 coef_e4,
                                               CmE4 *out);

/* dip.md §9: pay_h = round2 (points_h × PV), rounded once at hospital level
 * (cm_round_hospital_total_fen). */
CM_API gboolean cm_price_dip_hospital_total_fen (CmE4 points_e4,
                                                 CmE4 point_value_e4,
                                                 CmFen *out);

typedef enum {
  CM_DIP_REF_LEVEL_MEAN = 0,  /* mean cost of the group at the case's level */
  CM_DIP_REF_GROUP_MEAN,      /* mean cost of the group, all levels */
  CM_DIP_REF_STD,             /* the case's payment standard */
} CmDipRef;

typedef enum {
  CM_DIP_HIGH_NATIONAL = 0,   /* score × (r − h + 1); h = high ratio */
  CM_DIP_HIGH_JINING,         /* score × (r − h + c), coefficient inside */
} CmDipHighFormula;

typedef enum {
  CM_DIP_EXTREME_FORMULA = 0, /* provisional high formula, flag review */
  CM_DIP_EXTREME_NORMAL,      /* pay the normal score until review (济宁) */
} CmDipExtremePay;

/* dip.md §7 parameters (dip.dev.*). */
typedef struct {
  CmDipRef classify_ref;
  CmDipRef price_ref;
  CmE4 low_ratio_e4;
  gboolean low_inclusive;
  CmE4 high_ratio_e4;
  gboolean high_inclusive;
  CmE4 extreme_ratio_e4;      /* 0 = no extreme class */
  CmDipHighFormula high_formula;
  CmDipExtremePay extreme_pay;
} CmDipDeviationRule;

CM_API void cm_dip_deviation_rule_init (CmDipDeviationRule *rule);

/**
 * cm_price_dip_case_score:
 * @rule: deviation parameters
 * @score_e4: the group score (already × coefficient when the coefficient
 *   applies to points)
 * @coef_e4: the hospital coefficient (used by the 济宁 formula only)
 * @classify_ref_fen: reference for the class, > 0
 * @price_ref_fen: reference for r in the formulas, > 0
 * @cost_fen: the case cost
 * @cls: (out): normal, high, low or extreme
 * @case_score_e4: (out): the case score, rounded once
 *   (cm_round_published_e4)
 * @coef_inside: (out) (optional): TRUE when the coefficient is already in
 *   @case_score_e4 (济宁 high formula), so the payment must not apply it
 *
 * dip.md §7.
 */
CM_API gboolean cm_price_dip_case_score (const CmDipDeviationRule *rule,
                                         CmE4 score_e4, CmE4 coef_e4,
                                         CmFen classify_ref_fen,
                                         CmFen price_ref_fen,
                                         CmFen cost_fen, CmCaseClass *cls,
                                         CmE4 *case_score_e4,
                                         gboolean *coef_inside);

/* ---------------------------------------------------------------------- */
/* Formula layer: per-diem (per-diem.md)                                   */

#define CM_MAX_PER_DIEM_SEGMENTS 8

typedef enum {
  CM_EXTRA_DAYS_FFS = 0,  /* days beyond the cap paid by their charges */
  CM_EXTRA_DAYS_UNPAID,
  CM_EXTRA_DAYS_REVIEW,   /* held until the review decides (flag) */
} CmExtraDays;

typedef enum {
  CM_PATIENT_SHARE_FFS = 0,     /* the patient's FFS burden */
  CM_PATIENT_SHARE_FIXED_RATIO, /* a fixed share of the per-diem standard */
} CmPatientShare;

typedef struct {
  gint32 to_day;       /* last cumulative day of the segment; 0 = open */
  CmE4 factor_e4;      /* × the level rate (when no own rate) */
  CmFen rate_fen[4];   /* own day rate per level 1..3 ([0] unused); -1 none */
} CmPerDiemSegment;

/* per-diem.md §2, §6 parameters of one category (perdiem.<cat>.*). */
typedef struct {
  CmPerDiemCategory category;
  CmFen rate_fen[4];            /* per level 1..3 ([0] unused); -1 = none */
  guint n_segments;
  CmPerDiemSegment segments[CM_MAX_PER_DIEM_SEGMENTS];
  gint32 min_los;               /* shorter stays fail entry */
  gint32 cap_days_episode;      /* 0 = no cap */
  CmExtraDays extra_days;
  CmE4 floor_ratio_e4;          /* 0 = no floor */
  CmPatientShare patient_share;
  CmE4 patient_ratio_e4;        /* FIXED_RATIO */
  gboolean ineligible_ffs;      /* failing entry: FFS (TRUE) or group payment */
  char dx_prefixes[128];        /* '|'-separated principal-diagnosis prefixes; "" = any */
} CmPerDiemRule;

CM_API void cm_per_diem_rule_init (CmPerDiemRule *rule, CmPerDiemCategory cat);

/* TRUE when the rule gives a day rate for @level on every paid day. */
CM_API gboolean cm_per_diem_rule_has_rate (const CmPerDiemRule *rule, int level);

/* per-diem.md §2 / README convention 5: max (1, discharge − admission). */
CM_API gint32 cm_price_los_days (gint32 admit_date, gint32 discharge_date);

/**
 * cm_price_per_diem_days_fen:
 * @rule: the category
 * @level: hospital level 1..3
 * @first_day: first cumulative day of the stay (1-based)
 * @last_day: last cumulative day (≥ @first_day - 1; equal minus one = none)
 * @out: (out): Σ over the days of the segment day amounts, rounded once
 *
 * per-diem.md §2 and §5: the segment of a day is found by its cumulative
 * index in the whole episode, so interim (monthly) statements add up
 * (INT-1, INT-2).
 */
CM_API gboolean cm_price_per_diem_days_fen (const CmPerDiemRule *rule,
                                            int level, gint32 first_day,
                                            gint32 last_day, CmFen *out);

typedef struct {
  gint32 paid_days;
  gint32 extra_days;
  CmFen standard_fen;     /* per-diem standard of the paid days */
  CmFen extra_days_fen;   /* paid for the days beyond the cap */
  CmFen pay_fen;          /* pay_perdiem + extra days */
  gboolean floor_applied;
  gboolean review;
} CmPerDiemPay;

/**
 * cm_price_per_diem:
 * @rule: the category
 * @level: hospital level
 * @los_days: length of stay (≥ 1)
 * @cost_fen: the stay's total cost
 * @extra_charges_fen: the item charges of the days beyond the cap, or -1
 *   to take them pro rata (cost × extra / LOS, [A]: the episode format has
 *   no daily charges)
 * @out: (out): the figures
 *
 * per-diem.md §2: paid days, segments, cap, floor, extra days.
 */
CM_API gboolean cm_price_per_diem (const CmPerDiemRule *rule, int level,
                                   gint32 los_days, CmFen cost_fen,
                                   CmFen extra_charges_fen, CmPerDiemPay *out);

/* ---------------------------------------------------------------------- */
/* Fund share (drg-payment.md §6, dip.md §8, per-diem.md §2)               */

typedef enum {
  CM_FUND_SHARE_DIFFERENCE = 0,  /* max (0, pay − patient [− other]) */
  CM_FUND_SHARE_RATIO,           /* round2 (pay × fund_ffs / cost) */
} CmFundShareMethod;

typedef struct {
  CmFundShareMethod method;
  gboolean other_payers_inside;  /* other payers' FFS share is part of pay */
} CmFundShareRule;

/**
 * cm_price_fund_share:
 * @rule: the method
 * @pay_fen: the case payment
 * @patient_fen: the patient's burden
 * @other_fen: what other payers (大病保险, 医疗救助) pay
 * @fund_ffs_fen: what the fund would pay under FFS
 * @cost_fen: the total cost
 * @out: (out): the fund share, rounded once (RATIO)
 */
CM_API gboolean cm_price_fund_share (const CmFundShareRule *rule,
                                     CmFen pay_fen, CmFen patient_fen,
                                     CmFen other_fen, CmFen fund_ffs_fen,
                                     CmFen cost_fen, CmFen *out);

/* ---------------------------------------------------------------------- */
/* Case layer                                                              */

typedef struct _CmPolicy CmPolicy;
typedef struct _CmPriceContext CmPriceContext;

/* Which point values and rates to use (dip.md §5: budget / provisional
 * during the year, final at clearing). */
typedef enum {
  CM_PRICE_STAGE_PROVISIONAL = 0,
  CM_PRICE_STAGE_FINAL,
} CmPriceStage;

typedef struct {
  CmPriceStage stage;
  gboolean no_shadow;     /* do not group with the shadow scheme */
} CmPriceOptions;

/* Every figure of one priced episode. Strings are borrowed from the
 * policy, its schemes or static storage. (A new field is also reset in
 * cm-price.c priced_case_reset.) */
typedef struct {
  CmPayMethod method;
  CmCaseClass case_class;
  gboolean review;              /* flagged for special-case review */

  /* grouping (the two results are at the end of the struct) */
  const char *scheme_id;        /* "" when no scheme covers the date */
  const char *shadow_scheme_id; /* "" when none */
  const char *group_code;       /* DRG code or DIP group id ("" when none) */
  const char *priced_group;     /* the catalogue row used ("" when none) */

  /* parameter set */
  int year;
  int level;
  CmInsuranceType insurance;
  gint32 los_days;
  gint32 paid_days;             /* per-diem */
  gint32 extra_days;            /* per-diem, beyond the cap */

  /* figures (0 when they do not apply) */
  CmE4 weight_e4;               /* DRG RW or DIP group score */
  CmE4 coefficient_e4;
  CmFen rate_fen;               /* DRG base rate or per-diem level rate */
  CmE4 point_value_e4;          /* DRG point method or DIP */
  CmE4 case_score_e4;           /* DIP score_case; DRG points: case points */
  CmE4 points_e4;               /* points for settlement (× coefficient) */
  CmE4 ratio_e4;                /* cost / reference, display only */
  CmFen standard_fen;
  CmFen reference_fen;
  CmFen cost_fen;
  CmFen pay_fen;                /* case payment (hospital's earning) */
  CmFen extra_days_fen;
  CmFen patient_fen;            /* patient's burden */
  CmFen other_fen;              /* other payers */
  CmFen fund_ffs_fen;           /* fund under FFS (input) */
  CmFen fund_fen;               /* fund share */
  CmFen hospital_income_fen;    /* patient + other + fund */
  CmFen profit_loss_fen;        /* hospital_income − cost */

  CmGroupResult group;          /* with the scheme in force */
  CmGroupResult shadow;         /* with the shadow scheme, when one runs */
} CmPricedCase;

/**
 * cm_price_context_new:
 * @policy: a loaded policy (a reference is taken)
 * @options: (nullable): options, NULL for the defaults
 * @error: CM_POLICY_ERROR_PARAMETER when @options ask for what the policy
 *   lacks (final point values)
 *
 * Per-thread scratch: grouping contexts for every scheme of the policy.
 *
 * Returns: (transfer full) (nullable): the context.
 */
CM_API CmPriceContext *cm_price_context_new (CmPolicy *policy,
                                             const CmPriceOptions *options,
                                             GError **error);
CM_API void cm_price_context_free (CmPriceContext *ctx);

/**
 * cm_price_episode:
 * @ctx: this thread's context
 * @episode: an episode of the exchange format (costs and dates set)
 * @out: (out): every figure
 * @error: CM_PRICE_ERROR_OVERFLOW naming the case id when amounts do not fit
 *
 * Groups @episode with the scheme in force on its discharge date, applies
 * the parameter set of that year and prices it. Business outcomes (no
 * scheme, ungrouped, outliers) are classes in @out. Allocates nothing.
 *
 * Returns: FALSE only on overflow (@out then has class CM_CASE_OVERFLOW).
 */
CM_API gboolean cm_price_episode (CmPriceContext *ctx,
                                  const CmEpisode *episode,
                                  CmPricedCase *out, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmPriceContext, cm_price_context_free)

G_END_DECLS
