/* cm-settle-config.c — loading settlement.xml and its tables.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Same order of checks as the policy loader (cm-policy.c): well-formed
 * XML; our own walk with messages naming file:line, the element, the
 * attribute and the parameter key of docs/settlement.md; RELAX NG
 * validation against tables/policy/settlement.rng; then consistency
 * (tiers ascending, budgets per pool complete, tables well-formed). */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include "cm-settle-config.h"
#include "cm-policy-private.h"
#include "cm-tables.h"
#include "cm-timeline.h"
#include "cm-xml-private.h"

#define MAX_YEARS 64
#define SCORE_FULL (100 * CM_E4_ONE)

typedef struct {
  CmSettleYear p;
  GArray *hospitals;    /* CmSettleHospital */
  GHashTable *hospital_index;  /* id → index + 1 */
  GArray *counties;     /* CmSettleCounty */
  GArray *alliances;    /* CmSettleAlliance */
  GHashTable *new_tech; /* code set */
  CmCalendar *calendar;
} YearData;

struct _CmSettleConfig {
  gatomicrefcount ref;
  char *path;
  char *dir;
  char *region;
  char *sha256;
  GStringChunk *strings;
  GPtrArray *member_lists;   /* char ** owned (g_free of the array only) */
  GArray *years;             /* YearData, sorted by year */
  YearData defaults;         /* handed out for unlisted years */
  GChecksum *sum;            /* while loading */
};

/* ---- defaults ----------------------------------------------------------- */

static void
year_defaults (CmSettleYear *y, int year)
{
  memset (y, 0, sizeof *y);
  y->year = year;
  y->basis = CM_SETTLE_BASIS_DISCHARGE;
  y->quality_reserve_e4 = 500;           /* 0.05 [A] */
  y->deadline_working_days = 30;         /* [S]/[N~]; Hunan target 15 [B] */
  y->declaration_day = 10;               /* [A] */
  y->pools = CM_PV_POOLS_SINGLE;
  for (guint i = 0; i < CM_SETTLE_N_POOLS; i++)
    y->fund_share_e4[i] = CM_E4_ONE;
  y->special_cap_drg_e4 = 500;           /* 5 % [N] */
  y->special_cap_dip_e4 = 50;            /* 5 ‰ [S] */
  y->special_cycle = CM_SPECIAL_CYCLE_QUARTER;
  y->special_long_stay_days = 60;        /* [S] 3.0 commentary */
  y->special_high_cost_e4 = 30000;       /* 3 × standard [S] */
  y->default_score_e4 = SCORE_FULL;
  cm_incentive_rule_init (&y->incentive);
  cm_alliance_rule_init (&y->alliance);
}

static void
year_data_init (YearData *d, int year)
{
  memset (d, 0, sizeof *d);
  year_defaults (&d->p, year);
  d->hospitals = g_array_new (FALSE, TRUE, sizeof (CmSettleHospital));
  d->hospital_index = g_hash_table_new (g_str_hash, g_str_equal);
  d->counties = g_array_new (FALSE, TRUE, sizeof (CmSettleCounty));
  d->alliances = g_array_new (FALSE, TRUE, sizeof (CmSettleAlliance));
  d->new_tech = g_hash_table_new (g_str_hash, g_str_equal);
  d->calendar = cm_calendar_new ();
}

static void
year_data_clear (YearData *d)
{
  g_clear_pointer (&d->hospitals, g_array_unref);
  g_clear_pointer (&d->hospital_index, g_hash_table_unref);
  g_clear_pointer (&d->counties, g_array_unref);
  g_clear_pointer (&d->alliances, g_array_unref);
  g_clear_pointer (&d->new_tech, g_hash_table_unref);
  g_clear_pointer (&d->calendar, cm_calendar_free);
}

static CmSettleConfig *
config_new (const char *region)
{
  CmSettleConfig *cfg = g_new0 (CmSettleConfig, 1);

  g_atomic_ref_count_init (&cfg->ref);
  cfg->path = g_strdup ("");
  cfg->region = g_strdup (region ? region : "");
  cfg->sha256 = g_strdup ("");
  cfg->strings = g_string_chunk_new (4096);
  cfg->member_lists = g_ptr_array_new_with_free_func (g_free);
  cfg->years = g_array_new (FALSE, TRUE, sizeof (YearData));
  year_data_init (&cfg->defaults, 0);
  return cfg;
}

CmSettleConfig *
cm_settle_config_new_default (const char *region)
{
  return config_new (region);
}

CmSettleConfig *
cm_settle_config_ref (CmSettleConfig *cfg)
{
  g_return_val_if_fail (cfg != NULL, NULL);
  g_atomic_ref_count_inc (&cfg->ref);
  return cfg;
}

void
cm_settle_config_unref (CmSettleConfig *cfg)
{
  if (cfg == NULL || !g_atomic_ref_count_dec (&cfg->ref))
    return;
  for (guint i = 0; i < cfg->years->len; i++)
    year_data_clear (&g_array_index (cfg->years, YearData, i));
  g_array_unref (cfg->years);
  year_data_clear (&cfg->defaults);
  g_ptr_array_unref (cfg->member_lists);
  g_string_chunk_free (cfg->strings);
  if (cfg->sum)
    g_checksum_free (cfg->sum);
  g_free (cfg->path);
  g_free (cfg->dir);
  g_free (cfg->region);
  g_free (cfg->sha256);
  g_free (cfg);
}

/* ---- messages and attribute helpers ------------------------------------- */

typedef struct {
  CmSettleConfig *cfg;
  const char *path;
} Loader;

static gboolean G_GNUC_PRINTF (4, 5)
fail (const Loader *ld, const xmlNode *n, GError **error, const char *format, ...)
{
  g_autofree char *msg = NULL;
  va_list ap;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (n != NULL)
    g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_CONFIG, "%s:%ld: %s",
                 ld->path, xmlGetLineNo (n), msg);
  else
    g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_CONFIG, "%s: %s",
                 ld->path, msg);
  return FALSE;
}

