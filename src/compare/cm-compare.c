/* cm-compare.c — the migration report between two schemes.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The batch is grouped by the pipeline (cm_pipeline_run), whose writer puts
 * one episodes.csv row per accepted episode in input order; the aggregate
 * is then built from that file, so it counts exactly the rows written (a
 * duplicate id rejected by the writer is counted nowhere). Shares are kept
 * as integer counts and shown as percentages with two decimals, rounded
 * half up, computed in integer arithmetic. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cm-compare.h"
#include "cm-drg.h"
#include "cm-pipeline.h"

G_DEFINE_QUARK (cm-compare-error-quark, cm_compare_error)

/* ------------------------------------------------------------------ */
/* one episode */

static void
label_of (const CmGroupResult *r, char *buf, gsize size)
{
  if (r->family == CM_SCHEME_FAMILY_DRG)
    {
      if (strcmp (r->status, "SUCCESS") == 0 || strcmp (r->status, "QY") == 0
          || strcmp (r->status, "FAIL") == 0)
        g_strlcpy (buf, r->drg[0] ? r->drg : r->status, size);
      else
        g_strlcpy (buf, r->status, size);
    }
  else
    g_strlcpy (buf, r->group_id && r->group_id[0] ? r->group_id : r->status, size);
}

void
cm_compare_case (CmGroupContext *a, CmGroupContext *b, const CmEpisode *ep,
                 CmCompareCase *out)
{
  g_return_if_fail (a != NULL && b != NULL && ep != NULL && out != NULL);
  cm_group (a, ep, CM_GROUP_DEFAULT, &out->a);
  cm_group (b, ep, CM_GROUP_DEFAULT, &out->b);
  label_of (&out->a, out->label_a, sizeof out->label_a);
  label_of (&out->b, out->label_b, sizeof out->label_b);
  out->both_drg = out->a.family == CM_SCHEME_FAMILY_DRG
                  && out->b.family == CM_SCHEME_FAMILY_DRG;
  out->group_changed = strcmp (out->label_a, out->label_b) != 0;
  out->adrg_changed = out->both_drg ? strcmp (out->a.adrg, out->b.adrg) != 0
                                    : out->group_changed;
  out->mdc_changed = out->both_drg ? strcmp (out->a.mdc, out->b.mdc) != 0
                                   : out->group_changed;
}

static void
append_side (GString *out, const CmGroupResult *r, const char *label)
{
  cm_csv_append_field (out, r->status);
  g_string_append_c (out, ',');
  if (r->family == CM_SCHEME_FAMILY_DRG)
    {
      cm_csv_append_field (out, r->mdc);
      g_string_append_c (out, ',');
      cm_csv_append_field (out, r->adrg);
    }
  else
    g_string_append_c (out, ',');
  g_string_append_c (out, ',');
  cm_csv_append_field (out, label);
  g_string_append_c (out, ',');
}

void
cm_compare_append_row (const CmEpisode *ep, const CmCompareCase *c, GString *out)
{
  cm_csv_append_field (out, ep->episode_id);
  g_string_append_c (out, ',');
  cm_csv_append_field (out, ep->hospital_id ? ep->hospital_id : "");
  g_string_append_c (out, ',');
  append_side (out, &c->a, c->label_a);
  append_side (out, &c->b, c->label_b);
  g_string_append_printf (out, "%d,%d,%d\n", c->mdc_changed, c->adrg_changed,
                          c->group_changed);
}

/* ------------------------------------------------------------------ */
/* the aggregate */

typedef struct {
  guint64 n, group_changed, adrg_changed, mdc_changed;
  GHashTable *moves;  /* "a\tb" → count (changes only) */
} Hospital;

static void
hospital_free (gpointer p)
{
  Hospital *h = p;
  g_hash_table_unref (h->moves);
  g_free (h);
}

