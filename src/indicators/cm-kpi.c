/* cm-kpi.c — KPI formulas, targets, configuration and evaluation.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every KPI value is an exact CmRational built from integer sums; a target
 * is met when cm_rational_compare_ratio says so, i.e. by cross-multiplying
 * integers. Gaps (how much more fund would meet a share target) are the
 * only money this module produces: ceil or floor to the fen of
 * target × denominator, the smallest (largest) amount that meets the
 * target, not a payment. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "cm-kpi.h"
#include "cm-money.h"

/* ---------------------------------------------------------------------- */
/* Catalogue of KPIs                                                       */

typedef struct {
  const char *id;
  const char *name;
  CmKpiUnit unit;
  CmKpiOp op;
  gint64 num, den;        /* the default target */
} KpiDef;

static const KpiDef defs[CM_KPI_N] = {
  [CM_KPI_REIMB_EMPLOYEE] = { "reimb_employee",
    "实际住院报销比例（职工） actual inpatient reimbursement, employee",
    CM_KPI_UNIT_PERCENT, CM_KPI_OP_GE, 70, 100 },
  [CM_KPI_REIMB_RESIDENT] = { "reimb_resident",
    "实际住院报销比例（居民） actual inpatient reimbursement, resident",
    CM_KPI_UNIT_PERCENT, CM_KPI_OP_GE, 60, 100 },
  [CM_KPI_PRIMARY_FUND_SHARE] = { "primary_fund_share",
    "基层医疗机构医保基金占比 primary-level fund share",
    CM_KPI_UNIT_PERCENT, CM_KPI_OP_GE, 20, 100 },
  [CM_KPI_HOSP_RATE] = { "hosp_rate",
    "住院率同比 hospitalisation rate, change",
    CM_KPI_UNIT_POINTS, CM_KPI_OP_LE, -1, 100 },
  [CM_KPI_DRG_COST_PER_CASE] = { "drg_cost_per_case",
    "DRG次均费用同比 DRG cost per case, change",
    CM_KPI_UNIT_CHANGE, CM_KPI_OP_LE, -2, 100 },
  [CM_KPI_OOC_SHARE] = { "ooc_share",
    "目录外费用占比 out-of-catalogue share",
    CM_KPI_UNIT_PERCENT, CM_KPI_OP_LE, 8, 100 },
  [CM_KPI_INPATIENT_COST] = { "inpatient_cost",
    "次均住院费用同比 inpatient cost per admission, change",
    CM_KPI_UNIT_CHANGE, CM_KPI_OP_LE, 0, 100 },
  [CM_KPI_REIMB_CHANGE] = { "reimb_change",
    "实际报销比例同比 actual reimbursement ratio, change",
    CM_KPI_UNIT_POINTS, CM_KPI_OP_GE, 0, 100 },
  [CM_KPI_IN_COUNTY_RATE] = { "in_county_rate",
    "县域内住院率 in-county admission share",
    CM_KPI_UNIT_PERCENT, CM_KPI_OP_GE, 90, 100 },
};

const char *
cm_kpi_id (CmKpiKind kind)
{
  g_return_val_if_fail ((guint) kind < CM_KPI_N, "");
  return defs[kind].id;
}

const char *
cm_kpi_name (CmKpiKind kind)
{
  g_return_val_if_fail ((guint) kind < CM_KPI_N, "");
  return defs[kind].name;
}

CmKpiUnit
cm_kpi_unit (CmKpiKind kind)
{
  g_return_val_if_fail ((guint) kind < CM_KPI_N, CM_KPI_UNIT_PERCENT);
  return defs[kind].unit;
}

gboolean
cm_kpi_from_id (const char *id, CmKpiKind *kind)
{
  g_return_val_if_fail (id != NULL, FALSE);
  for (guint k = 0; k < CM_KPI_N; k++)
    if (strcmp (defs[k].id, id) == 0)
      {
        if (kind)
          *kind = (CmKpiKind) k;
        return TRUE;
      }
  return FALSE;
}

/* ---------------------------------------------------------------------- */
/* Formulas                                                                */

CmRational *
cm_kpi_share (gint64 num, gint64 den)
{
  return den != 0 ? cm_rational_new (num, den) : NULL;
}

CmRational *
cm_kpi_rate_change (gint64 a1, gint64 p1, gint64 a0, gint64 p0)
{
  CmRational *r;

  if (p1 == 0 || p0 == 0)
    return NULL;
  r = cm_rational_new (a1, p1);
  cm_rational_add_product_ratio (r, -a0, 1, p0);
  return r;
}

CmRational *
cm_kpi_mean_change (gint64 c1, gint64 n1, gint64 c0, gint64 n0)
{
  CmRational *r;

  if (n1 == 0 || n0 == 0 || c0 == 0)
    return NULL;
  r = cm_rational_new (c1, n1);
  cm_rational_mul_ratio (r, n0, c0);
  cm_rational_add_product_ratio (r, -1, 1, 1);
  return r;
}

gboolean
cm_kpi_target_met (const CmRational *value, const CmKpiTarget *t)
{
  int c;

  g_return_val_if_fail (value != NULL && t != NULL && t->den > 0, FALSE);
  c = cm_rational_compare_ratio (value, t->num, t->den);
  return t->op == CM_KPI_OP_GE ? c >= 0 : c <= 0;
}

gboolean
cm_kpi_gap_fen (CmFen num, CmFen den, const CmKpiTarget *t, CmFen *gap)
{
  g_autoptr (CmRational) bound = NULL;
  gint64 b;

  g_return_val_if_fail (t != NULL && gap != NULL && den > 0 && t->den > 0, FALSE);
  bound = cm_rational_new (t->num, t->den);
  cm_rational_mul_ratio (bound, den, 1);
  if (t->op == CM_KPI_OP_GE)
    {
      if (!cm_rational_ceil (bound, 0, &b))
        return FALSE;
      *gap = b > num ? b - num : 0;
    }
  else
    {
      if (!cm_rational_floor (bound, 0, &b))
        return FALSE;
      *gap = num > b ? num - b : 0;
    }
  return TRUE;
}

