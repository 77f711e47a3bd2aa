/* cm-alliance.c — the county medical alliance formulas
 * (medical-alliance.md §2, §4–§6).
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include "cm-alliance.h"
#include "cm-money-private.h"

#define E4 ((CmWide) CM_E4_ONE)
#define SCORE_FULL ((CmWide) 100 * CM_E4_ONE)

void
cm_alliance_rule_init (CmAllianceRule *rule)
{
  g_return_if_fail (rule != NULL);
  memset (rule, 0, sizeof *rule);
  rule->method = CM_ALLIANCE_BUDGET_FUND;
  rule->risk_reserve_e4 = 500;                  /* r 5 % [A] */
  /* surplus: (0.10, 1.00), (∞, 0.50) [A] */
  rule->n_surplus = 2;
  rule->surplus[0] = (CmAllianceTier) { 1000, CM_E4_ONE };
  rule->surplus[1] = (CmAllianceTier) { 0, 5000 };
  /* overspend: (0.05, 0.50), (0.10, 0.30), (∞, 0) [A] */
  rule->n_overspend = 3;
  rule->overspend[0] = (CmAllianceTier) { 500, 5000 };
  rule->overspend[1] = (CmAllianceTier) { 1000, 3000 };
  rule->overspend[2] = (CmAllianceTier) { 0, 0 };
  rule->pass_mark_e4 = 60 * CM_E4_ONE;
}

gboolean
cm_alliance_fund_budget (CmFen fund_fen, CmFen ring_fenced_fen,
                         CmE4 risk_reserve_e4, CmFen *reserve_fen,
                         CmFen *county_budget_fen)
{
  CmFen r, b;

  g_return_val_if_fail (county_budget_fen != NULL, FALSE);
  if (risk_reserve_e4 < 0 || risk_reserve_e4 > CM_E4_ONE)
    return FALSE;
  /* medical-alliance.md §2 (a): R = F × r, a pool-level amount */
  if (!cm_round_hospital_total_fen ((CmWide) fund_fen * risk_reserve_e4, E4, &r)
      || !cm_fen_sub (fund_fen, ring_fenced_fen, &b)
      || !cm_fen_sub (b, r, &b))
    return FALSE;
  if (reserve_fen)
    *reserve_fen = r;
  *county_budget_fen = b;
  return TRUE;
}

gboolean
cm_alliance_split_budget (CmFen county_budget_fen, const gint64 *insured,
                          guint n, CmFen *out)
{
  CmWide total = 0;
  CmFen given = 0;
  g_autofree CmWide *rem = NULL;

  g_return_val_if_fail (insured != NULL && out != NULL && n > 0, FALSE);
  if (county_budget_fen < 0)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      if (insured[i] < 0)
        return FALSE;
      total += insured[i];
    }
  if (total == 0)
    return FALSE;
  rem = g_new (CmWide, n);
  /* exact share rounded down, remainder kept for the largest-remainder
   * pass (medical-alliance.md §2: split by exact ratio) [A] */
  for (guint i = 0; i < n; i++)
    {
      CmWide num = (CmWide) county_budget_fen * insured[i];
      out[i] = (CmFen) (num / total);
      rem[i] = num % total;
      given += out[i];
    }
  while (given < county_budget_fen)
    {
      guint best = 0;
      for (guint i = 1; i < n; i++)
        if (rem[i] > rem[best])
          best = i;
      out[best]++;
      rem[best] = -1;
      given++;
    }
  return TRUE;
}

gboolean
cm_alliance_growth_budget (CmFen previous_actual_fen, CmE4 growth_e4, CmFen *out)
{
  g_return_val_if_fail (out != NULL, FALSE);
  /* medical-alliance.md §2 (b): B = A × (1 + g) */
  return cm_round_hospital_total_fen ((CmWide) previous_actual_fen
                                      * (E4 + growth_e4), E4, out);
}

