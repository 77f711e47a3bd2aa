/* cm-catalogue.c — DRG weight / DIP score tables: reading them and building
 * them from base-period episodes.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Building, step by step (drg-payment.md §2, dip.md §3,
 * dip-catalogue-building.md §3–§5):
 *
 *   1. every grouped base-period case is kept with its group, discharge
 *      year, hospital level and cost; per-diem stays, ungroupable cases
 *      and cases outside the LOS window are counted and left out;
 *   2. the year window is the newest year of the data and the years
 *      before it, one per year weight (1:2:7 → three years); older cases
 *      are left out;
 *   3. DIP: a core group with fewer cases than the threshold, and every
 *      case the grouper put in a comprehensive group, is pooled by the
 *      levels of the pool (category → chapter → all): ZH-<cat>-<K> first;
 *      a pool still under the threshold moves its cases to the next level;
 *      the last level keeps what it gets;
 *   4. each final group drops its lowest and highest costs (per-mille
 *      quantiles, floor of n × share cases each side);
 *   5. m_g = weighted mean of the retained costs, M = the same over all
 *      retained cases; weight = round4 (m_g / M × S).
 *
 * The build is statistics over a base period, not a money path: means are
 * carried as exact rationals where they can be (one year, or case-weighted
 * means) and otherwise at 10^-9 fen, and only the published weight is
 * rounded (cm_round_published_e4). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cm-catalogue.h"
#include "cm-price.h"
#include "cm-money-private.h"
#include "cm-policy-private.h"
#include "cm-strtab-private.h"

/* ---------------------------------------------------------------------- */
/* TSV reader                                                              */

void
cm_pay_tsv_error (const CmPayTsv *t, guint k, GError **error,
                  const char *format, ...)
{
  g_autofree char *msg = NULL;
  va_list ap;
  int col = (k < t->n_known) ? t->col_of[k] : -1;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (col >= 0)
    g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_TABLE,
                 "%s:%u:%zu: column '%s': %s", t->path, t->line_no,
                 t->cell_pos[col], t->names[k], msg);
  else
    g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_TABLE, "%s:%u: %s",
                 t->path, t->line_no, msg);
}

/* The next physical line, without its end; NULL at the end. */
static char *
next_line (CmPayTsv *t, gsize *len)
{
  char *line, *nl;

  if (t->pos >= t->len)
    return NULL;
  line = t->text + t->pos;
  nl = memchr (line, '\n', t->len - t->pos);
  *len = nl ? (gsize) (nl - line) : t->len - t->pos;
  t->pos += *len + (nl ? 1 : 0);
  t->line_no++;
  if (*len > 0 && line[*len - 1] == '\r')
    (*len)--;
  line[*len] = '\0';
  return line;
}

/* Splits @line at TAB; FALSE when there are too many cells. */
static gboolean
split_cells (CmPayTsv *t, char *line, guint *n)
{
  char *p = line;

  *n = 0;
  for (;;)
    {
      char *tab = strchr (p, '\t');
      if (*n == CM_PAY_TSV_MAX_COLS)
        return FALSE;
      t->cell_pos[*n] = (gsize) (p - line) + 1;
      t->cells[(*n)++] = p;
      if (tab == NULL)
        return TRUE;
      *tab = '\0';
      p = tab + 1;
    }
}

static gboolean
check_line (CmPayTsv *t, const char *line, gsize len, GError **error)
{
  if (len > CM_PAY_TSV_MAX_LINE)
    {
      g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_TABLE,
                   "%s:%u: line longer than %d bytes", t->path, t->line_no,
                   CM_PAY_TSV_MAX_LINE);
      return FALSE;
    }
  if (!g_utf8_validate (line, (gssize) len, NULL) || memchr (line, '\0', len))
    {
      g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_TABLE,
                   "%s:%u: not valid UTF-8 text", t->path, t->line_no);
      return FALSE;
    }
  return TRUE;
}

gboolean
cm_pay_tsv_open (CmPayTsv *t, const char *path, const char *const *known,
                 guint n_known, guint n_required, GError **error)
{
  g_autoptr (GError) local = NULL;
  char *line;
  gsize len;
  guint n;

  g_return_val_if_fail (n_known <= CM_PAY_TSV_MAX_COLS, FALSE);
  memset (t, 0, sizeof *t);
  t->path = path;
  t->names = known;
  t->n_known = n_known;
  t->meta = g_ptr_array_new_with_free_func (g_free);
  if (!g_file_get_contents (path, &t->text, &t->len, &local))
    {
      g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_NOT_FOUND, "%s: %s",
                   path, local->message);
      return FALSE;
    }
  if (t->len > CM_PAY_TSV_MAX_BYTES)
    {
      g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_TABLE,
                   "%s: larger than %d bytes", path, CM_PAY_TSV_MAX_BYTES);
      return FALSE;
    }
  if (t->len >= 3 && memcmp (t->text, "\xEF\xBB\xBF", 3) == 0)
    t->pos = 3;
  for (;;)
    {
      line = next_line (t, &len);
      if (line == NULL)
        {
          g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_TABLE,
                       "%s:%u: no header row", path, t->line_no);
          return FALSE;
        }
      if (!check_line (t, line, len, error))
        return FALSE;
      if (len == 0)
        continue;
      if (line[0] != '#')
        break;
      {
        char *kv = line + 1, *tab;
        while (*kv == ' ')
          kv++;
        tab = strchr (kv, '\t');
        g_ptr_array_add (t->meta, g_strndup (kv, tab ? (gsize) (tab - kv) : strlen (kv)));
        g_ptr_array_add (t->meta, g_strdup (tab ? tab + 1 : ""));
      }
    }
  for (guint k = 0; k < n_known; k++)
    t->col_of[k] = -1;
  if (!split_cells (t, line, &n))
    {
      g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_TABLE,
                   "%s:%u: more than %d columns", path, t->line_no,
                   CM_PAY_TSV_MAX_COLS);
      return FALSE;
    }
  t->n_cols = n;
  for (guint c = 0; c < n; c++)
    {
      guint k;
      for (k = 0; k < n_known; k++)
        if (strcmp (t->cells[c], known[k]) == 0)
          break;
      if (k == n_known)
        {
          GString *names = g_string_new (NULL);
          for (guint j = 0; j < n_known; j++)
            g_string_append_printf (names, "%s%s", j ? ", " : "", known[j]);
          g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_TABLE,
                       "%s:%u:%zu: unknown column '%s' (known: %s)", path,
                       t->line_no, t->cell_pos[c], t->cells[c], names->str);
          g_string_free (names, TRUE);
          return FALSE;
        }
      if (t->col_of[k] >= 0)
        {
          g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_TABLE,
                       "%s:%u:%zu: column '%s' appears twice", path, t->line_no,
                       t->cell_pos[c], t->cells[c]);
          return FALSE;
        }
      t->col_of[k] = (int) c;
    }
  for (guint k = 0; k < n_required; k++)
    if (t->col_of[k] < 0)
      {
        g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_TABLE,
                     "%s:%u: required column '%s' is missing", path,
                     t->line_no, known[k]);
        return FALSE;
      }
  return TRUE;
}

