/* cm-price.c — DRG, DIP and per-diem payment of one case.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Pricing one episode (cm_price_episode), in order:
 *
 *   1. scheme: the timeline's primary scheme on the discharge date (and the
 *      shadow scheme, grouped for information, no money) — scheme-versions
 *      §7; none → EXCLUDED / no-scheme.
 *   2. parameter set: the policy year of the discharge date and the section
 *      of the scheme's family (drg or dip); none → EXCLUDED / no-parameters.
 *   3. per-diem: a stay registered for bed-day payment whose category has a
 *      profile is paid by bed-day when it passes entry (per-diem.md §2);
 *      failing entry it goes to FFS or on to group payment (profile choice).
 *   4. DRG (drg-payment.md): LOS window → FFS; ungrouped/QY → FFS × factor;
 *      no weight → FFS × factor; else c, std, ref, k, class, pay (§4–§5).
 *   5. DIP (dip.md): excluded principal diagnosis → FFS; ungrouped → FFS ×
 *      factor; the group's score, or its comprehensive pool's; none → blank,
 *      FFS × blank factor; else c, std, deviation class and case score,
 *      pay = round2 (score_case × PV × c) (§6–§8).
 *   6. fund share and hospital figures (drg-payment.md §6):
 *      patient = out-of-catalogue + co-pay (or the per-diem fixed share),
 *      other = cost − out-of-catalogue − co-pay − fund_ffs,
 *      income = patient + other + fund, profit_loss = income − cost.
 *
 * Each money amount comes out of one rounding (cm-money-private.h). The
 * hot path reads only the immutable policy and the worker's grouping
 * contexts and allocates nothing. */
#include "config.h"

#include <string.h>
#include "cm-price.h"
#include "cm-money-private.h"
#include "cm-policy-private.h"

G_DEFINE_QUARK (cm-price-error-quark, cm_price_error)

static const char *const method_names[CM_PAY_METHOD_N] = {
  "DRG", "DIP", "PER_DIEM", "FFS", "EXCLUDED",
};

static const char *const class_names[CM_CASE_N] = {
  "normal", "high", "low", "extreme", "qy", "ungrouped", "no-weight", "blank",
  "per-diem", "per-diem-floor", "excluded-los", "excluded-dx",
  "per-diem-ineligible", "no-scheme", "no-parameters", "overflow",
};

const char *
cm_pay_method_name (CmPayMethod method)
{
  g_return_val_if_fail (method < CM_PAY_METHOD_N, "?");
  return method_names[method];
}

const char *
cm_case_class_name (CmCaseClass cls)
{
  g_return_val_if_fail (cls < CM_CASE_N, "?");
  return class_names[cls];
}

#define E4 ((CmWide) CM_E4_ONE)

/* ---------------------------------------------------------------------- */
/* DRG formulas                                                            */

gboolean
cm_price_drg_rate_fen (CmFen budget_fen, CmE4 fund_share_e4,
                       CmE4 total_weight_e4, CmFen *out)
{
  g_return_val_if_fail (out != NULL, FALSE);
  if (fund_share_e4 <= 0 || total_weight_e4 <= 0)
    return FALSE;
  /* F / (p/10⁴) / (W/10⁴) in fen */
  return cm_round_published_rate_fen ((CmWide) budget_fen * E4 * E4,
                                      (CmWide) fund_share_e4 * total_weight_e4,
                                      out);
}

gboolean
cm_price_drg_standard_fen (CmFen rate_fen, CmE4 weight_e4, CmE4 coef_e4,
                           CmFen *out)
{
  g_return_val_if_fail (out != NULL, FALSE);
  return cm_round_case_amount_fen ((CmWide) rate_fen * weight_e4 * coef_e4,
                                   E4 * E4, out);
}

gboolean
cm_price_drg_case_points_e4 (CmE4 weight_e4, CmE4 points_per_weight_e4,
                             CmE4 coef_e4, CmE4 *out)
{
  g_return_val_if_fail (out != NULL, FALSE);
  return cm_round_published_e4 ((CmWide) weight_e4 * points_per_weight_e4
                                * coef_e4, E4 * E4, out);
}

gboolean
cm_price_points_pay_fen (CmE4 points_e4, CmE4 point_value_e4, CmE4 coef_e4,
                         CmFen *out)
{
  g_return_val_if_fail (out != NULL, FALSE);
  /* points × PV × c is yuan × 10¹²; fen = / 10¹⁰ */
  return cm_round_case_amount_fen ((CmWide) points_e4 * point_value_e4 * coef_e4,
                                   E4 * E4 * 100, out);
}

gboolean
cm_price_point_value_e4 (CmFen money_fen, CmE4 fund_share_e4, CmE4 points_e4,
                         CmE4 *out)
{
  g_return_val_if_fail (out != NULL, FALSE);
  if (fund_share_e4 <= 0 || points_e4 <= 0)
    return FALSE;
  /* (money/100) / (p/10⁴) / (P/10⁴) × 10⁴ */
  return cm_round_published_e4 ((CmWide) money_fen * E4 * E4 * E4,
                                (CmWide) 100 * fund_share_e4 * points_e4, out);
}

void
cm_drg_outlier_rule_init (CmDrgOutlierRule *rule)
{
  g_return_if_fail (rule != NULL);
  memset (rule, 0, sizeof *rule);
  /* drg-payment.md §5.1 / §9 defaults, [S]/[A] */
  rule->ref = CM_OUTLIER_REF_STD;
  rule->low_ratio_e4 = 4000;
  rule->low_inclusive = FALSE;
  rule->high_inclusive = FALSE;
  rule->n_tiers = 3;
  rule->tiers[0] = (CmHighTier) { 1 * CM_E4_ONE, 3 * CM_E4_ONE };
  rule->tiers[1] = (CmHighTier) { 2 * CM_E4_ONE, 2 * CM_E4_ONE };
  rule->tiers[2] = (CmHighTier) { 0, 15000 };
  rule->low_pay = CM_LOW_PAY_FFS;
  rule->high_pay = CM_HIGH_PAY_ADDON;
  rule->high_beta_e4 = CM_E4_ONE;
}

CmE4
cm_drg_outlier_rule_multiple (const CmDrgOutlierRule *rule, CmE4 weight_e4)
{
  g_return_val_if_fail (rule != NULL && rule->n_tiers > 0, 0);
  for (guint i = 0; i < rule->n_tiers; i++)
    if (rule->tiers[i].max_weight_e4 == 0
        || weight_e4 <= rule->tiers[i].max_weight_e4)
      return rule->tiers[i].multiple_e4;
  return rule->tiers[rule->n_tiers - 1].multiple_e4;
}

