/* cm-kpi.h — the bureaus' KPIs with targets and pass/fail: Zhuzhou 2026
 * 四升四降, Yiyang 一控一提, the county alliance assessment; the
 * configuration file of `casemix indicators`.
 * SPDX-License-Identifier: Apache-2.0
 *
 * indicators.md §4 (and medical-alliance.md §6). Two layers:
 *
 *  - formulas (cm_kpi_share, cm_kpi_rate_change, cm_kpi_mean_change,
 *    cm_kpi_target_met, cm_kpi_gap_fen) take explicit integers and
 *    reproduce the worked examples KPI-1 … KPI-6; a target is met or not
 *    by exact comparison (indicators.md: "6 930 000 × 100 ≥ 70 × 9 800 000");
 *  - evaluation (cm_kpi_evaluate) takes the sums of a finished
 *    CmIndicators, the configuration and the outside figures the episode
 *    file cannot carry (insured headcount, last year's rate, out-of-county
 *    admissions) and gives one CmKpiResult per KPI and scope.
 *
 * Targets, the KPI set (profile) and every definitional choice the
 * document marks as configuration are keys of the configuration file
 * (docs/indicators.md §Configuration lists each with its default and
 * source tag). The local documents were not found ([B]/[A]); the defaults
 * are the brief's figures. */
#pragma once

#include <glib.h>
#include "cm-indicators.h"
#include "cm-rational.h"

G_BEGIN_DECLS

typedef enum {
  CM_KPI_OP_GE = 0,   /* value ≥ target */
  CM_KPI_OP_LE,       /* value ≤ target */
} CmKpiOp;

/* A target as an exact fraction: 70 % is 70/100, −2 % is −2/100, −1 pt is
 * −1/100 (a difference of two shares). */
typedef struct {
  CmKpiOp op;
  gint64 num;
  gint64 den;         /* > 0 */
} CmKpiTarget;

/* How a value is shown. */
typedef enum {
  CM_KPI_UNIT_PERCENT = 0,  /* a share: 70.71 % */
  CM_KPI_UNIT_POINTS,       /* a difference of shares: −1.20 pt */
  CM_KPI_UNIT_CHANGE,       /* ratio − 1: −2.30 % */
} CmKpiUnit;

/* The KPIs. Append-only (ids are data in configuration files). */
typedef enum {
  CM_KPI_REIMB_EMPLOYEE = 0,  /* KPI-1 actual inpatient reimbursement, employee */
  CM_KPI_REIMB_RESIDENT,      /* KPI-2 the same, resident */
  CM_KPI_PRIMARY_FUND_SHARE,  /* KPI-3 primary-level fund share, per county */
  CM_KPI_HOSP_RATE,           /* KPI-4 hospitalisation rate change */
  CM_KPI_DRG_COST_PER_CASE,   /* KPI-5 DRG cost per case change */
  CM_KPI_OOC_SHARE,           /* KPI-6 out-of-catalogue share, per hospital */
  CM_KPI_INPATIENT_COST,      /* 一控: inpatient cost per admission change */
  CM_KPI_REIMB_CHANGE,        /* 一提: actual reimbursement ratio change */
  CM_KPI_IN_COUNTY_RATE,      /* alliance: in-county admission share, per county */
  CM_KPI_N
} CmKpiKind;

/* Static: the id used in configuration ("reimb_employee", …). */
CM_API const char *cm_kpi_id (CmKpiKind kind);
/* Static: the Chinese and English name. */
CM_API const char *cm_kpi_name (CmKpiKind kind);
CM_API CmKpiUnit cm_kpi_unit (CmKpiKind kind);
/* FALSE when @id names no KPI. */
CM_API gboolean cm_kpi_from_id (const char *id, CmKpiKind *kind);

/* ---- formulas ------------------------------------------------------------ */

/* @num / @den as a share (KPI-1, 2, 3, 6); NULL when @den is 0. */
CM_API CmRational *cm_kpi_share (gint64 num, gint64 den);

/* KPI-4: @a1/@p1 − @a0/@p0 (rate this year minus last year); NULL when a
 * denominator is 0. */
CM_API CmRational *cm_kpi_rate_change (gint64 a1, gint64 p1, gint64 a0,
                                       gint64 p0);

/* KPI-5: (@c1/@n1) ÷ (@c0/@n0) − 1; NULL when a denominator or the base
 * is 0. With @n1 = @n0 = 1 it is @c1/@c0 − 1 (means given directly). */
CM_API CmRational *cm_kpi_mean_change (gint64 c1, gint64 n1, gint64 c0,
                                       gint64 n0);

/* Exact comparison of @value with @target. */
CM_API gboolean cm_kpi_target_met (const CmRational *value,
                                   const CmKpiTarget *target);

/**
 * cm_kpi_gap_fen:
 * @num_fen: the numerator (fund, self-pay …)
 * @den_fen: the denominator, > 0
 * @target: a share target
 * @gap_fen: (out): for ≥, how much more numerator meets the target at the
 *   same denominator (ceil to the fen, 0 when met); for ≤, how much less
 *   (numerator − floor (target × den), 0 when met)
 *
 * KPI-2: "needs ≥ 6 000 000.00"; KPI-3: "shortfall 2 000 000.00 at the
 * same denominator".
 *
 * Returns: FALSE on overflow.
 */