static gboolean
is_element (const xmlNode *n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, name) == 0;
}

/* Every attribute of @n is in @allowed (NULL-terminated). */
static gboolean
check_attrs (const Loader *ld, const xmlNode *n, const char *const *allowed,
             GError **error)
{
  for (const xmlAttr *a = n->properties; a; a = a->next)
    {
      gboolean ok = FALSE;
      for (guint i = 0; allowed[i]; i++)
        if (strcmp ((const char *) a->name, allowed[i]) == 0)
          ok = TRUE;
      if (!ok)
        {
          g_autofree char *list = g_strjoinv (", ", (char **) allowed);
          return fail (ld, n, error, "<%s>: unknown attribute '%s' (allowed: %s)",
                       n->name, a->name, *list ? list : "none");
        }
    }
  return TRUE;
}

static CmXmlString *
get_attr (const xmlNode *n, const char *name)
{
  return xmlGetProp (n, (const xmlChar *) name);
}

static gboolean
attr_e4 (const Loader *ld, const xmlNode *n, const char *attr, const char *key,
         CmE4 max, CmE4 *out, GError **error)
{
  g_autoptr (CmXmlString) v = get_attr (n, attr);
  g_autofree char *t = NULL;
  const char *why = NULL;

  if (v == NULL)
    return TRUE;
  t = g_strstrip (g_strdup ((const char *) v));
  if (!cm_scaled_parse (t, 4, 0, max, out, &why))
    {
      g_autofree char *maxs = g_malloc (CM_MONEY_BUF);
      cm_e4_format (max, maxs);
      return fail (ld, n, error, "<%s %s=\"%s\">: %s: %s (a decimal 0 to %s, at most "
                   "4 decimals)", n->name, attr, (const char *) v, key,
                   why ? why : "out of range", maxs);
    }
  return TRUE;
}

static gboolean
attr_fen (const Loader *ld, const xmlNode *n, const char *attr, const char *key,
          gboolean required, CmFen *out, GError **error)
{
  g_autoptr (CmXmlString) v = get_attr (n, attr);
  g_autofree char *t = NULL;
  const char *why = NULL;

  if (v == NULL)
    {
      if (required)
        return fail (ld, n, error, "<%s>: %s: attribute '%s' is required", n->name,
                     key, attr);
      return TRUE;
    }
  t = g_strstrip (g_strdup ((const char *) v));
  if (!cm_scaled_parse (t, 2, 0, CM_FEN_MAX, out, &why))
    return fail (ld, n, error, "<%s %s=\"%s\">: %s: %s (yuan, at most 2 decimals)",
                 n->name, attr, (const char *) v, key, why ? why : "out of range");
  return TRUE;
}

static gboolean
attr_uint (const Loader *ld, const xmlNode *n, const char *attr, const char *key,
           gint64 max, gint64 *out, GError **error)
{
  g_autoptr (CmXmlString) v = get_attr (n, attr);
  const char *why = NULL;

  if (v == NULL)
    return TRUE;
  if (!cm_scaled_parse ((const char *) v, 0, 0, max, out, &why))
    return fail (ld, n, error, "<%s %s=\"%s\">: %s: %s (a whole number 0 to %"
                 G_GINT64_FORMAT ")", n->name, attr, (const char *) v, key,
                 why ? why : "out of range", max);
  return TRUE;
}

static gboolean
attr_bool (const Loader *ld, const xmlNode *n, const char *attr, const char *key,
           gboolean *out, GError **error)
{
  g_autoptr (CmXmlString) v = get_attr (n, attr);

  if (v == NULL)
    return TRUE;
  if (strcmp ((const char *) v, "true") == 0)
    *out = TRUE;
  else if (strcmp ((const char *) v, "false") == 0)
    *out = FALSE;
  else
    return fail (ld, n, error, "<%s %s=\"%s\">: %s: not true or false", n->name,
                 attr, (const char *) v, key);
  return TRUE;
}

/* Returns the index of the value in @names, or @def when absent, -1 on a
 * bad value (error set). */
static int
attr_enum (const Loader *ld, const xmlNode *n, const char *attr, const char *key,
           const char *const *names, int def, GError **error)
{
  g_autoptr (CmXmlString) v = get_attr (n, attr);

  if (v == NULL)
    return def;
  for (int i = 0; names[i]; i++)
    if (strcmp ((const char *) v, names[i]) == 0)
      return i;
  {
    g_autofree char *list = g_strjoinv (", ", (char **) names);
    fail (ld, n, error, "<%s %s=\"%s\">: %s: not one of %s", n->name, attr,
          (const char *) v, key, list);
  }
  return -1;
}

/* The file named by @n's href, relative to the XML's folder; added to the
 * configuration checksum. */
static char *
resolve_href (const Loader *ld, const xmlNode *n, GError **error)
{
  g_autoptr (CmXmlString) v = get_attr (n, "href");
  char *p;

  if (v == NULL)
    {
      fail (ld, n, error, "<%s>: attribute 'href' is required", n->name);
      return NULL;
    }
  p = g_path_is_absolute ((const char *) v)
      ? g_strdup ((const char *) v)
      : g_build_filename (ld->cfg->dir, (const char *) v, NULL);
  if (!g_file_test (p, G_FILE_TEST_IS_REGULAR))
    {
      fail (ld, n, error, "<%s href=\"%s\">: no such file (%s)", n->name,
            (const char *) v, p);
      g_free (p);
      return NULL;
    }
  {
    g_autofree char *bytes = NULL;
    gsize len = 0;
    if (g_file_get_contents (p, &bytes, &len, NULL))
      {
        g_autofree char *base = g_path_get_basename (p);
        g_checksum_update (ld->cfg->sum, (const guchar *) base, strlen (base) + 1);
        g_checksum_update (ld->cfg->sum, (const guchar *) bytes, len);
      }
  }
  return p;
}

