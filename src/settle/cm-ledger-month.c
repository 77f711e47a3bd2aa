/* cm-ledger-month.c — monthly settlement runs and the special-case review.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A monthly run (settlement.md §2) reads the month's active case versions,
 * pays DRG rate, per-diem and FFS cases the fund share priced at import,
 * and point-method cases (DIP, point DRG) points × the month's point value:
 *
 *   budget configured   F_m = the month's share of F (cm_settle_month_share)
 *                       DIP:        PV_m = round4 (F_m / p / P_m), T_m = F_m / p
 *                       DRG points: PV_m = round4 ((F_m + B_m) / P_m), T_m = F_m + B_m
 *                       per pool (single, or employee / resident: dip.md PV-3)
 *   no budget           the provisional point value priced at import
 *
 * pay_case = round2 (points × PV_m) (the case points carry the
 * coefficient, dip.md §9), fund_case by the method's fund-share rule.
 * Approved special cases of the year not yet applied in a current run add
 * approved fund − the fund already posted for the case. Then per hospital
 * deductions and the quality reserve (cm_settle_monthly_advance). Every
 * case amount is posted (table posting) so that the clearing can post
 * its difference per case. */
#include "config.h"

#include <string.h>
#include "cm-ledger-private.h"
#include "cm-timeline.h"

typedef struct {
  char *episode_id;
  gint64 version;
  char *hospital_id;
  char *county_id;
  int level, insurance, method, cls;
  CmE4 weight_e4, points_e4, pv_e4;
  CmFen cost_fen, patient_fen, other_fen, fund_ffs_fen, pay_fen, fund_fen;
  char *period;
} MonthCase;

static void
month_case_free (gpointer p)
{
  MonthCase *c = p;
  g_free (c->episode_id);
  g_free (c->hospital_id);
  g_free (c->county_id);
  g_free (c->period);
  g_free (c);
}

static void
statement_free (gpointer p)
{
  CmStatement *s = p;
  g_free (s->hospital_id);
  g_free (s->county_id);
  g_free (s);
}

void
cm_month_result_free (CmMonthResult *r)
{
  if (r == NULL)
    return;
  g_clear_pointer (&r->hospitals, g_ptr_array_unref);
  g_free (r->total.hospital_id);
  g_free (r->total.county_id);
  g_free (r);
}

static CmStatement *
statement_for (GHashTable *by_id, GPtrArray *list, const char *id, int level,
               const char *county)
{
  CmStatement *s = g_hash_table_lookup (by_id, id);

  if (s == NULL)
    {
      s = g_new0 (CmStatement, 1);
      s->hospital_id = g_strdup (id);
      s->level = level;
      s->county_id = g_strdup (county ? county : "");
      g_ptr_array_add (list, s);
      g_hash_table_insert (by_id, s->hospital_id, s);
    }
  return s;
}

static gint
cmp_statement (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(CmStatement *const *) a)->hospital_id,
                 (*(CmStatement *const *) b)->hospital_id);
}

/* Loads the active cases of @period (sorted by hospital, episode). */
static GPtrArray *
load_cases (CmLedger *ledger, const char *region, const char *period, GError **error)
{
  g_autoptr (sqlite3_stmt) st = NULL;
  g_autoptr (GPtrArray) cases = g_ptr_array_new_with_free_func (month_case_free);
  int rc;

  st = cm_ledger_prepare (ledger, "SELECT episode_id, version, hospital_id, county_id, "
                          "level, insurance, method, class, weight_e4, points_e4, pv_e4, "
                          "cost_fen, patient_fen, other_fen, fund_ffs_fen, pay_fen, "
                          "fund_fen, period FROM kase WHERE region = ? AND period = ? "
                          "AND active = 1 ORDER BY hospital_id, episode_id", error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, period);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      MonthCase *c = g_new0 (MonthCase, 1);
      c->episode_id = g_strdup (cm_col_text (st, 0));
      c->version = cm_col_int (st, 1);
      c->hospital_id = g_strdup (cm_col_text (st, 2));
      c->county_id = g_strdup (cm_col_text (st, 3));
      c->level = (int) cm_col_int (st, 4);
      c->insurance = (int) cm_col_int (st, 5);
      c->method = (int) cm_col_int (st, 6);
      c->cls = (int) cm_col_int (st, 7);
      c->weight_e4 = cm_col_int (st, 8);
      c->points_e4 = cm_col_int (st, 9);
      c->pv_e4 = cm_col_int (st, 10);
      c->cost_fen = cm_col_int (st, 11);
      c->patient_fen = cm_col_int (st, 12);
      c->other_fen = cm_col_int (st, 13);
      c->fund_ffs_fen = cm_col_int (st, 14);
      c->pay_fen = cm_col_int (st, 15);
      c->fund_fen = cm_col_int (st, 16);
      c->period = g_strdup (cm_col_text (st, 17));
      g_ptr_array_add (cases, c);
    }
  if (rc != SQLITE_DONE)
    {
      cm_ledger_fail (ledger, error, "read cases");
      return NULL;
    }
  return g_steal_pointer (&cases);
}

/* Month's point values from the budget (module comment). */
static gboolean
budget_point_values (const CmSettleYear *sy, int month, gboolean dip_family,
                     GPtrArray *cases, CmMonthResult *r, GError **error)
{
  CmFen burden[3] = { 0, 0, 0 };

  r->pv_from_budget = TRUE;
  for (guint i = 0; i < cases->len; i++)
    {
      const MonthCase *c = cases->pdata[i];
      int pool;
      if (!cm_ledger_is_point_case (c->method, c->cls, c->points_e4, c->pv_e4))
        continue;
      pool = cm_ledger_pool_of (sy->pools, c->insurance);
      r->points_e4[pool] += c->points_e4;
      burden[pool] += c->patient_fen + c->other_fen;
    }
  for (int p = 0; p < 3; p++)
    {
      gboolean used = sy->pools == CM_PV_POOLS_SINGLE ? p == 0 : p > 0;
      CmFen money;

      if (!used)
        continue;
      if (!cm_settle_month_share_fen (sy->budget_fen[p], month, &r->budget_fen[p]))
        goto overflow;
      if (dip_family)
        {
          /* dip.md §5: T = F / p, PV = round4 (T / P) */
          if (!cm_round_hospital_total_fen ((CmWide) r->budget_fen[p] * CM_E4_ONE,
                                            sy->fund_share_e4[p], &r->target_fen[p]))
            goto overflow;
          money = r->budget_fen[p];
          if (r->points_e4[p] > 0
              && !cm_price_point_value_e4 (money, sy->fund_share_e4[p], r->points_e4[p],
                                           &r->pv_e4[p]))
            goto overflow;
        }
      else
        {
          /* drg-payment.md §7: PV = round4 ((F + B_patient) / P) */
          r->target_fen[p] = r->budget_fen[p] + burden[p];
          if (r->points_e4[p] > 0
              && !cm_price_point_value_e4 (r->target_fen[p], CM_E4_ONE, r->points_e4[p],
                                           &r->pv_e4[p]))
            goto overflow;
        }
    }
  return TRUE;

overflow:
  g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_OVERFLOW,
               "the point value of %s does not fit", r->period);
  return FALSE;
}

typedef struct {
  char *episode_id;
  gint64 version;
  char *hospital_id;
  char *period;
  int method, level;
  CmSpecialPayRule rule;
  CmFen amount_fen, cost_fen, patient_fen, other_fen, fund_ffs_fen;
} Approved;

