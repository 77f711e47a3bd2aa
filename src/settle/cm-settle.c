/* cm-settle.c — the settlement formulas (settlement.md §2–§5, dip.md §5,
 * §9) and the working-day calendar.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every amount is one exact 128-bit ratio passed to one rounding rule of
 * cm-money-private.h. Settlement amounts are defined at hospital or pool
 * level (advance, assess, retained, the incentive), so they use
 * cm_round_hospital_total_fen (settlement.md §8); nothing here rounds a
 * case amount. */
#include "config.h"

#include <string.h>
#include "cm-settle.h"
#include "cm-money-private.h"
#include "cm-policy-private.h"
#include "cm-timeline.h"

G_DEFINE_QUARK (cm-settle-error-quark, cm_settle_error)

#define E4 ((CmWide) CM_E4_ONE)
/* Scores are 0–100 carried ×10 000: 100 points = 1 000 000. */
#define SCORE_FULL ((CmWide) 100 * CM_E4_ONE)

/* ---- monthly settlement ------------------------------------------------- */

gboolean
cm_settle_monthly_advance (CmFen payable_fen, CmFen deduct_fen,
                           CmE4 reserve_ratio_e4, CmMonthlyAdvance *out)
{
  CmFen base, advance, withheld;

  g_return_val_if_fail (out != NULL, FALSE);
  if (reserve_ratio_e4 < 0 || reserve_ratio_e4 > CM_E4_ONE)
    return FALSE;
  if (!cm_fen_sub (payable_fen, deduct_fen, &base))
    return FALSE;
  /* settlement.md §2, §8: advance = round2 (base × (1 − w)), once, at
   * hospital level; withheld by difference */
  if (!cm_round_hospital_total_fen ((CmWide) base * (E4 - reserve_ratio_e4), E4,
                                    &advance)
      || !cm_fen_sub (base, advance, &withheld))
    return FALSE;
  out->payable_fen = payable_fen;
  out->deduct_fen = deduct_fen;
  out->base_fen = base;
  out->advance_fen = advance;
  out->withheld_fen = withheld;
  return TRUE;
}

gboolean
cm_settle_month_share_fen (CmFen annual_fen, int month, CmFen *out)
{
  CmFen upto, before;

  g_return_val_if_fail (out != NULL, FALSE);
  if (month < 1 || month > 12)
    return FALSE;
  /* cumulative rounding: the twelve shares add up to the annual amount */
  if (!cm_round_hospital_total_fen ((CmWide) annual_fen * month, 12, &upto)
      || !cm_round_hospital_total_fen ((CmWide) annual_fen * (month - 1), 12,
                                       &before))
    return FALSE;
  *out = upto - before;
  return TRUE;
}

/* ---- annual clearing ---------------------------------------------------- */

gboolean
cm_settle_clearing (const CmClearingInput *in, CmClearing *out)
{
  CmFen assess, due, clearing;

  g_return_val_if_fail (in != NULL && out != NULL, FALSE);
  if (in->score_e4 < 0 || in->score_e4 > SCORE_FULL
      || in->reserve_ratio_e4 < 0 || in->reserve_ratio_e4 > CM_E4_ONE)
    return FALSE;
  /* settlement.md §3: assess = round2 (final × w × (1 − score / 100)) */
  if (!cm_round_hospital_total_fen ((CmWide) in->final_payable_fen
                                    * in->reserve_ratio_e4
                                    * (SCORE_FULL - in->score_e4),
                                    E4 * SCORE_FULL, &assess))
    return FALSE;
  if (!cm_fen_sub (in->final_payable_fen, in->audit_deductions_fen, &due)
      || !cm_fen_sub (due, assess, &due)
      || !cm_fen_add (due, in->incentive_fen, &due)
      || !cm_fen_sub (due, in->advances_fen, &clearing)
      || !cm_fen_sub (clearing, in->prepayment_fen, &clearing))
    return FALSE;
  out->assess_fen = assess;
  out->due_fen = due;
  out->clearing_fen = clearing;
  return TRUE;
}

/* ---- incentive ---------------------------------------------------------- */

void
cm_incentive_rule_init (CmIncentiveRule *rule)
{
  g_return_if_fail (rule != NULL);
  memset (rule, 0, sizeof *rule);
  rule->surplus_cap_e4 = 1000;          /* τh 0.10 [A] */
  rule->surplus_retained_e4 = CM_E4_ONE; /* ρh 1.00 [A] */
  rule->overspend_share_e4 = 5000;      /* φh 0.50 [A] */
}

gboolean
cm_settle_incentive (const CmIncentiveRule *rule, CmFen pay_fen, CmFen ffs_fen,
                     CmFen reasonable_loss_fen, CmFen *d_fen,
                     CmFen *adjustment_fen)
{
  CmFen d, adj = 0;

  g_return_val_if_fail (rule != NULL && adjustment_fen != NULL, FALSE);
  if (!cm_fen_sub (pay_fen, ffs_fen, &d))
    return FALSE;
  if (d_fen)
    *d_fen = d;
  if (!rule->enabled)
    {
      *adjustment_fen = 0;
      return TRUE;
    }
  if (d >= 0)
    {
      /* retained = min (D, τh × Σ pay) × ρh, one product rounded once */
      CmWide cap_num = (CmWide) pay_fen * rule->surplus_cap_e4;  /* / E4 */
      CmWide kept_num = (CmWide) d * E4 < cap_num ? (CmWide) d * E4 : cap_num;
      CmFen retained;

      if (!cm_round_hospital_total_fen (kept_num * rule->surplus_retained_e4,
                                        E4 * E4, &retained))
        return FALSE;
      /* without a cap the hospital keeps its whole surplus */
      adj = rule->cap_surplus ? retained - d : 0;
    }
  else if (reasonable_loss_fen > 0)
    {
      if (!cm_round_hospital_total_fen ((CmWide) reasonable_loss_fen
                                        * rule->overspend_share_e4, E4, &adj))
        return FALSE;
    }
  *adjustment_fen = adj;
  return TRUE;
}

