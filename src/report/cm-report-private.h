/* cm-report-private.h — the report model, shared by the page writer
 * (cm-report.c) and the workbook writer (cm-report-xlsx.c).
 * SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "cm-report.h"

G_BEGIN_DECLS

typedef enum {
  CM_REPORT_BLOCK_HEADING,
  CM_REPORT_BLOCK_PARAGRAPH,
  CM_REPORT_BLOCK_TABLE,
  CM_REPORT_BLOCK_CHART,
  CM_REPORT_BLOCK_TILES,
} CmReportBlockKind;

typedef enum {
  CM_REPORT_CHART_LINE,
  CM_REPORT_CHART_BAR,
  CM_REPORT_CHART_FUNNEL,
} CmReportChartKind;

struct _CmReportTable {
  char *sheet;
  char *caption;
  guint n_cols;
  char **headers;         /* n_cols */
  char *kinds;            /* n_cols letters */
  GPtrArray *rows;        /* char ** of n_cols (g_strfreev) */
  guint page_limit;       /* 0 = all */
  gboolean workbook_only;
};

typedef struct {
  char *name;
  gint64 *values;         /* n_points */
  gboolean *present;      /* n_points */
} CmReportSeries;

struct _CmReportChart {
  CmReportChartKind kind;
  char *title;
  char *unit;             /* nullable */
  char *note;             /* nullable */
  guint decimals;
  /* line */
  guint n_points;
  char **x_labels;
  GPtrArray *series;      /* CmReportSeries */
  /* bar, funnel */
  GPtrArray *labels;      /* char * */
  GArray *values;         /* gint64 */
  gboolean has_target;
  gint64 target;
  char *target_label;
};

typedef struct {
  char *label;
  char *value;
  char *target;
  char *detail;
  CmReportStatus status;
} CmReportTile;

struct _CmReportTiles {
  char *title;
  GArray *tiles;          /* CmReportTile */
};

typedef struct {
  CmReportBlockKind kind;
  char *text;             /* heading, paragraph */
  CmReportTable *table;
  CmReportChart *chart;
  CmReportTiles *tiles;
} CmReportBlock;

struct _CmReport {
  char *title;
  GPtrArray *subtitles;   /* char * */
  GPtrArray *meta;        /* char *: key, value, key, value … */
  GArray *blocks;         /* CmReportBlock */
};

G_END_DECLS