/* Skips spaces and an optional UTF-8 word; returns the rest. */
static const char *
skip_spaces (const char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

/* A decimal number with at most @max_dec decimals as num / 10^d; sign
 * '+', '-' or U+2212. Returns the end or NULL. */
static const char *
parse_decimal (const char *p, guint max_dec, gint64 *num, gint64 *den)
{
  gboolean neg = FALSE, digits = FALSE;
  gint64 v = 0, d = 1;
  guint n_dec = 0;

  if (*p == '+')
    p++;
  else if (*p == '-')
    {
      neg = TRUE;
      p++;
    }
  else if (strncmp (p, "\xE2\x88\x92", 3) == 0)
    {
      neg = TRUE;
      p += 3;
    }
  for (; g_ascii_isdigit (*p); p++)
    {
      if (v > (G_MAXINT64 / 10 - 10) / 1000000)
        return NULL;
      v = v * 10 + (*p - '0');
      digits = TRUE;
    }
  if (*p == '.')
    {
      p++;
      for (; g_ascii_isdigit (*p); p++)
        {
          if (++n_dec > max_dec)
            return NULL;
          v = v * 10 + (*p - '0');
          d *= 10;
          digits = TRUE;
        }
    }
  if (!digits)
    return NULL;
  *num = neg ? -v : v;
  *den = d;
  return p;
}

gboolean
cm_kpi_target_parse (const char *text, CmKpiTarget *t, char **problem)
{
  const char *p;
  gint64 num, den;

  g_return_val_if_fail (text != NULL && t != NULL, FALSE);
  if (problem)
    *problem = NULL;
  p = skip_spaces (text);
  if (strncmp (p, ">=", 2) == 0)
    t->op = CM_KPI_OP_GE, p += 2;
  else if (strncmp (p, "\xE2\x89\xA5", 3) == 0)
    t->op = CM_KPI_OP_GE, p += 3;
  else if (strncmp (p, "<=", 2) == 0)
    t->op = CM_KPI_OP_LE, p += 2;
  else if (strncmp (p, "\xE2\x89\xA4", 3) == 0)
    t->op = CM_KPI_OP_LE, p += 3;
  else
    {
      if (problem)
        *problem = g_strdup_printf ("'%s' does not start with >= or <=", text);
      return FALSE;
    }
  p = skip_spaces (p);
  p = parse_decimal (p, 6, &num, &den);
  if (p == NULL)
    {
      if (problem)
        *problem = g_strdup_printf ("'%s': not a number with at most 6 decimals", text);
      return FALSE;
    }
  p = skip_spaces (p);
  if (*p == '%')
    p++, den *= 100;
  else if (strncmp (p, "pt", 2) == 0)
    p += 2, den *= 100;
  p = skip_spaces (p);
  if (*p != '\0')
    {
      if (problem)
        *problem = g_strdup_printf ("'%s': unexpected '%s' (units: %%, pt)", text, p);
      return FALSE;
    }
  t->num = num;
  t->den = den;
  return TRUE;
}

static char *
format_hundredths (const CmRational *v, const char *unit, gboolean sign)
{
  g_autoptr (CmRational) x = cm_rational_copy (v);
  g_autofree char *s = NULL;

  cm_rational_mul_ratio (x, 100, 1);
  s = cm_rational_to_string (x, 2);
  if (sign && s[0] != '-' && strcmp (s, "0.00") != 0)
    return g_strdup_printf ("+%s %s", s, unit);
  return g_strdup_printf ("%s %s", s, unit);
}

char *
cm_kpi_value_format (const CmRational *v, CmKpiUnit unit)
{
  if (v == NULL)
    return g_strdup ("—");
  switch (unit)
    {
    case CM_KPI_UNIT_POINTS:
      return format_hundredths (v, "pt", TRUE);
    case CM_KPI_UNIT_CHANGE:
      return format_hundredths (v, "%", TRUE);
    case CM_KPI_UNIT_PERCENT:
    default:
      return format_hundredths (v, "%", FALSE);
    }
}

char *
cm_kpi_target_format (const CmKpiTarget *t, CmKpiUnit unit)
{
  g_autoptr (CmRational) v = NULL;
  g_autofree char *s = NULL;

  g_return_val_if_fail (t != NULL && t->den > 0, NULL);
  v = cm_rational_new (t->num, t->den);
  s = cm_kpi_value_format (v, unit);
  return g_strdup_printf ("%s %s", t->op == CM_KPI_OP_GE ? "≥" : "≤", s);
}

/* ---------------------------------------------------------------------- */
/* Configuration                                                           */

typedef struct {
  gint64 num, den;
} Figure;

struct _CmKpiConfig {
  char *profile;
  gboolean enabled[CM_KPI_N];
  CmKpiTarget target[CM_KPI_N];
  CmKpiTarget ooc_level[4];      /* [1..3] */
  gint64 points[CM_KPI_N];       /* 0 = equal share of 100 */
  gint64 pass_mark;
  gboolean reimb_other;          /* kpi.reimb.numerator = fund+other */
  gboolean fund_priced;          /* kpi.fund = priced */
  gboolean insured_all;          /* kpi.insured = all */
  guint primary_levels;          /* bit l = level l is primary */
  gboolean cost_adjusted;        /* kpi.drg_cost_per_case.basis = adjusted */
  GHashTable *figures;           /* "name.scope.year" → Figure */
};

static void
set_profile (CmKpiConfig *cfg, const char *name)
{
  memset (cfg->enabled, 0, sizeof cfg->enabled);
  g_free (cfg->profile);
  cfg->profile = g_strdup (name);
  if (strcmp (name, "zhuzhou-2026") == 0)
    {
      cfg->enabled[CM_KPI_REIMB_EMPLOYEE] = TRUE;
      cfg->enabled[CM_KPI_REIMB_RESIDENT] = TRUE;
      cfg->enabled[CM_KPI_PRIMARY_FUND_SHARE] = TRUE;
      cfg->enabled[CM_KPI_HOSP_RATE] = TRUE;
      cfg->enabled[CM_KPI_DRG_COST_PER_CASE] = TRUE;
      cfg->enabled[CM_KPI_OOC_SHARE] = TRUE;
    }
  else if (strcmp (name, "yiyang") == 0)
    {
      cfg->enabled[CM_KPI_INPATIENT_COST] = TRUE;
      cfg->enabled[CM_KPI_REIMB_CHANGE] = TRUE;
    }
  else if (strcmp (name, "county-alliance") == 0)
    {
      cfg->enabled[CM_KPI_IN_COUNTY_RATE] = TRUE;
      cfg->enabled[CM_KPI_PRIMARY_FUND_SHARE] = TRUE;
      cfg->enabled[CM_KPI_HOSP_RATE] = TRUE;
      cfg->enabled[CM_KPI_INPATIENT_COST] = TRUE;
    }
  else if (strcmp (name, "all") == 0)
    for (guint k = 0; k < CM_KPI_N; k++)
      cfg->enabled[k] = TRUE;
}

CmKpiConfig *
cm_kpi_config_new (void)
{
  CmKpiConfig *cfg = g_new0 (CmKpiConfig, 1);

  for (guint k = 0; k < CM_KPI_N; k++)
    {
      cfg->target[k].op = defs[k].op;
      cfg->target[k].num = defs[k].num;
      cfg->target[k].den = defs[k].den;
    }
  /* KPI-6: ≤ 8 % at levels 2 and 3, ≤ 3 % at level 1 [B] */
  for (guint l = 0; l < 4; l++)
    cfg->ooc_level[l] = cfg->target[CM_KPI_OOC_SHARE];
  cfg->ooc_level[1].num = 3;
  cfg->pass_mark = 60;
  cfg->primary_levels = 1u << 1;
  cfg->figures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  set_profile (cfg, "zhuzhou-2026");
  return cfg;
}

void
cm_kpi_config_free (CmKpiConfig *cfg)
{
  if (cfg == NULL)
    return;
  g_free (cfg->profile);
  g_hash_table_unref (cfg->figures);
  g_free (cfg);
}

const char *
cm_kpi_config_get_profile (const CmKpiConfig *cfg)
{
  g_return_val_if_fail (cfg != NULL, NULL);
  return cfg->profile;
}

gboolean
cm_kpi_config_is_enabled (const CmKpiConfig *cfg, CmKpiKind kind)
{
  g_return_val_if_fail (cfg != NULL && (guint) kind < CM_KPI_N, FALSE);
  return cfg->enabled[kind];
}

const CmKpiTarget *
cm_kpi_config_get_target (const CmKpiConfig *cfg, CmKpiKind kind, int level)
{
  g_return_val_if_fail (cfg != NULL && (guint) kind < CM_KPI_N, NULL);
  if (kind == CM_KPI_OOC_SHARE && level >= 1 && level <= 3)
    return &cfg->ooc_level[level];
  return &cfg->target[kind];
}

static gboolean
is_figure_name (const char *n)
{
  static const char *const names[] = {
    "insured", "admissions", "hosp_rate", "drg_cost_per_case",
    "inpatient_cost_per_case", "reimb", "out_of_county_admissions",
  };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (names[i], n) == 0)
      return TRUE;
  return FALSE;
}

