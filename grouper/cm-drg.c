/* cm-drg.c — loading a flat DRG scheme and grouping episodes with it.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The grouping pipeline (schemes/FORMAT.md §5, reference semantics):
 *
 *   build D and P (§3; optional translation §5.1)
 *     → input checks in check_order (§5.2): the first true row decides
 *     → search (§5.3): MDC rows in mdc_order; inside an MDC whose entry
 *       condition holds, ADRG/QY/fail rules in rule_order; inside a rule
 *       that holds, DRG splits in split_order, else the rule's fallback;
 *       an MDC that yields nothing does not commit: the next MDC is tried
 *     → retry with each secondary procedure alone (§5.4, when configured)
 *     → the result code R becomes status, mdc, adrg, drg (§5.5, §9.2).
 *
 * A numeric comparison on a non-integer value is an evaluation error: the
 * checks turn it into check_error_status, the search into ERROR (§4.3). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "cm-drg-private.h"
#include "cm-trace-private.h"
#include "cm-tsv-private.h"

struct _CmDrgContext {
  CmDrgScheme *scheme;
  guint32 dx_ids[CM_MAX_CODES];
  guint32 px_ids[CM_MAX_CODES];
  const char *tdx[CM_MAX_CODES];
  const char *tpx[CM_MAX_CODES];
  guint64 *bits;  /* CM_N_BITS bitsets of cm_bits_words() words */
};

/* --- loading ------------------------------------------------------------- */

typedef struct {
  guint32 code;
  guint32 list;
} Membership;

typedef struct {
  CmDrgScheme *s;
  const char *dir;
  GArray *members;  /* Membership */
  guint32 info_cap;
} Loader;

static guint32
code_id (Loader *ld, const char *code)
{
  CmDrgScheme *s = ld->s;
  guint32 id = cm_strtab_intern (&s->codes, code, strlen (code));

  if (id >= ld->info_cap)
    {
      guint32 old = ld->info_cap;
      ld->info_cap = MAX (1024, ld->info_cap * 2);
      s->info = g_renew (CmCodeInfo, s->info, ld->info_cap);
      for (guint32 i = old; i < ld->info_cap; i++)
        {
          CmCodeInfo *ci = &s->info[i];
          ci->lists_off = 0;
          ci->n_lists = 0;
          ci->mcc_excl = ci->cc_excl = ci->pdx_excl = CM_NO_ID;
          ci->dx_target = ci->px_target = CM_NO_ID;
        }
    }
  return id;
}

static const char *
keep (CmDrgScheme *s, const char *str)
{
  return g_string_chunk_insert_const (s->strings, str);
}

#define COLS(...) (const char *const[]) { __VA_ARGS__ }, \
  G_N_ELEMENTS (((const char *const[]) { __VA_ARGS__ }))

/* key/value tables: meta.tsv, settings.tsv */
static gboolean
load_kv (Loader *ld, const char *name, GHashTable *into, GError **error)
{
  CmTsv t;
  gboolean ok = cm_tsv_open (&t, ld->dir, name, COLS ("key", "value"), error);

  while (ok && cm_tsv_next (&t, error))
    g_hash_table_replace (into, g_strdup (t.cells[0]), g_strdup (t.cells[1]));
  ok = ok && (error == NULL || *error == NULL);
  cm_tsv_close (&t);
  return ok;
}

static gboolean
load_lists (Loader *ld, GError **error)
{
  CmDrgScheme *s = ld->s;
  CmTsv t;
  gboolean ok;
  g_autofree gint64 *declared = NULL;
  guint32 n_lists;
  GError *local = NULL;

  ok = cm_tsv_open (&t, ld->dir, "list_info.tsv",
                    COLS ("list_id", "code_count"), error);
  g_autoptr (GArray) counts = g_array_new (FALSE, FALSE, sizeof (gint64));
  while (ok && cm_tsv_next (&t, &local))
    {
      gint64 count;
      guint32 before = s->lists.n;
      guint32 idx;
      if (t.cells[0][0] == '\0')
        {
          cm_tsv_error (&t, 0, &local, "empty list id");
          break;
        }
      if (!cm_tsv_get_int (&t, 1, 0, G_MAXINT32, &count, &local))
        break;
      idx = cm_strtab_intern (&s->lists, t.cells[0], strlen (t.cells[0]));
      if (idx < before)
        {
          cm_tsv_error (&t, 0, &local, "list '%s' declared twice", t.cells[0]);
          break;
        }
      g_array_append_val (counts, count);
    }
  cm_tsv_close (&t);
  if (local)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  if (!ok)
    return FALSE;

  n_lists = s->lists.n;
  s->list_sizes = g_new0 (guint32, MAX (n_lists, 1));
  if (!cm_tsv_open (&t, ld->dir, "lists.tsv", COLS ("list_id", "code"), error))
    {
      cm_tsv_close (&t);
      return FALSE;
    }
  {
    const char *prev_name = NULL;
    char prev_buf[256];
    guint32 prev = CM_NO_ID;

    while (cm_tsv_next (&t, &local))
      {
        Membership m;
        if (prev_name == NULL || strcmp (prev_name, t.cells[0]) != 0)
          {
            prev = cm_strtab_lookup (&s->lists, t.cells[0], strlen (t.cells[0]));
            if (prev == CM_STRTAB_NONE)
              {
                cm_tsv_error (&t, 0, &local,
                              "list '%s' is not declared in list_info.tsv",
                              t.cells[0]);
                break;
              }
            g_strlcpy (prev_buf, t.cells[0], sizeof prev_buf);
            prev_name = prev_buf;
          }
        if (t.cells[1][0] == '\0')
          {
            cm_tsv_error (&t, 1, &local, "empty code");
            break;
          }
        m.list = prev;
        m.code = code_id (ld, t.cells[1]);
        s->list_sizes[prev]++;
        g_array_append_val (ld->members, m);
      }
  }
  cm_tsv_close (&t);
  if (local)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  for (guint32 i = 0; i < n_lists; i++)
    if ((gint64) s->list_sizes[i] != g_array_index (counts, gint64, i))
      {
        g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                     "%s/list_info.tsv: list '%s' declares %" G_GINT64_FORMAT
                     " codes, lists.tsv has %u", s->id,
                     cm_strtab_get (&s->lists, i),
                     g_array_index (counts, gint64, i), s->list_sizes[i]);
        return FALSE;
      }
  (void) declared;
  return TRUE;
}