struct _CmCompare {
  CmScheme *a, *b;
  gboolean both_drg;
  guint64 n, group_changed, adrg_changed, mdc_changed;
  GHashTable *matrix;       /* "a\tb" → guint64* */
  GHashTable *adrg_matrix;  /* "a\tb" → guint64* */
  GHashTable *from;         /* group a → guint64* */
  GHashTable *to;           /* group b → guint64* */
  GHashTable *adrg_from;    /* adrg a → guint64* */
  GHashTable *hospitals;    /* id → Hospital */
};

CmCompare *
cm_compare_new (CmScheme *a, CmScheme *b)
{
  CmCompare *c;
  g_return_val_if_fail (a != NULL && b != NULL, NULL);
  c = g_new0 (CmCompare, 1);
  c->a = cm_scheme_ref (a);
  c->b = cm_scheme_ref (b);
  c->both_drg = cm_scheme_get_family (a) == CM_SCHEME_FAMILY_DRG
                && cm_scheme_get_family (b) == CM_SCHEME_FAMILY_DRG;
  c->matrix = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c->adrg_matrix = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c->from = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c->to = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c->adrg_from = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c->hospitals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, hospital_free);
  return c;
}

void
cm_compare_free (CmCompare *c)
{
  if (c == NULL)
    return;
  cm_scheme_unref (c->a);
  cm_scheme_unref (c->b);
  g_hash_table_unref (c->matrix);
  g_hash_table_unref (c->adrg_matrix);
  g_hash_table_unref (c->from);
  g_hash_table_unref (c->to);
  g_hash_table_unref (c->adrg_from);
  g_hash_table_unref (c->hospitals);
  g_free (c);
}

static void
bump (GHashTable *h, const char *key)
{
  guint64 *v = g_hash_table_lookup (h, key);
  if (v == NULL)
    {
      v = g_new0 (guint64, 1);
      g_hash_table_insert (h, g_strdup (key), v);
    }
  (*v)++;
}

static guint64
count_of (GHashTable *h, const char *key)
{
  guint64 *v = g_hash_table_lookup (h, key);
  return v ? *v : 0;
}

/* Splits one CSV line (RFC 4180 quoting) into at most @max fields. */
static guint
split_csv (char *line, char **fields, guint max)
{
  guint n = 0;
  char *p = line;

  while (n < max)
    {
      char *w;
      if (*p == '"')
        {
          char *r = ++p;
          w = p;
          fields[n++] = w;
          for (;;)
            {
              if (*r == '\0')
                break;
              if (*r == '"' && r[1] == '"')
                {
                  *w++ = '"';
                  r += 2;
                  continue;
                }
              if (*r == '"')
                {
                  r++;
                  break;
                }
              *w++ = *r++;
            }
          *w = '\0';
          p = r;
          if (*p == ',')
            p++;
          else
            break;
        }
      else
        {
          char *comma = strchr (p, ',');
          fields[n++] = p;
          if (comma == NULL)
            break;
          *comma = '\0';
          p = comma + 1;
        }
    }
  return n;
}