gboolean
cm_kpi_config_set (CmKpiConfig *cfg, CmIndicatorOptions *options,
                   const char *key, const char *value, char **problem)
{
  CmKpiKind kind;
  g_autofree char *opt_problem = NULL;

  g_return_val_if_fail (cfg != NULL && key != NULL && value != NULL, FALSE);
  if (problem)
    *problem = NULL;
#define BAD(...) do { if (problem) *problem = g_strdup_printf (__VA_ARGS__); return FALSE; } while (0)
  if (options != NULL)
    {
      if (cm_indicator_options_set (options, key, value, &opt_problem))
        return TRUE;
      if (opt_problem != NULL)
        {
          if (problem)
            *problem = g_steal_pointer (&opt_problem);
          return FALSE;
        }
    }
  if (strcmp (key, "kpi.profile") == 0)
    {
      if (strcmp (value, "zhuzhou-2026") != 0 && strcmp (value, "yiyang") != 0
          && strcmp (value, "county-alliance") != 0 && strcmp (value, "all") != 0
          && strcmp (value, "none") != 0)
        BAD ("'%s' is not zhuzhou-2026, yiyang, county-alliance, all or none", value);
      set_profile (cfg, value);
      return TRUE;
    }
  if (strcmp (key, "kpi.enable") == 0 || strcmp (key, "kpi.disable") == 0)
    {
      g_auto (GStrv) ids = g_strsplit (value, ",", -1);
      gboolean on = key[4] == 'e';
      for (guint i = 0; ids[i]; i++)
        {
          const char *id = g_strstrip (ids[i]);
          if (!cm_kpi_from_id (id, &kind))
            BAD ("unknown KPI '%s'", id);
          cfg->enabled[kind] = on;
        }
      g_free (cfg->profile);
      cfg->profile = g_strdup ("custom");
      return TRUE;
    }
  if (strcmp (key, "kpi.reimb.numerator") == 0)
    {
      if (strcmp (value, "fund") == 0)
        cfg->reimb_other = FALSE;
      else if (strcmp (value, "fund+other") == 0)
        cfg->reimb_other = TRUE;
      else
        BAD ("'%s' is not fund or fund+other", value);
      return TRUE;
    }
  if (strcmp (key, "kpi.fund") == 0)
    {
      if (strcmp (value, "ffs") == 0)
        cfg->fund_priced = FALSE;
      else if (strcmp (value, "priced") == 0)
        cfg->fund_priced = TRUE;
      else
        BAD ("'%s' is not ffs or priced", value);
      return TRUE;
    }
  if (strcmp (key, "kpi.insured") == 0)
    {
      if (strcmp (value, "local") == 0)
        cfg->insured_all = FALSE;
      else if (strcmp (value, "all") == 0)
        cfg->insured_all = TRUE;
      else
        BAD ("'%s' is not local or all", value);
      return TRUE;
    }
  if (strcmp (key, "kpi.primary_levels") == 0)
    {
      g_auto (GStrv) lv = g_strsplit (value, ",", -1);
      guint mask = 0;
      for (guint i = 0; lv[i]; i++)
        {
          const char *l = g_strstrip (lv[i]);
          if (strlen (l) != 1 || l[0] < '1' || l[0] > '3')
            BAD ("'%s' is not a list of hospital levels 1–3", value);
          mask |= 1u << (l[0] - '0');
        }
      cfg->primary_levels = mask;
      return TRUE;
    }
  if (strcmp (key, "kpi.drg_cost_per_case.basis") == 0)
    {
      if (strcmp (value, "raw") == 0)
        cfg->cost_adjusted = FALSE;
      else if (strcmp (value, "adjusted") == 0)
        cfg->cost_adjusted = TRUE;
      else
        BAD ("'%s' is not raw or adjusted", value);
      return TRUE;
    }
  if (strcmp (key, "kpi.pass_mark") == 0)
    {
      gint64 n, d;
      const char *e = parse_decimal (value, 0, &n, &d);
      if (e == NULL || *e || n < 0 || n > 100)
        BAD ("'%s' is not a score from 0 to 100", value);
      cfg->pass_mark = n;
      return TRUE;
    }
  if (g_str_has_prefix (key, "kpi."))
    {
      g_auto (GStrv) parts = g_strsplit (key + 4, ".", -1);
      guint np = g_strv_length (parts);
      if (np >= 2 && cm_kpi_from_id (parts[0], &kind))
        {
          if (np == 2 && strcmp (parts[1], "target") == 0)
            {
              CmKpiTarget t;
              g_autofree char *why = NULL;
              if (!cm_kpi_target_parse (value, &t, &why))
                BAD ("%s", why);
              cfg->target[kind] = t;
              if (kind == CM_KPI_OOC_SHARE)
                for (guint l = 0; l < 4; l++)
                  cfg->ooc_level[l] = t;
              return TRUE;
            }
          if (np == 3 && kind == CM_KPI_OOC_SHARE && strcmp (parts[1], "target") == 0
              && g_str_has_prefix (parts[2], "level") && strlen (parts[2]) == 6
              && parts[2][5] >= '1' && parts[2][5] <= '3')
            {
              CmKpiTarget t;
              g_autofree char *why = NULL;
              if (!cm_kpi_target_parse (value, &t, &why))
                BAD ("%s", why);
              cfg->ooc_level[parts[2][5] - '0'] = t;
              return TRUE;
            }
          if (np == 2 && strcmp (parts[1], "points") == 0)
            {
              gint64 n, d;
              const char *e = parse_decimal (value, 0, &n, &d);
              if (e == NULL || *e || n < 0 || n > 100)
                BAD ("'%s' is not a number of points from 0 to 100", value);
              cfg->points[kind] = n;
              return TRUE;
            }
        }
      BAD ("unknown key");
    }
  if (g_str_has_prefix (key, "figure."))
    {
      g_auto (GStrv) parts = g_strsplit (key, ".", -1);
      gint64 num, den, y, yd;
      const char *e;
      Figure *f;
      if (g_strv_length (parts) != 4 || !is_figure_name (parts[1]) || *parts[2] == '\0')
        BAD ("not figure.<insured|admissions|hosp_rate|drg_cost_per_case|"
             "inpatient_cost_per_case|reimb|out_of_county_admissions>.<region|county>.<year>");
      e = parse_decimal (parts[3], 0, &y, &yd);
      if (e == NULL || *e || y < 1900 || y > 9999)
        BAD ("'%s' is not a year", parts[3]);
      e = parse_decimal (value, 6, &num, &den);
      if (e == NULL)
        BAD ("'%s' is not a number", value);
      e = skip_spaces (e);
      if (*e == '%')
        {
          den *= 100;
          e = skip_spaces (e + 1);
        }
      if (*e != '\0' || num < 0)
        BAD ("'%s' is not a non-negative number (optionally with %%)", value);
      if ((strcmp (parts[1], "insured") == 0 || strcmp (parts[1], "admissions") == 0
           || strcmp (parts[1], "out_of_county_admissions") == 0) && den != 1)
        BAD ("'%s' is not a whole number", value);
      if (g_str_has_suffix (parts[1], "_per_case"))
        {
          /* yuan → fen, at most two decimals */
          if (den > 100)
            BAD ("'%s': money has at most two decimals", value);
          num = num * (100 / den);
          den = 1;
        }
      f = g_new (Figure, 1);
      f->num = num;
      f->den = den;
      g_hash_table_replace (cfg->figures,
                            g_strdup_printf ("%s.%s.%s", parts[1], parts[2], parts[3]), f);
      return TRUE;
    }
  BAD ("unknown key");
#undef BAD
}