/* Counting sort by code, then each code's (short) run sorted by list with
 * insertion sort; duplicate rows dropped (lists are sets). */
static void
build_memberships (Loader *ld)
{
  CmDrgScheme *s = ld->s;
  GArray *m = ld->members;
  guint32 n_codes = s->codes.n;
  g_autofree guint32 *start = g_new0 (guint32, (gsize) n_codes + 1);
  g_autofree guint32 *fill = NULL;
  g_autofree guint32 *sorted = g_new (guint32, MAX (m->len, 1));
  guint32 out = 0;

  for (guint i = 0; i < m->len; i++)
    start[g_array_index (m, Membership, i).code + 1]++;
  for (guint32 c = 0; c < n_codes; c++)
    start[c + 1] += start[c];
  fill = g_memdup2 (start, sizeof (guint32) * n_codes);
  for (guint i = 0; i < m->len; i++)
    {
      Membership *x = &g_array_index (m, Membership, i);
      sorted[fill[x->code]++] = x->list;
    }
  s->list_members = g_new (guint32, MAX (m->len, 1));
  for (guint32 c = 0; c < n_codes; c++)
    {
      guint32 *run = sorted + start[c];
      guint32 len = start[c + 1] - start[c];
      CmCodeInfo *ci = &s->info[c];
      for (guint32 i = 1; i < len; i++)
        {
          guint32 v = run[i], j = i;
          while (j > 0 && run[j - 1] > v)
            {
              run[j] = run[j - 1];
              j--;
            }
          run[j] = v;
        }
      ci->lists_off = out;
      ci->n_lists = 0;
      for (guint32 i = 0; i < len; i++)
        if (i == 0 || run[i] != run[i - 1])
          {
            s->list_members[out++] = run[i];
            ci->n_lists++;
          }
    }
}

static gboolean
load_cc (Loader *ld, GError **error)
{
  CmDrgScheme *s = ld->s;
  CmTsv t;
  GError *local = NULL;

  if (!cm_tsv_open (&t, ld->dir, "cc.tsv",
                    COLS ("code", "level", "exclusion_id"), error))
    {
      cm_tsv_close (&t);
      return FALSE;
    }
  while (cm_tsv_next (&t, &local))
    {
      guint32 id, ex;
      if (t.cells[0][0] == '\0')
        {
          cm_tsv_error (&t, 0, &local, "empty code");
          break;
        }
      id = code_id (ld, t.cells[0]);
      ex = cm_strtab_intern (&s->excl, t.cells[2], strlen (t.cells[2]));
      if (strcmp (t.cells[1], "MCC") == 0)
        s->info[id].mcc_excl = ex;  /* duplicates: last wins, as the reference */
      else if (strcmp (t.cells[1], "CC") == 0)
        s->info[id].cc_excl = ex;
      else
        {
          cm_tsv_error (&t, 1, &local, "level '%s' is neither MCC nor CC",
                        t.cells[1]);
          break;
        }
    }
  cm_tsv_close (&t);
  if (local)
    {
      g_propagate_error (error, local);
      return FALSE;
    }

  if (!cm_tsv_open (&t, ld->dir, "cc_exclusion.tsv",
                    COLS ("pdx_code", "exclusion_id"), error))
    {
      cm_tsv_close (&t);
      return FALSE;
    }
  while (cm_tsv_next (&t, &local))
    {
      guint32 id = code_id (ld, t.cells[0]);
      if (s->info[id].pdx_excl != CM_NO_ID)
        {
          cm_tsv_error (&t, 0, &local,
                        "principal diagnosis '%s' has a second exclusion id",
                        t.cells[0]);
          break;
        }
      s->info[id].pdx_excl = cm_strtab_intern (&s->excl, t.cells[1],
                                               strlen (t.cells[1]));
    }
  cm_tsv_close (&t);
  if (local)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return TRUE;
}

static gboolean
load_map (Loader *ld, const char *name, gboolean dx, GError **error)
{
  CmTsv t;
  GError *local = NULL;

  if (!cm_tsv_open (&t, ld->dir, name, COLS ("source_code", "target_code"),
                    error))
    {
      cm_tsv_close (&t);
      return FALSE;
    }
  while (cm_tsv_next (&t, &local))
    {
      guint32 src = code_id (ld, t.cells[0]);
      guint32 dst = code_id (ld, t.cells[1]);
      if (dx)
        ld->s->info[src].dx_target = dst;
      else
        ld->s->info[src].px_target = dst;
    }
  cm_tsv_close (&t);
  if (local)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return TRUE;
}

static gboolean
load_names (Loader *ld, const char *name, const char *key, gboolean optional,
            GError **error)
{
  CmTsv t;
  GError *local = NULL;

  if (optional && !cm_tsv_exists (ld->dir, name))
    return TRUE;
  if (!cm_tsv_open (&t, ld->dir, name, COLS (key, "name"), error))
    {
      cm_tsv_close (&t);
      return FALSE;
    }
  while (cm_tsv_next (&t, &local))
    g_hash_table_replace (ld->s->names, (char *) keep (ld->s, t.cells[0]),
                          (char *) keep (ld->s, t.cells[1]));
  cm_tsv_close (&t);
  if (local)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return TRUE;
}

