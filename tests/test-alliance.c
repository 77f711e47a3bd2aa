/* test-alliance.c — the county medical alliance formulas against every
 * worked example of medical-alliance.md (BUD, SUR, OVR, ASM), to the fen,
 * with the conservation identities of each outcome.
 * SPDX-License-Identifier: Apache-2.0 */
#include "test-common.h"
#include "cm-alliance.h"

#define Y(yuan, fen) ((CmFen) (yuan) * 100 + (fen))
#define SCORE(s) ((CmE4) (s) * CM_E4_ONE)

Test (alliance, bud_1_fund_based_budget_and_split)
{
  /* BUD-1: F 620 000 000, S 31 000 000, r 5 % → R 31 000 000, B 558 000 000;
   * 420 000 and 280 000 insured → 334 800 000 / 223 200 000 */
  static const gint64 insured[] = { 420000, 280000 };
  CmFen reserve, county, split[2];

  cr_assert (cm_alliance_fund_budget (Y (620000000, 0), Y (31000000, 0), 500, &reserve,
                                      &county));
  cr_assert_eq (reserve, Y (31000000, 0));
  cr_assert_eq (county, Y (558000000, 0));
  cr_assert (cm_alliance_split_budget (county, insured, 2, split));
  cr_assert_eq (split[0], Y (334800000, 0));
  cr_assert_eq (split[1], Y (223200000, 0));
}

typedef struct {
  const char *id;
  CmFen budget;
  gint64 insured[4];
  guint n;
  CmFen expect[4];
} SplitRow;

