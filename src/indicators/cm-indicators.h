/* cm-indicators.h — DRG/DIP performance indicators over grouped episodes:
 * grouping rate, number of groups, total weight, CMI, cost and time
 * consumption indices, low-risk groups and low-risk mortality, cost per
 * case raw and case-mix adjusted, by any combination of hospital, level,
 * county, month, year, group and insurance, with year-on-year changes.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Definitions: ../shared/docs/domain/indicators.md (and docs/indicators.md
 * of this repository, which lists every option below with its default).
 *
 * Model. Every case is recorded once per *scheme slot* (a scheme the input
 * is regrouped under, or a payment policy's as-settled grouping) into a
 * cell keyed by (slot, group, class, hospital, level, county, month,
 * insurance, insured region). Cells hold exact integer sums: cases, cost
 * in fen, LOS days, deaths, fund and self-pay amounts, total weight in
 * 1/10 000. Every indicator of every table is then a function of sums of
 * cells, computed as an exact rational (cm-rational.h) and rounded only
 * when printed. Because RW is a property of the group, total weight is
 * Σ_cells n × RW_g and weights can be attached after the cases are in
 * (weights derived from the input itself need that).
 *
 * Populations (indicators.md §1: "cases excluded from grouping are
 * excluded from all of the above"):
 *   all cases       every accepted episode: KPIs, out-of-catalogue share,
 *                   actual reimbursement ratio;
 *   settled         the DRG/DIP-settled cases: all but per-diem stays
 *                   (option), or the DRG/DIP method of a policy;
 *   grouped         settled cases with a group (DRG SUCCESS; DIP GROUPED
 *                   or COMPREHENSIVE): grouping rate, number of groups,
 *                   low-risk mortality;
 *   weighted        grouped cases whose group has a weight: total weight,
 *                   CMI, cost per case, cost and time indices.
 *
 * Threads: an accumulator is fed by one thread, in input order (the
 * pipeline's writer thread through cm_indicators_open_sink). Tables are
 * computed afterwards. */
#pragma once

#include <stdio.h>
#include <glib.h>
#include "cm-episode.h"
#include "cm-scheme.h"
#include "cm-rational.h"

G_BEGIN_DECLS

#define CM_INDICATORS_ERROR (cm_indicators_error_quark ())
typedef enum {
  CM_INDICATORS_ERROR_CONFIG,   /* a bad option, target or figure (file:line) */
  CM_INDICATORS_ERROR_WEIGHTS,  /* a bad weight table (file:line:column) */
  CM_INDICATORS_ERROR_IO,       /* an output cannot be written */
  CM_INDICATORS_ERROR_LIMIT,    /* too many slots, an absurd sum */
} CmIndicatorsError;

CM_API GQuark cm_indicators_error_quark (void);

#define CM_IND_MAX_SLOTS 8

/* ---- options (indicators.md: every "config" choice) --------------------- */

typedef enum {
  CM_IND_REFERENCE_ALL = 0,   /* E_i, T_i over all hospitals of the period */
  CM_IND_REFERENCE_LEVEL,     /* … over the hospitals of the same level */
} CmIndReference;

typedef enum {
  CM_IND_SD_POPULATION = 0,   /* σ of ln m_g with divisor k (LRM default) */
  CM_IND_SD_SAMPLE,           /* divisor k − 1 */
} CmIndSd;

typedef enum {
  CM_IND_LRM_PERIOD_ALL = 0,  /* m_g over the whole input */
  CM_IND_LRM_PERIOD_YEAR,     /* m_g per discharge year */
} CmIndLrmPeriod;

typedef enum {
  CM_IND_DIP_CMI_REGION = 0,  /* (Σ scores_h / N_h) ÷ (Σ scores_region / N_region) */
  CM_IND_DIP_CMI_SCALE,       /* (Σ scores_h / N_h) ÷ scale */
} CmIndDipCmi;

typedef struct {
  guint min_group_cases;        /* CMI-2: a group counts with ≥ this many
                                 * grouped cases in the row (1) */
  CmIndReference reference;     /* cost/time index benchmark (ALL) */
  gboolean include_per_diem;    /* per-diem stays are settled DRG cases (FALSE) */
  CmIndSd lrm_sd;               /* (POPULATION) */
  CmIndLrmPeriod lrm_period;    /* reference period of m_g (ALL) */
  gboolean lrm_exclude_hospice; /* hospice stays out of LRM (TRUE) */
  gboolean lrm_exclude_against_advice; /* discharge status 4 out of LRM (FALSE) */
  CmIndDipCmi dip_cmi;          /* (REGION) */
  gint64 dip_scale;             /* divisor of DIP_CMI_SCALE (1000) */
  gboolean count_persons;       /* keep distinct patients per year (FALSE;
                                 * 8 bytes per patient) */
  gboolean day_surgery_los1;    /* KPI-4 option: stays with discharge −
                                 * admission ≤ 1 day counted as day surgery */
} CmIndicatorOptions;

