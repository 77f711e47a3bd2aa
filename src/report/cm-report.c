/* cm-report.c — the report model and its XHTML page with inline SVG.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The page is a libxml2 tree serialized in XHTML mode: elements that may
 * not be empty in HTML are written with an end tag, the document starts
 * with <!DOCTYPE html>, and text is escaped by the serializer. Charts are
 * <svg> elements in the SVG namespace inside <figure>s.
 *
 * Chart geometry is integer arithmetic in tenths of a pixel: a value v
 * (scaled integer) on an axis from lo to hi of length L maps to
 * (v − lo) × L / (hi − lo), computed at 128 bits. Axis ends are "nice"
 * multiples of a step 1, 2 or 5 × 10^k chosen for about five ticks. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include "cm-report.h"
#include "cm-report-private.h"

#define XHTML_NS "http://www.w3.org/1999/xhtml"
#define SVG_NS "http://www.w3.org/2000/svg"

G_DEFINE_QUARK (cm-report-error-quark, cm_report_error)

/* libxml2 memory goes back through libxml2 (STYLE §5). */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlBuffer, xmlBufferFree)

/* Series colours (colour-blind safe: Okabe–Ito, without red, which means
 * "missed" on this page). */
static const char *const palette[CM_REPORT_MAX_SERIES] = {
  "#0072B2", "#E69F00", "#009E73", "#CC79A7",
  "#56B4E9", "#7F6000", "#000000", "#999999",
};

/* ---------------------------------------------------------------------- */
/* Model                                                                   */

static void
table_free (CmReportTable *t)
{
  g_free (t->sheet);
  g_free (t->caption);
  g_strfreev (t->headers);
  g_free (t->kinds);
  g_ptr_array_unref (t->rows);
  g_free (t);
}

static void
series_free (gpointer p)
{
  CmReportSeries *s = p;
  g_free (s->name);
  g_free (s->values);
  g_free (s->present);
  g_free (s);
}

static void
chart_free (CmReportChart *c)
{
  g_free (c->title);
  g_free (c->unit);
  g_free (c->note);
  g_strfreev (c->x_labels);
  g_clear_pointer (&c->series, g_ptr_array_unref);
  g_clear_pointer (&c->labels, g_ptr_array_unref);
  g_clear_pointer (&c->values, g_array_unref);
  g_free (c->target_label);
  g_free (c);
}

static void
tile_clear (gpointer p)
{
  CmReportTile *t = p;
  g_free (t->label);
  g_free (t->value);
  g_free (t->target);
  g_free (t->detail);
}

static void
tiles_free (CmReportTiles *t)
{
  g_free (t->title);
  g_array_unref (t->tiles);
  g_free (t);
}

static void
block_clear (gpointer p)
{
  CmReportBlock *b = p;
  g_free (b->text);
  if (b->table)
    table_free (b->table);
  if (b->chart)
    chart_free (b->chart);
  if (b->tiles)
    tiles_free (b->tiles);
}

CmReport *
cm_report_new (const char *title)
{
  CmReport *r;

  g_return_val_if_fail (title != NULL, NULL);
  r = g_new0 (CmReport, 1);
  r->title = g_strdup (title);
  r->subtitles = g_ptr_array_new_with_free_func (g_free);
  r->meta = g_ptr_array_new_with_free_func (g_free);
  r->blocks = g_array_new (FALSE, TRUE, sizeof (CmReportBlock));
  g_array_set_clear_func (r->blocks, block_clear);
  return r;
}

void
cm_report_free (CmReport *report)
{
  if (report == NULL)
    return;
  g_free (report->title);
  g_ptr_array_unref (report->subtitles);
  g_ptr_array_unref (report->meta);
  g_array_unref (report->blocks);
  g_free (report);
}

void
cm_report_add_subtitle (CmReport *report, const char *text)
{
  g_return_if_fail (report != NULL && text != NULL);
  g_ptr_array_add (report->subtitles, g_strdup (text));
}

void
cm_report_add_meta (CmReport *report, const char *key, const char *value)
{
  g_return_if_fail (report != NULL && key != NULL && value != NULL);
  g_ptr_array_add (report->meta, g_strdup (key));
  g_ptr_array_add (report->meta, g_strdup (value));
}

static CmReportBlock *
add_block (CmReport *report, CmReportBlockKind kind)
{
  CmReportBlock b = { 0 };
  b.kind = kind;
  g_array_append_val (report->blocks, b);
  return &g_array_index (report->blocks, CmReportBlock, report->blocks->len - 1);
}

void
cm_report_add_heading (CmReport *report, const char *text)
{
  g_return_if_fail (report != NULL && text != NULL);
  add_block (report, CM_REPORT_BLOCK_HEADING)->text = g_strdup (text);
}

void
cm_report_add_paragraph (CmReport *report, const char *text)
{
  g_return_if_fail (report != NULL && text != NULL);
  add_block (report, CM_REPORT_BLOCK_PARAGRAPH)->text = g_strdup (text);
}

