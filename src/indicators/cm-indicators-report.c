/* cm-indicators-report.c — building the indicator report.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Everything shown is read from the exact figures of the indicator tables
 * and KPI results and rounded once here, for display: money to the fen,
 * indices to 4 decimals, shares to 0.01 %. Chart values are those same
 * rounded integers. */
#include "config.h"

#include <string.h>
#include "cm-indicators-report.h"
#include "cm-money.h"

/* ---------------------------------------------------------------------- */
/* KPI rows                                                                */

static const char *const kpi_cols[CM_KPI_N_COLUMNS] = {
  "kpi", "name", "scope", "year", "value", "target", "status",
  "numerator", "denominator", "gap", "note",
};

const char *const *
cm_kpi_columns (void)
{
  return kpi_cols;
}

static char *
fmt_amount (gint64 v, gboolean money)
{
  char buf[CM_MONEY_BUF];
  if (!money)
    return g_strdup_printf ("%" G_GINT64_FORMAT, v);
  cm_fen_format (v, buf);
  return g_strdup (buf);
}

static const char *
status_word (const CmKpiResult *r)
{
  if (!r->computable)
    return "n/a";
  return r->met ? "met" : "missed";
}

void
cm_kpi_results_to_rows (const GPtrArray *kpis,
                        void (*row) (const char *const *cells, gpointer user_data),
                        gpointer user_data)
{
  g_return_if_fail (kpis != NULL && row != NULL);
  for (guint i = 0; i < kpis->len; i++)
    {
      const CmKpiResult *r = kpis->pdata[i];
      CmKpiUnit unit = cm_kpi_unit (r->kind);
      g_autofree char *year = g_strdup_printf ("%d", r->year);
      g_autofree char *value = cm_kpi_value_format (r->value, unit);
      g_autofree char *target = cm_kpi_target_format (&r->target, unit);
      g_autofree char *num = NULL, *den = NULL, *gap = NULL;
      const char *cells[CM_KPI_N_COLUMNS];

      if (r->computable && (r->num != 0 || r->den != 0))
        {
          num = fmt_amount (r->num, r->money);
          den = fmt_amount (r->den, r->money);
        }
      if (r->has_gap)
        gap = fmt_amount (r->gap_fen, TRUE);
      cells[0] = cm_kpi_id (r->kind);
      cells[1] = cm_kpi_name (r->kind);
      cells[2] = r->scope;
      cells[3] = year;
      cells[4] = r->computable ? value : "";
      cells[5] = target;
      cells[6] = status_word (r);
      cells[7] = num ? num : "";
      cells[8] = den ? den : "";
      cells[9] = gap ? gap : "";
      cells[10] = r->note ? r->note : "";
      row (cells, user_data);
    }
}

static void
add_report_row (const char *const *cells, gpointer user_data)
{
  cm_report_table_add_row (user_data, cells);
}

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

/* A sheet name from @prefix and @name: at most 31 characters, none of
 * []:*?/\ . */
static char *
sheet_name (const char *prefix, const char *name, guint index)
{
  g_autofree char *raw = g_strdup_printf ("%s%s", prefix, name);
  GString *s = g_string_new (NULL);
  glong n = 0;
  const char *p;

  for (p = raw; *p && n < 31; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);
      if (c < 128 && strchr ("[]:*?/\\'", (int) c) != NULL)
        g_string_append_c (s, '_');
      else
        g_string_append_unichar (s, c);
    }
  if (*p != '\0')
    {
      /* truncated: keep it unique with the slot number */
      g_autofree char *cut = g_utf8_substring (s->str, 0, 27);
      g_string_printf (s, "%s~%u", cut, index + 1);
    }
  return g_string_free (s, FALSE);
}

/* @r rounded to @decimals as a scaled integer; FALSE when NULL. */
static gboolean
scaled (const CmRational *r, guint decimals, gint64 *out)
{
  return r != NULL && cm_rational_round (r, decimals, out);
}

static char *
fmt_fen_grouped (gint64 fen)
{
  char buf[CM_REPORT_NUMBER_BUF];
  cm_report_format_scaled (fen, 2, TRUE, buf);
  return g_strdup (buf);
}