/* A compiled-condition cache: distinct text → root node. */
static gboolean
compile (Loader *ld, GHashTable *cache, CmTsv *t, guint col, guint32 *root,
         GError **error)
{
  gpointer hit;
  g_autofree char *where = NULL;

  if (g_hash_table_lookup_extended (cache, t->cells[col], NULL, &hit))
    {
      *root = GPOINTER_TO_UINT (hit);
      return TRUE;
    }
  where = g_strdup_printf ("%s:%u", t->display, t->line_no);
  if (!cm_cond_compile (ld->s, t->cells[col], where, t->cell_col[col], root,
                        error))
    return FALSE;
  g_hash_table_insert (cache, g_strdup (t->cells[col]),
                       GUINT_TO_POINTER (*root));
  return TRUE;
}

static int
mdc_cmp (const void *a, const void *b)
{
  const CmDrgMdc *x = a, *y = b;
  return x->order < y->order ? -1 : x->order > y->order;
}

typedef struct {
  CmDrgRule rule;
  guint32 mdc;  /* index in mdcs */
} RuleRow;

static int
rule_cmp (const void *a, const void *b)
{
  const RuleRow *x = a, *y = b;
  if (x->mdc != y->mdc)
    return x->mdc < y->mdc ? -1 : 1;
  return x->rule.order < y->rule.order ? -1 : x->rule.order > y->rule.order;
}

typedef struct {
  CmDrgSplit split;
  guint32 rule;
  gint64 order;
} SplitRow;