static void
approved_free (gpointer p)
{
  Approved *a = p;
  g_free (a->episode_id);
  g_free (a->hospital_id);
  g_free (a->period);
  g_free (a);
}

/* Approved special cases of the year up to @period not applied in a
 * current run. */
static GPtrArray *
load_unapplied (CmLedger *ledger, const char *region, int year, const char *period,
                GError **error)
{
  g_autoptr (sqlite3_stmt) st = NULL;
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (approved_free);
  g_autofree char *first = g_strdup_printf ("%04d-01", year);
  int rc;

  st = cm_ledger_prepare (ledger,
    "SELECT k.episode_id, k.version, k.hospital_id, k.period, k.method, k.level, "
    "s.rule, s.amount_fen, k.cost_fen, k.patient_fen, k.other_fen, k.fund_ffs_fen "
    "FROM special_case s JOIN kase k ON k.region = s.region AND "
    "k.episode_id = s.episode_id AND k.active = 1 "
    "WHERE s.region = ? AND s.state = ? AND k.period >= ? AND k.period <= ? "
    "AND NOT EXISTS (SELECT 1 FROM run r WHERE r.id = s.applied_run_id "
    "AND r.current = 1) ORDER BY k.episode_id", error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_int (st, 2, CM_SPECIAL_APPROVED);
  cm_bind_text (st, 3, first);
  cm_bind_text (st, 4, period);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      Approved *a = g_new0 (Approved, 1);
      a->episode_id = g_strdup (cm_col_text (st, 0));
      a->version = cm_col_int (st, 1);
      a->hospital_id = g_strdup (cm_col_text (st, 2));
      a->period = g_strdup (cm_col_text (st, 3));
      a->method = (int) cm_col_int (st, 4);
      a->level = (int) cm_col_int (st, 5);
      a->rule = (CmSpecialPayRule) cm_col_int (st, 6);
      a->amount_fen = cm_col_int (st, 7);
      a->cost_fen = cm_col_int (st, 8);
      a->patient_fen = cm_col_int (st, 9);
      a->other_fen = cm_col_int (st, 10);
      a->fund_ffs_fen = cm_col_int (st, 11);
      g_ptr_array_add (list, a);
    }
  if (rc != SQLITE_DONE)
    {
      cm_ledger_fail (ledger, error, "read special cases");
      return NULL;
    }
  return g_steal_pointer (&list);
}

/* Σ pay / fund already posted for a case in the current monthly runs. */
static gboolean
posted_amounts (CmLedger *ledger, const char *region, const char *episode_id,
                CmFen *pay, CmFen *fund, GError **error)
{
  g_autoptr (sqlite3_stmt) st = NULL;

  st = cm_ledger_prepare (ledger, "SELECT COALESCE (SUM (p.pay_fen), 0), "
                          "COALESCE (SUM (p.fund_fen), 0) FROM posting p JOIN run r ON "
                          "r.id = p.run_id WHERE r.region = ? AND r.kind = 'month' AND "
                          "r.current = 1 AND p.episode_id = ?", error);
  if (st == NULL)
    return FALSE;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, episode_id);
  if (sqlite3_step (st) != SQLITE_ROW)
    return cm_ledger_fail (ledger, error, "read postings");
  *pay = cm_col_int (st, 0);
  *fund = cm_col_int (st, 1);
  return TRUE;
}

static gboolean
insert_statement (CmLedger *ledger, sqlite3_stmt *st, gint64 run, const CmStatement *s,
                  GError **error)
{
  int i = 1;

  cm_bind_int (st, i++, run);
  cm_bind_text (st, i++, s->hospital_id);
  cm_bind_int (st, i++, s->level);
  cm_bind_text (st, i++, s->county_id);
  cm_bind_int (st, i++, (gint64) s->n_cases);
  cm_bind_int (st, i++, (gint64) s->n_drg);
  cm_bind_int (st, i++, (gint64) s->n_dip);
  cm_bind_int (st, i++, (gint64) s->n_per_diem);
  cm_bind_int (st, i++, (gint64) s->n_ffs);
  cm_bind_int (st, i++, (gint64) s->n_high);
  cm_bind_int (st, i++, (gint64) s->n_low);
  cm_bind_int (st, i++, (gint64) s->n_extreme);
  cm_bind_int (st, i++, (gint64) s->n_weighted);
  cm_bind_int (st, i++, s->weight_e4);
  cm_bind_int (st, i++, s->points_e4);
  cm_bind_int (st, i++, s->cmi_e4);
  cm_bind_int (st, i++, s->cost_fen);
  cm_bind_int (st, i++, s->pay_fen);
  cm_bind_int (st, i++, s->patient_fen);
  cm_bind_int (st, i++, s->case_fund_fen);
  cm_bind_int (st, i++, s->special_fen);
  cm_bind_int (st, i++, s->payable_fen);
  cm_bind_int (st, i++, s->deduct_fen);
  cm_bind_int (st, i++, s->advance_fen);
  cm_bind_int (st, i++, s->withheld_fen);
  cm_bind_int (st, i++, s->previous_advance_fen);
  return cm_ledger_step_done (ledger, st, error);
}

static void
add_to_total (CmStatement *t, const CmStatement *s)
{
  t->n_cases += s->n_cases;
  t->n_drg += s->n_drg;
  t->n_dip += s->n_dip;
  t->n_per_diem += s->n_per_diem;
  t->n_ffs += s->n_ffs;
  t->n_high += s->n_high;
  t->n_low += s->n_low;
  t->n_extreme += s->n_extreme;
  t->n_weighted += s->n_weighted;
  t->weight_e4 += s->weight_e4;
  t->points_e4 += s->points_e4;
  t->cost_fen += s->cost_fen;
  t->pay_fen += s->pay_fen;
  t->patient_fen += s->patient_fen;
  t->case_fund_fen += s->case_fund_fen;
  t->special_fen += s->special_fen;
  t->payable_fen += s->payable_fen;
  t->deduct_fen += s->deduct_fen;
  t->advance_fen += s->advance_fen;
  t->withheld_fen += s->withheld_fen;
  t->previous_advance_fen += s->previous_advance_fen;
}