gboolean
cm_price_drg_case (const CmDrgOutlierRule *rule, CmE4 weight_e4, CmFen std_fen,
                   CmFen ref_fen, CmFen cost_fen, CmCaseClass *cls,
                   CmFen *pay_fen)
{
  CmWide cost4 = (CmWide) cost_fen * E4;
  CmWide low_at, high_at;
  CmE4 k;
  gboolean low, high;

  g_return_val_if_fail (rule != NULL && cls != NULL && pay_fen != NULL, FALSE);
  if (ref_fen <= 0)
    return FALSE;
  k = cm_drg_outlier_rule_multiple (rule, weight_e4);
  /* domain/README convention 4: cross-multiplied, never rounded */
  low_at = (CmWide) rule->low_ratio_e4 * ref_fen;
  high_at = (CmWide) k * ref_fen;
  low = rule->low_inclusive ? cost4 <= low_at : cost4 < low_at;
  high = rule->high_inclusive ? cost4 >= high_at : cost4 > high_at;

  if (low)
    {
      *cls = CM_CASE_LOW;
      switch (rule->low_pay)
        {
        case CM_LOW_PAY_PRORATA:  /* std × cost / ref */
          return cm_round_case_amount_fen ((CmWide) std_fen * cost_fen, ref_fen,
                                           pay_fen);
        case CM_LOW_PAY_MIN:
          *pay_fen = MIN (cost_fen, std_fen);
          return TRUE;
        case CM_LOW_PAY_FFS:
        default:
          *pay_fen = cost_fen;
          return TRUE;
        }
    }
  if (high)
    {
      *cls = CM_CASE_HIGH;
      if (rule->high_pay == CM_HIGH_PAY_POINTS)
        /* std × (cost/ref − k + 1) = std × (cost·10⁴ − (k − 10⁴)·ref) / (ref·10⁴) */
        return cm_round_case_amount_fen ((CmWide) std_fen
                                         * (cost4 - (CmWide) (k - CM_E4_ONE) * ref_fen),
                                         (CmWide) ref_fen * E4, pay_fen);
      /* std + β × (cost − k × ref), one rounding over the whole sum */
      return cm_round_case_amount_fen ((CmWide) std_fen * E4 * E4
                                       + (CmWide) rule->high_beta_e4 * (cost4 - high_at),
                                       E4 * E4, pay_fen);
    }
  *cls = CM_CASE_NORMAL;
  *pay_fen = std_fen;
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* DIP formulas                                                            */

gboolean
cm_price_dip_subtype_score_e4 (CmE4 score_e4, CmE4 coef_e4, CmE4 *out)
{
  g_return_val_if_fail (out != NULL, FALSE);
  return cm_round_published_e4 ((CmWide) score_e4 * coef_e4, E4, out);
}

gboolean
cm_price_dip_hospital_total_fen (CmE4 points_e4, CmE4 point_value_e4,
                                 CmFen *out)
{
  g_return_val_if_fail (out != NULL, FALSE);
  /* points × PV is yuan × 10⁸; fen = / 10⁶ */
  return cm_round_hospital_total_fen ((CmWide) points_e4 * point_value_e4,
                                      E4 * 100, out);
}

void
cm_dip_deviation_rule_init (CmDipDeviationRule *rule)
{
  g_return_if_fail (rule != NULL);
  memset (rule, 0, sizeof *rule);
  /* dip.md §7 / §11 defaults, [S]/[L] */
  rule->classify_ref = CM_DIP_REF_LEVEL_MEAN;
  rule->price_ref = CM_DIP_REF_LEVEL_MEAN;
  rule->low_ratio_e4 = 5000;
  rule->low_inclusive = FALSE;
  rule->high_ratio_e4 = 2 * CM_E4_ONE;
  rule->high_inclusive = FALSE;
  rule->extreme_ratio_e4 = 5 * CM_E4_ONE;
  rule->high_formula = CM_DIP_HIGH_NATIONAL;
  rule->extreme_pay = CM_DIP_EXTREME_FORMULA;
}

/* The high-deviation case score: national score × (r − h + 1), 济宁
 * score × (r − h + c); r = cost / ref, exact until the one rounding. */
static gboolean
dip_high_score (const CmDipDeviationRule *rule, CmE4 score_e4, CmE4 coef_e4,
                CmFen ref_fen, CmFen cost_fen, CmE4 *out, gboolean *coef_inside)
{
  CmE4 add = rule->high_formula == CM_DIP_HIGH_JINING ? coef_e4 : CM_E4_ONE;
  CmWide num = (CmWide) cost_fen * E4 - (CmWide) (rule->high_ratio_e4 - add) * ref_fen;

  if (coef_inside)
    *coef_inside = rule->high_formula == CM_DIP_HIGH_JINING;
  return cm_round_published_e4 ((CmWide) score_e4 * num, (CmWide) ref_fen * E4,
                                out);
}

/* cm_price_dip_case_score without the argument checks (every DIP case). */
static inline gboolean
dip_case_score (const CmDipDeviationRule *rule, CmE4 score_e4, CmE4 coef_e4,
                CmFen classify_ref_fen, CmFen price_ref_fen, CmFen cost_fen,
                CmCaseClass *cls, CmE4 *case_score_e4, gboolean *coef_inside)
{
  CmWide cost4 = (CmWide) cost_fen * E4;
  CmWide low_at, high_at;
  gboolean low, high, extreme;

  if (coef_inside)
    *coef_inside = FALSE;
  if (classify_ref_fen <= 0 || price_ref_fen <= 0)
    return FALSE;
  low_at = (CmWide) rule->low_ratio_e4 * classify_ref_fen;
  high_at = (CmWide) rule->high_ratio_e4 * classify_ref_fen;
  low = rule->low_inclusive ? cost4 <= low_at : cost4 < low_at;
  high = rule->high_inclusive ? cost4 >= high_at : cost4 > high_at;
  extreme = rule->extreme_ratio_e4 > 0
            && cost4 > (CmWide) rule->extreme_ratio_e4 * classify_ref_fen;

  if (low)
    {
      *cls = CM_CASE_LOW;  /* score × r */
      return cm_round_published_e4 ((CmWide) score_e4 * cost_fen, price_ref_fen,
                                    case_score_e4);
    }
  if (extreme)
    {
      *cls = CM_CASE_EXTREME;
      if (rule->extreme_pay == CM_DIP_EXTREME_NORMAL)
        {
          *case_score_e4 = score_e4;
          return TRUE;
        }
      return dip_high_score (rule, score_e4, coef_e4, price_ref_fen, cost_fen,
                             case_score_e4, coef_inside);
    }
  if (high)
    {
      *cls = CM_CASE_HIGH;
      return dip_high_score (rule, score_e4, coef_e4, price_ref_fen, cost_fen,
                             case_score_e4, coef_inside);
    }
  *cls = CM_CASE_NORMAL;
  *case_score_e4 = score_e4;
  return TRUE;
}

gboolean
cm_price_dip_case_score (const CmDipDeviationRule *rule, CmE4 score_e4,
                         CmE4 coef_e4, CmFen classify_ref_fen,
                         CmFen price_ref_fen, CmFen cost_fen, CmCaseClass *cls,
                         CmE4 *case_score_e4, gboolean *coef_inside)
{
  g_return_val_if_fail (rule != NULL && cls != NULL && case_score_e4 != NULL,
                        FALSE);
  return dip_case_score (rule, score_e4, coef_e4, classify_ref_fen, price_ref_fen,
                         cost_fen, cls, case_score_e4, coef_inside);
}

/* ---------------------------------------------------------------------- */
/* Per-diem formulas                                                       */

void
cm_per_diem_rule_init (CmPerDiemRule *rule, CmPerDiemCategory cat)
{
  g_return_if_fail (rule != NULL);
  memset (rule, 0, sizeof *rule);
  /* per-diem.md §6 defaults, all [A] */
  rule->category = cat;
  for (guint l = 0; l < CM_N_LEVELS; l++)
    rule->rate_fen[l] = -1;
  rule->n_segments = 1;
  rule->segments[0].to_day = 0;
  rule->segments[0].factor_e4 = CM_E4_ONE;
  for (guint l = 0; l < CM_N_LEVELS; l++)
    rule->segments[0].rate_fen[l] = -1;
  rule->min_los = 1;
  rule->cap_days_episode = 0;
  rule->extra_days = CM_EXTRA_DAYS_FFS;
  rule->floor_ratio_e4 = 7000;
  rule->patient_share = CM_PATIENT_SHARE_FFS;
  rule->patient_ratio_e4 = 1000;
  rule->ineligible_ffs = FALSE;
}

/* Day amount of segment @s at @level in fen × 10⁴; -1 when none. */
static CmWide
segment_day_amount (const CmPerDiemRule *rule, const CmPerDiemSegment *s,
                    int level)
{
  if (s->rate_fen[level] >= 0)
    return (CmWide) s->rate_fen[level] * E4;
  if (rule->rate_fen[level] >= 0)
    return (CmWide) rule->rate_fen[level] * s->factor_e4;
  return -1;
}

gboolean
cm_per_diem_rule_has_rate (const CmPerDiemRule *rule, int level)
{
  g_return_val_if_fail (rule != NULL, FALSE);
  if (level < 1 || level > 3)
    return FALSE;
  for (guint i = 0; i < rule->n_segments; i++)
    if (segment_day_amount (rule, &rule->segments[i], level) < 0)
      return FALSE;
  return TRUE;
}

gint32
cm_price_los_days (gint32 admit_date, gint32 discharge_date)
{
  gint32 d = discharge_date - admit_date;
  return d < 1 ? 1 : d;
}

/* Σ day amounts of days first..last in fen × 10⁴ (exact); -1 when a
 * segment has no rate for @level. */
static CmWide
days_amount (const CmPerDiemRule *rule, int level, gint32 first, gint32 last)
{
  CmWide sum = 0;
  gint32 seg_from = 1;

  for (guint i = 0; i < rule->n_segments && first <= last; i++)
    {
      const CmPerDiemSegment *s = &rule->segments[i];
      gint32 seg_to = s->to_day > 0 ? s->to_day : G_MAXINT32;
      gint32 lo = MAX (first, seg_from), hi = MIN (last, seg_to);
      CmWide day;

      if (lo <= hi)
        {
          day = segment_day_amount (rule, s, level);
          if (day < 0)
            return -1;
          sum += day * (hi - lo + 1);
        }
      if (s->to_day <= 0)
        break;
      seg_from = s->to_day + 1;
    }
  return sum;
}

gboolean
cm_price_per_diem_days_fen (const CmPerDiemRule *rule, int level,
                            gint32 first_day, gint32 last_day, CmFen *out)
{
  CmWide sum;

  g_return_val_if_fail (rule != NULL && out != NULL, FALSE);
  if (level < 1 || level > 3 || first_day < 1 || last_day < first_day - 1)
    return FALSE;
  sum = days_amount (rule, level, first_day, last_day);
  if (sum < 0)
    return FALSE;
  return cm_round_case_amount_fen (sum, E4, out);
}

gboolean
cm_price_per_diem (const CmPerDiemRule *rule, int level, gint32 los_days,
                   CmFen cost_fen, CmFen extra_charges_fen, CmPerDiemPay *out)
{
  CmFen charges = 0, cost_paid;

  g_return_val_if_fail (rule != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  if (los_days < 1)
    return FALSE;
  out->paid_days = rule->cap_days_episode > 0
                   ? MIN (los_days, rule->cap_days_episode) : los_days;
  out->extra_days = los_days - out->paid_days;
  if (!cm_price_per_diem_days_fen (rule, level, 1, out->paid_days,
                                   &out->standard_fen))
    return FALSE;
  if (out->extra_days > 0)
    {
      if (extra_charges_fen >= 0)
        charges = MIN (extra_charges_fen, cost_fen);
      else if (!cm_round_case_amount_fen ((CmWide) cost_fen * out->extra_days,
                                          los_days, &charges))
        return FALSE;  /* [A] pro rata: cost × extra / LOS */
      switch (rule->extra_days)
        {
        case CM_EXTRA_DAYS_FFS:
          out->extra_days_fen = charges;
          break;
        case CM_EXTRA_DAYS_REVIEW:
          out->review = TRUE;
          break;
        case CM_EXTRA_DAYS_UNPAID:
        default:
          break;
        }
    }
  /* per-diem.md §2 floor: a stay far cheaper than the standard is paid its
   * cost (the cost of the paid days), exact comparison */
  cost_paid = cost_fen - charges;
  if (rule->floor_ratio_e4 > 0
      && (CmWide) cost_paid * E4 < (CmWide) rule->floor_ratio_e4 * out->standard_fen)
    {
      out->floor_applied = TRUE;
      out->pay_fen = cost_paid;
    }
  else
    out->pay_fen = out->standard_fen;
  return cm_fen_add_inline (out->pay_fen, out->extra_days_fen, &out->pay_fen);
}

/* ---------------------------------------------------------------------- */
/* Fund share                                                              */

/* cm_price_fund_share without the argument checks (the case layer calls
 * it for every case). */
static inline gboolean
fund_share (const CmFundShareRule *rule, CmFen pay_fen, CmFen patient_fen,
            CmFen other_fen, CmFen fund_ffs_fen, CmFen cost_fen, CmFen *out)
{
  CmFen fund;

  if (rule->method == CM_FUND_SHARE_RATIO)
    {
      /* drg-payment.md §6 RATIO: round2 (pay × fund_ffs / cost) */
      if (cost_fen <= 0)
        {
          *out = 0;
          return TRUE;
        }
      return cm_round_case_amount_fen ((CmWide) pay_fen * fund_ffs_fen, cost_fen,
                                       out);
    }
  /* DIFFERENCE: max (0, pay − burden); the floor applies per case
   * (domain/README convention 3) */
  if (!cm_fen_sub_inline (pay_fen, patient_fen, &fund))
    return FALSE;
  if (rule->other_payers_inside && !cm_fen_sub_inline (fund, other_fen, &fund))
    return FALSE;
  *out = MAX (fund, 0);
  return TRUE;
}

gboolean
cm_price_fund_share (const CmFundShareRule *rule, CmFen pay_fen,
                     CmFen patient_fen, CmFen other_fen, CmFen fund_ffs_fen,
                     CmFen cost_fen, CmFen *out)
{
  g_return_val_if_fail (rule != NULL && out != NULL, FALSE);
  return fund_share (rule, pay_fen, patient_fen, other_fen, fund_ffs_fen, cost_fen,
                     out);
}

/* ---------------------------------------------------------------------- */
/* Case layer                                                              */

/* A memo of catalogue look-ups, per context (so per thread, no lock):
 * open-addressing maps that remember every answer, misses too, one map
 * per (kind, table), keyed by a non-zero 64-bit value:
 *   MEMO_GROUP: the address of a grouper's group id — scheme strings,
 *     which live as long as the policy the context holds;
 *   MEMO_CODE:  a DRG code of 1 to 8 bytes, by content.
 * (Comprehensive pools have a dense table, lookup_pool.)
 * Their size is bounded by the schemes (groups, codes), so
 * they never evict: after the first case of a group a look-up is a
 * multiply and a compare instead of hashing the text. Slots are 16 bytes
 * and the maps up to 3/4 full, so a scheme's worth stays in L2. */
typedef enum { MEMO_GROUP, MEMO_CODE, MEMO_N_KINDS } MemoKind;

typedef struct {
  guint64 key;                    /* 0: empty slot */
  const CmCatalogueEntry *entry;  /* NULL: not in the table */
} MemoSlot;

typedef struct {
  const void *table;
  MemoKind kind;
  MemoSlot *slots;
  guint32 mask;                   /* capacity − 1 */
  guint32 n;
} Memo;

#define MEMO_INITIAL 1024

/* The dense table of comprehensive pools of one DIP section (lookup_pool). */
#define POOL_N_CATS (26 * 100 + 1)  /* A00–Z99, then "no category" */

typedef struct _PoolTable {
  const CmDipParams *params;
  const CmCatalogueEntry **slots;   /* POOL_N_CATS × 3; pool_unknown: not yet */
} PoolTable;

static const CmCatalogueEntry pool_unknown;


struct _CmPriceContext {
  CmPolicy *policy;
  CmTimelineContext *tl;
  CmPriceOptions options;
  gboolean shadow;
  /* the last year looked up (cases of a file mostly share it) */
  int last_year;
  const CmYearParams *last_params;
  /* the year of the last discharge date and its range [first, next) */
  int date_year;
  gint32 year_first, year_next;
  GPtrArray *memos;               /* Memo *, one per (table, kind) used */
  Memo *last_memo[MEMO_N_KINDS];  /* the one used last, per kind */
  GPtrArray *pools;               /* PoolTable *, one per DIP section used */
  PoolTable *last_pool;
};

static void
memo_free (gpointer data)
{
  Memo *m = data;

  g_free (m->slots);
  g_free (m);
}

static void
pool_table_free (gpointer data)
{
  PoolTable *t = data;

  g_free (t->slots);
  g_free (t);
}

/* The map of (@table, @kind), made on first use. */
static inline Memo *
memo_get (CmPriceContext *ctx, MemoKind kind, const void *table)
{
  Memo *m = ctx->last_memo[kind];

  if (G_LIKELY (m != NULL && m->table == table))
    return m;
  m = NULL;
  for (guint i = 0; i < ctx->memos->len; i++)
    {
      Memo *x = ctx->memos->pdata[i];
      if (x->table == table && x->kind == kind)
        m = x;
    }
  if (m == NULL)
    {
      m = g_new0 (Memo, 1);
      m->table = table;
      m->kind = kind;
      m->slots = g_new0 (MemoSlot, MEMO_INITIAL);
      m->mask = MEMO_INITIAL - 1;
      g_ptr_array_add (ctx->memos, m);
    }
  ctx->last_memo[kind] = m;
  return m;
}

/* The slot holding @key (non-zero), or the empty slot where it goes;
 * *@hit tells which. */
static inline MemoSlot *
memo_find (Memo *m, guint64 key, gboolean *hit)
{
  guint32 i = (guint32) ((key * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15)) >> 32) & m->mask;

  for (;; i = (i + 1) & m->mask)
    {
      MemoSlot *slot = &m->slots[i];
      if (slot->key == key)
        {
          *hit = TRUE;
          return slot;
        }
      if (slot->key == 0)
        {
          *hit = FALSE;
          return slot;
        }
    }
}

static void
memo_grow (Memo *m)
{
  MemoSlot *old = m->slots;
  guint32 old_cap = m->mask + 1;

  m->mask = old_cap * 2 - 1;
  m->slots = g_new0 (MemoSlot, old_cap * 2);
  for (guint32 i = 0; i < old_cap; i++)
    if (old[i].key != 0)
      {
        gboolean hit;
        *memo_find (m, old[i].key, &hit) = old[i];
      }
  g_free (old);
}

/* Fills the empty @slot from memo_find; the map stays at most 3/4 full. */
static const CmCatalogueEntry *
memo_store (Memo *m, MemoSlot *slot, guint64 key, const CmCatalogueEntry *entry)
{
  slot->key = key;
  slot->entry = entry;
  if (++m->n > (m->mask + 1) / 4 * 3)
    memo_grow (m);
  return entry;
}

/* The entry of a grouper's group id (a scheme string: keyed by address). */
static const CmCatalogueEntry *
lookup_group (CmPriceContext *ctx, const CmCatalogue *cat, const char *group_id)
{
  gboolean hit;
  guint64 key = (guint64) (guintptr) group_id;
  Memo *m = memo_get (ctx, MEMO_GROUP, cat);
  MemoSlot *slot = memo_find (m, key, &hit);

  if (hit)
    return slot->entry;
  return memo_store (m, slot, key, cm_catalogue_lookup (cat, group_id));
}

/* The entry of a DRG code (a result's own array: keyed by content). */
static const CmCatalogueEntry *
lookup_code (CmPriceContext *ctx, const CmCatalogue *cat, const char *code,
             gsize size)
{
  gsize n = strnlen (code, MIN (size, 9));
  guint64 key = 0;
  gboolean hit;
  MemoSlot *slot;
  Memo *m;

  if (n == 0 || n > 8 || size < 8)
    return cm_catalogue_lookup (cat, code);
  memcpy (&key, code, 8);
  if (n < 8)
    key &= (G_GUINT64_CONSTANT (1) << (8 * n)) - 1;
  m = memo_get (ctx, MEMO_CODE, cat);
  slot = memo_find (m, key, &hit);
  if (hit)
    return slot->entry;
  return memo_store (m, slot, key, cm_catalogue_lookup (cat, code));
}

CmPriceContext *
cm_price_context_new (CmPolicy *policy, const CmPriceOptions *options,
                      GError **error)
{
  CmPriceContext *ctx;

  g_return_val_if_fail (policy != NULL, NULL);
  if (options != NULL && options->stage == CM_PRICE_STAGE_FINAL)
    {
      /* every point value used must exist at the final stage */
      for (guint i = 0; i < policy->years->len; i++)
        {
          const CmYearParams *y = &g_array_index (policy->years, CmYearParams, i);

          if ((y->dip.present && y->dip.pv_e4[CM_PRICE_STAGE_FINAL][0][1] == 0)
              || (y->drg.present && y->drg.method == CM_DRG_METHOD_POINTS
                  && y->drg.pv_e4[CM_PRICE_STAGE_FINAL][0][1] == 0))
            {
              g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_PARAMETER,
                           "%s: year %d has no point-value with stage=\"final\"",
                           policy->path, y->year);
              return NULL;
            }
        }
    }
  ctx = g_new0 (CmPriceContext, 1);
  ctx->policy = cm_policy_ref (policy);
  ctx->tl = cm_timeline_context_new (policy->timeline);
  if (options != NULL)
    ctx->options = *options;
  ctx->shadow = !ctx->options.no_shadow && cm_timeline_has_shadow (policy->timeline);
  ctx->last_year = G_MININT;
  ctx->year_first = 1;  /* an empty range */
  ctx->year_next = 0;
  ctx->memos = g_ptr_array_new_with_free_func (memo_free);
  ctx->pools = g_ptr_array_new_with_free_func (pool_table_free);
  return ctx;
}