static int
split_cmp (const void *a, const void *b)
{
  const SplitRow *x = a, *y = b;
  if (x->rule != y->rule)
    return x->rule < y->rule ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static int
check_cmp (const void *a, const void *b)
{
  const CmDrgCheck *x = a, *y = b;
  return x->order < y->order ? -1 : x->order > y->order;
}

static gboolean
load_rules (Loader *ld, GError **error)
{
  CmDrgScheme *s = ld->s;
  g_autoptr (GHashTable) cache = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                       g_free, NULL);
  g_autoptr (GHashTable) mdc_index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) rule_index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GArray) mdcs = g_array_new (FALSE, FALSE, sizeof (CmDrgMdc));
  g_autoptr (GArray) rules = g_array_new (FALSE, FALSE, sizeof (RuleRow));
  g_autoptr (GArray) splits = g_array_new (FALSE, FALSE, sizeof (SplitRow));
  g_autoptr (GArray) checks = g_array_new (FALSE, FALSE, sizeof (CmDrgCheck));
  g_autoptr (GHashTable) statuses = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                           g_free, NULL);
  GError *local = NULL;
  CmTsv t;

  /* mdc.tsv */
  if (!cm_tsv_open (&t, ld->dir, "mdc.tsv", COLS ("mdc_order", "mdc", "condition"),
                    error))
    goto fail_open;
  while (cm_tsv_next (&t, &local))
    {
      CmDrgMdc m = { 0 };
      if (!cm_tsv_get_int (&t, 0, G_MININT32, G_MAXINT32, &m.order, &local))
        break;
      if (strncmp (t.cells[1], "MDC", 3) != 0 || t.cells[1][3] == '\0')
        {
          cm_tsv_error (&t, 1, &local, "'%s' is not an MDC code (MDCx)", t.cells[1]);
          break;
        }
      if (g_hash_table_contains (mdc_index, t.cells[1]))
        {
          cm_tsv_error (&t, 1, &local, "MDC '%s' listed twice", t.cells[1]);
          break;
        }
      m.mdc = keep (s, t.cells[1]);
      if (!compile (ld, cache, &t, 2, &m.cond, &local))
        break;
      g_hash_table_insert (mdc_index, (char *) m.mdc, NULL);
      g_array_append_val (mdcs, m);
    }
  cm_tsv_close (&t);
  if (local)
    goto fail;
  /* an empty GArray has no data: qsort (NULL, 0, …) is undefined */
  if (mdcs->len > 0)
    qsort (mdcs->data, mdcs->len, sizeof (CmDrgMdc), mdc_cmp);
  for (guint i = 0; i < mdcs->len; i++)
    g_hash_table_insert (mdc_index, (char *) g_array_index (mdcs, CmDrgMdc, i).mdc,
                         GUINT_TO_POINTER (i + 1));

  /* adrg_rules.tsv */
  if (!cm_tsv_open (&t, ld->dir, "adrg_rules.tsv",
                    COLS ("mdc", "rule_order", "rule_id", "kind", "adrg",
                          "condition", "fallback"), error))
    goto fail_open;
  while (cm_tsv_next (&t, &local))
    {
      RuleRow r = { 0 };
      guint mi = GPOINTER_TO_UINT (g_hash_table_lookup (mdc_index, t.cells[0]));
      if (mi == 0)
        {
          cm_tsv_error (&t, 0, &local, "MDC '%s' is not in mdc.tsv", t.cells[0]);
          break;
        }
      r.mdc = mi - 1;
      if (!cm_tsv_get_int (&t, 1, G_MININT32, G_MAXINT32, &r.rule.order, &local))
        break;
      if (t.cells[2][0] == '\0' || g_hash_table_contains (rule_index, t.cells[2]))
        {
          cm_tsv_error (&t, 2, &local, "rule id '%s' is empty or not unique",
                        t.cells[2]);
          break;
        }
      r.rule.rule_id = keep (s, t.cells[2]);
      g_hash_table_insert (rule_index, (char *) r.rule.rule_id, NULL);
      if (strcmp (t.cells[3], "adrg") == 0)
        r.rule.kind = CM_RULE_ADRG;
      else if (strcmp (t.cells[3], "qy") == 0)
        r.rule.kind = CM_RULE_QY;
      else if (strcmp (t.cells[3], "fail") == 0 && s->format_version >= 2)
        r.rule.kind = CM_RULE_FAIL;
      else
        {
          cm_tsv_error (&t, 3, &local, "unknown rule kind '%s'%s", t.cells[3],
                        s->format_version < 2 ? " (format version 1)" : "");
          break;
        }
      r.rule.adrg = keep (s, t.cells[4]);
      r.rule.fallback = keep (s, t.cells[6]);
      if (r.rule.kind != CM_RULE_ADRG && r.rule.fallback[0] == '\0')
        {
          cm_tsv_error (&t, 6, &local, "a %s rule needs a fallback code", t.cells[3]);
          break;
        }
      if (!compile (ld, cache, &t, 5, &r.rule.cond, &local))
        break;
      g_array_append_val (rules, r);
    }
  cm_tsv_close (&t);
  if (local)
    goto fail;
  if (rules->len > 0)
    qsort (rules->data, rules->len, sizeof (RuleRow), rule_cmp);
  for (guint i = 0; i < rules->len; i++)
    g_hash_table_insert (rule_index,
                         (char *) g_array_index (rules, RuleRow, i).rule.rule_id,
                         GUINT_TO_POINTER (i + 1));

  /* drg_splits.tsv */
  if (!cm_tsv_open (&t, ld->dir, "drg_splits.tsv",
                    COLS ("mdc", "rule_id", "split_order", "drg", "condition"),
                    error))
    goto fail_open;
  while (cm_tsv_next (&t, &local))
    {
      SplitRow sr = { 0 };
      guint ri = GPOINTER_TO_UINT (g_hash_table_lookup (rule_index, t.cells[1]));
      if (ri == 0)
        {
          cm_tsv_error (&t, 1, &local, "rule '%s' is not in adrg_rules.tsv",
                        t.cells[1]);
          break;
        }
      sr.rule = ri - 1;
      if (strcmp (g_array_index (mdcs, CmDrgMdc,
                                 g_array_index (rules, RuleRow, sr.rule).mdc).mdc,
                  t.cells[0]) != 0)
        {
          cm_tsv_error (&t, 0, &local, "rule '%s' belongs to another MDC",
                        t.cells[1]);
          break;
        }
      if (!cm_tsv_get_int (&t, 2, G_MININT32, G_MAXINT32, &sr.order, &local))
        break;
      if (t.cells[3][0] == '\0')
        {
          cm_tsv_error (&t, 3, &local, "empty DRG code");
          break;
        }
      sr.split.drg = keep (s, t.cells[3]);
      sr.split.line = t.line_no;
      if (!compile (ld, cache, &t, 4, &sr.split.cond, &local))
        break;
      g_array_append_val (splits, sr);
    }
  cm_tsv_close (&t);
  if (local)
    goto fail;
  if (splits->len > 0)
    qsort (splits->data, splits->len, sizeof (SplitRow), split_cmp);

  /* statuses.tsv, then checks.tsv */
  if (!cm_tsv_open (&t, ld->dir, "statuses.tsv", COLS ("status"), error))
    goto fail_open;
  while (cm_tsv_next (&t, &local))
    g_hash_table_add (statuses, g_strdup (t.cells[0]));
  cm_tsv_close (&t);
  if (local)
    goto fail;

  if (!cm_tsv_open (&t, ld->dir, "checks.tsv",
                    COLS ("check_order", "condition", "status"), error))
    goto fail_open;
  while (cm_tsv_next (&t, &local))
    {
      CmDrgCheck c = { 0 };
      if (!cm_tsv_get_int (&t, 0, G_MININT32, G_MAXINT32, &c.order, &local))
        break;
      if (!compile (ld, cache, &t, 1, &c.cond, &local))
        break;
      if (!g_hash_table_contains (statuses, t.cells[2]))
        {
          cm_tsv_error (&t, 2, &local, "status '%s' is not in statuses.tsv",
                        t.cells[2]);
          break;
        }
      c.status = keep (s, t.cells[2]);
      c.description = t.n_cols > 3 ? keep (s, t.cells[3]) : "";
      g_array_append_val (checks, c);
    }
  cm_tsv_close (&t);
  if (local)
    goto fail;
  if (checks->len > 0)
    qsort (checks->data, checks->len, sizeof (CmDrgCheck), check_cmp);

  /* flatten */
  s->n_mdcs = mdcs->len;
  s->mdcs = (CmDrgMdc *) g_array_steal (mdcs, NULL);
  s->n_rules = rules->len;
  s->rules = g_new0 (CmDrgRule, MAX (rules->len, 1));
  for (guint i = 0; i < rules->len; i++)
    {
      RuleRow *r = &g_array_index (rules, RuleRow, i);
      CmDrgMdc *m = &s->mdcs[r->mdc];
      s->rules[i] = r->rule;
      if (m->n_rules == 0)
        m->rules_off = i;
      m->n_rules++;
    }
  s->n_splits = splits->len;
  s->splits = g_new0 (CmDrgSplit, MAX (splits->len, 1));
  for (guint i = 0; i < splits->len; i++)
    {
      SplitRow *sr = &g_array_index (splits, SplitRow, i);
      CmDrgRule *r = &s->rules[sr->rule];
      s->splits[i] = sr->split;
      if (r->n_splits == 0)
        r->splits_off = i;
      r->n_splits++;
    }
  s->n_checks = checks->len;
  s->checks = (CmDrgCheck *) g_array_steal (checks, NULL);
  return TRUE;

