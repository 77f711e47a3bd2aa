/* cm-policy.c — loading a policy pack: policy.xml (checked against
 * tables/policy/policy.rng), its scheme timeline and its TSV tables.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Order of checks, so that bureau staff get the most precise message
 * first:
 *
 *   1. well-formed XML (libxml2: file:line);
 *   2. the loader's own walk: every element and attribute is known where
 *      it stands, required ones are present, each value parses (decimals
 *      digit by digit, enumerations, booleans) — messages name file:line,
 *      the element, the attribute and the parameter key of docs/payment.md
 *      (e.g. `drg.outlier.low_ratio`);
 *   3. RELAX NG validation against the shipped schema (file:line), the
 *      contract editors and xmllint share; the walk and the schema are kept
 *      in step by tests/test-pay-policy.c;
 *   4. consistency: rates and point values resolve for every insurance type
 *      and level, tiers and segments are ordered, every year's schemes have
 *      a section of their family, tables hold what the options need.
 *
 * Defaults (docs/payment.md §3) are applied here; pricing never sees an
 * absent parameter. */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <glib/gstdio.h>
#include "cm-policy-private.h"
#include "cm-tables.h"
#include "cm-xml-private.h"

G_DEFINE_QUARK (cm-policy-error-quark, cm_policy_error)

/* Nesting is bounded by construction: the walk descends only into the
 * elements it knows (policy/year/per-diem/profile/segment/rate, depth 6) and
 * rejects any other child. */

typedef struct {
  const char *path;        /* policy.xml, for messages */
  const char *dir;         /* its folder: hrefs are relative to it */
  CmPolicy *policy;
  GHashTable *tables;      /* resolved path → CmCatalogue (borrowed) */
  GHashTable *hospitals;   /* resolved path → GHashTable (borrowed) */
  GHashTable *pools;       /* folder + levels → CmDipPool (borrowed) */
} Loader;

/* ---------------------------------------------------------------------- */
/* Messages                                                                */

static gboolean G_GNUC_PRINTF (5, 6)
fail (const Loader *ld, const xmlNode *n, int code, GError **error,
      const char *format, ...)
{
  g_autofree char *msg = NULL;
  va_list ap;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (n != NULL)
    g_set_error (error, CM_POLICY_ERROR, code, "%s:%ld: %s", ld->path,
                 xmlGetLineNo (n), msg);
  else
    g_set_error (error, CM_POLICY_ERROR, code, "%s: %s", ld->path, msg);
  return FALSE;
}

static gboolean
is_element (const xmlNode *n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, name) == 0;
}

static char *
join_names (const char *const *names)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; names[i]; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", names[i]);
  return g_string_free (s, FALSE);
}

static gboolean
in_list (const char *const *names, const char *name)
{
  for (guint i = 0; names[i]; i++)
    if (strcmp (names[i], name) == 0)
      return TRUE;
  return FALSE;
}

/* Unknown attributes and misplaced children are schema errors. */
static gboolean
check_node (const Loader *ld, const xmlNode *n, const char *const *attrs,
            const char *const *children, GError **error)
{
  for (const xmlAttr *a = n->properties; a; a = a->next)
    if (!in_list (attrs, (const char *) a->name))
      {
        g_autofree char *allowed = join_names (attrs);
        return fail (ld, n, CM_POLICY_ERROR_SCHEMA, error,
                     "<%s>: unknown attribute '%s' (allowed: %s)", n->name,
                     a->name, *allowed ? allowed : "none");
      }
  for (const xmlNode *c = n->children; c; c = c->next)
    {
      if (c->type == XML_ELEMENT_NODE)
        {
          if (children == NULL || !in_list (children, (const char *) c->name))
            {
              g_autofree char *allowed = children ? join_names (children) : NULL;
              return fail (ld, c, CM_POLICY_ERROR_SCHEMA, error,
                           "<%s> is not allowed inside <%s> (allowed: %s)",
                           c->name, n->name,
                           allowed && *allowed ? allowed : "text only");
            }
        }
      else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
               && children != NULL)
        {
          for (const xmlChar *p = c->content; p && *p; p++)
            if (!g_ascii_isspace (*p))
              {
                int len = 0;
                while (len < 20 && p[len] && !g_ascii_isspace (p[len]))
                  len++;
                return fail (ld, n, CM_POLICY_ERROR_SCHEMA, error,
                             "<%s>: unexpected text '%.*s' (values go in attributes "
                             "or in the elements that hold them)", n->name, len, p);
              }
        }
    }
  return TRUE;
}

/* Counts the children named @name; more than @max is a schema error. */
static const xmlNode *
only_child (const Loader *ld, const xmlNode *n, const char *name,
            gboolean required, const char *key, gboolean *ok, GError **error)
{
  const xmlNode *found = NULL;

  *ok = TRUE;
  for (const xmlNode *c = n->children; c; c = c->next)
    if (is_element (c, name))
      {
        if (found != NULL)
          {
            *ok = fail (ld, c, CM_POLICY_ERROR_SCHEMA, error,
                        "<%s>: a second <%s> (only one is allowed)", n->name,
                        name);
            return NULL;
          }
        found = c;
      }
  if (found == NULL && required)
    *ok = fail (ld, n, CM_POLICY_ERROR_SCHEMA, error,
                "<%s>: the required element <%s> is missing (%s)", n->name,
                name, key);
  return found;
}

/* ---------------------------------------------------------------------- */
/* Attribute values                                                        */

/* (transfer full) (nullable): the attribute's value. */
static CmXmlString *
get_attr (const xmlNode *n, const char *attr)
{
  return xmlGetProp ((xmlNode *) n, (const xmlChar *) attr);
}

static gboolean
require_attr (const Loader *ld, const xmlNode *n, const char *attr,
              CmXmlString **out, GError **error)
{
  *out = get_attr (n, attr);
  if (*out == NULL)
    return fail (ld, n, CM_POLICY_ERROR_SCHEMA, error,
                 "<%s>: the required attribute '%s' is missing", n->name, attr);
  return TRUE;
}

static gboolean
bad_value (const Loader *ld, const xmlNode *n, const char *attr,
           const char *key, const char *value, const char *what, GError **error)
{
  return fail (ld, n, CM_POLICY_ERROR_PARAMETER, error,
               "%s (<%s %s>): '%s' %s", key, n->name, attr, value, what);
}

/* A 4-decimal fraction in [min, max]; "none" gives @none_value when
 * @none_value ≥ 0. */
static gboolean
attr_e4 (const Loader *ld, const xmlNode *n, const char *attr, const char *key,
         CmE4 def, CmE4 min, CmE4 max, CmE4 none_value, CmE4 *out,
         GError **error)
{
  g_autoptr (CmXmlString) v = get_attr (n, attr);
  const char *why = NULL;

  if (v == NULL)
    {
      *out = def;
      return TRUE;
    }
  if (none_value >= 0 && strcmp ((const char *) v, "none") == 0)
    {
      *out = none_value;
      return TRUE;
    }
  if (!cm_e4_parse ((const char *) v, out, &why))
    {
      g_autofree char *what = g_strdup_printf ("%s (a decimal number with at most 4 decimals%s)",
                                               why, none_value >= 0 ? ", or none" : "");
      return bad_value (ld, n, attr, key, (const char *) v, what, error);
    }
  if (*out < min || *out > max)
    {
      char lo[CM_MONEY_BUF], hi[CM_MONEY_BUF];
      g_autofree char *what = NULL;
      cm_e4_format (min, lo);
      cm_e4_format (max, hi);
      what = g_strdup_printf ("is outside %s … %s", lo, hi);
      return bad_value (ld, n, attr, key, (const char *) v, what, error);
    }
  return TRUE;
}

/* A whole number in [min, max]; "none" gives -1 when @allow_none. */
static gboolean
attr_int (const Loader *ld, const xmlNode *n, const char *attr, const char *key,
          gint32 def, gint32 min, gint32 max, gboolean allow_none, gint32 *out,
          GError **error)
{
  g_autoptr (CmXmlString) v = get_attr (n, attr);
  gint64 x;

  if (v == NULL)
    {
      *out = def;
      return TRUE;
    }
  if (allow_none && strcmp ((const char *) v, "none") == 0)
    {
      *out = -1;
      return TRUE;
    }
  if (!cm_scaled_parse ((const char *) v, 0, min, max, &x, NULL))
    {
      g_autofree char *what = g_strdup_printf ("is not a whole number in %d … %d%s",
                                               min, max, allow_none ? ", or none" : "");
      return bad_value (ld, n, attr, key, (const char *) v, what, error);
    }
  *out = (gint32) x;
  return TRUE;
}