void
cm_price_context_free (CmPriceContext *ctx)
{
  if (ctx == NULL)
    return;
  cm_timeline_context_free (ctx->tl);
  cm_policy_unref (ctx->policy);
  g_ptr_array_unref (ctx->memos);
  g_ptr_array_unref (ctx->pools);
  g_free (ctx);
}

static const CmYearParams *
year_params (CmPriceContext *ctx, int year)
{
  if (year != ctx->last_year)
    {
      ctx->last_params = cm_policy_lookup_year (ctx->policy, year);
      ctx->last_year = year;
    }
  return ctx->last_params;
}

/* Fee-for-service at @factor_e4 of the cost (1.0000 = plain FFS). */
static gboolean
pay_ffs (CmPricedCase *pc, CmE4 factor_e4)
{
  if (factor_e4 == CM_E4_ONE)
    {
      pc->pay_fen = pc->cost_fen;
      return TRUE;
    }
  return cm_round_case_amount_fen ((CmWide) pc->cost_fen * factor_e4, E4,
                                   &pc->pay_fen);
}

/* Display ratio cost / ref to 4 decimals (classification never uses it). */
static void
set_ratio (CmPricedCase *pc, CmFen ref)
{
  pc->reference_fen = ref;
  if (ref > 0)
    cm_wide_div_half_up ((CmWide) pc->cost_fen * E4, ref, &pc->ratio_e4);
}