fail_open:
  cm_tsv_close (&t);
  return FALSE;
fail:
  g_propagate_error (error, local);
  return FALSE;
}

static gboolean
setting (CmDrgScheme *s, const char *key, const char **out, GError **error)
{
  const char *v = g_hash_table_lookup (s->settings, key);
  if (v == NULL)
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                   "%s/settings.tsv: key '%s' missing", s->id, key);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
bool_setting (CmDrgScheme *s, const char *key, gboolean *out, GError **error)
{
  const char *v;
  if (!setting (s, key, &v, error))
    return FALSE;
  if (strcmp (v, "0") != 0 && strcmp (v, "1") != 0)
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE,
                   "%s/settings.tsv: key '%s' is '%s', expected 0 or 1",
                   s->id, key, v);
      return FALSE;
    }
  *out = v[0] == '1';
  return TRUE;
}

CmDrgScheme *
cm_drg_scheme_alloc (const char *dir, gboolean tables)
{
  CmDrgScheme *s = g_new0 (CmDrgScheme, 1);

  g_atomic_ref_count_init (&s->ref);
  s->dir = g_strdup (dir);
  s->id = g_path_get_basename (dir);
  s->meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  s->settings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  s->names = g_hash_table_new (g_str_hash, g_str_equal);
  s->strings = g_string_chunk_new (16 * 1024);
  s->nodes = g_array_new (FALSE, FALSE, sizeof (CmCondNode));
  s->kids = g_array_new (FALSE, FALSE, sizeof (guint32));
  if (tables)
    {
      cm_strtab_init (&s->codes);
      cm_strtab_init (&s->lists);
      cm_strtab_init (&s->excl);
    }
  return s;
}

gboolean
cm_drg_scheme_is_drg_folder (const char *dir)
{
  return cm_tsv_exists (dir, "mdc.tsv") && cm_tsv_exists (dir, "adrg_rules.tsv");
}

CmDrgScheme *
cm_drg_scheme_load (const char *dir, GError **error)
{
  g_autoptr (CmDrgScheme) s = NULL;
  g_autoptr (GArray) members = NULL;
  Loader ld = { 0 };
  const char *v;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_NOT_FOUND,
                   "%s: no such scheme folder", dir);
      return NULL;
    }
  if (cm_drg_pack_enabled ())
    {
      s = cm_drg_pack_load (dir);
      if (s != NULL)
        return g_steal_pointer (&s);
    }
  s = cm_drg_scheme_alloc (dir, TRUE);
  members = g_array_sized_new (FALSE, FALSE, sizeof (Membership), 128 * 1024);
  cm_strtab_reserve (&s->codes, 80 * 1024);
  ld.s = s;
  ld.dir = dir;
  ld.members = members;

  if (!load_kv (&ld, "meta.tsv", s->meta, error))
    return NULL;
  v = g_hash_table_lookup (s->meta, "id");
  if (v != NULL && *v != '\0')
    {
      g_free (s->id);
      s->id = g_strdup (v);
    }
  v = g_hash_table_lookup (s->meta, "format_version");
  if (v == NULL || (strcmp (v, "1") != 0 && strcmp (v, "2") != 0))
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_FORMAT,
                   "%s/meta.tsv: format_version '%s' is not supported (1 or 2)",
                   s->id, v ? v : "");
      return NULL;
    }
  s->format_version = v[0] - '0';

  if (!load_kv (&ld, "settings.tsv", s->settings, error)
      || !cm_drg_scheme_read_settings (s, error))
    return NULL;

  if (!load_lists (&ld, error)
      || !load_cc (&ld, error)
      || !load_map (&ld, "dx_map.tsv", TRUE, error)
      || !load_map (&ld, "px_map.tsv", FALSE, error))
    return NULL;
  build_memberships (&ld);
  if (!load_rules (&ld, error)
      || !load_names (&ld, "drg_names.tsv", "drg", FALSE, error)
      || !load_names (&ld, "adrg_names.tsv", "adrg", TRUE, error)
      || !load_names (&ld, "mdc_names.tsv", "mdc", TRUE, error))
    return NULL;
  if (cm_drg_pack_enabled ())
    cm_drg_pack_save (s, dir);
  return g_steal_pointer (&s);
}

gboolean
cm_drg_scheme_read_settings (CmDrgScheme *s, GError **error)
{
  if (!setting (s, "ungroupable_code", &s->ungroupable_code, error)
      || !setting (s, "fail_mdc", &s->fail_mdc, error)
      || !setting (s, "fail_adrg", &s->fail_adrg, error)
      || !setting (s, "fail_drg", &s->fail_drg, error)
      || !setting (s, "reject_mdc", &s->reject_mdc, error)
      || !setting (s, "reject_adrg", &s->reject_adrg, error)
      || !setting (s, "reject_drg", &s->reject_drg, error)
      || !setting (s, "check_error_status", &s->check_error_status, error)
      || !bool_setting (s, "retry_each_secondary_px", &s->retry_each_secondary_px, error)
      || !bool_setting (s, "translate_usable", &s->translate_usable, error))
    return FALSE;
  return TRUE;
}

CmDrgScheme *
cm_drg_scheme_ref (CmDrgScheme *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  g_atomic_ref_count_inc (&s->ref);
  return s;
}