gint64
cm_ledger_new_run (CmLedger *ledger, const char *region, const char *kind,
                   const char *period, const char *policy_sha, const char *settle_sha,
                   gint32 deadline, gboolean pv_from_budget, const CmE4 *pv,
                   const CmFen *budget, const CmFen *target, const CmE4 *points,
                   const CmFen *pool, const CmFen *residual, guint64 n_special,
                   int *run_no, gint64 *superseded, GError **error)
{
  g_autoptr (sqlite3_stmt) st = NULL;
  g_autofree char *now = cm_ledger_now ();
  gint64 prev, id, no = 1;
  int i = 1;

  prev = cm_ledger_current_run (ledger, region, kind, period, error);
  if (prev < 0)
    return -1;
  st = cm_ledger_prepare (ledger, "SELECT COALESCE (MAX (run_no), 0) FROM run WHERE "
                          "region = ? AND kind = ? AND period = ?", error);
  if (st == NULL)
    return -1;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, kind);
  cm_bind_text (st, 3, period);
  if (sqlite3_step (st) == SQLITE_ROW)
    no = cm_col_int (st, 0) + 1;
  g_clear_pointer (&st, sqlite3_finalize);

  st = cm_ledger_prepare (ledger, "INSERT INTO run (region, kind, period, run_no, current, "
                          "policy_sha256, settle_sha256, deadline, pv_from_budget, "
                          "pv0_e4, pv1_e4, pv2_e4, budget0_fen, budget1_fen, budget2_fen, "
                          "target0_fen, target1_fen, target2_fen, points0_e4, points1_e4, "
                          "points2_e4, pool0_fen, pool1_fen, pool2_fen, residual0_fen, "
                          "residual1_fen, residual2_fen, n_special, actor, created_at) "
                          "VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                          "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (st == NULL)
    return -1;
  cm_bind_text (st, i++, region);
  cm_bind_text (st, i++, kind);
  cm_bind_text (st, i++, period);
  cm_bind_int (st, i++, no);
  cm_bind_text (st, i++, policy_sha);
  cm_bind_text (st, i++, settle_sha);
  cm_bind_int (st, i++, deadline);
  cm_bind_int (st, i++, pv_from_budget);
  for (int k = 0; k < 3; k++)
    cm_bind_int (st, i++, pv ? pv[k] : 0);
  for (int k = 0; k < 3; k++)
    cm_bind_int (st, i++, budget ? budget[k] : 0);
  for (int k = 0; k < 3; k++)
    cm_bind_int (st, i++, target ? target[k] : 0);
  for (int k = 0; k < 3; k++)
    cm_bind_int (st, i++, points ? points[k] : 0);
  for (int k = 0; k < 3; k++)
    cm_bind_int (st, i++, pool ? pool[k] : 0);
  for (int k = 0; k < 3; k++)
    cm_bind_int (st, i++, residual ? residual[k] : 0);
  cm_bind_int (st, i++, (gint64) n_special);
  cm_bind_text (st, i++, ledger->actor);
  cm_bind_text (st, i++, now);
  if (!cm_ledger_step_done (ledger, st, error))
    return -1;
  id = sqlite3_last_insert_rowid (ledger->db);
  g_clear_pointer (&st, sqlite3_finalize);
  if (prev > 0)
    {
      st = cm_ledger_prepare (ledger, "UPDATE run SET current = 0, superseded_by = ? "
                              "WHERE id = ?", error);
      if (st == NULL)
        return -1;
      cm_bind_int (st, 1, id);
      cm_bind_int (st, 2, prev);
      if (!cm_ledger_step_done (ledger, st, error))
        return -1;
    }
  if (run_no)
    *run_no = (int) no;
  if (superseded)
    *superseded = prev;
  return id;
}

/* The settlement deadline of a month: the declaration day of the next
 * month plus the working days (settlement.md §1). */
static gint32
month_deadline (const CmSettleConfig *cfg, const CmSettleYear *sy, int year, int month)
{
  int ny = month == 12 ? year + 1 : year, nm = month == 12 ? 1 : month + 1;
  char buf[11];
  gint32 decl;

  g_snprintf (buf, sizeof buf, "%04d-%02d-%02d", ny, nm, sy->declaration_day);
  cm_date_parse (buf, &decl);
  return cm_calendar_add_working_days (cm_settle_config_get_calendar (cfg, year), decl,
                                       sy->deadline_working_days);
}