gboolean
cm_pay_tsv_next (CmPayTsv *t, GError **error)
{
  char *line;
  gsize len;
  guint n;

  for (;;)
    {
      line = next_line (t, &len);
      if (line == NULL)
        return FALSE;
      if (!check_line (t, line, len, error))
        return FALSE;
      if (len > 0)
        break;
    }
  if (!split_cells (t, line, &n) || n != t->n_cols)
    {
      g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_TABLE,
                   "%s:%u: expected %u columns, found %s%u", t->path, t->line_no,
                   t->n_cols, n == CM_PAY_TSV_MAX_COLS ? "at least " : "", n);
      return FALSE;
    }
  return TRUE;
}

void
cm_pay_tsv_close (CmPayTsv *t)
{
  g_clear_pointer (&t->text, g_free);
  g_clear_pointer (&t->meta, g_ptr_array_unref);
}

/* ---------------------------------------------------------------------- */
/* Weight and score tables                                                 */

struct _CmCatalogue {
  gatomicrefcount ref;
  char *path;
  CmSchemeFamily family;
  GArray *entries;        /* CmCatalogueEntry */
  CmStrtab index;         /* code → entry index (ids in entry order) */
  GStringChunk *strings;
  GPtrArray *meta;        /* key, value, … */
  gboolean has_means;
};

enum {
  COL_CODE, COL_VALUE, COL_KIND, COL_N_CASES, COL_N_USED, COL_MEAN,
  COL_MEAN_L1, COL_MEAN_L2, COL_MEAN_L3, COL_COEF, COL_LEVEL_FREE, COL_NAME,
  N_CAT_COLS
};

static const char *const drg_cols[N_CAT_COLS] = {
  "drg", "weight", "kind", "n_cases", "n_used", "mean_cost", "mean_cost_l1",
  "mean_cost_l2", "mean_cost_l3", "coefficient", "level_free", "name",
};
static const char *const dip_cols[N_CAT_COLS] = {
  "group_id", "score", "kind", "n_cases", "n_used", "mean_cost", "mean_cost_l1",
  "mean_cost_l2", "mean_cost_l3", "coefficient", "level_free", "name",
};

static gboolean
valid_code (const char *s)
{
  gsize n = 0;
  for (; *s; s++, n++)
    if ((guchar) *s <= ' ' || *s == ',' || *s == '"' || *s == '\'' || *s == '|')
      return FALSE;
  return n > 0 && n <= 40;
}

static gboolean
cell_fen (CmPayTsv *t, guint k, gboolean required, CmFen *out, GError **error)
{
  const char *v = cm_pay_tsv_get (t, k), *why = NULL;

  *out = 0;
  if (v == NULL || *v == '\0')
    {
      if (!required)
        return TRUE;
      cm_pay_tsv_error (t, k, error, "a value is required here");
      return FALSE;
    }
  if (!cm_fen_parse (v, out, &why))
    {
      cm_pay_tsv_error (t, k, error, "'%s' %s (yuan with at most 2 decimals)", v,
                        why);
      return FALSE;
    }
  return TRUE;
}

static gboolean
cell_count (CmPayTsv *t, guint k, guint32 *out, GError **error)
{
  const char *v = cm_pay_tsv_get (t, k);
  gint64 n;
  const char *why = NULL;

  *out = 0;
  if (v == NULL || *v == '\0')
    return TRUE;
  if (!cm_scaled_parse (v, 0, 0, G_MAXUINT32, &n, &why))
    {
      cm_pay_tsv_error (t, k, error, "'%s' %s (a whole number of cases)", v,
                        why ? why : "is not a count");
      return FALSE;
    }
  *out = (guint32) n;
  return TRUE;
}

