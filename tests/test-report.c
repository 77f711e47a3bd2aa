/* test-report.c — the report library: exact number rendering, a page that
 * is well-formed XHTML with escaped text and SVG charts, the workbook, and
 * the page rendered by headless Chromium.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include "test-common.h"
#include "cm-report.h"
#include "cm-xlsx.h"

typedef struct {
  const char *desc;
  gint64 value;
  guint decimals;
  gboolean group;
  const char *text;
} FmtRow;

static FmtRow fmt_rows[] = {
  { "zero", 0, 2, FALSE, "0.00" },
  { "one fen", 1, 2, FALSE, "0.01" },
  { "negative fen", -5, 2, FALSE, "-0.05" },
  { "index", 11361, 4, FALSE, "1.1361" },
  { "thousands", 1234567890, 2, TRUE, "12,345,678.90" },
  { "thousands, negative", -100000, 0, TRUE, "-100,000" },
  { "no decimals", 42, 0, FALSE, "42" },
  { "int64 max", G_MAXINT64, 2, TRUE, "92,233,720,368,547,758.07" },
  { "int64 min", G_MININT64, 2, FALSE, "-92233720368547758.08" },
};

ParameterizedTestParameters (report, formats_scaled_integers)
{
  return cr_make_param_array (FmtRow, fmt_rows, G_N_ELEMENTS (fmt_rows));
}

ParameterizedTest (FmtRow *row, report, formats_scaled_integers)
{
  char buf[CM_REPORT_NUMBER_BUF];
  cm_report_format_scaled (row->value, row->decimals, row->group, buf);
  cr_assert_str_eq (buf, row->text, "%s: %s", row->desc, buf);
}

/* A report with one of everything. */
static CmReport *
sample_report (void)
{
  static const char *const labels[] = { "2024-01", "2024-02", "2024-03", "2024-04" };
  static const gint64 a[] = { 1250000, 1310000, 1280000, 1190000 };
  static const gint64 b[] = { 1200000, 0, 1210000, 1220000 };
  static const gboolean b_ok[] = { TRUE, FALSE, TRUE, TRUE };
  static const char *const headers[] = { "hospital", "cmi", "note" };
  static const char *const row1[] = { "H1 <b>&amp;", "1.1361", "x" };
  static const char *const row2[] = { "H2", "—", "y" };
  CmReport *r = cm_report_new ("Test <script>alert('x')</script> & \"quotes\"");
  CmReportChart *c;
  CmReportTable *t;
  CmReportTiles *tiles;

  cm_report_add_subtitle (r, "subtitle");
  cm_report_add_meta (r, "inputs", "a.csv, b.csv");
  cm_report_add_heading (r, "Section one");
  cm_report_add_paragraph (r, "Text with <angle> brackets & ampersands.");
  c = cm_report_add_line_chart (r, "Cost per case", 4, labels, 2, "yuan");
  cm_report_chart_add_series (c, "raw", a, NULL);
  cm_report_chart_add_series (c, "adjusted", b, b_ok);
  cm_report_chart_set_target (c, "target", 1225000);
  cm_report_add_heading (r, "Section two");
  c = cm_report_add_bar_chart (r, "CMI by hospital", 4, NULL);
  cm_report_chart_add_bar (c, "H1", 11361);
  cm_report_chart_add_bar (c, "H2", 9000);
  cm_report_chart_add_bar (c, "H3", -500);
  cm_report_chart_set_target (c, "region", 10000);
  c = cm_report_add_funnel (r, "Funnel");
  cm_report_chart_add_stage (c, "all", 200);
  cm_report_chart_add_stage (c, "settled", 100);
  cm_report_chart_add_stage (c, "grouped", 0);
  cm_report_add_heading (r, "Section three");
  tiles = cm_report_add_tiles (r, "KPIs");
  cm_report_tiles_add (tiles, "reimbursement", "70.71 %", "≥ 70.00 %", "a ÷ b",
                       CM_REPORT_STATUS_MET);
  cm_report_tiles_add (tiles, "resident", "59.00 %", "≥ 60.00 %", NULL,
                       CM_REPORT_STATUS_MISSED);
  cm_report_tiles_add (tiles, "rate", "—", NULL, "needs a figure", CM_REPORT_STATUS_NA);
  t = cm_report_add_table (r, "Hospitals", "Hospitals", 3, headers, "tnt");
  cm_report_table_add_row (t, row1);
  cm_report_table_add_row (t, row2);
  cm_report_table_add_row (t, row2);
  cm_report_table_set_page_limit (t, 2);
  t = cm_report_add_table (r, "Tidy", NULL, 3, headers, "tnt");
  cm_report_table_add_row (t, row2);
  cm_report_table_set_workbook_only (t, TRUE);
  return r;
}