CmMonthResult *
cm_ledger_settle_month (CmLedger *ledger, CmPolicy *policy, const CmSettleConfig *config,
                        const char *period, GError **error)
{
  g_autoptr (CmMonthResult) r = NULL;
  g_autoptr (GPtrArray) cases = NULL;
  g_autoptr (GPtrArray) approved = NULL;
  g_autoptr (GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (sqlite3_stmt) post = NULL;
  g_autoptr (sqlite3_stmt) stmt_ins = NULL;
  g_autoptr (sqlite3_stmt) st = NULL;
  g_auto (CmLedgerTxn) txn = { NULL, FALSE };
  g_autofree char *detail = NULL;
  const char *region;
  const CmSettleYear *sy;
  const CmYearParams *yp;
  gboolean dip_family;
  CmE4 region_w = 0;
  guint64 region_n = 0;
  int year, month, rc;

  g_return_val_if_fail (ledger != NULL && policy != NULL && config != NULL, NULL);
  if (!cm_period_parse (period, &year, &month))
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_INPUT,
                   "period '%s' is not YYYY-MM", period ? period : "");
      return NULL;
    }
  region = cm_policy_get_region (policy);
  sy = cm_settle_config_get_year (config, year);
  yp = cm_policy_lookup_year (policy, year);
  dip_family = yp != NULL && yp->dip.present;

  r = g_new0 (CmMonthResult, 1);
  g_strlcpy (r->region, region, sizeof r->region);
  g_strlcpy (r->period, period, sizeof r->period);
  r->hospitals = g_ptr_array_new_with_free_func (statement_free);
  r->total.hospital_id = g_strdup ("TOTAL");
  r->total.county_id = g_strdup ("");
  r->deadline = month_deadline (config, sy, year, month);

  if (!cm_ledger_txn_begin (ledger, &txn, error))
    return NULL;
  cases = load_cases (ledger, region, period, error);
  if (cases == NULL)
    return NULL;
  if (cases->len == 0)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                   "%s: region %s has no imported case for %s (casemix settle import)",
                   ledger->path, region, period);
      return NULL;
    }
  if (sy->has_budget && !budget_point_values (sy, month, dip_family, cases, r, error))
    return NULL;

  /* per case: the month's amounts */
  for (guint i = 0; i < cases->len; i++)
    {
      MonthCase *c = cases->pdata[i];
      CmStatement *s = statement_for (by_id, r->hospitals, c->hospital_id, c->level,
                                      c->county_id);
      gboolean point = cm_ledger_is_point_case (c->method, c->cls, c->points_e4, c->pv_e4);

      if (point && r->pv_from_budget)
        {
          int pool = cm_ledger_pool_of (sy->pools, c->insurance);
          const CmFundShareRule *fr = cm_ledger_fund_rule (yp, c->method);
          if (!cm_price_points_pay_fen (c->points_e4, r->pv_e4[pool], CM_E4_ONE,
                                        &c->pay_fen)
              || fr == NULL
              || !cm_price_fund_share (fr, c->pay_fen, c->patient_fen, c->other_fen,
                                       c->fund_ffs_fen, c->cost_fen, &c->fund_fen))
            {
              g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_OVERFLOW,
                           "case %s: the amounts of %s do not fit", c->episode_id, period);
              return NULL;
            }
          r->pool_pay_fen[pool] += c->pay_fen;
        }
      s->n_cases++;
      switch (c->method)
        {
        case CM_PAY_METHOD_DRG: s->n_drg++; break;
        case CM_PAY_METHOD_DIP: s->n_dip++; break;
        case CM_PAY_METHOD_PER_DIEM: s->n_per_diem++; break;
        default: s->n_ffs++; break;
        }
      if (c->cls == CM_CASE_HIGH)
        s->n_high++;
      else if (c->cls == CM_CASE_LOW)
        s->n_low++;
      else if (c->cls == CM_CASE_EXTREME)
        s->n_extreme++;
      if (c->weight_e4 > 0 && (c->method == CM_PAY_METHOD_DRG
                               || c->method == CM_PAY_METHOD_DIP))
        {
          s->n_weighted++;
          s->weight_e4 += c->weight_e4;
          region_w += c->weight_e4;
          region_n++;
        }
      if (point)
        s->points_e4 += c->points_e4;
      s->cost_fen += c->cost_fen;
      s->pay_fen += c->pay_fen;
      s->patient_fen += c->patient_fen;
      s->case_fund_fen += c->fund_fen;
    }
  for (int p = 0; p < 3; p++)
    if (r->target_fen[p] != 0 || r->pool_pay_fen[p] != 0)
      r->residual_fen[p] = r->target_fen[p] - r->pool_pay_fen[p];

  /* the run, its case postings */
  {
    g_autofree char *psha = NULL;
    st = cm_ledger_prepare (ledger, "SELECT pv.sha256 FROM kase k JOIN policy_version pv "
                            "ON pv.id = k.policy_version WHERE k.region = ? AND "
                            "k.period = ? AND k.active = 1 ORDER BY k.batch_id DESC "
                            "LIMIT 1", error);
    if (st == NULL)
      return NULL;
    cm_bind_text (st, 1, region);
    cm_bind_text (st, 2, period);
    psha = g_strdup (sqlite3_step (st) == SQLITE_ROW ? cm_col_text (st, 0) : "");
    g_clear_pointer (&st, sqlite3_finalize);
    r->run_id = cm_ledger_new_run (ledger, region, RUN_MONTH, period, psha,
                                   cm_settle_config_get_sha256 (config), r->deadline,
                                   r->pv_from_budget, r->pv_e4, r->budget_fen,
                                   r->target_fen, r->points_e4, r->pool_pay_fen,
                                   r->residual_fen, 0, &r->run_no,
                                   &r->superseded_run_id, error);
    if (r->run_id < 0)
      return NULL;
  }
  post = cm_ledger_prepare (ledger, "INSERT INTO posting VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            error);
  if (post == NULL)
    return NULL;
  for (guint i = 0; i < cases->len; i++)
    {
      const MonthCase *c = cases->pdata[i];
      cm_bind_int (post, 1, r->run_id);
      cm_bind_text (post, 2, c->episode_id);
      cm_bind_text (post, 3, "case");
      cm_bind_int (post, 4, c->version);
      cm_bind_text (post, 5, c->hospital_id);
      cm_bind_int (post, 6, c->pay_fen);
      cm_bind_int (post, 7, c->fund_fen);
      cm_bind_int (post, 8, 0);
      if (!cm_ledger_step_done (ledger, post, error))
        return NULL;
    }

  /* approved special cases not yet applied (settlement.md §5) */
  approved = load_unapplied (ledger, region, year, period, error);
  if (approved == NULL)
    return NULL;
  for (guint i = 0; i < approved->len; i++)
    {
      const Approved *a = approved->pdata[i];
      g_autoptr (sqlite3_stmt) upd = NULL;
      CmFen pay, fund, posted_pay = 0, posted_fund = 0;
      CmStatement *s;
      gint64 month_run;

      /* the case's own month must be settled (this run, or a current one) */
      month_run = strcmp (a->period, period) == 0
                  ? r->run_id : cm_ledger_current_run (ledger, region, RUN_MONTH,
                                                       a->period, error);
      if (month_run < 0)
        return NULL;
      if (month_run == 0)
        continue;
      if (!posted_amounts (ledger, region, a->episode_id, &posted_pay, &posted_fund,
                           error))
        return NULL;
      if (!cm_ledger_special_payment (yp, a->method, a->rule, a->amount_fen, a->cost_fen,
                                      a->patient_fen, a->other_fen, a->fund_ffs_fen,
                                      &pay, &fund))
        {
          g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_OVERFLOW,
                       "case %s: the approved amount does not fit", a->episode_id);
          return NULL;
        }
      s = statement_for (by_id, r->hospitals, a->hospital_id, a->level, NULL);
      s->special_fen += fund - posted_fund;
      cm_bind_int (post, 1, r->run_id);
      cm_bind_text (post, 2, a->episode_id);
      cm_bind_text (post, 3, "special");
      cm_bind_int (post, 4, a->version);
      cm_bind_text (post, 5, a->hospital_id);
      cm_bind_int (post, 6, pay - posted_pay);
      cm_bind_int (post, 7, fund - posted_fund);
      cm_bind_int (post, 8, month_run);
      if (!cm_ledger_step_done (ledger, post, error))
        return NULL;
      upd = cm_ledger_prepare (ledger, "UPDATE special_case SET applied_run_id = ? WHERE "
                               "region = ? AND episode_id = ?", error);
      if (upd == NULL)
        return NULL;
      cm_bind_int (upd, 1, r->run_id);
      cm_bind_text (upd, 2, region);
      cm_bind_text (upd, 3, a->episode_id);
      if (!cm_ledger_step_done (ledger, upd, error))
        return NULL;
      r->n_special_applied++;
    }

  /* deductions */
  st = cm_ledger_prepare (ledger, "SELECT hospital_id, SUM (amount_fen) FROM deduction "
                          "WHERE region = ? AND period = ? GROUP BY hospital_id", error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, period);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    statement_for (by_id, r->hospitals, cm_col_text (st, 0), 0, NULL)->deduct_fen
      = cm_col_int (st, 1);
  if (rc != SQLITE_DONE)
    {
      cm_ledger_fail (ledger, error, "read deductions");
      return NULL;
    }
  g_clear_pointer (&st, sqlite3_finalize);

  /* previous advances of the superseded run */
  if (r->superseded_run_id > 0)
    {
      st = cm_ledger_prepare (ledger, "SELECT hospital_id, advance_fen FROM statement "
                              "WHERE run_id = ?", error);
      if (st == NULL)
        return NULL;
      cm_bind_int (st, 1, r->superseded_run_id);
      while ((rc = sqlite3_step (st)) == SQLITE_ROW)
        statement_for (by_id, r->hospitals, cm_col_text (st, 0), 0, NULL)
          ->previous_advance_fen = cm_col_int (st, 1);
      g_clear_pointer (&st, sqlite3_finalize);
    }

  /* per hospital: payable, advance, reserve, CMI */
  g_ptr_array_sort (r->hospitals, cmp_statement);
  stmt_ins = cm_ledger_prepare (ledger, "INSERT INTO statement VALUES (?, ?, ?, ?, ?, ?, "
                                "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                                "?)", error);
  if (stmt_ins == NULL)
    return NULL;
  for (guint i = 0; i < r->hospitals->len; i++)
    {
      CmStatement *s = r->hospitals->pdata[i];
      CmMonthlyAdvance adv;

      s->payable_fen = s->case_fund_fen + s->special_fen;
      if (!cm_settle_monthly_advance (s->payable_fen, s->deduct_fen,
                                      sy->quality_reserve_e4, &adv))
        {
          g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_OVERFLOW,
                       "hospital %s: the advance of %s does not fit", s->hospital_id,
                       period);
          return NULL;
        }
      s->advance_fen = adv.advance_fen;
      s->withheld_fen = adv.withheld_fen;
      s->cmi_e4 = cm_ledger_cmi (dip_family, s->weight_e4, s->n_weighted, region_w,
                                 region_n);
      add_to_total (&r->total, s);
      if (!insert_statement (ledger, stmt_ins, r->run_id, s, error))
        return NULL;
    }
  r->total.cmi_e4 = cm_ledger_cmi (dip_family, r->total.weight_e4, r->total.n_weighted,
                                   region_w, region_n);
  st = cm_ledger_prepare (ledger, "UPDATE run SET n_special = ? WHERE id = ?", error);
  if (st == NULL)
    return NULL;
  cm_bind_int (st, 1, (gint64) r->n_special_applied);
  cm_bind_int (st, 2, r->run_id);
  if (!cm_ledger_step_done (ledger, st, error))
    return NULL;
  {
    char pay[CM_MONEY_BUF], adv[CM_MONEY_BUF], wh[CM_MONEY_BUF];
    cm_fen_format (r->total.payable_fen, pay);
    cm_fen_format (r->total.advance_fen, adv);
    cm_fen_format (r->total.withheld_fen, wh);
    detail = g_strdup_printf ("run %" G_GINT64_FORMAT " (no. %d%s): %" G_GUINT64_FORMAT
                              " cases, %u hospitals, payable %s, advance %s, withheld %s, "
                              "%" G_GUINT64_FORMAT " special cases applied", r->run_id,
                              r->run_no, r->superseded_run_id ? ", supersedes the "
                              "previous run" : "", r->total.n_cases, r->hospitals->len,
                              pay, adv, wh, r->n_special_applied);
  }
  if (!cm_ledger_audit_add (ledger, region, period, "settle month", detail, error)
      || !cm_ledger_txn_commit (&txn, error))
    return NULL;
  return g_steal_pointer (&r);
}