static gboolean
load_row (CmCatalogue *cat, CmPayTsv *t, GError **error)
{
  CmCatalogueEntry e = { 0 };
  const char *code = cm_pay_tsv_get (t, COL_CODE);
  const char *v = cm_pay_tsv_get (t, COL_VALUE);
  const char *why = NULL;
  const char *kind = cm_pay_tsv_get (t, COL_KIND);
  const char *lf = cm_pay_tsv_get (t, COL_LEVEL_FREE);
  const char *coef = cm_pay_tsv_get (t, COL_COEF);

  if (!valid_code (code))
    {
      cm_pay_tsv_error (t, COL_CODE, error,
                        "'%s' is not a group code (1–40 characters, no space, "
                        "comma, quote or |)", code);
      return FALSE;
    }
  if (cm_strtab_lookup (&cat->index, code, strlen (code)) != CM_STRTAB_NONE)
    {
      cm_pay_tsv_error (t, COL_CODE, error, "'%s' appears twice", code);
      return FALSE;
    }
  if (!cm_e4_parse (v, &e.weight_e4, &why) || e.weight_e4 == 0)
    {
      cm_pay_tsv_error (t, COL_VALUE, error,
                        "'%s' %s (a number above 0 with at most 4 decimals)",
                        v, why ? why : "is zero");
      return FALSE;
    }
  if (kind != NULL && *kind != '\0' && strcmp (kind, "core") != 0
      && strcmp (kind, "comprehensive") != 0)
    {
      cm_pay_tsv_error (t, COL_KIND, error,
                        "'%s' is neither core nor comprehensive", kind);
      return FALSE;
    }
  e.comprehensive = kind != NULL && strcmp (kind, "comprehensive") == 0;
  if (lf != NULL && *lf != '\0' && strcmp (lf, "0") != 0 && strcmp (lf, "1") != 0)
    {
      cm_pay_tsv_error (t, COL_LEVEL_FREE, error, "'%s' is neither 0 nor 1",
                        lf);
      return FALSE;
    }
  e.level_free = lf != NULL && strcmp (lf, "1") == 0;
  if (coef != NULL && *coef != '\0'
      && (!cm_e4_parse (coef, &e.coefficient_e4, &why) || e.coefficient_e4 == 0))
    {
      cm_pay_tsv_error (t, COL_COEF, error,
                        "'%s' %s (a coefficient above 0 with at most 4 decimals)",
                        coef, why ? why : "is zero");
      return FALSE;
    }
  if (!cell_count (t, COL_N_CASES, &e.n_cases, error)
      || !cell_fen (t, COL_MEAN, cat->has_means, &e.mean_cost_fen, error)
      || !cell_fen (t, COL_MEAN_L1, FALSE, &e.level_mean_fen[1], error)
      || !cell_fen (t, COL_MEAN_L2, FALSE, &e.level_mean_fen[2], error)
      || !cell_fen (t, COL_MEAN_L3, FALSE, &e.level_mean_fen[3], error))
    return FALSE;
  if (cat->has_means && e.mean_cost_fen == 0)
    {
      cm_pay_tsv_error (t, COL_MEAN, error, "a mean cost of 0.00 cannot be "
                        "a reference cost");
      return FALSE;
    }
  {
    guint32 n_used;
    if (!cell_count (t, COL_N_USED, &n_used, error))
      return FALSE;
  }
  e.code = g_string_chunk_insert (cat->strings, code);
  g_array_append_val (cat->entries, e);
  {
    guint32 id G_GNUC_UNUSED = cm_strtab_intern (&cat->index, code, strlen (code));
    g_assert (id == cat->entries->len - 1);
  }
  return TRUE;
}

CmCatalogue *
cm_catalogue_load (const char *path, CmSchemeFamily family, GError **error)
{
  g_autoptr (CmCatalogue) cat = NULL;
  CmPayTsv t;
  const char *const *cols = family == CM_SCHEME_FAMILY_DRG ? drg_cols : dip_cols;
  g_autoptr (GError) local = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (path != NULL, NULL);
  if (!cm_pay_tsv_open (&t, path, cols, N_CAT_COLS, 2, error))
    {
      cm_pay_tsv_close (&t);
      return NULL;
    }
  cat = g_new0 (CmCatalogue, 1);
  g_atomic_ref_count_init (&cat->ref);
  cat->path = g_strdup (path);
  cat->family = family;
  cat->entries = g_array_new (FALSE, TRUE, sizeof (CmCatalogueEntry));
  cm_strtab_init (&cat->index);
  cat->strings = g_string_chunk_new (4096);
  cat->meta = g_steal_pointer (&t.meta);
  cat->has_means = t.col_of[COL_MEAN] >= 0;

  while (ok && cm_pay_tsv_next (&t, &local))
    ok = load_row (cat, &t, error);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      ok = FALSE;
    }
  if (!ok)
    {
      cm_pay_tsv_close (&t);
      return NULL;
    }
  cm_pay_tsv_close (&t);
  if (cat->entries->len == 0)
    {
      g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_TABLE,
                   "%s: the table has no rows", path);
      return NULL;
    }
  return g_steal_pointer (&cat);
}

CmCatalogue *
cm_catalogue_ref (CmCatalogue *cat)
{
  g_return_val_if_fail (cat != NULL, NULL);
  g_atomic_ref_count_inc (&cat->ref);
  return cat;
}

void
cm_catalogue_unref (CmCatalogue *cat)
{
  if (cat == NULL || !g_atomic_ref_count_dec (&cat->ref))
    return;
  g_free (cat->path);
  g_clear_pointer (&cat->entries, g_array_unref);
  cm_strtab_clear (&cat->index);
  g_clear_pointer (&cat->strings, g_string_chunk_free);
  g_clear_pointer (&cat->meta, g_ptr_array_unref);
  g_free (cat);
}

const CmCatalogueEntry *
cm_catalogue_lookup (const CmCatalogue *cat, const char *code)
{
  guint32 i;

  g_return_val_if_fail (cat != NULL && code != NULL, NULL);
  i = cm_strtab_lookup (&cat->index, code, strlen (code));
  return i == CM_STRTAB_NONE ? NULL
                             : &g_array_index (cat->entries, CmCatalogueEntry, i);
}

guint
cm_catalogue_get_n_entries (const CmCatalogue *cat)
{
  g_return_val_if_fail (cat != NULL, 0);
  return cat->entries->len;
}

const CmCatalogueEntry *
cm_catalogue_get_entry (const CmCatalogue *cat, guint i)
{
  g_return_val_if_fail (cat != NULL && i < cat->entries->len, NULL);
  return &g_array_index (cat->entries, CmCatalogueEntry, i);
}

const char *
cm_catalogue_get_meta (const CmCatalogue *cat, const char *key)
{
  g_return_val_if_fail (cat != NULL && key != NULL, NULL);
  for (guint i = 0; i + 1 < cat->meta->len; i += 2)
    if (strcmp (cat->meta->pdata[i], key) == 0)
      return cat->meta->pdata[i + 1];
  return NULL;
}

gboolean
cm_catalogue_has_means (const CmCatalogue *cat)
{
  g_return_val_if_fail (cat != NULL, FALSE);
  return cat->has_means;
}

const char *
cm_catalogue_get_path (const CmCatalogue *cat)
{
  g_return_val_if_fail (cat != NULL, NULL);
  return cat->path;
}

/* ---------------------------------------------------------------------- */
/* DIP comprehensive pooling                                               */

enum {
  PX_OR = 1 << 0,        /* or_procedures.tsv: class S */
  PX_IGNORED = 1 << 1,   /* excluded_px.tsv 按保守治疗入组 */
  PX_COND = 1 << 2,      /* ignored unless D[0] matches principal_allowed_if_dx */
};