ParameterizedTestParameters (alliance, split_by_exact_ratio)
{
  static SplitRow rows[] = {
    { "100 fen in three equal parts: the first remainder wins the tie", 100,
      { 1, 1, 1 }, 3, { 34, 33, 33 } },
    { "largest remainder gets the fen", 10, { 1, 2, 4 }, 3, { 1, 3, 6 } },
    { "a zero headcount gets nothing", Y (1000, 0), { 0, 5 }, 2, { 0, Y (1000, 0) } },
    { "one alliance takes it all", 7, { 123 }, 1, { 7 } },
  };
  return cr_make_param_array (SplitRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (SplitRow *r, alliance, split_by_exact_ratio)
{
  CmFen out[4], sum = 0;

  cr_assert (cm_alliance_split_budget (r->budget, r->insured, r->n, out), "%s", r->id);
  for (guint i = 0; i < r->n; i++)
    {
      cr_assert_eq (out[i], r->expect[i], "%s: [%u] %" G_GINT64_FORMAT, r->id, i, out[i]);
      sum += out[i];
    }
  cr_assert_eq (sum, r->budget, "%s: the parts add up", r->id);
}

Test (alliance, split_rejects_no_headcount)
{
  static const gint64 none[] = { 0, 0 };
  CmFen out[2];
  cr_assert_not (cm_alliance_split_budget (100, none, 2, out));
}

Test (alliance, bud_2_growth_based_budget)
{
  CmFen b;
  /* BUD-2: 500 000 000 × 1.06 */
  cr_assert (cm_alliance_growth_budget (Y (500000000, 0), 600, &b));
  cr_assert_eq (b, Y (530000000, 0));
  /* half a fen rounds up: 0.05 yuan × 1.1 = 0.055 → 0.06 */
  cr_assert (cm_alliance_growth_budget (5, 1000, &b));
  cr_assert_eq (b, 6);
}

typedef struct {
  const char *id;
  CmE4 score;
  CmE4 factor;
} AsmRow;

ParameterizedTestParameters (alliance, assessment_factor)
{
  static AsmRow rows[] = {
    { "ASM-1: 92 → 0.92", SCORE (92), 9200 },
    { "ASM-2: 55 < 60 → 0", SCORE (55), 0 },
    { "exactly the pass mark", SCORE (60), 6000 },
    { "just below the pass mark", SCORE (60) - 1, 0 },
    { "full score", SCORE (100), CM_E4_ONE },
    { "decimals kept", 925000, 9250 },
    { "above 100 is refused", SCORE (100) + 1, -1 },
  };
  return cr_make_param_array (AsmRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (AsmRow *r, alliance, assessment_factor)
{
  cr_assert_eq (cm_alliance_assessment_factor (r->score, SCORE (60)), r->factor, "%s",
                r->id);
}

typedef struct {
  const char *id;
  CmFen budget, actual, unreasonable;
  CmE4 score;
  CmFen tiers[3];
  CmFen retained, returned, fund_bears, alliance_bears;
} OutcomeRow;

ParameterizedTestParameters (alliance, outcome)
{
  static OutcomeRow rows[] = {
    /* SUR-1: S = 24 800 000 (7.41 % of B), all in tier 1; × 0.92 */
    { "SUR-1", Y (334800000, 0), Y (310000000, 0), 0, SCORE (92),
      { Y (24800000, 0), 0, 0 }, Y (22816000, 0), Y (1984000, 0), 0, 0 },
    /* SUR-2: S = 44 800 000; τB = 33 480 000 → t2 = 11 320 000;
     * (33 480 000 + 0.5 × 11 320 000) × 0.92 = 36 008 800 */
    { "SUR-2", Y (334800000, 0), Y (290000000, 0), 0, SCORE (92),
      { Y (33480000, 0), Y (11320000, 0), 0 }, Y (36008800, 0), Y (8791200, 0), 0, 0 },
    /* ASM-2: score 55 → SUR-1 retains nothing */
    { "ASM-2 on SUR-1", Y (334800000, 0), Y (310000000, 0), 0, SCORE (55),
      { Y (24800000, 0), 0, 0 }, 0, Y (24800000, 0), 0, 0 },
    /* OVR-1: O = 25 200 000; u1 16 740 000, u2 8 460 000 →
     * fund 8 370 000 + 2 538 000 */
    { "OVR-1", Y (334800000, 0), Y (360000000, 0), 0, SCORE (92),
      { Y (16740000, 0), Y (8460000, 0), 0 }, 0, 0, Y (10908000, 0), Y (14292000, 0) },
    /* OVR-2: O = 45 200 000; u3 = 11 720 000 at 0 */
    { "OVR-2", Y (334800000, 0), Y (380000000, 0), 0, SCORE (92),
      { Y (16740000, 0), Y (16740000, 0), Y (11720000, 0) }, 0, 0, Y (13392000, 0),
      Y (31808000, 0) },
    /* OVR-1 where the review rejects 5 000 000 of the overspend:
     * O = 20 200 000 → fund 8 370 000 + 0.3 × 3 460 000 = 9 408 000 */
    { "OVR-1 with an unreasonable part", Y (334800000, 0), Y (360000000, 0),
      Y (5000000, 0), SCORE (92), { Y (16740000, 0), Y (3460000, 0), 0 }, 0, 0,
      Y (9408000, 0), Y (15792000, 0) },
    { "on budget: nothing to share", Y (1000, 0), Y (1000, 0), 0, SCORE (92),
      { 0, 0, 0 }, 0, 0, 0, 0 },
    /* one fen of surplus × 0.92 = 0.92 fen → 1 */
    { "one fen of surplus", Y (1000, 0), Y (1000, 0) - 1, 0, SCORE (92),
      { 1, 0, 0 }, 1, 0, 0, 0 },
  };
  return cr_make_param_array (OutcomeRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (OutcomeRow *r, alliance, outcome)
{
  CmAllianceRule rule;
  CmAllianceOutcome o;

  cm_alliance_rule_init (&rule);
  cr_assert (cm_alliance_outcome (&rule, r->budget, r->actual, r->unreasonable, r->score,
                                  &o), "%s", r->id);
  for (guint i = 0; i < 3 && i < o.n_tiers; i++)
    cr_assert_eq (o.tier_fen[i], r->tiers[i], "%s: tier %u %" G_GINT64_FORMAT, r->id,
                  i + 1, o.tier_fen[i]);
  cr_assert_eq (o.retained_fen, r->retained, "%s: retained %" G_GINT64_FORMAT, r->id,
                o.retained_fen);
  cr_assert_eq (o.returned_fen, r->returned, "%s: returned", r->id);
  cr_assert_eq (o.fund_bears_fen, r->fund_bears, "%s: fund %" G_GINT64_FORMAT, r->id,
                o.fund_bears_fen);
  cr_assert_eq (o.alliance_bears_fen, r->alliance_bears, "%s: alliance", r->id);
  /* conservation */
  if (r->actual <= r->budget)
    {
      cr_assert_eq (o.retained_fen + o.returned_fen, r->budget - r->actual);
      cr_assert_eq (o.fund_total_fen, r->actual + o.retained_fen);
    }
  else
    {
      cr_assert_eq (o.fund_bears_fen + o.alliance_bears_fen, r->actual - r->budget);
      cr_assert_eq (o.fund_total_fen, r->budget + o.fund_bears_fen);
    }
}

Test (alliance, defaults_are_medical_alliance_md_8)
{
  CmAllianceRule r;
  cm_alliance_rule_init (&r);
  cr_assert_eq (r.method, CM_ALLIANCE_BUDGET_FUND);
  cr_assert_eq (r.risk_reserve_e4, 500);
  cr_assert_eq (r.n_surplus, 2);
  cr_assert_eq (r.surplus[0].up_to_e4, 1000);
  cr_assert_eq (r.surplus[1].share_e4, 5000);
  cr_assert_eq (r.n_overspend, 3);
  cr_assert_eq (r.overspend[1].share_e4, 3000);
  cr_assert_eq (r.pass_mark_e4, SCORE (60));
}