CmMonthResult *
cm_ledger_get_month (CmLedger *ledger, const char *region, const char *period,
                     GError **error)
{
  g_autoptr (CmMonthResult) r = NULL;
  g_autoptr (sqlite3_stmt) st = NULL;
  gint64 run;
  int rc;

  g_return_val_if_fail (ledger != NULL && region != NULL && period != NULL, NULL);
  run = cm_ledger_current_run (ledger, region, RUN_MONTH, period, error);
  if (run < 0)
    return NULL;
  if (run == 0)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                   "%s: %s of region %s is not settled (casemix settle month)",
                   ledger->path, period, region);
      return NULL;
    }
  r = g_new0 (CmMonthResult, 1);
  g_strlcpy (r->region, region, sizeof r->region);
  g_strlcpy (r->period, period, sizeof r->period);
  r->hospitals = g_ptr_array_new_with_free_func (statement_free);
  r->total.hospital_id = g_strdup ("TOTAL");
  r->total.county_id = g_strdup ("");
  r->run_id = run;
  {
    const CmLedgerRunFigures f = CM_LEDGER_RUN_FIGURES (r);
    st = cm_ledger_read_run (ledger, run, "n_special, (SELECT COALESCE (MAX (id), 0) "
                             "FROM run p WHERE p.superseded_by = run.id)", &f, error);
  }
  if (st == NULL)
    return NULL;
  r->n_special_applied = (guint64) cm_col_int (st, CM_LEDGER_RUN_EXTRA);
  r->superseded_run_id = cm_col_int (st, CM_LEDGER_RUN_EXTRA + 1);
  g_clear_pointer (&st, sqlite3_finalize);

  st = cm_ledger_prepare (ledger, "SELECT hospital_id, level, county_id, n_cases, n_drg, "
                          "n_dip, n_per_diem, n_ffs, n_high, n_low, n_extreme, n_weighted, "
                          "weight_e4, points_e4, cmi_e4, cost_fen, pay_fen, patient_fen, "
                          "case_fund_fen, special_fen, payable_fen, deduct_fen, "
                          "advance_fen, withheld_fen, previous_advance_fen FROM statement "
                          "WHERE run_id = ? ORDER BY hospital_id", error);
  if (st == NULL)
    return NULL;
  cm_bind_int (st, 1, run);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      CmStatement *s = g_new0 (CmStatement, 1);
      int i = 0;
      s->hospital_id = g_strdup (cm_col_text (st, i++));
      s->level = (int) cm_col_int (st, i++);
      s->county_id = g_strdup (cm_col_text (st, i++));
      s->n_cases = (guint64) cm_col_int (st, i++);
      s->n_drg = (guint64) cm_col_int (st, i++);
      s->n_dip = (guint64) cm_col_int (st, i++);
      s->n_per_diem = (guint64) cm_col_int (st, i++);
      s->n_ffs = (guint64) cm_col_int (st, i++);
      s->n_high = (guint64) cm_col_int (st, i++);
      s->n_low = (guint64) cm_col_int (st, i++);
      s->n_extreme = (guint64) cm_col_int (st, i++);
      s->n_weighted = (guint64) cm_col_int (st, i++);
      s->weight_e4 = cm_col_int (st, i++);
      s->points_e4 = cm_col_int (st, i++);
      s->cmi_e4 = cm_col_int (st, i++);
      s->cost_fen = cm_col_int (st, i++);
      s->pay_fen = cm_col_int (st, i++);
      s->patient_fen = cm_col_int (st, i++);
      s->case_fund_fen = cm_col_int (st, i++);
      s->special_fen = cm_col_int (st, i++);
      s->payable_fen = cm_col_int (st, i++);
      s->deduct_fen = cm_col_int (st, i++);
      s->advance_fen = cm_col_int (st, i++);
      s->withheld_fen = cm_col_int (st, i++);
      s->previous_advance_fen = cm_col_int (st, i++);
      add_to_total (&r->total, s);
      g_ptr_array_add (r->hospitals, s);
    }
  if (rc != SQLITE_DONE)
    {
      cm_ledger_fail (ledger, error, "read statements");
      return NULL;
    }
  {
    /* the region's CMI is recomputed from the sums */
    gboolean dip = r->total.n_dip > r->total.n_drg;
    r->total.cmi_e4 = cm_ledger_cmi (dip, r->total.weight_e4, r->total.n_weighted,
                                     r->total.weight_e4, r->total.n_weighted);
  }
  return g_steal_pointer (&r);
}

/* ---- special cases ------------------------------------------------------ */

static const char *const state_names[] = { "none", "submitted", "under_review",
                                           "approved", "rejected", "appealed" };

const char *
cm_special_state_name (CmSpecialState state)
{
  return (guint) state < G_N_ELEMENTS (state_names) ? state_names[state] : "?";
}

void
cm_special_flags_format (guint flags, GString *out)
{
  static const char *const names[] = { "high", "extreme", "long_stay", "high_cost",
                                       "new_tech" };
  gboolean first = TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (flags & (1u << i))
      {
        g_string_append_printf (out, "%s%s", first ? "" : ",", names[i]);
        first = FALSE;
      }
}

void
cm_special_case_free (CmSpecialCase *sc)
{
  if (sc == NULL)
    return;
  g_free (sc->episode_id);
  g_free (sc->hospital_id);
  g_free (sc->period);
  g_free (sc->cycle);
  g_free (sc->group_code);
  g_free (sc->note);
  g_free (sc);
}

void
cm_special_quota_free (CmSpecialQuota *q)
{
  if (q == NULL)
    return;
  g_free (q->hospital_id);
  g_free (q->cycle);
  g_free (q);
}

/* The review cycle of a case's month: "2025-Q1" or "2025-03". */
static char *
cycle_of (const CmSettleConfig *cfg, const char *period)
{
  int y, m;
  if (!cm_period_parse (period, &y, &m))
    return g_strdup (period);
  if (cm_settle_config_get_year (cfg, y)->special_cycle == CM_SPECIAL_CYCLE_QUARTER)
    return g_strdup_printf ("%04d-Q%d", y, (m - 1) / 3 + 1);
  return g_strdup (period);
}