struct _CmDipPool {
  gatomicrefcount ref;
  GHashTable *px;            /* code → flags (GUINT_TO_POINTER) */
  GHashTable *cond;          /* code → condition text */
  GStringChunk *strings;
  guint n_levels;
  CmDipPoolLevel levels[CM_DIP_POOL_MAX_LEVELS];
};

static gboolean
is_cat3 (const char *s)
{
  return g_ascii_isupper (s[0]) && g_ascii_isdigit (s[1]) && g_ascii_isdigit (s[2]);
}

/* GROUPING.md §3.1: `*`, a range L-H of categories, or a plain prefix. */
static gboolean
dx_cond_matches (const char *cond, const char *code)
{
  const char *p = cond;

  while (*p)
    {
      const char *bar = strchr (p, '|');
      gsize len = bar ? (gsize) (bar - p) : strlen (p);

      if (len == 1 && *p == '*')
        return TRUE;
      if (len == 7 && p[3] == '-' && is_cat3 (p) && is_cat3 (p + 4))
        {
          if (strlen (code) >= 3 && strncmp (code, p, 3) >= 0
              && strncmp (code, p + 4, 3) <= 0)
            return TRUE;
        }
      else if (len > 0 && strncmp (code, p, len) == 0)
        return TRUE;
      if (bar == NULL)
        break;
      p = bar + 1;
    }
  return FALSE;
}

static gboolean
pool_add (CmDipPool *pool, const char *code, guint flag)
{
  gpointer old = NULL;
  char *key;

  if (g_hash_table_lookup_extended (pool->px, code, (gpointer *) &key, &old))
    {
      g_hash_table_insert (pool->px, key, GUINT_TO_POINTER (GPOINTER_TO_UINT (old) | flag));
      return FALSE;
    }
  key = g_string_chunk_insert (pool->strings, code);
  g_hash_table_insert (pool->px, key, GUINT_TO_POINTER (flag));
  return TRUE;
}

CmDipPool *
cm_dip_pool_load (const char *dir, const CmDipPoolLevel *levels, guint n_levels,
                  GError **error)
{
  g_autoptr (CmDipPool) pool = NULL;
  g_autofree char *or_path = NULL, *ex_path = NULL;
  static const char *const or_cols[] = { "code", "name" };
  static const char *const ex_cols[] = { "code", "note", "principal_allowed_if_dx",
                                         "name", "source_row" };
  g_autoptr (GError) local = NULL;
  CmPayTsv t;

  g_return_val_if_fail (dir != NULL && levels != NULL, NULL);
  g_return_val_if_fail (n_levels >= 1 && n_levels <= CM_DIP_POOL_MAX_LEVELS, NULL);
  pool = g_new0 (CmDipPool, 1);
  g_atomic_ref_count_init (&pool->ref);
  pool->px = g_hash_table_new (g_str_hash, g_str_equal);
  pool->cond = g_hash_table_new (g_str_hash, g_str_equal);
  pool->strings = g_string_chunk_new (65536);
  pool->n_levels = n_levels;
  memcpy (pool->levels, levels, n_levels * sizeof *levels);

  or_path = g_build_filename (dir, "or_procedures.tsv", NULL);
  if (!cm_pay_tsv_open (&t, or_path, or_cols, G_N_ELEMENTS (or_cols), 1, error))
    {
      cm_pay_tsv_close (&t);
      return NULL;
    }
  while (cm_pay_tsv_next (&t, &local))
    pool_add (pool, cm_pay_tsv_get (&t, 0), PX_OR);
  cm_pay_tsv_close (&t);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }

  ex_path = g_build_filename (dir, "excluded_px.tsv", NULL);
  if (!cm_pay_tsv_open (&t, ex_path, ex_cols, G_N_ELEMENTS (ex_cols), 2, error))
    {
      cm_pay_tsv_close (&t);
      return NULL;
    }
  while (cm_pay_tsv_next (&t, &local))
    {
      const char *code = cm_pay_tsv_get (&t, 0);
      const char *note = cm_pay_tsv_get (&t, 1);
      const char *cond = cm_pay_tsv_get (&t, 2);

      /* GROUPING.md §5.2: the condition column wins; 按保守治疗入组 is
       * ignored; 不可作为主要手术操作 stays effective (class only) */
      if (cond != NULL && *cond != '\0')
        {
          pool_add (pool, code, PX_COND);
          g_hash_table_insert (pool->cond,
                               g_string_chunk_insert_const (pool->strings, code),
                               g_string_chunk_insert_const (pool->strings, cond));
        }
      else if (strcmp (note, "按保守治疗入组") == 0)
        pool_add (pool, code, PX_IGNORED);
    }
  cm_pay_tsv_close (&t);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return g_steal_pointer (&pool);
}

CmDipPool *
cm_dip_pool_ref (CmDipPool *pool)
{
  g_return_val_if_fail (pool != NULL, NULL);
  g_atomic_ref_count_inc (&pool->ref);
  return pool;
}

void
cm_dip_pool_unref (CmDipPool *pool)
{
  if (pool == NULL || !g_atomic_ref_count_dec (&pool->ref))
    return;
  g_clear_pointer (&pool->px, g_hash_table_unref);
  g_clear_pointer (&pool->cond, g_hash_table_unref);
  g_clear_pointer (&pool->strings, g_string_chunk_free);
  g_free (pool);
}

guint
cm_dip_pool_get_n_levels (const CmDipPool *pool)
{
  g_return_val_if_fail (pool != NULL, 0);
  return pool->n_levels;
}

char
cm_dip_pool_class (const CmDipPool *pool, const CmEpisode *ep)
{
  gboolean effective = FALSE;

  g_return_val_if_fail (pool != NULL && ep != NULL, 'M');
  for (guint i = 0; i < ep->n_px; i++)
    {
      const char *code = ep->px[i];
      guint flags;

      if (code == NULL || *code == '\0')
        continue;
      flags = GPOINTER_TO_UINT (g_hash_table_lookup (pool->px, code));
      if (flags & PX_IGNORED)
        continue;
      if ((flags & PX_COND)
          && (ep->n_dx == 0 || ep->dx[0] == NULL
              || !dx_cond_matches (g_hash_table_lookup (pool->cond, code), ep->dx[0])))
        continue;
      if (flags & PX_OR)
        return 'S';
      effective = TRUE;
    }
  return effective ? 'P' : 'M';
}