/* The documented defaults (above in brackets). */
CM_API void cm_indicator_options_init (CmIndicatorOptions *options);

/**
 * cm_indicator_options_set:
 * @options: the options
 * @key: an option key of docs/indicators.md §Options (`groups.min_cases`,
 *   `index.reference`, `per_diem.include`, `lrm.sd`, `lrm.period`,
 *   `lrm.exclude_hospice`, `lrm.exclude_against_advice`, `dip.cmi`,
 *   `dip.scale`, `kpi.hosp_rate.count`, `kpi.hosp_rate.day_surgery`)
 * @value: its value
 * @problem: (out) (optional) (transfer full): what is wrong
 *
 * Returns: TRUE when set; FALSE with @problem for a bad value; FALSE with
 *   @problem NULL for a key that is not an indicator option.
 */
CM_API gboolean cm_indicator_options_set (CmIndicatorOptions *options,
                                          const char *key, const char *value,
                                          char **problem);

/* ---- weights ------------------------------------------------------------- */

/* Group code → weight ×10 000 (DRG RW, DIP score). Immutable once built. */
typedef struct _CmWeightTable CmWeightTable;

/**
 * cm_weight_table_load:
 * @path: a TSV file: the catalogue format of src/pay (cm-catalogue.h:
 *   optional `# key<TAB>value` lines, a header naming `drg`+`weight` or
 *   `group_id`+`score`, other known columns ignored), or the plain form
 *   `drg<TAB>weight` with or without that header row
 * @family: DRG or DIP
 * @error: CM_INDICATORS_ERROR_WEIGHTS naming file:line:column
 *
 * Weights have at most 4 decimals, parsed digit by digit.
 */
CM_API CmWeightTable *cm_weight_table_load (const char *path,
                                            CmSchemeFamily family,
                                            GError **error);
/* (transfer full): an empty table whose source is @source: for slots whose
 * cases carry their own weights (a policy), so that none is derived. */
CM_API CmWeightTable *cm_weight_table_new_empty (const char *source);
CM_API CmWeightTable *cm_weight_table_ref (CmWeightTable *w);
CM_API void cm_weight_table_unref (CmWeightTable *w);
/* (transfer none): the file, or "self" for derived weights. */
CM_API const char *cm_weight_table_get_source (const CmWeightTable *w);
CM_API guint cm_weight_table_get_n_entries (const CmWeightTable *w);
/* FALSE when @code has no weight. */
CM_API gboolean cm_weight_table_lookup (const CmWeightTable *w,
                                        const char *code, gint64 *weight_e4);

/* ---- cases --------------------------------------------------------------- */

typedef enum {
  CM_IND_GROUPED = 0,     /* settled, with a group */
  CM_IND_UNGROUPED,       /* settled, no group (QY, FAIL, CHECK_FAILED, …) */
  CM_IND_NOT_SETTLED,     /* not a DRG/DIP case (per-diem stay, FFS, …) */
} CmIndClass;

/* What one slot made of a case. */
typedef struct {
  const char *group;        /* DRG code / DIP group; "" when none */
  CmIndClass cls;
  const char *label;        /* funnel label: a status or payment class */
  gint64 weight_e4;         /* the case's own weight (policy), -1 = from
                             * the slot's weight table */
  CmFen fund_priced_fen;    /* fund share under the policy, -1 = none */
} CmIndSlotResult;

/* The facts of one case the indicators use. Strings are borrowed. */
typedef struct {
  const char *hospital_id;
  int hospital_level;       /* 1..3, 0 unknown */
  const char *county_id;
  CmInsuranceType insurance;
  CmInsuredRegion insured_region;
  gint32 admit_date;        /* days since 1970-01-01 */
  gint32 discharge_date;
  gint32 los_days;          /* the episode's los_days (≥ 1 for indices) */
  int discharge_status;     /* 1, 2, 3, 4, 5 (death), 9 */
  CmPerDiemCategory per_diem;
  CmFen total_cost_fen;
  CmFen out_of_catalogue_fen;
  CmFen patient_copay_fen;
  CmFen fund_ffs_fen;
  guint64 patient_hash;     /* cm_id_hash of patient_id, 0 = none */
  guint n_slots;
  CmIndSlotResult slot[CM_IND_MAX_SLOTS];
} CmIndCase;