static gboolean
attr_bool (const Loader *ld, const xmlNode *n, const char *attr, const char *key,
           gboolean def, gboolean *out, GError **error)
{
  g_autoptr (CmXmlString) v = get_attr (n, attr);

  if (v == NULL)
    *out = def;
  else if (strcmp ((const char *) v, "true") == 0)
    *out = TRUE;
  else if (strcmp ((const char *) v, "false") == 0)
    *out = FALSE;
  else
    return bad_value (ld, n, attr, key, (const char *) v, "is neither true nor false",
                      error);
  return TRUE;
}

/* One of @names (NULL-terminated); the index goes to @out. */
static gboolean
attr_enum (const Loader *ld, const xmlNode *n, const char *attr, const char *key,
           const char *const *names, int def, int *out, GError **error)
{
  g_autoptr (CmXmlString) v = get_attr (n, attr);

  if (v == NULL)
    {
      *out = def;
      return TRUE;
    }
  for (int i = 0; names[i]; i++)
    if (strcmp ((const char *) v, names[i]) == 0)
      {
        *out = i;
        return TRUE;
      }
  {
    g_autofree char *allowed = join_names (names);
    g_autofree char *what = g_strdup_printf ("is not one of %s", allowed);
    return bad_value (ld, n, attr, key, (const char *) v, what, error);
  }
}

/* The element's text, trimmed; (transfer full). */
static char *
node_text (const xmlNode *n)
{
  g_autoptr (CmXmlString) t = xmlNodeGetContent (n);
  return g_strstrip (g_strdup (t ? (const char *) t : ""));
}

static gboolean
text_fen (const Loader *ld, const xmlNode *n, const char *key, CmFen *out,
          GError **error)
{
  g_autofree char *t = node_text (n);
  const char *why = NULL;

  if (!cm_fen_parse (t, out, &why))
    return fail (ld, n, CM_POLICY_ERROR_PARAMETER, error,
                 "%s (<%s>): '%s' %s (yuan with at most 2 decimals)", key,
                 n->name, t, why);
  return TRUE;
}

static gboolean
text_e4 (const Loader *ld, const xmlNode *n, const char *key, CmE4 *out,
         GError **error)
{
  g_autofree char *t = node_text (n);
  const char *why = NULL;

  if (!cm_e4_parse (t, out, &why) || *out == 0)
    return fail (ld, n, CM_POLICY_ERROR_PARAMETER, error,
                 "%s (<%s>): '%s' %s (a number above 0 with at most 4 decimals)",
                 key, n->name, t, why ? why : "is zero");
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Files a pack names                                                      */

/* @href relative to the pack folder (or absolute); must exist. */
static char *
resolve_file (const Loader *ld, const xmlNode *n, const char *attr,
              GError **error)
{
  g_autoptr (CmXmlString) href = NULL;
  g_autofree char *path = NULL;

  if (!require_attr (ld, n, attr, &href, error))
    return NULL;
  path = g_path_is_absolute ((const char *) href)
         ? g_strdup ((const char *) href)
         : g_build_filename (ld->dir, (const char *) href, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      fail (ld, n, CM_POLICY_ERROR_NOT_FOUND, error,
            "<%s %s=\"%s\">: no such file (%s)", n->name, attr, href, path);
      return NULL;
    }
  return g_steal_pointer (&path);
}

static CmCatalogue *
load_table (Loader *ld, const xmlNode *n, CmSchemeFamily family, GError **error)
{
  g_autofree char *path = resolve_file (ld, n, "href", error);
  CmCatalogue *cat;

  if (path == NULL)
    return NULL;
  cat = g_hash_table_lookup (ld->tables, path);
  if (cat != NULL)
    return cat;
  cat = cm_catalogue_load (path, family, error);
  if (cat == NULL)
    return NULL;
  g_ptr_array_add (ld->policy->tables, cat);
  g_hash_table_insert (ld->tables, g_steal_pointer (&path), cat);
  return cat;
}

static void
free_boxed_e4 (gpointer p)
{
  g_free (p);
}

static GHashTable *
load_hospitals (Loader *ld, const xmlNode *n, GError **error)
{
  static const char *const cols[] = { "hospital_id", "coefficient", "name" };
  g_autofree char *path = resolve_file (ld, n, "href", error);
  g_autoptr (GHashTable) h = NULL;
  g_autoptr (GError) local = NULL;
  GHashTable *cached;
  CmPayTsv t;
  gboolean ok = TRUE;

  if (path == NULL)
    return NULL;
  cached = g_hash_table_lookup (ld->hospitals, path);
  if (cached != NULL)
    return cached;
  if (!cm_pay_tsv_open (&t, path, cols, G_N_ELEMENTS (cols), 2, error))
    {
      cm_pay_tsv_close (&t);
      return NULL;
    }
  h = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_boxed_e4);
  while (ok && cm_pay_tsv_next (&t, &local))
    {
      const char *id = cm_pay_tsv_get (&t, 0), *v = cm_pay_tsv_get (&t, 1);
      const char *why = NULL;
      CmE4 c;

      if (*id == '\0' || g_hash_table_contains (h, id))
        {
          cm_pay_tsv_error (&t, 0, error, *id ? "'%s' appears twice" : "%sempty", id);
          ok = FALSE;
        }
      else if (!cm_e4_parse (v, &c, &why) || c == 0)
        {
          cm_pay_tsv_error (&t, 1, error,
                            "'%s' %s (a coefficient above 0 with at most 4 decimals)",
                            v, why ? why : "is zero");
          ok = FALSE;
        }
      else
        g_hash_table_insert (h, g_strdup (id), g_memdup2 (&c, sizeof c));
    }
  cm_pay_tsv_close (&t);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (!ok)
    return NULL;
  g_ptr_array_add (ld->policy->hash_tables, g_hash_table_ref (h));
  g_hash_table_insert (ld->hospitals, g_steal_pointer (&path), h);
  return g_steal_pointer (&h);
}

/* ---------------------------------------------------------------------- */
/* Rates and point values by (insurance, level)                            */

typedef struct {
  gint64 value;
  int spec;   /* -1 unset; 0 all/all … 3 insurance and level */
} Slot;

static const char *const insurance_names[] = { "employee", "resident", "all", NULL };
static const char *const level_names[] = { "1", "2", "3", "all", NULL };
static const char *const stage_names[] = { "provisional", "final", NULL };

static void
slots_init (Slot s[CM_N_INSURANCE][CM_N_LEVELS])
{
  for (guint i = 0; i < CM_N_INSURANCE; i++)
    for (guint l = 0; l < CM_N_LEVELS; l++)
      s[i][l].spec = -1;
}

/* Puts @value in the slots the element's insurance/level select. */
static gboolean
slots_put (const Loader *ld, const xmlNode *n, const char *key,
           Slot s[CM_N_INSURANCE][CM_N_LEVELS], gboolean has_insurance,
           gint64 value, GError **error)
{
  int ins = 2, lvl = 3;

  if ((has_insurance && !attr_enum (ld, n, "insurance", key, insurance_names, 2,
                                    &ins, error))
      || !attr_enum (ld, n, "level", key, level_names, 3, &lvl, error))
    return FALSE;
  for (int i = 0; i < CM_N_INSURANCE; i++)
    for (int l = 1; l <= 3; l++)
      {
        int spec = (ins != 2 ? 2 : 0) + (lvl != 3 ? 1 : 0);
        if ((ins != 2 && ins != i) || (lvl != 3 && lvl + 1 != l))
          continue;
        if (s[i][l].spec == spec)
          return fail (ld, n, CM_POLICY_ERROR_PARAMETER, error,
                       "%s (<%s>): a second value for the same insurance and level",
                       key, n->name);
        if (spec > s[i][l].spec)
          {
            s[i][l].spec = spec;
            s[i][l].value = value;
          }
      }
  return TRUE;
}