/* "ZH-" mid "-" cls, by hand: this runs for every pooled case. */
static void
write_pool_id (char *buf, const char *mid, gsize mid_len, char cls)
{
  memcpy (buf, "ZH-", 3);
  memcpy (buf + 3, mid, mid_len);
  buf[3 + mid_len] = '-';
  buf[4 + mid_len] = cls;
  buf[5 + mid_len] = '\0';
}

gboolean
cm_dip_pool_id (const CmDipPool *pool, guint level_index,
                const char *principal_dx, char cls, char *buf)
{
  g_return_val_if_fail (pool != NULL && buf != NULL, FALSE);
  if (level_index >= pool->n_levels)
    return FALSE;
  switch (pool->levels[level_index])
    {
    case CM_DIP_POOL_CATEGORY:
      if (principal_dx == NULL || !is_cat3 (principal_dx))
        return FALSE;
      write_pool_id (buf, principal_dx, 3, cls);
      return TRUE;
    case CM_DIP_POOL_CHAPTER:
      if (principal_dx == NULL || !is_cat3 (principal_dx))
        return FALSE;
      write_pool_id (buf, principal_dx, 1, cls);
      return TRUE;
    case CM_DIP_POOL_ALL:
    default:
      write_pool_id (buf, "*", 1, cls);
      return TRUE;
    }
}

/* ---------------------------------------------------------------------- */
/* The statistic                                                           */

#define FIXED_FEN ((CmWide) 1000000000)  /* 10^-9 fen resolution */

/* A weighted mean as the exact rational num/den fen (exact mode) or as
 * Σ w·⌊S·10⁹/n⌋ over Σ w (fixed mode, den = Σ w). */
typedef struct {
  CmWide num, den;
  gboolean fixed;
} Mean;

static guint
years_with_cases (const CmYearStat *s, const gint64 *w, guint n)
{
  guint used = 0;
  for (guint y = 0; y < n; y++)
    if (s[y].n > 0 && w[y] > 0)
      used++;
  return used;
}

static gboolean
weighted_mean (const CmYearStat *s, const gint64 *w, guint n, gboolean fixed,
               Mean *m)
{
  m->num = m->den = 0;
  m->fixed = fixed;
  for (guint y = 0; y < n; y++)
    {
      if (s[y].n <= 0 || w[y] <= 0)
        continue;
      if (fixed)
        {
          m->num += (CmWide) w[y] * ((CmWide) s[y].sum_fen * FIXED_FEN / s[y].n);
          m->den += w[y];
        }
      else
        {
          m->num += (CmWide) w[y] * s[y].sum_fen;
          m->den += (CmWide) w[y] * s[y].n;
        }
    }
  return m->den > 0;
}

/* Exact unless yearly means of several years are weighted. */
static gboolean
use_fixed (const CmYearStat *all, const gint64 *w, guint n, CmMeanMethod mean)
{
  return mean == CM_MEAN_YEARLY && years_with_cases (all, w, n) > 1;
}

gboolean
cm_catalogue_weighted_ratio_e4 (const CmYearStat *group, const CmYearStat *all,
                                const gint64 *weights, guint n_years,
                                CmMeanMethod mean, gint64 scale, CmE4 *out)
{
  gboolean fixed;
  Mean g, a;

  g_return_val_if_fail (group != NULL && all != NULL && weights != NULL, FALSE);
  g_return_val_if_fail (out != NULL && n_years <= CM_CATALOGUE_MAX_YEARS, FALSE);
  fixed = use_fixed (all, weights, n_years, mean);
  if (!weighted_mean (group, weights, n_years, fixed, &g)
      || !weighted_mean (all, weights, n_years, fixed, &a) || a.num <= 0)
    return FALSE;
  /* (g.num / g.den) / (a.num / a.den) × scale, in 10⁻⁴; in fixed mode the
   * 10⁹ factors cancel */
  return cm_round_published_e4 (g.num * a.den * scale * CM_E4_ONE,
                                g.den * a.num, out);
}

gboolean
cm_catalogue_weighted_mean_fen (const CmYearStat *stats, const gint64 *weights,
                                guint n_years, CmMeanMethod mean, CmFen *out)
{
  Mean m;
  gboolean fixed;

  g_return_val_if_fail (stats != NULL && weights != NULL && out != NULL, FALSE);
  fixed = use_fixed (stats, weights, n_years, mean);
  if (!weighted_mean (stats, weights, n_years, fixed, &m))
    return FALSE;
  return cm_round_published_rate_fen (m.num, fixed ? m.den * FIXED_FEN : m.den,
                                      out);
}

/* ---------------------------------------------------------------------- */
/* Building                                                                */

void
cm_catalogue_options_init (CmCatalogueOptions *o, CmSchemeFamily family)
{
  g_return_if_fail (o != NULL);
  memset (o, 0, sizeof *o);
  /* drg-payment.md §2 / dip.md §3: 1:2:7 [S]/[A]; trimming [A]; dip.md §2.1
   * threshold 15 [N~]; dip.md §3 scale 1000 [A] */
  o->n_year_weights = 3;
  o->year_weights[0] = 1;
  o->year_weights[1] = 2;
  o->year_weights[2] = 7;
  o->mean = CM_MEAN_YEARLY;
  o->trim_low_permille = 25;
  o->trim_high_permille = 975;
  o->threshold = 15;
  o->scale = family == CM_SCHEME_FAMILY_DIP ? 1000 : 1;
  o->include_per_diem = FALSE;
  o->los_max_short = -1;
  o->los_min_long = -1;
}

typedef struct {
  gint64 cost;
  gint32 year;
  guint8 level;
  char cls;       /* DIP pooling class S / P / M */
  char cat[4];    /* D[0]'s first three characters when a category, else "" */
} CaseRec;

enum {
  LBL_USED, LBL_PER_DIEM, LBL_UNGROUPED, LBL_EXCLUDED_DX, LBL_LOS, N_LBL
};
static const char *const labels[N_LBL] = {
  "used", "per-diem", "ungrouped", "excluded-dx", "los-window",
};