/* A grouper status against a name: the first byte settles most cases
 * without a call (this runs several times per case). */
static inline gboolean
status_is (const char *status, const char *name)
{
  return status[0] == name[0] && strcmp (status, name) == 0;
}

/* price_drg, price_dip and price_per_diem stay out of line: a policy runs
 * one or two of them, and one large function of all three crowded the
 * instruction cache the grouper needs (cachegrind: I1 misses per case). */
static G_NO_INLINE gboolean
price_drg (CmPriceContext *ctx, const CmDrgParams *p, const CmEpisode *ep,
           CmPriceStage stage, CmPricedCase *pc, const CmFundShareRule **fund)
{
  const CmCatalogueEntry *e;
  CmE4 c;
  CmFen std, ref;
  int ins = pc->insurance - 1;

  *fund = &p->fund;
  pc->method = CM_PAY_METHOD_DRG;
  pc->group_code = pc->group.drg;
  /* drg-payment.md §1 step 1: the LOS window */
  if ((p->los_max_short >= 0 && pc->los_days <= p->los_max_short)
      || (p->los_min_long >= 0 && pc->los_days >= p->los_min_long))
    {
      pc->method = CM_PAY_METHOD_FFS;
      pc->case_class = CM_CASE_EXCLUDED_LOS;
      return pay_ffs (pc, CM_E4_ONE);
    }
  if (!status_is (pc->group.status, "SUCCESS"))
    {
      pc->case_class = status_is (pc->group.status, "QY") ? CM_CASE_QY
                                                            : CM_CASE_UNGROUPED;
      return pay_ffs (pc, p->ungrouped_factor_e4);
    }
  e = lookup_code (ctx, p->weights, pc->group.drg, sizeof pc->group.drg);
  if (e == NULL)
    {
      pc->case_class = CM_CASE_NO_WEIGHT;
      return pay_ffs (pc, p->ungrouped_factor_e4);
    }
  pc->priced_group = e->code;
  pc->weight_e4 = e->weight_e4;

  /* drg-payment.md §4: c, 1 for primary-care groups (同病同付) */
  if (e->level_free)
    c = CM_E4_ONE;
  else
    {
      c = cm_coefficients_get (&p->coef, ep->hospital_id, pc->level);
      if (e->coefficient_e4 > 0
          && !cm_round_published_e4 ((CmWide) c * e->coefficient_e4, E4, &c))
        return FALSE;
    }
  pc->coefficient_e4 = c;

  if (p->method == CM_DRG_METHOD_POINTS)
    {
      CmE4 pv = p->pv_e4[stage][ins][pc->level];
      CmE4 base_points;

      pc->point_value_e4 = pv;
      if (!cm_price_drg_case_points_e4 (e->weight_e4, p->points_per_weight_e4, c,
                                        &pc->case_score_e4)
          || !cm_price_points_pay_fen (pc->case_score_e4, pv, CM_E4_ONE, &std))
        return FALSE;
      pc->points_e4 = pc->case_score_e4;
      if (p->outlier.ref == CM_OUTLIER_REF_GROUP_AVG)
        {
          if (!cm_price_drg_case_points_e4 (e->weight_e4, p->points_per_weight_e4,
                                            CM_E4_ONE, &base_points)
              || !cm_price_points_pay_fen (base_points, pv, CM_E4_ONE, &ref))
            return FALSE;
        }
      else
        ref = std;
    }
  else
    {
      pc->rate_fen = p->rate_fen[ins][pc->level];
      if (!cm_price_drg_standard_fen (pc->rate_fen, e->weight_e4, c, &std))
        return FALSE;
      if (p->outlier.ref == CM_OUTLIER_REF_GROUP_AVG)
        {
          if (!cm_price_drg_standard_fen (pc->rate_fen, e->weight_e4, CM_E4_ONE,
                                          &ref))
            return FALSE;
        }
      else
        ref = std;
    }
  if (p->outlier.ref == CM_OUTLIER_REF_CATALOGUE_MEAN)
    ref = e->mean_cost_fen;
  pc->standard_fen = std;
  set_ratio (pc, ref);
  if (ref <= 0)
    {
      /* a zero standard (weight or rate 0) cannot classify: pay it */
      pc->case_class = CM_CASE_NORMAL;
      pc->pay_fen = std;
      return TRUE;
    }
  return cm_price_drg_case (&p->outlier, e->weight_e4, std, ref, pc->cost_fen,
                            &pc->case_class, &pc->pay_fen);
}

