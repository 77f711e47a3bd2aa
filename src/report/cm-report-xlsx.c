/* cm-report-xlsx.c — a report's tables as an .xlsx workbook, through the
 * workbook writer of src/scheme-import (cm-xlsx.h).
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include "cm-report.h"
#include "cm-report-private.h"
#include "cm-xlsx.h"

/* Display width of @s in character cells: CJK and other wide characters
 * count two. */
static guint
display_width (const char *s)
{
  guint w = 0;
  for (const char *p = s; *p; p = g_utf8_next_char (p))
    w += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  return w;
}

/* The writer rejects an 'n' cell that is not a decimal number; a numeric
 * column may still hold a dash or a note, which goes in as text. */
static gboolean
is_number (const char *s)
{
  const char *p = s;
  if (*p == '-')
    p++;
  if (!g_ascii_isdigit (*p))
    return FALSE;
  while (g_ascii_isdigit (*p))
    p++;
  if (*p == '.')
    {
      p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  return *p == '\0';
}

static void
fit_widths (CmXlsxWriter *w, int sheet, const guint *widths, guint n)
{
  for (guint i = 0; i < n; i++)
    cm_xlsx_writer_set_column_width (w, sheet, i,
                                     CLAMP (widths[i] + 2, 6, 60));
}

static gboolean
write_about (CmXlsxWriter *w, const CmReport *r, GError **error)
{
  int sheet = cm_xlsx_writer_add_sheet (w, "说明", error);
  const char *cells[2];
  guint widths[2] = { 8, 8 };

  if (sheet < 0)
    return FALSE;
  cells[0] = r->title;
  cells[1] = NULL;
  if (!cm_xlsx_writer_add_row (w, sheet, "hs", cells, error))
    return FALSE;
  for (guint i = 0; i < r->subtitles->len; i++)
    {
      cells[0] = r->subtitles->pdata[i];
      if (!cm_xlsx_writer_add_row (w, sheet, "ss", cells, error))
        return FALSE;
    }
  for (guint i = 0; i + 1 < r->meta->len; i += 2)
    {
      cells[0] = r->meta->pdata[i];
      cells[1] = r->meta->pdata[i + 1];
      widths[0] = MAX (widths[0], display_width (cells[0]));
      widths[1] = MAX (widths[1], display_width (cells[1]));
      if (!cm_xlsx_writer_add_row (w, sheet, "hs", cells, error))
        return FALSE;
    }
  fit_widths (w, sheet, widths, 2);
  return TRUE;
}

static gboolean
write_table (CmXlsxWriter *w, const CmReportTable *t, GError **error)
{
  int sheet;
  g_autofree char *types = g_malloc0 (t->n_cols + 1);
  g_autofree guint *widths = g_new0 (guint, t->n_cols);

  if (t->rows->len + 1 > CM_XLSX_MAX_ROWS)
    {
      g_set_error (error, CM_REPORT_ERROR, CM_REPORT_ERROR_LIMIT,
                   "table %s has %u rows, more than a workbook sheet holds (%u)",
                   t->sheet, t->rows->len, CM_XLSX_MAX_ROWS - 1);
      return FALSE;
    }
  sheet = cm_xlsx_writer_add_sheet (w, t->sheet, error);
  if (sheet < 0)
    return FALSE;
  memset (types, 'h', t->n_cols);
  for (guint i = 0; i < t->n_cols; i++)
    widths[i] = display_width (t->headers[i]);
  if (!cm_xlsx_writer_add_row (w, sheet, types, (const char *const *) t->headers,
                               error))
    return FALSE;
  for (guint r = 0; r < t->rows->len; r++)
    {
      char **row = t->rows->pdata[r];
      for (guint i = 0; i < t->n_cols; i++)
        {
          types[i] = t->kinds[i] == 'n' && is_number (row[i]) ? 'n' : 's';
          if (r < 2000)
            widths[i] = MAX (widths[i], display_width (row[i]));
        }
      if (!cm_xlsx_writer_add_row (w, sheet, types, (const char *const *) row, error))
        return FALSE;
    }
  fit_widths (w, sheet, widths, t->n_cols);
  cm_xlsx_writer_freeze_first_row (w, sheet);
  return TRUE;
}

gboolean
cm_report_write_xlsx (const CmReport *report, const char *path, GError **error)
{
  g_autoptr (CmXlsxWriter) w = NULL;

  g_return_val_if_fail (report != NULL && path != NULL, FALSE);
  w = cm_xlsx_writer_new ();
  if (!write_about (w, report, error))
    return FALSE;
  for (guint i = 0; i < report->blocks->len; i++)
    {
      const CmReportBlock *b = &g_array_index (report->blocks, CmReportBlock, i);
      if (b->kind == CM_REPORT_BLOCK_TABLE && !write_table (w, b->table, error))
        return FALSE;
    }
  return cm_xlsx_writer_save (w, path, error);
}