struct _CmCatalogueBuilder {
  CmSchemeFamily family;
  CmCatalogueOptions opt;
  CmDipPool *pool;
  GHashTable *groups;     /* code (owned) → GArray of CaseRec */
  GArray *pooled;         /* CaseRec: cases the grouper put in a comprehensive group */
  guint64 counts[N_LBL];
  gint32 first_date, last_date;
};

static void
array_free (gpointer p)
{
  g_array_unref (p);
}

CmCatalogueBuilder *
cm_catalogue_builder_new (CmSchemeFamily family, const CmCatalogueOptions *options,
                          CmDipPool *pool)
{
  CmCatalogueBuilder *b;

  g_return_val_if_fail (family == CM_SCHEME_FAMILY_DRG || pool != NULL, NULL);
  b = g_new0 (CmCatalogueBuilder, 1);
  b->family = family;
  if (options != NULL)
    b->opt = *options;
  else
    cm_catalogue_options_init (&b->opt, family);
  b->pool = pool ? cm_dip_pool_ref (pool) : NULL;
  b->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, array_free);
  b->pooled = g_array_new (FALSE, FALSE, sizeof (CaseRec));
  b->first_date = G_MAXINT32;
  b->last_date = G_MININT32;
  return b;
}

void
cm_catalogue_builder_free (CmCatalogueBuilder *b)
{
  if (b == NULL)
    return;
  g_clear_pointer (&b->groups, g_hash_table_unref);
  g_clear_pointer (&b->pooled, g_array_unref);
  g_clear_pointer (&b->pool, cm_dip_pool_unref);
  g_free (b);
}

static GArray *
group_array (GHashTable *groups, const char *code)
{
  GArray *a = g_hash_table_lookup (groups, code);
  if (a == NULL)
    {
      a = g_array_new (FALSE, FALSE, sizeof (CaseRec));
      g_hash_table_insert (groups, g_strdup (code), a);
    }
  return a;
}

const char *
cm_catalogue_builder_add (CmCatalogueBuilder *b, const CmEpisode *ep,
                          const CmGroupResult *res)
{
  CaseRec rec = { 0 };
  gint32 los;

  g_return_val_if_fail (b != NULL && ep != NULL && res != NULL, NULL);
  if (ep->per_diem_category != CM_PER_DIEM_NONE && !b->opt.include_per_diem)
    return b->counts[LBL_PER_DIEM]++, labels[LBL_PER_DIEM];
  los = cm_price_los_days (ep->admit_date, ep->discharge_date);
  if ((b->opt.los_max_short >= 0 && los <= b->opt.los_max_short)
      || (b->opt.los_min_long >= 0 && los >= b->opt.los_min_long))
    return b->counts[LBL_LOS]++, labels[LBL_LOS];
  rec.cost = ep->total_cost_fen;
  rec.year = cm_date_year (ep->discharge_date);
  rec.level = (guint8) CLAMP (ep->hospital_level, 0, 3);

  if (b->family == CM_SCHEME_FAMILY_DRG)
    {
      if (strcmp (res->status, "SUCCESS") != 0)
        return b->counts[LBL_UNGROUPED]++, labels[LBL_UNGROUPED];
      g_array_append_val (group_array (b->groups, res->drg), rec);
    }
  else
    {
      gboolean grouped = strcmp (res->status, "GROUPED") == 0;

      if (strcmp (res->status, "EXCLUDED_DX") == 0)
        return b->counts[LBL_EXCLUDED_DX]++, labels[LBL_EXCLUDED_DX];
      if (!grouped && strcmp (res->status, "COMPREHENSIVE") != 0)
        return b->counts[LBL_UNGROUPED]++, labels[LBL_UNGROUPED];
      /* GROUPING.md §7.2, computed by the grouper for every core and
       * comprehensive case; a result made by hand may lack it */
      rec.cls = res->procedure_class ? res->procedure_class
                                     : cm_dip_pool_class (b->pool, ep);
      if (ep->n_dx > 0 && ep->dx[0] != NULL && is_cat3 (ep->dx[0]))
        memcpy (rec.cat, ep->dx[0], 3);
      if (grouped)
        g_array_append_val (group_array (b->groups, res->group_id), rec);
      else
        g_array_append_val (b->pooled, rec);
    }
  b->first_date = MIN (b->first_date, ep->discharge_date);
  b->last_date = MAX (b->last_date, ep->discharge_date);
  return b->counts[LBL_USED]++, labels[LBL_USED];
}

void
cm_catalogue_builder_merge (CmCatalogueBuilder *dst, CmCatalogueBuilder *src)
{
  GHashTableIter it;
  gpointer k, v;

  g_return_if_fail (dst != NULL && src != NULL && dst->family == src->family);
  g_hash_table_iter_init (&it, src->groups);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      GArray *a = v;
      GArray *d = group_array (dst->groups, k);
      g_array_append_vals (d, a->data, a->len);
    }
  g_hash_table_remove_all (src->groups);
  g_array_append_vals (dst->pooled, src->pooled->data, src->pooled->len);
  g_array_set_size (src->pooled, 0);
  for (guint i = 0; i < N_LBL; i++)
    {
      dst->counts[i] += src->counts[i];
      src->counts[i] = 0;
    }
  dst->first_date = MIN (dst->first_date, src->first_date);
  dst->last_date = MAX (dst->last_date, src->last_date);
}

/* A final group of the table. */
typedef struct {
  char *code;
  gboolean comprehensive;
  GArray *cases;          /* CaseRec, in the year window */
  guint n_used;
  CmYearStat years[CM_CATALOGUE_MAX_YEARS];
  CmYearStat level_years[4][CM_CATALOGUE_MAX_YEARS];
  CmE4 weight_e4;
} Final;

static void
final_free (gpointer p)
{
  Final *f = p;
  g_free (f->code);
  g_array_unref (f->cases);
  g_free (f);
}

static Final *
final_new (const char *code, gboolean comprehensive, GArray *cases)
{
  Final *f = g_new0 (Final, 1);
  f->code = g_strdup (code);
  f->comprehensive = comprehensive;
  f->cases = cases;
  return f;
}

static int
cmp_cost (gconstpointer a, gconstpointer b)
{
  const CaseRec *x = a, *y = b;
  return x->cost < y->cost ? -1 : x->cost > y->cost;
}