gboolean
cm_kpi_config_load (CmKpiConfig *cfg, CmIndicatorOptions *options,
                    const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;
  g_auto (GStrv) lines = NULL;

  g_return_val_if_fail (cfg != NULL && path != NULL, FALSE);
  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      g_set_error (error, CM_INDICATORS_ERROR, CM_INDICATORS_ERROR_CONFIG, "%s",
                   local->message);
      return FALSE;
    }
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, CM_INDICATORS_ERROR, CM_INDICATORS_ERROR_CONFIG,
                   "%s: not UTF-8", path);
      return FALSE;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      char *line = lines[i], *tab;
      g_autofree char *problem = NULL;
      gsize len = strlen (line);

      if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
      if (i == 0 && g_str_has_prefix (line, "\xEF\xBB\xBF"))
        line += 3;
      if (*line == '\0' || *line == '#')
        continue;
      tab = strchr (line, '\t');
      if (tab == NULL)
        {
          g_set_error (error, CM_INDICATORS_ERROR, CM_INDICATORS_ERROR_CONFIG,
                       "%s:%u: not key<TAB>value", path, i + 1);
          return FALSE;
        }
      *tab = '\0';
      if (strcmp (line, "key") == 0 && strcmp (tab + 1, "value") == 0)
        continue;   /* an optional header row */
      if (!cm_kpi_config_set (cfg, options, line, g_strstrip (tab + 1), &problem))
        {
          g_set_error (error, CM_INDICATORS_ERROR, CM_INDICATORS_ERROR_CONFIG,
                       "%s:%u: key '%s': %s", path, i + 1, line,
                       problem ? problem : "bad value");
          return FALSE;
        }
    }
  return TRUE;
}