static CmFen
dip_ref (CmDipRef which, const CmCatalogueEntry *e, int level, CmFen std)
{
  switch (which)
    {
    case CM_DIP_REF_STD:
      return std;
    case CM_DIP_REF_LEVEL_MEAN:
      if (level >= 1 && level <= 3 && e->level_mean_fen[level] > 0)
        return e->level_mean_fen[level];
      return e->mean_cost_fen;
    case CM_DIP_REF_GROUP_MEAN:
    default:
      return e->mean_cost_fen;
    }
}

/* dip-catalogue-building.md §4: the comprehensive group of a case by
 * category and procedure class, with the fallback levels of the pack. The
 * pool id depends on nothing else (cm_dip_pool_id: the category when the
 * diagnosis starts with one, else only the class), so the answers live in
 * a dense table per pack, indexed by category and class: no hashing, and
 * 62 KB that stay in cache. */
static const CmCatalogueEntry *
lookup_pool (CmPriceContext *ctx, const CmDipParams *p, const char *dx, char cls)
{
  PoolTable *t = ctx->last_pool;
  const CmCatalogueEntry *e = NULL;
  char id[CM_DIP_POOL_ID_LEN];
  guint cat = POOL_N_CATS - 1, k;

  switch (cls)
    {
    case 'S': k = 0; break;
    case 'P': k = 1; break;
    case 'M': k = 2; break;
    default:
      g_return_val_if_reached (NULL);
    }
  if (dx != NULL && g_ascii_isupper (dx[0]) && g_ascii_isdigit (dx[1])
      && g_ascii_isdigit (dx[2]))
    cat = (guint) (dx[0] - 'A') * 100 + (guint) (dx[1] - '0') * 10 + (guint) (dx[2] - '0');
  if (G_UNLIKELY (t == NULL || t->params != p))
    {
      t = NULL;
      for (guint i = 0; i < ctx->pools->len; i++)
        if (((PoolTable *) ctx->pools->pdata[i])->params == p)
          t = ctx->pools->pdata[i];
      if (t == NULL)
        {
          t = g_new0 (PoolTable, 1);
          t->params = p;
          t->slots = g_new (const CmCatalogueEntry *, POOL_N_CATS * 3);
          for (guint i = 0; i < POOL_N_CATS * 3; i++)
            t->slots[i] = &pool_unknown;
          g_ptr_array_add (ctx->pools, t);
        }
      ctx->last_pool = t;
    }
  if (G_LIKELY (t->slots[cat * 3 + k] != &pool_unknown))
    return t->slots[cat * 3 + k];
  for (guint i = 0; e == NULL && i < cm_dip_pool_get_n_levels (p->pool); i++)
    if (cm_dip_pool_id (p->pool, i, dx, cls, id))
      e = cm_catalogue_lookup (p->scores, id);
  t->slots[cat * 3 + k] = e;
  return e;
}