void
cm_drg_scheme_unref (CmDrgScheme *s)
{
  if (s == NULL || !g_atomic_ref_count_dec (&s->ref))
    return;
  g_free (s->dir);
  g_free (s->id);
  g_clear_pointer (&s->meta, g_hash_table_unref);
  g_clear_pointer (&s->settings, g_hash_table_unref);
  g_clear_pointer (&s->names, g_hash_table_unref);
  g_clear_pointer (&s->strings, g_string_chunk_free);
  cm_strtab_clear (&s->codes);
  cm_strtab_clear (&s->lists);
  cm_strtab_clear (&s->excl);
  if (s->pack == NULL)
    {
      g_free (s->info);
      g_free (s->list_members);
      g_free (s->list_sizes);
    }
  g_clear_pointer (&s->pack, g_mapped_file_unref);
  g_clear_pointer (&s->nodes, g_array_unref);
  g_clear_pointer (&s->kids, g_array_unref);
  g_free (s->mdcs);
  g_free (s->rules);
  g_free (s->splits);
  g_free (s->checks);
  g_free (s);
}

const char *
cm_drg_scheme_get_id (const CmDrgScheme *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  return s->id;
}

int
cm_drg_scheme_get_format_version (const CmDrgScheme *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->format_version;
}

const char *
cm_drg_scheme_get_setting (const CmDrgScheme *s, const char *key)
{
  g_return_val_if_fail (s != NULL && key != NULL, NULL);
  return g_hash_table_lookup (s->settings, key);
}

const char *
cm_drg_scheme_lookup_name (const CmDrgScheme *s, const char *code)
{
  g_return_val_if_fail (s != NULL && code != NULL, NULL);
  return g_hash_table_lookup (s->names, code);
}

/* --- introspection ------------------------------------------------------- */

guint
cm_drg_scheme_get_n_mdcs (const CmDrgScheme *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->n_mdcs;
}

const char *
cm_drg_scheme_get_mdc (const CmDrgScheme *s, guint i)
{
  g_return_val_if_fail (s != NULL && i < s->n_mdcs, NULL);
  return s->mdcs[i].mdc;
}

/* Marks in @want the lists that nodes of kind @op1/@op2 under @idx test. */
static void
collect_lists (const CmDrgScheme *s, guint32 idx, CmCondOp op1, CmCondOp op2,
               gboolean *want)
{
  const CmCondNode *n = &g_array_index (s->nodes, CmCondNode, idx);

  switch ((CmCondOp) n->op)
    {
    case CM_COND_ALL:
    case CM_COND_ANY:
    case CM_COND_AT_LEAST:
      for (guint i = 0; i < n->n_kids; i++)
        collect_lists (s, g_array_index (s->kids, guint32, n->arg + i), op1, op2,
                       want);
      break;
    case CM_COND_NOT:
      break;  /* codes that must be absent */
    default:
      if (n->op == op1 || n->op == op2)
        want[n->arg] = TRUE;
      break;
    }
}

static int
str_ptr_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
cm_drg_scheme_dup_codes (const CmDrgScheme *s, const char *mdc,
                         CmDrgCodeKind kind)
{
  g_autofree gboolean *want = NULL;
  GPtrArray *out = g_ptr_array_new ();
  const CmDrgMdc *m = NULL;

  g_return_val_if_fail (s != NULL, out);
  if (kind == CM_DRG_CODES_MCC || kind == CM_DRG_CODES_CC)
    {
      for (guint32 c = 0; c < s->codes.n; c++)
        if ((kind == CM_DRG_CODES_MCC ? s->info[c].mcc_excl : s->info[c].cc_excl)
            != CM_NO_ID)
          g_ptr_array_add (out, (gpointer) cm_strtab_get (&s->codes, c));
      g_ptr_array_sort (out, str_ptr_cmp);
      return out;
    }
  for (guint i = 0; i < s->n_mdcs && mdc != NULL; i++)
    if (strcmp (s->mdcs[i].mdc, mdc) == 0)
      m = &s->mdcs[i];
  if (m == NULL)
    return out;
  want = g_new0 (gboolean, MAX (s->lists.n, 1));
  if (kind == CM_DRG_CODES_PRINCIPAL_DX)
    collect_lists (s, m->cond, CM_COND_PDX_IN, CM_COND_PDX_IN, want);
  else
    for (guint r = 0; r < m->n_rules; r++)
      collect_lists (s, s->rules[m->rules_off + r].cond, CM_COND_PPX_IN,
                     CM_COND_PX_ANY_IN, want);
  for (guint32 c = 0; c < s->codes.n; c++)
    {
      const CmCodeInfo *ci = &s->info[c];
      for (guint k = 0; k < ci->n_lists; k++)
        if (want[s->list_members[ci->lists_off + k]])
          {
            g_ptr_array_add (out, (gpointer) cm_strtab_get (&s->codes, c));
            break;
          }
    }
  g_ptr_array_sort (out, str_ptr_cmp);
  return out;
}

/* --- grouping ------------------------------------------------------------ */

CmDrgContext *
cm_drg_context_new (CmDrgScheme *scheme)
{
  CmDrgContext *ctx;

  g_return_val_if_fail (scheme != NULL, NULL);
  ctx = g_new0 (CmDrgContext, 1);
  ctx->scheme = cm_drg_scheme_ref (scheme);
  ctx->bits = g_new0 (guint64, (gsize) CM_N_BITS * cm_bits_words (scheme));
  return ctx;
}

void
cm_drg_context_free (CmDrgContext *ctx)
{
  if (ctx == NULL)
    return;
  cm_drg_scheme_unref (ctx->scheme);
  g_free (ctx->bits);
  g_free (ctx);
}

/* Result of one search: the code and the rule that produced it. */
typedef struct {
  const char *code;
  const CmDrgRule *rule;  /* NULL when nothing matched */
  gboolean error;
} Found;

/* search() and search_traced() are two instances of this body: with
 * @traced a constant FALSE every trace test folds away, so grouping
 * without a trace runs exactly the untraced code; with TRUE every
 * condition evaluated is recorded as a step (cm-explain.c). */
