/* cm-alliance.h — county medical alliance (县域医共体) total-budget
 * formulas: the budget, surplus retention, reasonable overspend sharing
 * and the assessment factor.
 * SPDX-License-Identifier: Apache-2.0
 *
 * ../shared/docs/domain/medical-alliance.md, reproduced to the fen by
 * tests/test-alliance.c (BUD-1, BUD-2, SUR-1, SUR-2, OVR-1, OVR-2, ASM-1,
 * ASM-2). The ledger run that charges a year of payments against the
 * budgets is cm_ledger_settle_alliances (cm-ledger.h).
 *
 * Every alliance amount is defined at alliance (pool) level and rounded
 * once, half-up, with cm_round_hospital_total_fen; the splits of a county
 * budget between alliances add up to the county budget exactly. */
#pragma once

#include <glib.h>
#include "cm-money.h"

G_BEGIN_DECLS

#define CM_ALLIANCE_MAX_TIERS 8

/* One tier of surplus retention or overspend sharing: the part of the
 * surplus (overspend) up to @up_to_e4 × B goes at @share_e4. The last tier
 * has up_to_e4 = 0 (no bound). */
typedef struct {
  CmE4 up_to_e4;
  CmE4 share_e4;
} CmAllianceTier;

typedef enum {
  CM_ALLIANCE_BUDGET_FUND = 0,  /* (a) B_county = F − S − R, split by headcount */
  CM_ALLIANCE_BUDGET_GROWTH,    /* (b) B = A_prev × (1 + g) */
} CmAllianceBudgetMethod;

/* medical-alliance.md §8 parameters. */
typedef struct {
  CmAllianceBudgetMethod method;
  CmE4 risk_reserve_e4;                    /* r, 0.05 */
  CmE4 growth_e4;                          /* g (GROWTH); 0 by default */
  guint n_surplus;
  CmAllianceTier surplus[CM_ALLIANCE_MAX_TIERS];     /* (0.10, 1.00), (∞, 0.50) */
  guint n_overspend;
  CmAllianceTier overspend[CM_ALLIANCE_MAX_TIERS];   /* (0.05, 0.50), (0.10, 0.30), (∞, 0) */
  CmE4 pass_mark_e4;                       /* 60 points (×10 000) */
  gboolean scope_outpatient;               /* outpatient FFS charged too */
  gboolean carve_out_special_cases;        /* approved special cases not charged */
} CmAllianceRule;

/* The documented defaults of medical-alliance.md §8 (all [A]). */
CM_API void cm_alliance_rule_init (CmAllianceRule *rule);

/**
 * cm_alliance_fund_budget:
 * @fund_fen: F, the county's fund budget for the year
 * @ring_fenced_fen: S, transfers to serious-illness insurance and other
 *   ring-fenced items
 * @risk_reserve_e4: r
 * @reserve_fen: (out) (optional): R = round2 (F × r)
 * @county_budget_fen: (out): B_county = F − S − R
 *
 * medical-alliance.md §2 (a), BUD-1.
 */
CM_API gboolean cm_alliance_fund_budget (CmFen fund_fen, CmFen ring_fenced_fen,
                                         CmE4 risk_reserve_e4,
                                         CmFen *reserve_fen,
                                         CmFen *county_budget_fen);

/**
 * cm_alliance_split_budget:
 * @county_budget_fen: B_county
 * @insured: (array length=n): insured headcount N_k of each alliance
 * @n: number of alliances, ≥ 1
 * @out: (array length=n) (out caller-allocates): B_k
 *
 * medical-alliance.md §2: B_k = B_county × N_k / Σ N by the exact ratio,
 * never a rounded per-head amount. Each share is the exact one rounded
 * down to the fen, then the fen left over go one each to the largest
 * remainders (earlier alliance first on ties), so Σ B_k = B_county and
 * every B_k is within one fen of its exact share [A].
 */
CM_API gboolean cm_alliance_split_budget (CmFen county_budget_fen,
                                          const gint64 *insured, guint n,
                                          CmFen *out);

/* medical-alliance.md §2 (b), BUD-2: round2 (A_prev × (1 + g)). */
CM_API gboolean cm_alliance_growth_budget (CmFen previous_actual_fen,
                                           CmE4 growth_e4, CmFen *out);

/**
 * cm_alliance_assessment_factor:
 * @score_e4: the assessment score, 0–100 (×10 000)
 * @pass_mark_e4: the pass mark (×10 000)
 *
 * medical-alliance.md §6: q = score / 100 when score ≥ pass mark, else 0
 * (ASM-1, ASM-2).
 *
 * Returns: q as CmE4 (0.92 → 9 200), or -1 for a score outside 0–100.
 */
CM_API CmE4 cm_alliance_assessment_factor (CmE4 score_e4, CmE4 pass_mark_e4);

typedef struct {
  CmFen budget_fen;            /* B */
  CmFen actual_fen;            /* A: Σ charges of the year */
  /* surplus (A < B) */
  CmFen surplus_fen;           /* S = B − A */
  guint n_tiers;
  CmFen tier_fen[CM_ALLIANCE_MAX_TIERS];   /* t_i (surplus) or u_i (overspend) */
  CmE4 factor_e4;              /* q */
  CmFen retained_fen;          /* R = round2 (Σ ρ_i t_i × q) */
  CmFen returned_fen;          /* S − R, back to the fund */
  /* overspend (A > B) */
  CmFen overspend_fen;         /* A − B */
  CmFen unreasonable_fen;      /* part of it the review did not accept */
  CmFen reasonable_fen;        /* O = A_reasonable − B */
  CmFen fund_bears_fen;        /* round2 (Σ φ_i u_i) */
  CmFen alliance_bears_fen;    /* (A − B) − fund_bears */
  /* what the fund pays for the alliance's insured in the year:
   * A + R (surplus), or B + fund_bears (overspend) */
  CmFen fund_total_fen;
} CmAllianceOutcome;

/**
 * cm_alliance_outcome:
 * @rule: tiers and pass mark
 * @budget_fen: B
 * @actual_fen: A
 * @unreasonable_fen: overspend the review did not accept (0 when all of
 *   it is reasonable); ignored on a surplus
 * @score_e4: the assessment score (×10 000)
 * @out: (out): every figure
 *
 * medical-alliance.md §4 (SUR-1, SUR-2) and §5 (OVR-1, OVR-2). Tier
 * bounds τ × B are exact ratios; only R and the fund's share are rounded.
 * Conservation (checked by the tests): S = R + returned;
 * A − B = fund_bears + alliance_bears.
 *
 * Returns: FALSE on overflow or bad tiers.
 */
CM_API gboolean cm_alliance_outcome (const CmAllianceRule *rule,
                                     CmFen budget_fen, CmFen actual_fen,
                                     CmFen unreasonable_fen, CmE4 score_e4,
                                     CmAllianceOutcome *out);

G_END_DECLS