/* ---- tables ------------------------------------------------------------- */

static gboolean
tsv_finish (CmPayTsv *t, GError *local, GError **error, gboolean ok)
{
  cm_pay_tsv_close (t);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return ok;
}

static gboolean
cell_fen (CmPayTsv *t, guint k, CmFen def, CmFen *out, GError **error)
{
  const char *v = cm_pay_tsv_get (t, k);
  const char *why = NULL;

  if (v == NULL || *v == '\0')
    {
      *out = def;
      return TRUE;
    }
  if (!cm_scaled_parse (v, 2, 0, CM_FEN_MAX, out, &why))
    {
      cm_pay_tsv_error (t, k, error, "'%s': %s (yuan, at most 2 decimals)", v,
                        why ? why : "out of range");
      return FALSE;
    }
  return TRUE;
}

static gboolean
cell_score (CmPayTsv *t, guint k, CmE4 *out, GError **error)
{
  const char *v = cm_pay_tsv_get (t, k);
  const char *why = NULL;

  if (v == NULL || *v == '\0')
    {
      *out = -1;
      return TRUE;
    }
  if (!cm_scaled_parse (v, 4, 0, SCORE_FULL, out, &why))
    {
      cm_pay_tsv_error (t, k, error, "'%s': %s (a score 0 to 100)", v,
                        why ? why : "out of range");
      return FALSE;
    }
  return TRUE;
}

static gboolean
load_hospitals (Loader *ld, YearData *d, const char *path, GError **error)
{
  static const char *const cols[] = { "hospital_id", "name", "prepayment", "score",
                                      "audit_deductions", "reasonable_loss" };
  GError *local = NULL;
  CmPayTsv t;
  gboolean ok = TRUE;

  if (!cm_pay_tsv_open (&t, path, cols, G_N_ELEMENTS (cols), 1, error))
    return tsv_finish (&t, NULL, error, FALSE);
  while (ok && cm_pay_tsv_next (&t, &local))
    {
      CmSettleHospital h = { 0 };
      const char *id = cm_pay_tsv_get (&t, 0), *name = cm_pay_tsv_get (&t, 1);

      if (*id == '\0')
        {
          cm_pay_tsv_error (&t, 0, error, "empty hospital id");
          ok = FALSE;
          break;
        }
      if (g_hash_table_contains (d->hospital_index, id))
        {
          cm_pay_tsv_error (&t, 0, error, "hospital %s listed twice", id);
          ok = FALSE;
          break;
        }
      h.hospital_id = g_string_chunk_insert (ld->cfg->strings, id);
      h.name = g_string_chunk_insert (ld->cfg->strings, name ? name : "");
      ok = cell_fen (&t, 2, 0, &h.prepayment_fen, error)
           && cell_score (&t, 3, &h.score_e4, error)
           && cell_fen (&t, 4, 0, &h.audit_deductions_fen, error)
           && cell_fen (&t, 5, 0, &h.reasonable_loss_fen, error);
      if (ok)
        {
          g_array_append_val (d->hospitals, h);
          g_hash_table_insert (d->hospital_index, (gpointer) h.hospital_id,
                               GUINT_TO_POINTER (d->hospitals->len));
        }
    }
  return tsv_finish (&t, local, error, ok);
}

static gboolean
load_alliances (Loader *ld, YearData *d, const char *path, GError **error)
{
  static const char *const cols[] = { "alliance_id", "county_id", "insured", "name",
                                      "members", "previous_actual", "score",
                                      "unreasonable_overspend" };
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                       g_free, NULL);
  GError *local = NULL;
  CmPayTsv t;
  gboolean ok = TRUE;

  if (!cm_pay_tsv_open (&t, path, cols, G_N_ELEMENTS (cols), 3, error))
    return tsv_finish (&t, NULL, error, FALSE);
  while (ok && cm_pay_tsv_next (&t, &local))
    {
      CmSettleAlliance a = { 0 };
      const char *id = cm_pay_tsv_get (&t, 0), *county = cm_pay_tsv_get (&t, 1);
      const char *ins = cm_pay_tsv_get (&t, 2), *name = cm_pay_tsv_get (&t, 3);
      const char *members = cm_pay_tsv_get (&t, 4);
      const char *why = NULL;

      if (*id == '\0' || !g_hash_table_add (seen, g_strdup (id)))
        {
          cm_pay_tsv_error (&t, 0, error, *id ? "alliance %s listed twice"
                            : "empty alliance id%s", id);
          ok = FALSE;
          break;
        }
      if (*county == '\0')
        {
          cm_pay_tsv_error (&t, 1, error, "empty county id");
          ok = FALSE;
          break;
        }
      if (!cm_scaled_parse (ins, 0, 0, G_GINT64_CONSTANT (10000000000), &a.insured,
                            &why))
        {
          cm_pay_tsv_error (&t, 2, error, "'%s': %s (a headcount)", ins,
                            why ? why : "out of range");
          ok = FALSE;
          break;
        }
      a.alliance_id = g_string_chunk_insert (ld->cfg->strings, id);
      a.county_id = g_string_chunk_insert (ld->cfg->strings, county);
      a.name = g_string_chunk_insert (ld->cfg->strings, name && *name ? name : id);
      {
        g_auto (GStrv) parts = g_strsplit (members ? members : "", "|", -1);
        guint n = 0;
        const char **list = g_new0 (const char *, g_strv_length (parts) + 1);
        for (guint i = 0; parts[i]; i++)
          if (*g_strstrip (parts[i]))
            list[n++] = g_string_chunk_insert (ld->cfg->strings, parts[i]);
        g_ptr_array_add (ld->cfg->member_lists, list);
        a.members = list;
      }
      ok = cell_fen (&t, 5, 0, &a.previous_actual_fen, error)
           && cell_score (&t, 6, &a.score_e4, error)
           && cell_fen (&t, 7, 0, &a.unreasonable_fen, error);
      if (ok && a.score_e4 < 0)
        a.score_e4 = SCORE_FULL;
      if (ok)
        g_array_append_val (d->alliances, a);
    }
  return tsv_finish (&t, local, error, ok);
}