/* Every (insurance, level) resolved, or a message naming the first gap. */
static gboolean
slots_complete (const Loader *ld, const xmlNode *n, const char *key,
                const char *what, Slot s[CM_N_INSURANCE][CM_N_LEVELS],
                GError **error)
{
  for (int i = 0; i < CM_N_INSURANCE; i++)
    for (int l = 1; l <= 3; l++)
      if (s[i][l].spec < 0)
        return fail (ld, n, CM_POLICY_ERROR_PARAMETER, error,
                     "%s: no %s for %s insurance at hospital level %d (add one "
                     "with insurance=\"all\" or level=\"all\" to cover it)",
                     key, what, insurance_names[i], l);
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Shared elements                                                         */

static gboolean
load_coefficients (Loader *ld, const xmlNode *sec, const char *prefix,
                   CmCoefficients *c, GError **error)
{
  static const char *const attrs[] = { "level", NULL };
  static const char *const href_attrs[] = { "href", NULL };
  g_autofree char *key = g_strdup_printf ("%s.coef.level", prefix);
  gboolean seen[CM_N_LEVELS] = { FALSE };
  const xmlNode *hc;
  gboolean ok;

  for (guint l = 0; l < CM_N_LEVELS; l++)
    c->level_e4[l] = CM_E4_ONE;
  for (const xmlNode *n = sec->children; n; n = n->next)
    {
      int lvl;
      if (!is_element (n, "coefficient"))
        continue;
      if (!check_node (ld, n, attrs, NULL, error))
        return FALSE;
      {
        g_autoptr (CmXmlString) v = NULL;
        if (!require_attr (ld, n, "level", &v, error))
          return FALSE;
      }
      if (!attr_enum (ld, n, "level", key, level_names, 3, &lvl, error))
        return FALSE;
      if (lvl == 3)
        return bad_value (ld, n, "level", key, "all",
                          "is not a hospital level here (1, 2 or 3)", error);
      if (seen[lvl + 1])
        return fail (ld, n, CM_POLICY_ERROR_PARAMETER, error,
                     "%s (<coefficient>): a second coefficient for level %d",
                     key, lvl + 1);
      seen[lvl + 1] = TRUE;
      if (!text_e4 (ld, n, key, &c->level_e4[lvl + 1], error))
        return FALSE;
    }
  hc = only_child (ld, sec, "hospital-coefficients", FALSE,
                   "hospital coefficients", &ok, error);
  if (!ok)
    return FALSE;
  if (hc != NULL)
    {
      if (!check_node (ld, hc, href_attrs, NULL, error))
        return FALSE;
      c->hospital = load_hospitals (ld, hc, error);
      if (c->hospital == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
load_fund_share (Loader *ld, const xmlNode *sec, const char *prefix,
                 CmFundShareRule *f, GError **error)
{
  static const char *const attrs[] = { "method", "other-payers-inside", NULL };
  static const char *const methods[] = { "difference", "ratio", NULL };
  g_autofree char *k1 = g_strdup_printf ("%s.fund_share.method", prefix);
  g_autofree char *k2 = g_strdup_printf ("%s.fund_share.other_payers_inside", prefix);
  const xmlNode *n;
  gboolean ok;
  int m;

  /* drg-payment.md §6 / §9: DIFFERENCE [L]/[A]; other payers inside [A] */
  f->method = CM_FUND_SHARE_DIFFERENCE;
  f->other_payers_inside = TRUE;
  n = only_child (ld, sec, "fund-share", FALSE, k1, &ok, error);
  if (!ok)
    return FALSE;
  if (n == NULL)
    return TRUE;
  if (!check_node (ld, n, attrs, NULL, error)
      || !attr_enum (ld, n, "method", k1, methods, 0, &m, error)
      || !attr_bool (ld, n, "other-payers-inside", k2, TRUE,
                     &f->other_payers_inside, error))
    return FALSE;
  f->method = (CmFundShareMethod) m;
  return TRUE;
}

/* <ungrouped factor>, <blank factor>. */
static gboolean
load_factor (Loader *ld, const xmlNode *sec, const char *name, const char *key,
             CmE4 def, CmE4 *out, GError **error)
{
  static const char *const attrs[] = { "factor", NULL };
  const xmlNode *n;
  gboolean ok;

  *out = def;
  n = only_child (ld, sec, name, FALSE, key, &ok, error);
  if (!ok)
    return FALSE;
  if (n == NULL)
    return TRUE;
  {
    g_autoptr (CmXmlString) v = NULL;
    if (!check_node (ld, n, attrs, NULL, error)
        || !require_attr (ld, n, "factor", &v, error))
      return FALSE;
  }
  return attr_e4 (ld, n, "factor", key, def, 0, 10 * CM_E4_ONE, -1, out, error);
}

/* <point-value insurance stage level>…</point-value> into pv[stage][ins][lvl]. */
static gboolean
load_point_values (Loader *ld, const xmlNode *sec, const char *key,
                   gboolean required, CmE4 pv[CM_N_STAGES][CM_N_INSURANCE][CM_N_LEVELS],
                   GError **error)
{
  static const char *const attrs[] = { "insurance", "level", "stage", NULL };
  Slot s[CM_N_STAGES][CM_N_INSURANCE][CM_N_LEVELS];
  gboolean any[CM_N_STAGES] = { FALSE, FALSE };

  for (guint st = 0; st < CM_N_STAGES; st++)
    slots_init (s[st]);
  for (const xmlNode *n = sec->children; n; n = n->next)
    {
      int stage;
      CmE4 v;

      if (!is_element (n, "point-value"))
        continue;
      if (!check_node (ld, n, attrs, NULL, error)
          || !attr_enum (ld, n, "stage", key, stage_names, 0, &stage, error)
          || !text_e4 (ld, n, key, &v, error)
          || !slots_put (ld, n, key, s[stage], TRUE, v, error))
        return FALSE;
      any[stage] = TRUE;
    }
  if (required && !any[0])
    return fail (ld, sec, CM_POLICY_ERROR_SCHEMA, error,
                 "<%s>: the required element <point-value> is missing (%s)",
                 sec->name, key);
  for (guint st = 0; st < CM_N_STAGES; st++)
    {
      if (!any[st])
        continue;
      if (!slots_complete (ld, sec, key, st == 0 ? "provisional point value"
                           : "final point value", s[st], error))
        return FALSE;
      for (guint i = 0; i < CM_N_INSURANCE; i++)
        for (guint l = 1; l <= 3; l++)
          pv[st][i][l] = s[st][i][l].value;
    }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* <drg>                                                                   */

static gboolean
load_outlier (Loader *ld, const xmlNode *sec, CmDrgOutlierRule *r,
              GError **error)
{
  static const char *const attrs[] = { "ref", "low-ratio", "low-inclusive",
                                       "high-inclusive", "low-pay", "high-pay",
                                       "high-beta", NULL };
  static const char *const children[] = { "high-tier", NULL };
  static const char *const tier_attrs[] = { "max-weight", "multiple", NULL };
  static const char *const refs[] = { "std", "group-avg", "catalogue-mean", NULL };
  static const char *const lows[] = { "ffs", "prorata", "min", NULL };
  static const char *const highs[] = { "addon", "points", NULL };
  const xmlNode *n;
  gboolean ok;
  int e;
  guint n_tiers = 0;

  cm_drg_outlier_rule_init (r);
  n = only_child (ld, sec, "outlier", FALSE, "drg.outlier", &ok, error);
  if (!ok)
    return FALSE;
  if (n == NULL)
    return TRUE;
  if (!check_node (ld, n, attrs, children, error))
    return FALSE;
  if (!attr_enum (ld, n, "ref", "drg.outlier.ref", refs, 0, &e, error))
    return FALSE;
  r->ref = (CmOutlierRef) e;
  if (!attr_e4 (ld, n, "low-ratio", "drg.outlier.low_ratio", r->low_ratio_e4, 0,
                CM_E4_ONE, -1, &r->low_ratio_e4, error)
      || !attr_bool (ld, n, "low-inclusive", "drg.outlier.low_inclusive", FALSE,
                     &r->low_inclusive, error)
      || !attr_bool (ld, n, "high-inclusive", "drg.outlier.high_inclusive", FALSE,
                     &r->high_inclusive, error)
      || !attr_e4 (ld, n, "high-beta", "drg.outlier.high_beta", r->high_beta_e4,
                   0, 10 * CM_E4_ONE, -1, &r->high_beta_e4, error))
    return FALSE;
  if (!attr_enum (ld, n, "low-pay", "drg.outlier.low_pay", lows, 0, &e, error))
    return FALSE;
  r->low_pay = (CmLowPay) e;
  if (!attr_enum (ld, n, "high-pay", "drg.outlier.high_pay", highs, 0, &e, error))
    return FALSE;
  r->high_pay = (CmHighPay) e;

  for (const xmlNode *t = n->children; t; t = t->next)
    {
      CmHighTier tier;
      g_autoptr (CmXmlString) mult = NULL;

      if (!is_element (t, "high-tier"))
        continue;
      if (n_tiers == CM_MAX_HIGH_TIERS)
        return fail (ld, t, CM_POLICY_ERROR_PARAMETER, error,
                     "drg.outlier.high_tiers: more than %d tiers", CM_MAX_HIGH_TIERS);
      if (!check_node (ld, t, tier_attrs, NULL, error)
          || !require_attr (ld, t, "multiple", &mult, error)
          || !attr_e4 (ld, t, "max-weight", "drg.outlier.high_tiers", 0, 1,
                       CM_E4_MAX, -1, &tier.max_weight_e4, error)
          || !attr_e4 (ld, t, "multiple", "drg.outlier.high_tiers", 0,
                       CM_E4_ONE, 100 * CM_E4_ONE, -1, &tier.multiple_e4, error))
        return FALSE;
      if (n_tiers > 0)
        {
          const CmHighTier *prev = &r->tiers[n_tiers - 1];
          if (prev->max_weight_e4 == 0)
            return fail (ld, t, CM_POLICY_ERROR_PARAMETER, error,
                         "drg.outlier.high_tiers (<high-tier>): a tier after the "
                         "open-ended one (only the last tier may omit max-weight)");
          if (tier.max_weight_e4 != 0 && tier.max_weight_e4 <= prev->max_weight_e4)
            return fail (ld, t, CM_POLICY_ERROR_PARAMETER, error,
                         "drg.outlier.high_tiers (<high-tier max-weight>): tiers "
                         "must be in ascending order of max-weight");
        }
      if (n_tiers == 0)
        r->n_tiers = 0;  /* the pack's tiers replace the default ones */
      r->tiers[n_tiers++] = tier;
      r->n_tiers = n_tiers;
    }
  if (n_tiers > 0 && r->tiers[n_tiers - 1].max_weight_e4 != 0)
    return fail (ld, n, CM_POLICY_ERROR_PARAMETER, error,
                 "drg.outlier.high_tiers (<outlier>): the last <high-tier> must "
                 "omit max-weight so that every weight has a multiple");
  return TRUE;
}

static gboolean
load_drg (Loader *ld, const xmlNode *sec, CmDrgParams *p, GError **error)
{
  static const char *const attrs[] = { "method", "points-per-weight", NULL };
  static const char *const children[] = { "weights", "rate", "point-value",
                                          "coefficient", "hospital-coefficients",
                                          "exclude", "outlier", "ungrouped",
                                          "fund-share", NULL };
  static const char *const methods[] = { "rate", "points", NULL };
  static const char *const href_attrs[] = { "href", NULL };
  static const char *const rate_attrs[] = { "insurance", "level", NULL };
  static const char *const excl_attrs[] = { "los-max-short", "los-min-long", NULL };
  Slot rates[CM_N_INSURANCE][CM_N_LEVELS];
  const xmlNode *n;
  gboolean ok, any_rate = FALSE;
  int m;

  p->present = TRUE;
  if (!check_node (ld, sec, attrs, children, error)
      || !attr_enum (ld, sec, "method", "drg.method", methods, 0, &m, error)
      || !attr_e4 (ld, sec, "points-per-weight", "drg.points.per_weight",
                   100 * CM_E4_ONE, 1, CM_E4_MAX, -1, &p->points_per_weight_e4,
                   error))
    return FALSE;
  p->method = (CmDrgMethod) m;

  n = only_child (ld, sec, "weights", TRUE, "drg.weights", &ok, error);
  if (!ok || !check_node (ld, n, href_attrs, NULL, error))
    return FALSE;
  p->weights = load_table (ld, n, CM_SCHEME_FAMILY_DRG, error);
  if (p->weights == NULL)
    return FALSE;

  slots_init (rates);
  for (n = sec->children; n; n = n->next)
    {
      CmFen v;
      if (!is_element (n, "rate"))
        continue;
      if (!check_node (ld, n, rate_attrs, NULL, error)
          || !text_fen (ld, n, "drg.rate", &v, error)
          || !slots_put (ld, n, "drg.rate", rates, TRUE, v, error))
        return FALSE;
      any_rate = TRUE;
    }
  for (guint i = 0; i < CM_N_INSURANCE; i++)
    for (guint l = 0; l < CM_N_LEVELS; l++)
      p->rate_fen[i][l] = rates[i][l].spec >= 0 ? rates[i][l].value : -1;
  if (p->method == CM_DRG_METHOD_RATE)
    {
      if (!any_rate)
        return fail (ld, sec, CM_POLICY_ERROR_SCHEMA, error,
                     "<drg method=\"rate\">: the required element <rate> is "
                     "missing (drg.rate)");
      if (!slots_complete (ld, sec, "drg.rate", "base rate", rates, error))
        return FALSE;
    }
  if (!load_point_values (ld, sec, "drg.point_value",
                          p->method == CM_DRG_METHOD_POINTS, p->pv_e4, error)
      || !load_coefficients (ld, sec, "drg", &p->coef, error))
    return FALSE;

  /* drg-payment.md §9: LOS ≤ 2 or ≥ 60 kept out of DRG [L] 庆阳 */
  p->los_max_short = 2;
  p->los_min_long = 60;
  n = only_child (ld, sec, "exclude", FALSE, "drg.exclude", &ok, error);
  if (!ok)
    return FALSE;
  if (n != NULL
      && (!check_node (ld, n, excl_attrs, NULL, error)
          || !attr_int (ld, n, "los-max-short", "drg.exclude.los_max_short", 2, 0,
                        100000, TRUE, &p->los_max_short, error)
          || !attr_int (ld, n, "los-min-long", "drg.exclude.los_min_long", 60, 1,
                        100000, TRUE, &p->los_min_long, error)))
    return FALSE;
  if (p->los_max_short >= 0 && p->los_min_long >= 0
      && p->los_min_long <= p->los_max_short + 1)
    return fail (ld, n, CM_POLICY_ERROR_PARAMETER, error,
                 "drg.exclude.los_min_long (<exclude los-min-long>): %d leaves no "
                 "length of stay for DRG payment after los-max-short %d",
                 p->los_min_long, p->los_max_short);

  if (!load_outlier (ld, sec, &p->outlier, error)
      || !load_factor (ld, sec, "ungrouped", "drg.ungrouped.factor", CM_E4_ONE,
                       &p->ungrouped_factor_e4, error)
      || !load_fund_share (ld, sec, "drg", &p->fund, error))
    return FALSE;
  if (p->outlier.ref == CM_OUTLIER_REF_CATALOGUE_MEAN
      && !cm_catalogue_has_means (p->weights))
    return fail (ld, sec, CM_POLICY_ERROR_PARAMETER, error,
                 "drg.outlier.ref: catalogue-mean needs a mean_cost column in %s",
                 cm_catalogue_get_path (p->weights));
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* <dip>                                                                   */

static gboolean
load_deviation (Loader *ld, const xmlNode *sec, CmDipDeviationRule *r,
                GError **error)
{
  static const char *const attrs[] = { "classify-ref", "price-ref", "low-ratio",
                                       "low-inclusive", "high-ratio",
                                       "high-inclusive", "extreme-ratio",
                                       "high-formula", "extreme-pay", NULL };
  static const char *const refs[] = { "level-mean", "group-mean", "std", NULL };
  static const char *const formulas[] = { "national", "jining", NULL };
  static const char *const pays[] = { "formula", "normal", NULL };
  const xmlNode *n;
  gboolean ok;
  int e;

  cm_dip_deviation_rule_init (r);
  n = only_child (ld, sec, "deviation", FALSE, "dip.dev", &ok, error);
  if (!ok)
    return FALSE;
  if (n == NULL)
    return TRUE;
  if (!check_node (ld, n, attrs, NULL, error))
    return FALSE;
  if (!attr_enum (ld, n, "classify-ref", "dip.dev.classify_ref", refs, 0, &e, error))
    return FALSE;
  r->classify_ref = (CmDipRef) e;
  if (!attr_enum (ld, n, "price-ref", "dip.dev.price_ref", refs, (int) r->classify_ref,
                  &e, error))
    return FALSE;
  r->price_ref = (CmDipRef) e;
  if (!attr_enum (ld, n, "high-formula", "dip.dev.high_formula", formulas, 0, &e, error))
    return FALSE;
  r->high_formula = (CmDipHighFormula) e;
  if (!attr_enum (ld, n, "extreme-pay", "dip.dev.extreme_pay", pays, 0, &e, error))
    return FALSE;
  r->extreme_pay = (CmDipExtremePay) e;
  if (!attr_e4 (ld, n, "low-ratio", "dip.dev.low_ratio", r->low_ratio_e4, 0,
                CM_E4_ONE, -1, &r->low_ratio_e4, error)
      || !attr_bool (ld, n, "low-inclusive", "dip.dev.low_inclusive", FALSE,
                     &r->low_inclusive, error)
      || !attr_e4 (ld, n, "high-ratio", "dip.dev.high_ratio", r->high_ratio_e4,
                   CM_E4_ONE, 100 * CM_E4_ONE, -1, &r->high_ratio_e4, error)
      || !attr_bool (ld, n, "high-inclusive", "dip.dev.high_inclusive", FALSE,
                     &r->high_inclusive, error)
      || !attr_e4 (ld, n, "extreme-ratio", "dip.dev.extreme_ratio",
                   r->extreme_ratio_e4, CM_E4_ONE, 1000 * CM_E4_ONE, 0,
                   &r->extreme_ratio_e4, error))
    return FALSE;
  if (r->extreme_ratio_e4 != 0 && r->extreme_ratio_e4 < r->high_ratio_e4)
    return fail (ld, n, CM_POLICY_ERROR_PARAMETER, error,
                 "dip.dev.extreme_ratio (<deviation extreme-ratio>): below "
                 "high-ratio");
  if (r->low_ratio_e4 > r->high_ratio_e4)
    return fail (ld, n, CM_POLICY_ERROR_PARAMETER, error,
                 "dip.dev.low_ratio (<deviation low-ratio>): above high-ratio");
  return TRUE;
}

static gboolean
load_pool (Loader *ld, const xmlNode *sec, CmDipPool **out, GError **error)
{
  static const char *const attrs[] = { "procedures", "pool", NULL };
  static const char *const levels[] = { "category", "chapter", "all", NULL };
  g_autoptr (CmXmlString) procs = NULL, pool_attr = NULL;
  g_autofree char *dir = NULL, *cache_key = NULL;
  g_auto (GStrv) words = NULL;
  CmDipPoolLevel lv[CM_DIP_POOL_MAX_LEVELS];
  guint n_lv = 0;
  const xmlNode *n;
  CmDipPool *pool;
  gboolean ok;

  *out = NULL;
  n = only_child (ld, sec, "comprehensive", FALSE, "dip.comprehensive", &ok, error);
  if (!ok)
    return FALSE;
  if (n == NULL)
    return TRUE;
  if (!check_node (ld, n, attrs, NULL, error)
      || !require_attr (ld, n, "procedures", &procs, error))
    return FALSE;
  pool_attr = get_attr (n, "pool");
  /* an XML list: levels separated by white space */
  words = g_strsplit_set (pool_attr ? (const char *) pool_attr : "category chapter all",
                          " \t\r\n", -1);
  for (guint i = 0; words[i]; i++)
    {
      int k;
      if (*words[i] == '\0')
        continue;
      for (k = 0; levels[k]; k++)
        if (strcmp (words[i], levels[k]) == 0)
          break;
      if (levels[k] == NULL)
        return bad_value (ld, n, "pool", "dip.comprehensive.pool", words[i],
                          "is not a pooling level (category, chapter, all)", error);
      for (guint j = 0; j < n_lv; j++)
        if (lv[j] == (CmDipPoolLevel) k)
          return bad_value (ld, n, "pool", "dip.comprehensive.pool", words[i],
                            "is listed twice", error);
      lv[n_lv++] = (CmDipPoolLevel) k;
    }
  if (n_lv == 0)
    return bad_value (ld, n, "pool", "dip.comprehensive.pool", "",
                      "names no pooling level", error);
  {
    g_autofree char *rel = g_build_filename (ld->dir, (const char *) procs, NULL);
    g_autoptr (GError) local = NULL;
    dir = g_file_test (rel, G_FILE_TEST_IS_DIR) ? g_strdup (rel)
          : cm_tables_find ((const char *) procs, &local);
    if (dir == NULL)
      return fail (ld, n, CM_POLICY_ERROR_NOT_FOUND, error,
                   "<comprehensive procedures=\"%s\">: %s", procs, local->message);
  }
  cache_key = g_strdup_printf ("%s|%u%u%u", dir, n_lv, lv[0], n_lv > 1 ? lv[1] : 9);
  pool = g_hash_table_lookup (ld->pools, cache_key);
  if (pool == NULL)
    {
      pool = cm_dip_pool_load (dir, lv, n_lv, error);
      if (pool == NULL)
        return FALSE;
      g_ptr_array_add (ld->policy->pools, pool);
      g_hash_table_insert (ld->pools, g_steal_pointer (&cache_key), pool);
    }
  *out = pool;
  return TRUE;
}

static gboolean
load_dip (Loader *ld, const xmlNode *sec, CmDipParams *p, GError **error)
{
  static const char *const attrs[] = { "coefficient-applies-to",
                                       "primary-care-level-free", NULL };
  static const char *const children[] = { "scores", "point-value", "coefficient",
                                          "hospital-coefficients", "comprehensive",
                                          "deviation", "blank", "ungrouped",
                                          "fund-share", NULL };
  static const char *const applies[] = { "payment", "points", NULL };
  static const char *const href_attrs[] = { "href", NULL };
  const xmlNode *n;
  gboolean ok;
  int e;

  p->present = TRUE;
  if (!check_node (ld, sec, attrs, children, error)
      || !attr_enum (ld, sec, "coefficient-applies-to", "dip.coef.applies_to",
                     applies, 0, &e, error)
      || !attr_bool (ld, sec, "primary-care-level-free",
                     "dip.coef.primary_care_level_free", TRUE,
                     &p->primary_care_level_free, error))
    return FALSE;
  p->coef_applies_to = (CmCoefAppliesTo) e;
  n = only_child (ld, sec, "scores", TRUE, "dip.scores", &ok, error);
  if (!ok || !check_node (ld, n, href_attrs, NULL, error))
    return FALSE;
  p->scores = load_table (ld, n, CM_SCHEME_FAMILY_DIP, error);
  if (p->scores == NULL
      || !load_point_values (ld, sec, "dip.pv", TRUE, p->pv_e4, error)
      || !load_coefficients (ld, sec, "dip", &p->coef, error)
      || !load_pool (ld, sec, &p->pool, error)
      || !load_deviation (ld, sec, &p->deviation, error)
      || !load_factor (ld, sec, "blank", "dip.blank_factor", 7000,
                       &p->blank_factor_e4, error)
      || !load_factor (ld, sec, "ungrouped", "dip.ungrouped_factor", 7000,
                       &p->ungrouped_factor_e4, error)
      || !load_fund_share (ld, sec, "dip", &p->fund, error))
    return FALSE;
  if ((p->deviation.classify_ref != CM_DIP_REF_STD
       || p->deviation.price_ref != CM_DIP_REF_STD)
      && !cm_catalogue_has_means (p->scores))
    return fail (ld, sec, CM_POLICY_ERROR_PARAMETER, error,
                 "dip.dev.classify_ref / price_ref: level-mean and group-mean need "
                 "a mean_cost column in %s", cm_catalogue_get_path (p->scores));
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* <per-diem>                                                              */

/* by CmPerDiemCategory − 1 */
static const char *const category_names[] = { "rehab", "nursing", "hospice", "psych",
                                              NULL };

/* <rate level>…</rate> children of @n into @rate (per level, -1 none). */
static gboolean
load_level_rates (Loader *ld, const xmlNode *n, const char *key,
                  CmFen rate[CM_N_LEVELS], GError **error)
{
  static const char *const attrs[] = { "level", NULL };
  Slot s[CM_N_INSURANCE][CM_N_LEVELS];

  slots_init (s);
  for (const xmlNode *r = n->children; r; r = r->next)
    {
      CmFen v;
      if (!is_element (r, "rate"))
        continue;
      if (!check_node (ld, r, attrs, NULL, error)
          || !text_fen (ld, r, key, &v, error)
          || !slots_put (ld, r, key, s, FALSE, v, error))
        return FALSE;
    }
  for (guint l = 1; l <= 3; l++)
    rate[l] = s[0][l].spec >= 0 ? s[0][l].value : -1;
  return TRUE;
}

static gboolean
load_profile (Loader *ld, const xmlNode *n, CmPerDiemProfile *profiles,
              GError **error)
{
  static const char *const attrs[] = { "category", "min-los", "cap-days-episode",
                                       "extra-days", "floor-ratio", "patient-share",
                                       "patient-ratio", "ineligible", "dx-prefixes",
                                       NULL };
  static const char *const children[] = { "rate", "segment", NULL };
  static const char *const seg_attrs[] = { "to-day", "factor", NULL };
  static const char *const seg_children[] = { "rate", NULL };
  static const char *const extras[] = { "ffs", "unpaid", "review", NULL };
  static const char *const shares[] = { "ffs", "fixed-ratio", NULL };
  static const char *const inel[] = { "group", "ffs", NULL };
  g_autoptr (CmXmlString) cat_attr = NULL, dx = NULL;
  CmPerDiemRule *r;
  int cat, e, n_seg = 0;
  gint32 cap;
  char key[64];

  if (!check_node (ld, n, attrs, children, error)
      || !require_attr (ld, n, "category", &cat_attr, error)
      || !attr_enum (ld, n, "category", "perdiem.category", category_names, 0,
                     &cat, error))
    return FALSE;
  cat++;  /* CmPerDiemCategory */
  if (profiles[cat].present)
    return fail (ld, n, CM_POLICY_ERROR_PARAMETER, error,
                 "perdiem.%s: a second <profile category=\"%s\"> in this year",
                 category_names[cat - 1], category_names[cat - 1]);
  profiles[cat].present = TRUE;
  r = &profiles[cat].rule;
  cm_per_diem_rule_init (r, (CmPerDiemCategory) cat);
#define KEY(k) (g_snprintf (key, sizeof key, "perdiem.%s." k, category_names[cat - 1]), key)
  if (!attr_int (ld, n, "min-los", KEY ("min_los"), 1, 1, 100000, FALSE, &r->min_los,
                 error)
      || !attr_int (ld, n, "cap-days-episode", KEY ("cap_days_episode"), -1, 1,
                    100000, TRUE, &cap, error)
      || !attr_e4 (ld, n, "floor-ratio", KEY ("floor_ratio"), r->floor_ratio_e4, 1,
                   CM_E4_ONE, 0, &r->floor_ratio_e4, error)
      || !attr_e4 (ld, n, "patient-ratio", KEY ("patient_share.ratio"),
                   r->patient_ratio_e4, 0, CM_E4_ONE, -1, &r->patient_ratio_e4,
                   error))
    return FALSE;
  r->cap_days_episode = cap < 0 ? 0 : cap;
  if (!attr_enum (ld, n, "extra-days", KEY ("extra_days"), extras, 0, &e, error))
    return FALSE;
  r->extra_days = (CmExtraDays) e;
  if (!attr_enum (ld, n, "patient-share", KEY ("patient_share.method"), shares, 0,
                  &e, error))
    return FALSE;
  r->patient_share = (CmPatientShare) e;
  if (!attr_enum (ld, n, "ineligible", KEY ("ineligible"), inel, 0, &e, error))
    return FALSE;
  r->ineligible_ffs = e == 1;
  dx = get_attr (n, "dx-prefixes");
  if (dx != NULL)
    {
      if (strlen ((const char *) dx) >= sizeof r->dx_prefixes
          || strpbrk ((const char *) dx, " \t,") != NULL)
        return bad_value (ld, n, "dx-prefixes", KEY ("dx_prefixes"),
                          (const char *) dx,
                          "is not a |-separated list of diagnosis prefixes "
                          "(at most 127 characters, no spaces)", error);
      g_strlcpy (r->dx_prefixes, (const char *) dx, sizeof r->dx_prefixes);
    }
  if (!load_level_rates (ld, n, KEY ("rate"), r->rate_fen, error))
    return FALSE;

  for (const xmlNode *s = n->children; s; s = s->next)
    {
      CmPerDiemSegment *seg;
      if (!is_element (s, "segment"))
        continue;
      if (n_seg == CM_MAX_PER_DIEM_SEGMENTS)
        return fail (ld, s, CM_POLICY_ERROR_PARAMETER, error,
                     "%s: more than %d segments", KEY ("segments"),
                     CM_MAX_PER_DIEM_SEGMENTS);
      if (n_seg > 0 && r->segments[n_seg - 1].to_day == 0)
        return fail (ld, s, CM_POLICY_ERROR_PARAMETER, error,
                     "%s (<segment>): a segment after the open-ended one (only "
                     "the last may omit to-day)", KEY ("segments"));
      seg = &r->segments[n_seg];
      if (!check_node (ld, s, seg_attrs, seg_children, error)
          || !attr_int (ld, s, "to-day", KEY ("segments"), 0, 1, 100000, FALSE,
                        &seg->to_day, error)
          || !attr_e4 (ld, s, "factor", KEY ("segments"), CM_E4_ONE, 0,
                       10 * CM_E4_ONE, -1, &seg->factor_e4, error)
          || !load_level_rates (ld, s, KEY ("segments"), seg->rate_fen, error))
        return FALSE;
      if (n_seg > 0 && seg->to_day != 0 && seg->to_day <= r->segments[n_seg - 1].to_day)
        return fail (ld, s, CM_POLICY_ERROR_PARAMETER, error,
                     "%s (<segment to-day>): segments must be in ascending order "
                     "of to-day", KEY ("segments"));
      n_seg++;
    }
  if (n_seg > 0)
    r->n_segments = (guint) n_seg;
  if (r->segments[r->n_segments - 1].to_day != 0
      && (r->cap_days_episode == 0
          || r->cap_days_episode > r->segments[r->n_segments - 1].to_day))
    return fail (ld, n, CM_POLICY_ERROR_PARAMETER, error,
                 "%s: the segments end at day %d but stays may be paid longer; "
                 "omit to-day on the last segment or set cap-days-episode ≤ %d",
                 KEY ("segments"), r->segments[r->n_segments - 1].to_day,
                 r->segments[r->n_segments - 1].to_day);
#undef KEY
  return TRUE;
}

static gboolean
load_per_diem (Loader *ld, const xmlNode *sec, CmYearParams *y, GError **error)
{
  static const char *const children[] = { "profile", "fund-share", NULL };
  static const char *const no_attrs[] = { NULL };

  if (!check_node (ld, sec, no_attrs, children, error))
    return FALSE;
  for (const xmlNode *n = sec->children; n; n = n->next)
    if (is_element (n, "profile") && !load_profile (ld, n, y->per_diem, error))
      return FALSE;
  return load_fund_share (ld, sec, "perdiem", &y->per_diem_fund, error);
}

/* ---------------------------------------------------------------------- */
/* <policy>                                                                */

static gboolean
load_year (Loader *ld, const xmlNode *n, CmYearParams *y, GError **error)
{
  static const char *const attrs[] = { "value", NULL };
  static const char *const children[] = { "drg", "dip", "per-diem", NULL };
  g_autoptr (CmXmlString) v = NULL;
  const xmlNode *sec;
  gboolean ok;

  memset (y, 0, sizeof *y);
  if (!check_node (ld, n, attrs, children, error)
      || !require_attr (ld, n, "value", &v, error))
    return FALSE;
  if (strlen ((const char *) v) != 4
      || !attr_int (ld, n, "value", "year", 0, 1900, 9999, FALSE, &y->year, NULL))
    return bad_value (ld, n, "value", "year", (const char *) v,
                      "is not a year (four digits, 1900 … 9999)", error);
  sec = only_child (ld, n, "drg", FALSE, "drg", &ok, error);
  if (!ok || (sec != NULL && !load_drg (ld, sec, &y->drg, error)))
    return FALSE;
  sec = only_child (ld, n, "dip", FALSE, "dip", &ok, error);
  if (!ok || (sec != NULL && !load_dip (ld, sec, &y->dip, error)))
    return FALSE;
  if (!y->drg.present && !y->dip.present)
    return fail (ld, n, CM_POLICY_ERROR_SCHEMA, error,
                 "<year value=\"%d\">: needs a <drg> or a <dip> section", y->year);
  y->per_diem_fund.method = CM_FUND_SHARE_DIFFERENCE;
  y->per_diem_fund.other_payers_inside = TRUE;
  sec = only_child (ld, n, "per-diem", FALSE, "perdiem", &ok, error);
  if (!ok || (sec != NULL && !load_per_diem (ld, sec, y, error)))
    return FALSE;
  return TRUE;
}

static int
cmp_year (gconstpointer a, gconstpointer b)
{
  const CmYearParams *x = a, *y = b;
  return x->year - y->year;
}

/* days since 1970-01-01 of @year-@month-@day (proleptic Gregorian). */
static gint32
days_from_civil (int y, unsigned m, unsigned d)
{
  int era;
  unsigned yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned) (y - era * 400);
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (gint32) doe - 719468;
}

int
cm_date_year_range (gint32 days, gint32 *first, gint32 *next)
{
  int y = cm_date_year (days);

  *first = days_from_civil (y, 1, 1);
  *next = days_from_civil (y + 1, 1, 1);
  return y;
}

int
cm_date_year (gint32 z)
{
  /* H. Hinnant's civil_from_days, year part */
  int era;
  unsigned doe, yoe, doy, mp;
  int y;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (unsigned) (z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = (int) yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  return mp >= 10 ? y + 1 : y;
}

/* Every date of every year must find the section of its scheme's family. */
static gboolean
check_year_families (Loader *ld, const xmlNode *root, GError **error)
{
  CmPolicy *p = ld->policy;

  for (guint i = 0; i < p->years->len; i++)
    {
      const CmYearParams *y = &g_array_index (p->years, CmYearParams, i);
      gint32 from = days_from_civil (y->year, 1, 1);
      gint32 to = days_from_civil (y->year + 1, 1, 1);

      for (gint32 d = from; d < to; d++)
        {
          CmScheme *s = cm_timeline_lookup (p->timeline, d, CM_TIMELINE_PRIMARY);
          gboolean drg;
          char date[11];

          if (s == NULL)
            continue;
          drg = cm_scheme_get_family (s) == CM_SCHEME_FAMILY_DRG;
          if (drg ? y->drg.present : y->dip.present)
            continue;
          cm_date_format (d, date);
          return fail (ld, root, CM_POLICY_ERROR_PARAMETER, error,
                       "year %d: scheme %s (in force on %s) is a %s scheme but "
                       "the year has no <%s> section", y->year,
                       cm_scheme_get_id (s), date, drg ? "DRG" : "DIP",
                       drg ? "drg" : "dip");
        }
    }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* RELAX NG                                                                */

typedef struct {
  const char *path;   /* the policy file */
  char *first;        /* the first message that names an element */
  char *any;          /* the first message at all */
} RngErrors;

/* Keeps the first message that can name file:line (libxml2 reports some
 * errors without a node or a line). */
static void
rng_error (void *data, CmXmlErrorPtr err)
{
  RngErrors *e = data;
  g_autofree char *msg = NULL;
  const xmlNode *node;

  if (err == NULL || e->first != NULL)
    return;
  msg = g_strstrip (g_strdup (err->message ? err->message : "invalid"));
  node = err->node;
  if (node != NULL && node->type == XML_ELEMENT_NODE)
    e->first = g_strdup_printf ("%s:%ld: <%s>: %s", e->path, xmlGetLineNo (node),
                                node->name, msg);
  else if (err->line > 0)
    e->first = g_strdup_printf ("%s:%d: %s", err->file ? err->file : e->path,
                                err->line, msg);
  else if (e->any == NULL)
    e->any = g_strdup_printf ("%s: %s", e->path, msg);
}

static char *
find_schema (void)
{
  g_auto (GStrv) path = cm_tables_search_path ();
  for (guint i = 0; path[i]; i++)
    {
      char *rng = g_build_filename (path[i], "policy", "policy.rng", NULL);
      if (g_file_test (rng, G_FILE_TEST_IS_REGULAR))
        return rng;
      g_free (rng);
    }
  return NULL;
}

static gboolean
validate_rng (const Loader *ld, xmlDoc *doc, GError **error)
{
  g_autofree char *rng_path = find_schema ();
  g_autoptr (xmlParserCtxt) spc = NULL;
  g_autoptr (xmlDoc) sdoc = NULL;
  g_autoptr (xmlRelaxNGParserCtxt) pc = NULL;
  g_autoptr (xmlRelaxNG) schema = NULL;
  g_autoptr (xmlRelaxNGValidCtxt) vc = NULL;
  RngErrors errs = { ld->path, NULL, NULL };
  int rc;

  if (rng_path == NULL)
    return fail (ld, NULL, CM_POLICY_ERROR_NOT_FOUND, error,
                 "the policy schema policy/policy.rng is not on the tables search path");
  /* read the schema quietly ourselves: xmlRelaxNGNewParserCtxt would
   * report its XML errors on stderr */
  spc = xmlNewParserCtxt ();
  sdoc = xmlCtxtReadFile (spc, rng_path, NULL,
                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (sdoc == NULL)
    {
      CmXmlErrorPtr e = xmlCtxtGetLastError (spc);
      g_autofree char *msg = g_strstrip (g_strdup (e && e->message ? e->message : "?"));
      g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_SCHEMA,
                   "%s:%d: the schema does not load: %s", rng_path,
                   e ? e->line : 0, msg);
      return FALSE;
    }
  pc = xmlRelaxNGNewDocParserCtxt (sdoc);
  xmlRelaxNGSetParserStructuredErrors (pc, rng_error, &errs);
  schema = xmlRelaxNGParse (pc);
  if (schema == NULL)
    {
      g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_SCHEMA,
                   "%s: the schema does not load: %s", rng_path,
                   errs.first ? errs.first : errs.any ? errs.any : "?");
      g_free (errs.first);
      g_free (errs.any);
      return FALSE;
    }
  vc = xmlRelaxNGNewValidCtxt (schema);
  xmlRelaxNGSetValidStructuredErrors (vc, rng_error, &errs);
  rc = xmlRelaxNGValidateDoc (vc, doc);
  if (rc != 0)
    {
      g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_SCHEMA,
                   "%s (RELAX NG %s)",
                   errs.first ? errs.first : errs.any ? errs.any : ld->path, rng_path);
      g_free (errs.first);
      g_free (errs.any);
      return FALSE;
    }
  g_free (errs.first);
  g_free (errs.any);
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Public                                                                  */

char *
cm_policy_find (const char *name, GError **error)
{
  g_auto (GStrv) path = NULL;
  g_autofree char *where = NULL;

  g_return_val_if_fail (name != NULL, NULL);
  if (g_file_test (name, G_FILE_TEST_IS_REGULAR))
    return g_strdup (name);
  if (g_file_test (name, G_FILE_TEST_IS_DIR))
    {
      char *p = g_build_filename (name, "policy.xml", NULL);
      if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
        return p;
      g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_NOT_FOUND,
                   "%s: no policy.xml in this folder", name);
      g_free (p);
      return NULL;
    }
  path = cm_tables_search_path ();
  if (strchr (name, G_DIR_SEPARATOR) == NULL)
    for (guint i = 0; path[i]; i++)
      {
        char *p = g_build_filename (path[i], "policy", name, "policy.xml", NULL);
        if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
          return p;
        g_free (p);
      }
  where = g_strjoinv (", ", path);
  g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_NOT_FOUND,
               "%s: no such file or folder, and no shipped policy of that name "
               "under policy/ in %s", name, where);
  return NULL;
}

static void
policy_free (CmPolicy *p)
{
  g_free (p->path);
  g_free (p->dir);
  g_free (p->region);
  g_free (p->name);
  g_clear_pointer (&p->timeline, cm_timeline_unref);
  g_clear_pointer (&p->years, g_array_unref);
  g_clear_pointer (&p->tables, g_ptr_array_unref);
  g_clear_pointer (&p->pools, g_ptr_array_unref);
  g_clear_pointer (&p->hash_tables, g_ptr_array_unref);
  g_free (p);
}

static gpointer
xml_init (gpointer unused)
{
  xmlInitParser ();
  return NULL;
}

static gboolean
load_root (Loader *ld, const xmlNode *root, GError **error)
{
  static const char *const attrs[] = { "format", "region", "name", "illustrative",
                                       NULL };
  static const char *const children[] = { "description", "schemes", "year", NULL };
  static const char *const schemes_attrs[] = { "href", NULL };
  static const char *const no_attrs[] = { NULL };
  g_autoptr (CmXmlString) format = NULL, region = NULL, name = NULL;
  g_autofree char *tl_path = NULL;
  g_autoptr (GError) local = NULL;
  const xmlNode *n;
  CmPolicy *p = ld->policy;
  gboolean ok;

  if (root == NULL || !is_element (root, "policy"))
    return fail (ld, root, CM_POLICY_ERROR_SCHEMA, error,
                 "the root element must be <policy>");
  if (!check_node (ld, root, attrs, children, error)
      || !require_attr (ld, root, "format", &format, error)
      || !require_attr (ld, root, "region", &region, error))
    return FALSE;
  if (strcmp ((const char *) format, "1") != 0)
    return bad_value (ld, root, "format", "format", (const char *) format,
                      "is not a policy format this casemix reads (1)", error);
  if (!attr_bool (ld, root, "illustrative", "illustrative", FALSE,
                  &p->illustrative, error))
    return FALSE;
  name = get_attr (root, "name");
  if (*region == '\0' || strpbrk ((const char *) region, " \t\r\n") != NULL)
    return bad_value (ld, root, "region", "region", (const char *) region,
                      "is not a region code (one word, e.g. 430200)", error);
  p->region = g_strdup ((const char *) region);
  p->name = g_strdup (name ? (const char *) name : (const char *) region);
  n = only_child (ld, root, "description", FALSE, "description", &ok, error);
  if (!ok || (n != NULL && !check_node (ld, n, no_attrs, NULL, error)))
    return FALSE;

  n = only_child (ld, root, "schemes", TRUE, "the scheme timeline", &ok, error);
  if (!ok || !check_node (ld, n, schemes_attrs, NULL, error))
    return FALSE;
  tl_path = resolve_file (ld, n, "href", error);
  if (tl_path == NULL)
    return FALSE;
  p->timeline = cm_timeline_load (tl_path, &local);
  if (p->timeline == NULL)
    return fail (ld, n, CM_POLICY_ERROR_SCHEME, error, "<schemes>: %s",
                 local->message);

  for (n = root->children; n; n = n->next)
    {
      CmYearParams y;
      if (!is_element (n, "year"))
        continue;
      if (!load_year (ld, n, &y, error))
        return FALSE;
      for (guint i = 0; i < p->years->len; i++)
        if (g_array_index (p->years, CmYearParams, i).year == y.year)
          return fail (ld, n, CM_POLICY_ERROR_PARAMETER, error,
                       "year: a second <year value=\"%d\">", y.year);
      g_array_append_val (p->years, y);
    }
  if (p->years->len == 0)
    return fail (ld, root, CM_POLICY_ERROR_SCHEMA, error,
                 "<policy>: the required element <year> is missing");
  g_array_sort (p->years, cmp_year);
  return check_year_families (ld, root, error);
}

CmPolicy *
cm_policy_load (const char *name_or_path, GError **error)
{
  static GOnce once = G_ONCE_INIT;
  g_autofree char *path = NULL;
  g_autoptr (CmPolicy) p = NULL;
  g_autoptr (xmlParserCtxt) pc = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (GHashTable) tables = NULL, hospitals = NULL, pools = NULL;
  Loader ld = { 0 };
  GStatBuf st;

  g_return_val_if_fail (name_or_path != NULL, NULL);
  g_once (&once, xml_init, NULL);
  path = cm_policy_find (name_or_path, error);
  if (path == NULL)
    return NULL;
  if (g_stat (path, &st) == 0 && st.st_size > CM_POLICY_MAX_XML_BYTES)
    {
      g_set_error (error, CM_POLICY_ERROR, CM_POLICY_ERROR_SYNTAX,
                   "%s: larger than %d bytes", path, CM_POLICY_MAX_XML_BYTES);
      return NULL;
    }
  pc = xmlNewParserCtxt ();
  doc = xmlCtxtReadFile (pc, path, NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
                         | XML_PARSE_BIG_LINES);
  if (doc == NULL)
    {
      CmXmlErrorPtr e = xmlCtxtGetLastError (pc);
      g_autofree char *msg = g_strstrip (g_strdup (e && e->message ? e->message
                                                    : "cannot be read"));
      g_set_error (error, CM_POLICY_ERROR,
                   e && e->domain == XML_FROM_IO ? CM_POLICY_ERROR_NOT_FOUND
                                                 : CM_POLICY_ERROR_SYNTAX,
                   "%s:%d: %s", path, e ? e->line : 0, msg);
      return NULL;
    }

  p = g_new0 (CmPolicy, 1);
  g_atomic_ref_count_init (&p->ref);
  p->path = g_strdup (path);
  p->dir = g_path_get_dirname (path);
  p->years = g_array_new (FALSE, TRUE, sizeof (CmYearParams));
  p->tables = g_ptr_array_new_with_free_func ((GDestroyNotify) cm_catalogue_unref);
  p->pools = g_ptr_array_new_with_free_func ((GDestroyNotify) cm_dip_pool_unref);
  p->hash_tables = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  tables = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  hospitals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pools = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ld.path = p->path;
  ld.dir = p->dir;
  ld.policy = p;
  ld.tables = tables;
  ld.hospitals = hospitals;
  ld.pools = pools;

  if (!load_root (&ld, xmlDocGetRootElement (doc), error)
      || !validate_rng (&ld, doc, error))
    return NULL;
  return g_steal_pointer (&p);
}

CmPolicy *
cm_policy_ref (CmPolicy *policy)
{
  g_return_val_if_fail (policy != NULL, NULL);
  g_atomic_ref_count_inc (&policy->ref);
  return policy;
}

void
cm_policy_unref (CmPolicy *policy)
{
  if (policy == NULL || !g_atomic_ref_count_dec (&policy->ref))
    return;
  policy_free (policy);
}

const char *
cm_policy_get_region (const CmPolicy *policy)
{
  g_return_val_if_fail (policy != NULL, NULL);
  return policy->region;
}

const char *
cm_policy_get_name (const CmPolicy *policy)
{
  g_return_val_if_fail (policy != NULL, NULL);
  return policy->name;
}

const char *
cm_policy_get_path (const CmPolicy *policy)
{
  g_return_val_if_fail (policy != NULL, NULL);
  return policy->path;
}

gboolean
cm_policy_is_illustrative (const CmPolicy *policy)
{
  g_return_val_if_fail (policy != NULL, FALSE);
  return policy->illustrative;
}

CmTimeline *
cm_policy_get_timeline (const CmPolicy *policy)
{
  g_return_val_if_fail (policy != NULL, NULL);
  return policy->timeline;
}

gboolean
cm_policy_has_year (const CmPolicy *policy, int year)
{
  g_return_val_if_fail (policy != NULL, FALSE);
  return cm_policy_lookup_year (policy, year) != NULL;
}

const CmYearParams *
cm_policy_lookup_year (const CmPolicy *policy, int year)
{
  for (guint i = 0; i < policy->years->len; i++)
    {
      const CmYearParams *y = &g_array_index (policy->years, CmYearParams, i);
      if (y->year == year)
        return y;
    }
  return NULL;
}