CmReportTable *
cm_report_add_table (CmReport *report, const char *sheet, const char *caption,
                     guint n_cols, const char *const *headers,
                     const char *kinds)
{
  CmReportTable *t;

  g_return_val_if_fail (report != NULL && sheet != NULL, NULL);
  g_return_val_if_fail (n_cols >= 1 && n_cols <= CM_REPORT_MAX_COLUMNS, NULL);
  g_return_val_if_fail (headers != NULL && kinds != NULL, NULL);
  g_return_val_if_fail (strlen (kinds) == n_cols, NULL);
  t = g_new0 (CmReportTable, 1);
  t->sheet = g_strdup (sheet);
  t->caption = g_strdup (caption);
  t->n_cols = n_cols;
  t->headers = g_new0 (char *, n_cols + 1);
  for (guint i = 0; i < n_cols; i++)
    t->headers[i] = g_strdup (headers[i] ? headers[i] : "");
  t->kinds = g_strdup (kinds);
  t->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  add_block (report, CM_REPORT_BLOCK_TABLE)->table = t;
  return t;
}

void
cm_report_table_add_row (CmReportTable *table, const char *const *cells)
{
  char **row;

  g_return_if_fail (table != NULL && cells != NULL);
  row = g_new0 (char *, table->n_cols + 1);
  for (guint i = 0; i < table->n_cols; i++)
    row[i] = g_strdup (cells[i] ? cells[i] : "");
  g_ptr_array_add (table->rows, row);
}

void
cm_report_table_set_page_limit (CmReportTable *table, guint max_rows)
{
  g_return_if_fail (table != NULL);
  table->page_limit = max_rows;
}

void
cm_report_table_set_workbook_only (CmReportTable *table, gboolean workbook_only)
{
  g_return_if_fail (table != NULL);
  table->workbook_only = workbook_only;
}

guint
cm_report_table_get_n_rows (const CmReportTable *table)
{
  g_return_val_if_fail (table != NULL, 0);
  return table->rows->len;
}

static CmReportChart *
chart_new (CmReport *report, CmReportChartKind kind, const char *title,
           guint decimals, const char *unit)
{
  CmReportChart *c = g_new0 (CmReportChart, 1);
  c->kind = kind;
  c->title = g_strdup (title);
  c->unit = g_strdup (unit);
  c->decimals = decimals;
  add_block (report, CM_REPORT_BLOCK_CHART)->chart = c;
  return c;
}

CmReportChart *
cm_report_add_line_chart (CmReport *report, const char *title, guint n_points,
                          const char *const *x_labels, guint decimals,
                          const char *unit)
{
  CmReportChart *c;

  g_return_val_if_fail (report != NULL && title != NULL, NULL);
  g_return_val_if_fail (n_points >= 1 && n_points <= CM_REPORT_MAX_POINTS, NULL);
  g_return_val_if_fail (x_labels != NULL, NULL);
  g_return_val_if_fail (decimals <= CM_REPORT_MAX_DECIMALS, NULL);
  c = chart_new (report, CM_REPORT_CHART_LINE, title, decimals, unit);
  c->n_points = n_points;
  c->x_labels = g_new0 (char *, n_points + 1);
  for (guint i = 0; i < n_points; i++)
    c->x_labels[i] = g_strdup (x_labels[i] ? x_labels[i] : "");
  c->series = g_ptr_array_new_with_free_func (series_free);
  return c;
}

void
cm_report_chart_add_series (CmReportChart *chart, const char *name,
                            const gint64 *values, const gboolean *present)
{
  CmReportSeries *s;

  g_return_if_fail (chart != NULL && chart->kind == CM_REPORT_CHART_LINE);
  g_return_if_fail (name != NULL && values != NULL);
  g_return_if_fail (chart->series->len < CM_REPORT_MAX_SERIES);
  s = g_new0 (CmReportSeries, 1);
  s->name = g_strdup (name);
  s->values = g_memdup2 (values, chart->n_points * sizeof (gint64));
  s->present = g_new (gboolean, chart->n_points);
  for (guint i = 0; i < chart->n_points; i++)
    s->present[i] = present ? present[i] : TRUE;
  g_ptr_array_add (chart->series, s);
}

CmReportChart *
cm_report_add_bar_chart (CmReport *report, const char *title, guint decimals,
                         const char *unit)
{
  CmReportChart *c;

  g_return_val_if_fail (report != NULL && title != NULL, NULL);
  g_return_val_if_fail (decimals <= CM_REPORT_MAX_DECIMALS, NULL);
  c = chart_new (report, CM_REPORT_CHART_BAR, title, decimals, unit);
  c->labels = g_ptr_array_new_with_free_func (g_free);
  c->values = g_array_new (FALSE, FALSE, sizeof (gint64));
  return c;
}

void
cm_report_chart_add_bar (CmReportChart *chart, const char *label, gint64 value)
{
  g_return_if_fail (chart != NULL && chart->kind == CM_REPORT_CHART_BAR);
  g_return_if_fail (label != NULL);
  g_return_if_fail (chart->labels->len < CM_REPORT_MAX_BARS);
  g_ptr_array_add (chart->labels, g_strdup (label));
  g_array_append_val (chart->values, value);
}

void
cm_report_chart_set_target (CmReportChart *chart, const char *label,
                            gint64 value)
{
  g_return_if_fail (chart != NULL && chart->kind != CM_REPORT_CHART_FUNNEL);
  g_return_if_fail (label != NULL);
  chart->has_target = TRUE;
  chart->target = value;
  g_free (chart->target_label);
  chart->target_label = g_strdup (label);
}

CmReportChart *
cm_report_add_funnel (CmReport *report, const char *title)
{
  CmReportChart *c;

  g_return_val_if_fail (report != NULL && title != NULL, NULL);
  c = chart_new (report, CM_REPORT_CHART_FUNNEL, title, 0, NULL);
  c->labels = g_ptr_array_new_with_free_func (g_free);
  c->values = g_array_new (FALSE, FALSE, sizeof (gint64));
  return c;
}