static gboolean
load_new_tech (Loader *ld, YearData *d, const char *path, GError **error)
{
  static const char *const cols[] = { "code", "name", "since" };
  GError *local = NULL;
  CmPayTsv t;

  if (!cm_pay_tsv_open (&t, path, cols, G_N_ELEMENTS (cols), 1, error))
    return tsv_finish (&t, NULL, error, FALSE);
  while (cm_pay_tsv_next (&t, &local))
    {
      const char *code = cm_pay_tsv_get (&t, 0);
      if (*code)
        g_hash_table_add (d->new_tech, g_string_chunk_insert (ld->cfg->strings, code));
    }
  return tsv_finish (&t, local, error, TRUE);
}

/* ---- the walk ----------------------------------------------------------- */

static gboolean
load_tiers (const Loader *ld, const xmlNode *sec, const char *name,
            const char *share_attr, const char *key, CmAllianceTier *tiers,
            guint *n_tiers, GError **error)
{
  static const char *const surplus_attrs[] = { "up-to", "retained", NULL };
  static const char *const over_attrs[] = { "up-to", "fund-share", NULL };
  guint n = 0;
  CmE4 last_bound = 0;

  for (const xmlNode *c = sec->children; c; c = c->next)
    {
      CmAllianceTier tier = { 0, 0 };
      g_autoptr (CmXmlString) share = NULL;

      if (!is_element (c, name))
        continue;
      if (!check_attrs (ld, c, strcmp (name, "surplus-tier") == 0 ? surplus_attrs
                        : over_attrs, error))
        return FALSE;
      if (n > 0 && last_bound == 0)
        return fail (ld, c, error, "<%s>: %s: a tier after the unbounded one", name, key);
      if (n == CM_ALLIANCE_MAX_TIERS)
        return fail (ld, c, error, "<%s>: %s: more than %d tiers", name, key,
                     CM_ALLIANCE_MAX_TIERS);
      share = get_attr (c, share_attr);
      if (share == NULL)
        return fail (ld, c, error, "<%s>: %s: attribute '%s' is required", name, key,
                     share_attr);
      if (!attr_e4 (ld, c, "up-to", key, CM_E4_ONE * 100, &tier.up_to_e4, error)
          || !attr_e4 (ld, c, share_attr, key, CM_E4_ONE, &tier.share_e4, error))
        return FALSE;
      if (n > 0 && tier.up_to_e4 != 0 && tier.up_to_e4 <= last_bound)
        return fail (ld, c, error, "<%s up-to>: %s: bounds must increase", name, key);
      last_bound = tier.up_to_e4;
      tiers[n++] = tier;
    }
  if (n > 0)
    {
      if (last_bound != 0)
        return fail (ld, sec, error, "<%s>: %s: the last tier must have no up-to "
                     "(it takes the rest)", name, key);
      *n_tiers = n;
    }
  return TRUE;
}

static gboolean
load_alliance (Loader *ld, const xmlNode *n, YearData *d, GError **error)
{
  static const char *const attrs[] = { "budget", "risk-reserve", "growth", "pass-mark",
                                       "outpatient", "carve-out-special-cases", NULL };
  static const char *const methods[] = { "fund", "growth", NULL };
  static const char *const county_attrs[] = { "id", "fund", "ring-fenced", NULL };
  CmAllianceRule *r = &d->p.alliance;
  int m;

  if (!check_attrs (ld, n, attrs, error))
    return FALSE;
  m = attr_enum (ld, n, "budget", "alliance.budget.method", methods, 0, error);
  if (m < 0)
    return FALSE;
  r->method = (CmAllianceBudgetMethod) m;
  if (!attr_e4 (ld, n, "risk-reserve", "alliance.budget.risk_reserve_ratio",
                CM_E4_ONE, &r->risk_reserve_e4, error)
      || !attr_e4 (ld, n, "growth", "alliance.budget.growth_rate", CM_E4_ONE,
                   &r->growth_e4, error)
      || !attr_e4 (ld, n, "pass-mark", "alliance.assessment.pass_mark", SCORE_FULL,
                   &r->pass_mark_e4, error)
      || !attr_bool (ld, n, "outpatient", "alliance.scope.outpatient",
                     &r->scope_outpatient, error)
      || !attr_bool (ld, n, "carve-out-special-cases", "alliance.scope.carve_out",
                     &r->carve_out_special_cases, error)
      || !load_tiers (ld, n, "surplus-tier", "retained", "alliance.surplus.tiers",
                      r->surplus, &r->n_surplus, error)
      || !load_tiers (ld, n, "overspend-tier", "fund-share", "alliance.overspend.tiers",
                      r->overspend, &r->n_overspend, error))
    return FALSE;
  for (const xmlNode *c = n->children; c; c = c->next)
    {
      if (is_element (c, "county"))
        {
          CmSettleCounty k = { 0 };
          g_autoptr (CmXmlString) id = get_attr (c, "id");

          if (!check_attrs (ld, c, county_attrs, error))
            return FALSE;
          if (id == NULL)
            return fail (ld, c, error, "<county>: attribute 'id' is required");
          for (guint i = 0; i < d->counties->len; i++)
            if (strcmp (g_array_index (d->counties, CmSettleCounty, i).county_id,
                        (const char *) id) == 0)
              return fail (ld, c, error, "<county id=\"%s\">: listed twice",
                           (const char *) id);
          k.county_id = g_string_chunk_insert (ld->cfg->strings, (const char *) id);
          if (!attr_fen (ld, c, "fund", "alliance.budget.fund", TRUE, &k.fund_fen, error)
              || !attr_fen (ld, c, "ring-fenced", "alliance.budget.ring_fenced", FALSE,
                            &k.ring_fenced_fen, error))
            return FALSE;
          g_array_append_val (d->counties, k);
        }
      else if (is_element (c, "alliances"))
        {
          g_autofree char *p = resolve_href (ld, c, error);
          if (p == NULL || !load_alliances (ld, d, p, error))
            return FALSE;
        }
      else if (c->type == XML_ELEMENT_NODE && !is_element (c, "surplus-tier")
               && !is_element (c, "overspend-tier"))
        return fail (ld, c, error, "<alliance>: unknown element <%s>", c->name);
    }
  if (r->method == CM_ALLIANCE_BUDGET_FUND)
    for (guint i = 0; i < d->alliances->len; i++)
      {
        const CmSettleAlliance *a = &g_array_index (d->alliances, CmSettleAlliance, i);
        gboolean found = FALSE;
        for (guint k = 0; k < d->counties->len; k++)
          if (strcmp (g_array_index (d->counties, CmSettleCounty, k).county_id,
                      a->county_id) == 0)
            found = TRUE;
        if (!found)
          return fail (ld, n, error, "<alliance budget=\"fund\">: alliance %s is in "
                       "county %s, which has no <county fund=…> element",
                       a->alliance_id, a->county_id);
      }
  return TRUE;
}