/* (nullable) */
static const Figure *
figure (const CmKpiConfig *cfg, const char *name, const char *scope, int year)
{
  g_autofree char *k = g_strdup_printf ("%s.%s.%d", name, scope, year);
  return g_hash_table_lookup (cfg->figures, k);
}

/* ---------------------------------------------------------------------- */
/* Evaluation                                                              */

void
cm_kpi_result_free (CmKpiResult *r)
{
  if (r == NULL)
    return;
  g_free (r->scope);
  g_free (r->scope_id);
  g_free (r->note);
  cm_rational_free (r->value);
  g_free (r);
}

int
cm_kpi_latest_year (const CmIndicators *ind)
{
  g_autoptr (CmIndTable) t = NULL;
  int y = 0;

  g_return_val_if_fail (ind != NULL, 0);
  t = cm_indicators_table (ind, 0, CM_IND_DIM_YEAR);
  for (guint i = 0; i < cm_ind_table_get_n_rows (t); i++)
    y = MAX (y, cm_ind_table_get_row (t, i)->year);
  return y;
}

static CmKpiResult *
result_new (GPtrArray *out, const CmKpiConfig *cfg, CmKpiKind kind,
            const char *scope_kind, const char *scope_id, int year, int level)
{
  CmKpiResult *r = g_new0 (CmKpiResult, 1);
  r->kind = kind;
  r->scope_id = g_strdup (scope_id ? scope_id : "");
  r->scope = scope_id && *scope_id ? g_strdup_printf ("%s %s", scope_kind, scope_id)
                                   : g_strdup (scope_kind);
  r->year = year;
  r->target = *cm_kpi_config_get_target (cfg, kind, level);
  g_ptr_array_add (out, r);
  return r;
}

/* Sets the value (taking it), met and, for shares of money, the gap. */
static void
result_set (CmKpiResult *r, CmRational *value, gint64 num, gint64 den,
            gboolean money)
{
  r->value = value;
  r->computable = value != NULL;
  r->num = num;
  r->den = den;
  r->money = money;
  if (value == NULL)
    return;
  r->met = cm_kpi_target_met (value, &r->target);
  if (money && den > 0 && cm_kpi_unit (r->kind) == CM_KPI_UNIT_PERCENT)
    r->has_gap = cm_kpi_gap_fen (num, den, &r->target, &r->gap_fen);
}

/* Replaces the note of @r by @owned (taken). */
static void
set_note (CmKpiResult *r, char *owned)
{
  g_free (r->note);
  r->note = owned;
}

static void
result_na (CmKpiResult *r, const char *why)
{
  r->computable = FALSE;
  g_free (r->note);
  r->note = g_strdup (why);
}

typedef struct {
  gint64 n, cost, ooc, copay, fund, fund_priced, n_priced, day;
} Tot;

static void
tot_add (Tot *t, const CmIndRow *r)
{
  t->n += r->n_cases;
  t->cost += r->total_cost_fen;
  t->ooc += r->out_of_catalogue_fen;
  t->copay += r->patient_copay_fen;
  t->fund += r->fund_ffs_fen;
  t->fund_priced += r->fund_priced_fen;
  t->n_priced += r->n_fund_priced;
  t->day += r->n_day_surgery;
}

static gboolean
insured_ok (const CmKpiConfig *cfg, const CmIndRow *r)
{
  return cfg->insured_all || r->insured_region == CM_REGION_LOCAL;
}

/* The fund amount of the reimbursement KPIs (FFS, or the policy's share
 * when asked and every case has one). */
static gint64
tot_fund (const CmKpiConfig *cfg, const Tot *t)
{
  if (cfg->fund_priced && t->n_priced == t->n && t->n > 0)
    return t->fund_priced;
  return t->fund;
}

static gint64
tot_reimb_num (const CmKpiConfig *cfg, const Tot *t)
{
  gint64 f = tot_fund (cfg, t);
  if (cfg->reimb_other)
    /* other payers: what neither the patient nor the fund paid */
    f += t->cost - t->ooc - t->copay - t->fund;
  return f;
}

static const char *
fund_note (const CmKpiConfig *cfg, const Tot *t)
{
  if (cfg->fund_priced && !(t->n_priced == t->n && t->n > 0))
    return "fund under FFS (no priced fund share for every case)";
  return NULL;
}

/* Admissions for the hospitalisation rate: local insured (or all), minus
 * day surgery when the option says so. */
static gint64
admissions (const CmKpiConfig *cfg, const CmIndTable *t_yir, int year)
{
  gint64 a = 0;
  for (guint i = 0; i < cm_ind_table_get_n_rows (t_yir); i++)
    {
      const CmIndRow *r = cm_ind_table_get_row (t_yir, i);
      if (r->year == year && insured_ok (cfg, r))
        a += r->n_cases - r->n_day_surgery;
    }
  return a;
}