gboolean
cm_compare_add_file (CmCompare *c, const char *path, GError **error)
{
  g_autoptr (GMappedFile) map = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (GString) key = g_string_new (NULL);
  g_autoptr (GString) line = g_string_new (NULL);
  const char *data, *end, *p;
  guint64 ln = 0;

  g_return_val_if_fail (c != NULL && path != NULL, FALSE);
  map = g_mapped_file_new (path, FALSE, &local);
  if (map == NULL)
    {
      g_set_error (error, CM_COMPARE_ERROR, CM_COMPARE_ERROR_IO, "%s", local->message);
      return FALSE;
    }
  data = g_mapped_file_get_contents (map);
  end = data + g_mapped_file_get_length (map);
  for (p = data; p && p < end;)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      const char *le = nl ? nl : end;
      char *f[13];
      Hospital *h;

      ln++;
      g_string_assign (line, "");
      g_string_append_len (line, p, le - p);
      p = nl ? nl + 1 : end;
      if (ln == 1)
        {
          if (strcmp (line->str, CM_COMPARE_EPISODE_HEADER) != 0)
            {
              g_set_error (error, CM_COMPARE_ERROR, CM_COMPARE_ERROR_FORMAT,
                           "%s:1: not a compare episodes file", path);
              return FALSE;
            }
          continue;
        }
      if (line->len == 0)
        continue;
      if (split_csv (line->str, f, 13) != 13)
        {
          g_set_error (error, CM_COMPARE_ERROR, CM_COMPARE_ERROR_FORMAT,
                       "%s:%" G_GUINT64_FORMAT ": expected 13 fields", path, ln);
          return FALSE;
        }
      c->n++;
      g_string_printf (key, "%s\t%s", f[5], f[9]);
      bump (c->matrix, key->str);
      bump (c->from, f[5]);
      bump (c->to, f[9]);
      if (c->both_drg)
        {
          g_string_printf (key, "%s\t%s", f[4], f[8]);
          bump (c->adrg_matrix, key->str);
          bump (c->adrg_from, f[4]);
        }
      h = g_hash_table_lookup (c->hospitals, f[1]);
      if (h == NULL)
        {
          h = g_new0 (Hospital, 1);
          h->moves = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
          g_hash_table_insert (c->hospitals, g_strdup (f[1]), h);
        }
      h->n++;
      if (f[12][0] == '1')
        {
          c->group_changed++;
          h->group_changed++;
          g_string_printf (key, "%s\t%s", f[5], f[9]);
          bump (h->moves, key->str);
        }
      if (f[11][0] == '1')
        {
          c->adrg_changed++;
          h->adrg_changed++;
        }
      if (f[10][0] == '1')
        {
          c->mdc_changed++;
          h->mdc_changed++;
        }
    }
  return TRUE;
}

guint64
cm_compare_get_n_episodes (const CmCompare *c)
{
  return c->n;
}

guint64
cm_compare_get_n_group_changed (const CmCompare *c)
{
  return c->group_changed;
}

guint64
cm_compare_get_n_adrg_changed (const CmCompare *c)
{
  return c->adrg_changed;
}

guint64
cm_compare_get_n_mdc_changed (const CmCompare *c)
{
  return c->mdc_changed;
}

/* ------------------------------------------------------------------ */
/* report */

/* n / total as a percentage with two decimals, half up ("12.34"). */
static char *
pct (guint64 n, guint64 total)
{
  guint64 x;
  if (total == 0)
    return g_strdup ("0.00");
  x = (n * 20000 + total) / (2 * total);
  return g_strdup_printf ("%" G_GUINT64_FORMAT ".%02u", x / 100, (guint) (x % 100));
}

static const char *
name_of (CmScheme *s, const char *code)
{
  CmDrgScheme *d = cm_scheme_get_drg (s);
  const char *n = d ? cm_drg_scheme_lookup_name (d, code) : NULL;
  return n ? n : "";
}

typedef struct {
  char *a;
  char *b;
  guint64 n;
} Move;

static void
move_clear (gpointer p)
{
  Move *m = p;
  g_free (m->a);
  g_free (m->b);
}

static int
move_by_count (gconstpointer x, gconstpointer y)
{
  const Move *a = x, *b = y;
  int c;
  if (a->n != b->n)
    return a->n > b->n ? -1 : 1;
  c = strcmp (a->a, b->a);
  return c ? c : strcmp (a->b, b->b);
}

static int
move_by_from (gconstpointer x, gconstpointer y)
{
  const Move *a = x, *b = y;
  int c = strcmp (a->a, b->a);
  if (c)
    return c;
  if (a->n != b->n)
    return a->n > b->n ? -1 : 1;
  return strcmp (a->b, b->b);
}