static gboolean
load_budget (Loader *ld, const xmlNode *n, YearData *d, GError **error)
{
  static const char *const attrs[] = { "pools", NULL };
  static const char *const fund_attrs[] = { "insurance", "amount", "fund-share", NULL };
  static const char *const pools[] = { "single", "insurance", NULL };
  static const char *const ins[] = { "all", "employee", "resident", NULL };
  gboolean seen[CM_SETTLE_N_POOLS] = { FALSE, FALSE, FALSE };
  int p;

  if (!check_attrs (ld, n, attrs, error))
    return FALSE;
  p = attr_enum (ld, n, "pools", "dip.pv.pools", pools, 0, error);
  if (p < 0)
    return FALSE;
  d->p.pools = (CmPvPools) p;
  d->p.has_budget = TRUE;
  for (const xmlNode *c = n->children; c; c = c->next)
    {
      int slot;
      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (!is_element (c, "fund"))
        return fail (ld, c, error, "<budget>: unknown element <%s>", c->name);
      if (!check_attrs (ld, c, fund_attrs, error))
        return FALSE;
      slot = attr_enum (ld, c, "insurance", "dip.pv.fund", ins, 0, error);
      if (slot < 0)
        return FALSE;
      if ((slot == 0) != (d->p.pools == CM_PV_POOLS_SINGLE))
        return fail (ld, c, error, "<fund>: dip.pv.fund: pools=\"%s\" needs %s",
                     pools[d->p.pools], d->p.pools == CM_PV_POOLS_SINGLE
                     ? "one <fund> without insurance"
                     : "one <fund insurance=…> for employee and one for resident");
      if (seen[slot])
        return fail (ld, c, error, "<fund>: dip.pv.fund: the %s fund is listed twice",
                     ins[slot]);
      seen[slot] = TRUE;
      if (!attr_fen (ld, c, "amount", "dip.pv.fund", TRUE, &d->p.budget_fen[slot], error)
          || !attr_e4 (ld, c, "fund-share", "dip.pv.fund_share", CM_E4_ONE,
                       &d->p.fund_share_e4[slot], error))
        return FALSE;
      if (d->p.fund_share_e4[slot] == 0)
        return fail (ld, c, error, "<fund fund-share>: dip.pv.fund_share: must be "
                     "above 0");
    }
  if (d->p.pools == CM_PV_POOLS_SINGLE ? !seen[0] : !(seen[1] && seen[2]))
    return fail (ld, n, error, "<budget>: dip.pv.fund: %s", d->p.pools == CM_PV_POOLS_SINGLE
                 ? "one <fund amount=…> is needed"
                 : "pools=\"insurance\" needs a fund for employee and one for resident");
  return TRUE;
}

