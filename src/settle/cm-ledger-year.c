/* cm-ledger-year.c — annual clearing, county alliance runs and the
 * conservation checks.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Clearing (settlement.md §3, §8; dip.md §5, §9). Final point values come
 * from the annual budget (per pool), else from the policy's final values,
 * else the provisional ones. Every case is repriced:
 *
 *   point case   pay = round2 (points × PV_final), fund by the method's rule
 *   other case   the amounts priced at import
 *   approved     special case: + (approved fund − final fund)
 *
 * and its difference to what the months posted is posted per case (kind
 * clearing, referencing the month's run). Per hospital the point payment
 * is rounded once per pool, round2 (Σ points × PV); its difference to the
 * sum of the rounded case payments is the rounding line, and under the
 * DIFFERENCE fund-share rule the patients' burden is netted at hospital
 * level (domain README convention 3): the netting line is Σ min (0, pay −
 * burden) over point cases, which the per-case floor had left out. So
 *
 *   final_payable = Σ final fund_case + rounding + netting + special
 *
 * then assess, due and the clearing amount by cm_settle_clearing. */
#include "config.h"

#include <string.h>
#include "cm-ledger-private.h"
#include "cm-timeline.h"

#define MAX_BUCKETS 8

typedef struct {
  int pool;
  CmE4 pv_e4;
  CmE4 points_e4;
} Bucket;

typedef struct {
  CmClearingStatement s;
  CmFen point_case_pay;
  guint n_buckets;
  Bucket buckets[MAX_BUCKETS];
  CmE4 weight_e4;
  guint64 n_weighted;
} HospYear;

static void
clearing_free (gpointer p)
{
  CmClearingStatement *s = p;
  g_free (s->hospital_id);
  g_free (s->county_id);
  g_free (s);
}

void
cm_year_result_free (CmYearResult *r)
{
  if (r == NULL)
    return;
  g_clear_pointer (&r->hospitals, g_ptr_array_unref);
  g_free (r->total.hospital_id);
  g_free (r->total.county_id);
  g_free (r);
}

static void
hosp_year_free (gpointer p)
{
  HospYear *h = p;
  g_free (h->s.hospital_id);
  g_free (h->s.county_id);
  g_free (h);
}

static HospYear *
hosp_for (GHashTable *by_id, const char *id, int level, const char *county)
{
  HospYear *h = g_hash_table_lookup (by_id, id);
  if (h == NULL)
    {
      h = g_new0 (HospYear, 1);
      h->s.hospital_id = g_strdup (id);
      h->s.level = level;
      h->s.county_id = g_strdup (county ? county : "");
      g_hash_table_insert (by_id, h->s.hospital_id, h);
    }
  else if (h->s.level == 0 && level > 0)
    {
      h->s.level = level;
      g_free (h->s.county_id);
      h->s.county_id = g_strdup (county ? county : "");
    }
  return h;
}

static gboolean
bucket_add (HospYear *h, int pool, CmE4 pv, CmE4 points)
{
  for (guint i = 0; i < h->n_buckets; i++)
    if (h->buckets[i].pool == pool && h->buckets[i].pv_e4 == pv)
      {
        h->buckets[i].points_e4 += points;
        return TRUE;
      }
  if (h->n_buckets == MAX_BUCKETS)
    return FALSE;
  h->buckets[h->n_buckets++] = (Bucket) { pool, pv, points };
  return TRUE;
}

/* Month by month figures of the year's current runs. */
static gboolean
read_months (CmLedger *ledger, const char *region, int year, CmYearResult *r,
             GError **error)
{
  g_autoptr (sqlite3_stmt) st = NULL;
  g_autofree char *first = g_strdup_printf ("%04d-01", year);
  g_autofree char *last = g_strdup_printf ("%04d-12", year);
  int rc;

  st = cm_ledger_prepare (ledger, "SELECT r.period, r.pv0_e4, r.pv1_e4, r.pv2_e4, "
                          "SUM (s.n_cases), SUM (s.cost_fen), SUM (s.payable_fen), "
                          "SUM (s.advance_fen), SUM (s.withheld_fen), SUM (s.weight_e4), "
                          "SUM (s.n_weighted) FROM run r JOIN statement s ON "
                          "s.run_id = r.id WHERE r.region = ? AND r.kind = 'month' AND "
                          "r.current = 1 AND r.period >= ? AND r.period <= ? "
                          "GROUP BY r.id ORDER BY r.period", error);
  if (st == NULL)
    return FALSE;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, first);
  cm_bind_text (st, 3, last);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      int y, m;
      if (!cm_period_parse (cm_col_text (st, 0), &y, &m))
        continue;
      m--;
      r->month_settled[m] = TRUE;
      r->n_months++;
      for (int k = 0; k < 3; k++)
        r->month_pv_e4[m][k] = cm_col_int (st, 1 + k);
      r->month_cases[m] = (guint64) cm_col_int (st, 4);
      r->month_cost_fen[m] = cm_col_int (st, 5);
      r->month_payable_fen[m] = cm_col_int (st, 6);
      r->month_advance_fen[m] = cm_col_int (st, 7);
      r->month_withheld_fen[m] = cm_col_int (st, 8);
      r->month_weight_e4[m] = cm_col_int (st, 9);
      r->month_weighted[m] = (guint64) cm_col_int (st, 10);
    }
  if (rc != SQLITE_DONE)
    return cm_ledger_fail (ledger, error, "read monthly runs");
  return TRUE;
}

static void
add_clearing_total (CmClearingStatement *t, const CmClearingStatement *s)
{
  t->n_cases += s->n_cases;
  t->points_e4 += s->points_e4;
  t->cost_fen += s->cost_fen;
  t->pay_fen += s->pay_fen;
  t->ffs_fen += s->ffs_fen;
  t->monthly_payable_fen += s->monthly_payable_fen;
  t->case_fund_fen += s->case_fund_fen;
  t->rounding_fen += s->rounding_fen;
  t->netting_fen += s->netting_fen;
  t->special_fen += s->special_fen;
  t->final_payable_fen += s->final_payable_fen;
  t->deductions_fen += s->deductions_fen;
  t->assess_fen += s->assess_fen;
  t->incentive_fen += s->incentive_fen;
  t->due_fen += s->due_fen;
  t->advances_fen += s->advances_fen;
  t->withheld_fen += s->withheld_fen;
  t->prepayment_fen += s->prepayment_fen;
  t->clearing_fen += s->clearing_fen;
}

static gint
cmp_clearing (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(CmClearingStatement *const *) a)->hospital_id,
                 (*(CmClearingStatement *const *) b)->hospital_id);
}

static gboolean
overflow_error (GError **error, const char *what, const char *id)
{
  g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_OVERFLOW,
               "%s %s: an amount does not fit", what, id);
  return FALSE;
}

/* Final point value of a case without a budget: the policy's final value
 * for its insurance and level, else the provisional one it was priced at. */
static CmE4
policy_final_pv (const CmYearParams *yp, int method, int insurance, int level,
                 CmE4 provisional)
{
  const CmE4 (*pv)[CM_N_INSURANCE][CM_N_LEVELS];
  CmE4 v;

  if (yp == NULL || insurance < 1 || insurance > 2 || level < 1 || level > 3)
    return provisional;
  pv = method == CM_PAY_METHOD_DIP ? yp->dip.pv_e4 : yp->drg.pv_e4;
  v = pv[CM_PRICE_STAGE_FINAL][insurance - 1][level];
  return v > 0 ? v : provisional;
}