/* Fills the episode facts of @c (slots untouched). */
CM_API void cm_ind_case_set_episode (CmIndCase *c, const CmEpisode *episode);

/**
 * cm_ind_slot_set_group:
 * @r: the slot result to fill
 * @result: what the grouper returned
 * @episode: the episode (its per-diem category)
 * @include_per_diem: options->include_per_diem
 *
 * Class from the grouping status: DRG SUCCESS and DIP GROUPED /
 * COMPREHENSIVE are grouped; other statuses ungrouped; a per-diem stay is
 * not settled unless @include_per_diem. The group code is borrowed from
 * @result.
 */
CM_API void cm_ind_slot_set_group (CmIndSlotResult *r,
                                   const CmGroupResult *result,
                                   const CmEpisode *episode,
                                   gboolean include_per_diem);

/* Appends the binary record of @c to @out (the pipeline's output row). */
CM_API void cm_ind_case_encode (const CmIndCase *c, GString *out);

/* ---- the accumulator ---------------------------------------------------- */

typedef struct _CmIndicators CmIndicators;

/**
 * cm_indicators_new:
 * @options: (nullable): options, NULL for the defaults
 * @n_slots: 1 to CM_IND_MAX_SLOTS
 * @slot_names: (array length=n_slots): a label per slot (scheme id or
 *   policy name); unique
 * @families: (array length=n_slots): DRG or DIP per slot
 */
CM_API CmIndicators *cm_indicators_new (const CmIndicatorOptions *options,
                                        guint n_slots,
                                        const char *const *slot_names,
                                        const CmSchemeFamily *families);
CM_API void cm_indicators_free (CmIndicators *ind);

CM_API const CmIndicatorOptions *cm_indicators_get_options (const CmIndicators *ind);
CM_API guint cm_indicators_get_n_slots (const CmIndicators *ind);
CM_API const char *cm_indicators_get_slot_name (const CmIndicators *ind,
                                                guint slot);
CM_API CmSchemeFamily cm_indicators_get_slot_family (const CmIndicators *ind,
                                                     guint slot);

/* Records one case (c->n_slots must equal the accumulator's). Not
 * thread-safe. */
CM_API void cm_indicators_add_case (CmIndicators *ind, const CmIndCase *c);

/**
 * cm_indicators_open_sink:
 * @ind: the accumulator
 *
 * A stream for cm_pipeline_run's @out: every record written to it by
 * cm_ind_case_encode() in a process callback is decoded and added, in
 * input order and after the pipeline's duplicate check (so a rejected
 * duplicate is never counted). Close it with fclose() before computing.
 *
 * Returns: (transfer full): the stream, or NULL (errno set).
 */
CM_API FILE *cm_indicators_open_sink (CmIndicators *ind);

/* Cases recorded so far. */
CM_API guint64 cm_indicators_get_n_cases (const CmIndicators *ind);

/**
 * cm_indicators_set_weights:
 * @ind: the accumulator
 * @slot: the slot
 * @weights: (nullable): the slot's weight table (a reference is taken);
 *   NULL to derive weights from the input itself (cm_indicators_finish)
 */
CM_API void cm_indicators_set_weights (CmIndicators *ind, guint slot,
                                       CmWeightTable *weights);

/**
 * cm_indicators_finish:
 * @ind: the accumulator, after the last case
 * @error: CM_INDICATORS_ERROR_LIMIT on an absurd sum
 *
 * Derives weights where none were set ("self" weights: RW_g = round4
 * (mean cost of g ÷ mean cost of all weighted-population cases), ×1000 for
 * DIP), attaches the weights to the cells and classifies the low-risk
 * groups. Cases cannot be added afterwards.
 */
CM_API gboolean cm_indicators_finish (CmIndicators *ind, GError **error);

/* (transfer none) (nullable): the slot's weights, after finish. */
CM_API CmWeightTable *cm_indicators_get_weights (const CmIndicators *ind,
                                                 guint slot);

/* Distinct patients (by patient_id) discharged in @year, local insured
 * only when @local_only; 0 unless options->count_persons. */
CM_API gint64 cm_indicators_count_persons (const CmIndicators *ind, int year,
                                           gboolean local_only);

