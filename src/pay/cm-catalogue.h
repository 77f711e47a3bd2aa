/* cm-catalogue.h — DRG weight and DIP score tables: loading them, and
 * building them from a base-period episode file (`casemix catalogue build`).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Table format (UTF-8 TSV; docs/payment.md §4): optional leading comment
 * lines `# key<TAB>value` (the build records scheme, base period, method,
 * counts there), then a header row and one row per group.
 *
 *   column        DRG table   DIP table   content
 *   drg           required    -           the DRG code
 *   group_id      -           required    the DIP group (core id or ZH-…)
 *   weight        required    -           RW, up to 4 decimals, > 0
 *   score         -           required    score, up to 4 decimals, > 0
 *   kind          optional    optional    core | comprehensive (informational)
 *   n_cases       optional    optional    base-period cases (after trimming)
 *   mean_cost     optional    optional    weighted mean cost, yuan
 *   mean_cost_l1…l3 optional  optional    the same per hospital level (empty: none)
 *   coefficient   optional    optional    group coefficient (empty: none)
 *   level_free    optional    optional    1: c = 1 at every level (基层病组)
 *
 * Unknown columns are an error (they are usually typos of known ones).
 *
 * Building (drg-payment.md §2, dip.md §3, dip-catalogue-building.md): the
 * base-period episodes are grouped, per-diem stays and ungroupable cases
 * left out, each group's costs trimmed, yearly means weighted by the year
 * weights (1:2:7 oldest → newest by default), RW_g = round4 (m_g / M) and
 * score_i = round4 (m_i / M × S). DIP core groups below the case-count
 * threshold, and comprehensive groups, are pooled into comprehensive groups
 * by diagnosis category (then chapter, then all) and procedure class. */
#pragma once

#include <stdio.h>
#include <glib.h>
#include "cm-money.h"
#include "cm-scheme.h"

G_BEGIN_DECLS

/* ---- tables ------------------------------------------------------------- */

typedef struct _CmCatalogue CmCatalogue;

typedef struct {
  const char *code;        /* DRG code or DIP group id */
  CmE4 weight_e4;          /* RW or score */
  CmE4 coefficient_e4;     /* 0 = none */
  CmFen mean_cost_fen;     /* 0 = unknown */
  CmFen level_mean_fen[4]; /* [1..3]; 0 = unknown */
  guint32 n_cases;
  gboolean level_free;
  gboolean comprehensive;
} CmCatalogueEntry;

/**
 * cm_catalogue_load:
 * @path: a weight or score TSV
 * @family: DRG (key column `drg`, value `weight`) or DIP (`group_id`, `score`)
 * @error: CM_POLICY_ERROR_TABLE naming file:line:column and the column,
 *   CM_POLICY_ERROR_NOT_FOUND when unreadable
 *
 * Returns: (transfer full) (nullable): the table.
 */
CM_API CmCatalogue *cm_catalogue_load (const char *path, CmSchemeFamily family,
                                       GError **error);
CM_API CmCatalogue *cm_catalogue_ref (CmCatalogue *cat);
CM_API void cm_catalogue_unref (CmCatalogue *cat);

/* (transfer none) (nullable): the row of @code. Allocates nothing. */
CM_API const CmCatalogueEntry *cm_catalogue_lookup (const CmCatalogue *cat,
                                                    const char *code);
CM_API guint cm_catalogue_get_n_entries (const CmCatalogue *cat);
CM_API const CmCatalogueEntry *cm_catalogue_get_entry (const CmCatalogue *cat,
                                                       guint i);
/* (nullable): the value of comment line `# key<TAB>value`. */
CM_API const char *cm_catalogue_get_meta (const CmCatalogue *cat,
                                          const char *key);
/* TRUE when the table has a mean_cost column (then every row has one). */
CM_API gboolean cm_catalogue_has_means (const CmCatalogue *cat);
CM_API const char *cm_catalogue_get_path (const CmCatalogue *cat);

/* ---- DIP comprehensive pooling ------------------------------------------ */

/* The procedure class of a case for the comprehensive groups
 * (dip-cn-national-3.0 GROUPING.md §7.2): S (surgery: a code on
 * or_procedures.tsv), P (other effective procedure), M (none). */
typedef struct _CmDipPool CmDipPool;

typedef enum {
  CM_DIP_POOL_CATEGORY = 0,  /* ZH-<3-character category>-K */
  CM_DIP_POOL_CHAPTER,       /* ZH-<first letter>-K */
  CM_DIP_POOL_ALL,           /* ZH-*-K */
} CmDipPoolLevel;

#define CM_DIP_POOL_MAX_LEVELS 3
#define CM_DIP_POOL_ID_LEN 32

/**
 * cm_dip_pool_load:
 * @dir: a folder with or_procedures.tsv and excluded_px.tsv (the DIP scheme
 *   folder)
 * @levels: (array length=n_levels): the pooling levels, in fallback order
 * @n_levels: 1 to CM_DIP_POOL_MAX_LEVELS
 * @error: CM_POLICY_ERROR_NOT_FOUND / _TABLE
 */
CM_API CmDipPool *cm_dip_pool_load (const char *dir,
                                    const CmDipPoolLevel *levels,
                                    guint n_levels, GError **error);
CM_API CmDipPool *cm_dip_pool_ref (CmDipPool *pool);
CM_API void cm_dip_pool_unref (CmDipPool *pool);
CM_API guint cm_dip_pool_get_n_levels (const CmDipPool *pool);