CM_API gboolean cm_kpi_gap_fen (CmFen num_fen, CmFen den_fen,
                                const CmKpiTarget *target, CmFen *gap_fen);

/**
 * cm_kpi_target_parse:
 * @text: "≥ 70.00%", ">= 70%", "<= -2.00%", "≤ −1.00 pt", "<= 0.08"
 * @target: (out): the target
 * @problem: (out) (optional) (transfer full)
 *
 * The number has at most 6 decimals; a sign may be '+', '-' or '−'.
 */
CM_API gboolean cm_kpi_target_parse (const char *text, CmKpiTarget *target,
                                     char **problem);
/* (transfer full): "≥ 70.00 %", "≤ −1.00 pt" (2 decimals). */
CM_API char *cm_kpi_target_format (const CmKpiTarget *target, CmKpiUnit unit);
/* (transfer full): @value in @unit with 2 decimals ("70.71 %", "−1.20 pt"). */
CM_API char *cm_kpi_value_format (const CmRational *value, CmKpiUnit unit);

/* ---- configuration ------------------------------------------------------- */

typedef struct _CmKpiConfig CmKpiConfig;

/* The Zhuzhou 2026 profile with the brief's targets, and the defaults of
 * every option. */
CM_API CmKpiConfig *cm_kpi_config_new (void);
CM_API void cm_kpi_config_free (CmKpiConfig *cfg);

/**
 * cm_kpi_config_set:
 * @cfg: the KPI configuration
 * @options: (nullable): indicator options (for the keys they own)
 * @key: a key of docs/indicators.md §Configuration
 * @value: its text
 * @problem: (out) (optional) (transfer full): what is wrong
 *
 * Returns: FALSE with @problem for an unknown key or a bad value.
 */
CM_API gboolean cm_kpi_config_set (CmKpiConfig *cfg, CmIndicatorOptions *options,
                                   const char *key, const char *value,
                                   char **problem);

/**
 * cm_kpi_config_load:
 * @cfg: the KPI configuration
 * @options: (nullable): indicator options
 * @path: a TSV file of `key<TAB>value` lines (`#` comments, empty lines)
 * @error: CM_INDICATORS_ERROR_CONFIG "file:line: key 'k': problem"
 */
CM_API gboolean cm_kpi_config_load (CmKpiConfig *cfg,
                                    CmIndicatorOptions *options,
                                    const char *path, GError **error);

/* The profile's name ("zhuzhou-2026", "yiyang", "county-alliance", "all",
 * or "custom"). */
CM_API const char *cm_kpi_config_get_profile (const CmKpiConfig *cfg);
CM_API gboolean cm_kpi_config_is_enabled (const CmKpiConfig *cfg,
                                          CmKpiKind kind);
/* The target of @kind (for OOC_SHARE: of hospital level @level, 1..3). */
CM_API const CmKpiTarget *cm_kpi_config_get_target (const CmKpiConfig *cfg,
                                                    CmKpiKind kind, int level);

/* ---- evaluation ---------------------------------------------------------- */

typedef struct {
  CmKpiKind kind;
  char *scope;            /* "region", "county 430121", "hospital H…" */
  char *scope_id;         /* "", the county or hospital id */
  int year;
  gboolean computable;
  char *note;             /* why not computable, or what the figure rests on */
  CmRational *value;      /* NULL when not computable */
  CmKpiTarget target;
  gboolean met;
  gint64 num;             /* numerator and denominator shown with the value */
  gint64 den;             /* (fen or counts; 0/0 when not a share) */
  gboolean money;         /* num/den are fen */
  gboolean has_gap;
  CmFen gap_fen;          /* cm_kpi_gap_fen */
} CmKpiResult;

CM_API void cm_kpi_result_free (CmKpiResult *r);

/**
 * cm_kpi_evaluate:
 * @ind: a finished accumulator
 * @slot: the slot whose grouping KPI-5 uses (the others use all cases)
 * @cfg: the configuration
 * @year: the assessed discharge year; 0 for the latest in the data
 *
 * Returns: (transfer full) (element-type CmKpiResult): one result per
 *   enabled KPI and scope, region first, then counties and hospitals.
 */
CM_API GPtrArray *cm_kpi_evaluate (const CmIndicators *ind, guint slot,
                                   const CmKpiConfig *cfg, int year);

/* The latest discharge year in @ind (0 when empty). */
CM_API int cm_kpi_latest_year (const CmIndicators *ind);

/**
 * cm_kpi_assessment:
 * @results: (element-type CmKpiResult): from cm_kpi_evaluate
 * @cfg: the configuration (points per KPI, pass mark)
 * @county: a county id
 * @score: (out): Σ points of the KPIs met (county result, else region)
 * @factor_e4: (out): q = score / 100 when score ≥ pass mark, else 0
 *   (medical-alliance.md §6), ×10 000
 *
 * Returns: FALSE when no enabled KPI has a result for @county or the region.
 */
CM_API gboolean cm_kpi_assessment (const GPtrArray *results,
                                   const CmKpiConfig *cfg, const char *county,
                                   gint64 *score, gint64 *factor_e4);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmKpiConfig, cm_kpi_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmKpiResult, cm_kpi_result_free)

G_END_DECLS