static int
cmp_final (gconstpointer a, gconstpointer b)
{
  const Final *const *x = a, *const *y = b;
  return strcmp ((*x)->code, (*y)->code);
}

/* Cases of @src inside the window [y0, y0 + n) appended to @dst. */
static guint
take_window (GArray *dst, const GArray *src, int y0, guint n)
{
  guint taken = 0;
  for (guint i = 0; i < src->len; i++)
    {
      const CaseRec *r = &g_array_index (src, CaseRec, i);
      if (r->year >= y0 && r->year < y0 + (int) n)
        {
          g_array_append_vals (dst, r, 1);
          taken++;
        }
    }
  return taken;
}

/* dip-catalogue-building.md §3–§4: pools @pending level by level. */
static void
pool_cases (CmCatalogueBuilder *b, GArray *pending, GPtrArray *finals,
            guint64 *dropped)
{
  guint n_levels = cm_dip_pool_get_n_levels (b->pool);

  for (guint lv = 0; lv < n_levels && pending->len > 0; lv++)
    {
      g_autoptr (GHashTable) buckets =
        g_hash_table_new_full (g_str_hash, g_str_equal, g_free, array_free);
      g_autoptr (GArray) next = g_array_new (FALSE, FALSE, sizeof (CaseRec));
      g_autoptr (GList) keys = NULL;
      gboolean last = lv + 1 == n_levels;

      for (guint i = 0; i < pending->len; i++)
        {
          const CaseRec *r = &g_array_index (pending, CaseRec, i);
          char id[CM_DIP_POOL_ID_LEN];

          if (cm_dip_pool_id (b->pool, lv, r->cat, r->cls, id))
            g_array_append_vals (group_array (buckets, id), r, 1);
          else
            g_array_append_vals (next, r, 1);
        }
      keys = g_hash_table_get_keys (buckets);
      keys = g_list_sort (keys, (GCompareFunc) strcmp);
      for (GList *l = keys; l; l = l->next)
        {
          GArray *a = g_hash_table_lookup (buckets, l->data);
          if (last || a->len >= b->opt.threshold)
            {
              gpointer key = NULL, val = NULL;
              g_hash_table_steal_extended (buckets, l->data, &key, &val);
              g_ptr_array_add (finals, final_new (key, TRUE, val));
              g_free (key);
            }
          else
            g_array_append_vals (next, a->data, a->len);
        }
      g_array_set_size (pending, 0);
      g_array_append_vals (pending, next->data, next->len);
    }
  *dropped += pending->len;
}

/* Trims @f's costs and fills its statistics; adds the retained cases to
 * @all. */
static void
final_stats (const CmCatalogueBuilder *b, Final *f, int y0, CmYearStat *all)
{
  guint n = f->cases->len;
  guint lo = (guint) ((guint64) n * b->opt.trim_low_permille / 1000);
  guint hi = (guint) ((guint64) n * (1000 - MIN (b->opt.trim_high_permille, 1000)) / 1000);

  g_array_sort (f->cases, cmp_cost);
  if (lo + hi >= n)
    lo = hi = 0;  /* never trim a group away */
  f->n_used = n - lo - hi;
  for (guint i = lo; i < n - hi; i++)
    {
      const CaseRec *r = &g_array_index (f->cases, CaseRec, i);
      guint y = (guint) (r->year - y0);
      f->years[y].sum_fen += r->cost;
      f->years[y].n++;
      f->level_years[r->level][y].sum_fen += r->cost;
      f->level_years[r->level][y].n++;
      all[y].sum_fen += r->cost;
      all[y].n++;
    }
}

static void
put_fen (GString *s, const CmYearStat *st, const CmCatalogueOptions *o)
{
  CmFen m;
  g_string_append_c (s, '\t');
  if (cm_catalogue_weighted_mean_fen (st, o->year_weights, o->n_year_weights,
                                      o->mean, &m))
    cm_fen_append (s, m);
}