static G_NO_INLINE gboolean
price_dip (CmPriceContext *ctx, const CmDipParams *p, const CmEpisode *ep,
           CmPriceStage stage, CmPricedCase *pc, const CmFundShareRule **fund)
{
  const CmCatalogueEntry *e = NULL;
  const char *status = pc->group.status;
  CmE4 c, score, pay_c;
  CmFen std, cref, pref;
  gboolean coef_inside = FALSE;
  int ins = pc->insurance - 1;

  *fund = &p->fund;
  pc->method = CM_PAY_METHOD_DIP;
  pc->group_code = pc->group.group_id;
  if (status_is (status, "EXCLUDED_DX"))
    {
      pc->method = CM_PAY_METHOD_FFS;
      pc->case_class = CM_CASE_EXCLUDED_DX;
      return pay_ffs (pc, CM_E4_ONE);
    }
  if (!status_is (status, "GROUPED") && !status_is (status, "COMPREHENSIVE"))
    {
      pc->case_class = CM_CASE_UNGROUPED;
      return pay_ffs (pc, p->ungrouped_factor_e4);
    }
  if (status_is (status, "GROUPED"))
    e = lookup_group (ctx, p->scores, pc->group.group_id);
  if (e == NULL && p->pool != NULL && ep->n_dx > 0)
    {
      /* the grouper sets the procedure class (GROUPING.md §7.2) on every
       * GROUPED and COMPREHENSIVE result */
      e = lookup_pool (ctx, p, ep->dx[0], pc->group.procedure_class);
    }
  if (e == NULL && status_is (status, "COMPREHENSIVE"))
    e = lookup_group (ctx, p->scores, pc->group.group_id);
  if (e == NULL)
    {
      pc->case_class = CM_CASE_BLANK;  /* dip.md §10: FFS × blank factor */
      return pay_ffs (pc, p->blank_factor_e4);
    }
  pc->priced_group = e->code;
  pc->weight_e4 = e->weight_e4;
  pc->point_value_e4 = p->pv_e4[stage][ins][pc->level];

  /* dip.md §6: c = 1 for primary-care groups (同病同付) */
  if (e->level_free || (p->primary_care_level_free && pc->group.primary_care))
    c = CM_E4_ONE;
  else
    {
      c = cm_coefficients_get (&p->coef, ep->hospital_id, pc->level);
      if (e->coefficient_e4 > 0
          && !cm_round_published_e4 ((CmWide) c * e->coefficient_e4, E4, &c))
        return FALSE;
    }
  pc->coefficient_e4 = c;
  score = e->weight_e4;
  pay_c = c;
  if (p->coef_applies_to == CM_COEF_APPLIES_TO_POINTS)
    {
      /* S3 §5.3: case score = group score × coefficient, 4 dp */
      if (!cm_price_dip_subtype_score_e4 (score, c, &score))
        return FALSE;
      pay_c = CM_E4_ONE;
    }
  if (!cm_price_points_pay_fen (score, pc->point_value_e4, pay_c, &std))
    return FALSE;
  pc->standard_fen = std;
  cref = dip_ref (p->deviation.classify_ref, e, pc->level, std);
  pref = dip_ref (p->deviation.price_ref, e, pc->level, std);
  set_ratio (pc, pref);
  if (cref <= 0 || pref <= 0)
    {
      pc->case_class = CM_CASE_NORMAL;
      pc->case_score_e4 = score;
    }
  else if (!dip_case_score (&p->deviation, score, c, cref, pref, pc->cost_fen,
                            &pc->case_class, &pc->case_score_e4, &coef_inside))
    return FALSE;
  if (pc->case_class == CM_CASE_EXTREME)
    pc->review = TRUE;
  if (coef_inside)
    pay_c = CM_E4_ONE;
  /* dip.md §9: the hospital's points carry the coefficient, 4 dp per case */
  if (!cm_price_dip_subtype_score_e4 (pc->case_score_e4, pay_c, &pc->points_e4))
    return FALSE;
  /* dip.md §8: pay_case = round2 (score_case × PV × c) */
  return cm_price_points_pay_fen (pc->case_score_e4, pc->point_value_e4, pay_c,
                                  &pc->pay_fen);
}