static G_ALWAYS_INLINE inline void
search_impl (CmEval *ev, Found *out, gboolean traced)
{
  const CmDrgScheme *s = ev->scheme;
  CmTrace *trace = traced ? ev->trace : NULL;

  out->code = s->ungroupable_code;
  out->rule = NULL;
  out->error = FALSE;
  for (guint m = 0; m < s->n_mdcs; m++)
    {
      const CmDrgMdc *mdc = &s->mdcs[m];
      int r = cm_cond_eval_fast (ev, mdc->cond);
      if (G_UNLIKELY (trace != NULL))
        cm_drg_trace_mdc (ev, mdc, r);
      if (r == CM_EVAL_ERROR)
        goto error;
      if (!r)
        continue;
      for (guint i = 0; i < mdc->n_rules; i++)
        {
          const CmDrgRule *rule = &s->rules[mdc->rules_off + i];
          r = cm_cond_eval_fast (ev, rule->cond);
          if (G_UNLIKELY (trace != NULL))
            cm_drg_trace_rule (ev, rule, r);
          if (r == CM_EVAL_ERROR)
            goto error;
          if (!r)
            continue;
          for (guint k = 0; k < rule->n_splits; k++)
            {
              const CmDrgSplit *sp = &s->splits[rule->splits_off + k];
              r = cm_cond_eval_fast (ev, sp->cond);
              if (G_UNLIKELY (trace != NULL))
                cm_drg_trace_split (ev, sp, r);
              if (r == CM_EVAL_ERROR)
                goto error;
              if (r)
                {
                  out->code = sp->drg;
                  out->rule = rule;
                  return;
                }
            }
          if (rule->fallback[0] != '\0')
            {
              if (G_UNLIKELY (trace != NULL))
                cm_drg_trace_fallback (ev, rule);
              out->code = rule->fallback;
              out->rule = rule;
              return;
            }
        }
      if (G_UNLIKELY (trace != NULL))
        cm_drg_trace_mdc_empty (ev, mdc);
    }
  if (G_UNLIKELY (trace != NULL))
    cm_drg_trace_nothing (ev);
  return;
error:
  out->error = TRUE;
}

static void
search (CmEval *ev, Found *out)
{
  search_impl (ev, out, FALSE);
}

static G_NO_INLINE void
search_traced (CmEval *ev, Found *out)
{
  search_impl (ev, out, TRUE);
}

static void
set_result (CmGroupResult *res, const char *status, const char *mdc,
            const char *adrg, const char *drg)
{
  res->status = status;
  g_strlcpy (res->mdc, mdc, sizeof res->mdc);
  g_strlcpy (res->adrg, adrg, sizeof res->adrg);
  g_strlcpy (res->drg, drg, sizeof res->drg);
}

static void
set_reject (const CmDrgScheme *s, CmGroupResult *res, const char *status)
{
  set_result (res, status, s->reject_mdc, s->reject_adrg, s->reject_drg);
}

/* FORMAT.md §5.1: translate(L, M) on strings; returns the new length and
 * whether some item was unmapped. */
static guint
translate (const CmDrgScheme *s, const char **l, guint n, gboolean dx,
           gboolean *unmapped)
{
  guint out = 0;
  const char *orig[CM_MAX_CODES];

  memcpy (orig, l, n * sizeof (char *));
  *unmapped = FALSE;
  for (guint i = 0; i < n; i++)
    {
      const char *x = orig[i];
      guint j = 0;
      guint32 id, target;

      while (strcmp (l[j], x) != 0)  /* terminates at i at the latest */
        j++;
      id = cm_strtab_lookup (&s->codes, x, strlen (x));
      target = id == CM_STRTAB_NONE ? CM_NO_ID
               : dx ? s->info[id].dx_target : s->info[id].px_target;
      if (target != CM_NO_ID)
        {
          const char *t = cm_strtab_get (&s->codes, target);
          if (strcmp (t, x) != 0)
            l[j] = t;
        }
      else
        {
          l[j] = "";
          *unmapped = TRUE;
        }
    }
  if (n > 0 && strcmp (l[0], "-") == 0)
    *unmapped = TRUE;
  for (guint i = 0; i < n; i++)
    if (l[i][0] != '\0' && strcmp (l[i], "-") != 0)
      l[out++] = l[i];
  return out;
}

static void
lookup_ids (const CmDrgScheme *s, const char *const *codes, guint n,
            guint32 *ids)
{
  for (guint i = 0; i < n; i++)
    {
      guint32 id = cm_strtab_lookup (&s->codes, codes[i], strlen (codes[i]));
      ids[i] = id == CM_STRTAB_NONE ? CM_NO_ID : id;
    }
}

/* D and P (§3, §5.1) into @ev; FALSE when translation stops the episode
 * (then @res holds the outcome). */
