/* cm-tsv.c — reading scheme TSV tables.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include "cm-tsv-private.h"
#include "cm-scheme.h"

gboolean
cm_tsv_exists (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

static gboolean
read_line (CmTsv *tsv, const char **line, gsize *len)
{
  const char *start, *nl;

  if (tsv->pos >= tsv->len)
    return FALSE;
  start = tsv->data + tsv->pos;
  nl = memchr (start, '\n', tsv->len - tsv->pos);
  if (nl == NULL)
    {
      *len = tsv->len - tsv->pos;
      tsv->pos = tsv->len;
    }
  else
    {
      *len = (gsize) (nl - start);
      tsv->pos += *len + 1;
    }
  *line = start;
  tsv->line_no++;
  return TRUE;
}

/* Copies the line into tsv->buf and splits it at TAB. */
static gboolean
split_line (CmTsv *tsv, const char *line, gsize len, GError **error)
{
  char *p;
  guint n = 0;

  if (len >= CM_MAX_TSV_LINE)
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                   "%s:%u:1: line longer than %d bytes", tsv->display,
                   tsv->line_no, CM_MAX_TSV_LINE);
      return FALSE;
    }
  if (len > 0 && line[len - 1] == '\r')
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                   "%s:%u:%zu: carriage return (tables use LF line ends)",
                   tsv->display, tsv->line_no, len);
      return FALSE;
    }
  /* The mapping stays read-only: on these machines the first write to a
   * page costs a copy-on-write fault, while read faults on a file mapping
   * are served 16 pages at a time. One small buffer is reused instead. */
  if (len + 1 > tsv->buf_size)
    {
      tsv->buf_size = MAX (MAX (len + 1, tsv->buf_size * 2), (gsize) 4096);
      tsv->buf = g_realloc (tsv->buf, tsv->buf_size);
    }
  memcpy (tsv->buf, line, len);
  p = tsv->buf;
  p[len] = '\0';
  tsv->cells[n] = p;
  tsv->cell_col[n] = 1;
  n++;
  for (char *t = memchr (p, '\t', len); t != NULL;
       t = memchr (t + 1, '\t', len - (gsize) (t + 1 - p)))
    {
      if (n >= CM_TSV_MAX_COLS)
        {
          g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                       "%s:%u:%zu: more than %d columns", tsv->display,
                       tsv->line_no, (gsize) (t - p) + 1, CM_TSV_MAX_COLS);
          return FALSE;
        }
      *t = '\0';
      tsv->cells[n] = t + 1;
      tsv->cell_col[n] = (gsize) (t - p) + 2;
      n++;
    }
  tsv->n_cells = n;
  return TRUE;
}

gboolean
cm_tsv_open (CmTsv *tsv, const char *dir, const char *name,
             const char *const *required, guint n_required, GError **error)
{
  g_autoptr (GError) local = NULL;
  const char *line;
  gsize len;

  memset (tsv, 0, sizeof *tsv);
  tsv->path = g_build_filename (dir, name, NULL);
  {
    g_autofree char *base = g_path_get_basename (dir);
    tsv->display = g_build_filename (base, name, NULL);
  }
  tsv->map = g_mapped_file_new (tsv->path, FALSE, &local);
  if (tsv->map == NULL)
    {
      int code = g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                   ? CM_SCHEME_ERROR_NOT_FOUND : CM_SCHEME_ERROR_TABLE;
      g_set_error (error, CM_SCHEME_ERROR, code, "%s: %s", tsv->display,
                   code == CM_SCHEME_ERROR_NOT_FOUND ? "file missing"
                                                     : local->message);
      return FALSE;
    }
  tsv->data = g_mapped_file_get_contents (tsv->map);
  tsv->len = g_mapped_file_get_length (tsv->map);
  if (tsv->len >= 3 && memcmp (tsv->data, "\xEF\xBB\xBF", 3) == 0)
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                   "%s:1:1: byte-order mark (tables are UTF-8 without BOM)",
                   tsv->display);
      return FALSE;
    }
  if (!read_line (tsv, &line, &len))
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                   "%s:1:1: empty file (a header row is required)",
                   tsv->display);
      return FALSE;
    }
  if (!split_line (tsv, line, len, error))
    return FALSE;
  tsv->n_cols = tsv->n_cells;
  for (guint i = 0; i < tsv->n_cols; i++)
    tsv->header[i] = g_strdup (tsv->cells[i]);
  for (guint i = 0; i < n_required; i++)
    {
      if (i >= tsv->n_cols || strcmp (tsv->header[i], required[i]) != 0)
        {
          g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                       "%s:1:%zu: header column %u is '%s', expected '%s'",
                       tsv->display,
                       i < tsv->n_cols ? tsv->cell_col[i] : len + 1, i + 1,
                       i < tsv->n_cols ? tsv->header[i] : "", required[i]);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
cm_tsv_next (CmTsv *tsv, GError **error)
{
  const char *line;
  gsize len;

  for (;;)
    {
      if (!read_line (tsv, &line, &len))
        return FALSE;
      if (len == 0 && tsv->pos >= tsv->len)
        return FALSE;  /* trailing newline at end of file */
      if (!split_line (tsv, line, len, error))
        return FALSE;
      if (tsv->n_cells != tsv->n_cols)
        {
          g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                       "%s:%u:%zu: %u columns, the header has %u",
                       tsv->display, tsv->line_no,
                       tsv->cell_col[MIN (tsv->n_cells, tsv->n_cols) - 1],
                       tsv->n_cells, tsv->n_cols);
          return FALSE;
        }
      return TRUE;
    }
}

void
cm_tsv_close (CmTsv *tsv)
{
  g_clear_pointer (&tsv->map, g_mapped_file_unref);
  g_clear_pointer (&tsv->path, g_free);
  g_clear_pointer (&tsv->display, g_free);
  g_clear_pointer (&tsv->buf, g_free);
  for (guint i = 0; i < CM_TSV_MAX_COLS; i++)
    g_clear_pointer (&tsv->header[i], g_free);
}

void
cm_tsv_error (CmTsv *tsv, guint col, GError **error, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
               "%s:%u:%zu: column %s: %s", tsv->display, tsv->line_no,
               col < tsv->n_cells ? tsv->cell_col[col] : 1,
               col < tsv->n_cols ? tsv->header[col] : "?", msg);
}

gboolean
cm_tsv_get_int (CmTsv *tsv, guint col, gint64 min, gint64 max, gint64 *out,
                GError **error)
{
  const char *s = tsv->cells[col];
  const char *p = s;
  gboolean neg = FALSE;
  gint64 v = 0;

  if (*p == '-')
    {
      neg = TRUE;
      p++;
    }
  if (*p == '\0')
    {
      cm_tsv_error (tsv, col, error, "'%s' is not an integer", s);
      return FALSE;
    }
  for (; *p; p++)
    {
      if (*p < '0' || *p > '9' || v > (G_MAXINT64 - 9) / 10)
        {
          cm_tsv_error (tsv, col, error, "'%s' is not an integer", s);
          return FALSE;
        }
      v = v * 10 + (*p - '0');
    }
  if (neg)
    v = -v;
  if (v < min || v > max)
    {
      cm_tsv_error (tsv, col, error, "%" G_GINT64_FORMAT
                    " is outside %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT,
                    v, min, max);
      return FALSE;
    }
  *out = v;
  return TRUE;
}