/* ---- special cases ------------------------------------------------------ */

gint64
cm_settle_special_case_cap (gint64 discharges, CmE4 cap_ratio_e4)
{
  if (discharges <= 0 || cap_ratio_e4 <= 0)
    return 0;
  /* floor, so the cap is never exceeded [A] */
  return (gint64) (((CmWide) discharges * cap_ratio_e4) / E4);
}

/* ---- point values ------------------------------------------------------- */

gboolean
cm_settle_budget_point_value_e4 (const CmFen *yearly_cost_fen,
                                 const gint64 *year_weights, guint n_years,
                                 CmE4 hist_points_e4, CmE4 *out)
{
  CmWide num = 0, wsum = 0;

  g_return_val_if_fail (yearly_cost_fen != NULL && year_weights != NULL
                        && out != NULL, FALSE);
  if (n_years == 0 || n_years > 8 || hist_points_e4 <= 0)
    return FALSE;
  for (guint i = 0; i < n_years; i++)
    {
      if (year_weights[i] < 0 || yearly_cost_fen[i] < 0)
        return FALSE;
      num += (CmWide) yearly_cost_fen[i] * year_weights[i];
      wsum += year_weights[i];
    }
  if (wsum == 0)
    return FALSE;
  /* PV (yuan/point ×10^4) = (num / wsum) fen / 100 / (points_e4 / 10^4)
   *                       × 10^4 = num × 10^6 / (wsum × 100 × points_e4) */
  return cm_round_published_e4 (num * E4 * E4,
                                wsum * 100 * (CmWide) hist_points_e4, out);
}

gboolean
cm_settle_pool_amount_fen (CmE4 points_e4, CmE4 point_value_e4, CmFen *out)
{
  g_return_val_if_fail (out != NULL, FALSE);
  /* points (×10^4) × PV (yuan ×10^4) → yuan ×10^8 → fen = / 10^6 */
  return cm_round_hospital_total_fen ((CmWide) points_e4 * point_value_e4,
                                      E4 * E4 / 100, out);
}

/* ---- calendar ----------------------------------------------------------- */

struct _CmCalendar {
  GHashTable *days;   /* day → GINT_TO_POINTER (1 holiday, 2 workday) */
};

CmCalendar *
cm_calendar_new (void)
{
  CmCalendar *cal = g_new0 (CmCalendar, 1);
  cal->days = g_hash_table_new (g_direct_hash, g_direct_equal);
  return cal;
}

void
cm_calendar_free (CmCalendar *cal)
{
  if (cal == NULL)
    return;
  g_hash_table_unref (cal->days);
  g_free (cal);
}

void
cm_calendar_set (CmCalendar *cal, gint32 day, gboolean working)
{
  g_return_if_fail (cal != NULL);
  g_hash_table_insert (cal->days, GINT_TO_POINTER (day),
                       GINT_TO_POINTER (working ? 2 : 1));
}

int
cm_date_weekday (gint32 day)
{
  /* 1970-01-01 was a Thursday (4) */
  int w = (int) (((gint64) day % 7 + 7 + 3) % 7);
  return w + 1;
}

gboolean
cm_calendar_is_working_day (const CmCalendar *cal, gint32 day)
{
  gpointer v;

  g_return_val_if_fail (cal != NULL, FALSE);
  v = g_hash_table_lookup (cal->days, GINT_TO_POINTER (day));
  if (v != NULL)
    return GPOINTER_TO_INT (v) == 2;
  return cm_date_weekday (day) <= 5;
}

gint32
cm_calendar_add_working_days (const CmCalendar *cal, gint32 from, guint n)
{
  gint32 d = from;

  g_return_val_if_fail (cal != NULL, from);
  while (n > 0)
    {
      d++;
      if (cm_calendar_is_working_day (cal, d))
        n--;
    }
  return d;
}

gboolean
cm_calendar_load (CmCalendar *cal, const char *path, GError **error)
{
  static const char *const cols[] = { "date", "kind", "name" };
  g_autoptr (GError) local = NULL;
  CmPayTsv t;

  g_return_val_if_fail (cal != NULL && path != NULL, FALSE);
  if (!cm_pay_tsv_open (&t, path, cols, G_N_ELEMENTS (cols), 2, error))
    {
      cm_pay_tsv_close (&t);
      return FALSE;
    }
  while (cm_pay_tsv_next (&t, &local))
    {
      const char *date = cm_pay_tsv_get (&t, 0), *kind = cm_pay_tsv_get (&t, 1);
      gint32 day;

      if (!cm_date_parse (date, &day))
        {
          cm_pay_tsv_error (&t, 0, error, "'%s' is not a date (YYYY-MM-DD)", date);
          cm_pay_tsv_close (&t);
          return FALSE;
        }
      if (strcmp (kind, "holiday") == 0)
        cm_calendar_set (cal, day, FALSE);
      else if (strcmp (kind, "workday") == 0)
        cm_calendar_set (cal, day, TRUE);
      else
        {
          cm_pay_tsv_error (&t, 1, error, "'%s' is neither holiday nor workday",
                            kind);
          cm_pay_tsv_close (&t);
          return FALSE;
        }
    }
  cm_pay_tsv_close (&t);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}