CmYearResult *
cm_ledger_settle_year (CmLedger *ledger, CmPolicy *policy, const CmSettleConfig *config,
                       int year, GError **error)
{
  g_autoptr (CmYearResult) r = NULL;
  g_autoptr (GHashTable) by_id = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                        hosp_year_free);
  g_autoptr (GHashTable) posted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                         g_free);
  g_autoptr (GHashTable) approved = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                           g_free, g_free);
  g_autoptr (GHashTable) month_run = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                            g_free, NULL);
  g_autoptr (sqlite3_stmt) st = NULL;
  g_autoptr (sqlite3_stmt) post = NULL;
  g_auto (CmLedgerTxn) txn = { NULL, FALSE };
  g_autofree char *first = g_strdup_printf ("%04d-01", year);
  g_autofree char *last = g_strdup_printf ("%04d-12", year);
  g_autofree char *yperiod = g_strdup_printf ("%04d", year);
  g_autofree char *psha = NULL;
  g_autofree char *detail = NULL;
  g_autoptr (GPtrArray) hosp_list = NULL;
  const char *region;
  const CmSettleYear *sy;
  const CmYearParams *yp;
  gboolean dip_family;
  CmFen burden[3] = { 0, 0, 0 };
  CmE4 region_w = 0;
  guint64 region_n = 0;
  int rc;

  g_return_val_if_fail (ledger != NULL && policy != NULL && config != NULL, NULL);
  region = cm_policy_get_region (policy);
  sy = cm_settle_config_get_year (config, year);
  yp = cm_policy_lookup_year (policy, year);
  dip_family = yp != NULL && yp->dip.present;

  r = g_new0 (CmYearResult, 1);
  g_strlcpy (r->region, region, sizeof r->region);
  r->year = year;
  r->hospitals = g_ptr_array_new_with_free_func (clearing_free);
  r->total.hospital_id = g_strdup ("TOTAL");
  r->total.county_id = g_strdup ("");
  {
    /* settle.annual.deadline: 30 June of the next year [S]/[N~] */
    char buf[11];
    g_snprintf (buf, sizeof buf, "%04d-06-30", year + 1);
    cm_date_parse (buf, &r->deadline);
  }

  if (!cm_ledger_txn_begin (ledger, &txn, error))
    return NULL;

  /* every month with cases must be settled */
  st = cm_ledger_prepare (ledger, "SELECT k.period, COUNT (*), (SELECT id FROM run r "
                          "WHERE r.region = k.region AND r.kind = 'month' AND "
                          "r.period = k.period AND r.current = 1) FROM kase k WHERE "
                          "k.region = ? AND k.active = 1 AND k.period >= ? AND "
                          "k.period <= ? GROUP BY k.period ORDER BY k.period", error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, first);
  cm_bind_text (st, 3, last);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      if (sqlite3_column_type (st, 2) == SQLITE_NULL)
        {
          g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                       "%s: %s of region %s has %" G_GINT64_FORMAT " cases but is not "
                       "settled (casemix settle month)", ledger->path,
                       cm_col_text (st, 0), region, cm_col_int (st, 1));
          return NULL;
        }
      g_hash_table_insert (month_run, g_strdup (cm_col_text (st, 0)),
                           GINT_TO_POINTER ((gint) cm_col_int (st, 2)));
    }
  if (rc != SQLITE_DONE)
    {
      cm_ledger_fail (ledger, error, "read months");
      return NULL;
    }
  g_clear_pointer (&st, sqlite3_finalize);
  if (g_hash_table_size (month_run) == 0)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                   "%s: region %s has no case in %d", ledger->path, region, year);
      return NULL;
    }
  if (!read_months (ledger, region, year, r, error))
    return NULL;

  /* what the months posted per case */
  st = cm_ledger_prepare (ledger, "SELECT p.episode_id, SUM (p.pay_fen), SUM (p.fund_fen) "
                          "FROM posting p JOIN run r ON r.id = p.run_id WHERE "
                          "r.region = ? AND r.kind = 'month' AND r.current = 1 AND "
                          "r.period >= ? AND r.period <= ? GROUP BY p.episode_id", error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, first);
  cm_bind_text (st, 3, last);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      CmFen *v = g_new (CmFen, 2);
      v[0] = cm_col_int (st, 1);
      v[1] = cm_col_int (st, 2);
      g_hash_table_insert (posted, g_strdup (cm_col_text (st, 0)), v);
    }
  g_clear_pointer (&st, sqlite3_finalize);

  /* approved special cases */
  st = cm_ledger_prepare (ledger, "SELECT episode_id, rule, amount_fen FROM special_case "
                          "WHERE region = ? AND state = ?", error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_int (st, 2, CM_SPECIAL_APPROVED);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      gint64 *v = g_new (gint64, 2);
      v[0] = cm_col_int (st, 1);
      v[1] = cm_col_int (st, 2);
      g_hash_table_insert (approved, g_strdup (cm_col_text (st, 0)), v);
    }
  g_clear_pointer (&st, sqlite3_finalize);

  /* the cases of the year */
  st = cm_ledger_prepare (ledger, "SELECT episode_id, version, hospital_id, county_id, "
                          "level, insurance, method, class, weight_e4, points_e4, pv_e4, "
                          "cost_fen, patient_fen, other_fen, fund_ffs_fen, pay_fen, "
                          "fund_fen, period FROM kase WHERE region = ? AND active = 1 AND "
                          "period >= ? AND period <= ? ORDER BY hospital_id, episode_id",
                          error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, first);
  cm_bind_text (st, 3, last);

  /* pass 1: final point values from the budget */
  if (sy->has_budget)
    {
      r->pv_from_budget = TRUE;
      while ((rc = sqlite3_step (st)) == SQLITE_ROW)
        {
          int method = (int) cm_col_int (st, 6), cls = (int) cm_col_int (st, 7);
          CmE4 points = cm_col_int (st, 9), pv = cm_col_int (st, 10);
          int pool;
          if (!cm_ledger_is_point_case (method, cls, points, pv))
            continue;
          pool = cm_ledger_pool_of (sy->pools, (int) cm_col_int (st, 5));
          r->points_e4[pool] += points;
          burden[pool] += cm_col_int (st, 12) + cm_col_int (st, 13);
        }
      sqlite3_reset (st);
      for (int p = 0; p < 3; p++)
        {
          gboolean used = sy->pools == CM_PV_POOLS_SINGLE ? p == 0 : p > 0;
          if (!used)
            continue;
          r->budget_fen[p] = sy->budget_fen[p];
          if (dip_family)
            {
              /* dip.md §5 PV-2 / PV-3: PV = round4 (F / p / P_year) */
              if (!cm_round_hospital_total_fen ((CmWide) r->budget_fen[p] * CM_E4_ONE,
                                                sy->fund_share_e4[p], &r->target_fen[p])
                  || (r->points_e4[p] > 0
                      && !cm_price_point_value_e4 (r->budget_fen[p], sy->fund_share_e4[p],
                                                   r->points_e4[p], &r->pv_e4[p])))
                {
                  overflow_error (error, "the final point value of", yperiod);
                  return NULL;
                }
            }
          else
            {
              /* drg-payment.md §7: PV = round4 ((F + B) / P) */
              r->target_fen[p] = r->budget_fen[p] + burden[p];
              if (r->points_e4[p] > 0
                  && !cm_price_point_value_e4 (r->target_fen[p], CM_E4_ONE,
                                               r->points_e4[p], &r->pv_e4[p]))
                {
                  overflow_error (error, "the final point value of", yperiod);
                  return NULL;
                }
            }
        }
    }

  /* the run (its id goes on the postings) */
  {
    g_autoptr (sqlite3_stmt) ps = cm_ledger_prepare (ledger,
      "SELECT pv.sha256 FROM kase k JOIN policy_version pv ON pv.id = k.policy_version "
      "WHERE k.region = ? AND k.active = 1 ORDER BY k.batch_id DESC LIMIT 1", error);
    if (ps == NULL)
      return NULL;
    cm_bind_text (ps, 1, region);
    psha = g_strdup (sqlite3_step (ps) == SQLITE_ROW ? cm_col_text (ps, 0) : "");
  }
  r->run_id = cm_ledger_new_run (ledger, region, RUN_YEAR, yperiod, psha,
                                 cm_settle_config_get_sha256 (config), r->deadline,
                                 r->pv_from_budget, r->pv_e4, r->budget_fen, r->target_fen,
                                 r->points_e4, NULL, NULL, 0, &r->run_no, NULL, error);
  if (r->run_id < 0)
    return NULL;
  post = cm_ledger_prepare (ledger, "INSERT INTO posting VALUES (?, ?, 'clearing', ?, ?, "
                            "?, ?, ?)", error);
  if (post == NULL)
    return NULL;

  /* pass 2: reprice every case */
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      const char *episode = cm_col_text (st, 0);
      gint64 version = cm_col_int (st, 1);
      int level = (int) cm_col_int (st, 4), insurance = (int) cm_col_int (st, 5);
      int method = (int) cm_col_int (st, 6), cls = (int) cm_col_int (st, 7);
      CmE4 weight = cm_col_int (st, 8), points = cm_col_int (st, 9);
      CmE4 pv = cm_col_int (st, 10);
      CmFen cost = cm_col_int (st, 11), patient = cm_col_int (st, 12);
      CmFen other = cm_col_int (st, 13), fund_ffs = cm_col_int (st, 14);
      CmFen pay = cm_col_int (st, 15), fund = cm_col_int (st, 16);
      HospYear *h = hosp_for (by_id, cm_col_text (st, 2), level, cm_col_text (st, 3));
      const CmFundShareRule *fr = cm_ledger_fund_rule (yp, method);
      const CmFen *done = g_hash_table_lookup (posted, episode);
      const gint64 *sp = g_hash_table_lookup (approved, episode);
      CmFen special = 0, special_pay = 0;

      if (cm_ledger_is_point_case (method, cls, points, pv) && fr != NULL)
        {
          int pool = r->pv_from_budget ? cm_ledger_pool_of (sy->pools, insurance) : 0;
          CmE4 fpv = r->pv_from_budget ? r->pv_e4[pool]
                                       : policy_final_pv (yp, method, insurance, level, pv);
          if (!cm_price_points_pay_fen (points, fpv, CM_E4_ONE, &pay)
              || !cm_price_fund_share (fr, pay, patient, other, fund_ffs, cost, &fund))
            {
              overflow_error (error, "case", episode);
              return NULL;
            }
          if (fr->method == CM_FUND_SHARE_DIFFERENCE)
            {
              CmFen unfloored = pay - patient - (fr->other_payers_inside ? other : 0);
              h->s.netting_fen += unfloored - fund;
            }
          if (!bucket_add (h, pool, fpv, points))
            {
              g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                           "hospital %s: more than %d point values in %d", h->s.hospital_id,
                           MAX_BUCKETS, year);
              return NULL;
            }
          h->point_case_pay += pay;
          h->s.points_e4 += points;
        }
      if (sp != NULL)
        {
          CmFen sfund;
          if (!cm_ledger_special_payment (yp, method, (CmSpecialPayRule) sp[0], sp[1], cost,
                                          patient, other, fund_ffs, &special_pay, &sfund))
            {
              overflow_error (error, "case", episode);
              return NULL;
            }
          special = sfund - fund;
          h->s.special_fen += special;
        }
      h->s.n_cases++;
      h->s.cost_fen += cost;
      h->s.case_fund_fen += fund;
      if (method == CM_PAY_METHOD_DRG || method == CM_PAY_METHOD_DIP)
        {
          h->s.pay_fen += sp ? special_pay : pay;
          h->s.ffs_fen += cost;
          if (weight > 0)
            {
              h->weight_e4 += weight;
              h->n_weighted++;
              region_w += weight;
              region_n++;
            }
        }
      {
        CmFen dpay = (sp ? special_pay : pay) - (done ? done[0] : 0);
        CmFen dfund = fund + special - (done ? done[1] : 0);
        if (dpay != 0 || dfund != 0)
          {
            cm_bind_int (post, 1, r->run_id);
            cm_bind_text (post, 2, episode);
            cm_bind_int (post, 3, version);
            cm_bind_text (post, 4, h->s.hospital_id);
            cm_bind_int (post, 5, dpay);
            cm_bind_int (post, 6, dfund);
            cm_bind_int (post, 7, GPOINTER_TO_INT (g_hash_table_lookup (month_run,
                                                                        cm_col_text (st, 17))));
            if (!cm_ledger_step_done (ledger, post, error))
              return NULL;
          }
      }
    }
  if (rc != SQLITE_DONE)
    {
      cm_ledger_fail (ledger, error, "read cases");
      return NULL;
    }
  g_clear_pointer (&st, sqlite3_finalize);

  /* the months' statements per hospital */
  st = cm_ledger_prepare (ledger, "SELECT s.hospital_id, SUM (s.payable_fen), "
                          "SUM (s.advance_fen), SUM (s.withheld_fen), SUM (s.deduct_fen), "
                          "MAX (s.level), MAX (s.county_id) FROM statement s JOIN run r ON "
                          "r.id = s.run_id WHERE r.region = ? AND r.kind = 'month' AND "
                          "r.current = 1 AND r.period >= ? AND r.period <= ? "
                          "GROUP BY s.hospital_id", error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, first);
  cm_bind_text (st, 3, last);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      HospYear *h = hosp_for (by_id, cm_col_text (st, 0), (int) cm_col_int (st, 5),
                              cm_col_text (st, 6));
      h->s.monthly_payable_fen = cm_col_int (st, 1);
      h->s.advances_fen = cm_col_int (st, 2);
      h->s.withheld_fen = cm_col_int (st, 3);
      h->s.deductions_fen = cm_col_int (st, 4);
    }
  g_clear_pointer (&st, sqlite3_finalize);

  /* per hospital: totals rounded once, assessment, true-up */
  hosp_list = g_ptr_array_new ();
  {
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init (&it, by_id);
    while (g_hash_table_iter_next (&it, NULL, &v))
      g_ptr_array_add (hosp_list, v);
  }
  g_ptr_array_sort (hosp_list, cmp_clearing);
  st = cm_ledger_prepare (ledger, "INSERT INTO clearing VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
                          "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (st == NULL)
    return NULL;
  for (guint i = 0; i < hosp_list->len; i++)
    {
      HospYear *h = hosp_list->pdata[i];
      CmClearingStatement *s = &h->s;
      const CmSettleHospital *cfg_h = cm_settle_config_lookup_hospital (config, year,
                                                                        s->hospital_id);
      CmFen pool_pay = 0;
      CmClearingInput in;
      CmClearing c;
      int k = 1;

      for (guint b = 0; b < h->n_buckets; b++)
        {
          CmFen amount;
          if (!cm_settle_pool_amount_fen (h->buckets[b].points_e4, h->buckets[b].pv_e4,
                                          &amount))
            {
              overflow_error (error, "hospital", s->hospital_id);
              return NULL;
            }
          pool_pay += amount;
          r->pool_pay_fen[h->buckets[b].pool] += amount;
        }
      s->rounding_fen = pool_pay - h->point_case_pay;
      s->final_payable_fen = s->case_fund_fen + s->rounding_fen + s->netting_fen
                             + s->special_fen;
      s->score_e4 = cfg_h && cfg_h->score_e4 >= 0 ? cfg_h->score_e4 : sy->default_score_e4;
      s->prepayment_fen = cfg_h ? cfg_h->prepayment_fen : 0;
      s->deductions_fen += cfg_h ? cfg_h->audit_deductions_fen : 0;
      s->cmi_e4 = cm_ledger_cmi (dip_family, h->weight_e4, h->n_weighted, region_w, region_n);
      if (!cm_settle_incentive (&sy->incentive, s->pay_fen, s->ffs_fen,
                                cfg_h ? cfg_h->reasonable_loss_fen : 0, NULL,
                                &s->incentive_fen))
        {
          overflow_error (error, "hospital", s->hospital_id);
          return NULL;
        }
      in = (CmClearingInput) { s->final_payable_fen, s->deductions_fen,
                               sy->quality_reserve_e4, s->score_e4, s->incentive_fen,
                               s->advances_fen, s->prepayment_fen };
      if (!cm_settle_clearing (&in, &c))
        {
          overflow_error (error, "hospital", s->hospital_id);
          return NULL;
        }
      s->assess_fen = c.assess_fen;
      s->due_fen = c.due_fen;
      s->clearing_fen = c.clearing_fen;

      cm_bind_int (st, k++, r->run_id);
      cm_bind_text (st, k++, s->hospital_id);
      cm_bind_int (st, k++, s->level);
      cm_bind_text (st, k++, s->county_id);
      cm_bind_int (st, k++, (gint64) s->n_cases);
      cm_bind_int (st, k++, s->points_e4);
      cm_bind_int (st, k++, s->cmi_e4);
      cm_bind_int (st, k++, s->cost_fen);
      cm_bind_int (st, k++, s->pay_fen);
      cm_bind_int (st, k++, s->ffs_fen);
      cm_bind_int (st, k++, s->monthly_payable_fen);
      cm_bind_int (st, k++, s->case_fund_fen);
      cm_bind_int (st, k++, s->rounding_fen);
      cm_bind_int (st, k++, s->netting_fen);
      cm_bind_int (st, k++, s->special_fen);
      cm_bind_int (st, k++, s->final_payable_fen);
      cm_bind_int (st, k++, s->deductions_fen);
      cm_bind_int (st, k++, s->score_e4);
      cm_bind_int (st, k++, s->assess_fen);
      cm_bind_int (st, k++, s->incentive_fen);
      cm_bind_int (st, k++, s->due_fen);
      cm_bind_int (st, k++, s->advances_fen);
      cm_bind_int (st, k++, s->withheld_fen);
      cm_bind_int (st, k++, s->prepayment_fen);
      cm_bind_int (st, k++, s->clearing_fen);
      if (!cm_ledger_step_done (ledger, st, error))
        return NULL;
      {
        CmClearingStatement *copy = g_new (CmClearingStatement, 1);
        *copy = *s;
        copy->hospital_id = g_strdup (s->hospital_id);
        copy->county_id = g_strdup (s->county_id);
        add_clearing_total (&r->total, copy);
        g_ptr_array_add (r->hospitals, copy);
      }
    }
  g_clear_pointer (&st, sqlite3_finalize);
  r->total.cmi_e4 = cm_ledger_cmi (dip_family, region_w, region_n, region_w, region_n);
  for (int p = 0; p < 3; p++)
    if (r->target_fen[p] != 0)
      r->residual_fen[p] = r->target_fen[p] - r->pool_pay_fen[p];
  st = cm_ledger_prepare (ledger, "UPDATE run SET pool0_fen = ?, pool1_fen = ?, "
                          "pool2_fen = ?, residual0_fen = ?, residual1_fen = ?, "
                          "residual2_fen = ? WHERE id = ?", error);
  if (st == NULL)
    return NULL;
  for (int p = 0; p < 3; p++)
    {
      cm_bind_int (st, 1 + p, r->pool_pay_fen[p]);
      cm_bind_int (st, 4 + p, r->residual_fen[p]);
    }
  cm_bind_int (st, 7, r->run_id);
  if (!cm_ledger_step_done (ledger, st, error))
    return NULL;
  {
    char fp[CM_MONEY_BUF], cl[CM_MONEY_BUF];
    cm_fen_format (r->total.final_payable_fen, fp);
    cm_fen_format (r->total.clearing_fen, cl);
    detail = g_strdup_printf ("run %" G_GINT64_FORMAT " (no. %d): %u hospitals, %"
                              G_GUINT64_FORMAT " cases, final payable %s, clearing %s",
                              r->run_id, r->run_no, r->hospitals->len, r->total.n_cases,
                              fp, cl);
  }
  if (!cm_ledger_audit_add (ledger, region, yperiod, "settle year", detail, error)
      || !cm_ledger_txn_commit (&txn, error))
    return NULL;
  return g_steal_pointer (&r);
}