static void
eval_reimb (GPtrArray *out, const CmKpiConfig *cfg, const CmIndTable *t_yir,
            CmKpiKind kind, CmInsuranceType ins, int year)
{
  CmKpiResult *res = result_new (out, cfg, kind, "region", NULL, year, 0);
  Tot t = { 0 };
  for (guint i = 0; i < cm_ind_table_get_n_rows (t_yir); i++)
    {
      const CmIndRow *r = cm_ind_table_get_row (t_yir, i);
      if (r->year == year && r->insurance == ins && insured_ok (cfg, r))
        tot_add (&t, r);
    }
  if (t.cost == 0)
    {
      result_na (res, "no inpatient cost of this insurance in the year");
      return;
    }
  result_set (res, cm_kpi_share (tot_reimb_num (cfg, &t), t.cost),
              tot_reimb_num (cfg, &t), t.cost, TRUE);
  if (fund_note (cfg, &t))
    set_note (res, g_strdup (fund_note (cfg, &t)));
}

static void
eval_primary_share (GPtrArray *out, const CmKpiConfig *cfg,
                    const CmIndTable *t_ycl, int year)
{
  g_autoptr (GHashTable) counties = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                           NULL, g_free);
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  Tot reg_all = { 0 }, reg_primary = { 0 };
  CmKpiResult *res;

  for (guint i = 0; i < cm_ind_table_get_n_rows (t_ycl); i++)
    {
      const CmIndRow *r = cm_ind_table_get_row (t_ycl, i);
      Tot *tc;
      if (r->year != year || !insured_ok (cfg, r))
        continue;
      tc = g_hash_table_lookup (counties, r->county_id);
      if (tc == NULL)
        {
          tc = g_new0 (Tot, 2);
          g_hash_table_insert (counties, (gpointer) r->county_id, tc);
          g_ptr_array_add (order, (gpointer) r->county_id);
        }
      tot_add (&tc[0], r);
      tot_add (&reg_all, r);
      if (cfg->primary_levels & (1u << r->hospital_level))
        {
          tot_add (&tc[1], r);
          tot_add (&reg_primary, r);
        }
    }
  res = result_new (out, cfg, CM_KPI_PRIMARY_FUND_SHARE, "region", NULL, year, 0);
  if (tot_fund (cfg, &reg_all) == 0)
    result_na (res, "no fund spending in the year");
  else
    result_set (res, cm_kpi_share (tot_fund (cfg, &reg_primary), tot_fund (cfg, &reg_all)),
                tot_fund (cfg, &reg_primary), tot_fund (cfg, &reg_all), TRUE);
  for (guint i = 0; i < order->len; i++)
    {
      const Tot *tc = g_hash_table_lookup (counties, order->pdata[i]);
      res = result_new (out, cfg, CM_KPI_PRIMARY_FUND_SHARE, "county",
                        order->pdata[i], year, 0);
      if (tot_fund (cfg, &tc[0]) == 0)
        result_na (res, "no fund spending in the county");
      else
        result_set (res, cm_kpi_share (tot_fund (cfg, &tc[1]), tot_fund (cfg, &tc[0])),
                    tot_fund (cfg, &tc[1]), tot_fund (cfg, &tc[0]), TRUE);
      if (res->computable)
        set_note (res, g_strdup ("in-county inpatient fund spending (the episode file "
                                 "has no patients' county of insurance)"));
    }
}

static gint64
count_persons (const CmIndicators *ind, const CmKpiConfig *cfg, int year);

static void
eval_hosp_rate (GPtrArray *out, const CmIndicators *ind, const CmKpiConfig *cfg,
                const CmIndTable *t_yir, gboolean have_prev, int year)
{
  CmKpiResult *res = result_new (out, cfg, CM_KPI_HOSP_RATE, "region", NULL, year, 0);
  const Figure *ins1 = figure (cfg, "insured", "region", year);
  const Figure *ins0 = figure (cfg, "insured", "region", year - 1);
  const Figure *rate0 = figure (cfg, "hosp_rate", "region", year - 1);
  const Figure *adm0 = figure (cfg, "admissions", "region", year - 1);
  gint64 a1, a0 = -1;
  gboolean persons = cm_indicators_get_options (ind)->count_persons;
  CmRational *v;

  if (ins1 == NULL || ins1->num == 0)
    {
      res->computable = FALSE;
      set_note (res, g_strdup_printf ("needs figure.insured.region.%d (insured headcount)", year));
      return;
    }
  a1 = persons ? count_persons (ind, cfg, year) : admissions (cfg, t_yir, year);
  if (adm0 != NULL)
    a0 = adm0->num;
  else if (have_prev)
    a0 = persons ? count_persons (ind, cfg, year - 1) : admissions (cfg, t_yir, year - 1);
  if (rate0 != NULL && a0 < 0)
    {
      /* last year's rate given directly */
      v = cm_rational_new (a1, ins1->num);
      cm_rational_add_product_ratio (v, -rate0->num, 1, rate0->den);
      result_set (res, v, a1, ins1->num, FALSE);
      set_note (res, g_strdup_printf ("last year's rate from figure.hosp_rate.region.%d",
                                   year - 1));
      return;
    }
  if (a0 < 0 || ins0 == NULL || ins0->num == 0)
    {
      res->computable = FALSE;
      set_note (res, g_strdup_printf ("needs last year: figure.hosp_rate.region.%d, or "
                                   "figure.insured.region.%d with admissions of %d "
                                   "(in the input or figure.admissions.region.%d)",
                                   year - 1, year - 1, year - 1, year - 1));
      return;
    }
  result_set (res, cm_kpi_rate_change (a1, ins1->num, a0, ins0->num), a1, ins1->num, FALSE);
  if (persons)
    set_note (res, g_strdup ("persons (distinct patients), not admissions"));
}