static gboolean
load_year (Loader *ld, const xmlNode *n, YearData *d, GError **error)
{
  static const char *const monthly_attrs[] = { "basis", "quality-reserve",
                                               "deadline-working-days",
                                               "declaration-day", NULL };
  static const char *const bases[] = { "discharge", "settlement", NULL };
  static const char *const sc_attrs[] = { "cap-drg", "cap-dip", "cycle",
                                          "long-stay-days", "high-cost-multiple", NULL };
  static const char *const cycles[] = { "month", "quarter", NULL };
  static const char *const clearing_attrs[] = { "default-score", NULL };
  static const char *const inc_attrs[] = { "enabled", "cap-surplus", "surplus-cap",
                                           "surplus-retained", "overspend-share", NULL };
  static const char *const href_attrs[] = { "href", NULL };
  CmSettleYear *y = &d->p;

  for (const xmlNode *c = n->children; c; c = c->next)
    {
      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (is_element (c, "monthly"))
        {
          gint64 wd = y->deadline_working_days, dd = y->declaration_day;
          int b;
          if (!check_attrs (ld, c, monthly_attrs, error))
            return FALSE;
          b = attr_enum (ld, c, "basis", "settle.basis", bases, 0, error);
          if (b < 0)
            return FALSE;
          y->basis = (CmSettleBasis) b;
          if (!attr_e4 (ld, c, "quality-reserve", "settle.quality_reserve_ratio",
                        CM_E4_ONE, &y->quality_reserve_e4, error)
              || !attr_uint (ld, c, "deadline-working-days",
                             "settle.monthly.deadline_working_days", 366, &wd, error)
              || !attr_uint (ld, c, "declaration-day", "settle.monthly.declaration_day",
                             28, &dd, error))
            return FALSE;
          if (wd == 0 || dd == 0)
            return fail (ld, c, error, "<monthly>: deadline-working-days and "
                         "declaration-day must be 1 or more");
          y->deadline_working_days = (guint) wd;
          y->declaration_day = (guint) dd;
        }
      else if (is_element (c, "budget"))
        {
          if (!load_budget (ld, c, d, error))
            return FALSE;
        }
      else if (is_element (c, "special-case"))
        {
          gint64 days = y->special_long_stay_days;
          int cy;
          if (!check_attrs (ld, c, sc_attrs, error))
            return FALSE;
          cy = attr_enum (ld, c, "cycle", "special_case.cycle", cycles, 1, error);
          if (cy < 0)
            return FALSE;
          y->special_cycle = (CmSpecialCaseCycle) cy;
          if (!attr_e4 (ld, c, "cap-drg", "special_case.cap_ratio.drg", CM_E4_ONE,
                        &y->special_cap_drg_e4, error)
              || !attr_e4 (ld, c, "cap-dip", "special_case.cap_ratio.dip", CM_E4_ONE,
                           &y->special_cap_dip_e4, error)
              || !attr_uint (ld, c, "long-stay-days", "special_case.long_stay_days",
                             100000, &days, error)
              || !attr_e4 (ld, c, "high-cost-multiple", "special_case.high_cost_multiple",
                           CM_E4_ONE * 1000, &y->special_high_cost_e4, error))
            return FALSE;
          y->special_long_stay_days = (gint32) days;
          for (const xmlNode *t = c->children; t; t = t->next)
            {
              if (t->type != XML_ELEMENT_NODE)
                continue;
              if (!is_element (t, "new-technology"))
                return fail (ld, t, error, "<special-case>: unknown element <%s>",
                             t->name);
              {
                g_autofree char *p = NULL;
                if (!check_attrs (ld, t, href_attrs, error))
                  return FALSE;
                p = resolve_href (ld, t, error);
                if (p == NULL || !load_new_tech (ld, d, p, error))
                  return FALSE;
              }
            }
        }
      else if (is_element (c, "clearing"))
        {
          if (!check_attrs (ld, c, clearing_attrs, error)
              || !attr_e4 (ld, c, "default-score", "settle.assessment.default_score",
                           SCORE_FULL, &y->default_score_e4, error))
            return FALSE;
        }
      else if (is_element (c, "incentive"))
        {
          y->incentive.enabled = TRUE;
          if (!check_attrs (ld, c, inc_attrs, error)
              || !attr_bool (ld, c, "enabled", "incentive.hospital.enabled",
                             &y->incentive.enabled, error)
              || !attr_bool (ld, c, "cap-surplus", "incentive.hospital.cap_surplus",
                             &y->incentive.cap_surplus, error)
              || !attr_e4 (ld, c, "surplus-cap", "incentive.hospital.tau", CM_E4_ONE,
                           &y->incentive.surplus_cap_e4, error)
              || !attr_e4 (ld, c, "surplus-retained", "incentive.hospital.rho",
                           CM_E4_ONE, &y->incentive.surplus_retained_e4, error)
              || !attr_e4 (ld, c, "overspend-share", "incentive.hospital.phi",
                           CM_E4_ONE, &y->incentive.overspend_share_e4, error))
            return FALSE;
        }
      else if (is_element (c, "alliance"))
        {
          if (!load_alliance (ld, c, d, error))
            return FALSE;
        }
      else if (is_element (c, "hospitals") || is_element (c, "calendar"))
        {
          g_autofree char *p = NULL;
          if (!check_attrs (ld, c, href_attrs, error))
            return FALSE;
          p = resolve_href (ld, c, error);
          if (p == NULL)
            return FALSE;
          if (is_element (c, "hospitals") ? !load_hospitals (ld, d, p, error)
              : !cm_calendar_load (d->calendar, p, error))
            return FALSE;
        }
      else
        return fail (ld, c, error, "<year>: unknown element <%s>", c->name);
    }
  return TRUE;
}

/* ---- RELAX NG ----------------------------------------------------------- */

static void
rng_error (void *data, CmXmlErrorPtr err)
{
  char **first = data;

  if (*first != NULL || err == NULL)
    return;
  *first = g_strdup_printf ("%s:%d: %s", err->file ? err->file : "?", err->line,
                            err->message ? err->message : "invalid");
  g_strstrip (*first);
}

static gboolean
validate_rng (const Loader *ld, xmlDoc *doc, GError **error)
{
  g_auto (GStrv) path = cm_tables_search_path ();
  g_autofree char *rng = NULL;
  g_autoptr (xmlParserCtxt) spc = NULL;
  g_autoptr (xmlDoc) sdoc = NULL;
  g_autoptr (xmlRelaxNGParserCtxt) pc = NULL;
  g_autoptr (xmlRelaxNG) schema = NULL;
  g_autoptr (xmlRelaxNGValidCtxt) vc = NULL;
  g_autofree char *first = NULL;

  for (guint i = 0; path[i] && rng == NULL; i++)
    {
      char *p = g_build_filename (path[i], "policy", "settlement.rng", NULL);
      if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
        rng = p;
      else
        g_free (p);
    }
  if (rng == NULL)
    return fail (ld, NULL, error, "the schema policy/settlement.rng is not on the "
                 "tables search path");
  spc = xmlNewParserCtxt ();
  sdoc = xmlCtxtReadFile (spc, rng, NULL,
                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (sdoc == NULL)
    return fail (ld, NULL, error, "%s: the schema does not load", rng);
  pc = xmlRelaxNGNewDocParserCtxt (sdoc);
  xmlRelaxNGSetParserStructuredErrors (pc, rng_error, &first);
  schema = xmlRelaxNGParse (pc);
  if (schema == NULL)
    return fail (ld, NULL, error, "%s: the schema does not load: %s", rng,
                 first ? first : "?");
  vc = xmlRelaxNGNewValidCtxt (schema);
  xmlRelaxNGSetValidStructuredErrors (vc, rng_error, &first);
  if (xmlRelaxNGValidateDoc (vc, doc) != 0)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_CONFIG, "%s (RELAX NG %s)",
                   first ? first : ld->path, rng);
      return FALSE;
    }
  return TRUE;
}