CmYearResult *
cm_ledger_get_year (CmLedger *ledger, const char *region, int year, GError **error)
{
  g_autoptr (CmYearResult) r = NULL;
  g_autoptr (sqlite3_stmt) st = NULL;
  g_autofree char *yperiod = g_strdup_printf ("%04d", year);
  gint64 run;
  int rc;

  g_return_val_if_fail (ledger != NULL && region != NULL, NULL);
  run = cm_ledger_current_run (ledger, region, RUN_YEAR, yperiod, error);
  if (run < 0)
    return NULL;
  if (run == 0)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                   "%s: %d of region %s is not cleared (casemix settle year)",
                   ledger->path, year, region);
      return NULL;
    }
  r = g_new0 (CmYearResult, 1);
  g_strlcpy (r->region, region, sizeof r->region);
  r->year = year;
  r->run_id = run;
  r->hospitals = g_ptr_array_new_with_free_func (clearing_free);
  r->total.hospital_id = g_strdup ("TOTAL");
  r->total.county_id = g_strdup ("");
  {
    const CmLedgerRunFigures f = CM_LEDGER_RUN_FIGURES (r);
    st = cm_ledger_read_run (ledger, run, NULL, &f, error);
  }
  if (st == NULL)
    return NULL;
  g_clear_pointer (&st, sqlite3_finalize);
  if (!read_months (ledger, region, year, r, error))
    return NULL;
  st = cm_ledger_prepare (ledger, "SELECT hospital_id, level, county_id, n_cases, "
                          "points_e4, cmi_e4, cost_fen, pay_fen, ffs_fen, "
                          "monthly_payable_fen, case_fund_fen, rounding_fen, netting_fen, "
                          "special_fen, final_payable_fen, deductions_fen, score_e4, "
                          "assess_fen, incentive_fen, due_fen, advances_fen, withheld_fen, "
                          "prepayment_fen, clearing_fen FROM clearing WHERE run_id = ? "
                          "ORDER BY hospital_id", error);
  if (st == NULL)
    return NULL;
  cm_bind_int (st, 1, run);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      CmClearingStatement *s = g_new0 (CmClearingStatement, 1);
      int i = 0;
      s->hospital_id = g_strdup (cm_col_text (st, i++));
      s->level = (int) cm_col_int (st, i++);
      s->county_id = g_strdup (cm_col_text (st, i++));
      s->n_cases = (guint64) cm_col_int (st, i++);
      s->points_e4 = cm_col_int (st, i++);
      s->cmi_e4 = cm_col_int (st, i++);
      s->cost_fen = cm_col_int (st, i++);
      s->pay_fen = cm_col_int (st, i++);
      s->ffs_fen = cm_col_int (st, i++);
      s->monthly_payable_fen = cm_col_int (st, i++);
      s->case_fund_fen = cm_col_int (st, i++);
      s->rounding_fen = cm_col_int (st, i++);
      s->netting_fen = cm_col_int (st, i++);
      s->special_fen = cm_col_int (st, i++);
      s->final_payable_fen = cm_col_int (st, i++);
      s->deductions_fen = cm_col_int (st, i++);
      s->score_e4 = cm_col_int (st, i++);
      s->assess_fen = cm_col_int (st, i++);
      s->incentive_fen = cm_col_int (st, i++);
      s->due_fen = cm_col_int (st, i++);
      s->advances_fen = cm_col_int (st, i++);
      s->withheld_fen = cm_col_int (st, i++);
      s->prepayment_fen = cm_col_int (st, i++);
      s->clearing_fen = cm_col_int (st, i++);
      add_clearing_total (&r->total, s);
      g_ptr_array_add (r->hospitals, s);
    }
  if (rc != SQLITE_DONE)
    {
      cm_ledger_fail (ledger, error, "read clearing");
      return NULL;
    }
  return g_steal_pointer (&r);
}