CmE4
cm_alliance_assessment_factor (CmE4 score_e4, CmE4 pass_mark_e4)
{
  if (score_e4 < 0 || score_e4 > SCORE_FULL)
    return -1;
  /* medical-alliance.md §6: q = score / 100 at or above the pass mark */
  if (score_e4 < pass_mark_e4)
    return 0;
  return score_e4 / 100;
}

/* Splits @amount4 (fen × 10^4, > 0) into the tiers of @tiers bounded by
 * up_to × @budget (exact, fen × 10^4); returns Σ share_i × part_i in
 * fen × 10^8 and the parts rounded to the fen for display. */
static gboolean
split_tiers (const CmAllianceTier *tiers, guint n, CmFen budget, CmWide amount4,
             CmFen *parts, CmWide *weighted)
{
  CmWide prev = 0, sum = 0;

  if (n == 0 || n > CM_ALLIANCE_MAX_TIERS)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      gboolean last = i + 1 == n || tiers[i].up_to_e4 <= 0;
      CmWide upto = last ? amount4 : (CmWide) budget * tiers[i].up_to_e4;
      CmWide part;

      if (upto > amount4)
        upto = amount4;
      if (upto < prev)
        upto = prev;
      part = upto - prev;
      sum += part * tiers[i].share_e4;
      if (!cm_wide_div_half_up (part, E4, &parts[i]))
        return FALSE;
      prev = upto;
      if (last)
        {
          for (guint j = i + 1; j < n; j++)
            parts[j] = 0;
          break;
        }
    }
  *weighted = sum;
  return TRUE;
}

gboolean
cm_alliance_outcome (const CmAllianceRule *rule, CmFen budget_fen,
                     CmFen actual_fen, CmFen unreasonable_fen, CmE4 score_e4,
                     CmAllianceOutcome *out)
{
  CmWide weighted;

  g_return_val_if_fail (rule != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  out->budget_fen = budget_fen;
  out->actual_fen = actual_fen;
  out->factor_e4 = cm_alliance_assessment_factor (score_e4, rule->pass_mark_e4);
  if (out->factor_e4 < 0 || budget_fen < 0 || actual_fen < 0
      || unreasonable_fen < 0)
    return FALSE;

  if (actual_fen <= budget_fen)
    {
      /* §4 surplus retention: R = round2 ((Σ ρ_i t_i) × q) */
      out->surplus_fen = budget_fen - actual_fen;
      out->n_tiers = rule->n_surplus;
      if (out->surplus_fen > 0)
        {
          if (!split_tiers (rule->surplus, rule->n_surplus, budget_fen,
                            (CmWide) out->surplus_fen * E4, out->tier_fen,
                            &weighted)
              || !cm_round_hospital_total_fen (weighted * out->factor_e4,
                                               E4 * E4 * E4, &out->retained_fen))
            return FALSE;
        }
      out->returned_fen = out->surplus_fen - out->retained_fen;
      return cm_fen_add (actual_fen, out->retained_fen, &out->fund_total_fen);
    }

  /* §5 reasonable overspend sharing */
  out->overspend_fen = actual_fen - budget_fen;
  out->unreasonable_fen = MIN (unreasonable_fen, out->overspend_fen);
  out->reasonable_fen = out->overspend_fen - out->unreasonable_fen;
  out->n_tiers = rule->n_overspend;
  if (out->reasonable_fen > 0)
    {
      if (!split_tiers (rule->overspend, rule->n_overspend, budget_fen,
                        (CmWide) out->reasonable_fen * E4, out->tier_fen,
                        &weighted)
          || !cm_round_hospital_total_fen (weighted, E4 * E4, &out->fund_bears_fen))
        return FALSE;
    }
  out->alliance_bears_fen = out->overspend_fen - out->fund_bears_fen;
  return cm_fen_add (budget_fen, out->fund_bears_fen, &out->fund_total_fen);
}