/* ---- public ------------------------------------------------------------- */

static int
cmp_year (gconstpointer a, gconstpointer b)
{
  return ((const YearData *) a)->p.year - ((const YearData *) b)->p.year;
}

static gpointer
xml_init (gpointer unused)
{
  xmlInitParser ();
  return NULL;
}

CmSettleConfig *
cm_settle_config_load (const char *path_in, GError **error)
{
  static GOnce once = G_ONCE_INIT;
  static const char *const root_attrs[] = { "format", "region", "name",
                                            "illustrative", NULL };
  g_autofree char *path = NULL;
  g_autofree char *bytes = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (xmlParserCtxt) ctxt = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (CmSettleConfig) cfg = NULL;
  g_autoptr (CmXmlString) region = NULL;
  g_autoptr (CmXmlString) format = NULL;
  const xmlNode *root;
  gsize len = 0;
  Loader ld;

  g_return_val_if_fail (path_in != NULL, NULL);
  g_once (&once, xml_init, NULL);
  path = g_file_test (path_in, G_FILE_TEST_IS_DIR)
         ? g_build_filename (path_in, "settlement.xml", NULL)
         : g_strdup (path_in);
  if (!g_file_get_contents (path, &bytes, &len, &local))
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_CONFIG, "%s: %s", path,
                   local->message);
      return NULL;
    }
  if (len > CM_POLICY_MAX_XML_BYTES)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_CONFIG,
                   "%s: larger than %d bytes", path, CM_POLICY_MAX_XML_BYTES);
      return NULL;
    }
  ctxt = xmlNewParserCtxt ();
  doc = xmlCtxtReadMemory (ctxt, bytes, (int) len, path, NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
                           | XML_PARSE_NOBLANKS);
  if (doc == NULL)
    {
      CmXmlErrorPtr e = xmlCtxtGetLastError (ctxt);
      g_autofree char *msg = g_strstrip (g_strdup (e && e->message ? e->message : "?"));
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_CONFIG,
                   "%s:%d: not well-formed XML: %s", path, e ? e->line : 0, msg);
      return NULL;
    }
  cfg = config_new (NULL);
  g_free (cfg->path);
  cfg->path = g_strdup (path);
  cfg->dir = g_path_get_dirname (path);
  cfg->sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (cfg->sum, (const guchar *) bytes, len);
  ld.cfg = cfg;
  ld.path = path;

  root = xmlDocGetRootElement (doc);
  if (root == NULL || !is_element (root, "settlement"))
    {
      fail (&ld, root, error, "the root element must be <settlement>");
      return NULL;
    }
  if (!check_attrs (&ld, root, root_attrs, error))
    return NULL;
  format = get_attr (root, "format");
  if (format == NULL || strcmp ((const char *) format, "1") != 0)
    {
      fail (&ld, root, error, "<settlement format>: only format=\"1\" is known");
      return NULL;
    }
  region = get_attr (root, "region");
  if (region == NULL)
    {
      fail (&ld, root, error, "<settlement>: attribute 'region' is required");
      return NULL;
    }
  g_free (cfg->region);
  cfg->region = g_strdup ((const char *) region);

  for (const xmlNode *n = root->children; n; n = n->next)
    {
      YearData d;
      gint64 year = 0;
      g_autoptr (CmXmlString) v = NULL;
      static const char *const year_attrs[] = { "value", NULL };

      if (n->type != XML_ELEMENT_NODE || is_element (n, "description"))
        continue;
      if (!is_element (n, "year"))
        {
          fail (&ld, n, error, "<settlement>: unknown element <%s>", n->name);
          return NULL;
        }
      if (!check_attrs (&ld, n, year_attrs, error))
        return NULL;
      v = get_attr (n, "value");
      if (v == NULL || !cm_scaled_parse ((const char *) v, 0, 1900, 9999, &year, NULL))
        {
          fail (&ld, n, error, "<year value>: a four-digit year is required");
          return NULL;
        }
      for (guint i = 0; i < cfg->years->len; i++)
        if (g_array_index (cfg->years, YearData, i).p.year == (int) year)
          {
            fail (&ld, n, error, "<year value=\"%d\">: listed twice", (int) year);
            return NULL;
          }
      if (cfg->years->len == MAX_YEARS)
        {
          fail (&ld, n, error, "more than %d years", MAX_YEARS);
          return NULL;
        }
      year_data_init (&d, (int) year);
      if (!load_year (&ld, n, &d, error))
        {
          year_data_clear (&d);
          return NULL;
        }
      g_array_append_val (cfg->years, d);
    }
  if (!validate_rng (&ld, doc, error))
    return NULL;
  g_array_sort (cfg->years, cmp_year);
  g_free (cfg->sha256);
  cfg->sha256 = g_strdup (g_checksum_get_string (cfg->sum));
  g_clear_pointer (&cfg->sum, g_checksum_free);
  return g_steal_pointer (&cfg);
}

CmSettleConfig *
cm_settle_config_load_for_policy (const char *policy_path, GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *xml = NULL;

  g_return_val_if_fail (policy_path != NULL, NULL);
  dir = g_file_test (policy_path, G_FILE_TEST_IS_DIR) ? g_strdup (policy_path)
                                                       : g_path_get_dirname (policy_path);
  xml = g_build_filename (dir, "settlement.xml", NULL);
  if (g_file_test (xml, G_FILE_TEST_IS_REGULAR))
    return cm_settle_config_load (xml, error);
  return cm_settle_config_new_default (NULL);
}

const char *
cm_settle_config_get_region (const CmSettleConfig *cfg)
{
  g_return_val_if_fail (cfg != NULL, NULL);
  return cfg->region;
}

