/* cm-settle-config.h — the settlement section of a policy pack:
 * settlement.xml (tables/policy/settlement.rng) and the TSV tables it
 * names (hospitals, alliances, new technologies, holiday calendar).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every settlement parameter tagged [A], [L], [S] or [B] in the domain
 * documents is configuration, versioned per region and year; this is
 * where it lives. docs/settlement.md §3 lists every element and
 * attribute with its parameter key, default and source tag. A pack
 * without settlement.xml settles with the documented defaults (no budget:
 * point values from policy.xml). A loaded configuration is immutable and
 * refcounted. */
#pragma once

#include <glib.h>
#include "cm-money.h"
#include "cm-settle.h"
#include "cm-alliance.h"

G_BEGIN_DECLS

typedef enum {
  CM_SETTLE_BASIS_DISCHARGE = 0,  /* a case belongs to its discharge month */
  CM_SETTLE_BASIS_SETTLEMENT,     /* … to the month of the batch it came in */
} CmSettleBasis;

/* Point-value pools (dip.md §5 PV-2 single, PV-3 by fund). */
typedef enum {
  CM_PV_POOLS_SINGLE = 0,
  CM_PV_POOLS_INSURANCE,
} CmPvPools;

/* Budget slots: [0] the single pool, [1] employee, [2] resident. */
#define CM_SETTLE_N_POOLS 3

typedef enum {
  CM_SPECIAL_CYCLE_MONTH = 0,
  CM_SPECIAL_CYCLE_QUARTER,
} CmSpecialCaseCycle;

/* One year of settlement parameters. Amounts in fen, ratios ×10 000. */
typedef struct {
  int year;
  /* monthly (settlement.md §2, §7) */
  CmSettleBasis basis;                 /* settle.basis: discharge */
  CmE4 quality_reserve_e4;             /* settle.quality_reserve_ratio: 0.05 */
  guint deadline_working_days;         /* settle.monthly.deadline_working_days: 30 */
  guint declaration_day;               /* settle.monthly.declaration_day: the
                                        * hospitals declare a month by this
                                        * day of the next month: 10 [A] */
  /* budget (dip.md §5; drg-payment.md §7 for point-method DRG) */
  gboolean has_budget;
  CmPvPools pools;
  CmFen budget_fen[CM_SETTLE_N_POOLS];       /* F per pool */
  CmE4 fund_share_e4[CM_SETTLE_N_POOLS];     /* p per pool (DIP) */
  /* special cases (settlement.md §5) */
  CmE4 special_cap_drg_e4;             /* special_case.cap_ratio.drg: 0.05 */
  CmE4 special_cap_dip_e4;             /* special_case.cap_ratio.dip: 0.005 */
  CmSpecialCaseCycle special_cycle;    /* special_case.cycle: quarter */
  gint32 special_long_stay_days;       /* flag stays ≥ this: 60 [S] */
  CmE4 special_high_cost_e4;           /* flag cost > this × standard: 3.0 [S] */
  /* clearing (settlement.md §3, §4) */
  CmE4 default_score_e4;               /* assessment score when none: 100 */
  CmIncentiveRule incentive;           /* incentive.hospital.*: disabled */
  /* county alliances (medical-alliance.md §8) */
  CmAllianceRule alliance;
} CmSettleYear;

/* A hospital row of hospitals.tsv (settlement data of one year). */
typedef struct {
  const char *hospital_id;
  const char *name;                /* "" when none */
  CmFen prepayment_fen;            /* prepayment outstanding (预付金) */
  CmE4 score_e4;                   /* assessment score, -1 = default */
  CmFen audit_deductions_fen;      /* annual audit deductions beyond the months' */
  CmFen reasonable_loss_fen;       /* §4 loss accepted by review */
} CmSettleHospital;

/* A county fund of the fund-based alliance budget. */
typedef struct {
  const char *county_id;
  CmFen fund_fen;                  /* F */
  CmFen ring_fenced_fen;           /* S */
} CmSettleCounty;

/* An alliance row of alliances.tsv. */
typedef struct {
  const char *alliance_id;
  const char *name;
  const char *county_id;
  gint64 insured;                  /* headcount N_k */
  const char *const *members;      /* NULL-terminated hospital ids; empty =
                                    * every hospital of the county */
  CmFen previous_actual_fen;       /* A_prev (growth method) */
  CmE4 score_e4;                   /* assessment score */
  CmFen unreasonable_fen;          /* overspend the review did not accept */
} CmSettleAlliance;