/* TRUE when the principal diagnosis passes the profile's prefix list. */
static gboolean
dx_allowed (const CmPerDiemRule *r, const CmEpisode *ep)
{
  const char *p = r->dx_prefixes;

  if (*p == '\0')
    return TRUE;
  if (ep->n_dx == 0 || ep->dx[0] == NULL)
    return FALSE;
  while (*p)
    {
      const char *bar = strchr (p, '|');
      gsize len = bar ? (gsize) (bar - p) : strlen (p);
      if (strncmp (ep->dx[0], p, len) == 0)
        return TRUE;
      if (bar == NULL)
        break;
      p = bar + 1;
    }
  return FALSE;
}

/* Returns 1 when priced by bed-day, 0 to go on with group payment, -1 on
 * overflow. */
static G_NO_INLINE int
price_per_diem (const CmYearParams *y, const CmEpisode *ep, CmPricedCase *pc,
                const CmFundShareRule **fund)
{
  const CmPerDiemProfile *prof = &y->per_diem[ep->per_diem_category];
  const CmPerDiemRule *r = &prof->rule;
  CmPerDiemPay pd;

  if (!prof->present)
    return 0;
  if (pc->los_days < r->min_los || !dx_allowed (r, ep)
      || !cm_per_diem_rule_has_rate (r, pc->level))
    {
      if (!r->ineligible_ffs)
        return 0;
      *fund = &y->per_diem_fund;
      pc->method = CM_PAY_METHOD_FFS;
      pc->case_class = CM_CASE_PER_DIEM_INELIGIBLE;
      return pay_ffs (pc, CM_E4_ONE) ? 1 : -1;
    }
  *fund = &y->per_diem_fund;
  pc->method = CM_PAY_METHOD_PER_DIEM;
  pc->rate_fen = r->rate_fen[pc->level];
  if (!cm_price_per_diem (r, pc->level, pc->los_days, pc->cost_fen, -1, &pd))
    return -1;
  pc->case_class = pd.floor_applied ? CM_CASE_PER_DIEM_FLOOR : CM_CASE_PER_DIEM;
  pc->paid_days = pd.paid_days;
  pc->extra_days = pd.extra_days;
  pc->standard_fen = pd.standard_fen;
  pc->extra_days_fen = pd.extra_days_fen;
  pc->pay_fen = pd.pay_fen;
  pc->review = pd.review;
  if (r->patient_share == CM_PATIENT_SHARE_FIXED_RATIO)
    {
      /* per-diem.md FUND-2: the patient pays a share of the standard */
      if (!cm_round_case_amount_fen ((CmWide) pd.standard_fen * r->patient_ratio_e4,
                                     E4, &pc->patient_fen))
        return -1;
    }
  return 1;
}