/* The moves of @h (changes only when @changes_only). */
static GArray *
moves_of (GHashTable *h, gboolean changes_only)
{
  GArray *arr = g_array_new (FALSE, FALSE, sizeof (Move));
  GHashTableIter it;
  gpointer k, v;

  g_array_set_clear_func (arr, move_clear);
  g_hash_table_iter_init (&it, h);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      const char *tab = strchr (k, '\t');
      Move m;
      m.a = g_strndup (k, (gsize) (tab - (const char *) k));
      m.b = g_strdup (tab + 1);
      m.n = *(guint64 *) v;
      if (changes_only && strcmp (m.a, m.b) == 0)
        {
          move_clear (&m);
          continue;
        }
      g_array_append_val (arr, m);
    }
  return arr;
}

void
cm_compare_print_summary (const CmCompare *c, FILE *out, guint n_top)
{
  g_autofree char *pg = pct (c->group_changed, c->n);
  g_autofree char *pa = pct (c->adrg_changed, c->n);
  g_autofree char *pm = pct (c->mdc_changed, c->n);
  g_autoptr (GArray) moves = moves_of (c->matrix, TRUE);

  fprintf (out, "%s → %s: %" G_GUINT64_FORMAT " episodes\n", cm_scheme_get_id (c->a),
           cm_scheme_get_id (c->b), c->n);
  fprintf (out, "  group changed  %10" G_GUINT64_FORMAT "  %6s%%\n", c->group_changed, pg);
  if (c->both_drg)
    {
      fprintf (out, "  ADRG changed   %10" G_GUINT64_FORMAT "  %6s%%\n", c->adrg_changed, pa);
      fprintf (out, "  MDC changed    %10" G_GUINT64_FORMAT "  %6s%%\n", c->mdc_changed, pm);
    }
  fprintf (out, "  groups used    %10u → %u\n", g_hash_table_size (c->from),
           g_hash_table_size (c->to));
  g_array_sort (moves, move_by_count);
  if (moves->len > 0)
    fprintf (out, "top movements:\n");
  for (guint i = 0; i < moves->len && i < n_top; i++)
    {
      Move *m = &g_array_index (moves, Move, i);
      g_autofree char *share = pct (m->n, count_of (c->from, m->a));
      fprintf (out, "  %-8s → %-8s %8" G_GUINT64_FORMAT "  (%s%% of %s)  %s → %s\n", m->a, m->b,
               m->n, share, m->a, name_of (c->a, m->a), name_of (c->b, m->b));
    }
}

static gboolean
write_file (const char *dir, const char *name, GString *text, GError **error)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  g_autoptr (GError) local = NULL;
  if (!g_file_set_contents (p, text->str, (gssize) text->len, &local))
    {
      g_set_error (error, CM_COMPARE_ERROR, CM_COMPARE_ERROR_IO, "%s", local->message);
      return FALSE;
    }
  return TRUE;
}

static void
csv_field (GString *out, const char *s)
{
  cm_csv_append_field (out, s);
}

static void
html_text (GString *out, const char *s)
{
  g_autofree char *e = g_markup_escape_text (s, -1);
  g_string_append (out, e);
}

typedef struct {
  const char *id;
  const Hospital *h;
} HospRef;

static int
hosp_cmp (gconstpointer x, gconstpointer y)
{
  const HospRef *a = x, *b = y;
  if (a->h->n != b->h->n)
    return a->h->n > b->h->n ? -1 : 1;
  return strcmp (a->id, b->id);
}

/* A horizontal bar chart: one bar per item, value / max of the width. */
static void
svg_bars (GString *h, const char *title, guint n, const char *const *labels,
          const guint64 *values, const char *const *value_text, guint64 max,
          const char *colour)
{
  const guint bar_h = 18, gap = 6, left = 300, width = 420, top = 28;
  guint height = top + n * (bar_h + gap) + 10;

  g_string_append_printf (h, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
                             "height=\"%u\" role=\"img\" aria-label=\"", left + width + 140,
                          height);
  html_text (h, title);
  g_string_append (h, "\"><text x=\"0\" y=\"16\" class=\"t\">");
  html_text (h, title);
  g_string_append (h, "</text>");
  for (guint i = 0; i < n; i++)
    {
      guint y = top + i * (bar_h + gap);
      guint w = max > 0 ? (guint) ((values[i] * width + max / 2) / max) : 0;
      g_string_append_printf (h, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\" class=\"l\">",
                              left - 8, y + 13);
      html_text (h, labels[i]);
      g_string_append_printf (h, "</text><rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" "
                                 "fill=\"%s\"/><text x=\"%u\" y=\"%u\" class=\"v\">",
                              left, y, MAX (w, 1u), bar_h, colour, left + MAX (w, 1u) + 6,
                              y + 13);
      html_text (h, value_text[i]);
      g_string_append (h, "</text>");
    }
  g_string_append (h, "</svg>\n");
}