void
cm_report_chart_add_stage (CmReportChart *chart, const char *label,
                           gint64 count)
{
  g_return_if_fail (chart != NULL && chart->kind == CM_REPORT_CHART_FUNNEL);
  g_return_if_fail (label != NULL && count >= 0);
  g_return_if_fail (chart->labels->len < CM_REPORT_MAX_BARS);
  g_ptr_array_add (chart->labels, g_strdup (label));
  g_array_append_val (chart->values, count);
}

void
cm_report_chart_set_note (CmReportChart *chart, const char *note)
{
  g_return_if_fail (chart != NULL);
  g_free (chart->note);
  chart->note = g_strdup (note);
}

CmReportTiles *
cm_report_add_tiles (CmReport *report, const char *title)
{
  CmReportTiles *t;

  g_return_val_if_fail (report != NULL && title != NULL, NULL);
  t = g_new0 (CmReportTiles, 1);
  t->title = g_strdup (title);
  t->tiles = g_array_new (FALSE, TRUE, sizeof (CmReportTile));
  g_array_set_clear_func (t->tiles, tile_clear);
  add_block (report, CM_REPORT_BLOCK_TILES)->tiles = t;
  return t;
}

void
cm_report_tiles_add (CmReportTiles *tiles, const char *label,
                     const char *value, const char *target,
                     const char *detail, CmReportStatus status)
{
  CmReportTile t = { 0 };

  g_return_if_fail (tiles != NULL && label != NULL && value != NULL);
  t.label = g_strdup (label);
  t.value = g_strdup (value);
  t.target = g_strdup (target);
  t.detail = g_strdup (detail);
  t.status = status;
  g_array_append_val (tiles->tiles, t);
}

/* ---------------------------------------------------------------------- */
/* Numbers                                                                 */

void
cm_report_format_scaled (gint64 value, guint decimals, gboolean group,
                         char *buf)
{
  char digits[32];
  guint64 mag = value < 0 ? (guint64) 0 - (guint64) value : (guint64) value;
  guint n = 0, int_len, o = 0;

  g_return_if_fail (buf != NULL && decimals <= 18);
  do
    {
      digits[n++] = (char) ('0' + mag % 10);
      mag /= 10;
    }
  while (mag > 0);
  while (n <= decimals)
    digits[n++] = '0';
  if (value < 0)
    buf[o++] = '-';
  int_len = n - decimals;
  for (guint i = 0; i < int_len; i++)
    {
      if (group && i > 0 && (int_len - i) % 3 == 0)
        buf[o++] = ',';
      buf[o++] = digits[n - 1 - i];
    }
  if (decimals > 0)
    {
      buf[o++] = '.';
      for (guint i = int_len; i < n; i++)
        buf[o++] = digits[n - 1 - i];
    }
  buf[o] = '\0';
}

/* A tick label: the value without trailing fractional zeros. */
static void
format_tick (gint64 value, guint decimals, char *buf)
{
  gsize len;

  cm_report_format_scaled (value, decimals, TRUE, buf);
  if (decimals == 0)
    return;
  len = strlen (buf);
  while (len > 0 && buf[len - 1] == '0')
    buf[--len] = '\0';
  if (len > 0 && buf[len - 1] == '.')
    buf[--len] = '\0';
}