/* Funnel counts of a slot: cases per class label, in first-seen order. */
CM_API guint cm_indicators_get_n_labels (const CmIndicators *ind, guint slot);
CM_API const char *cm_indicators_get_label (const CmIndicators *ind,
                                            guint slot, guint i,
                                            gint64 *n_cases);

/* ---- low-risk groups (indicators.md §2) -------------------------------- */

typedef enum {
  CM_IND_RISK_NONE = 0,     /* no grouped case to judge */
  CM_IND_RISK_LOW,          /* z < −1, or m_g = 0 */
  CM_IND_RISK_MID_LOW,      /* −1 ≤ z < 0 */
  CM_IND_RISK_MID_HIGH,     /* 0 ≤ z < 1 */
  CM_IND_RISK_HIGH,         /* z ≥ 1 */
} CmIndRisk;

/* Static names: "", "low", "mid-low", "mid-high", "high". */
CM_API const char *cm_ind_risk_name (CmIndRisk risk);

/**
 * cm_ind_classify_risk:
 * @deaths: (array length=n): deaths per group
 * @cases: (array length=n): cases per group (> 0)
 * @n: number of groups
 * @sd: population or sample standard deviation
 * @bands: (out) (array length=n): the band of each group
 * @z_e4: (out) (optional) (array length=n): z × 10 000 rounded (0 for
 *   m_g = 0)
 *
 * indicators.md §2 steps 2–4. The one computation of this module done in
 * floating point: ln m_g has no exact rational value. It classifies
 * groups (statistics, never money); bands are decided by comparing z with
 * −1, 0 and 1 in long double.
 */
CM_API void cm_ind_classify_risk (const gint64 *deaths, const gint64 *cases,
                                  guint n, CmIndSd sd, CmIndRisk *bands,
                                  gint64 *z_e4);

/* (nullable → NONE) the band of @group in @slot (@year when lrm_period is
 * YEAR, else ignored). */
CM_API CmIndRisk cm_indicators_get_risk (const CmIndicators *ind, guint slot,
                                         const char *group, int year);

/* ---- tables -------------------------------------------------------------- */

/* Dimensions of a table (bits). None = one row for the whole slot. */
typedef enum {
  CM_IND_DIM_HOSPITAL = 1 << 0,   /* also carries level and county */
  CM_IND_DIM_LEVEL = 1 << 1,
  CM_IND_DIM_COUNTY = 1 << 2,
  CM_IND_DIM_YEAR = 1 << 3,
  CM_IND_DIM_MONTH = 1 << 4,      /* implies year */
  CM_IND_DIM_GROUP = 1 << 5,
  CM_IND_DIM_INSURANCE = 1 << 6,
  CM_IND_DIM_INSURED_REGION = 1 << 7,
} CmIndDims;

/**
 * cm_ind_dims_parse:
 * @text: comma-separated names: region (no dimension), hospital, level,
 *   county, year, month, group (drg and dip are synonyms), insurance,
 *   insured_region
 * @dims: (out): the bits
 * @problem: (out) (optional) (transfer full): what is wrong
 */
CM_API gboolean cm_ind_dims_parse (const char *text, guint *dims,
                                   char **problem);

/* One row of a table: its key (fields outside the table's dimensions are
 * NULL / 0) and its exact sums and figures. */