static G_NO_INLINE gboolean
overflow (const CmEpisode *ep, CmPricedCase *pc, GError **error)
{
  pc->method = CM_PAY_METHOD_EXCLUDED;
  pc->case_class = CM_CASE_OVERFLOW;
  pc->pay_fen = pc->fund_fen = pc->patient_fen = pc->other_fen = 0;
  pc->hospital_income_fen = pc->profit_loss_fen = 0;
  g_set_error (error, CM_PRICE_ERROR, CM_PRICE_ERROR_OVERFLOW,
               "case %s: an amount does not fit in 64 bits", ep->episode_id);
  return FALSE;
}

static inline void
group_result_clear (CmGroupResult *g)
{
  g->family = CM_SCHEME_FAMILY_DRG;
  g->status = "";
  g->mdc[0] = g->adrg[0] = g->drg[0] = '\0';
  g->group_id = "";
  g->rule_stage = "";
  g->primary_care = FALSE;
  g->procedure_class = '\0';
}

/* Every field of @pc to its "does not apply" value, one store each: a
 * memset of the struct compiles to a `rep stos`, slow to start on every
 * case. A field added to CmPricedCase is added here. */
static inline void
priced_case_reset (CmPricedCase *pc)
{
  pc->method = CM_PAY_METHOD_DRG;
  pc->case_class = CM_CASE_NORMAL;
  pc->review = FALSE;
  pc->scheme_id = pc->shadow_scheme_id = pc->group_code = pc->priced_group = "";
  pc->year = pc->level = 0;
  pc->insurance = CM_INSURANCE_UNKNOWN;
  pc->los_days = pc->paid_days = pc->extra_days = 0;
  pc->weight_e4 = pc->coefficient_e4 = pc->rate_fen = pc->point_value_e4 = 0;
  pc->case_score_e4 = pc->points_e4 = pc->ratio_e4 = 0;
  pc->standard_fen = pc->reference_fen = pc->cost_fen = pc->pay_fen = 0;
  pc->extra_days_fen = pc->patient_fen = pc->other_fen = pc->fund_ffs_fen = 0;
  pc->fund_fen = pc->hospital_income_fen = pc->profit_loss_fen = 0;
  group_result_clear (&pc->group);
  group_result_clear (&pc->shadow);
}


gboolean
cm_price_episode (CmPriceContext *ctx, const CmEpisode *ep, CmPricedCase *pc,
                  GError **error)
{
  const CmYearParams *y;
  const CmFundShareRule *fund = NULL;
  CmScheme *scheme = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (ctx != NULL && ep != NULL && pc != NULL, FALSE);
  priced_case_reset (pc);
  pc->cost_fen = ep->total_cost_fen;
  pc->fund_ffs_fen = ep->fund_paid_ffs_fen;
  pc->insurance = ep->insurance_type;
  pc->level = ep->hospital_level;
  if (ep->discharge_date >= ctx->year_first && ep->discharge_date < ctx->year_next)
    pc->year = ctx->date_year;
  else
    pc->year = ctx->date_year = cm_date_year_range (ep->discharge_date, &ctx->year_first,
                                                    &ctx->year_next);
  pc->los_days = cm_price_los_days (ep->admit_date, ep->discharge_date);

  if (ctx->shadow)
    {
      CmScheme *sh = NULL;
      if (cm_timeline_group (ctx->tl, ep, CM_TIMELINE_SHADOW, 0, &pc->shadow, &sh))
        pc->shadow_scheme_id = cm_scheme_get_id (sh);
    }
  if (!cm_timeline_group (ctx->tl, ep, CM_TIMELINE_PRIMARY, 0, &pc->group,
                          &scheme))
    {
      pc->method = CM_PAY_METHOD_EXCLUDED;
      pc->case_class = CM_CASE_NO_SCHEME;
      return TRUE;
    }
  pc->scheme_id = cm_scheme_get_id (scheme);
  y = year_params (ctx, pc->year);
  if (y == NULL || pc->level < 1 || pc->level > 3
      || (pc->insurance != CM_INSURANCE_EMPLOYEE
          && pc->insurance != CM_INSURANCE_RESIDENT)
      || (pc->group.family == CM_SCHEME_FAMILY_DRG ? !y->drg.present
                                                   : !y->dip.present))
    {
      pc->method = CM_PAY_METHOD_EXCLUDED;
      pc->case_class = CM_CASE_NO_PARAMETERS;
      pc->group_code = pc->group.family == CM_SCHEME_FAMILY_DRG
                       ? pc->group.drg : pc->group.group_id;
      return TRUE;
    }

  /* the patient pays by FFS whatever the method (drg-payment.md §1) */
  if (!cm_fen_add_inline (ep->out_of_catalogue_cost_fen, ep->patient_copay_fen,
                   &pc->patient_fen)
      || !cm_fen_sub_inline (pc->cost_fen, pc->patient_fen, &pc->other_fen)
      || !cm_fen_sub_inline (pc->other_fen, ep->fund_paid_ffs_fen, &pc->other_fen))
    return overflow (ep, pc, error);
  if (pc->other_fen < 0)
    pc->other_fen = 0;

  if (ep->per_diem_category != CM_PER_DIEM_NONE)
    {
      int r = price_per_diem (y, ep, pc, &fund);
      if (r < 0)
        return overflow (ep, pc, error);
      if (r > 0)
        pc->group_code = pc->group.family == CM_SCHEME_FAMILY_DRG
                         ? pc->group.drg : pc->group.group_id;
    }
  if (fund == NULL)
    ok = pc->group.family == CM_SCHEME_FAMILY_DRG
         ? price_drg (ctx, &y->drg, ep, ctx->options.stage, pc, &fund)
         : price_dip (ctx, &y->dip, ep, ctx->options.stage, pc, &fund);
  if (!ok)
    return overflow (ep, pc, error);

  if (!fund_share (fund, pc->pay_fen, pc->patient_fen, pc->other_fen,
                   pc->fund_ffs_fen, pc->cost_fen, &pc->fund_fen)
      || !cm_fen_add_inline (pc->patient_fen, pc->other_fen, &pc->hospital_income_fen)
      || !cm_fen_add_inline (pc->hospital_income_fen, pc->fund_fen,
                      &pc->hospital_income_fen)
      || !cm_fen_sub_inline (pc->hospital_income_fen, pc->cost_fen, &pc->profit_loss_fen))
    return overflow (ep, pc, error);
  return TRUE;
}
