/* cm-settle-report.c — settlement reports on top of src/report (workbook
 * and XHTML page) and CSV.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include "cm-settle-report.h"
#include "cm-ledger-private.h"
#include "cm-timeline.h"
#include "cm-pipeline.h"

/* A row of formatted cells. */
typedef struct {
  GPtrArray *cells;
} Row;

static void
row_init (Row *r)
{
  r->cells = g_ptr_array_new_with_free_func (g_free);
}

static void
row_clear (Row *r)
{
  g_clear_pointer (&r->cells, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Row, row_clear)

static void
row_str (Row *r, const char *s)
{
  g_ptr_array_add (r->cells, g_strdup (s ? s : ""));
}

static void
row_int (Row *r, gint64 v)
{
  g_ptr_array_add (r->cells, g_strdup_printf ("%" G_GINT64_FORMAT, v));
}

static void
row_fen (Row *r, CmFen v)
{
  char buf[CM_MONEY_BUF];
  cm_fen_format (v, buf);
  row_str (r, buf);
}

static void
row_e4 (Row *r, CmE4 v)
{
  char buf[CM_MONEY_BUF];
  cm_e4_format (v, buf);
  row_str (r, buf);
}

static void
row_add_to (Row *r, CmReportTable *t)
{
  g_ptr_array_add (r->cells, NULL);
  cm_report_table_add_row (t, (const char *const *) r->cells->pdata);
  g_ptr_array_set_size (r->cells, 0);
}

static void
kv (CmReportTable *t, const char *key, const char *value)
{
  const char *cells[] = { key, value };
  cm_report_table_add_row (t, cells);
}

static void
kv_fen (CmReportTable *t, const char *key, CmFen v)
{
  char buf[CM_MONEY_BUF];
  cm_fen_format (v, buf);
  kv (t, key, buf);
}

static void
kv_int (CmReportTable *t, const char *key, gint64 v)
{
  g_autofree char *s = g_strdup_printf ("%" G_GINT64_FORMAT, v);
  kv (t, key, s);
}

static const char *const pool_names[] = { "单一 single", "职工 employee", "居民 resident" };

static void
subtitle (CmReport *rep, gint64 run_id, int run_no)
{
  g_autofree char *now = cm_ledger_now ();
  g_autofree char *s = g_strdup_printf ("casemix %s · run %" G_GINT64_FORMAT " (no. %d) · "
                                        "generated %s · amounts in yuan (元)", CM_VERSION,
                                        run_id, run_no, now);
  cm_report_add_subtitle (rep, s);
}

static void
pv_meta (CmReport *rep, const char *key, gboolean from_budget, const CmE4 *pv)
{
  g_autoptr (GString) s = g_string_new (NULL);
  for (int p = 0; p < 3; p++)
    if (pv[p] > 0)
      {
        char buf[CM_MONEY_BUF];
        cm_e4_format (pv[p], buf);
        g_string_append_printf (s, "%s%s %s", s->len ? "; " : "", pool_names[p], buf);
      }
  if (s->len == 0)
    g_string_append (s, from_budget ? "—" : "as priced (policy.xml)");
  else if (from_budget)
    g_string_append (s, " (from the budget)");
  cm_report_add_meta (rep, key, s->str);
}

static const char *
method_name (int m)
{
  return cm_pay_method_name ((CmPayMethod) m);
}

static void
add_groups (CmReport *rep, GPtrArray *groups, guint page_limit)
{
  static const char *const h[] = { "病组 Group", "方式 Method", "例数 Cases", "权重/分值 Weight",
                                   "高倍率 High", "低倍率 Low", "总费用 Cost",
                                   "次均费用 Cost per case", "支付 Pay", "统筹 Fund" };
  CmReportTable *t = cm_report_add_table (rep, "病组 Groups", "Per group (as settled)",
                                          G_N_ELEMENTS (h), h, "ttnnnnnnnn");
  g_auto (Row) row = { NULL };

  row_init (&row);
  for (guint i = 0; i < groups->len; i++)
    {
      const CmGroupSummary *g = groups->pdata[i];
      gint64 per = 0;
      cm_wide_div_half_up (g->cost_fen, (CmWide) MAX (g->n_cases, 1), &per);
      row_str (&row, *g->group_code ? g->group_code : "(none)");
      row_str (&row, method_name (g->method));
      row_int (&row, (gint64) g->n_cases);
      row_e4 (&row, g->weight_e4);
      row_int (&row, (gint64) g->n_high);
      row_int (&row, (gint64) g->n_low);
      row_fen (&row, g->cost_fen);
      row_fen (&row, per);
      row_fen (&row, g->pay_fen);
      row_fen (&row, g->fund_fen);
      row_add_to (&row, t);
    }
  cm_report_table_set_page_limit (t, page_limit);
}

static void
add_cases (CmReport *rep, const char *sheet, const char *caption, GPtrArray *cases,
           guint page_limit)
{
  static const char *const h[] = { "病例 Case", "医院 Hospital", "月 Month", "病组 Group",
                                   "类别 Class", "标记 Flags", "住院日 LOS",
                                   "费用倍率 Ratio", "总费用 Cost", "标准 Standard",
                                   "支付 Pay", "统筹 Fund", "特例单议 Review",
                                   "核定支付 Approved" };
  CmReportTable *t = cm_report_add_table (rep, sheet, caption, G_N_ELEMENTS (h), h,
                                          "tttttttnnnnntn");
  g_autoptr (GString) flags = g_string_new (NULL);
  g_auto (Row) row = { NULL };

  row_init (&row);
  for (guint i = 0; i < cases->len; i++)
    {
      const CmSpecialCase *c = cases->pdata[i];
      g_string_truncate (flags, 0);
      cm_special_flags_format (c->flags, flags);
      row_str (&row, c->episode_id);
      row_str (&row, c->hospital_id);
      row_str (&row, c->period);
      row_str (&row, c->group_code);
      row_str (&row, cm_case_class_name (c->case_class));
      row_str (&row, flags->str);
      row_int (&row, c->los_days);
      row_e4 (&row, c->ratio_e4);
      row_fen (&row, c->cost_fen);
      row_fen (&row, c->standard_fen);
      row_fen (&row, c->pay_fen);
      row_fen (&row, c->fund_fen);
      row_str (&row, cm_special_state_name (c->state));
      if (c->state == CM_SPECIAL_APPROVED)
        row_fen (&row, c->approved_pay_fen);
      else
        row_str (&row, "");
      row_add_to (&row, t);
    }
  cm_report_table_set_page_limit (t, page_limit);
}

CmReport *
cm_settle_report_month (CmLedger *ledger, const CmMonthResult *m, const char *region_name,
                        GError **error)
{
  static const char *const sh[] = { "项目 Item", "数值 Value" };
  static const char *const h[] = { "医院 Hospital", "级别 Level", "县区 County",
                                   "例数 Cases", "DRG", "DIP", "床日 Per diem", "项目 FFS",
                                   "权重/分值 Weight", "点数 Points", "CMI",
                                   "总费用 Cost", "支付 Pay", "统筹 Case fund",
                                   "特例 Special", "应付 Payable", "扣款 Deductions",
                                   "拨付 Advance paid", "质量保证金 Withheld",
                                   "前次拨付 Previously paid", "差额 Difference" };
  g_autoptr (CmReport) rep = NULL;
  g_autoptr (GPtrArray) groups = NULL;
  g_autoptr (GPtrArray) devs = NULL;
  g_autofree char *title = NULL;
  CmReportTable *t;
  CmReportChart *ch;
  g_auto (Row) row = { NULL };
  char buf[CM_MONEY_BUF];

  g_return_val_if_fail (ledger != NULL && m != NULL, NULL);
  groups = cm_ledger_group_summary (ledger, m->region, m->period, m->period, error);
  if (groups == NULL)
    return NULL;
  devs = cm_ledger_deviation_cases (ledger, m->region, m->period, m->period, error);
  if (devs == NULL)
    return NULL;
  title = g_strdup_printf ("%s 月度结算 Monthly settlement %s",
                           region_name ? region_name : m->region, m->period);
  rep = cm_report_new (title);
  subtitle (rep, m->run_id, m->run_no);
  cm_report_add_meta (rep, "统筹区 Region", m->region);
  cm_report_add_meta (rep, "结算月 Period", m->period);
  cm_date_format (m->deadline, buf);
  cm_report_add_meta (rep, "结算期限 Settlement due (settlement.md §1)", buf);
  pv_meta (rep, "点值 Point value", m->pv_from_budget, m->pv_e4);
  if (m->superseded_run_id)
    {
      g_autofree char *s = g_strdup_printf ("re-settlement: supersedes run %" G_GINT64_FORMAT,
                                            m->superseded_run_id);
      cm_report_add_meta (rep, "更正 Correction", s);
    }

  cm_report_add_heading (rep, "汇总 Summary");
  t = cm_report_add_table (rep, "汇总 Summary", NULL, 2, sh, "tt");
  kv_int (t, "医院 Hospitals", m->hospitals->len);
  kv_int (t, "病例 Cases", (gint64) m->total.n_cases);
  {
    g_autofree char *v = g_strdup_printf ("%" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT
                                          " / %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT,
                                          m->total.n_drg, m->total.n_dip,
                                          m->total.n_per_diem, m->total.n_ffs);
    kv (t, "DRG / DIP / 床日 per diem / 项目 FFS and other", v);
  }
  kv_fen (t, "总费用 Total cost", m->total.cost_fen);
  kv_fen (t, "病例支付 Case payments", m->total.pay_fen);
  kv_fen (t, "统筹应付 Case fund (Σ fund_case)", m->total.case_fund_fen);
  kv_fen (t, "特例单议调整 Special cases", m->total.special_fen);
  kv_fen (t, "应付 Payable", m->total.payable_fen);
  kv_fen (t, "扣款 Deductions", m->total.deduct_fen);
  kv_fen (t, "拨付 Advance paid", m->total.advance_fen);
  kv_fen (t, "质量保证金 Quality reserve withheld", m->total.withheld_fen);
  for (int p = 0; p < 3; p++)
    if (m->target_fen[p] != 0)
      {
        g_autofree char *k1 = g_strdup_printf ("预算 Budget F_m (%s)", pool_names[p]);
        g_autofree char *k2 = g_strdup_printf ("目标 Target T_m (%s)", pool_names[p]);
        g_autofree char *k3 = g_strdup_printf ("点数支付 Point payments (%s)", pool_names[p]);
        g_autofree char *k4 = g_strdup_printf ("点值尾差 PV residual (%s)", pool_names[p]);
        kv_fen (t, k1, m->budget_fen[p]);
        kv_fen (t, k2, m->target_fen[p]);
        kv_fen (t, k3, m->pool_pay_fen[p]);
        kv_fen (t, k4, m->residual_fen[p]);
      }

  cm_report_add_heading (rep, "结算单 Hospital statements");
  t = cm_report_add_table (rep, "结算单 Statements", "Per hospital (settlement.md §2)",
                           G_N_ELEMENTS (h), h, "tttnnnnnnnnnnnnnnnnnn");
  row_init (&row);
  for (guint i = 0; i <= m->hospitals->len; i++)
    {
      const CmStatement *s = i < m->hospitals->len ? m->hospitals->pdata[i] : &m->total;
      row_str (&row, i < m->hospitals->len ? s->hospital_id : "合计 Total");
      if (i < m->hospitals->len)
        row_int (&row, s->level);
      else
        row_str (&row, "");
      row_str (&row, s->county_id);
      row_int (&row, (gint64) s->n_cases);
      row_int (&row, (gint64) s->n_drg);
      row_int (&row, (gint64) s->n_dip);
      row_int (&row, (gint64) s->n_per_diem);
      row_int (&row, (gint64) s->n_ffs);
      row_e4 (&row, s->weight_e4);
      row_e4 (&row, s->points_e4);
      row_e4 (&row, s->cmi_e4);
      row_fen (&row, s->cost_fen);
      row_fen (&row, s->pay_fen);
      row_fen (&row, s->case_fund_fen);
      row_fen (&row, s->special_fen);
      row_fen (&row, s->payable_fen);
      row_fen (&row, s->deduct_fen);
      row_fen (&row, s->advance_fen);
      row_fen (&row, s->withheld_fen);
      row_fen (&row, s->previous_advance_fen);
      row_fen (&row, s->advance_fen - s->previous_advance_fen);
      row_add_to (&row, t);
    }
  ch = cm_report_add_bar_chart (rep, "CMI by hospital 医院CMI", 4, NULL);
  for (guint i = 0; i < m->hospitals->len; i++)
    {
      const CmStatement *s = m->hospitals->pdata[i];
      if (s->n_weighted > 0)
        cm_report_chart_add_bar (ch, s->hospital_id, s->cmi_e4);
    }
  cm_report_chart_set_target (ch, "1.0000", CM_E4_ONE);
  cm_report_chart_set_note (ch, "indicators.md §1 (DRG: Σ RW ÷ cases) and §3 (DIP: mean "
                            "score ÷ the region's mean score)");

  cm_report_add_heading (rep, "病组 Groups");
  add_groups (rep, groups, 40);
  cm_report_add_heading (rep, "偏差病例 Deviation cases");
  add_cases (rep, "偏差病例 Deviation cases", "High, low and extreme cases", devs, 60);
  return g_steal_pointer (&rep);
}

static void
add_alliances (CmReport *rep, const CmAllianceYear *a)
{
  static const char *const h[] = { "医共体 Alliance", "名称 Name", "县 County",
                                   "成员 Members", "参保人数 Insured", "预算 Budget B",
                                   "县内 In-county", "特例剔除 Carved out",
                                   "县外 Out-of-county", "门诊 Outpatient", "其他 Other",
                                   "实际 Actual A", "结余 Surplus", "考核分 Score",
                                   "系数 q", "留用 Retained", "返还 Returned",
                                   "超支 Overspend", "基金分担 Fund share",
                                   "医共体承担 Alliance share", "基金支出 Fund total" };
  CmReportTable *t;
  CmReportChart *ch;
  g_auto (Row) row = { NULL };

  t = cm_report_add_table (rep, "医共体 Alliances",
                           a->method == CM_ALLIANCE_BUDGET_FUND
                           ? "Fund-based budgets (medical-alliance.md §2 a), §4–§6"
                           : "Growth-based budgets (medical-alliance.md §2 b), §4–§6",
                           G_N_ELEMENTS (h), h, "ttttnnnnnnnnnnnnnnnnn");
  row_init (&row);
  for (guint i = 0; i < a->alliances->len; i++)
    {
      const CmAllianceResult *r = a->alliances->pdata[i];
      row_str (&row, r->alliance_id);
      row_str (&row, r->name);
      row_str (&row, r->county_id);
      row_str (&row, r->members);
      row_int (&row, r->insured);
      row_fen (&row, r->outcome.budget_fen);
      row_fen (&row, r->in_county_fen);
      row_fen (&row, r->carved_out_fen);
      row_fen (&row, r->out_of_county_fen);
      row_fen (&row, r->outpatient_fen);
      row_fen (&row, r->other_fen);
      row_fen (&row, r->outcome.actual_fen);
      row_fen (&row, r->outcome.surplus_fen);
      row_e4 (&row, r->score_e4);
      row_e4 (&row, r->outcome.factor_e4);
      row_fen (&row, r->outcome.retained_fen);
      row_fen (&row, r->outcome.returned_fen);
      row_fen (&row, r->outcome.overspend_fen);
      row_fen (&row, r->outcome.fund_bears_fen);
      row_fen (&row, r->outcome.alliance_bears_fen);
      row_fen (&row, r->outcome.fund_total_fen);
      row_add_to (&row, t);
    }
  ch = cm_report_add_bar_chart (rep, "实际 ÷ 预算 Actual ÷ budget by alliance (%)", 2, "%");
  for (guint i = 0; i < a->alliances->len; i++)
    {
      const CmAllianceResult *r = a->alliances->pdata[i];
      gint64 pct = 0;
      if (r->outcome.budget_fen > 0)
        cm_wide_div_half_up ((CmWide) r->outcome.actual_fen * 10000,
                             r->outcome.budget_fen, &pct);
      cm_report_chart_add_bar (ch, r->alliance_id, pct);
    }
  cm_report_chart_set_target (ch, "100 %", 10000);
  cm_report_chart_set_note (ch, a->final_amounts
                            ? "in-county charges from the annual clearing"
                            : "in-county charges from the monthly runs");
}

CmReport *
cm_settle_report_alliances (const CmAllianceYear *a, const char *region_name)
{
  g_autoptr (CmReport) rep = NULL;
  g_autofree char *title = NULL;
  g_autofree char *y = NULL;

  g_return_val_if_fail (a != NULL, NULL);
  title = g_strdup_printf ("%s 县域医共体 County alliances %d",
                           region_name ? region_name : a->region, a->year);
  rep = cm_report_new (title);
  subtitle (rep, a->run_id, 1);
  cm_report_add_meta (rep, "统筹区 Region", a->region);
  y = g_strdup_printf ("%d", a->year);
  cm_report_add_meta (rep, "年度 Year", y);
  cm_report_add_heading (rep, "医共体 Alliances");
  add_alliances (rep, a);
  return g_steal_pointer (&rep);
}

CmReport *
cm_settle_report_year (CmLedger *ledger, const CmYearResult *y,
                       const CmAllianceYear *alliances, const char *region_name,
                       GError **error)
{
  static const char *const sh[] = { "项目 Item", "数值 Value" };
  static const char *const ch_[] = { "医院 Hospital", "级别 Level", "县区 County",
                                     "例数 Cases", "点数 Points", "CMI", "总费用 Cost",
                                     "月度应付 Monthly payable", "病例统筹 Case fund (final)",
                                     "尾差 Rounding", "轧差 Netting", "特例 Special",
                                     "清算应付 Final payable", "扣款 Deductions",
                                     "考核分 Score", "考核扣减 Assess",
                                     "激励 Incentive", "应结 Due", "已拨 Advances",
                                     "保证金 Withheld", "预付金 Prepayment",
                                     "清算 Clearing" };
  static const char *const mh[] = { "月 Month", "例数 Cases", "总费用 Cost",
                                    "次均费用 Cost per case", "应付 Payable",
                                    "拨付 Advance", "保证金 Withheld", "点值 PV",
                                    "CMI" };
  g_autoptr (CmReport) rep = NULL;
  g_autoptr (GPtrArray) groups = NULL;
  g_autoptr (GPtrArray) devs = NULL;
  g_autoptr (GPtrArray) specials = NULL;
  g_autoptr (GString) check = g_string_new (NULL);
  g_autoptr (CmSettleConfig) defaults = cm_settle_config_new_default (y->region);
  g_autofree char *title = NULL;
  g_autofree char *first = g_strdup_printf ("%04d-01", y->year);
  g_autofree char *last = g_strdup_printf ("%04d-12", y->year);
  g_autofree char *yperiod = g_strdup_printf ("%04d", y->year);
  const char *labels[12];
  char label_buf[12][8];
  gboolean any_pv = FALSE;
  guint n_failed = 0, n_points = 0;
  CmReportTable *t;
  CmReportChart *ch;
  CmReportTiles *tiles;
  g_auto (Row) row = { NULL };
  char buf[CM_MONEY_BUF];

  g_return_val_if_fail (ledger != NULL && y != NULL, NULL);
  groups = cm_ledger_group_summary (ledger, y->region, first, last, error);
  if (groups == NULL)
    return NULL;
  devs = cm_ledger_deviation_cases (ledger, y->region, first, last, error);
  if (devs == NULL)
    return NULL;
  specials = cm_ledger_special_list (ledger, defaults, y->region, yperiod, FALSE, NULL,
                                     error);
  if (specials == NULL)
    return NULL;
  if (!cm_ledger_check_conservation (ledger, y->region, y->year, check, NULL, &n_failed,
                                     error))
    return NULL;

  title = g_strdup_printf ("%s 年度清算 Annual clearing %d",
                           region_name ? region_name : y->region, y->year);
  rep = cm_report_new (title);
  subtitle (rep, y->run_id, y->run_no);
  cm_report_add_meta (rep, "统筹区 Region", y->region);
  cm_report_add_meta (rep, "年度 Year", yperiod);
  cm_date_format (y->deadline, buf);
  cm_report_add_meta (rep, "清算期限 Clearing due (settlement.md §1)", buf);
  pv_meta (rep, "结算点值 Final point value", y->pv_from_budget, y->pv_e4);

  tiles = cm_report_add_tiles (rep, "要点 Key figures");
  {
    g_autofree char *detail = g_strdup_printf ("%s", check->str);
    char *nl = strrchr (detail, '\n');
    g_autofree char *v = NULL;
    if (nl)
      *nl = '\0';
    nl = strrchr (detail, '\n');
    v = g_strdup (nl ? nl + 1 : detail);
    cm_report_tiles_add (tiles, "资金守恒 Money conserved",
                         n_failed == 0 ? "to the fen" : "NO", "0 identities failing", v,
                         n_failed == 0 ? CM_REPORT_STATUS_MET : CM_REPORT_STATUS_MISSED);
  }
  cm_fen_format (y->total.final_payable_fen, buf);
  cm_report_tiles_add (tiles, "清算应付 Final payable", buf, NULL, "Σ hospitals",
                       CM_REPORT_STATUS_NA);
  cm_fen_format (y->total.clearing_fen, buf);
  cm_report_tiles_add (tiles, "清算 Clearing (net)", buf, NULL,
                       "> 0 paid to hospitals, < 0 recovered", CM_REPORT_STATUS_NA);
  {
    g_autofree char *v = g_strdup_printf ("%d", y->n_months);
    cm_report_tiles_add (tiles, "已结算月份 Months settled", v, "12", NULL,
                         y->n_months == 12 ? CM_REPORT_STATUS_MET : CM_REPORT_STATUS_MISSED);
  }

  cm_report_add_heading (rep, "汇总 Summary");
  t = cm_report_add_table (rep, "汇总 Summary", NULL, 2, sh, "tt");
  kv_int (t, "医院 Hospitals", y->hospitals->len);
  kv_int (t, "病例 Cases", (gint64) y->total.n_cases);
  kv_fen (t, "总费用 Total cost", y->total.cost_fen);
  kv_fen (t, "月度应付 Σ monthly payable", y->total.monthly_payable_fen);
  kv_fen (t, "病例统筹 Σ final case fund", y->total.case_fund_fen);
  kv_fen (t, "尾差 Rounding lines", y->total.rounding_fen);
  kv_fen (t, "轧差 Netting lines", y->total.netting_fen);
  kv_fen (t, "特例单议 Special cases", y->total.special_fen);
  kv_fen (t, "清算应付 Final payable", y->total.final_payable_fen);
  kv_fen (t, "扣款 Deductions", y->total.deductions_fen);
  kv_fen (t, "考核扣减 Assessment forfeits", y->total.assess_fen);
  kv_fen (t, "激励 Incentive", y->total.incentive_fen);
  kv_fen (t, "应结 Due", y->total.due_fen);
  kv_fen (t, "已拨 Σ advances", y->total.advances_fen);
  kv_fen (t, "预付金 Prepayments", y->total.prepayment_fen);
  kv_fen (t, "清算 Clearing", y->total.clearing_fen);
  for (int p = 0; p < 3; p++)
    if (y->target_fen[p] != 0)
      {
        g_autofree char *k1 = g_strdup_printf ("预算 Budget F (%s)", pool_names[p]);
        g_autofree char *k2 = g_strdup_printf ("目标 Target T (%s)", pool_names[p]);
        g_autofree char *k3 = g_strdup_printf ("点数支付 Hospital point payments (%s)",
                                               pool_names[p]);
        g_autofree char *k4 = g_strdup_printf ("点值尾差 PV residual (%s)", pool_names[p]);
        kv_fen (t, k1, y->budget_fen[p]);
        kv_fen (t, k2, y->target_fen[p]);
        kv_fen (t, k3, y->pool_pay_fen[p]);
        kv_fen (t, k4, y->residual_fen[p]);
      }

  /* charts */
  for (int m = 0; m < 12; m++)
    {
      g_snprintf (label_buf[m], sizeof label_buf[m], "%02d", m + 1);
      labels[m] = label_buf[m];
      for (int p = 0; p < 3; p++)
        if (y->month_pv_e4[m][p] > 0)
          any_pv = TRUE;
      if (y->month_settled[m])
        n_points = (guint) m + 1;
    }
  if (n_points > 0)
    {
      gint64 cost[12], payable[12];
      gboolean present[12];

      for (guint m = 0; m < n_points; m++)
        {
          present[m] = y->month_settled[m] && y->month_cases[m] > 0;
          cost[m] = payable[m] = 0;
          if (present[m])
            {
              cm_wide_div_half_up (y->month_cost_fen[m], y->month_cases[m], &cost[m]);
              cm_wide_div_half_up (y->month_payable_fen[m], y->month_cases[m], &payable[m]);
            }
        }
      ch = cm_report_add_line_chart (rep, "次均费用 Cost per case by month", n_points,
                                     labels, 2, "yuan");
      cm_report_chart_add_series (ch, "次均费用 cost per case", cost, present);
      cm_report_chart_add_series (ch, "次均统筹应付 payable per case", payable, present);
    }
  ch = cm_report_add_bar_chart (rep, "CMI by hospital 医院CMI (year)", 4, NULL);
  for (guint i = 0; i < y->hospitals->len; i++)
    {
      const CmClearingStatement *s = y->hospitals->pdata[i];
      if (s->cmi_e4 > 0)
        cm_report_chart_add_bar (ch, s->hospital_id, s->cmi_e4);
    }
  cm_report_chart_set_target (ch, "1.0000", CM_E4_ONE);
  if (n_points > 0 && any_pv)
    {
      ch = cm_report_add_line_chart (rep, "点值 Point value by month", n_points, labels, 4,
                                     "yuan/point");
      for (int p = 0; p < 3; p++)
        {
          gint64 v[12];
          gboolean present[12], any = FALSE;
          for (guint m = 0; m < n_points; m++)
            {
              v[m] = y->month_pv_e4[m][p];
              present[m] = v[m] > 0;
              any |= present[m];
            }
          if (any)
            cm_report_chart_add_series (ch, pool_names[p], v, present);
        }
      for (int p = 0; p < 3; p++)
        if (y->pv_e4[p] > 0)
          {
            g_autofree char *l = g_strdup_printf ("final %s", pool_names[p]);
            cm_report_chart_set_target (ch, l, y->pv_e4[p]);
            break;
          }
      cm_report_chart_set_note (ch, y->pv_from_budget
                                ? "monthly PV = round4 (F_m / p / P_m); final PV = round4 "
                                  "(F / p / P_year) (dip.md §5)"
                                : "point values as priced");
    }
  else if (n_points > 0)
    {
      gint64 v[12];
      gboolean present[12];
      for (guint m = 0; m < n_points; m++)
        {
          present[m] = y->month_weighted[m] > 0;
          v[m] = 0;
          if (present[m])
            cm_wide_div_half_up (y->month_weight_e4[m], y->month_weighted[m], &v[m]);
        }
      ch = cm_report_add_line_chart (rep, "CMI by month 月度CMI", n_points, labels, 4, NULL);
      cm_report_chart_add_series (ch, "CMI", v, present);
      cm_report_chart_set_note (ch, "rate-method DRG: no point value; Σ RW ÷ weighted cases");
    }

  cm_report_add_heading (rep, "清算 Clearing per hospital");
  t = cm_report_add_table (rep, "清算 Clearing", "settlement.md §3, §4, §8",
                           G_N_ELEMENTS (ch_), ch_, "tttnnnnnnnnnnnnnnnnnnn");
  row_init (&row);
  for (guint i = 0; i <= y->hospitals->len; i++)
    {
      const CmClearingStatement *s = i < y->hospitals->len ? y->hospitals->pdata[i]
                                                           : &y->total;
      row_str (&row, i < y->hospitals->len ? s->hospital_id : "合计 Total");
      if (i < y->hospitals->len)
        row_int (&row, s->level);
      else
        row_str (&row, "");
      row_str (&row, s->county_id);
      row_int (&row, (gint64) s->n_cases);
      row_e4 (&row, s->points_e4);
      row_e4 (&row, s->cmi_e4);
      row_fen (&row, s->cost_fen);
      row_fen (&row, s->monthly_payable_fen);
      row_fen (&row, s->case_fund_fen);
      row_fen (&row, s->rounding_fen);
      row_fen (&row, s->netting_fen);
      row_fen (&row, s->special_fen);
      row_fen (&row, s->final_payable_fen);
      row_fen (&row, s->deductions_fen);
      if (i < y->hospitals->len)
        row_e4 (&row, s->score_e4);
      else
        row_str (&row, "");
      row_fen (&row, s->assess_fen);
      row_fen (&row, s->incentive_fen);
      row_fen (&row, s->due_fen);
      row_fen (&row, s->advances_fen);
      row_fen (&row, s->withheld_fen);
      row_fen (&row, s->prepayment_fen);
      row_fen (&row, s->clearing_fen);
      row_add_to (&row, t);
    }

  cm_report_add_heading (rep, "月度 Months");
  t = cm_report_add_table (rep, "月度 Months", "The current run of each month",
                           G_N_ELEMENTS (mh), mh, "tnnnnnntn");
  for (int m = 0; m < 12; m++)
    {
      g_autoptr (GString) pv = g_string_new (NULL);
      gint64 per = 0, cmi = 0;
      if (!y->month_settled[m])
        continue;
      for (int p = 0; p < 3; p++)
        if (y->month_pv_e4[m][p] > 0)
          {
            cm_e4_format (y->month_pv_e4[m][p], buf);
            g_string_append_printf (pv, "%s%s", pv->len ? " / " : "", buf);
          }
      if (y->month_cases[m] > 0)
        cm_wide_div_half_up (y->month_cost_fen[m], y->month_cases[m], &per);
      if (y->month_weighted[m] > 0)
        cm_wide_div_half_up (y->month_weight_e4[m], y->month_weighted[m], &cmi);
      g_snprintf (buf, sizeof buf, "%04d-%02d", y->year, m + 1);
      row_str (&row, buf);
      row_int (&row, (gint64) y->month_cases[m]);
      row_fen (&row, y->month_cost_fen[m]);
      row_fen (&row, per);
      row_fen (&row, y->month_payable_fen[m]);
      row_fen (&row, y->month_advance_fen[m]);
      row_fen (&row, y->month_withheld_fen[m]);
      row_str (&row, pv->str);
      row_e4 (&row, cmi);
      row_add_to (&row, t);
    }

  if (alliances != NULL)
    {
      cm_report_add_heading (rep, "县域医共体 County alliances");
      add_alliances (rep, alliances);
    }
  cm_report_add_heading (rep, "特例单议 Special cases");
  add_cases (rep, "特例单议 Special cases", "Cases submitted for review (settlement.md §5)",
             specials, 60);
  cm_report_add_heading (rep, "病组 Groups");
  add_groups (rep, groups, 40);
  cm_report_add_heading (rep, "偏差病例 Deviation cases");
  add_cases (rep, "偏差病例 Deviation cases", "High, low and extreme cases of the year",
             devs, 40);
  cm_report_add_heading (rep, "资金守恒 Conservation checks");
  {
    static const char *const h[] = { "检查 Check" };
    g_auto (GStrv) lines = g_strsplit (check->str, "\n", -1);
    t = cm_report_add_table (rep, "守恒 Checks", "Every money identity of the year, to the fen",
                             1, h, "t");
    for (guint i = 0; lines[i]; i++)
      if (*lines[i])
        {
          const char *cells[] = { lines[i] };
          cm_report_table_add_row (t, cells);
        }
    cm_report_table_set_page_limit (t, 30);
  }
  return g_steal_pointer (&rep);
}

gboolean
cm_settle_report_write (const CmReport *report, const char *xlsx_path,
                        const char *html_path, GError **error)
{
  g_return_val_if_fail (report != NULL, FALSE);
  if (xlsx_path != NULL && !cm_report_write_xlsx (report, xlsx_path, error))
    return FALSE;
  if (html_path != NULL && !cm_report_write_html (report, html_path, error))
    return FALSE;
  return TRUE;
}

/* ---- CSV ---------------------------------------------------------------- */

static void
csv_fen (GString *out, CmFen v)
{
  g_string_append_c (out, ',');
  cm_fen_append (out, v);
}

static void
csv_e4 (GString *out, CmE4 v)
{
  g_string_append_c (out, ',');
  cm_e4_append (out, v);
}

void
cm_settle_month_csv (const CmMonthResult *m, GString *out)
{
  g_return_if_fail (m != NULL && out != NULL);
  g_string_append (out, "region,period,run,hospital_id,level,county_id,cases,drg,dip,"
                   "per_diem,ffs,high,low,extreme,weight,points,cmi,cost,pay,patient,"
                   "case_fund,special,payable,deductions,advance,withheld,"
                   "previous_advance,difference\n");
  for (guint i = 0; i < m->hospitals->len; i++)
    {
      const CmStatement *s = m->hospitals->pdata[i];
      g_string_append_printf (out, "%s,%s,%" G_GINT64_FORMAT ",", m->region, m->period,
                              m->run_id);
      cm_csv_append_field (out, s->hospital_id);
      g_string_append_printf (out, ",%d,", s->level);
      cm_csv_append_field (out, s->county_id);
      g_string_append_printf (out, ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%"
                              G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
                              ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%"
                              G_GUINT64_FORMAT, s->n_cases, s->n_drg, s->n_dip,
                              s->n_per_diem, s->n_ffs, s->n_high, s->n_low, s->n_extreme);
      csv_e4 (out, s->weight_e4);
      csv_e4 (out, s->points_e4);
      csv_e4 (out, s->cmi_e4);
      csv_fen (out, s->cost_fen);
      csv_fen (out, s->pay_fen);
      csv_fen (out, s->patient_fen);
      csv_fen (out, s->case_fund_fen);
      csv_fen (out, s->special_fen);
      csv_fen (out, s->payable_fen);
      csv_fen (out, s->deduct_fen);
      csv_fen (out, s->advance_fen);
      csv_fen (out, s->withheld_fen);
      csv_fen (out, s->previous_advance_fen);
      csv_fen (out, s->advance_fen - s->previous_advance_fen);
      g_string_append_c (out, '\n');
    }
}

void
cm_settle_year_csv (const CmYearResult *y, GString *out)
{
  g_return_if_fail (y != NULL && out != NULL);
  g_string_append (out, "region,year,run,hospital_id,level,county_id,cases,points,cmi,"
                   "cost,pay,ffs,monthly_payable,case_fund,rounding,netting,special,"
                   "final_payable,deductions,score,assess,incentive,due,advances,"
                   "withheld,prepayment,clearing\n");
  for (guint i = 0; i < y->hospitals->len; i++)
    {
      const CmClearingStatement *s = y->hospitals->pdata[i];
      g_string_append_printf (out, "%s,%d,%" G_GINT64_FORMAT ",", y->region, y->year,
                              y->run_id);
      cm_csv_append_field (out, s->hospital_id);
      g_string_append_printf (out, ",%d,", s->level);
      cm_csv_append_field (out, s->county_id);
      g_string_append_printf (out, ",%" G_GUINT64_FORMAT, s->n_cases);
      csv_e4 (out, s->points_e4);
      csv_e4 (out, s->cmi_e4);
      csv_fen (out, s->cost_fen);
      csv_fen (out, s->pay_fen);
      csv_fen (out, s->ffs_fen);
      csv_fen (out, s->monthly_payable_fen);
      csv_fen (out, s->case_fund_fen);
      csv_fen (out, s->rounding_fen);
      csv_fen (out, s->netting_fen);
      csv_fen (out, s->special_fen);
      csv_fen (out, s->final_payable_fen);
      csv_fen (out, s->deductions_fen);
      csv_e4 (out, s->score_e4);
      csv_fen (out, s->assess_fen);
      csv_fen (out, s->incentive_fen);
      csv_fen (out, s->due_fen);
      csv_fen (out, s->advances_fen);
      csv_fen (out, s->withheld_fen);
      csv_fen (out, s->prepayment_fen);
      csv_fen (out, s->clearing_fen);
      g_string_append_c (out, '\n');
    }
}

void
cm_settle_alliances_csv (const CmAllianceYear *a, GString *out)
{
  g_return_if_fail (a != NULL && out != NULL);
  g_string_append (out, "region,year,alliance_id,name,county_id,members,insured,budget,"
                   "in_county,carved_out,out_of_county,outpatient,other,actual,surplus,"
                   "score,factor,retained,returned,overspend,unreasonable,fund_bears,"
                   "alliance_bears,fund_total\n");
  for (guint i = 0; i < a->alliances->len; i++)
    {
      const CmAllianceResult *r = a->alliances->pdata[i];
      g_string_append_printf (out, "%s,%d,", a->region, a->year);
      cm_csv_append_field (out, r->alliance_id);
      g_string_append_c (out, ',');
      cm_csv_append_field (out, r->name);
      g_string_append_c (out, ',');
      cm_csv_append_field (out, r->county_id);
      g_string_append_c (out, ',');
      cm_csv_append_field (out, r->members);
      g_string_append_printf (out, ",%" G_GINT64_FORMAT, r->insured);
      csv_fen (out, r->outcome.budget_fen);
      csv_fen (out, r->in_county_fen);
      csv_fen (out, r->carved_out_fen);
      csv_fen (out, r->out_of_county_fen);
      csv_fen (out, r->outpatient_fen);
      csv_fen (out, r->other_fen);
      csv_fen (out, r->outcome.actual_fen);
      csv_fen (out, r->outcome.surplus_fen);
      csv_e4 (out, r->score_e4);
      csv_e4 (out, r->outcome.factor_e4);
      csv_fen (out, r->outcome.retained_fen);
      csv_fen (out, r->outcome.returned_fen);
      csv_fen (out, r->outcome.overspend_fen);
      csv_fen (out, r->outcome.unreasonable_fen);
      csv_fen (out, r->outcome.fund_bears_fen);
      csv_fen (out, r->outcome.alliance_bears_fen);
      csv_fen (out, r->outcome.fund_total_fen);
      g_string_append_c (out, '\n');
    }
}
