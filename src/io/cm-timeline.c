/* cm-timeline.c — discharge-date ranges mapped to schemes.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "cm-timeline.h"
#include "cm-tables.h"

/* GDate's Julian day 1 is 0001-01-01; 1970-01-01 is day 719163. */
#define EPOCH_JULIAN 719163

typedef struct {
  gint32 from, to;       /* inclusive; to = G_MAXINT32 when open */
  guint scheme;          /* index into schemes */
  CmTimelineRole role;
} Range;

struct _CmTimeline {
  gatomicrefcount ref;
  GPtrArray *schemes;    /* CmScheme */
  GArray *ranges;        /* Range, sorted by from */
  gboolean has_shadow;
};

struct _CmTimelineContext {
  CmTimeline *tl;
  CmGroupContext **ctx;  /* per scheme */
};

gboolean
cm_date_parse (const char *s, gint32 *days)
{
  guint y, m, d;

  if (s == NULL || strlen (s) != 10 || s[4] != '-' || s[7] != '-')
    return FALSE;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (s[i]))
      return FALSE;
  y = (guint) atoi (s);
  m = (guint) atoi (s + 5);
  d = (guint) atoi (s + 8);
  if (y < 1 || !g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    return FALSE;
  {
    GDate date;
    g_date_clear (&date, 1);
    g_date_set_dmy (&date, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
    *days = (gint32) g_date_get_julian (&date) - EPOCH_JULIAN;
  }
  return TRUE;
}

void
cm_date_format (gint32 days, char buf[11])
{
  GDate date;

  g_date_clear (&date, 1);
  g_date_set_julian (&date, (guint32) (days + EPOCH_JULIAN));
  g_snprintf (buf, 11, "%04u-%02u-%02u", g_date_get_year (&date),
              g_date_get_month (&date), g_date_get_day (&date));
}

static CmTimeline *
timeline_new (void)
{
  CmTimeline *tl = g_new0 (CmTimeline, 1);
  g_atomic_ref_count_init (&tl->ref);
  tl->schemes = g_ptr_array_new_with_free_func ((GDestroyNotify) cm_scheme_unref);
  tl->ranges = g_array_new (FALSE, FALSE, sizeof (Range));
  return tl;
}

CmTimeline *
cm_timeline_new_single (CmScheme *scheme)
{
  CmTimeline *tl = timeline_new ();
  Range r = { G_MININT32, G_MAXINT32, 0, CM_TIMELINE_PRIMARY };

  g_return_val_if_fail (scheme != NULL, NULL);
  g_ptr_array_add (tl->schemes, cm_scheme_ref (scheme));
  g_array_append_val (tl->ranges, r);
  return tl;
}

static int
range_cmp (const void *a, const void *b)
{
  const Range *x = a, *y = b;
  return x->from < y->from ? -1 : x->from > y->from;
}

/* Splits one line at TAB into exactly @n cells. */
static gboolean
split_row (char *line, char **cells, guint n)
{
  guint i = 0;
  cells[i++] = line;
  for (char *p = line; *p; p++)
    if (*p == '\t')
      {
        if (i == n)
          return FALSE;
        *p = '\0';
        cells[i++] = p + 1;
      }
  return i == n;
}

CmTimeline *
cm_timeline_load (const char *path, GError **error)
{
  g_autoptr (CmTimeline) tl = timeline_new ();
  g_autoptr (GHashTable) by_name = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                         g_free, NULL);
  g_autofree char *text = NULL;
  g_autofree char *base = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) local = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_NOT_FOUND, "%s: %s",
                   path, local->message);
      return NULL;
    }
  base = g_path_get_dirname (path);
  lines = g_strsplit (text, "\n", -1);
  if (lines[0] == NULL || strcmp (lines[0], "valid_from\tvalid_to\tscheme\trole") != 0)
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                   "%s:1:1: header must be valid_from, valid_to, scheme, role", path);
      return NULL;
    }
  for (guint ln = 1; lines[ln] != NULL; ln++)
    {
      char *cells[4];
      Range r = { 0 };
      gpointer idx;

      if (lines[ln][0] == '\0' && lines[ln + 1] == NULL)
        break;
      if (!split_row (lines[ln], cells, 4))
        {
          g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                       "%s:%u:1: expected 4 columns", path, ln + 1);
          return NULL;
        }
      if (!cm_date_parse (cells[0], &r.from))
        {
          g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                       "%s:%u:1: column valid_from: '%s' is not a YYYY-MM-DD date",
                       path, ln + 1, cells[0]);
          return NULL;
        }
      if (cells[1][0] == '\0')
        r.to = G_MAXINT32;
      else if (!cm_date_parse (cells[1], &r.to) || r.to < r.from)
        {
          g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                       "%s:%u:%zu: column valid_to: '%s' is not a date on or after valid_from",
                       path, ln + 1, strlen (cells[0]) + 2, cells[1]);
          return NULL;
        }
      if (strcmp (cells[3], "primary") == 0)
        r.role = CM_TIMELINE_PRIMARY;
      else if (strcmp (cells[3], "shadow") == 0)
        {
          r.role = CM_TIMELINE_SHADOW;
          tl->has_shadow = TRUE;
        }
      else
        {
          g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                       "%s:%u: column role: '%s' is neither primary nor shadow",
                       path, ln + 1, cells[3]);
          return NULL;
        }
      if (!g_hash_table_lookup_extended (by_name, cells[2], NULL, &idx))
        {
          g_autofree char *rel = g_build_filename (base, cells[2], NULL);
          g_autofree char *dir = NULL;
          CmScheme *s;
          g_autoptr (GError) e = NULL;

          dir = g_file_test (rel, G_FILE_TEST_IS_DIR) ? g_strdup (rel)
                                                      : cm_tables_find (cells[2], &e);
          s = dir ? cm_scheme_load (dir, &e) : NULL;
          if (s == NULL)
            {
              g_set_error (error, CM_SCHEME_ERROR, e->code, "%s:%u: scheme: %s",
                           path, ln + 1, e->message);
              return NULL;
            }
          idx = GUINT_TO_POINTER (tl->schemes->len);
          g_ptr_array_add (tl->schemes, s);
          g_hash_table_insert (by_name, g_strdup (cells[2]), idx);
        }
      r.scheme = GPOINTER_TO_UINT (idx);
      for (guint i = 0; i < tl->ranges->len; i++)
        {
          Range *o = &g_array_index (tl->ranges, Range, i);
          if (o->role == r.role && o->from <= r.to && r.from <= o->to)
            {
              g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                           "%s:%u: the %s range overlaps an earlier row", path,
                           ln + 1, cells[3]);
              return NULL;
            }
        }
      g_array_append_val (tl->ranges, r);
    }
  if (tl->ranges->len == 0)
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                   "%s: no scheme rows", path);
      return NULL;
    }
  qsort (tl->ranges->data, tl->ranges->len, sizeof (Range), range_cmp);
  return g_steal_pointer (&tl);
}