gboolean
cm_catalogue_builder_write (CmCatalogueBuilder *b, FILE *out,
                            const char *const *meta, GError **error)
{
  const CmCatalogueOptions *o = &b->opt;
  g_autoptr (GPtrArray) finals = g_ptr_array_new_with_free_func (final_free);
  g_autoptr (GArray) pending = g_array_new (FALSE, FALSE, sizeof (CaseRec));
  g_autoptr (GString) s = g_string_new (NULL);
  CmYearStat all[CM_CATALOGUE_MAX_YEARS] = { { 0 } };
  guint64 dropped = 0, outside = 0, used = 0;
  int newest = G_MININT, y0;
  GHashTableIter it;
  gpointer k, v;
  CmWide wc = 0, wp = 0;
  gboolean dip = b->family == CM_SCHEME_FAMILY_DIP;
  char d1[11], d2[11];

  g_return_val_if_fail (b != NULL && out != NULL, FALSE);
  /* 1. the year window */
  g_hash_table_iter_init (&it, b->groups);
  while (g_hash_table_iter_next (&it, &k, &v))
    for (guint i = 0; i < ((GArray *) v)->len; i++)
      newest = MAX (newest, g_array_index ((GArray *) v, CaseRec, i).year);
  for (guint i = 0; i < b->pooled->len; i++)
    newest = MAX (newest, g_array_index (b->pooled, CaseRec, i).year);
  if (newest == G_MININT)
    {
      g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_PARAMETER,
                   "no grouped case to build a catalogue from");
      return FALSE;
    }
  y0 = newest - (int) o->n_year_weights + 1;

  /* 2. groups, DIP core groups under the threshold into the pools */
  g_hash_table_iter_init (&it, b->groups);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      GArray *w = g_array_new (FALSE, FALSE, sizeof (CaseRec));
      guint n = take_window (w, v, y0, o->n_year_weights);

      outside += ((GArray *) v)->len - n;
      if (n == 0)
        g_array_unref (w);
      else if (!dip || n >= o->threshold)
        g_ptr_array_add (finals, final_new (k, FALSE, w));
      else
        {
          g_array_append_vals (pending, w->data, w->len);
          g_array_unref (w);
        }
    }
  if (dip)
    {
      guint n = take_window (pending, b->pooled, y0, o->n_year_weights);
      outside += b->pooled->len - n;
      pool_cases (b, pending, finals, &dropped);
    }
  g_ptr_array_sort (finals, cmp_final);

  /* 3. trimming and statistics */
  for (guint i = 0; i < finals->len; i++)
    final_stats (b, finals->pdata[i], y0, all);
  for (guint y = 0; y < o->n_year_weights; y++)
    used += (guint64) all[y].n;

  /* 4. weights, the totals for the point value / rate */
  for (guint i = 0; i < finals->len; i++)
    {
      Final *f = finals->pdata[i];
      if (!cm_catalogue_weighted_ratio_e4 (f->years, all, o->year_weights,
                                           o->n_year_weights, o->mean, o->scale,
                                           &f->weight_e4) || f->weight_e4 == 0)
        {
          g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_PARAMETER,
                       "group %s: the weight cannot be computed (zero costs?)",
                       f->code);
          return FALSE;
        }
      for (guint y = 0; y < o->n_year_weights; y++)
        wp += (CmWide) o->year_weights[y] * f->weight_e4 * f->years[y].n;
    }
  for (guint y = 0; y < o->n_year_weights; y++)
    wc += (CmWide) o->year_weights[y] * all[y].sum_fen;

  /* 5. write */
  g_string_append_printf (s, "# generator\tcasemix catalogue build %s (do not edit: rebuild)\n",
                          CM_VERSION);
  g_string_append_printf (s, "# family\t%s\n", dip ? "DIP" : "DRG");
  for (guint i = 0; meta != NULL && meta[i] != NULL && meta[i + 1] != NULL; i += 2)
    g_string_append_printf (s, "# %s\t%s\n", meta[i], meta[i + 1]);
  cm_date_format (b->first_date, d1);
  cm_date_format (b->last_date, d2);
  g_string_append_printf (s, "# base_period\t%s..%s (discharge dates of the cases used)\n",
                          d1, d2);
  g_string_append (s, "# year_weights\t");
  for (guint y = 0; y < o->n_year_weights; y++)
    g_string_append_printf (s, "%s%d:%" G_GINT64_FORMAT, y ? " " : "", y0 + (int) y,
                            o->year_weights[y]);
  g_string_append_printf (s, " (%s)\n", o->mean == CM_MEAN_YEARLY
                          ? "weights on yearly means" : "weights on cases");
  g_string_append_printf (s, "# method\t%s = round4 (weighted mean cost of the group / "
                          "weighted mean cost of all retained cases × %" G_GINT64_FORMAT
                          "), half-up\n", dip ? "score" : "weight", o->scale);
  g_string_append_printf (s, "# trim\tper group: lowest %u‰ and highest %u‰ of costs "
                          "(floor of n × share each side)\n",
                          o->trim_low_permille, 1000 - MIN (o->trim_high_permille, 1000));
  if (dip)
    {
      static const char *const level_names[] = { "category", "chapter", "all" };
      g_string_append_printf (s, "# threshold\t%u cases (core groups below it are pooled "
                              "into comprehensive groups by", o->threshold);
      for (guint i = 0; i < b->pool->n_levels; i++)
        g_string_append_printf (s, "%s %s", i ? "," : "", level_names[b->pool->levels[i]]);
      g_string_append (s, ")\n");
    }
  g_string_append_printf (s, "# cases\tused %" G_GUINT64_FORMAT ", per-diem %"
                          G_GUINT64_FORMAT ", ungrouped %" G_GUINT64_FORMAT
                          ", excluded-dx %" G_GUINT64_FORMAT ", los-window %"
                          G_GUINT64_FORMAT ", outside the year window %"
                          G_GUINT64_FORMAT ", not poolable %" G_GUINT64_FORMAT
                          ", trimmed %" G_GUINT64_FORMAT "\n",
                          b->counts[LBL_USED], b->counts[LBL_PER_DIEM],
                          b->counts[LBL_UNGROUPED], b->counts[LBL_EXCLUDED_DX],
                          b->counts[LBL_LOS], outside, dropped,
                          b->counts[LBL_USED] - outside - dropped - used);
  g_string_append (s, "# all_case_mean\t");
  {
    CmFen m = 0;
    cm_catalogue_weighted_mean_fen (all, o->year_weights, o->n_year_weights,
                                    o->mean, &m);
    cm_fen_append (s, m);
    g_string_append (s, " yuan\n");
  }
  if (wp > 0)
    {
      if (dip)
        {
          /* dip.md §5 budget PV = round4 (C_w / P_hist) */
          CmE4 pv = 0;
          if (wc <= G_MAXINT64 && wp <= G_MAXINT64
              && cm_price_point_value_e4 ((CmFen) wc, CM_E4_ONE, (CmE4) wp, &pv))
            {
              g_string_append (s, "# budget_point_value\t");
              cm_e4_append (s, pv);
              g_string_append (s, " yuan per point (dip.md §5: weighted cost / weighted points of the cases used)\n");
            }
        }
      else
        {
          /* history-based rate: weighted cost / weighted total weight */
          CmFen rate = 0;
          if (cm_round_published_rate_fen (wc * CM_E4_ONE, wp, &rate))
            {
              g_string_append (s, "# cost_neutral_rate\t");
              cm_fen_append (s, rate);
              g_string_append (s, " yuan per 1.0 weight (weighted cost / weighted total weight of the cases used)\n");
            }
        }
    }
  g_string_append_printf (s, "%s\t%s\tkind\tn_cases\tn_used\tmean_cost\tmean_cost_l1\t"
                          "mean_cost_l2\tmean_cost_l3\n",
                          dip ? "group_id" : "drg", dip ? "score" : "weight");
  for (guint i = 0; i < finals->len; i++)
    {
      Final *f = finals->pdata[i];
      g_string_append (s, f->code);
      g_string_append_c (s, '\t');
      cm_e4_append (s, f->weight_e4);
      g_string_append_printf (s, "\t%s\t%u\t%u", f->comprehensive ? "comprehensive" : "core",
                              f->cases->len, f->n_used);
      put_fen (s, f->years, o);
      for (guint l = 1; l <= 3; l++)
        put_fen (s, f->level_years[l], o);
      g_string_append_c (s, '\n');
    }
  if (fwrite (s->str, 1, s->len, out) != s->len)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "write error: %s", g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}
