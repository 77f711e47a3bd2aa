/* cm-indicators-report.h — the indicators as a CmReport: KPI dashboard,
 * cost per case by month against the target, CMI by hospital, trends per
 * scheme, the funnel of cases by payment class, and the tables behind
 * them (also the sheets of the workbook).
 * SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <glib.h>
#include "cm-indicators.h"
#include "cm-kpi.h"
#include "cm-report.h"

G_BEGIN_DECLS

typedef struct {
  const char *title;              /* (nullable) default "病组绩效与考核指标 …" */
  const char *const *inputs;      /* (nullable) NULL-terminated input names */
  guint64 n_rejected;             /* broken input lines (for the header) */
  guint by_dims;                  /* the user's --by table (0: none) */
  const char *by_text;            /* its text ("hospital,month") */
  gboolean with_tidy;             /* add the tidy table (workbook only) */
  const char *generated;          /* (nullable) e.g. the date */
} CmIndReportInfo;

/**
 * cm_indicators_build_report:
 * @ind: a finished accumulator
 * @kpis: (element-type CmKpiResult) (nullable): cm_kpi_evaluate() of slot 0
 * @cfg: (nullable): the KPI configuration (targets)
 * @info: what the header says
 *
 * Returns: (transfer full): the report.
 */
CM_API CmReport *cm_indicators_build_report (const CmIndicators *ind,
                                             const GPtrArray *kpis,
                                             const CmKpiConfig *cfg,
                                             const CmIndReportInfo *info);

/* Appends the KPI results as a table (sheet "KPI") to @report; also used
 * for the --kpi CSV. Columns: kpi, name, scope, year, value, target,
 * status, numerator, denominator, gap, note. */
CM_API void cm_kpi_results_to_rows (const GPtrArray *kpis,
                                    void (*row) (const char *const *cells,
                                                 gpointer user_data),
                                    gpointer user_data);
#define CM_KPI_N_COLUMNS 11
CM_API const char *const *cm_kpi_columns (void);

G_END_DECLS