static void
add_ind_table (CmReport *rep, const CmIndTable *t, const char *slot_name,
               const char *sheet, const char *caption, guint page_limit,
               gboolean workbook_only)
{
  const char *h[CM_IND_TABLE_MAX_COLS];
  char kinds[CM_IND_TABLE_MAX_COLS + 1];
  guint n = cm_ind_table_columns (t, slot_name, h, kinds);
  CmReportTable *rt = cm_report_add_table (rep, sheet, caption, n, h, kinds);

  for (guint i = 0; i < cm_ind_table_get_n_rows (t); i++)
    {
      g_auto (GStrv) cells = cm_ind_table_format_row (t, slot_name, i);
      cm_report_table_add_row (rt, (const char *const *) cells);
    }
  cm_report_table_set_page_limit (rt, page_limit);
  cm_report_table_set_workbook_only (rt, workbook_only);
}

/* ---------------------------------------------------------------------- */
/* KPI dashboard                                                           */

static void
add_tiles (CmReport *rep, const GPtrArray *kpis, const CmKpiConfig *cfg)
{
  CmReportTiles *tiles;
  gboolean done[CM_KPI_N] = { FALSE };

  tiles = cm_report_add_tiles (rep, "KPI dashboard");
  for (guint i = 0; i < kpis->len; i++)
    {
      const CmKpiResult *r = kpis->pdata[i];
      CmKpiUnit unit = cm_kpi_unit (r->kind);
      guint n_scoped = 0, n_met = 0, n_comp = 0;
      const CmKpiResult *region = NULL;
      const char *scope_word = "units";
      g_autofree char *value = NULL, *target = NULL, *detail = NULL;
      CmReportStatus st;

      if (done[r->kind])
        continue;
      done[r->kind] = TRUE;
      for (guint j = 0; j < kpis->len; j++)
        {
          const CmKpiResult *x = kpis->pdata[j];
          if (x->kind != r->kind)
            continue;
          if (*x->scope_id == '\0')
            region = x;
          else
            {
              n_scoped++;
              scope_word = g_str_has_prefix (x->scope, "county") ? "counties" : "hospitals";
              if (x->computable)
                n_comp++;
              if (x->computable && x->met)
                n_met++;
            }
        }
      target = cm_kpi_target_format (&r->target, unit);
      if (region != NULL)
        {
          value = cm_kpi_value_format (region->value, unit);
          st = !region->computable ? CM_REPORT_STATUS_NA
               : region->met ? CM_REPORT_STATUS_MET : CM_REPORT_STATUS_MISSED;
          if (region->computable && region->money && region->den > 0)
            {
              g_autofree char *a = fmt_fen_grouped (region->num);
              g_autofree char *b = fmt_fen_grouped (region->den);
              detail = g_strdup_printf ("%s ÷ %s", a, b);
              if (region->has_gap && region->gap_fen > 0)
                {
                  g_autofree char *g = fmt_fen_grouped (region->gap_fen);
                  g_autofree char *d2 = g_strdup_printf ("%s · gap %s", detail, g);
                  g_free (detail);
                  detail = g_steal_pointer (&d2);
                }
            }
          else if (!region->computable && region->note)
            detail = g_strdup (region->note);
          if (n_scoped > 0)
            {
              g_autofree char *d2 = g_strdup_printf ("%s%s%u of %u %s meet",
                                                     detail ? detail : "",
                                                     detail ? " · " : "", n_met, n_scoped,
                                                     scope_word);
              g_free (detail);
              detail = g_steal_pointer (&d2);
            }
        }
      else
        {
          /* scoped only (hospitals, counties): how many meet */
          const char *what = scope_word;
          value = g_strdup_printf ("%u / %u", n_met, n_scoped);
          detail = g_strdup_printf ("%s meeting the target%s", what,
                                    n_comp < n_scoped ? " (some not computable)" : "");
          st = n_comp == 0 ? CM_REPORT_STATUS_NA
               : n_met == n_scoped ? CM_REPORT_STATUS_MET : CM_REPORT_STATUS_MISSED;
          if (r->kind == CM_KPI_OOC_SHARE && cfg != NULL)
            {
              g_autofree char *t1 = cm_kpi_target_format (
                  cm_kpi_config_get_target (cfg, CM_KPI_OOC_SHARE, 1), unit);
              g_autofree char *t2 = cm_kpi_target_format (
                  cm_kpi_config_get_target (cfg, CM_KPI_OOC_SHARE, 2), unit);
              g_autofree char *t3 = cm_kpi_target_format (
                  cm_kpi_config_get_target (cfg, CM_KPI_OOC_SHARE, 3), unit);
              g_free (target);
              target = g_strdup_printf ("L1 %s, L2 %s, L3 %s", t1, t2, t3);
            }
        }
      cm_report_tiles_add (tiles, cm_kpi_name (r->kind), value, target, detail, st);
    }
}