CmTimeline *
cm_timeline_ref (CmTimeline *tl)
{
  g_return_val_if_fail (tl != NULL, NULL);
  g_atomic_ref_count_inc (&tl->ref);
  return tl;
}

void
cm_timeline_unref (CmTimeline *tl)
{
  if (tl == NULL || !g_atomic_ref_count_dec (&tl->ref))
    return;
  g_ptr_array_unref (tl->schemes);
  g_array_unref (tl->ranges);
  g_free (tl);
}

static gint
lookup_index (const CmTimeline *tl, gint32 date, CmTimelineRole role)
{
  for (guint i = 0; i < tl->ranges->len; i++)
    {
      const Range *r = &g_array_index (tl->ranges, Range, i);
      if (r->role == role && r->from <= date && date <= r->to)
        return (gint) r->scheme;
    }
  return -1;
}

CmScheme *
cm_timeline_lookup (const CmTimeline *tl, gint32 date, CmTimelineRole role)
{
  gint i;
  g_return_val_if_fail (tl != NULL, NULL);
  i = lookup_index (tl, date, role);
  return i < 0 ? NULL : tl->schemes->pdata[i];
}

guint
cm_timeline_get_n_schemes (const CmTimeline *tl)
{
  g_return_val_if_fail (tl != NULL, 0);
  return tl->schemes->len;
}

CmScheme *
cm_timeline_get_scheme (const CmTimeline *tl, guint i)
{
  g_return_val_if_fail (tl != NULL && i < tl->schemes->len, NULL);
  return tl->schemes->pdata[i];
}

gboolean
cm_timeline_has_shadow (const CmTimeline *tl)
{
  g_return_val_if_fail (tl != NULL, FALSE);
  return tl->has_shadow;
}

CmTimelineContext *
cm_timeline_context_new (CmTimeline *tl)
{
  CmTimelineContext *ctx;

  g_return_val_if_fail (tl != NULL, NULL);
  ctx = g_new0 (CmTimelineContext, 1);
  ctx->tl = cm_timeline_ref (tl);
  ctx->ctx = g_new0 (CmGroupContext *, tl->schemes->len);
  for (guint i = 0; i < tl->schemes->len; i++)
    ctx->ctx[i] = cm_group_context_new (tl->schemes->pdata[i]);
  return ctx;
}

void
cm_timeline_context_free (CmTimelineContext *ctx)
{
  if (ctx == NULL)
    return;
  for (guint i = 0; i < ctx->tl->schemes->len; i++)
    cm_group_context_free (ctx->ctx[i]);
  g_free (ctx->ctx);
  cm_timeline_unref (ctx->tl);
  g_free (ctx);
}

gboolean
cm_timeline_group (CmTimelineContext *ctx, const CmEpisode *ep,
                   CmTimelineRole role, CmGroupFlags flags,
                   CmGroupResult *result, CmScheme **scheme)
{
  gint i;

  g_return_val_if_fail (ctx != NULL && ep != NULL && result != NULL, FALSE);
  i = lookup_index (ctx->tl, ep->discharge_date, role);
  if (i < 0)
    return FALSE;
  cm_group (ctx->ctx[i], ep, flags, result);
  if (scheme)
    *scheme = ctx->tl->schemes->pdata[i];
  return TRUE;
}
