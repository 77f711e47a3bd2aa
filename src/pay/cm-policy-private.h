/* cm-policy-private.h — the loaded form of a policy pack, shared by the
 * loader (cm-policy.c) and the pricer (cm-price.c).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Everything is resolved at load time so that pricing one case is a few
 * array lookups: rates and point values are filled for every (insurance,
 * level) pair, coefficients for every level, hospital coefficients sit in
 * one hash table per section. */
#pragma once

#include "cm-policy.h"
#include "cm-catalogue.h"

G_BEGIN_DECLS

/* Index of insurance types in the resolved arrays: 0 employee, 1 resident
 * (CmInsuranceType − 1). */
#define CM_N_INSURANCE 2
#define CM_N_LEVELS 4   /* [1..3]; [0] unused */
#define CM_N_STAGES 2

typedef enum {
  CM_DRG_METHOD_RATE = 0,
  CM_DRG_METHOD_POINTS,
} CmDrgMethod;

typedef enum {
  CM_COEF_APPLIES_TO_PAYMENT = 0,  /* dip.md §8: pay = score × PV × c */
  CM_COEF_APPLIES_TO_POINTS,       /* S3 §5.3: case score = score × c */
} CmCoefAppliesTo;

/* Coefficients common to the DRG and DIP sections. */
typedef struct {
  CmE4 level_e4[CM_N_LEVELS];     /* default 1.0000 */
  GHashTable *hospital;           /* hospital id → CmE4 (boxed gint64), nullable */
} CmCoefficients;

typedef struct {
  gboolean present;
  CmDrgMethod method;
  CmE4 points_per_weight_e4;
  CmCatalogue *weights;
  CmFen rate_fen[CM_N_INSURANCE][CM_N_LEVELS];            /* -1 = none */
  CmE4 pv_e4[CM_N_STAGES][CM_N_INSURANCE][CM_N_LEVELS];   /* 0 = none */
  CmCoefficients coef;
  gint32 los_max_short;           /* -1 = none */
  gint32 los_min_long;            /* -1 = none */
  CmDrgOutlierRule outlier;
  CmE4 ungrouped_factor_e4;
  CmFundShareRule fund;
} CmDrgParams;

typedef struct {
  gboolean present;
  CmCatalogue *scores;
  CmE4 pv_e4[CM_N_STAGES][CM_N_INSURANCE][CM_N_LEVELS];   /* 0 = none */
  CmCoefficients coef;
  CmCoefAppliesTo coef_applies_to;
  gboolean primary_care_level_free;
  CmDipPool *pool;                /* nullable: no comprehensive pooling */
  CmDipDeviationRule deviation;
  CmE4 blank_factor_e4;
  CmE4 ungrouped_factor_e4;
  CmFundShareRule fund;
} CmDipParams;

typedef struct {
  gboolean present;
  CmPerDiemRule rule;
} CmPerDiemProfile;

typedef struct {
  int year;
  CmDrgParams drg;
  CmDipParams dip;
  CmPerDiemProfile per_diem[5];   /* by CmPerDiemCategory; [0] unused */
  CmFundShareRule per_diem_fund;
} CmYearParams;

struct _CmPolicy {
  gatomicrefcount ref;
  char *path;
  char *dir;
  char *region;
  char *name;
  gboolean illustrative;
  CmTimeline *timeline;
  GArray *years;                  /* CmYearParams, sorted by year */
  GPtrArray *tables;              /* CmCatalogue loaded (owned) */
  GPtrArray *pools;               /* CmDipPool loaded (owned) */
  GPtrArray *hash_tables;         /* GHashTable owned */
};

/* (nullable): the parameter set of @year. */
const CmYearParams *cm_policy_lookup_year (const CmPolicy *policy, int year);

/* The coefficient of a case: the hospital's own when listed, else its
 * level's. */
static inline CmE4
cm_coefficients_get (const CmCoefficients *c, const char *hospital_id,
                     int level)
{
  if (c->hospital != NULL && hospital_id != NULL)
    {
      gint64 *v = g_hash_table_lookup (c->hospital, hospital_id);
      if (v != NULL)
        return *v;
    }
  return (level >= 1 && level <= 3) ? c->level_e4[level] : CM_E4_ONE;
}

/* The year of @days and the days of its 1 January and of the next one
 * (a case's year is then a range test for the next cases). */
int cm_date_year_range (gint32 days, gint32 *first, gint32 *next);

/* ---- TSV tables of a pack (cm-catalogue.c) -------------------------------
 * UTF-8, TAB-separated, one header row; leading `# key<TAB>value` comment
 * lines are kept as metadata; empty lines are skipped; CRLF accepted.
 * Columns are matched by name: the caller lists the names it knows, the
 * required ones first; an unknown or repeated column is an error. */

#define CM_PAY_TSV_MAX_COLS 24
/* Longest line of a pack table and largest table (bytes). Raising them
 * lets a hostile table cost more memory at load, nothing else. */
#define CM_PAY_TSV_MAX_LINE 4096
#define CM_PAY_TSV_MAX_BYTES (256 * 1024 * 1024)
/* Largest policy XML file (bytes) and deepest nesting libxml2 may see. */
#define CM_POLICY_MAX_XML_BYTES (4 * 1024 * 1024)

typedef struct {
  const char *path;
  char *text;
  gsize len, pos;
  guint line_no;
  GPtrArray *meta;                       /* key, value, key, value … (owned) */
  guint n_known;
  int col_of[CM_PAY_TSV_MAX_COLS];       /* known name → column, -1 */
  guint n_cols;
  char *cells[CM_PAY_TSV_MAX_COLS];
  gsize cell_pos[CM_PAY_TSV_MAX_COLS];   /* 1-based byte column */
  const char *const *names;              /* the known names */
} CmPayTsv;

gboolean cm_pay_tsv_open (CmPayTsv *t, const char *path,
                          const char *const *known, guint n_known,
                          guint n_required, GError **error);
/* Next row into t->cells: TRUE with a row, FALSE at the end (error unset)
 * or on a malformed row (error set). */
gboolean cm_pay_tsv_next (CmPayTsv *t, GError **error);
void cm_pay_tsv_close (CmPayTsv *t);
/* The cell of known column @k, or NULL when the column is absent. */
static inline const char *
cm_pay_tsv_get (const CmPayTsv *t, guint k)
{
  return t->col_of[k] < 0 ? NULL : t->cells[t->col_of[k]];
}
/* CM_POLICY_ERROR_TABLE "file:line:column: column 'name': …". */
void cm_pay_tsv_error (const CmPayTsv *t, guint k, GError **error,
                       const char *format, ...) G_GNUC_PRINTF (4, 5);

G_END_DECLS