static gint64
floor_div (gint64 a, gint64 b)
{
  gint64 q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

static gint64
ceil_div (gint64 a, gint64 b)
{
  return -floor_div (-a, b);
}

/* Axis from about [lo, hi] to nice ends and a step of 1, 2 or 5 × 10^k
 * giving at most about six intervals. */
static void
nice_axis (gint64 lo, gint64 hi, gint64 *alo, gint64 *ahi, gint64 *step)
{
  gint64 span, raw, p = 1;

  if (hi < lo)
    {
      gint64 t = hi;
      hi = lo;
      lo = t;
    }
  if (hi == lo)
    {
      gint64 pad = (hi < 0 ? -hi : hi) / 10;
      if (pad < 1)
        pad = 1;
      hi += pad;
      lo = lo >= 0 && lo - pad < 0 ? 0 : lo - pad;
    }
  span = hi - lo;
  raw = span / 5 + (span % 5 != 0);
  while (p <= G_MAXINT64 / 10 && p * 10 <= raw)
    p *= 10;
  *step = p;
  if (*step < raw)
    *step = 2 * p;
  if (*step < raw)
    *step = 5 * p;
  if (*step < raw)
    *step = 10 * p;
  *alo = floor_div (lo, *step) * *step;
  *ahi = ceil_div (hi, *step) * *step;
  if (*ahi == *alo)
    *ahi = *alo + *step;
}

/* Position of @v on an axis [lo, hi] drawn over @len_tenths, in tenths. */
static gint64
axis_pos (gint64 v, gint64 lo, gint64 hi, gint64 len_tenths)
{
  __int128 num = (__int128) (v - lo) * len_tenths;
  return (gint64) (num / (hi - lo));
}

/* ---------------------------------------------------------------------- */
/* Tree helpers                                                            */

static xmlNodePtr
el (xmlNodePtr parent, const char *name, const char *cls, const char *text)
{
  xmlNodePtr n;

  if (text != NULL)
    n = xmlNewTextChild (parent, NULL, BAD_CAST name, BAD_CAST text);
  else
    n = xmlNewChild (parent, NULL, BAD_CAST name, NULL);
  if (cls != NULL)
    xmlNewProp (n, BAD_CAST "class", BAD_CAST cls);
  return n;
}

static void
attr (xmlNodePtr n, const char *name, const char *value)
{
  xmlNewProp (n, BAD_CAST name, BAD_CAST value);
}

/* Sets @name to @tenths / 10 ("12.3", "-4", "0.5"). */
static void
attr_px (xmlNodePtr n, const char *name, gint64 tenths)
{
  char buf[CM_REPORT_NUMBER_BUF];

  cm_report_format_scaled (tenths, 1, FALSE, buf);
  if (g_str_has_suffix (buf, ".0"))
    buf[strlen (buf) - 2] = '\0';
  attr (n, name, buf);
}

static xmlNodePtr
svg_text (xmlNodePtr svg, gint64 x, gint64 y, const char *anchor,
          const char *cls, const char *text)
{
  xmlNodePtr t = el (svg, "text", cls, text);
  attr_px (t, "x", x);
  attr_px (t, "y", y);
  if (anchor != NULL)
    attr (t, "text-anchor", anchor);
  return t;
}

static xmlNodePtr
svg_line (xmlNodePtr svg, gint64 x1, gint64 y1, gint64 x2, gint64 y2,
          const char *cls)
{
  xmlNodePtr l = el (svg, "line", cls, NULL);
  attr_px (l, "x1", x1);
  attr_px (l, "y1", y1);
  attr_px (l, "x2", x2);
  attr_px (l, "y2", y2);
  return l;
}

static xmlNodePtr
svg_rect (xmlNodePtr svg, gint64 x, gint64 y, gint64 w, gint64 h,
          const char *fill)
{
  xmlNodePtr r = el (svg, "rect", NULL, NULL);
  attr_px (r, "x", x);
  attr_px (r, "y", y);
  attr_px (r, "width", w < 0 ? 0 : w);
  attr_px (r, "height", h < 0 ? 0 : h);
  if (fill != NULL)
    attr (r, "fill", fill);
  return r;
}

/* A new <svg> of @w × @h pixels (scales down with the page). */
static xmlNodePtr
svg_new (xmlNodePtr figure, guint w, guint h, const char *label)
{
  xmlNodePtr svg = xmlNewChild (figure, NULL, BAD_CAST "svg", NULL);
  xmlNsPtr ns = xmlNewNs (svg, BAD_CAST SVG_NS, NULL);
  char vb[64];

  xmlSetNs (svg, ns);
  g_snprintf (vb, sizeof vb, "0 0 %u %u", w, h);
  attr (svg, "viewBox", vb);
  g_snprintf (vb, sizeof vb, "%u", w);
  attr (svg, "width", vb);
  attr (svg, "role", "img");
  attr (svg, "aria-label", label);
  attr (svg, "preserveAspectRatio", "xMinYMin meet");
  return svg;
}

static void
chart_caption (xmlNodePtr figure, const CmReportChart *c)
{
  g_autofree char *cap = c->unit ? g_strdup_printf ("%s (%s)", c->title, c->unit)
                                 : g_strdup (c->title);
  el (figure, "figcaption", NULL, cap);
}

/* ---------------------------------------------------------------------- */
/* Line chart                                                              */

#define LC_W 960
#define LC_H 380
#define LC_LEFT 90
#define LC_RIGHT 30
#define LC_TOP 46
#define LC_BOTTOM 64

static void
render_line_chart (xmlNodePtr parent, const CmReportChart *c)
{
  xmlNodePtr fig = el (parent, "figure", "chart line", NULL);
  xmlNodePtr svg, legend;
  gint64 lo = G_MAXINT64, hi = G_MININT64, alo, ahi, step;
  gint64 pw = (LC_W - LC_LEFT - LC_RIGHT) * 10, ph = (LC_H - LC_TOP - LC_BOTTOM) * 10;
  gboolean any = FALSE;
  guint label_every;

  chart_caption (fig, c);
  svg = svg_new (fig, LC_W, LC_H, c->title);
  for (guint s = 0; s < c->series->len; s++)
    {
      const CmReportSeries *se = c->series->pdata[s];
      for (guint i = 0; i < c->n_points; i++)
        if (se->present[i])
          {
            lo = MIN (lo, se->values[i]);
            hi = MAX (hi, se->values[i]);
            any = TRUE;
          }
    }
  if (c->has_target)
    {
      lo = MIN (lo, c->target);
      hi = MAX (hi, c->target);
      any = TRUE;
    }
  if (!any)
    {
      svg_text (svg, LC_W * 5, LC_H * 5, "middle", "empty", "no data");
      return;
    }
  nice_axis (lo, hi, &alo, &ahi, &step);

  /* grid and y ticks */
  for (gint64 v = alo; v <= ahi; v += step)
    {
      gint64 y = LC_TOP * 10 + ph - axis_pos (v, alo, ahi, ph);
      char lab[CM_REPORT_NUMBER_BUF];
      format_tick (v, c->decimals, lab);
      svg_line (svg, LC_LEFT * 10, y, LC_LEFT * 10 + pw, y, "grid");
      svg_text (svg, (LC_LEFT - 8) * 10, y + 40, "end", "tick", lab);
    }
  svg_line (svg, LC_LEFT * 10, LC_TOP * 10 + ph, LC_LEFT * 10 + pw,
            LC_TOP * 10 + ph, "axis");

  /* x labels: at most about 14 shown */
  label_every = (c->n_points + 13) / 14;
  if (label_every < 1)
    label_every = 1;
  for (guint i = 0; i < c->n_points; i++)
    {
      gint64 x = c->n_points == 1 ? LC_LEFT * 10 + pw / 2
                                  : LC_LEFT * 10 + pw * (gint64) i / (c->n_points - 1);
      if (i % label_every == 0 || i + 1 == c->n_points)
        svg_text (svg, x, (LC_H - LC_BOTTOM + 20) * 10, "middle", "tick",
                  c->x_labels[i]);
    }

  /* target */
  if (c->has_target)
    {
      gint64 y = LC_TOP * 10 + ph - axis_pos (c->target, alo, ahi, ph);
      char val[CM_REPORT_NUMBER_BUF];
      g_autofree char *lab = NULL;
      xmlNodePtr l = svg_line (svg, LC_LEFT * 10, y, LC_LEFT * 10 + pw, y, "target");
      cm_report_format_scaled (c->target, c->decimals, TRUE, val);
      lab = g_strdup_printf ("%s: %s", c->target_label, val);
      el (l, "title", NULL, lab);
      svg_text (svg, LC_LEFT * 10 + pw, y - 50, "end", "target-label", lab);
    }

  /* series */
  for (guint s = 0; s < c->series->len; s++)
    {
      const CmReportSeries *se = c->series->pdata[s];
      g_autoptr (GString) pts = g_string_new (NULL);
      xmlNodePtr g = el (svg, "g", "series", NULL);

      attr (g, "stroke", palette[s]);
      attr (g, "fill", palette[s]);
      for (guint i = 0; i <= c->n_points; i++)
        {
          if (i < c->n_points && se->present[i])
            {
              gint64 x = c->n_points == 1 ? LC_LEFT * 10 + pw / 2
                                          : LC_LEFT * 10 + pw * (gint64) i / (c->n_points - 1);
              gint64 y = LC_TOP * 10 + ph - axis_pos (se->values[i], alo, ahi, ph);
              char xb[CM_REPORT_NUMBER_BUF], yb[CM_REPORT_NUMBER_BUF];
              char vb[CM_REPORT_NUMBER_BUF];
              g_autofree char *tip = NULL;
              xmlNodePtr dot = el (g, "circle", NULL, NULL);

              attr_px (dot, "cx", x);
              attr_px (dot, "cy", y);
              attr (dot, "r", "3.5");
              cm_report_format_scaled (se->values[i], c->decimals, TRUE, vb);
              tip = g_strdup_printf ("%s, %s: %s", se->name, c->x_labels[i], vb);
              el (dot, "title", NULL, tip);
              cm_report_format_scaled (x, 1, FALSE, xb);
              cm_report_format_scaled (y, 1, FALSE, yb);
              g_string_append_printf (pts, "%s%s,%s", pts->len ? " " : "", xb, yb);
              continue;
            }
          /* a gap or the end: draw what we have */
          if (pts->len > 0)
            {
              xmlNodePtr pl = el (g, "polyline", NULL, NULL);
              attr (pl, "points", pts->str);
              attr (pl, "fill", "none");
              attr (pl, "stroke-width", "2.5");
              g_string_truncate (pts, 0);
            }
        }
    }

  /* legend */
  legend = el (svg, "g", "legend", NULL);
  for (guint s = 0; s < c->series->len; s++)
    {
      const CmReportSeries *se = c->series->pdata[s];
      gint64 x = LC_LEFT * 10 + (gint64) s * 2200;
      svg_rect (legend, x, 140, 240, 80, palette[s]);
      svg_text (legend, x + 320, 220, NULL, "legend", se->name);
    }
  if (c->note)
    el (fig, "p", "note", c->note);
}

/* ---------------------------------------------------------------------- */
/* Bar chart                                                               */

#define BC_W 960
#define BC_LEFT 190
#define BC_RIGHT 90
#define BC_TOP 30
#define BC_ROW 22
#define BC_BOTTOM 34

static void
render_bar_chart (xmlNodePtr parent, const CmReportChart *c)
{
  xmlNodePtr fig = el (parent, "figure", "chart bar", NULL);
  guint n = c->labels->len;
  guint h = BC_TOP + BC_BOTTOM + BC_ROW * (n ? n : 1);
  xmlNodePtr svg;
  gint64 lo = 0, hi = 0, alo, ahi, step, pw = (BC_W - BC_LEFT - BC_RIGHT) * 10;
  gint64 zero_x;

  chart_caption (fig, c);
  svg = svg_new (fig, BC_W, h, c->title);
  if (n == 0)
    {
      svg_text (svg, BC_W * 5, 300, "middle", "empty", "no data");
      return;
    }
  for (guint i = 0; i < n; i++)
    {
      gint64 v = g_array_index (c->values, gint64, i);
      lo = MIN (lo, v);
      hi = MAX (hi, v);
    }
  if (c->has_target)
    {
      lo = MIN (lo, c->target);
      hi = MAX (hi, c->target);
    }
  nice_axis (lo, hi, &alo, &ahi, &step);
  for (gint64 v = alo; v <= ahi; v += step)
    {
      gint64 x = BC_LEFT * 10 + axis_pos (v, alo, ahi, pw);
      char lab[CM_REPORT_NUMBER_BUF];
      format_tick (v, c->decimals, lab);
      svg_line (svg, x, BC_TOP * 10 - 40, x, (gint64) (h - BC_BOTTOM) * 10, "grid");
      svg_text (svg, x, (gint64) (h - BC_BOTTOM + 18) * 10, "middle", "tick", lab);
    }
  zero_x = BC_LEFT * 10 + axis_pos (0, alo, ahi, pw);
  for (guint i = 0; i < n; i++)
    {
      gint64 v = g_array_index (c->values, gint64, i);
      gint64 x = BC_LEFT * 10 + axis_pos (v, alo, ahi, pw);
      gint64 y = (BC_TOP + (gint64) i * BC_ROW) * 10;
      char vb[CM_REPORT_NUMBER_BUF];
      g_autofree char *tip = NULL;
      xmlNodePtr r;

      cm_report_format_scaled (v, c->decimals, TRUE, vb);
      svg_text (svg, (BC_LEFT - 8) * 10, y + 150, "end", "label",
                g_ptr_array_index (c->labels, i));
      r = svg_rect (svg, MIN (x, zero_x), y + 30, x > zero_x ? x - zero_x : zero_x - x,
                    (BC_ROW - 6) * 10, palette[0]);
      tip = g_strdup_printf ("%s: %s", (const char *) g_ptr_array_index (c->labels, i), vb);
      el (r, "title", NULL, tip);
      svg_text (svg, MAX (x, zero_x) + 60, y + 150, NULL, "value", vb);
    }
  svg_line (svg, zero_x, BC_TOP * 10 - 40, zero_x, (gint64) (h - BC_BOTTOM) * 10, "axis");
  if (c->has_target)
    {
      gint64 x = BC_LEFT * 10 + axis_pos (c->target, alo, ahi, pw);
      char val[CM_REPORT_NUMBER_BUF];
      g_autofree char *lab = NULL;
      xmlNodePtr l = svg_line (svg, x, BC_TOP * 10 - 60, x,
                               (gint64) (h - BC_BOTTOM) * 10, "target");
      cm_report_format_scaled (c->target, c->decimals, TRUE, val);
      lab = g_strdup_printf ("%s: %s", c->target_label, val);
      el (l, "title", NULL, lab);
      svg_text (svg, x + 40, BC_TOP * 10 - 90, NULL, "target-label", lab);
    }
  if (c->note)
    el (fig, "p", "note", c->note);
}

/* ---------------------------------------------------------------------- */
/* Funnel                                                                  */

#define FN_W 960
#define FN_ROW 40
#define FN_LABEL 300

static void
render_funnel (xmlNodePtr parent, const CmReportChart *c)
{
  xmlNodePtr fig = el (parent, "figure", "chart funnel", NULL);
  guint n = c->labels->len;
  guint h = 20 + FN_ROW * (n ? n : 1);
  gint64 first = n ? g_array_index (c->values, gint64, 0) : 0;
  gint64 pw = (FN_W - FN_LABEL - 20) * 10;
  gint64 cx = FN_LABEL * 10 + pw / 2;
  xmlNodePtr svg;

  chart_caption (fig, c);
  svg = svg_new (fig, FN_W, h, c->title);
  for (guint i = 0; i < n; i++)
    {
      gint64 v = g_array_index (c->values, gint64, i);
      gint64 w = first > 0 ? (gint64) ((__int128) v * pw / first) : 0;
      gint64 y = (10 + (gint64) i * FN_ROW) * 10;
      char cnt[CM_REPORT_NUMBER_BUF], pct[CM_REPORT_NUMBER_BUF];
      g_autofree char *lab = NULL;
      xmlNodePtr r;

      if (w > pw)
        w = pw;
      cm_report_format_scaled (v, 0, TRUE, cnt);
      /* share of the first stage, half-up to 0.1 % */
      if (first > 0)
        cm_report_format_scaled ((gint64) (((__int128) v * 2000 + first) / (2 * first)),
                                 1, FALSE, pct);
      else
        g_strlcpy (pct, "0.0", sizeof pct);
      lab = g_strdup_printf ("%s  %s (%s %%)",
                             (const char *) g_ptr_array_index (c->labels, i), cnt, pct);
      r = svg_rect (svg, cx - w / 2, y, w, (FN_ROW - 8) * 10, palette[i % 2 ? 4 : 0]);
      el (r, "title", NULL, lab);
      svg_text (svg, (FN_LABEL - 10) * 10, y + 210, "end", "label",
                g_ptr_array_index (c->labels, i));
      g_free (lab);
      lab = g_strdup_printf ("%s (%s %%)", cnt, pct);
      svg_text (svg, cx, y + 210, "middle", "funnel-value", lab);
    }
  if (c->note)
    el (fig, "p", "note", c->note);
}

/* ---------------------------------------------------------------------- */
/* Page                                                                    */

/* No '<', '>' or '&' in here: the serializer would escape them and an
 * HTML parser reads <style> as raw text. */
static const char page_css[] =
  "body{font-family:\"Noto Sans CJK SC\",\"Noto Sans SC\",\"Source Han Sans SC\","
  "\"Microsoft YaHei\",\"PingFang SC\",sans-serif;margin:0;background:#f3f4f6;"
  "color:#1f2933;font-size:14px;line-height:1.45}"
  "main{max-width:1100px;margin:0 auto;padding:20px 24px 40px}"
  "h1{font-size:24px;margin:8px 0 4px}"
  "h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid #d1d5db;padding-bottom:4px}"
  "p.sub{color:#52606d;margin:2px 0}"
  "nav ol{margin:6px 0;padding-left:22px;columns:2}"
  "dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;"
  "background:#fff;padding:10px 16px;border-radius:8px;margin:12px 0}"
  "dl.meta dt{font-weight:600;color:#52606d}dl.meta dd{margin:0;word-break:break-all}"
  "figure,div.tablebox,div.tiles-box{background:#fff;border-radius:8px;padding:12px 16px;"
  "margin:14px 0;box-shadow:0 1px 2px rgba(0,0,0,0.08)}"
  "figure svg{width:100%;height:auto;display:block}"
  "figcaption,.caption,.tiles-title{font-weight:600;margin-bottom:6px}"
  "p.note{color:#52606d;font-size:12px;margin:6px 0 0}"
  "svg text{font-size:12px;fill:#334e68}"
  "svg text.legend{font-size:13px}svg text.funnel-value{fill:#fff;font-weight:600}"
  "svg line.grid{stroke:#e4e7eb;stroke-width:1}"
  "svg line.axis{stroke:#9aa5b1;stroke-width:1.2}"
  "svg line.target{stroke:#c81e1e;stroke-width:2;stroke-dasharray:8 5}"
  "svg text.target-label{fill:#c81e1e;font-weight:600}"
  "svg text.target-label,svg text.value{paint-order:stroke;stroke:#fff;"
  "stroke-width:4px;stroke-linejoin:round}"
  "div.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:12px}"
  "div.tile{border-radius:8px;padding:10px 14px;color:#fff}"
  "div.tile.met{background:#15803d}div.tile.missed{background:#c81e1e}"
  "div.tile.na{background:#6b7280}"
  "div.tile .k{font-size:13px;font-weight:600}"
  "div.tile .v{font-size:26px;font-weight:700;margin:2px 0}"
  "div.tile .t,div.tile .d{font-size:12px;opacity:0.95}"
  "div.tablebox{overflow-x:auto}"
  "table{border-collapse:collapse;width:100%;font-size:12.5px}"
  "th,td{padding:3px 8px;border-bottom:1px solid #e4e7eb;white-space:nowrap}"
  "th{background:#eef1f4;text-align:left;position:sticky;top:0}"
  "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
  "tbody tr:nth-child(even){background:#fafbfc}"
  "footer{color:#7b8794;font-size:12px;margin-top:24px}";

static void
render_table (xmlNodePtr parent, const CmReportTable *t, guint index)
{
  xmlNodePtr box = el (parent, "div", "tablebox", NULL);
  xmlNodePtr table, thead, tr, tbody;
  guint shown = t->rows->len;
  char id[32];

  g_snprintf (id, sizeof id, "t%u", index);
  attr (box, "id", id);
  if (t->caption)
    el (box, "div", "caption", t->caption);
  table = el (box, "table", NULL, NULL);
  thead = el (table, "thead", NULL, NULL);
  tr = el (thead, "tr", NULL, NULL);
  for (guint i = 0; i < t->n_cols; i++)
    el (tr, "th", t->kinds[i] == 'n' ? "n" : NULL, t->headers[i]);
  tbody = el (table, "tbody", NULL, NULL);
  if (t->page_limit > 0 && shown > t->page_limit)
    shown = t->page_limit;
  for (guint r = 0; r < shown; r++)
    {
      char **row = t->rows->pdata[r];
      tr = el (tbody, "tr", NULL, NULL);
      for (guint i = 0; i < t->n_cols; i++)
        el (tr, "td", t->kinds[i] == 'n' ? "n" : NULL, row[i]);
    }
  if (shown < t->rows->len)
    {
      g_autofree char *msg = g_strdup_printf (
          "First %u of %u rows; the workbook sheet %s holds all of them.",
          shown, t->rows->len, t->sheet);
      el (box, "p", "note", msg);
    }
}

static void
render_tiles (xmlNodePtr parent, const CmReportTiles *t)
{
  xmlNodePtr box = el (parent, "div", "tiles-box", NULL);
  xmlNodePtr grid;
  static const char *const cls[] = { "tile na", "tile met", "tile missed" };
  static const char *const word[] = { "not computable", "met", "missed" };

  el (box, "div", "tiles-title", t->title);
  grid = el (box, "div", "tiles", NULL);
  for (guint i = 0; i < t->tiles->len; i++)
    {
      const CmReportTile *tile = &g_array_index (t->tiles, CmReportTile, i);
      xmlNodePtr d = el (grid, "div", cls[tile->status], NULL);
      g_autofree char *tt = NULL;

      el (d, "div", "k", tile->label);
      el (d, "div", "v", tile->value);
      tt = tile->target ? g_strdup_printf ("target %s · %s", tile->target, word[tile->status])
                        : g_strdup (word[tile->status]);
      el (d, "div", "t", tt);
      if (tile->detail)
        el (d, "div", "d", tile->detail);
    }
}

static xmlDocPtr
build_page (const CmReport *r)
{
  xmlDocPtr doc = xmlNewDoc (BAD_CAST "1.0");
  xmlNodePtr html = xmlNewNode (NULL, BAD_CAST "html");
  xmlNsPtr ns = xmlNewNs (html, BAD_CAST XHTML_NS, NULL);
  xmlNodePtr head, body, main_el, meta, nav = NULL, ol = NULL;
  guint n_headings = 0, n_tables = 0;

  xmlCreateIntSubset (doc, BAD_CAST "html", NULL, NULL);
  xmlSetNs (html, ns);
  xmlDocSetRootElement (doc, html);
  attr (html, "lang", "zh-CN");
  head = el (html, "head", NULL, NULL);
  meta = el (head, "meta", NULL, NULL);
  attr (meta, "charset", "utf-8");
  meta = el (head, "meta", NULL, NULL);
  attr (meta, "name", "viewport");
  attr (meta, "content", "width=device-width, initial-scale=1");
  meta = el (head, "meta", NULL, NULL);
  attr (meta, "name", "generator");
  attr (meta, "content", "casemix " CM_VERSION);
  el (head, "title", NULL, r->title);
  el (head, "style", NULL, page_css);

  body = el (html, "body", NULL, NULL);
  main_el = el (body, "main", NULL, NULL);
  el (main_el, "h1", NULL, r->title);
  for (guint i = 0; i < r->subtitles->len; i++)
    el (main_el, "p", "sub", r->subtitles->pdata[i]);
  if (r->meta->len > 0)
    {
      xmlNodePtr dl = el (main_el, "dl", "meta", NULL);
      for (guint i = 0; i + 1 < r->meta->len; i += 2)
        {
          el (dl, "dt", NULL, r->meta->pdata[i]);
          el (dl, "dd", NULL, r->meta->pdata[i + 1]);
        }
    }
  for (guint i = 0; i < r->blocks->len; i++)
    if (g_array_index (r->blocks, CmReportBlock, i).kind == CM_REPORT_BLOCK_HEADING)
      n_headings++;
  if (n_headings > 2)
    {
      nav = el (main_el, "nav", NULL, NULL);
      ol = el (nav, "ol", NULL, NULL);
    }

  n_headings = 0;
  for (guint i = 0; i < r->blocks->len; i++)
    {
      const CmReportBlock *b = &g_array_index (r->blocks, CmReportBlock, i);
      switch (b->kind)
        {
        case CM_REPORT_BLOCK_HEADING:
          {
            char id[32];
            xmlNodePtr h = el (main_el, "h2", NULL, b->text);
            g_snprintf (id, sizeof id, "s%u", ++n_headings);
            attr (h, "id", id);
            if (ol != NULL)
              {
                xmlNodePtr a = el (el (ol, "li", NULL, NULL), "a", NULL, b->text);
                g_autofree char *href = g_strdup_printf ("#%s", id);
                attr (a, "href", href);
              }
          }
          break;
        case CM_REPORT_BLOCK_PARAGRAPH:
          el (main_el, "p", NULL, b->text);
          break;
        case CM_REPORT_BLOCK_TABLE:
          n_tables++;
          if (!b->table->workbook_only)
            render_table (main_el, b->table, n_tables);
          break;
        case CM_REPORT_BLOCK_CHART:
          if (b->chart->kind == CM_REPORT_CHART_LINE)
            render_line_chart (main_el, b->chart);
          else if (b->chart->kind == CM_REPORT_CHART_BAR)
            render_bar_chart (main_el, b->chart);
          else
            render_funnel (main_el, b->chart);
          break;
        case CM_REPORT_BLOCK_TILES:
          render_tiles (main_el, b->tiles);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  el (main_el, "footer", NULL, "casemix " CM_VERSION
      " — figures are computed exactly and rounded only for display.");
  return doc;
}

char *
cm_report_to_html (const CmReport *report, gsize *len)
{
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (xmlBuffer) buf = NULL;
  xmlSaveCtxtPtr save;
  char *out;

  g_return_val_if_fail (report != NULL, NULL);
  doc = build_page (report);
  buf = xmlBufferCreate ();
  save = xmlSaveToBuffer (buf, "UTF-8",
                          XML_SAVE_FORMAT | XML_SAVE_NO_DECL | XML_SAVE_XHTML);
  xmlSaveDoc (save, doc);
  xmlSaveClose (save);
  out = g_strndup ((const char *) xmlBufferContent (buf),
                   (gsize) xmlBufferLength (buf));
  if (len)
    *len = strlen (out);
  return out;
}

gboolean
cm_report_write_html (const CmReport *report, const char *path, GError **error)
{
  g_autofree char *page = NULL;
  g_autoptr (GError) local = NULL;
  gsize len;

  g_return_val_if_fail (report != NULL && path != NULL, FALSE);
  page = cm_report_to_html (report, &len);
  if (g_file_test (path, G_FILE_TEST_EXISTS)
      && !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      /* a device or a pipe (/dev/stdout, /dev/null): write through it;
       * g_file_set_contents would rename a new file over it */
      FILE *f = fopen (path, "w");
      gboolean ok = f != NULL && fwrite (page, 1, len, f) == len;
      if (f != NULL && fclose (f) != 0)
        ok = FALSE;
      if (!ok)
        g_set_error (error, CM_REPORT_ERROR, CM_REPORT_ERROR_IO, "%s: %s", path,
                     g_strerror (errno));
      return ok;
    }
  if (!g_file_set_contents (path, page, (gssize) len, &local))
    {
      g_set_error (error, CM_REPORT_ERROR, CM_REPORT_ERROR_IO, "%s",
                   local->message);
      return FALSE;
    }
  return TRUE;
}