/* ---- alliances ---------------------------------------------------------- */

gboolean
cm_ledger_import_alliance_charges (CmLedger *ledger, const char *region, int year,
                                   const char *path, GError **error)
{
  static const char *const cols[] = { "alliance_id", "month", "kind", "amount" };
  g_autofree char *bytes = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *detail = NULL;
  g_autoptr (sqlite3_stmt) del = NULL;
  g_autoptr (sqlite3_stmt) ins = NULL;
  g_auto (CmLedgerTxn) txn = { NULL, FALSE };
  GError *local = NULL;
  CmPayTsv t;
  CmFen total = 0;
  gsize len = 0;
  guint n = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (ledger != NULL && region != NULL && path != NULL, FALSE);
  if (g_file_get_contents (path, &bytes, &len, NULL))
    sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) bytes, len);
  if (!cm_pay_tsv_open (&t, path, cols, G_N_ELEMENTS (cols), 4, error))
    {
      cm_pay_tsv_close (&t);
      return FALSE;
    }
  if (!cm_ledger_txn_begin (ledger, &txn, error))
    {
      cm_pay_tsv_close (&t);
      return FALSE;
    }
  del = cm_ledger_prepare (ledger, "DELETE FROM alliance_charge WHERE region = ? AND "
                           "year = ?", error);
  ins = cm_ledger_prepare (ledger, "INSERT INTO alliance_charge VALUES (?, ?, ?, ?, ?, ?, ?) "
                           "ON CONFLICT DO UPDATE SET amount_fen = amount_fen + "
                           "excluded.amount_fen", error);
  if (del == NULL || ins == NULL)
    {
      cm_pay_tsv_close (&t);
      return FALSE;
    }
  cm_bind_text (del, 1, region);
  cm_bind_int (del, 2, year);
  ok = cm_ledger_step_done (ledger, del, error);
  while (ok && cm_pay_tsv_next (&t, &local))
    {
      const char *id = cm_pay_tsv_get (&t, 0), *month = cm_pay_tsv_get (&t, 1);
      const char *kind = cm_pay_tsv_get (&t, 2), *amount = cm_pay_tsv_get (&t, 3);
      const char *why = NULL;
      gint64 v;
      int y, m;

      if (*id == '\0')
        {
          cm_pay_tsv_error (&t, 0, error, "empty alliance id");
          ok = FALSE;
          break;
        }
      if (!cm_period_parse (month, &y, &m) || y != year)
        {
          cm_pay_tsv_error (&t, 1, error, "'%s' is not a month (YYYY-MM) of %d", month, year);
          ok = FALSE;
          break;
        }
      if (strcmp (kind, "out_of_county") != 0 && strcmp (kind, "outpatient") != 0
          && strcmp (kind, "other") != 0)
        {
          cm_pay_tsv_error (&t, 2, error, "'%s' is not out_of_county, outpatient or other",
                            kind);
          ok = FALSE;
          break;
        }
      if (!cm_scaled_parse (amount, 2, 0, CM_FEN_MAX, &v, &why))
        {
          cm_pay_tsv_error (&t, 3, error, "'%s': %s (yuan, at most 2 decimals)", amount,
                            why ? why : "out of range");
          ok = FALSE;
          break;
        }
      cm_bind_text (ins, 1, region);
      cm_bind_int (ins, 2, year);
      cm_bind_text (ins, 3, id);
      cm_bind_text (ins, 4, month);
      cm_bind_text (ins, 5, kind);
      cm_bind_int (ins, 6, v);
      cm_bind_text (ins, 7, sha ? sha : "");
      ok = cm_ledger_step_done (ledger, ins, error);
      total += v;
      n++;
    }
  cm_pay_tsv_close (&t);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  if (!ok)
    return FALSE;
  {
    char buf[CM_MONEY_BUF];
    g_autofree char *yp = g_strdup_printf ("%04d", year);
    g_autofree char *base = g_path_get_basename (path);
    cm_fen_format (total, buf);
    detail = g_strdup_printf ("%u alliance charges, %s yuan, from %s (sha256 %s)", n, buf,
                              base, sha ? sha : "?");
    if (!cm_ledger_audit_add (ledger, region, yp, "alliance charges", detail, error))
      return FALSE;
  }
  return cm_ledger_txn_commit (&txn, error);
}