const char *
cm_settle_config_get_path (const CmSettleConfig *cfg)
{
  g_return_val_if_fail (cfg != NULL, NULL);
  return cfg->path;
}

const char *
cm_settle_config_get_sha256 (const CmSettleConfig *cfg)
{
  g_return_val_if_fail (cfg != NULL, NULL);
  return cfg->sha256;
}

static const YearData *
year_data (const CmSettleConfig *cfg, int year)
{
  for (guint i = 0; i < cfg->years->len; i++)
    {
      const YearData *d = &g_array_index (cfg->years, YearData, i);
      if (d->p.year == year)
        return d;
    }
  return &cfg->defaults;
}

const CmSettleYear *
cm_settle_config_get_year (const CmSettleConfig *cfg, int year)
{
  const YearData *d;

  g_return_val_if_fail (cfg != NULL, NULL);
  d = year_data (cfg, year);
  return &d->p;
}

const CmSettleHospital *
cm_settle_config_lookup_hospital (const CmSettleConfig *cfg, int year,
                                  const char *hospital_id)
{
  const YearData *d;
  guint i;

  g_return_val_if_fail (cfg != NULL && hospital_id != NULL, NULL);
  d = year_data (cfg, year);
  i = GPOINTER_TO_UINT (g_hash_table_lookup (d->hospital_index, hospital_id));
  return i == 0 ? NULL : &g_array_index (d->hospitals, CmSettleHospital, i - 1);
}

guint
cm_settle_config_get_n_counties (const CmSettleConfig *cfg, int year)
{
  g_return_val_if_fail (cfg != NULL, 0);
  return year_data (cfg, year)->counties->len;
}

const CmSettleCounty *
cm_settle_config_get_county (const CmSettleConfig *cfg, int year, guint i)
{
  const YearData *d;

  g_return_val_if_fail (cfg != NULL, NULL);
  d = year_data (cfg, year);
  g_return_val_if_fail (i < d->counties->len, NULL);
  return &g_array_index (d->counties, CmSettleCounty, i);
}

guint
cm_settle_config_get_n_alliances (const CmSettleConfig *cfg, int year)
{
  g_return_val_if_fail (cfg != NULL, 0);
  return year_data (cfg, year)->alliances->len;
}

const CmSettleAlliance *
cm_settle_config_get_alliance (const CmSettleConfig *cfg, int year, guint i)
{
  const YearData *d;

  g_return_val_if_fail (cfg != NULL, NULL);
  d = year_data (cfg, year);
  g_return_val_if_fail (i < d->alliances->len, NULL);
  return &g_array_index (d->alliances, CmSettleAlliance, i);
}

gboolean
cm_settle_config_is_new_technology (const CmSettleConfig *cfg, int year,
                                    const char *code)
{
  g_return_val_if_fail (cfg != NULL, FALSE);
  return code != NULL && g_hash_table_contains (year_data (cfg, year)->new_tech, code);
}

const CmCalendar *
cm_settle_config_get_calendar (const CmSettleConfig *cfg, int year)
{
  g_return_val_if_fail (cfg != NULL, NULL);
  return year_data (cfg, year)->calendar;
}

gboolean
cm_settle_config_alliance_budgets (const CmSettleConfig *cfg, int year, CmFen *budgets,
                                   CmFen *county_budgets, CmFen *reserves, GError **error)
{
  const YearData *d;
  const CmAllianceRule *rule;
  guint n;

  g_return_val_if_fail (cfg != NULL && budgets != NULL, FALSE);
  d = year_data (cfg, year);
  rule = &d->p.alliance;
  n = d->alliances->len;
  if (rule->method == CM_ALLIANCE_BUDGET_GROWTH)
    {
      for (guint i = 0; i < n; i++)
        {
          const CmSettleAlliance *a = &g_array_index (d->alliances, CmSettleAlliance, i);
          /* medical-alliance.md §2 (b) */
          if (!cm_alliance_growth_budget (a->previous_actual_fen, rule->growth_e4,
                                          &budgets[i]))
            {
              g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_CONFIG,
                           "alliance %s: the budget does not fit", a->alliance_id);
              return FALSE;
            }
          if (county_budgets)
            county_budgets[i] = budgets[i];
          if (reserves)
            reserves[i] = 0;
        }
      return TRUE;
    }
  for (guint c = 0; c < d->counties->len; c++)
    {
      const CmSettleCounty *k = &g_array_index (d->counties, CmSettleCounty, c);
      g_autofree gint64 *insured = g_new0 (gint64, MAX (n, 1));
      g_autofree CmFen *split = g_new0 (CmFen, MAX (n, 1));
      g_autofree guint *which = g_new0 (guint, MAX (n, 1));
      CmFen reserve, county;
      guint m = 0;

      for (guint i = 0; i < n; i++)
        {
          const CmSettleAlliance *a = &g_array_index (d->alliances, CmSettleAlliance, i);
          if (strcmp (a->county_id, k->county_id) == 0)
            {
              which[m] = i;
              insured[m++] = a->insured;
            }
        }
      if (m == 0)
        continue;
      /* medical-alliance.md §2 (a) */
      if (!cm_alliance_fund_budget (k->fund_fen, k->ring_fenced_fen, rule->risk_reserve_e4,
                                    &reserve, &county)
          || county < 0 || !cm_alliance_split_budget (county, insured, m, split))
        {
          g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_CONFIG,
                       "%s: county %s: the budget cannot be split (fund below the "
                       "ring-fenced part and the reserve, or no insured headcount)",
                       cfg->path, k->county_id);
          return FALSE;
        }
      for (guint j = 0; j < m; j++)
        {
          budgets[which[j]] = split[j];
          if (county_budgets)
            county_budgets[which[j]] = county;
          if (reserves)
            reserves[which[j]] = reserve;
        }
    }
  return TRUE;
}