gboolean
cm_compare_write_report (const CmCompare *c, const char *dir, const char *input_name,
                         GError **error)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_autoptr (GString) h = g_string_new (NULL);
  g_autoptr (GArray) all = moves_of (c->matrix, FALSE);
  g_autoptr (GArray) changes = moves_of (c->matrix, TRUE);
  g_autoptr (GArray) hosps = g_array_new (FALSE, FALSE, sizeof (HospRef));
  g_autofree char *pg = pct (c->group_changed, c->n);
  g_autofree char *pa = pct (c->adrg_changed, c->n);
  g_autofree char *pm = pct (c->mdc_changed, c->n);
  const char *ida = cm_scheme_get_id (c->a), *idb = cm_scheme_get_id (c->b);
  const guint n_top = 50;

  g_return_val_if_fail (c != NULL && dir != NULL, FALSE);
  g_array_sort (all, move_by_from);
  g_array_sort (changes, move_by_count);
  {
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init (&it, c->hospitals);
    while (g_hash_table_iter_next (&it, &k, &v))
      {
        HospRef r = { k, v };
        g_array_append_val (hosps, r);
      }
    g_array_sort (hosps, hosp_cmp);
  }

  /* summary.csv */
  g_string_append (s, "metric,value\n");
  g_string_append (s, "scheme_a,");
  csv_field (s, ida);
  g_string_append (s, "\nscheme_b,");
  csv_field (s, idb);
  g_string_append (s, "\ninput,");
  csv_field (s, input_name ? input_name : "");
  g_string_append_printf (s, "\nepisodes,%" G_GUINT64_FORMAT "\n", c->n);
  g_string_append_printf (s, "group_changed,%" G_GUINT64_FORMAT "\ngroup_changed_pct,%s\n",
                          c->group_changed, pg);
  if (c->both_drg)
    g_string_append_printf (s, "adrg_changed,%" G_GUINT64_FORMAT "\nadrg_changed_pct,%s\n"
                               "mdc_changed,%" G_GUINT64_FORMAT "\nmdc_changed_pct,%s\n",
                            c->adrg_changed, pa, c->mdc_changed, pm);
  g_string_append_printf (s, "groups_a,%u\ngroups_b,%u\ntransitions,%u\n",
                          g_hash_table_size (c->from), g_hash_table_size (c->to), all->len);
  if (!write_file (dir, "summary.csv", s, error))
    return FALSE;

  /* matrix.csv: long form, by group in A then count */
  g_string_assign (s, "group_a,name_a,group_b,name_b,episodes,pct_of_group_a\n");
  for (guint i = 0; i < all->len; i++)
    {
      Move *m = &g_array_index (all, Move, i);
      g_autofree char *share = pct (m->n, count_of (c->from, m->a));
      csv_field (s, m->a);
      g_string_append_c (s, ',');
      csv_field (s, name_of (c->a, m->a));
      g_string_append_c (s, ',');
      csv_field (s, m->b);
      g_string_append_c (s, ',');
      csv_field (s, name_of (c->b, m->b));
      g_string_append_printf (s, ",%" G_GUINT64_FORMAT ",%s\n", m->n, share);
    }
  if (!write_file (dir, "matrix.csv", s, error))
    return FALSE;

  if (c->both_drg)
    {
      g_autoptr (GArray) am = moves_of (c->adrg_matrix, FALSE);
      g_array_sort (am, move_by_from);
      g_string_assign (s, "adrg_a,name_a,adrg_b,name_b,episodes,pct_of_adrg_a\n");
      for (guint i = 0; i < am->len; i++)
        {
          Move *m = &g_array_index (am, Move, i);
          g_autofree char *share = pct (m->n, count_of (c->adrg_from, m->a));
          csv_field (s, m->a);
          g_string_append_c (s, ',');
          csv_field (s, name_of (c->a, m->a));
          g_string_append_c (s, ',');
          csv_field (s, m->b);
          g_string_append_c (s, ',');
          csv_field (s, name_of (c->b, m->b));
          g_string_append_printf (s, ",%" G_GUINT64_FORMAT ",%s\n", m->n, share);
        }
      if (!write_file (dir, "adrg_matrix.csv", s, error))
        return FALSE;
    }

  g_string_assign (s, "rank,group_a,name_a,group_b,name_b,episodes,pct_of_group_a,pct_of_all\n");
  for (guint i = 0; i < changes->len && i < n_top; i++)
    {
      Move *m = &g_array_index (changes, Move, i);
      g_autofree char *share = pct (m->n, count_of (c->from, m->a));
      g_autofree char *share_all = pct (m->n, c->n);
      g_string_append_printf (s, "%u,", i + 1);
      csv_field (s, m->a);
      g_string_append_c (s, ',');
      csv_field (s, name_of (c->a, m->a));
      g_string_append_c (s, ',');
      csv_field (s, m->b);
      g_string_append_c (s, ',');
      csv_field (s, name_of (c->b, m->b));
      g_string_append_printf (s, ",%" G_GUINT64_FORMAT ",%s,%s\n", m->n, share, share_all);
    }
  if (!write_file (dir, "top_movements.csv", s, error))
    return FALSE;

  g_string_assign (s, "hospital_id,episodes,group_changed,group_changed_pct,adrg_changed,"
                      "adrg_changed_pct,mdc_changed,mdc_changed_pct,top_movement,"
                      "top_movement_episodes\n");
  for (guint i = 0; i < hosps->len; i++)
    {
      HospRef *r = &g_array_index (hosps, HospRef, i);
      g_autoptr (GArray) hm = moves_of (r->h->moves, TRUE);
      g_autofree char *p1 = pct (r->h->group_changed, r->h->n);
      g_autofree char *p2 = pct (r->h->adrg_changed, r->h->n);
      g_autofree char *p3 = pct (r->h->mdc_changed, r->h->n);
      g_array_sort (hm, move_by_count);
      csv_field (s, r->id);
      g_string_append_printf (s, ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%s,%"
                                 G_GUINT64_FORMAT ",%s,%" G_GUINT64_FORMAT ",%s,",
                              r->h->n, r->h->group_changed, p1, r->h->adrg_changed, p2,
                              r->h->mdc_changed, p3);
      if (hm->len > 0)
        {
          Move *m = &g_array_index (hm, Move, 0);
          g_autofree char *mv = g_strdup_printf ("%s→%s", m->a, m->b);
          csv_field (s, mv);
          g_string_append_printf (s, ",%" G_GUINT64_FORMAT "\n", m->n);
        }
      else
        g_string_append (s, ",0\n");
    }
  if (!write_file (dir, "hospitals.csv", s, error))
    return FALSE;

  /* report.html */
  g_string_append (h, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                      "<title>");
  html_text (h, ida);
  g_string_append (h, " → ");
  html_text (h, idb);
  g_string_append (h, " migration report</title><style>"
                      "body{font-family:sans-serif;margin:2em;color:#222;max-width:1100px}"
                      "table{border-collapse:collapse;margin:1em 0}"
                      "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}"
                      "th{background:#f0f0f0}td.n{text-align:right}"
                      ".cards{display:flex;gap:1em}.card{border:1px solid #ccc;padding:.6em 1.2em}"
                      ".card b{display:block;font-size:1.6em}"
                      "svg .t{font-size:14px;font-weight:bold}svg .l,svg .v{font-size:12px}"
                      "</style></head><body>\n<h1>迁移报告 · Migration report</h1>\n<p>");
  html_text (h, ida);
  g_string_append (h, " → ");
  html_text (h, idb);
  g_string_append (h, "; input ");
  html_text (h, input_name ? input_name : "");
  g_string_append_printf (h, "; %" G_GUINT64_FORMAT " episodes.</p>\n<div class=\"cards\">"
                             "<div class=\"card\">group changed<b>%s%%</b>%" G_GUINT64_FORMAT
                             " episodes</div>", c->n, pg, c->group_changed);
  if (c->both_drg)
    g_string_append_printf (h, "<div class=\"card\">ADRG changed<b>%s%%</b>%" G_GUINT64_FORMAT
                               " episodes</div><div class=\"card\">MDC changed<b>%s%%</b>%"
                               G_GUINT64_FORMAT " episodes</div>", pa, c->adrg_changed, pm,
                            c->mdc_changed);
  g_string_append_printf (h, "<div class=\"card\">groups used<b>%u → %u</b>A → B</div></div>\n",
                          g_hash_table_size (c->from), g_hash_table_size (c->to));
  {
    /* where cases stand: same group / same ADRG, other DRG / other ADRG */
    const char *labels[3];
    guint64 vals[3];
    g_autofree char *t0 = NULL, *t1 = NULL, *t2 = NULL;
    const char *texts[3];
    guint n = c->both_drg ? 3 : 2;
    vals[0] = c->n - c->group_changed;
    labels[0] = "same group";
    if (c->both_drg)
      {
        vals[1] = c->group_changed >= c->adrg_changed ? c->group_changed - c->adrg_changed : 0;
        labels[1] = "same ADRG, other DRG";
        vals[2] = c->adrg_changed;
        labels[2] = "other ADRG";
      }
    else
      {
        vals[1] = c->group_changed;
        labels[1] = "other group";
      }
    {
      g_autofree char *p0 = pct (vals[0], c->n);
      t0 = g_strdup_printf ("%" G_GUINT64_FORMAT " (%s%%)", vals[0], p0);
    }
    t1 = g_strdup_printf ("%" G_GUINT64_FORMAT, vals[1]);
    t2 = g_strdup_printf ("%" G_GUINT64_FORMAT, n == 3 ? vals[2] : 0);
    texts[0] = t0;
    texts[1] = t1;
    texts[2] = t2;
    g_string_append (h, "<h2>Where the cases go</h2>\n");
    svg_bars (h, "episodes by kind of change", n, labels, vals, texts, c->n, "#4e79a7");
  }
  {
    guint n = MIN (changes->len, 20u);
    g_autofree const char **labels = g_new0 (const char *, n + 1);
    g_autofree const char **texts = g_new0 (const char *, n + 1);
    g_autofree guint64 *vals = g_new0 (guint64, n + 1);
    g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
    for (guint i = 0; i < n; i++)
      {
        Move *m = &g_array_index (changes, Move, i);
        char *l = g_strdup_printf ("%s → %s", m->a, m->b);
        char *t = g_strdup_printf ("%" G_GUINT64_FORMAT, m->n);
        g_ptr_array_add (keep, l);
        g_ptr_array_add (keep, t);
        labels[i] = l;
        texts[i] = t;
        vals[i] = m->n;
      }
    g_string_append (h, "<h2>Top movements</h2>\n");
    if (n > 0)
      svg_bars (h, "episodes per movement (group in A → group in B)", n, labels, vals, texts,
                vals[0], "#e15759");
    g_string_append (h, "<table><tr><th>#</th><th>group in A</th><th>name</th><th>group in B"
                        "</th><th>name</th><th>episodes</th><th>% of group A</th></tr>\n");
    for (guint i = 0; i < changes->len && i < n_top; i++)
      {
        Move *m = &g_array_index (changes, Move, i);
        g_autofree char *share = pct (m->n, count_of (c->from, m->a));
        g_string_append_printf (h, "<tr><td class=\"n\">%u</td><td>", i + 1);
        html_text (h, m->a);
        g_string_append (h, "</td><td>");
        html_text (h, name_of (c->a, m->a));
        g_string_append (h, "</td><td>");
        html_text (h, m->b);
        g_string_append (h, "</td><td>");
        html_text (h, name_of (c->b, m->b));
        g_string_append_printf (h, "</td><td class=\"n\">%" G_GUINT64_FORMAT
                                   "</td><td class=\"n\">%s</td></tr>\n", m->n, share);
      }
    g_string_append (h, "</table>\n");
  }
  {
    guint n = MIN (hosps->len, 30u);
    g_autofree const char **labels = g_new0 (const char *, n + 1);
    g_autofree const char **texts = g_new0 (const char *, n + 1);
    g_autofree guint64 *vals = g_new0 (guint64, n + 1);
    g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
    for (guint i = 0; i < n; i++)
      {
        HospRef *r = &g_array_index (hosps, HospRef, i);
        g_autofree char *p = pct (r->h->group_changed, r->h->n);
        char *t = g_strdup_printf ("%s%% of %" G_GUINT64_FORMAT, p, r->h->n);
        g_ptr_array_add (keep, t);
        labels[i] = *r->id ? r->id : "(no hospital id)";
        texts[i] = t;
        /* bar = changed share in basis points */
        vals[i] = r->h->n ? (r->h->group_changed * 10000 + r->h->n / 2) / r->h->n : 0;
      }
    g_string_append (h, "<h2>Hospitals</h2>\n");
    if (n > 0)
      svg_bars (h, "share of episodes whose group changes (largest hospitals)", n, labels, vals,
                texts, 10000, "#59a14f");
    g_string_append (h, "<table><tr><th>hospital</th><th>episodes</th><th>group changed</th>"
                        "<th>%</th><th>ADRG changed</th><th>%</th><th>main movement</th></tr>\n");
    for (guint i = 0; i < hosps->len; i++)
      {
        HospRef *r = &g_array_index (hosps, HospRef, i);
        g_autoptr (GArray) hm = moves_of (r->h->moves, TRUE);
        g_autofree char *p1 = pct (r->h->group_changed, r->h->n);
        g_autofree char *p2 = pct (r->h->adrg_changed, r->h->n);
        g_array_sort (hm, move_by_count);
        g_string_append (h, "<tr><td>");
        html_text (h, *r->id ? r->id : "(no hospital id)");
        g_string_append_printf (h, "</td><td class=\"n\">%" G_GUINT64_FORMAT "</td><td class=\"n\">%"
                                   G_GUINT64_FORMAT "</td><td class=\"n\">%s</td><td class=\"n\">%"
                                   G_GUINT64_FORMAT "</td><td class=\"n\">%s</td><td>",
                                r->h->n, r->h->group_changed, p1, r->h->adrg_changed, p2);
        if (hm->len > 0)
          {
            Move *m = &g_array_index (hm, Move, 0);
            g_autofree char *mv = g_strdup_printf ("%s → %s (%" G_GUINT64_FORMAT ")", m->a,
                                                   m->b, m->n);
            html_text (h, mv);
          }
        g_string_append (h, "</td></tr>\n");
      }
    g_string_append (h, "</table>\n");
  }
  g_string_append (h, "<p>Files: summary.csv, matrix.csv (group in A → group in B, counts)");
  if (c->both_drg)
    g_string_append (h, ", adrg_matrix.csv");
  g_string_append (h, ", top_movements.csv, hospitals.csv, episodes.csv (one row per episode)."
                      "</p>\n<footer><small>casemix " CM_VERSION " compare</small></footer>"
                      "</body></html>\n");
  return write_file (dir, "report.html", h, error);
}