static void
alliance_result_free (gpointer p)
{
  CmAllianceResult *a = p;
  g_free (a->alliance_id);
  g_free (a->name);
  g_free (a->county_id);
  g_free (a->members);
  g_free (a);
}

void
cm_alliance_year_free (CmAllianceYear *r)
{
  if (r == NULL)
    return;
  g_clear_pointer (&r->alliances, g_ptr_array_unref);
  g_free (r);
}

static void
format_tiers (const CmAllianceOutcome *o, GString *out)
{
  for (guint i = 0; i < o->n_tiers; i++)
    g_string_append_printf (out, "%s%" G_GINT64_FORMAT, i ? "|" : "", o->tier_fen[i]);
}

CmAllianceYear *
cm_ledger_settle_alliances (CmLedger *ledger, const CmSettleConfig *config,
                            const char *region, int year, GError **error)
{
  g_autoptr (CmAllianceYear) r = NULL;
  g_autoptr (GHashTable) amounts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                          g_free);
  g_autoptr (GHashTable) special = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                          NULL);
  g_autoptr (GHashTable) member_of = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                            g_free, NULL);
  g_autoptr (GHashTable) county_hosp = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                              g_free, g_free);
  g_autoptr (sqlite3_stmt) st = NULL;
  g_auto (CmLedgerTxn) txn = { NULL, FALSE };
  g_autofree char *first = g_strdup_printf ("%04d-01", year);
  g_autofree char *last = g_strdup_printf ("%04d-12", year);
  g_autofree char *yperiod = g_strdup_printf ("%04d", year);
  const CmSettleYear *sy;
  guint n;
  int rc;

  g_return_val_if_fail (ledger != NULL && config != NULL && region != NULL, NULL);
  sy = cm_settle_config_get_year (config, year);
  n = cm_settle_config_get_n_alliances (config, year);
  if (n == 0)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_CONFIG,
                   "%s: year %d lists no county alliance (<alliance><alliances href=…>)",
                   *cm_settle_config_get_path (config) ? cm_settle_config_get_path (config)
                   : "settlement defaults", year);
      return NULL;
    }
  r = g_new0 (CmAllianceYear, 1);
  g_strlcpy (r->region, region, sizeof r->region);
  r->year = year;
  r->method = sy->alliance.method;
  r->alliances = g_ptr_array_new_with_free_func (alliance_result_free);

  if (!cm_ledger_txn_begin (ledger, &txn, error))
    return NULL;
  r->final_amounts = cm_ledger_current_run (ledger, region, RUN_YEAR, yperiod, error) > 0;

  /* fund amounts per case: the current monthly runs (+ the clearing) */
  st = cm_ledger_prepare (ledger, "SELECT p.episode_id, SUM (p.fund_fen), "
                          "MAX (CASE WHEN p.kind = 'special' THEN 1 ELSE 0 END) FROM "
                          "posting p JOIN run r ON r.id = p.run_id WHERE r.region = ? AND "
                          "r.current = 1 AND ((r.kind = 'month' AND r.period >= ? AND "
                          "r.period <= ?) OR (r.kind = 'year' AND r.period = ?)) "
                          "GROUP BY p.episode_id", error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, first);
  cm_bind_text (st, 3, last);
  cm_bind_text (st, 4, yperiod);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      CmFen *v = g_new (CmFen, 1);
      *v = cm_col_int (st, 1);
      g_hash_table_insert (amounts, g_strdup (cm_col_text (st, 0)), v);
    }
  g_clear_pointer (&st, sqlite3_finalize);
  if (g_hash_table_size (amounts) == 0)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                   "%s: no month of %d is settled for region %s", ledger->path, year,
                   region);
      return NULL;
    }
  st = cm_ledger_prepare (ledger, "SELECT episode_id FROM special_case WHERE region = ? "
                          "AND state = ?", error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_int (st, 2, CM_SPECIAL_APPROVED);
  while (sqlite3_step (st) == SQLITE_ROW)
    g_hash_table_add (special, g_strdup (cm_col_text (st, 0)));
  g_clear_pointer (&st, sqlite3_finalize);

  /* hospitals of each county, for alliances listing no members */
  st = cm_ledger_prepare (ledger, "SELECT DISTINCT county_id, hospital_id FROM kase WHERE "
                          "region = ? AND active = 1 AND period >= ? AND period <= ? "
                          "ORDER BY county_id, hospital_id", error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, first);
  cm_bind_text (st, 3, last);
  while (sqlite3_step (st) == SQLITE_ROW)
    {
      const char *c = cm_col_text (st, 0), *h = cm_col_text (st, 1);
      char *old = g_hash_table_lookup (county_hosp, c);
      g_hash_table_insert (county_hosp, g_strdup (c),
                           old ? g_strdup_printf ("%s|%s", old, h) : g_strdup (h));
    }
  g_clear_pointer (&st, sqlite3_finalize);

  for (guint i = 0; i < n; i++)
    {
      const CmSettleAlliance *a = cm_settle_config_get_alliance (config, year, i);
      CmAllianceResult *res = g_new0 (CmAllianceResult, 1);
      g_auto (GStrv) members = NULL;

      res->alliance_id = g_strdup (a->alliance_id);
      res->name = g_strdup (a->name);
      res->county_id = g_strdup (a->county_id);
      res->insured = a->insured;
      res->score_e4 = a->score_e4;
      res->previous_actual_fen = a->previous_actual_fen;
      if (a->members[0] != NULL)
        res->members = g_strjoinv ("|", (char **) a->members);
      else
        res->members = g_strdup (g_hash_table_lookup (county_hosp, a->county_id)
                                 ? g_hash_table_lookup (county_hosp, a->county_id) : "");
      members = g_strsplit (res->members, "|", -1);
      for (guint m = 0; members[m]; m++)
        if (*members[m])
          {
            if (g_hash_table_contains (member_of, members[m]))
              {
                g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_CONFIG,
                             "%s: hospital %s belongs to two alliances of %d",
                             cm_settle_config_get_path (config), members[m], year);
                alliance_result_free (res);
                return NULL;
              }
            g_hash_table_insert (member_of, g_strdup (members[m]), GUINT_TO_POINTER (i + 1));
          }
      g_ptr_array_add (r->alliances, res);
    }

  /* in-county charges: fund payments for the local insured at members */
  st = cm_ledger_prepare (ledger, "SELECT episode_id, hospital_id FROM kase WHERE "
                          "region = ? AND active = 1 AND insured_region = ? AND "
                          "period >= ? AND period <= ?", error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_int (st, 2, CM_REGION_LOCAL);
  cm_bind_text (st, 3, first);
  cm_bind_text (st, 4, last);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      guint idx = GPOINTER_TO_UINT (g_hash_table_lookup (member_of, cm_col_text (st, 1)));
      const CmFen *v = g_hash_table_lookup (amounts, cm_col_text (st, 0));
      CmAllianceResult *res;

      if (idx == 0 || v == NULL)
        continue;
      res = r->alliances->pdata[idx - 1];
      if (sy->alliance.carve_out_special_cases
          && g_hash_table_contains (special, cm_col_text (st, 0)))
        {
          res->carved_out_fen += *v;
          continue;
        }
      res->n_cases++;
      res->in_county_fen += *v;
    }
  if (rc != SQLITE_DONE)
    {
      cm_ledger_fail (ledger, error, "read cases");
      return NULL;
    }
  g_clear_pointer (&st, sqlite3_finalize);

  /* other charges */
  st = cm_ledger_prepare (ledger, "SELECT alliance_id, kind, SUM (amount_fen) FROM "
                          "alliance_charge WHERE region = ? AND year = ? GROUP BY "
                          "alliance_id, kind", error);
  if (st == NULL)
    return NULL;
  cm_bind_text (st, 1, region);
  cm_bind_int (st, 2, year);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      const char *id = cm_col_text (st, 0), *kind = cm_col_text (st, 1);
      CmAllianceResult *res = NULL;
      for (guint i = 0; i < r->alliances->len; i++)
        if (strcmp (((CmAllianceResult *) r->alliances->pdata[i])->alliance_id, id) == 0)
          res = r->alliances->pdata[i];
      if (res == NULL)
        {
          g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_CONFIG,
                       "the charges of %d name alliance %s, which the settlement "
                       "configuration does not list", year, id);
          return NULL;
        }
      if (strcmp (kind, "out_of_county") == 0)
        res->out_of_county_fen += cm_col_int (st, 2);
      else if (strcmp (kind, "outpatient") == 0)
        res->outpatient_fen += cm_col_int (st, 2);
      else
        res->other_fen += cm_col_int (st, 2);
    }
  g_clear_pointer (&st, sqlite3_finalize);

  /* budgets (medical-alliance.md §2) */
  {
    g_autofree CmFen *b = g_new0 (CmFen, r->alliances->len);
    g_autofree CmFen *cb = g_new0 (CmFen, r->alliances->len);
    g_autofree CmFen *rs = g_new0 (CmFen, r->alliances->len);

    if (!cm_settle_config_alliance_budgets (config, year, b, cb, rs, error))
      return NULL;
    for (guint i = 0; i < r->alliances->len; i++)
      {
        CmAllianceResult *res = r->alliances->pdata[i];
        res->outcome.budget_fen = b[i];
        res->county_budget_fen = cb[i];
        res->reserve_fen = rs[i];
        if (sy->alliance.method == CM_ALLIANCE_BUDGET_FUND)
          for (guint c = 0; c < cm_settle_config_get_n_counties (config, year); c++)
            {
              const CmSettleCounty *k = cm_settle_config_get_county (config, year, c);
              if (strcmp (k->county_id, res->county_id) == 0)
                {
                  res->fund_fen = k->fund_fen;
                  res->ring_fenced_fen = k->ring_fenced_fen;
                }
            }
      }
  }

  /* outcomes (§4–§6) */
  {
    g_autoptr (sqlite3_stmt) ins = NULL;
    gint64 run;

    run = cm_ledger_new_run (ledger, region, RUN_ALLIANCE, yperiod, "",
                             cm_settle_config_get_sha256 (config), 0, FALSE, NULL, NULL,
                             NULL, NULL, NULL, NULL, 0, NULL, NULL, error);
    if (run < 0)
      return NULL;
    r->run_id = run;
    ins = cm_ledger_prepare (ledger, "INSERT INTO alliance_result VALUES (?, ?, ?, ?, ?, ?, "
                             "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                             "?, ?, ?, ?, ?)", error);
    if (ins == NULL)
      return NULL;
    for (guint i = 0; i < r->alliances->len; i++)
      {
        CmAllianceResult *res = r->alliances->pdata[i];
        const CmSettleAlliance *a = cm_settle_config_get_alliance (config, year, i);
        g_autoptr (GString) tiers = g_string_new (NULL);
        CmFen budget = res->outcome.budget_fen;
        CmFen actual = res->in_county_fen + res->out_of_county_fen + res->other_fen
                       + (sy->alliance.scope_outpatient ? res->outpatient_fen : 0);
        int k = 1;

        if (actual < 0)
          actual = 0;
        if (!cm_alliance_outcome (&sy->alliance, budget, actual, a->unreasonable_fen,
                                  res->score_e4, &res->outcome))
          {
            overflow_error (error, "alliance", res->alliance_id);
            return NULL;
          }
        format_tiers (&res->outcome, tiers);
        cm_bind_int (ins, k++, run);
        cm_bind_text (ins, k++, res->alliance_id);
        cm_bind_text (ins, k++, res->name);
        cm_bind_text (ins, k++, res->county_id);
        cm_bind_text (ins, k++, res->members);
        cm_bind_int (ins, k++, res->insured);
        cm_bind_int (ins, k++, res->fund_fen);
        cm_bind_int (ins, k++, res->ring_fenced_fen);
        cm_bind_int (ins, k++, res->reserve_fen);
        cm_bind_int (ins, k++, res->county_budget_fen);
        cm_bind_int (ins, k++, res->previous_actual_fen);
        cm_bind_int (ins, k++, (gint64) res->n_cases);
        cm_bind_int (ins, k++, res->in_county_fen);
        cm_bind_int (ins, k++, res->carved_out_fen);
        cm_bind_int (ins, k++, res->out_of_county_fen);
        cm_bind_int (ins, k++, res->outpatient_fen);
        cm_bind_int (ins, k++, res->other_fen);
        cm_bind_int (ins, k++, res->score_e4);
        cm_bind_int (ins, k++, res->outcome.budget_fen);
        cm_bind_int (ins, k++, res->outcome.actual_fen);
        cm_bind_int (ins, k++, res->outcome.surplus_fen);
        cm_bind_int (ins, k++, res->outcome.factor_e4);
        cm_bind_int (ins, k++, res->outcome.retained_fen);
        cm_bind_int (ins, k++, res->outcome.returned_fen);
        cm_bind_int (ins, k++, res->outcome.overspend_fen);
        cm_bind_int (ins, k++, res->outcome.unreasonable_fen);
        cm_bind_int (ins, k++, res->outcome.reasonable_fen);
        cm_bind_int (ins, k++, res->outcome.fund_bears_fen);
        cm_bind_int (ins, k++, res->outcome.alliance_bears_fen);
        cm_bind_int (ins, k++, res->outcome.fund_total_fen);
        cm_bind_text (ins, k++, tiers->str);
        if (!cm_ledger_step_done (ledger, ins, error))
          return NULL;
      }
  }
  {
    g_autofree char *detail = g_strdup_printf ("run %" G_GINT64_FORMAT ": %u alliances, %s "
                                               "budgets, charges from the %s",
                                               r->run_id, r->alliances->len,
                                               r->method == CM_ALLIANCE_BUDGET_FUND
                                               ? "fund-based" : "growth-based",
                                               r->final_amounts ? "clearing"
                                               : "monthly runs");
    if (!cm_ledger_audit_add (ledger, region, yperiod, "alliances", detail, error))
      return NULL;
  }
  if (!cm_ledger_txn_commit (&txn, error))
    return NULL;
  return g_steal_pointer (&r);
}