static int
count_xpath (xmlDocPtr doc, const char *expr)
{
  xmlXPathContextPtr ctx = xmlXPathNewContext (doc);
  xmlXPathObjectPtr obj;
  int n;

  xmlXPathRegisterNs (ctx, BAD_CAST "h", BAD_CAST "http://www.w3.org/1999/xhtml");
  xmlXPathRegisterNs (ctx, BAD_CAST "s", BAD_CAST "http://www.w3.org/2000/svg");
  obj = xmlXPathEvalExpression (BAD_CAST expr, ctx);
  cr_assert_not_null (obj, "xpath %s", expr);
  n = obj->nodesetval ? obj->nodesetval->nodeNr : 0;
  xmlXPathFreeObject (obj);
  xmlXPathFreeContext (ctx);
  return n;
}

typedef struct {
  const char *desc;
  const char *xpath;
  int count;
} PageRow;

static PageRow page_rows[] = {
  { "one SVG per chart", "//s:svg", 3 },
  { "two series → three polylines (one broken at a missing point)", "//s:polyline", 3 },
  { "a dot per present point", "//s:g[@class='series']/s:circle", 7 },
  { "target lines on the line and bar charts", "//s:line[@class='target']", 2 },
  { "a bar per value, a funnel stage per count", "//s:rect", 3 + 3 + 2 },
  { "tiles in three colours", "//h:div[@class='tile met' or @class='tile missed' or "
    "@class='tile na']", 3 },
  { "page limit: two rows shown", "//h:div[@id='t1']//h:tbody/h:tr", 2 },
  { "workbook-only table not on the page", "//h:div[@id='t2']", 0 },
  { "table of contents for three sections", "//h:nav//h:a", 3 },
  { "numeric columns right-aligned", "//h:td[@class='n']", 2 },
  { "escaped title kept as text", "//h:h1[contains(., '<script>')]", 1 },
  { "no script element anywhere", "//h:script", 0 },
};

ParameterizedTestParameters (report, page_structure)
{
  return cr_make_param_array (PageRow, page_rows, G_N_ELEMENTS (page_rows));
}