/* 'S', 'P' or 'M' for @episode. Allocates nothing. */
CM_API char cm_dip_pool_class (const CmDipPool *pool, const CmEpisode *episode);

/**
 * cm_dip_pool_id:
 * @pool: the pool
 * @level_index: index into the pool's levels
 * @principal_dx: the principal diagnosis
 * @cls: 'S', 'P' or 'M'
 * @buf: (out caller-allocates): CM_DIP_POOL_ID_LEN bytes
 *
 * Writes the comprehensive group id of that level ("ZH-K35-S", "ZH-K-S",
 * "ZH-*-S"). Returns FALSE when @principal_dx has no category
 * (`[A-Z][0-9]{2}`).
 */
CM_API gboolean cm_dip_pool_id (const CmDipPool *pool, guint level_index,
                                const char *principal_dx, char cls,
                                char *buf);

/* ---- building ------------------------------------------------------------ */

#define CM_CATALOGUE_MAX_YEARS 8

typedef enum {
  CM_MEAN_YEARLY = 0,  /* Σ w_y · mean_y / Σ w_y (weights on yearly means) */
  CM_MEAN_CASES,       /* Σ w_y · S_y / Σ w_y · n_y (weights on cases) */
} CmMeanMethod;

typedef struct {
  guint n_year_weights;                     /* oldest → newest */
  gint64 year_weights[CM_CATALOGUE_MAX_YEARS];
  CmMeanMethod mean;
  guint trim_low_permille;                  /* per group, 0 = none */
  guint trim_high_permille;                 /* per group, 1000 = none */
  guint threshold;                          /* DIP core threshold (cases) */
  gint64 scale;                             /* 1 (DRG) or S (DIP) */
  gboolean include_per_diem;                /* keep bed-day stays */
  gint32 los_max_short;                     /* ≤ this excluded; -1 none */
  gint32 los_min_long;                      /* ≥ this excluded; -1 none */
} CmCatalogueOptions;

/* Defaults: weights 1:2:7, yearly means, trim 25‰/975‰, threshold 15,
 * scale 1 for DRG and 1000 for DIP, per-diem stays left out, no LOS window. */
CM_API void cm_catalogue_options_init (CmCatalogueOptions *options,
                                       CmSchemeFamily family);

typedef struct _CmCatalogueBuilder CmCatalogueBuilder;

/* @pool is needed for DIP (may be NULL for DRG). */
CM_API CmCatalogueBuilder *cm_catalogue_builder_new (CmSchemeFamily family,
                                                     const CmCatalogueOptions *options,
                                                     CmDipPool *pool);
CM_API void cm_catalogue_builder_free (CmCatalogueBuilder *builder);

/* Adds one grouped episode (not thread-safe: one builder per thread, then
 * cm_catalogue_builder_merge). Returns a static label of what happened
 * ("used", "per-diem", "ungrouped", "los-window", "no-year"). */
CM_API const char *cm_catalogue_builder_add (CmCatalogueBuilder *builder,
                                             const CmEpisode *episode,
                                             const CmGroupResult *result);
/* Moves everything of @src into @dst. */
CM_API void cm_catalogue_builder_merge (CmCatalogueBuilder *dst,
                                        CmCatalogueBuilder *src);

/**
 * cm_catalogue_builder_write:
 * @builder: the builder
 * @out: where the TSV goes
 * @meta: (nullable): extra `# key value` pairs (NULL-terminated key, value…)
 * @error: CM_PRICE_ERROR_OVERFLOW, or I/O
 *
 * Computes and writes the table, rows sorted by code.
 */
CM_API gboolean cm_catalogue_builder_write (CmCatalogueBuilder *builder,
                                            FILE *out,
                                            const char *const *meta,
                                            GError **error);

/* ---- the statistic itself (drg-payment.md §2, dip.md §3) ---------------- */

typedef struct {
  gint64 sum_fen;   /* total cost of the year's cases */
  gint64 n;         /* their number */
} CmYearStat;

/**
 * cm_catalogue_weighted_ratio_e4:
 * @group: (array length=n_years): the group's yearly totals, oldest first
 * @all: (array length=n_years): all cases' yearly totals
 * @weights: (array length=n_years): the year weights
 * @n_years: number of years
 * @mean: how the years are weighted
 * @scale: 1 for RW, S for DIP scores
 * @out: (out): round4 (m_g / M × scale)
 *
 * Years without cases in @group drop out of its weighted mean (their
 * weight too). Exact when one year carries all cases or @mean is
 * CM_MEAN_CASES; otherwise yearly means are carried at 10^-9 fen.
 */
CM_API gboolean cm_catalogue_weighted_ratio_e4 (const CmYearStat *group,
                                                const CmYearStat *all,
                                                const gint64 *weights,
                                                guint n_years,
                                                CmMeanMethod mean,
                                                gint64 scale, CmE4 *out);

/* The weighted mean itself, rounded half-up to the fen (the `mean_cost`
 * column); FALSE when no year has cases. */
CM_API gboolean cm_catalogue_weighted_mean_fen (const CmYearStat *stats,
                                                const gint64 *weights,
                                                guint n_years,
                                                CmMeanMethod mean,
                                                CmFen *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmCatalogue, cm_catalogue_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmDipPool, cm_dip_pool_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmCatalogueBuilder, cm_catalogue_builder_free)

G_END_DECLS