typedef struct _CmSettleConfig CmSettleConfig;

/**
 * cm_settle_config_load:
 * @path: a settlement.xml file, or a pack folder holding one
 * @error: CM_SETTLE_ERROR_CONFIG naming file:line and the parameter key,
 *   or CM_POLICY_ERROR_TABLE / _NOT_FOUND from a table it names
 *
 * Returns: (transfer full) (nullable): the configuration.
 */
CM_API CmSettleConfig *cm_settle_config_load (const char *path, GError **error);

/**
 * cm_settle_config_load_for_policy:
 * @policy_path: the policy.xml of a pack (cm_policy_get_path)
 * @error: as cm_settle_config_load
 *
 * The pack's settlement.xml when it has one, else the defaults for the
 * pack's region.
 *
 * Returns: (transfer full) (nullable): the configuration.
 */
CM_API CmSettleConfig *cm_settle_config_load_for_policy (const char *policy_path,
                                                         GError **error);

/* The defaults of docs/settlement.md §3 for every year. */
CM_API CmSettleConfig *cm_settle_config_new_default (const char *region);
CM_API CmSettleConfig *cm_settle_config_ref (CmSettleConfig *cfg);
CM_API void cm_settle_config_unref (CmSettleConfig *cfg);

/* The `region` attribute. */
CM_API const char *cm_settle_config_get_region (const CmSettleConfig *cfg);
/* The file it came from, or "" for the defaults. */
CM_API const char *cm_settle_config_get_path (const CmSettleConfig *cfg);
/* SHA-256 (hex) of settlement.xml and every table it names ("" defaults). */
CM_API const char *cm_settle_config_get_sha256 (const CmSettleConfig *cfg);

/* (transfer none): the parameters of @year; a year the file does not list
 * gets the defaults (with year 0). Never NULL. */
CM_API const CmSettleYear *cm_settle_config_get_year (const CmSettleConfig *cfg,
                                                      int year);

/* (transfer none) (nullable): the hospital row of @year. */
CM_API const CmSettleHospital *cm_settle_config_lookup_hospital (const CmSettleConfig *cfg,
                                                                 int year,
                                                                 const char *hospital_id);
/* Counties and alliances of @year (transfer none). */
CM_API guint cm_settle_config_get_n_counties (const CmSettleConfig *cfg, int year);
CM_API const CmSettleCounty *cm_settle_config_get_county (const CmSettleConfig *cfg,
                                                          int year, guint i);
CM_API guint cm_settle_config_get_n_alliances (const CmSettleConfig *cfg, int year);
CM_API const CmSettleAlliance *cm_settle_config_get_alliance (const CmSettleConfig *cfg,
                                                              int year, guint i);

/**
 * cm_settle_config_alliance_budgets:
 * @cfg: the configuration
 * @year: the year
 * @budgets: (array) (out caller-allocates): B_k per alliance, in the order
 *   of cm_settle_config_get_alliance
 * @county_budgets: (array) (out caller-allocates) (optional): B_county of
 *   each alliance's county (fund method) or B_k (growth method)
 * @reserves: (array) (out caller-allocates) (optional): R of the county
 * @error: CM_SETTLE_ERROR_CONFIG when a county's fund is below its
 *   ring-fenced part and reserve, or has no insured headcount
 *
 * medical-alliance.md §2: fund-based B_county = F − S − R split between
 * the county's alliances by insured headcount (cm_alliance_split_budget),
 * or growth-based B_k = A_prev × (1 + g).
 */
CM_API gboolean cm_settle_config_alliance_budgets (const CmSettleConfig *cfg, int year,
                                                   CmFen *budgets, CmFen *county_budgets,
                                                   CmFen *reserves, GError **error);

/* TRUE when @code is on the year's new-technology list (新药新技术). */
CM_API gboolean cm_settle_config_is_new_technology (const CmSettleConfig *cfg,
                                                    int year, const char *code);

/* (transfer none): the year's working-day calendar (weekends only when the
 * file names none). */
CM_API const CmCalendar *cm_settle_config_get_calendar (const CmSettleConfig *cfg,
                                                        int year);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmSettleConfig, cm_settle_config_unref)

G_END_DECLS
