/* cm-settle-report.h — what bureau staff open after a run: the monthly
 * statements, the annual clearing and the alliance results as an .xlsx
 * workbook and an XHTML page with SVG charts (src/report), and as CSV.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Month: summary, per-hospital statements (cases, weight or points, CMI,
 * amount, deductions, withheld, paid), per-group table, deviation cases,
 * CMI by hospital. Year: summary, the clearing per hospital, the months,
 * groups, deviation and special cases, alliances; charts of cost per case
 * by month, CMI by hospital and the point value (or case-mix weight) by
 * month. Amounts are yuan with two decimals (cm_fen_format); labels are
 * Chinese with the English term. */
#pragma once

#include <glib.h>
#include "cm-ledger.h"
#include "cm-report.h"

G_BEGIN_DECLS

/**
 * cm_settle_report_month:
 * @ledger: the ledger (groups and deviation cases are read from it)
 * @month: a monthly run
 * @region_name: (nullable): the region's display name (policy name)
 * @error: CM_SETTLE_ERROR_LEDGER
 *
 * Returns: (transfer full) (nullable): the report.
 */
CM_API CmReport *cm_settle_report_month (CmLedger *ledger, const CmMonthResult *month,
                                         const char *region_name, GError **error);

/**
 * cm_settle_report_year:
 * @ledger: the ledger
 * @year: a clearing run
 * @alliances: (nullable): the year's alliance run, added as a section
 * @region_name: (nullable): the region's display name
 * @error: CM_SETTLE_ERROR_LEDGER
 *
 * Returns: (transfer full) (nullable): the report.
 */
CM_API CmReport *cm_settle_report_year (CmLedger *ledger, const CmYearResult *year,
                                        const CmAllianceYear *alliances,
                                        const char *region_name, GError **error);

/* The alliance run alone. (transfer full) */
CM_API CmReport *cm_settle_report_alliances (const CmAllianceYear *alliances,
                                             const char *region_name);

/**
 * cm_settle_report_write:
 * @report: a report
 * @xlsx_path: (nullable): the workbook to write
 * @html_path: (nullable): the page to write
 * @error: CM_REPORT_ERROR_* or CM_XLSX_ERROR_*
 */
CM_API gboolean cm_settle_report_write (const CmReport *report, const char *xlsx_path,
                                        const char *html_path, GError **error);

/* CSV (header included) of the statements, the clearing, the alliances. */
CM_API void cm_settle_month_csv (const CmMonthResult *month, GString *out);
CM_API void cm_settle_year_csv (const CmYearResult *year, GString *out);
CM_API void cm_settle_alliances_csv (const CmAllianceYear *alliances, GString *out);

G_END_DECLS
