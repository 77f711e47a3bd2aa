/* cm-workbook.h — the NHSA DRG 3.0 configuration workbook and the flat
 * scheme folder (schemes/FORMAT.md, format 2), each turned into the other.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The workbook's sheets (schemes/chs-drg-3.0/README.md):
 *
 *   sheet   columns (2026-09-09 layout)              → files
 *   MDC     A code, B name, C rule, D sort            mdc.tsv, mdc_names.tsv
 *   ADRG    A no., B code, C name, D rule, E mdc,     adrg_rules.tsv, adrg_names.tsv
 *           F sort
 *   DRG     A code, B name, C rule, D adrg, E mdc,    drg_splits.tsv, drg_names.tsv
 *           F sort
 *   集合    A set id, B code                          lists.tsv, list_info.tsv
 *   CC      A code, B name, C exclusion, D type       cc.tsv
 *   排除表  A exclusion id, B principal diagnosis     cc_exclusion.tsv
 *
 * Columns are found by their header texts when a header row is recognised
 * (so a revised workbook with moved columns still reads), otherwise by the
 * positions above. Rows whose code is all zeros (the "0000" ungroupable
 * rows) are skipped. Everything the workbook does not carry — settings,
 * input checks, statuses, code maps, the diagnosis and procedure
 * dictionaries — comes from a base scheme folder when one is given, else
 * from the workbook's own `casemix` sheet (written by the export), else
 * from the CHS-DRG 3.0 defaults. The export writes the same sheets plus
 * `casemix` and `说明`, so that folder → workbook → folder gives back every
 * grouping file byte for byte (docs/transition.md lists what differs:
 * meta.tsv's source_workbook and extractor_version, extract_log.tsv). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CM_WORKBOOK_ERROR (cm_workbook_error_quark ())
typedef enum {
  CM_WORKBOOK_ERROR_SHEET,    /* a sheet, header or cell problem: sheet, row, column */
  CM_WORKBOOK_ERROR_FORMULA,  /* a formula that does not translate: sheet, row, column */
  CM_WORKBOOK_ERROR_SCHEME,   /* a flat scheme that cannot be read or written as a workbook */
  CM_WORKBOOK_ERROR_OUTPUT,   /* the output folder cannot be written */
  CM_WORKBOOK_ERROR_CHECK,    /* the imported folder does not load in the grouper */
} CmWorkbookError;

GQuark cm_workbook_error_quark (void);

typedef struct {
  const char *id;            /* (nullable) meta id; default: the casemix
                              * sheet's, else the output folder's name */
  const char *display_name;  /* (nullable) */
  const char *region;        /* (nullable) */
  const char *base_dir;      /* (nullable) settings, checks, statuses, maps
                              * and dictionaries come from this folder */
  gboolean force;            /* write into a folder that is not empty */
} CmWorkbookImportOptions;

typedef struct {
  gboolean official_only;    /* no casemix / 说明 sheets */
  gboolean no_dictionaries;  /* leave dx_names / px_names out */
} CmWorkbookExportOptions;

/* What an import or export did. */
typedef struct {
  guint n_mdc;
  guint n_adrg_rules;  /* kind adrg */
  guint n_qy_rules;
  guint n_fail_rules;
  guint n_splits;
  guint n_lists;
  guint n_list_members;
  guint n_cc;
  guint n_exclusions;
  guint n_warnings;
  GPtrArray *log;      /* char*: extract_log rows "level\tfile\tline\tmessage" */
} CmWorkbookSummary;

void cm_workbook_summary_clear (CmWorkbookSummary *summary);

/**
 * cm_workbook_import:
 * @xlsx: the configuration workbook
 * @out_dir: the scheme folder to write (created; must be empty unless
 *   @options->force)
 * @options: (nullable): options
 * @summary: (out) (optional): counts and the conversion log
 * @error: CM_WORKBOOK_ERROR_* naming sheet, row and column, or CM_XLSX_ERROR_*
 *
 * Translates the workbook, writes the folder through a staging folder and
 * loads the result with the grouper before putting it in place, so a
 * failed import leaves @out_dir as it was.
 */
gboolean cm_workbook_import (const char *xlsx, const char *out_dir,
                             const CmWorkbookImportOptions *options,
                             CmWorkbookSummary *summary, GError **error);

/**
 * cm_workbook_export:
 * @scheme_dir: a flat DRG scheme folder
 * @xlsx: the workbook to write
 * @options: (nullable): options
 * @summary: (out) (optional): counts and notes
 * @error: CM_WORKBOOK_ERROR_SCHEME naming file:line when a construct has
 *   no workbook equivalent (dept, at_least(), several rules per ADRG, …)
 */
gboolean cm_workbook_export (const char *scheme_dir, const char *xlsx,
                             const CmWorkbookExportOptions *options,
                             CmWorkbookSummary *summary, GError **error);

G_END_DECLS