/* "2025-Q1" / "2025-03" / "2025" → the first and last period. */
static gboolean
cycle_range (const char *cycle, char first[8], char last[8])
{
  int y, m;
  gint64 v;

  if (cm_period_parse (cycle, &y, &m))
    {
      g_strlcpy (first, cycle, 8);
      g_strlcpy (last, cycle, 8);
      return TRUE;
    }
  if (strlen (cycle) == 7 && cycle[4] == '-' && cycle[5] == 'Q' && cycle[6] >= '1'
      && cycle[6] <= '4')
    {
      char ys[5];
      memcpy (ys, cycle, 4);
      ys[4] = '\0';
      if (!cm_scaled_parse (ys, 0, 1900, 9999, &v, NULL))
        return FALSE;
      m = (cycle[6] - '1') * 3 + 1;
      g_snprintf (first, 8, "%04d-%02d", (int) v, m);
      g_snprintf (last, 8, "%04d-%02d", (int) v, m + 2);
      return TRUE;
    }
  if (strlen (cycle) == 4 && cm_scaled_parse (cycle, 0, 1900, 9999, &v, NULL))
    {
      g_snprintf (first, 8, "%04d-01", (int) v);
      g_snprintf (last, 8, "%04d-12", (int) v);
      return TRUE;
    }
  return FALSE;
}

static CmE4
cap_ratio (const CmSettleConfig *cfg, const char *period, int method)
{
  int y, m;
  const CmSettleYear *sy;
  if (!cm_period_parse (period, &y, &m))
    return 0;
  sy = cm_settle_config_get_year (cfg, y);
  return method == CM_PAY_METHOD_DIP ? sy->special_cap_dip_e4 : sy->special_cap_drg_e4;
}

static gint
cmp_special (gconstpointer a, gconstpointer b)
{
  const CmSpecialCase *x = *(CmSpecialCase *const *) a, *y = *(CmSpecialCase *const *) b;
  int c = strcmp (x->hospital_id, y->hospital_id);
  if (c)
    return c;
  if (x->ratio_e4 != y->ratio_e4)
    return x->ratio_e4 > y->ratio_e4 ? -1 : 1;
  return strcmp (x->episode_id, y->episode_id);
}

GPtrArray *
cm_ledger_special_list (CmLedger *ledger, const CmSettleConfig *config,
                        const char *region, const char *cycle, gboolean candidates_only,
                        GPtrArray **quotas, GError **error)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func
                                 ((GDestroyNotify) cm_special_case_free);
  g_autoptr (sqlite3_stmt) st = NULL;
  char first[8], last[8];
  int rc;

  g_return_val_if_fail (ledger != NULL && config != NULL && region != NULL, NULL);
  if (cycle == NULL || !cycle_range (cycle, first, last))
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                   "review period '%s' is not YYYY-Qn, YYYY-MM or YYYY", cycle ? cycle : "");
      return NULL;
    }
  st = cm_ledger_prepare (ledger,
    "SELECT k.episode_id, k.hospital_id, k.period, k.group_code, k.flags, "
    "COALESCE (s.state, 0), k.class, k.los_days, k.ratio_e4, k.cost_fen, k.standard_fen, "
    "k.pay_fen, k.fund_fen, COALESCE (s.rule, 0), COALESCE (s.amount_fen, 0), "
    "COALESCE (s.note, ''), k.method FROM kase k LEFT JOIN special_case s ON "
    "s.region = k.region AND s.episode_id = k.episode_id "
    "WHERE k.region = ? AND k.active = 1 AND k.period >= ? AND k.period <= ? "
    "AND (k.flags <> 0 OR s.state IS NOT NULL)", error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, first);
  cm_bind_text (st, 3, last);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      CmSpecialCase *sc;
      CmSpecialState state = (CmSpecialState) cm_col_int (st, 5);

      if (candidates_only ? state != CM_SPECIAL_NONE : state == CM_SPECIAL_NONE)
        continue;
      sc = g_new0 (CmSpecialCase, 1);
      sc->episode_id = g_strdup (cm_col_text (st, 0));
      sc->hospital_id = g_strdup (cm_col_text (st, 1));
      sc->period = g_strdup (cm_col_text (st, 2));
      sc->cycle = cycle_of (config, sc->period);
      sc->group_code = g_strdup (cm_col_text (st, 3));
      sc->flags = (guint) cm_col_int (st, 4);
      sc->state = state;
      sc->case_class = (CmCaseClass) cm_col_int (st, 6);
      sc->los_days = (gint32) cm_col_int (st, 7);
      sc->ratio_e4 = cm_col_int (st, 8);
      sc->cost_fen = cm_col_int (st, 9);
      sc->standard_fen = cm_col_int (st, 10);
      sc->pay_fen = cm_col_int (st, 11);
      sc->fund_fen = cm_col_int (st, 12);
      sc->rule = (CmSpecialPayRule) cm_col_int (st, 13);
      sc->approved_pay_fen = sc->state == CM_SPECIAL_APPROVED
                             ? (sc->rule == CM_SPECIAL_PAY_FFS ? sc->cost_fen
                                : cm_col_int (st, 14)) : 0;
      sc->note = g_strdup (cm_col_text (st, 15));
      g_ptr_array_add (list, sc);
    }
  if (rc != SQLITE_DONE)
    {
      cm_ledger_fail (ledger, error, "read special cases");
      return NULL;
    }
  g_ptr_array_sort (list, cmp_special);
  g_clear_pointer (&st, sqlite3_finalize);

  if (quotas != NULL)
    {
      g_autoptr (GPtrArray) q = g_ptr_array_new_with_free_func
                                  ((GDestroyNotify) cm_special_quota_free);
      /* discharges and cap per hospital and cycle */
      st = cm_ledger_prepare (ledger,
        "SELECT k.hospital_id, k.period, k.method, COUNT (*), "
        "SUM (CASE WHEN k.flags <> 0 AND COALESCE (s.state, 0) = 0 THEN 1 ELSE 0 END), "
        "SUM (CASE WHEN COALESCE (s.state, 0) <> 0 THEN 1 ELSE 0 END), "
        "SUM (CASE WHEN s.state = 3 THEN 1 ELSE 0 END) "
        "FROM kase k LEFT JOIN special_case s ON s.region = k.region AND "
        "s.episode_id = k.episode_id WHERE k.region = ? AND k.active = 1 AND "
        "k.period >= ? AND k.period <= ? AND k.method IN (0, 1) "
        "GROUP BY k.hospital_id, k.period, k.method ORDER BY k.hospital_id, k.period",
        error);
      if (st == NULL)
        return NULL;
      cm_bind_text (st, 1, region);
      cm_bind_text (st, 2, first);
      cm_bind_text (st, 3, last);
      {
        g_autoptr (GHashTable) idx = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                            g_free, NULL);
        g_autoptr (GHashTable) share = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                              g_free, g_free);
        while ((rc = sqlite3_step (st)) == SQLITE_ROW)
          {
            g_autofree char *cyc = cycle_of (config, cm_col_text (st, 1));
            g_autofree char *key = g_strdup_printf ("%s\x1f%s", cm_col_text (st, 0), cyc);
            CmSpecialQuota *qq = g_hash_table_lookup (idx, key);
            gint64 *num;
            int method = (int) cm_col_int (st, 2);

            if (qq == NULL)
              {
                qq = g_new0 (CmSpecialQuota, 1);
                qq->hospital_id = g_strdup (cm_col_text (st, 0));
                qq->cycle = g_strdup (cyc);
                g_ptr_array_add (q, qq);
                g_hash_table_insert (idx, g_strdup (key), qq);
              }
            qq->discharges += cm_col_int (st, 3);
            qq->candidates += cm_col_int (st, 4);
            qq->submitted += cm_col_int (st, 5);
            qq->approved += cm_col_int (st, 6);
            /* Σ discharges × ratio, so that mixed DRG/DIP months add up */
            num = g_hash_table_lookup (share, key);
            if (num == NULL)
              {
                num = g_new0 (gint64, 1);
                g_hash_table_insert (share, g_strdup (key), num);
              }
            *num += cm_col_int (st, 3) * cap_ratio (config, cm_col_text (st, 1), method);
            qq->cap = *num / CM_E4_ONE;
          }
      }
      if (rc != SQLITE_DONE)
        {
          cm_ledger_fail (ledger, error, "read quotas");
          return NULL;
        }
      *quotas = g_steal_pointer (&q);
    }
  return g_steal_pointer (&list);
}