static void
eval_mean_change (GPtrArray *out, const CmKpiConfig *cfg, CmKpiKind kind,
                  const CmIndTable *t_y, int year)
{
  CmKpiResult *res = result_new (out, cfg, kind, "region", NULL, year, 0);
  const CmIndRow *r1 = NULL, *r0 = NULL;
  gboolean drg = kind == CM_KPI_DRG_COST_PER_CASE;
  const Figure *prev = figure (cfg, drg ? "drg_cost_per_case" : "inpatient_cost_per_case",
                               "region", year - 1);

  for (guint i = 0; i < cm_ind_table_get_n_rows (t_y); i++)
    {
      const CmIndRow *r = cm_ind_table_get_row (t_y, i);
      if (r->year == year)
        r1 = r;
      else if (r->year == year - 1)
        r0 = r;
    }
  if (r1 == NULL || (drg ? r1->n_weighted : r1->n_cases) == 0)
    {
      result_na (res, "no cases in the year");
      return;
    }
  if (drg && cfg->cost_adjusted)
    {
      if (r0 == NULL || r0->total_weight_e4 == 0)
        {
          result_na (res, "case-mix adjusted basis needs last year's cases in the input");
          return;
        }
      /* (C1 / W1) ÷ (C0 / W0) − 1 */
      result_set (res, cm_kpi_mean_change (r1->weighted_cost_fen, r1->total_weight_e4,
                                           r0->weighted_cost_fen, r0->total_weight_e4),
                  0, 0, FALSE);
      set_note (res, g_strdup ("case-mix adjusted: cost per unit of weight"));
      return;
    }
  if (prev != NULL)
    {
      result_set (res, cm_kpi_mean_change (drg ? r1->weighted_cost_fen : r1->total_cost_fen,
                                           drg ? r1->n_weighted : r1->n_cases,
                                           prev->num, 1),
                  0, 0, FALSE);
      set_note (res, g_strdup_printf ("last year's mean from figure.%s.region.%d",
                                   drg ? "drg_cost_per_case" : "inpatient_cost_per_case",
                                   year - 1));
      return;
    }
  if (r0 == NULL || (drg ? r0->n_weighted : r0->n_cases) == 0)
    {
      result_na (res, "needs last year's cases in the input or the figure of "
                 "last year's mean");
      return;
    }
  if (drg)
    result_set (res, cm_kpi_mean_change (r1->weighted_cost_fen, r1->n_weighted,
                                         r0->weighted_cost_fen, r0->n_weighted),
                0, 0, FALSE);
  else
    result_set (res, cm_kpi_mean_change (r1->total_cost_fen, r1->n_cases,
                                         r0->total_cost_fen, r0->n_cases),
                0, 0, FALSE);
}

static void
eval_ooc (GPtrArray *out, const CmKpiConfig *cfg, const CmIndTable *t_yh, int year)
{
  for (guint i = 0; i < cm_ind_table_get_n_rows (t_yh); i++)
    {
      const CmIndRow *r = cm_ind_table_get_row (t_yh, i);
      CmKpiResult *res;
      if (r->year != year)
        continue;
      res = result_new (out, cfg, CM_KPI_OOC_SHARE, "hospital", r->hospital_id, year,
                        r->hospital_level);
      if (r->total_cost_fen == 0)
        result_na (res, "no cost");
      else
        result_set (res, cm_kpi_share (r->out_of_catalogue_fen, r->total_cost_fen),
                    r->out_of_catalogue_fen, r->total_cost_fen, TRUE);
      if (res->computable)
        set_note (res, g_strdup_printf ("level %d", r->hospital_level));
    }
}

static void
eval_reimb_change (GPtrArray *out, const CmKpiConfig *cfg, const CmIndTable *t_yir,
                   int year)
{
  CmKpiResult *res = result_new (out, cfg, CM_KPI_REIMB_CHANGE, "region", NULL, year, 0);
  const Figure *prev = figure (cfg, "reimb", "region", year - 1);
  Tot t1 = { 0 }, t0 = { 0 };
  CmRational *v;

  for (guint i = 0; i < cm_ind_table_get_n_rows (t_yir); i++)
    {
      const CmIndRow *r = cm_ind_table_get_row (t_yir, i);
      if (!insured_ok (cfg, r))
        continue;
      if (r->year == year)
        tot_add (&t1, r);
      else if (r->year == year - 1)
        tot_add (&t0, r);
    }
  if (t1.cost == 0)
    {
      result_na (res, "no inpatient cost in the year");
      return;
    }
  v = cm_rational_new (tot_reimb_num (cfg, &t1), t1.cost);
  if (t0.cost > 0)
    cm_rational_add_product_ratio (v, -tot_reimb_num (cfg, &t0), 1, t0.cost);
  else if (prev != NULL)
    cm_rational_add_product_ratio (v, -prev->num, 1, prev->den);
  else
    {
      cm_rational_free (v);
      result_na (res, "needs last year's cases in the input or "
                 "figure.reimb.region.<last year>");
      return;
    }
  result_set (res, v, tot_reimb_num (cfg, &t1), t1.cost, FALSE);
}

static void
eval_in_county (GPtrArray *out, const CmKpiConfig *cfg, const CmIndTable *t_ycl,
                int year)
{
  g_autoptr (GHashTable) counties = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                           NULL, g_free);
  g_autoptr (GPtrArray) order = g_ptr_array_new ();

  for (guint i = 0; i < cm_ind_table_get_n_rows (t_ycl); i++)
    {
      const CmIndRow *r = cm_ind_table_get_row (t_ycl, i);
      gint64 *n;
      if (r->year != year || r->insured_region != CM_REGION_LOCAL)
        continue;
      n = g_hash_table_lookup (counties, r->county_id);
      if (n == NULL)
        {
          n = g_new0 (gint64, 1);
          g_hash_table_insert (counties, (gpointer) r->county_id, n);
          g_ptr_array_add (order, (gpointer) r->county_id);
        }
      *n += r->n_cases;
    }
  for (guint i = 0; i < order->len; i++)
    {
      const char *county = order->pdata[i];
      const gint64 *in = g_hash_table_lookup (counties, county);
      const Figure *outside = figure (cfg, "out_of_county_admissions", county, year);
      CmKpiResult *res = result_new (out, cfg, CM_KPI_IN_COUNTY_RATE, "county", county,
                                     year, 0);
      if (outside == NULL)
        {
          res->computable = FALSE;
          set_note (res, g_strdup_printf ("needs figure.out_of_county_admissions.%s.%d",
                                       county, year));
          continue;
        }
      result_set (res, cm_kpi_share (*in, *in + outside->num), *in, *in + outside->num,
                  FALSE);
      set_note (res, g_strdup ("admissions of local insured at the county's hospitals"));
    }
}