typedef struct {
  /* key */
  const char *hospital_id;
  int hospital_level;
  const char *county_id;
  int year;                 /* 0 when not a dimension */
  int month;                /* 1..12, 0 when not a dimension */
  const char *group;        /* "" = ungrouped / not settled */
  CmInsuranceType insurance;
  CmInsuredRegion insured_region;

  /* all cases */
  gint64 n_cases;
  gint64 deaths;
  CmFen total_cost_fen;
  gint64 total_los_days;
  CmFen out_of_catalogue_fen;
  CmFen patient_copay_fen;
  CmFen fund_ffs_fen;
  CmFen fund_priced_fen;    /* policy slots; 0 otherwise */
  gint64 n_fund_priced;     /* cases with a priced fund share */
  gint64 n_day_surgery;     /* per options->day_surgery_los1 */
  /* DRG/DIP populations */
  gint64 n_settled;
  gint64 n_grouped;
  gint64 n_weighted;
  gint64 n_no_weight;       /* grouped, but the group has no weight */
  gint64 n_groups;          /* distinct groups with ≥ min_group_cases */
  gint64 total_weight_e4;
  CmFen weighted_cost_fen;  /* cost of the weighted population */
  gint64 weighted_los_days;
  gint64 lowrisk_cases;
  gint64 lowrisk_deaths;
  gint64 weight_e4;         /* the group's weight (group rows): from the
                             * slot's table, else the cases' own weight
                             * when they all have the same; -1 none */
  CmIndRisk risk;           /* the group's band (group rows) */

  /* exact figures, NULL when not computable (a zero denominator) */
  CmRational *grouping_rate;      /* n_grouped / n_settled */
  CmRational *cmi;                /* total weight / n_weighted (DIP: option) */
  CmRational *cost_per_case_fen;  /* weighted cost / n_weighted */
  CmRational *adjusted_cost_fen;  /* weighted cost / total weight */
  CmRational *cost_index;
  CmRational *time_index;
  CmRational *avg_los_days;       /* weighted LOS / n_weighted */
  CmRational *mortality;          /* deaths / n_cases */
  CmRational *lowrisk_mortality;
  CmRational *ooc_share;          /* out-of-catalogue / total cost */
  CmRational *reimbursement;      /* fund (FFS) / total cost */
  /* year on year: the same key one year earlier */
  CmRational *yoy_cost_per_case;  /* ratio − 1 */
  CmRational *yoy_adjusted_cost;  /* ratio − 1 */
  CmRational *yoy_cmi;            /* ratio − 1 */
} CmIndRow;

typedef struct _CmIndTable CmIndTable;

/**
 * cm_indicators_table:
 * @ind: a finished accumulator
 * @slot: the slot
 * @dims: CmIndDims bits
 *
 * Rows sorted by key (year, month, hospital, level, county, group,
 * insurance). The cost/time reference of a row is the region in the
 * row's period (its month, its year, or the whole input) — and its level
 * with CM_IND_REFERENCE_LEVEL.
 *
 * Returns: (transfer full): the table.
 */
CM_API CmIndTable *cm_indicators_table (const CmIndicators *ind, guint slot,
                                        guint dims);
CM_API void cm_ind_table_free (CmIndTable *table);
CM_API guint cm_ind_table_get_n_rows (const CmIndTable *table);
CM_API const CmIndRow *cm_ind_table_get_row (const CmIndTable *table,
                                             guint i);
CM_API guint cm_ind_table_get_dims (const CmIndTable *table);
/* (nullable): the row of this key. */
CM_API const CmIndRow *cm_ind_table_lookup (const CmIndTable *table,
                                            const CmIndRow *key);

/* ---- output --------------------------------------------------------------- */

/* Columns of an indicator table (CSV and report). */
#define CM_IND_TABLE_MAX_COLS 48

/**
 * cm_ind_table_columns:
 * @table: a table
 * @slot_name: (nullable): first column `scheme` with this value
 * @headers: (out) (array fixed-size=CM_IND_TABLE_MAX_COLS): column names
 * @kinds: (out caller-allocates): CM_IND_TABLE_MAX_COLS + 1 bytes, 't'/'n'
 *
 * Returns: the number of columns (key columns, then figures).
 */
CM_API guint cm_ind_table_columns (const CmIndTable *table,
                                   const char *slot_name,
                                   const char **headers, char *kinds);
/* (transfer full): the formatted cells of row @i (percentages 2 dp,
 * indices 4 dp, yuan 2 dp; empty when not computable). */
CM_API GStrv cm_ind_table_format_row (const CmIndTable *table,
                                      const char *slot_name, guint i);

/* Writes the table as CSV (header and rows). */
CM_API gboolean cm_ind_table_write_csv (const CmIndTable *table,
                                        const char *slot_name,
                                        gboolean header, FILE *out,
                                        GError **error);

/**
 * cm_indicators_write_tidy:
 * @ind: a finished accumulator
 * @out: the CSV stream
 * @error: CM_INDICATORS_ERROR_IO
 *
 * One row per slot × group × hospital × month (ungrouped and unsettled
 * cases in a row with an empty group), the columns of docs/indicators.md
 * §Tidy; R read.csv / pandas.read_csv read it with no option.
 */
CM_API gboolean cm_indicators_write_tidy (const CmIndicators *ind, FILE *out,
                                          GError **error);

/* Month index helpers: year × 12 + month − 1 of a date. */
CM_API int cm_ind_date_year (gint32 days);
CM_API int cm_ind_date_month (gint32 days);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmWeightTable, cm_weight_table_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmIndicators, cm_indicators_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmIndTable, cm_ind_table_free)

G_END_DECLS