/* ---------------------------------------------------------------------- */
/* The report                                                              */

typedef struct {
  gint64 v;
  guint i;
} Ranked;

static int
ranked_desc (gconstpointer a, gconstpointer b)
{
  const Ranked *x = a, *y = b;
  if (x->v != y->v)
    return x->v > y->v ? -1 : 1;
  return x->i < y->i ? -1 : (x->i > y->i);
}

/* The KPI-5 baseline: last year's DRG cost per case (fen) of slot 0, from
 * the data; FALSE when absent. */
static gboolean
baseline_cost (const CmIndTable *t_y, int year, gint64 *sum, gint64 *n)
{
  for (guint i = 0; i < cm_ind_table_get_n_rows (t_y); i++)
    {
      const CmIndRow *r = cm_ind_table_get_row (t_y, i);
      if (r->year == year - 1 && r->n_weighted > 0)
        {
          *sum = r->weighted_cost_fen;
          *n = r->n_weighted;
          return TRUE;
        }
    }
  return FALSE;
}

CmReport *
cm_indicators_build_report (const CmIndicators *ind, const GPtrArray *kpis,
                            const CmKpiConfig *cfg, const CmIndReportInfo *info)
{
  CmIndReportInfo defaults = { 0 };
  guint n_slots;
  const CmIndicatorOptions *opt;
  g_autoptr (CmIndTable) t_month = NULL, t_year = NULL, t_region = NULL;
  g_autoptr (CmIndTable) t_hosp = NULL, t_groups = NULL;
  g_autoptr (GPtrArray) month_labels = g_ptr_array_new_with_free_func (g_free);
  CmReport *rep;
  int kpi_year = 0;
  g_autofree char *period = NULL, *sub = NULL;

  g_return_val_if_fail (ind != NULL, NULL);
  if (info == NULL)
    info = &defaults;
  n_slots = cm_indicators_get_n_slots (ind);
  opt = cm_indicators_get_options (ind);
  t_month = cm_indicators_table (ind, 0, CM_IND_DIM_MONTH);
  t_year = cm_indicators_table (ind, 0, CM_IND_DIM_YEAR);
  t_region = cm_indicators_table (ind, 0, 0);
  if (kpis && kpis->len > 0)
    kpi_year = ((const CmKpiResult *) kpis->pdata[0])->year;
  else
    kpi_year = cm_kpi_latest_year (ind);

  rep = cm_report_new (info->title ? info->title
                       : "病组绩效与医保考核指标 — DRG/DIP performance indicators and KPIs");
  for (guint i = 0; i < cm_ind_table_get_n_rows (t_month); i++)
    {
      const CmIndRow *r = cm_ind_table_get_row (t_month, i);
      g_ptr_array_add (month_labels, g_strdup_printf ("%04d-%02d", r->year, r->month));
    }
  period = month_labels->len
           ? g_strdup_printf ("discharges %s to %s", (char *) month_labels->pdata[0],
                              (char *) month_labels->pdata[month_labels->len - 1])
           : g_strdup ("no discharges");
  sub = g_strdup_printf ("%s · %" G_GUINT64_FORMAT " episodes · %s%s",
                         period, cm_indicators_get_n_cases (ind),
                         info->generated ? "generated " : "",
                         info->generated ? info->generated : "");
  cm_report_add_subtitle (rep, sub);
  cm_report_add_subtitle (rep, "Figures are exact rationals rounded once for display: "
                          "shares to 0.01 %, indices to 0.0001, money to the fen.");
  if (info->inputs)
    {
      g_autofree char *in = g_strjoinv (", ", (char **) info->inputs);
      cm_report_add_meta (rep, "inputs", in);
    }
  if (info->n_rejected > 0)
    {
      g_autofree char *rj = g_strdup_printf ("%" G_GUINT64_FORMAT
                                             " broken lines left out (see the rejects file)",
                                             info->n_rejected);
      cm_report_add_meta (rep, "rejected", rj);
    }
  for (guint s = 0; s < n_slots; s++)
    {
      CmWeightTable *w = cm_indicators_get_weights (ind, s);
      g_autofree char *k = g_strdup_printf ("scheme %u", s + 1);
      g_autofree char *groups = w && cm_weight_table_get_n_entries (w) > 0
                                ? g_strdup_printf (" (%u groups)",
                                                   cm_weight_table_get_n_entries (w))
                                : g_strdup ("");
      g_autofree char *v = g_strdup_printf (
          "%s (%s) · weights: %s%s", cm_indicators_get_slot_name (ind, s),
          cm_indicators_get_slot_family (ind, s) == CM_SCHEME_FAMILY_DIP ? "DIP" : "DRG",
          w ? (strcmp (cm_weight_table_get_source (w), "self") == 0
               ? "derived from the input (self)" : cm_weight_table_get_source (w))
            : "none",
          groups);
      cm_report_add_meta (rep, k, v);
    }
  {
    g_autofree char *o = g_strdup_printf (
        "cost/time reference: %s; groups counted with ≥ %u cases; per-diem stays %s; "
        "low-risk SD: %s, period %s, hospice %s, against-advice %s",
        opt->reference == CM_IND_REFERENCE_LEVEL ? "same level" : "all hospitals",
        opt->min_group_cases, opt->include_per_diem ? "included" : "excluded",
        opt->lrm_sd == CM_IND_SD_SAMPLE ? "sample" : "population",
        opt->lrm_period == CM_IND_LRM_PERIOD_YEAR ? "per year" : "whole input",
        opt->lrm_exclude_hospice ? "excluded" : "included",
        opt->lrm_exclude_against_advice ? "excluded" : "included");
    cm_report_add_meta (rep, "options", o);
  }
  if (cfg)
    {
      g_autofree char *p = g_strdup_printf ("%s, assessed year %d",
                                            cm_kpi_config_get_profile (cfg), kpi_year);
      cm_report_add_meta (rep, "KPI profile", p);
    }

  /* ---- KPIs ---- */
  if (kpis && kpis->len > 0)
    {
      cm_report_add_heading (rep, "KPI dashboard 考核指标");
      add_tiles (rep, kpis, cfg);
      cm_report_add_paragraph (rep, "Every KPI by region, county and hospital, with "
                               "numerators, denominators and gaps: section KPI details.");
    }

  /* ---- cost per case by month ---- */
  if (month_labels->len > 0)
    {
      guint n = month_labels->len;
      g_autofree gint64 *raw = g_new0 (gint64, n), *adj = g_new0 (gint64, n);
      g_autofree gboolean *raw_ok = g_new0 (gboolean, n), *adj_ok = g_new0 (gboolean, n);
      CmReportChart *ch;
      g_autofree char *title = NULL;
      gint64 bsum = 0, bn = 0;
      const CmKpiTarget *tgt = cfg ? cm_kpi_config_get_target (cfg, CM_KPI_DRG_COST_PER_CASE, 0)
                                   : NULL;

      cm_report_add_heading (rep, "Cost per case 次均费用");
      for (guint i = 0; i < n; i++)
        {
          const CmIndRow *r = cm_ind_table_get_row (t_month, i);
          raw_ok[i] = scaled (r->cost_per_case_fen, 0, &raw[i]);
          adj_ok[i] = scaled (r->adjusted_cost_fen, 0, &adj[i]);
        }
      title = g_strdup_printf ("DRG/DIP cost per case by month, %s",
                               cm_indicators_get_slot_name (ind, 0));
      ch = cm_report_add_line_chart (rep, title, n, (const char *const *) month_labels->pdata,
                                     2, "yuan");
      cm_report_chart_add_series (ch, "cost per case (raw)", raw, raw_ok);
      cm_report_chart_add_series (ch, "case-mix adjusted (cost per 1.0 of weight)", adj, adj_ok);
      if (tgt != NULL && kpi_year > 0)
        {
          g_autoptr (CmRational) line = NULL;
          gboolean have = baseline_cost (t_year, kpi_year, &bsum, &bn);
          gint64 v;
          if (have)
            line = cm_rational_new (bsum, bn);
          /* a figure of last year's mean (fen) stands in for the data */
          if (line == NULL && kpis)
            for (guint i = 0; i < kpis->len; i++)
              {
                const CmKpiResult *r = kpis->pdata[i];
                if (r->kind == CM_KPI_DRG_COST_PER_CASE && r->computable
                    && r->note && g_str_has_prefix (r->note, "last year's mean from figure"))
                  {
                    /* value = mean1 / mean0 − 1 → mean0 = mean1 / (1 + value) */
                    const CmIndRow *cur = NULL;
                    for (guint j = 0; j < cm_ind_table_get_n_rows (t_year); j++)
                      if (cm_ind_table_get_row (t_year, j)->year == kpi_year)
                        cur = cm_ind_table_get_row (t_year, j);
                    if (cur && cur->n_weighted > 0)
                      {
                        g_autoptr (CmRational) onep = cm_rational_copy (r->value);
                        cm_rational_add_product_ratio (onep, 1, 1, 1);
                        line = cm_rational_new (cur->weighted_cost_fen, cur->n_weighted);
                        if (!cm_rational_is_zero (onep))
                          cm_rational_div (line, onep);
                      }
                  }
              }
          if (line != NULL)
            {
              g_autofree char *lab = NULL;
              g_autofree char *b = NULL;
              gint64 base;
              cm_rational_round (line, 0, &base);
              b = fmt_fen_grouped (base);
              /* target = baseline × (1 + t) */
              cm_rational_mul_ratio (line, tgt->den + tgt->num, tgt->den);
              if (cm_rational_round (line, 0, &v))
                {
                  g_autofree char *tt = cm_kpi_target_format (tgt, CM_KPI_UNIT_CHANGE);
                  lab = g_strdup_printf ("target %d (%s on %d mean %s)", kpi_year, tt,
                                         kpi_year - 1, b);
                  cm_report_chart_set_target (ch, lab, v);
                }
            }
          else
            cm_report_chart_set_note (ch, "No target line: last year's DRG cost per case is "
                                      "neither in the input nor given as "
                                      "figure.drg_cost_per_case.region.<year>.");
        }
    }

  /* ---- trends by scheme ---- */
  if (n_slots > 1 && month_labels->len > 0)
    {
      guint n = month_labels->len;
      CmReportChart *cmi_ch, *adj_ch;
      cm_report_add_heading (rep, "Trends by scheme 不同分组方案下的趋势");
      cm_report_add_paragraph (rep, "The same episodes regrouped under each scheme, each "
                               "with its own weights: the case mix index and the case-mix "
                               "adjusted cost per case are comparable across months within "
                               "a scheme.");
      cmi_ch = cm_report_add_line_chart (rep, "CMI by month", n,
                                         (const char *const *) month_labels->pdata, 4, NULL);
      adj_ch = cm_report_add_line_chart (rep, "Case-mix adjusted cost per case by month", n,
                                         (const char *const *) month_labels->pdata, 2, "yuan");
      for (guint s = 0; s < n_slots && s < CM_REPORT_MAX_SERIES; s++)
        {
          g_autoptr (CmIndTable) tm = cm_indicators_table (ind, s, CM_IND_DIM_MONTH);
          g_autofree gint64 *cmi = g_new0 (gint64, n), *adj = g_new0 (gint64, n);
          g_autofree gboolean *c_ok = g_new0 (gboolean, n), *a_ok = g_new0 (gboolean, n);
          for (guint i = 0; i < cm_ind_table_get_n_rows (tm); i++)
            {
              const CmIndRow *r = cm_ind_table_get_row (tm, i);
              g_autofree char *lab = g_strdup_printf ("%04d-%02d", r->year, r->month);
              for (guint j = 0; j < n; j++)
                if (strcmp (lab, month_labels->pdata[j]) == 0)
                  {
                    c_ok[j] = scaled (r->cmi, 4, &cmi[j]);
                    a_ok[j] = scaled (r->adjusted_cost_fen, 0, &adj[j]);
                  }
            }
          cm_report_chart_add_series (cmi_ch, cm_indicators_get_slot_name (ind, s), cmi, c_ok);
          cm_report_chart_add_series (adj_ch, cm_indicators_get_slot_name (ind, s), adj, a_ok);
        }
    }

  /* trend tables, one per slot */
  cm_report_add_heading (rep, "Monthly trend tables 月度趋势表");
  for (guint s = 0; s < n_slots; s++)
    {
      g_autoptr (CmIndTable) tm = cm_indicators_table (ind, s, CM_IND_DIM_MONTH);
      g_autofree char *sheet = sheet_name ("Trend ", cm_indicators_get_slot_name (ind, s), s);
      g_autofree char *cap = g_strdup_printf ("Region by month, %s",
                                              cm_indicators_get_slot_name (ind, s));
      add_ind_table (rep, tm, cm_indicators_get_slot_name (ind, s), sheet, cap, 0, FALSE);
    }

  /* ---- CMI by hospital ---- */
  t_hosp = cm_indicators_table (ind, 0, CM_IND_DIM_HOSPITAL);
  {
    guint n = cm_ind_table_get_n_rows (t_hosp);
    g_autofree Ranked *rank = g_new0 (Ranked, n + 1);
    guint m = 0;
    CmReportChart *bar;
    g_autofree char *title = g_strdup_printf ("CMI by hospital, %s",
                                              cm_indicators_get_slot_name (ind, 0));
    gint64 reg;

    cm_report_add_heading (rep, "Hospitals 医院");
    for (guint i = 0; i < n; i++)
      if (scaled (cm_ind_table_get_row (t_hosp, i)->cmi, 4, &rank[m].v))
        rank[m++].i = i;
    qsort (rank, m, sizeof (Ranked), ranked_desc);
    bar = cm_report_add_bar_chart (rep, title, 4, NULL);
    for (guint i = 0; i < m && i < CM_REPORT_MAX_BARS; i++)
      {
        const CmIndRow *r = cm_ind_table_get_row (t_hosp, rank[i].i);
        g_autofree char *lab = g_strdup_printf ("%s (L%d)", r->hospital_id, r->hospital_level);
        cm_report_chart_add_bar (bar, lab, rank[i].v);
      }
    if (cm_ind_table_get_n_rows (t_region) > 0
        && scaled (cm_ind_table_get_row (t_region, 0)->cmi, 4, &reg))
      cm_report_chart_set_target (bar, "region CMI", reg);
    cm_report_chart_set_note (bar, "Whole input; the dashed line is the region's CMI. "
                              "L = hospital level.");
    add_ind_table (rep, t_hosp, cm_indicators_get_slot_name (ind, 0), "Hospitals",
                   "Indicators by hospital", 100, FALSE);
  }

  /* ---- funnel ---- */
  if (cm_ind_table_get_n_rows (t_region) > 0)
    {
      const CmIndRow *r = cm_ind_table_get_row (t_region, 0);
      g_autofree char *title = g_strdup_printf ("Cases by payment class, %s",
                                                cm_indicators_get_slot_name (ind, 0));
      CmReportChart *fn;
      static const char *const lh[] = { "scheme", "class", "cases" };
      CmReportTable *lt;
      gint64 normal = -1;

      cm_report_add_heading (rep, "Payment classes 病例分类");
      fn = cm_report_add_funnel (rep, title);
      cm_report_chart_add_stage (fn, "episodes accepted", r->n_cases);
      cm_report_chart_add_stage (fn, "DRG/DIP-settled", r->n_settled);
      cm_report_chart_add_stage (fn, "grouped", r->n_grouped);
      cm_report_chart_add_stage (fn, "with a weight (in the CMI)", r->n_weighted);
      for (guint i = 0; i < cm_indicators_get_n_labels (ind, 0); i++)
        {
          gint64 c;
          const char *l = cm_indicators_get_label (ind, 0, i, &c);
          if (strcmp (l, "normal") == 0)
            normal = c;
        }
      if (normal >= 0)
        cm_report_chart_add_stage (fn, "paid at the normal standard", normal);
      cm_report_chart_set_note (fn, "Settled: all but per-diem stays (or the policy's "
                                "DRG/DIP cases); grouped: a DRG / DIP group; weighted: the "
                                "group has a weight. Every class is in the table below.");
      lt = cm_report_add_table (rep, "Classes", "Cases by class label", 3, lh, "ttn");
      for (guint s = 0; s < n_slots; s++)
        for (guint i = 0; i < cm_indicators_get_n_labels (ind, s); i++)
          {
            gint64 c;
            const char *l = cm_indicators_get_label (ind, s, i, &c);
            g_autofree char *cs = g_strdup_printf ("%" G_GINT64_FORMAT, c);
            const char *cells[3] = { cm_indicators_get_slot_name (ind, s), l, cs };
            cm_report_table_add_row (lt, cells);
          }
    }

  /* ---- groups and low-risk ---- */
  t_groups = cm_indicators_table (ind, 0, CM_IND_DIM_GROUP);
  {
    const char *h[CM_IND_TABLE_MAX_COLS];
    char kinds[CM_IND_TABLE_MAX_COLS + 1];
    guint nc = cm_ind_table_columns (t_groups, NULL, h, kinds);
    guint n = cm_ind_table_get_n_rows (t_groups);
    g_autofree Ranked *rank = g_new0 (Ranked, n + 1);
    g_autoptr (CmIndTable) t_hg = cm_indicators_table (ind, 0, CM_IND_DIM_HOSPITAL
                                                              | CM_IND_DIM_GROUP);
    static const char *const lh[] = {
      "group", "group_weight", "cases", "deaths", "mortality_pct",
    };
    static const char *const dh[] = {
      "hospital_id", "hospital_level", "group", "lowrisk_cases", "lowrisk_deaths",
      "lowrisk_mortality_pct",
    };
    CmReportTable *gt, *lt, *dt;
    guint n_bands[5] = { 0 };
    g_autofree char *bands = NULL;

    cm_report_add_heading (rep, "Groups and low-risk mortality 病组与低风险组死亡率");
    for (guint i = 0; i < n; i++)
      {
        rank[i].v = cm_ind_table_get_row (t_groups, i)->n_cases;
        rank[i].i = i;
        n_bands[cm_ind_table_get_row (t_groups, i)->risk]++;
      }
    bands = g_strdup_printf ("Risk bands of the groups (z of ln in-hospital mortality over "
                             "the reference period; groups without a death are low risk): "
                             "%u low, %u mid-low, %u mid-high, %u high. Every death in a "
                             "low-risk group is listed below for review.",
                             n_bands[CM_IND_RISK_LOW], n_bands[CM_IND_RISK_MID_LOW],
                             n_bands[CM_IND_RISK_MID_HIGH], n_bands[CM_IND_RISK_HIGH]);
    cm_report_add_paragraph (rep, bands);
    qsort (rank, n, sizeof (Ranked), ranked_desc);
    lt = cm_report_add_table (rep, "Low-risk groups", "Low-risk groups with deaths",
                              G_N_ELEMENTS (lh), lh, "tnnnn");
    dt = cm_report_add_table (rep, "Low-risk deaths", "Deaths in low-risk groups by "
                              "hospital (supervision signal)", G_N_ELEMENTS (dh), dh,
                              "tnttnn");
    gt = cm_report_add_table (rep, "Groups", "All groups by number of cases "
                              "(the empty group: ungrouped and not settled cases)",
                              nc, h, kinds);
    for (guint k = 0; k < n; k++)
      {
        g_auto (GStrv) cells = cm_ind_table_format_row (t_groups, NULL, rank[k].i);
        const CmIndRow *r = cm_ind_table_get_row (t_groups, rank[k].i);
        cm_report_table_add_row (gt, (const char *const *) cells);
        if (r->risk == CM_IND_RISK_LOW && r->lowrisk_deaths > 0)
          {
            g_autofree char *c = g_strdup_printf ("%" G_GINT64_FORMAT, r->lowrisk_cases);
            g_autofree char *d = g_strdup_printf ("%" G_GINT64_FORMAT, r->lowrisk_deaths);
            g_autofree char *m = NULL;
            char wb[CM_MONEY_BUF] = "";
            g_autoptr (CmRational) mm = cm_rational_copy (r->lowrisk_mortality);
            const char *row[5];
            cm_rational_mul_ratio (mm, 100, 1);
            m = cm_rational_to_string (mm, 2);
            if (r->weight_e4 >= 0)
              cm_e4_format (r->weight_e4, wb);
            row[0] = r->group;
            row[1] = wb;
            row[2] = c;
            row[3] = d;
            row[4] = m;
            cm_report_table_add_row (lt, row);
          }
      }
    for (guint i = 0; i < cm_ind_table_get_n_rows (t_hg); i++)
      {
        const CmIndRow *r = cm_ind_table_get_row (t_hg, i);
        g_autofree char *lv = NULL, *c = NULL, *d = NULL, *m = NULL;
        g_autoptr (CmRational) mm = NULL;
        const char *row[6];
        if (r->lowrisk_deaths == 0)
          continue;
        lv = g_strdup_printf ("%d", r->hospital_level);
        c = g_strdup_printf ("%" G_GINT64_FORMAT, r->lowrisk_cases);
        d = g_strdup_printf ("%" G_GINT64_FORMAT, r->lowrisk_deaths);
        mm = cm_rational_copy (r->lowrisk_mortality);
        cm_rational_mul_ratio (mm, 100, 1);
        m = cm_rational_to_string (mm, 2);
        row[0] = r->hospital_id;
        row[1] = lv;
        row[2] = r->group;
        row[3] = c;
        row[4] = d;
        row[5] = m;
        cm_report_table_add_row (dt, row);
      }
    cm_report_table_set_page_limit (gt, 30);
    cm_report_table_set_page_limit (lt, 30);
    cm_report_table_set_page_limit (dt, 50);
  }

  /* ---- KPI details ---- */
  if (kpis && kpis->len > 0)
    {
      CmReportTable *kt;
      cm_report_add_heading (rep, "KPI details 考核指标明细");
      kt = cm_report_add_table (rep, "KPI", "KPIs by scope (exact comparison with the target)",
                                CM_KPI_N_COLUMNS, kpi_cols, "tttnttttttt");
      cm_kpi_results_to_rows (kpis, add_report_row, kt);
      cm_report_table_set_page_limit (kt, 24);
      if (cfg && (cm_kpi_config_is_enabled (cfg, CM_KPI_IN_COUNTY_RATE)
                  || strcmp (cm_kpi_config_get_profile (cfg), "county-alliance") == 0))
        {
          static const char *const ah[] = { "county_id", "score", "factor_q" };
          CmReportTable *at = cm_report_add_table (
              rep, "Assessment", "County alliance assessment: points of the KPIs met; "
              "q = score/100 when the score reaches the pass mark, else 0 "
              "(medical-alliance.md §6)", 3, ah, "tnn");
          g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
          for (guint i = 0; i < kpis->len; i++)
            {
              const CmKpiResult *r = kpis->pdata[i];
              gint64 score, q;
              if (!g_str_has_prefix (r->scope, "county")
                  || g_hash_table_contains (seen, r->scope_id))
                continue;
              g_hash_table_add (seen, r->scope_id);
              if (cm_kpi_assessment (kpis, cfg, r->scope_id, &score, &q))
                {
                  g_autofree char *sc = g_strdup_printf ("%" G_GINT64_FORMAT, score);
                  char qb[CM_MONEY_BUF];
                  const char *cells[3];
                  cm_e4_format (q, qb);
                  cells[0] = r->scope_id;
                  cells[1] = sc;
                  cells[2] = qb;
                  cm_report_table_add_row (at, cells);
                }
            }
        }
    }

  /* ---- the user's table ---- */
  if (info->by_dims != 0)
    {
      g_autofree char *head = g_strdup_printf ("Indicators by %s", info->by_text ? info->by_text
                                                                                : "dimension");
      cm_report_add_heading (rep, head);
      for (guint s = 0; s < n_slots; s++)
        {
          g_autoptr (CmIndTable) tb = cm_indicators_table (ind, s, info->by_dims);
          g_autofree char *sheet = sheet_name ("By ", cm_indicators_get_slot_name (ind, s), s);
          g_autofree char *cap = g_strdup_printf ("%s, %s", head,
                                                  cm_indicators_get_slot_name (ind, s));
          add_ind_table (rep, tb, cm_indicators_get_slot_name (ind, s), sheet, cap, 60, FALSE);
        }
    }

  /* ---- tidy (workbook only) ---- */
  if (info->with_tidy)
    for (guint s = 0; s < n_slots; s++)
      {
        g_autoptr (CmIndTable) tt = cm_indicators_table (
            ind, s, CM_IND_DIM_GROUP | CM_IND_DIM_HOSPITAL | CM_IND_DIM_MONTH);
        g_autofree char *sheet = sheet_name ("Tidy ", cm_indicators_get_slot_name (ind, s), s);
        add_ind_table (rep, tt, cm_indicators_get_slot_name (ind, s), sheet, NULL, 0, TRUE);
      }
  return rep;
}