/* The quota of @hospital_id in the cycle of @period: the cap and the cases
 * already submitted (every state but NONE). */
static gboolean
quota_of (CmLedger *ledger, const CmSettleConfig *config, const char *region,
          const char *hospital_id, const char *period, gint64 *cap, gint64 *used,
          char **cycle_out, GError **error)
{
  g_autofree char *cycle = cycle_of (config, period);
  g_autoptr (sqlite3_stmt) st = NULL;
  char first[8], last[8];
  gint64 share = 0;
  int rc;

  if (!cycle_range (cycle, first, last))
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE, "bad review period %s",
                   cycle);
      return FALSE;
    }
  st = cm_ledger_prepare (ledger,
    "SELECT k.period, k.method, COUNT (*), "
    "SUM (CASE WHEN COALESCE (s.state, 0) <> 0 THEN 1 ELSE 0 END) "
    "FROM kase k LEFT JOIN special_case s ON s.region = k.region AND "
    "s.episode_id = k.episode_id WHERE k.region = ? AND k.active = 1 AND "
    "k.period >= ? AND k.period <= ? AND k.hospital_id = ? AND k.method IN (0, 1) "
    "GROUP BY k.period, k.method", error);
  if (st == NULL)
    return FALSE;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, first);
  cm_bind_text (st, 3, last);
  cm_bind_text (st, 4, hospital_id);
  *used = 0;
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      share += cm_col_int (st, 2) * cap_ratio (config, cm_col_text (st, 0),
                                               (int) cm_col_int (st, 1));
      *used += cm_col_int (st, 3);
    }
  if (rc != SQLITE_DONE)
    return cm_ledger_fail (ledger, error, "read quota");
  /* settlement.md §5: floor (discharges × cap ratio) */
  *cap = share / CM_E4_ONE;
  *cycle_out = g_steal_pointer (&cycle);
  return TRUE;
}

gboolean
cm_ledger_special_act (CmLedger *ledger, CmPolicy *policy, const CmSettleConfig *config,
                       const char *episode_id, CmSpecialAction action,
                       CmSpecialPayRule rule, CmFen amount_fen, const char *note,
                       GError **error)
{
  static const char *const action_names[] = { "submit", "start review", "approve",
                                              "reject", "appeal" };
  g_auto (CmLedgerTxn) txn = { NULL, FALSE };
  g_autoptr (sqlite3_stmt) st = NULL;
  g_autofree char *hospital = NULL;
  g_autofree char *period = NULL;
  g_autofree char *cycle = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *now = NULL;
  const char *region;
  CmSpecialState from = CM_SPECIAL_NONE, to;
  guint flags;
  int method;
  gboolean has_row = FALSE;
  CmFen cost;

  g_return_val_if_fail (ledger != NULL && policy != NULL && config != NULL
                        && episode_id != NULL, FALSE);
  region = cm_policy_get_region (policy);
  if (!cm_ledger_txn_begin (ledger, &txn, error))
    return FALSE;
  st = cm_ledger_prepare (ledger, "SELECT k.hospital_id, k.period, k.flags, k.method, "
                          "k.cost_fen, s.state FROM kase k LEFT JOIN special_case s ON "
                          "s.region = k.region AND s.episode_id = k.episode_id "
                          "WHERE k.region = ? AND k.episode_id = ? AND k.active = 1", error);
  if (st == NULL)
    return FALSE;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, episode_id);
  if (sqlite3_step (st) != SQLITE_ROW)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                   "case %s: not in the ledger of region %s", episode_id, region);
      return FALSE;
    }
  hospital = g_strdup (cm_col_text (st, 0));
  period = g_strdup (cm_col_text (st, 1));
  flags = (guint) cm_col_int (st, 2);
  method = (int) cm_col_int (st, 3);
  cost = cm_col_int (st, 4);
  if (sqlite3_column_type (st, 5) != SQLITE_NULL)
    {
      has_row = TRUE;
      from = (CmSpecialState) cm_col_int (st, 5);
    }
  g_clear_pointer (&st, sqlite3_finalize);

  switch (action)
    {
    case CM_SPECIAL_SUBMIT:
      to = CM_SPECIAL_SUBMITTED;
      break;
    case CM_SPECIAL_START:
      to = CM_SPECIAL_UNDER_REVIEW;
      break;
    case CM_SPECIAL_APPROVE:
      to = CM_SPECIAL_APPROVED;
      break;
    case CM_SPECIAL_REJECT:
      to = CM_SPECIAL_REJECTED;
      break;
    case CM_SPECIAL_APPEAL:
    default:
      to = CM_SPECIAL_APPEALED;
      break;
    }
  /* the state machine of settlement.md §5 */
  if ((action == CM_SPECIAL_SUBMIT && from != CM_SPECIAL_NONE)
      || (action == CM_SPECIAL_START && from != CM_SPECIAL_SUBMITTED
          && from != CM_SPECIAL_APPEALED)
      || ((action == CM_SPECIAL_APPROVE || action == CM_SPECIAL_REJECT)
          && from != CM_SPECIAL_SUBMITTED && from != CM_SPECIAL_UNDER_REVIEW
          && from != CM_SPECIAL_APPEALED)
      || (action == CM_SPECIAL_APPEAL && from != CM_SPECIAL_REJECTED))
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                   "case %s: cannot %s a case that is %s", episode_id,
                   action_names[action], cm_special_state_name (from));
      return FALSE;
    }
  if (action == CM_SPECIAL_SUBMIT)
    {
      gint64 cap = 0, used = 0;
      if (flags == 0 || (method != CM_PAY_METHOD_DRG && method != CM_PAY_METHOD_DIP))
        {
          g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                       "case %s: not a special-case candidate (no high-cost, long-stay, "
                       "outlier or new-technology flag on a DRG/DIP case)", episode_id);
          return FALSE;
        }
      if (!quota_of (ledger, config, region, hospital, period, &cap, &used, &cycle, error))
        return FALSE;
      if (used >= cap)
        {
          g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                       "case %s: hospital %s has used its quota of %" G_GINT64_FORMAT
                       " special cases for %s", episode_id, hospital, cap, cycle);
          return FALSE;
        }
    }
  else
    cycle = cycle_of (config, period);
  if (action == CM_SPECIAL_APPROVE && rule == CM_SPECIAL_PAY_AMOUNT && amount_fen < 0)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                   "case %s: a negative approved amount", episode_id);
      return FALSE;
    }
  if (action != CM_SPECIAL_APPROVE)
    {
      rule = CM_SPECIAL_PAY_FFS;
      amount_fen = 0;
    }
  else if (rule == CM_SPECIAL_PAY_FFS)
    amount_fen = cost;

  st = cm_ledger_prepare (ledger, has_row
                          ? "UPDATE special_case SET state = ?, rule = ?, amount_fen = ?, "
                            "note = ?, applied_run_id = 0 WHERE region = ? AND "
                            "episode_id = ?"
                          : "INSERT INTO special_case (state, rule, amount_fen, note, "
                            "region, episode_id, hospital_id, cycle) VALUES "
                            "(?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (st == NULL)
    return FALSE;
  cm_bind_int (st, 1, to);
  cm_bind_int (st, 2, rule);
  cm_bind_int (st, 3, amount_fen);
  cm_bind_text (st, 4, note ? note : "");
  cm_bind_text (st, 5, region);
  cm_bind_text (st, 6, episode_id);
  if (!has_row)
    {
      cm_bind_text (st, 7, hospital);
      cm_bind_text (st, 8, cycle);
    }
  if (!cm_ledger_step_done (ledger, st, error))
    return FALSE;
  g_clear_pointer (&st, sqlite3_finalize);
  now = cm_ledger_now ();
  st = cm_ledger_prepare (ledger, "INSERT INTO special_event (region, episode_id, "
                          "from_state, to_state, rule, amount_fen, note, actor, "
                          "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (st == NULL)
    return FALSE;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, episode_id);
  cm_bind_int (st, 3, from);
  cm_bind_int (st, 4, to);
  cm_bind_int (st, 5, rule);
  cm_bind_int (st, 6, amount_fen);
  cm_bind_text (st, 7, note ? note : "");
  cm_bind_text (st, 8, ledger->actor);
  cm_bind_text (st, 9, now);
  if (!cm_ledger_step_done (ledger, st, error))
    return FALSE;
  {
    char amt[CM_MONEY_BUF];
    cm_fen_format (amount_fen, amt);
    detail = g_strdup_printf ("case %s (hospital %s, %s): %s → %s%s%s", episode_id,
                              hospital, cycle, cm_special_state_name (from),
                              cm_special_state_name (to),
                              action == CM_SPECIAL_APPROVE
                              ? (rule == CM_SPECIAL_PAY_FFS ? ", paid FFS " : ", paid ")
                              : "", action == CM_SPECIAL_APPROVE ? amt : "");
  }
  if (!cm_ledger_audit_add (ledger, region, period, "special case", detail, error))
    return FALSE;
  return cm_ledger_txn_commit (&txn, error);
}

