/* cm-compare.h — the migration report: the same episodes grouped under two
 * schemes (the one in force and its successor), and what moves where.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A case's *group* is its DRG (DRG schemes) or its DIP group; a case that
 * does not group is labelled by its status (CHECK_FAILED, ERROR, …), except
 * a DRG FAIL, which keeps its fail code ("0000", or "B000" in a 3.0 MDC).
 * The report counts, over every accepted episode:
 *   - the transition matrix: group in A → group in B, with counts;
 *   - the share whose group changes, and (both schemes DRG) whose ADRG and
 *     whose MDC change;
 *   - the top movements (group changes by number of cases);
 *   - the same per hospital.
 * It is written as CSV files and one self-contained HTML page with SVG
 * charts (no script). */
#pragma once

#include <stdio.h>
#include <glib.h>
#include "cm-scheme.h"
#include "cm-episode.h"

G_BEGIN_DECLS

#define CM_COMPARE_ERROR (cm_compare_error_quark ())
typedef enum {
  CM_COMPARE_ERROR_IO,      /* a report file cannot be written or read back */
  CM_COMPARE_ERROR_FORMAT,  /* a per-episode row that does not parse */
} CmCompareError;

GQuark cm_compare_error_quark (void);

/* Columns of the per-episode file (episodes.csv). */
#define CM_COMPARE_EPISODE_HEADER \
  "episode_id,hospital_id,a_status,a_mdc,a_adrg,a_group,b_status,b_mdc,b_adrg,b_group," \
  "mdc_changed,adrg_changed,group_changed"

/* One episode under both schemes. */
typedef struct {
  CmGroupResult a;
  CmGroupResult b;
  char label_a[32];   /* the group (see above) */
  char label_b[32];
  gboolean both_drg;
  gboolean mdc_changed;
  gboolean adrg_changed;
  gboolean group_changed;
} CmCompareCase;

/* Groups @episode with both contexts and fills @out. Allocates nothing. */
void cm_compare_case (CmGroupContext *a, CmGroupContext *b, const CmEpisode *episode,
                      CmCompareCase *out);
/* Appends the episodes.csv row of @c (ending in LF). */
void cm_compare_append_row (const CmEpisode *episode, const CmCompareCase *c, GString *out);

typedef struct _CmCompare CmCompare;

/* The aggregate; @a and @b give names and ids (a reference is taken). */
CmCompare *cm_compare_new (CmScheme *a, CmScheme *b);
void cm_compare_free (CmCompare *cmp);

/* Adds every row of an episodes.csv file (header first). */
gboolean cm_compare_add_file (CmCompare *cmp, const char *path, GError **error);

guint64 cm_compare_get_n_episodes (const CmCompare *cmp);
guint64 cm_compare_get_n_group_changed (const CmCompare *cmp);
guint64 cm_compare_get_n_adrg_changed (const CmCompare *cmp);
guint64 cm_compare_get_n_mdc_changed (const CmCompare *cmp);

/* Writes the one-screen summary (figures and the top movements). */
void cm_compare_print_summary (const CmCompare *cmp, FILE *out, guint n_top);

/**
 * cm_compare_write_report:
 * @cmp: the aggregate
 * @dir: an existing folder
 * @input_name: shown in the report
 * @error: CM_COMPARE_ERROR_IO
 *
 * Writes matrix.csv, adrg_matrix.csv (both DRG), top_movements.csv,
 * hospitals.csv, summary.csv and report.html into @dir.
 */
gboolean cm_compare_write_report (const CmCompare *cmp, const char *dir,
                                  const char *input_name, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmCompare, cm_compare_free)

G_END_DECLS