/* Distinct patients of @year (local insured unless kpi.insured = all). */
static gint64
count_persons (const CmIndicators *ind, const CmKpiConfig *cfg, int year)
{
  return cm_indicators_count_persons (ind, year, !cfg->insured_all);
}

GPtrArray *
cm_kpi_evaluate (const CmIndicators *ind, guint slot, const CmKpiConfig *cfg,
                 int year)
{
  GPtrArray *out;
  g_autoptr (CmIndTable) t_yir = NULL, t_ycl = NULL, t_yh = NULL, t_y = NULL;
  gboolean have_prev = FALSE;

  g_return_val_if_fail (ind != NULL && cfg != NULL, NULL);
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) cm_kpi_result_free);
  if (year == 0)
    year = cm_kpi_latest_year (ind);
  if (year == 0)
    return out;
  t_yir = cm_indicators_table (ind, slot, CM_IND_DIM_YEAR | CM_IND_DIM_INSURANCE
                                             | CM_IND_DIM_INSURED_REGION);
  t_ycl = cm_indicators_table (ind, slot, CM_IND_DIM_YEAR | CM_IND_DIM_COUNTY
                                             | CM_IND_DIM_LEVEL | CM_IND_DIM_INSURED_REGION);
  t_yh = cm_indicators_table (ind, slot, CM_IND_DIM_YEAR | CM_IND_DIM_HOSPITAL);
  t_y = cm_indicators_table (ind, slot, CM_IND_DIM_YEAR);
  for (guint i = 0; i < cm_ind_table_get_n_rows (t_y); i++)
    if (cm_ind_table_get_row (t_y, i)->year == year - 1)
      have_prev = TRUE;

  if (cfg->enabled[CM_KPI_REIMB_EMPLOYEE])
    eval_reimb (out, cfg, t_yir, CM_KPI_REIMB_EMPLOYEE, CM_INSURANCE_EMPLOYEE, year);
  if (cfg->enabled[CM_KPI_REIMB_RESIDENT])
    eval_reimb (out, cfg, t_yir, CM_KPI_REIMB_RESIDENT, CM_INSURANCE_RESIDENT, year);
  if (cfg->enabled[CM_KPI_HOSP_RATE])
    eval_hosp_rate (out, ind, cfg, t_yir, have_prev, year);
  if (cfg->enabled[CM_KPI_DRG_COST_PER_CASE])
    eval_mean_change (out, cfg, CM_KPI_DRG_COST_PER_CASE, t_y, year);
  if (cfg->enabled[CM_KPI_INPATIENT_COST])
    eval_mean_change (out, cfg, CM_KPI_INPATIENT_COST, t_y, year);
  if (cfg->enabled[CM_KPI_REIMB_CHANGE])
    eval_reimb_change (out, cfg, t_yir, year);
  if (cfg->enabled[CM_KPI_PRIMARY_FUND_SHARE])
    eval_primary_share (out, cfg, t_ycl, year);
  if (cfg->enabled[CM_KPI_IN_COUNTY_RATE])
    eval_in_county (out, cfg, t_ycl, year);
  if (cfg->enabled[CM_KPI_OOC_SHARE])
    eval_ooc (out, cfg, t_yh, year);
  return out;
}

gboolean
cm_kpi_assessment (const GPtrArray *results, const CmKpiConfig *cfg,
                   const char *county, gint64 *score, gint64 *factor_e4)
{
  gint64 points[CM_KPI_N] = { 0 }, total = 0, s = 0;
  guint n_enabled = 0, first = CM_KPI_N;
  gboolean any = FALSE;

  g_return_val_if_fail (results != NULL && cfg != NULL && county != NULL, FALSE);
  g_return_val_if_fail (score != NULL && factor_e4 != NULL, FALSE);
  for (guint k = 0; k < CM_KPI_N; k++)
    if (cfg->enabled[k] && k != CM_KPI_OOC_SHARE)
      {
        n_enabled++;
        if (first == CM_KPI_N)
          first = k;
        points[k] = cfg->points[k];
        total += points[k];
      }
  if (n_enabled == 0)
    return FALSE;
  if (total == 0)
    {
      /* equal shares of 100, the remainder to the first KPI */
      for (guint k = 0; k < CM_KPI_N; k++)
        if (cfg->enabled[k] && k != CM_KPI_OOC_SHARE)
          points[k] = 100 / n_enabled;
      points[first] += 100 % n_enabled;
    }
  for (guint k = 0; k < CM_KPI_N; k++)
    {
      const CmKpiResult *own = NULL, *region = NULL;
      if (points[k] == 0)
        continue;
      for (guint i = 0; i < results->len; i++)
        {
          const CmKpiResult *r = results->pdata[i];
          if (r->kind != (CmKpiKind) k)
            continue;
          if (strcmp (r->scope_id, county) == 0 && g_str_has_prefix (r->scope, "county"))
            own = r;
          else if (*r->scope_id == '\0')
            region = r;
        }
      if (own == NULL)
        own = region;
      if (own == NULL)
        continue;
      any = TRUE;
      if (own->computable && own->met)
        s += points[k];
    }
  *score = s;
  *factor_e4 = s >= cfg->pass_mark ? s * 100 : 0;
  return any;
}