ParameterizedTest (PageRow *row, report, page_structure)
{
  g_autoptr (CmReport) r = sample_report ();
  gsize len;
  g_autofree char *page = cm_report_to_html (r, &len);
  xmlDocPtr doc = xmlReadMemory (page, (int) len, "page.html", "UTF-8",
                                 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  int n;

  cr_assert_not_null (doc, "%s: the page is not well-formed XML", row->desc);
  n = count_xpath (doc, row->xpath);
  xmlFreeDoc (doc);
  cr_assert_eq (n, row->count, "%s: %d matches of %s", row->desc, n, row->xpath);
}

Test (report, text_is_escaped_by_the_serializer)
{
  g_autoptr (CmReport) r = sample_report ();
  g_autofree char *page = cm_report_to_html (r, NULL);

  cr_assert (g_str_has_prefix (page, "<!DOCTYPE html>"), "%.40s", page);
  cr_assert_null (strstr (page, "<script>"));
  cr_assert_null (strstr (page, "<b>"));
  cr_assert_not_null (strstr (page, "&lt;script&gt;"));
  cr_assert_not_null (strstr (page, "H1 &lt;b&gt;&amp;amp;"));
  cr_assert_not_null (strstr (page, "First 2 of 3 rows"));
  /* the funnel shows shares of the first stage, 0.1 % half-up */
  cr_assert_not_null (strstr (page, "100 (50.0 %)"));
  cr_assert_not_null (strstr (page, "0 (0.0 %)"));
  /* no empty <div/> that an HTML parser would leave open */
  cr_assert_null (strstr (page, "<div/>"));
  cr_assert_null (strstr (page, "<td/>"));
}

Test (report, writes_a_workbook_with_the_tables)
{
  g_autoptr (CmReport) r = sample_report ();
  g_autofree char *dir = g_dir_make_tmp ("cm-report-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "r.xlsx", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmXlsxWorkbook) wb = NULL;
  g_autoptr (CmXlsxSheet) sh = NULL;
  const CmXlsxRow *row;
  const CmXlsxCell *cell;

  cr_assert (cm_report_write_xlsx (r, path, &error), "%s", error ? error->message : "");
  wb = cm_xlsx_workbook_open (path, &error);
  cr_assert_not_null (wb, "%s", error ? error->message : "");
  cr_assert_eq (cm_xlsx_workbook_get_n_sheets (wb), 3);
  cr_assert_str_eq (cm_xlsx_workbook_get_sheet_name (wb, 0), "说明");
  cr_assert_str_eq (cm_xlsx_workbook_get_sheet_name (wb, 1), "Hospitals");
  cr_assert_str_eq (cm_xlsx_workbook_get_sheet_name (wb, 2), "Tidy");
  sh = cm_xlsx_workbook_load_sheet (wb, "Hospitals", &error);
  cr_assert_not_null (sh);
  cr_assert_eq (cm_xlsx_sheet_get_n_rows (sh), 4);   /* header + every row */
  row = cm_xlsx_sheet_get_row (sh, 1);
  cell = cm_xlsx_row_lookup_cell (row, 1);
  cr_assert_eq (cell->type, CM_XLSX_CELL_NUMBER);
  cr_assert_str_eq (cell->text, "1.1361");
  cell = cm_xlsx_row_lookup_cell (row, 0);
  cr_assert_str_eq (cell->text, "H1 <b>&amp;");
  /* a dash in a numeric column stays text */
  cell = cm_xlsx_row_lookup_cell (cm_xlsx_sheet_get_row (sh, 2), 1);
  cr_assert_eq (cell->type, CM_XLSX_CELL_STRING);
  g_unlink (path);
  g_rmdir (dir);
}

Test (report, a_bad_sheet_name_is_an_error)
{
  static const char *const h[] = { "a" };
  g_autoptr (CmReport) r = cm_report_new ("t");
  g_autofree char *dir = g_dir_make_tmp ("cm-report-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "r.xlsx", NULL);
  g_autoptr (GError) error = NULL;

  cm_report_add_table (r, "a/b", NULL, 1, h, "t");
  cr_assert_not (cm_report_write_xlsx (r, path, &error));
  cr_assert_not_null (strstr (error->message, "a/b"), "%s", error->message);
  cr_assert_not (g_file_test (path, G_FILE_TEST_EXISTS));
  g_rmdir (dir);
}

Test (report, unwritable_page_is_an_io_error)
{
  g_autoptr (CmReport) r = cm_report_new ("t");
  g_autoptr (GError) error = NULL;
  cr_assert_not (cm_report_write_html (r, "/nonexistent-dir/r.html", &error));
  cr_assert_eq (error->domain, CM_REPORT_ERROR);
  cr_assert_eq (error->code, CM_REPORT_ERROR_IO);
}

Test (report, flat_and_empty_charts_still_draw)
{
  static const char *const l[] = { "only" };
  static const gint64 v[] = { 500 };
  g_autoptr (CmReport) r = cm_report_new ("t");
  g_autofree char *page = NULL;
  CmReportChart *c = cm_report_add_line_chart (r, "one point", 1, l, 0, NULL);
  cm_report_chart_add_series (c, "s", v, NULL);
  cm_report_add_bar_chart (r, "no bars", 2, NULL);
  cm_report_add_funnel (r, "no stages");
  page = cm_report_to_html (r, NULL);
  cr_assert_not_null (strstr (page, "no data"));
  cr_assert_not_null (strstr (page, "<circle"));
}

/* ---------------------------------------------------------------------- */
/* Headless Chromium                                                       */

#define CHROMIUM "/usr/bin/chromium"

/* Runs Chromium on @html with @mode ("--dump-dom" or "--screenshot=…");
 * returns its standard output. */
static char *
chromium (const char *html, const char *mode)
{
  g_autofree char *profile = g_dir_make_tmp ("cm-chromium-XXXXXX", NULL);
  g_autofree char *udd = g_strdup_printf ("--user-data-dir=%s", profile);
  g_autofree char *url = g_strdup_printf ("file://%s", html);
  const char *argv[] = {
    CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", udd, "--window-size=1200,2400", mode, url, NULL
  };
  g_autoptr (GError) error = NULL;
  char *out = NULL;
  int status;

  cr_assert (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                           NULL, &out, NULL, &status, &error),
             "%s", error ? error->message : "");
  cr_assert (g_spawn_check_wait_status (status, NULL), "chromium %s failed", mode);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", profile);
    (void) system (cmd);
  }
  return out;
}

Test (report, renders_in_headless_chromium, .timeout = 300)
{
  g_autoptr (CmReport) r = sample_report ();
  g_autofree char *dir = NULL, *html = NULL, *png = NULL, *shot = NULL;
  g_autofree char *dom = NULL, *out = NULL, *png_data = NULL;
  g_autoptr (GError) error = NULL;
  gsize png_len;

  if (!g_file_test (CHROMIUM, G_FILE_TEST_IS_EXECUTABLE))
    {
      cr_skip_test (CHROMIUM " is absent (Debian package chromium): render test skipped");
      return;
    }
  dir = g_dir_make_tmp ("cm-report-XXXXXX", NULL);
  html = g_build_filename (dir, "report.html", NULL);
  png = g_build_filename (dir, "report.png", NULL);
  cr_assert (cm_report_write_html (r, html, &error));
  dom = chromium (html, "--dump-dom");
  /* the browser built the same tree: charts, tiles, escaped text */
  cr_assert_not_null (strstr (dom, "<svg"), "no svg in the DOM");
  cr_assert_not_null (strstr (dom, "polyline"), "no chart line in the DOM");
  cr_assert_not_null (strstr (dom, "tile missed"), "no red tile in the DOM");
  cr_assert_not_null (strstr (dom, "&lt;script&gt;"), "title not escaped in the DOM");
  cr_assert_null (strstr (dom, "<script>alert"), "markup injected");
  shot = g_strdup_printf ("--screenshot=%s", png);
  out = chromium (html, shot);
  cr_assert (g_file_get_contents (png, &png_data, &png_len, NULL), "no screenshot");
  cr_assert_gt (png_len, 10000, "screenshot of %zu bytes looks blank", png_len);
  cr_assert_eq (memcmp (png_data, "\x89PNG", 4), 0);
  g_unlink (html);
  g_unlink (png);
  g_rmdir (dir);
}