static inline gboolean
prepare (CmDrgContext *ctx, const CmEpisode *ep, gboolean translate_on,
         CmEval *ev, CmGroupResult *res, CmTrace *trace)
{
  const CmDrgScheme *s = ctx->scheme;
  const char *const *dx = ep->dx;
  const char *const *px = ep->px;
  guint n_dx = MIN (ep->n_dx, CM_MAX_CODES);
  guint n_px = MIN (ep->n_px, CM_MAX_CODES);

  if (translate_on)
    {
      gboolean dx_unmapped, px_unmapped;
      const char *reject = NULL;

      if (!s->translate_usable && n_px > 0)
        {
          /* the reference raises an exception here (FORMAT.md §6) */
          if (G_UNLIKELY (trace != NULL))
            cm_drg_trace_reject (trace, s, ep, "ERROR");
          set_result (res, "ERROR", "", "", "");
          return FALSE;
        }
      memcpy (ctx->tdx, dx, n_dx * sizeof (char *));
      memcpy (ctx->tpx, px, n_px * sizeof (char *));
      n_dx = translate (s, ctx->tdx, n_dx, TRUE, &dx_unmapped);
      n_px = translate (s, ctx->tpx, n_px, FALSE, &px_unmapped);
      if (dx_unmapped)
        reject = "ZD_NOT_MAPPING";
      else if (!ep->px_text_empty && px_unmapped)
        reject = "SS_NOT_MAPPING";
      if (reject != NULL)
        {
          if (G_UNLIKELY (trace != NULL))
            cm_drg_trace_reject (trace, s, ep, reject);
          set_reject (s, res, reject);
          return FALSE;
        }
      dx = ctx->tdx;
      px = ctx->tpx;
    }
  lookup_ids (s, dx, n_dx, ctx->dx_ids);
  lookup_ids (s, px, n_px, ctx->px_ids);

  memset (ev, 0, sizeof *ev);
  ev->scheme = s;
  ev->ep = ep;
  ev->dx = ctx->dx_ids;
  ev->n_dx = n_dx;
  ev->px = ctx->px_ids;
  ev->n_px = n_px;
  ev->has_mcc = ev->has_cc = -1;
  ev->dx_text = dx;
  ev->px_text = px;
  for (int b = 0; b < CM_N_BITS; b++)
    ev->bits[b] = ctx->bits + (gsize) b * cm_bits_words (s);
  cm_eval_fill_bits (ev, TRUE);
  cm_eval_fill_bits (ev, FALSE);
  return TRUE;
}

gboolean
cm_drg_prepare (CmDrgContext *ctx, const CmEpisode *ep, gboolean translate_on,
                CmEval *ev, CmGroupResult *res)
{
  res->family = CM_SCHEME_FAMILY_DRG;
  res->group_id = "";
  res->rule_stage = "";
  res->primary_care = FALSE;
  res->procedure_class = '\0';
  return prepare (ctx, ep, translate_on, ev, res, NULL);
}

/* cm_drg_group, recording into @trace when it is not NULL. Inlined into
 * both entry points, so cm_drg_group's instance (trace a constant NULL)
 * holds no trace code at all. */
static G_ALWAYS_INLINE inline void
group (CmDrgContext *ctx, const CmEpisode *ep, gboolean translate_on,
       CmTrace *trace, CmGroupResult *res)
{
  const CmDrgScheme *s = ctx->scheme;
  CmEval ev;
  guint n_px;
  Found found;
  const char *code;

  res->family = CM_SCHEME_FAMILY_DRG;
  res->group_id = "";
  res->rule_stage = "";
  res->primary_care = FALSE;
  res->procedure_class = '\0';

  if (!prepare (ctx, ep, translate_on, &ev, res, trace))
    return;
  n_px = ev.n_px;
  if (G_UNLIKELY (trace != NULL))
    {
      ev.trace = trace;
      cm_drg_trace_input (&ev, ep, translate_on);
    }

  for (guint i = 0; i < s->n_checks; i++)
    {
      int r = cm_cond_eval (&ev, s->checks[i].cond);
      if (G_UNLIKELY (trace != NULL))
        cm_drg_trace_check (&ev, &s->checks[i], r);
      if (r == CM_EVAL_ERROR)
        {
          set_reject (s, res, s->check_error_status);
          return;
        }
      if (r)
        {
          set_reject (s, res, s->checks[i].status);
          return;
        }
    }

  if (trace != NULL)
    search_traced (&ev, &found);
  else
    search (&ev, &found);
  if (!found.error && found.rule == NULL && s->retry_each_secondary_px
      && n_px >= 2)
    {
      const char *const *px_text = ev.px_text;

      for (guint i = 1; i < n_px; i++)
        {
          ev.px = &ctx->px_ids[i];
          ev.px_text = px_text + i;
          ev.n_px = 1;
          cm_eval_fill_bits (&ev, FALSE);
          if (trace != NULL)
            {
              cm_drg_trace_retry (&ev, px_text[i]);
              search_traced (&ev, &found);
            }
          else
            search (&ev, &found);
          if (found.error || found.rule != NULL)
            break;
        }
    }
  if (found.error)
    {
      set_result (res, "ERROR", "", "", "");
      return;
    }

  code = found.code;
  if (found.rule == NULL || strcmp (code, s->ungroupable_code) == 0)
    {
      set_result (res, "FAIL", s->fail_mdc, s->fail_adrg, s->fail_drg);
      return;
    }
  {
    char mdc[8] = "MDC";
    char adrg[4];
    mdc[3] = code[0];
    mdc[4] = '\0';
    if (found.rule->kind == CM_RULE_FAIL)
      set_result (res, "FAIL", mdc, found.rule->adrg, code);
    else if (code[0] != '\0' && code[1] == 'Q' && code[2] == 'Y')
      set_result (res, "QY", mdc, "QY", code);
    else
      {
        g_strlcpy (adrg, code, sizeof adrg);
        set_result (res, "SUCCESS", mdc, adrg, code);
      }
  }
}

void
cm_drg_group (CmDrgContext *ctx, const CmEpisode *ep, gboolean translate_on,
              CmGroupResult *res)
{
  g_return_if_fail (ctx != NULL && ep != NULL && res != NULL);
  group (ctx, ep, translate_on, NULL, res);
}

void
cm_drg_group_traced (CmDrgContext *ctx, const CmEpisode *ep,
                     gboolean translate_on, CmTrace *trace, CmGroupResult *res)
{
  g_return_if_fail (ctx != NULL && ep != NULL && trace != NULL && res != NULL);
  group (ctx, ep, translate_on, trace, res);
}

const CmDrgScheme *
cm_drg_context_get_scheme (const CmDrgContext *ctx)
{
  return ctx->scheme;
}