/* ---- report tables ------------------------------------------------------ */

void
cm_group_summary_free (CmGroupSummary *g)
{
  if (g == NULL)
    return;
  g_free (g->group_code);
  g_free (g);
}

GPtrArray *
cm_ledger_group_summary (CmLedger *ledger, const char *region, const char *first,
                         const char *last, GError **error)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func
                                 ((GDestroyNotify) cm_group_summary_free);
  g_autoptr (sqlite3_stmt) st = NULL;
  int rc;

  g_return_val_if_fail (ledger != NULL && region != NULL, NULL);
  st = cm_ledger_prepare (ledger,
    "SELECT CASE WHEN k.priced_group <> '' THEN k.priced_group ELSE k.group_code END g, "
    "MIN (k.method), COUNT (*), SUM (k.class = 1), SUM (k.class = 2), MAX (k.weight_e4), "
    "SUM (k.cost_fen), COALESCE (SUM (p.pay), 0), COALESCE (SUM (p.fund), 0) "
    "FROM kase k LEFT JOIN (SELECT q.episode_id, SUM (q.pay_fen) pay, SUM (q.fund_fen) fund "
    "FROM posting q JOIN run r ON r.id = q.run_id WHERE r.region = ?1 AND r.kind = 'month' "
    "AND r.current = 1 AND r.period >= ?2 AND r.period <= ?3 GROUP BY q.episode_id) p "
    "ON p.episode_id = k.episode_id WHERE k.region = ?1 AND k.active = 1 AND "
    "k.period >= ?2 AND k.period <= ?3 GROUP BY g ORDER BY COUNT (*) DESC, g", error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, first);
  cm_bind_text (st, 3, last);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      CmGroupSummary *g = g_new0 (CmGroupSummary, 1);
      g->group_code = g_strdup (cm_col_text (st, 0));
      g->method = (int) cm_col_int (st, 1);
      g->n_cases = (guint64) cm_col_int (st, 2);
      g->n_high = (guint64) cm_col_int (st, 3);
      g->n_low = (guint64) cm_col_int (st, 4);
      g->weight_e4 = cm_col_int (st, 5);
      g->cost_fen = cm_col_int (st, 6);
      g->pay_fen = cm_col_int (st, 7);
      g->fund_fen = cm_col_int (st, 8);
      g_ptr_array_add (list, g);
    }
  if (rc != SQLITE_DONE)
    {
      cm_ledger_fail (ledger, error, "read groups");
      return NULL;
    }
  return g_steal_pointer (&list);
}

GPtrArray *
cm_ledger_deviation_cases (CmLedger *ledger, const char *region, const char *first,
                           const char *last, GError **error)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func
                                 ((GDestroyNotify) cm_special_case_free);
  g_autoptr (sqlite3_stmt) st = NULL;
  int rc;

  g_return_val_if_fail (ledger != NULL && region != NULL, NULL);
  st = cm_ledger_prepare (ledger,
    "SELECT k.episode_id, k.hospital_id, k.period, CASE WHEN k.priced_group <> '' THEN "
    "k.priced_group ELSE k.group_code END, k.flags, COALESCE (s.state, 0), k.class, "
    "k.los_days, k.ratio_e4, k.cost_fen, k.standard_fen, k.pay_fen, k.fund_fen, "
    "COALESCE (s.rule, 0), COALESCE (s.amount_fen, 0), COALESCE (s.note, '') "
    "FROM kase k LEFT JOIN special_case s ON s.region = k.region AND "
    "s.episode_id = k.episode_id WHERE k.region = ? AND k.active = 1 AND k.period >= ? "
    "AND k.period <= ? AND k.class IN (1, 2, 3) ORDER BY k.hospital_id, k.ratio_e4 DESC, "
    "k.episode_id", error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, first);
  cm_bind_text (st, 3, last);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      CmSpecialCase *sc = g_new0 (CmSpecialCase, 1);
      sc->episode_id = g_strdup (cm_col_text (st, 0));
      sc->hospital_id = g_strdup (cm_col_text (st, 1));
      sc->period = g_strdup (cm_col_text (st, 2));
      sc->cycle = g_strdup (sc->period);
      sc->group_code = g_strdup (cm_col_text (st, 3));
      sc->flags = (guint) cm_col_int (st, 4);
      sc->state = (CmSpecialState) cm_col_int (st, 5);
      sc->case_class = (CmCaseClass) cm_col_int (st, 6);
      sc->los_days = (gint32) cm_col_int (st, 7);
      sc->ratio_e4 = cm_col_int (st, 8);
      sc->cost_fen = cm_col_int (st, 9);
      sc->standard_fen = cm_col_int (st, 10);
      sc->pay_fen = cm_col_int (st, 11);
      sc->fund_fen = cm_col_int (st, 12);
      sc->rule = (CmSpecialPayRule) cm_col_int (st, 13);
      sc->approved_pay_fen = sc->state == CM_SPECIAL_APPROVED
                             ? (sc->rule == CM_SPECIAL_PAY_FFS ? sc->cost_fen
                                : cm_col_int (st, 14)) : 0;
      sc->note = g_strdup (cm_col_text (st, 15));
      g_ptr_array_add (list, sc);
    }
  if (rc != SQLITE_DONE)
    {
      cm_ledger_fail (ledger, error, "read deviation cases");
      return NULL;
    }
  return g_steal_pointer (&list);
}