/* ---- conservation ------------------------------------------------------- */

typedef struct {
  GString *report;
  guint n_checks;
  guint n_failed;
} Checks;

static void G_GNUC_PRINTF (4, 5)
check (Checks *c, CmFen lhs, CmFen rhs, const char *format, ...)
{
  g_autofree char *what = NULL;
  char l[CM_MONEY_BUF], r[CM_MONEY_BUF];
  va_list ap;

  c->n_checks++;
  if (lhs != rhs)
    c->n_failed++;
  if (c->report == NULL || (lhs == rhs && format[0] == '.'))
    return;
  va_start (ap, format);
  what = g_strdup_vprintf (format[0] == '.' ? format + 1 : format, ap);
  va_end (ap);
  cm_fen_format (lhs, l);
  cm_fen_format (rhs, r);
  g_string_append_printf (c->report, "%s %s: %s %s %s\n", lhs == rhs ? "ok  " : "FAIL",
                          what, l, lhs == rhs ? "=" : "≠", r);
}

gboolean
cm_ledger_check_conservation (CmLedger *ledger, const char *region, int year,
                              GString *report, guint *n_checked, guint *n_failed,
                              GError **error)
{
  g_autoptr (sqlite3_stmt) runs = NULL;
  g_autofree char *first = g_strdup_printf ("%04d-01", year);
  g_autofree char *last = g_strdup_printf ("%04d-12", year);
  g_autofree char *yperiod = g_strdup_printf ("%04d", year);
  Checks c = { report, 0, 0 };
  gint64 yrun, arun;
  int rc;

  g_return_val_if_fail (ledger != NULL && region != NULL, FALSE);
  runs = cm_ledger_prepare (ledger, "SELECT id, period, pv_from_budget, "
                            "target0_fen + target1_fen + target2_fen, "
                            "pool0_fen + pool1_fen + pool2_fen, "
                            "residual0_fen + residual1_fen + residual2_fen FROM run WHERE "
                            "region = ? AND kind = 'month' AND current = 1 AND period >= ? "
                            "AND period <= ? ORDER BY period", error);
  if (runs == NULL)
    return FALSE;
  cm_bind_text (runs, 1, region);
  cm_bind_text (runs, 2, first);
  cm_bind_text (runs, 3, last);
  while ((rc = sqlite3_step (runs)) == SQLITE_ROW)
    {
      gint64 run = cm_col_int (runs, 0);
      g_autofree char *period = g_strdup (cm_col_text (runs, 1));
      g_autoptr (sqlite3_stmt) st = NULL;
      CmFen sum_adv = 0, sum_wh = 0, sum_base = 0, sum_case = 0, sum_special = 0;
      guint nh = 0;

      st = cm_ledger_prepare (ledger, "SELECT hospital_id, payable_fen, case_fund_fen, "
                              "special_fen, deduct_fen, advance_fen, withheld_fen FROM "
                              "statement WHERE run_id = ?", error);
      if (st == NULL)
        return FALSE;
      cm_bind_int (st, 1, run);
      while (sqlite3_step (st) == SQLITE_ROW)
        {
          CmFen payable = cm_col_int (st, 1), cf = cm_col_int (st, 2);
          CmFen sp = cm_col_int (st, 3), ded = cm_col_int (st, 4);
          CmFen adv = cm_col_int (st, 5), wh = cm_col_int (st, 6);
          nh++;
          check (&c, adv + wh, payable - ded, ".%s hospital %s: advance + withheld = "
                 "payable − deductions", period, cm_col_text (st, 0));
          check (&c, cf + sp, payable, ".%s hospital %s: case fund + special = payable",
                 period, cm_col_text (st, 0));
          sum_adv += adv;
          sum_wh += wh;
          sum_base += payable - ded;
          sum_case += cf;
          sum_special += sp;
        }
      g_clear_pointer (&st, sqlite3_finalize);
      check (&c, sum_adv + sum_wh, sum_base,
             "%s: %u hospitals: Σ advance + Σ withheld = Σ (payable − deductions)",
             period, nh);
      st = cm_ledger_prepare (ledger, "SELECT COALESCE (SUM (CASE WHEN kind = 'case' THEN "
                              "fund_fen END), 0), COALESCE (SUM (CASE WHEN kind = 'special' "
                              "THEN fund_fen END), 0) FROM posting WHERE run_id = ?", error);
      if (st == NULL)
        return FALSE;
      cm_bind_int (st, 1, run);
      if (sqlite3_step (st) == SQLITE_ROW)
        {
          check (&c, cm_col_int (st, 0), sum_case,
                 "%s: Σ case postings = Σ case fund of the statements", period);
          check (&c, cm_col_int (st, 1), sum_special,
                 "%s: Σ special-case postings = Σ special of the statements", period);
        }
      g_clear_pointer (&st, sqlite3_finalize);
      if (cm_col_int (runs, 2))
        {
          check (&c, cm_col_int (runs, 4) + cm_col_int (runs, 5), cm_col_int (runs, 3),
                 "%s: Σ point payments + point-value residual = budget target T_m",
                 period);
          st = cm_ledger_prepare (ledger, "SELECT COALESCE (SUM (p.pay_fen), 0) FROM "
                                  "posting p JOIN kase k ON k.episode_id = p.episode_id AND "
                                  "k.version = p.version AND k.region = ? WHERE "
                                  "p.run_id = ? AND p.kind = 'case' AND k.points_e4 > 0 AND "
                                  "k.pv_e4 > 0 AND (k.method = 0 OR (k.method = 1 AND "
                                  "k.class IN (0, 1, 2, 3)))", error);
          if (st == NULL)
            return FALSE;
          cm_bind_text (st, 1, region);
          cm_bind_int (st, 2, run);
          if (sqlite3_step (st) == SQLITE_ROW)
            check (&c, cm_col_int (st, 0), cm_col_int (runs, 4),
                   "%s: Σ posted point payments = the pools' payments", period);
        }
    }
  if (rc != SQLITE_DONE)
    return cm_ledger_fail (ledger, error, "read runs");

  yrun = cm_ledger_current_run (ledger, region, RUN_YEAR, yperiod, error);
  if (yrun < 0)
    return FALSE;
  if (yrun > 0)
    {
      g_autoptr (sqlite3_stmt) st = NULL;
      CmFen t_due = 0, t_clear = 0, t_adv = 0, t_pre = 0;
      guint nh = 0;

      st = cm_ledger_prepare (ledger, "SELECT c.hospital_id, c.final_payable_fen, "
                              "c.case_fund_fen, c.rounding_fen, c.netting_fen, "
                              "c.special_fen, c.deductions_fen, c.assess_fen, "
                              "c.incentive_fen, c.due_fen, c.advances_fen, "
                              "c.prepayment_fen, c.clearing_fen, c.monthly_payable_fen, "
                              "(SELECT COALESCE (SUM (p.fund_fen), 0) FROM posting p "
                              "WHERE p.run_id = c.run_id AND p.hospital_id = c.hospital_id) "
                              "FROM clearing c WHERE c.run_id = ?", error);
      if (st == NULL)
        return FALSE;
      cm_bind_int (st, 1, yrun);
      while (sqlite3_step (st) == SQLITE_ROW)
        {
          const char *h = cm_col_text (st, 0);
          CmFen fp = cm_col_int (st, 1), cf = cm_col_int (st, 2), ro = cm_col_int (st, 3);
          CmFen ne = cm_col_int (st, 4), sp = cm_col_int (st, 5), de = cm_col_int (st, 6);
          CmFen as = cm_col_int (st, 7), in = cm_col_int (st, 8), du = cm_col_int (st, 9);
          CmFen ad = cm_col_int (st, 10), pr = cm_col_int (st, 11), cl = cm_col_int (st, 12);
          CmFen mp = cm_col_int (st, 13), posted = cm_col_int (st, 14);

          nh++;
          check (&c, ad + pr + cl, du, ".%s hospital %s: advances + prepayment + clearing "
                 "= due", yperiod, h);
          check (&c, du + as + de - in, fp, ".%s hospital %s: due + assess + deductions − "
                 "incentive = final payable", yperiod, h);
          check (&c, cf + ro + ne + sp, fp, ".%s hospital %s: Σ case fund + rounding + "
                 "netting + special = final payable", yperiod, h);
          check (&c, mp + posted + ro + ne, fp, ".%s hospital %s: monthly payable + Σ "
                 "clearing postings + rounding + netting = final payable", yperiod, h);
          t_due += du;
          t_clear += cl;
          t_adv += ad;
          t_pre += pr;
        }
      g_clear_pointer (&st, sqlite3_finalize);
      check (&c, t_adv + t_pre + t_clear, t_due, "%s: %u hospitals: Σ advances + Σ "
             "prepayments + Σ clearing = Σ due", yperiod, nh);
      st = cm_ledger_prepare (ledger, "SELECT pv_from_budget, target0_fen + target1_fen + "
                              "target2_fen, pool0_fen + pool1_fen + pool2_fen, "
                              "residual0_fen + residual1_fen + residual2_fen FROM run "
                              "WHERE id = ?", error);
      if (st == NULL)
        return FALSE;
      cm_bind_int (st, 1, yrun);
      if (sqlite3_step (st) == SQLITE_ROW && cm_col_int (st, 0))
        check (&c, cm_col_int (st, 2) + cm_col_int (st, 3), cm_col_int (st, 1),
               "%s: Σ hospital point payments + point-value residual = budget target T",
               yperiod);
    }

  arun = cm_ledger_current_run (ledger, region, RUN_ALLIANCE, yperiod, error);
  if (arun < 0)
    return FALSE;
  if (arun > 0)
    {
      g_autoptr (sqlite3_stmt) st = NULL;
      g_autoptr (GHashTable) county_sum = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                                 g_free, g_free);
      GHashTableIter it;
      gpointer k, v;

      st = cm_ledger_prepare (ledger, "SELECT alliance_id, county_id, budget_fen, "
                              "actual_fen, retained_fen, returned_fen, fund_bears_fen, "
                              "alliance_bears_fen, county_budget_fen, fund_fen FROM "
                              "alliance_result WHERE run_id = ? ORDER BY alliance_id", error);
      if (st == NULL)
        return FALSE;
      cm_bind_int (st, 1, arun);
      while (sqlite3_step (st) == SQLITE_ROW)
        {
          const char *id = cm_col_text (st, 0);
          CmFen b = cm_col_int (st, 2), a = cm_col_int (st, 3);
          if (a <= b)
            check (&c, a + cm_col_int (st, 4) + cm_col_int (st, 5), b,
                   "%s alliance %s: actual + retained + returned = budget", yperiod, id);
          else
            check (&c, cm_col_int (st, 6) + cm_col_int (st, 7), a - b,
                   "%s alliance %s: fund's share + alliance's share = overspend",
                   yperiod, id);
          if (cm_col_int (st, 9) > 0)
            {
              CmFen *sum = g_hash_table_lookup (county_sum, cm_col_text (st, 1));
              if (sum == NULL)
                {
                  sum = g_new0 (CmFen, 2);
                  sum[1] = cm_col_int (st, 8);
                  g_hash_table_insert (county_sum, g_strdup (cm_col_text (st, 1)), sum);
                }
              sum[0] += b;
            }
        }
      g_hash_table_iter_init (&it, county_sum);
      while (g_hash_table_iter_next (&it, &k, &v))
        check (&c, ((CmFen *) v)[0], ((CmFen *) v)[1],
               "%s county %s: Σ alliance budgets = county budget", yperiod,
               (const char *) k);
    }
  if (report)
    g_string_append_printf (report, "%u identities checked, %u failed\n", c.n_checks,
                            c.n_failed);
  if (n_failed)
    *n_failed = c.n_failed;
  if (n_checked)
    *n_checked = c.n_checks;
  return TRUE;
}
