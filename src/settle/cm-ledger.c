/* cm-ledger.c — the ledger database: opening and schema, transactional
 * idempotent imports, deductions, audit trail and the content digest.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Durability. The database runs in rollback-journal mode with
 * synchronous=FULL: one file at rest (plus a journal only while a
 * transaction is open), and a process killed inside a transaction leaves
 * a hot journal that the next open rolls back. Every import is one
 * BEGIN IMMEDIATE … COMMIT, so a batch is either entirely in the ledger or
 * not at all; its identity (region, period, source, SHA-256 of the bytes)
 * makes a repeated import a no-op. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include "cm-ledger-private.h"
#include "cm-episode-reader.h"
#include "cm-pipeline.h"
#include "cm-timeline.h"

static const char LEDGER_SCHEMA[] =
  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS policy_version ("
  "  id INTEGER PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL,"
  "  sha256 TEXT NOT NULL, settle_sha256 TEXT NOT NULL,"
  "  UNIQUE (region, sha256, settle_sha256));"
  "CREATE TABLE IF NOT EXISTS batch ("
  "  id INTEGER PRIMARY KEY, region TEXT NOT NULL, period TEXT NOT NULL,"
  "  source TEXT NOT NULL, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL,"
  "  policy_version INTEGER NOT NULL, lines INTEGER NOT NULL DEFAULT 0,"
  "  accepted INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0,"
  "  added INTEGER NOT NULL DEFAULT 0, corrected INTEGER NOT NULL DEFAULT 0,"
  "  unchanged INTEGER NOT NULL DEFAULT 0, withdrawn INTEGER NOT NULL DEFAULT 0,"
  "  actor TEXT NOT NULL, imported_at TEXT NOT NULL);"
  "CREATE INDEX IF NOT EXISTS batch_source ON batch (region, period, source);"
  "CREATE TABLE IF NOT EXISTS reject ("
  "  batch_id INTEGER NOT NULL, line INTEGER NOT NULL, reason TEXT NOT NULL,"
  "  PRIMARY KEY (batch_id, line));"
  "CREATE TABLE IF NOT EXISTS kase ("
  "  region TEXT NOT NULL, episode_id TEXT NOT NULL, version INTEGER NOT NULL,"
  "  batch_id INTEGER NOT NULL, line INTEGER NOT NULL, period TEXT NOT NULL,"
  "  active INTEGER NOT NULL, reason TEXT NOT NULL, row_sha256 TEXT NOT NULL,"
  "  policy_version INTEGER NOT NULL,"
  "  hospital_id TEXT NOT NULL, level INTEGER NOT NULL, county_id TEXT NOT NULL,"
  "  insurance INTEGER NOT NULL, insured_region INTEGER NOT NULL,"
  "  admit_date INTEGER NOT NULL, discharge_date INTEGER NOT NULL,"
  "  los_days INTEGER NOT NULL, per_diem INTEGER NOT NULL,"
  "  diagnoses TEXT NOT NULL, procedures TEXT NOT NULL,"
  "  scheme TEXT NOT NULL, status TEXT NOT NULL, method INTEGER NOT NULL,"
  "  class INTEGER NOT NULL, review INTEGER NOT NULL, flags INTEGER NOT NULL,"
  "  group_code TEXT NOT NULL, priced_group TEXT NOT NULL,"
  "  weight_e4 INTEGER NOT NULL, coef_e4 INTEGER NOT NULL,"
  "  case_score_e4 INTEGER NOT NULL, points_e4 INTEGER NOT NULL,"
  "  pv_e4 INTEGER NOT NULL, ratio_e4 INTEGER NOT NULL,"
  "  standard_fen INTEGER NOT NULL, cost_fen INTEGER NOT NULL,"
  "  patient_fen INTEGER NOT NULL, other_fen INTEGER NOT NULL,"
  "  fund_ffs_fen INTEGER NOT NULL, pay_fen INTEGER NOT NULL,"
  "  fund_fen INTEGER NOT NULL,"
  "  PRIMARY KEY (region, episode_id, version));"
  "CREATE INDEX IF NOT EXISTS kase_period ON kase (region, period, active);"
  "CREATE INDEX IF NOT EXISTS kase_active ON kase (region, episode_id, active);"
  "CREATE INDEX IF NOT EXISTS kase_batch ON kase (batch_id);"
  "CREATE TABLE IF NOT EXISTS deduction ("
  "  region TEXT NOT NULL, period TEXT NOT NULL, hospital_id TEXT NOT NULL,"
  "  seq INTEGER NOT NULL, amount_fen INTEGER NOT NULL, reason TEXT NOT NULL,"
  "  source_sha256 TEXT NOT NULL,"
  "  PRIMARY KEY (region, period, hospital_id, seq));"
  "CREATE TABLE IF NOT EXISTS run ("
  "  id INTEGER PRIMARY KEY, region TEXT NOT NULL, kind TEXT NOT NULL,"
  "  period TEXT NOT NULL, run_no INTEGER NOT NULL, current INTEGER NOT NULL,"
  "  superseded_by INTEGER NOT NULL DEFAULT 0, policy_sha256 TEXT NOT NULL,"
  "  settle_sha256 TEXT NOT NULL, deadline INTEGER NOT NULL,"
  "  pv_from_budget INTEGER NOT NULL,"
  "  pv0_e4 INTEGER NOT NULL, pv1_e4 INTEGER NOT NULL, pv2_e4 INTEGER NOT NULL,"
  "  budget0_fen INTEGER NOT NULL, budget1_fen INTEGER NOT NULL,"
  "  budget2_fen INTEGER NOT NULL,"
  "  target0_fen INTEGER NOT NULL, target1_fen INTEGER NOT NULL,"
  "  target2_fen INTEGER NOT NULL,"
  "  points0_e4 INTEGER NOT NULL, points1_e4 INTEGER NOT NULL,"
  "  points2_e4 INTEGER NOT NULL,"
  "  pool0_fen INTEGER NOT NULL, pool1_fen INTEGER NOT NULL,"
  "  pool2_fen INTEGER NOT NULL,"
  "  residual0_fen INTEGER NOT NULL, residual1_fen INTEGER NOT NULL,"
  "  residual2_fen INTEGER NOT NULL, n_special INTEGER NOT NULL,"
  "  actor TEXT NOT NULL, created_at TEXT NOT NULL);"
  "CREATE INDEX IF NOT EXISTS run_period ON run (region, kind, period, current);"
  "CREATE TABLE IF NOT EXISTS statement ("
  "  run_id INTEGER NOT NULL, hospital_id TEXT NOT NULL, level INTEGER NOT NULL,"
  "  county_id TEXT NOT NULL, n_cases INTEGER NOT NULL, n_drg INTEGER NOT NULL,"
  "  n_dip INTEGER NOT NULL, n_per_diem INTEGER NOT NULL, n_ffs INTEGER NOT NULL,"
  "  n_high INTEGER NOT NULL, n_low INTEGER NOT NULL, n_extreme INTEGER NOT NULL,"
  "  n_weighted INTEGER NOT NULL, weight_e4 INTEGER NOT NULL,"
  "  points_e4 INTEGER NOT NULL, cmi_e4 INTEGER NOT NULL,"
  "  cost_fen INTEGER NOT NULL, pay_fen INTEGER NOT NULL,"
  "  patient_fen INTEGER NOT NULL, case_fund_fen INTEGER NOT NULL,"
  "  special_fen INTEGER NOT NULL, payable_fen INTEGER NOT NULL,"
  "  deduct_fen INTEGER NOT NULL, advance_fen INTEGER NOT NULL,"
  "  withheld_fen INTEGER NOT NULL, previous_advance_fen INTEGER NOT NULL,"
  "  PRIMARY KEY (run_id, hospital_id));"
  "CREATE TABLE IF NOT EXISTS posting ("
  "  run_id INTEGER NOT NULL, episode_id TEXT NOT NULL, kind TEXT NOT NULL,"
  "  version INTEGER NOT NULL, hospital_id TEXT NOT NULL,"
  "  pay_fen INTEGER NOT NULL, fund_fen INTEGER NOT NULL,"
  "  ref_run_id INTEGER NOT NULL,"
  "  PRIMARY KEY (run_id, episode_id, kind));"
  "CREATE INDEX IF NOT EXISTS posting_case ON posting (episode_id);"
  "CREATE TABLE IF NOT EXISTS clearing ("
  "  run_id INTEGER NOT NULL, hospital_id TEXT NOT NULL, level INTEGER NOT NULL,"
  "  county_id TEXT NOT NULL, n_cases INTEGER NOT NULL,"
  "  points_e4 INTEGER NOT NULL, cmi_e4 INTEGER NOT NULL,"
  "  cost_fen INTEGER NOT NULL, pay_fen INTEGER NOT NULL, ffs_fen INTEGER NOT NULL,"
  "  monthly_payable_fen INTEGER NOT NULL, case_fund_fen INTEGER NOT NULL,"
  "  rounding_fen INTEGER NOT NULL, netting_fen INTEGER NOT NULL,"
  "  special_fen INTEGER NOT NULL, final_payable_fen INTEGER NOT NULL,"
  "  deductions_fen INTEGER NOT NULL, score_e4 INTEGER NOT NULL,"
  "  assess_fen INTEGER NOT NULL, incentive_fen INTEGER NOT NULL,"
  "  due_fen INTEGER NOT NULL, advances_fen INTEGER NOT NULL,"
  "  withheld_fen INTEGER NOT NULL, prepayment_fen INTEGER NOT NULL,"
  "  clearing_fen INTEGER NOT NULL,"
  "  PRIMARY KEY (run_id, hospital_id));"
  "CREATE TABLE IF NOT EXISTS special_case ("
  "  region TEXT NOT NULL, episode_id TEXT NOT NULL, hospital_id TEXT NOT NULL,"
  "  cycle TEXT NOT NULL, state INTEGER NOT NULL, rule INTEGER NOT NULL,"
  "  amount_fen INTEGER NOT NULL, note TEXT NOT NULL,"
  "  applied_run_id INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (region, episode_id));"
  "CREATE TABLE IF NOT EXISTS special_event ("
  "  id INTEGER PRIMARY KEY, region TEXT NOT NULL, episode_id TEXT NOT NULL,"
  "  from_state INTEGER NOT NULL, to_state INTEGER NOT NULL, rule INTEGER NOT NULL,"
  "  amount_fen INTEGER NOT NULL, note TEXT NOT NULL, actor TEXT NOT NULL,"
  "  created_at TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS alliance_charge ("
  "  region TEXT NOT NULL, year INTEGER NOT NULL, alliance_id TEXT NOT NULL,"
  "  period TEXT NOT NULL, kind TEXT NOT NULL, amount_fen INTEGER NOT NULL,"
  "  source_sha256 TEXT NOT NULL,"
  "  PRIMARY KEY (region, year, alliance_id, period, kind));"
  "CREATE TABLE IF NOT EXISTS alliance_result ("
  "  run_id INTEGER NOT NULL, alliance_id TEXT NOT NULL, name TEXT NOT NULL,"
  "  county_id TEXT NOT NULL, members TEXT NOT NULL, insured INTEGER NOT NULL,"
  "  fund_fen INTEGER NOT NULL, ring_fenced_fen INTEGER NOT NULL,"
  "  reserve_fen INTEGER NOT NULL, county_budget_fen INTEGER NOT NULL,"
  "  previous_actual_fen INTEGER NOT NULL, n_cases INTEGER NOT NULL,"
  "  in_county_fen INTEGER NOT NULL, carved_out_fen INTEGER NOT NULL,"
  "  out_of_county_fen INTEGER NOT NULL, outpatient_fen INTEGER NOT NULL,"
  "  other_fen INTEGER NOT NULL, score_e4 INTEGER NOT NULL,"
  "  budget_fen INTEGER NOT NULL, actual_fen INTEGER NOT NULL,"
  "  surplus_fen INTEGER NOT NULL, factor_e4 INTEGER NOT NULL,"
  "  retained_fen INTEGER NOT NULL, returned_fen INTEGER NOT NULL,"
  "  overspend_fen INTEGER NOT NULL, unreasonable_fen INTEGER NOT NULL,"
  "  reasonable_fen INTEGER NOT NULL, fund_bears_fen INTEGER NOT NULL,"
  "  alliance_bears_fen INTEGER NOT NULL, fund_total_fen INTEGER NOT NULL,"
  "  tiers TEXT NOT NULL,"
  "  PRIMARY KEY (run_id, alliance_id));"
  "CREATE TABLE IF NOT EXISTS audit ("
  "  id INTEGER PRIMARY KEY, region TEXT NOT NULL, period TEXT NOT NULL,"
  "  action TEXT NOT NULL, detail TEXT NOT NULL, actor TEXT NOT NULL,"
  "  created_at TEXT NOT NULL);";

/* ---- helpers ------------------------------------------------------------ */

gboolean
cm_ledger_fail (CmLedger *ledger, GError **error, const char *what)
{
  g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_LEDGER, "%s: %s: %s",
               ledger->path, what, sqlite3_errmsg (ledger->db));
  return FALSE;
}

gboolean
cm_ledger_exec (CmLedger *ledger, const char *sql, GError **error)
{
  char *msg = NULL;

  if (sqlite3_exec (ledger->db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_LEDGER, "%s: %s",
                   ledger->path, msg ? msg : sqlite3_errmsg (ledger->db));
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

sqlite3_stmt *
cm_ledger_prepare (CmLedger *ledger, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;

  if (sqlite3_prepare_v2 (ledger->db, sql, -1, &st, NULL) != SQLITE_OK)
    {
      cm_ledger_fail (ledger, error, "prepare");
      return NULL;
    }
  return st;
}

gboolean
cm_ledger_step_done (CmLedger *ledger, sqlite3_stmt *st, GError **error)
{
  int rc = sqlite3_step (st);

  sqlite3_reset (st);
  sqlite3_clear_bindings (st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return cm_ledger_fail (ledger, error, "write");
  return TRUE;
}

gboolean
cm_ledger_txn_begin (CmLedger *ledger, CmLedgerTxn *txn, GError **error)
{
  txn->ledger = ledger;
  txn->open = FALSE;
  if (ledger->depth == 0 && !cm_ledger_exec (ledger, "BEGIN IMMEDIATE", error))
    return FALSE;
  ledger->depth++;
  txn->open = TRUE;
  return TRUE;
}

gboolean
cm_ledger_txn_commit (CmLedgerTxn *txn, GError **error)
{
  CmLedger *ledger = txn->ledger;

  if (ledger->depth == 1 && !cm_ledger_exec (ledger, "COMMIT", error))
    return FALSE;
  ledger->depth--;
  txn->open = FALSE;
  return TRUE;
}

void
cm_ledger_txn_clear (CmLedgerTxn *txn)
{
  if (!txn->open)
    return;
  txn->open = FALSE;
  txn->ledger->depth--;
  if (txn->ledger->depth == 0)
    sqlite3_exec (txn->ledger->db, "ROLLBACK", NULL, NULL, NULL);
  else
    txn->ledger->poisoned = TRUE;
}

gboolean
cm_ledger_begin (CmLedger *ledger, GError **error)
{
  g_return_val_if_fail (ledger != NULL, FALSE);
  if (ledger->depth > 0)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                   "%s: a group of operations is already open", ledger->path);
      return FALSE;
    }
  if (!cm_ledger_exec (ledger, "BEGIN IMMEDIATE", error))
    return FALSE;
  ledger->depth = 1;
  ledger->poisoned = FALSE;
  return TRUE;
}

gboolean
cm_ledger_commit (CmLedger *ledger, GError **error)
{
  g_return_val_if_fail (ledger != NULL, FALSE);
  if (ledger->depth != 1)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                   "%s: no group of operations is open", ledger->path);
      return FALSE;
    }
  if (ledger->poisoned)
    {
      cm_ledger_rollback (ledger);
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                   "%s: an operation of the group failed; the group was rolled back",
                   ledger->path);
      return FALSE;
    }
  if (!cm_ledger_exec (ledger, "COMMIT", error))
    {
      cm_ledger_rollback (ledger);
      return FALSE;
    }
  ledger->depth = 0;
  return TRUE;
}

void
cm_ledger_rollback (CmLedger *ledger)
{
  g_return_if_fail (ledger != NULL);
  if (ledger->depth > 0)
    sqlite3_exec (ledger->db, "ROLLBACK", NULL, NULL, NULL);
  ledger->depth = 0;
  ledger->poisoned = FALSE;
}

char *
cm_ledger_now (void)
{
  const char *epoch = g_getenv ("SOURCE_DATE_EPOCH");
  g_autoptr (GDateTime) t = NULL;
  gint64 secs;

  if (epoch != NULL && cm_scaled_parse (epoch, 0, 0, G_GINT64_CONSTANT (253402300799),
                                        &secs, NULL))
    t = g_date_time_new_from_unix_utc (secs);
  else
    t = g_date_time_new_now_utc ();
  return g_date_time_format (t, "%Y-%m-%dT%H:%M:%SZ");
}

gboolean
cm_ledger_audit_add (CmLedger *ledger, const char *region, const char *period,
                     const char *action, const char *detail, GError **error)
{
  g_autoptr (sqlite3_stmt) st = NULL;
  g_autofree char *now = cm_ledger_now ();

  st = cm_ledger_prepare (ledger, "INSERT INTO audit (region, period, action, detail, "
                          "actor, created_at) VALUES (?, ?, ?, ?, ?, ?)", error);
  if (st == NULL)
    return FALSE;
  cm_bind_text (st, 1, region ? region : "");
  cm_bind_text (st, 2, period ? period : "");
  cm_bind_text (st, 3, action);
  cm_bind_text (st, 4, detail ? detail : "");
  cm_bind_text (st, 5, ledger->actor);
  cm_bind_text (st, 6, now);
  return cm_ledger_step_done (ledger, st, error);
}

gboolean
cm_period_parse (const char *period, int *year, int *month)
{
  gint64 y, m;
  char ys[5], ms[3];

  if (period == NULL || strlen (period) != 7 || period[4] != '-')
    return FALSE;
  memcpy (ys, period, 4);
  ys[4] = '\0';
  memcpy (ms, period + 5, 2);
  ms[2] = '\0';
  if (!cm_scaled_parse (ys, 0, 1900, 9999, &y, NULL)
      || !cm_scaled_parse (ms, 0, 1, 12, &m, NULL))
    return FALSE;
  *year = (int) y;
  *month = (int) m;
  return TRUE;
}

void
cm_period_days (int year, int month, gint32 *first, gint32 *last)
{
  static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  char buf[11];

  g_snprintf (buf, sizeof buf, "%04d-%02d-01", year, month);
  cm_date_parse (buf, first);
  g_snprintf (buf, sizeof buf, "%04d-%02d-%02d", year, month,
              mdays[month - 1] + (month == 2 ? leap : 0));
  cm_date_parse (buf, last);
}

gint64
cm_ledger_current_run (CmLedger *ledger, const char *region, const char *kind,
                       const char *period, GError **error)
{
  g_autoptr (sqlite3_stmt) st = NULL;
  gint64 id = 0;
  int rc;

  st = cm_ledger_prepare (ledger, "SELECT id FROM run WHERE region = ? AND kind = ? "
                          "AND period = ? AND current = 1", error);
  if (st == NULL)
    return -1;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, kind);
  cm_bind_text (st, 3, period);
  rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    id = cm_col_int (st, 0);
  else if (rc != SQLITE_DONE)
    {
      cm_ledger_fail (ledger, error, "read runs");
      return -1;
    }
  return id;
}

const CmFundShareRule *
cm_ledger_fund_rule (const CmYearParams *y, int method)
{
  if (y == NULL)
    return NULL;
  switch (method)
    {
    case CM_PAY_METHOD_DRG:
      return y->drg.present ? &y->drg.fund : NULL;
    case CM_PAY_METHOD_DIP:
      return y->dip.present ? &y->dip.fund : NULL;
    case CM_PAY_METHOD_PER_DIEM:
      return &y->per_diem_fund;
    default:
      return y->drg.present ? &y->drg.fund : y->dip.present ? &y->dip.fund : NULL;
    }
}

CmE4
cm_ledger_cmi (gboolean dip, CmE4 weight_e4, guint64 n, CmE4 region_weight_e4,
               guint64 region_n)
{
  gint64 out = 0;

  if (n == 0)
    return 0;
  if (!dip)
    {
      /* indicators.md §1: CMI = total weight ÷ grouped cases, 4 dp */
      cm_wide_div_half_up ((CmWide) weight_e4, (CmWide) n, &out);
      return out;
    }
  /* indicators.md §3: (Σ_h / N_h) ÷ (Σ_region / N_region) */
  if (region_n == 0 || region_weight_e4 <= 0)
    return 0;
  cm_wide_div_half_up ((CmWide) weight_e4 * (CmWide) region_n * CM_E4_ONE,
                       (CmWide) n * region_weight_e4, &out);
  return out;
}

gboolean
cm_ledger_special_payment (const CmYearParams *y, int method, CmSpecialPayRule rule,
                           CmFen amount_fen, CmFen cost_fen, CmFen patient_fen,
                           CmFen other_fen, CmFen fund_ffs_fen, CmFen *pay_fen,
                           CmFen *fund_fen)
{
  const CmFundShareRule *fr = cm_ledger_fund_rule (y, method);
  CmFundShareRule def = { CM_FUND_SHARE_DIFFERENCE, TRUE };

  /* settlement.md §5: approved cases are paid FFS or a reviewed amount;
   * the fund pays its share by the method's rule */
  *pay_fen = rule == CM_SPECIAL_PAY_FFS ? cost_fen : amount_fen;
  return cm_price_fund_share (fr ? fr : &def, *pay_fen, patient_fen, other_fen,
                              fund_ffs_fen, cost_fen, fund_fen);
}

/* ---- open --------------------------------------------------------------- */

CmLedger *
cm_ledger_open (const char *path, GError **error)
{
  g_autoptr (CmLedger) ledger = NULL;
  g_autoptr (sqlite3_stmt) st = NULL;
  const char *user = g_getenv ("USER");
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  ledger = g_new0 (CmLedger, 1);
  ledger->path = g_strdup (path);
  ledger->actor = g_strdup (user && *user ? user : "casemix");
  rc = sqlite3_open_v2 (path, &ledger->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                        | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_LEDGER, "%s: %s", path,
                   ledger->db ? sqlite3_errmsg (ledger->db) : sqlite3_errstr (rc));
      return NULL;
    }
  sqlite3_busy_timeout (ledger->db, 10000);
  if (!cm_ledger_exec (ledger, "PRAGMA journal_mode = DELETE;"
                       "PRAGMA synchronous = FULL;"
                       "PRAGMA foreign_keys = OFF;", error))
    return NULL;
  if (!cm_ledger_exec (ledger, "BEGIN IMMEDIATE", error))
    return NULL;
  if (!cm_ledger_exec (ledger, LEDGER_SCHEMA, error))
    {
      sqlite3_exec (ledger->db, "ROLLBACK", NULL, NULL, NULL);
      return NULL;
    }
  st = cm_ledger_prepare (ledger, "SELECT value FROM meta WHERE key = 'schema'", error);
  if (st == NULL)
    {
      sqlite3_exec (ledger->db, "ROLLBACK", NULL, NULL, NULL);
      return NULL;
    }
  rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    {
      gint64 v = cm_col_int (st, 0);
      if (v > CM_LEDGER_SCHEMA_VERSION)
        {
          sqlite3_exec (ledger->db, "ROLLBACK", NULL, NULL, NULL);
          g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_LEDGER,
                       "%s: ledger schema %" G_GINT64_FORMAT " is newer than this "
                       "casemix (%d)", path, v, CM_LEDGER_SCHEMA_VERSION);
          return NULL;
        }
    }
  g_clear_pointer (&st, sqlite3_finalize);
  if (!cm_ledger_exec (ledger, "INSERT OR IGNORE INTO meta VALUES ('schema', '1');"
                       "INSERT OR IGNORE INTO meta VALUES ('format', "
                       "'casemix settlement ledger');"
                       "COMMIT", error))
    {
      sqlite3_exec (ledger->db, "ROLLBACK", NULL, NULL, NULL);
      return NULL;
    }
  return g_steal_pointer (&ledger);
}

void
cm_ledger_free (CmLedger *ledger)
{
  if (ledger == NULL)
    return;
  if (ledger->db && ledger->depth > 0)
    sqlite3_exec (ledger->db, "ROLLBACK", NULL, NULL, NULL);
  if (ledger->db)
    sqlite3_close_v2 (ledger->db);
  g_free (ledger->path);
  g_free (ledger->actor);
  g_free (ledger);
}

const char *
cm_ledger_get_path (const CmLedger *ledger)
{
  g_return_val_if_fail (ledger != NULL, NULL);
  return ledger->path;
}

void
cm_ledger_set_actor (CmLedger *ledger, const char *actor)
{
  g_return_if_fail (ledger != NULL && actor != NULL);
  g_free (ledger->actor);
  ledger->actor = g_strdup (actor);
}

/* ---- import ------------------------------------------------------------- */

static gint
cmp_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* SHA-256 over the pack: every .xml and .tsv file of the policy folder
 * (sorted names) and every weight / score table the policy's years use. */
static char *
pack_sha256 (CmPolicy *policy)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *dir = g_path_get_dirname (cm_policy_get_path (policy));
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)) != NULL)
    {
      char *p;
      /* the pack's tables only (a ledger kept in the folder is not one) */
      if (!g_str_has_suffix (name, ".xml") && !g_str_has_suffix (name, ".tsv"))
        continue;
      p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (files, p);
      else
        g_free (p);
    }
  for (guint i = 0; i < policy->years->len; i++)
    {
      const CmYearParams *y = &g_array_index (policy->years, CmYearParams, i);
      if (y->drg.present && y->drg.weights)
        g_ptr_array_add (files, g_strdup (cm_catalogue_get_path (y->drg.weights)));
      if (y->dip.present && y->dip.scores)
        g_ptr_array_add (files, g_strdup (cm_catalogue_get_path (y->dip.scores)));
    }
  g_ptr_array_sort (files, cmp_paths);
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *bytes = NULL;
      g_autofree char *base = g_path_get_basename (files->pdata[i]);
      gsize len = 0;

      if (i > 0 && strcmp (files->pdata[i], files->pdata[i - 1]) == 0)
        continue;
      if (!g_file_get_contents (files->pdata[i], &bytes, &len, NULL))
        continue;
      g_checksum_update (sum, (const guchar *) base, strlen (base) + 1);
      g_checksum_update (sum, (const guchar *) bytes, len);
    }
  return g_strdup (g_checksum_get_string (sum));
}

/* Every field of the episode in a fixed order: the row's identity for
 * corrections (any change in any field makes a new version). */
static void
episode_canonical (const CmEpisode *e, GString *s)
{
  char d1[11], d2[11];

  g_string_truncate (s, 0);
  cm_date_format (e->admit_date, d1);
  cm_date_format (e->discharge_date, d2);
  g_string_append_printf (s, "%s\x1f%s\x1f%s\x1f%d\x1f%s\x1f%d\x1f%d\x1f%s\x1f%s\x1f%s"
                          "\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f",
                          e->episode_id, e->patient_id ? e->patient_id : "",
                          e->hospital_id ? e->hospital_id : "", e->hospital_level,
                          e->county_id ? e->county_id : "", e->insurance_type,
                          e->insured_region, e->sex.text ? e->sex.text : "",
                          e->age_years.text ? e->age_years.text : "",
                          e->age_days.text ? e->age_days.text : "",
                          e->weight_g.text ? e->weight_g.text : "", d1, d2,
                          e->los_days.text ? e->los_days.text : "",
                          e->dept.text ? e->dept.text : "",
                          e->discharge.text ? e->discharge.text : "",
                          e->icu_hours.text ? e->icu_hours.text : "");
  for (guint i = 0; i < e->n_dx; i++)
    g_string_append_printf (s, "%s%s", i ? "|" : "", e->dx[i] ? e->dx[i] : "");
  g_string_append_c (s, '\x1f');
  for (guint i = 0; i < e->n_px; i++)
    g_string_append_printf (s, "%s%s", i ? "|" : "", e->px[i] ? e->px[i] : "");
  g_string_append_printf (s, "\x1f%" G_GINT64_FORMAT "\x1f%" G_GINT64_FORMAT "\x1f%"
                          G_GINT64_FORMAT "\x1f%" G_GINT64_FORMAT "\x1f%d",
                          e->total_cost_fen, e->out_of_catalogue_cost_fen,
                          e->patient_copay_fen, e->fund_paid_ffs_fen,
                          e->per_diem_category);
}

static void
join_codes (const char *const *codes, guint n, GString *out)
{
  g_string_truncate (out, 0);
  for (guint i = 0; i < n; i++)
    {
      if (i)
        g_string_append_c (out, '|');
      g_string_append (out, codes[i] ? codes[i] : "");
    }
}

/* Special-case flags of a priced case (settlement.md §5). */
static guint
special_flags (const CmSettleYear *sy, const CmSettleConfig *cfg, int year,
               const CmEpisode *ep, const CmPricedCase *pc)
{
  guint f = 0;

  if (pc->method != CM_PAY_METHOD_DRG && pc->method != CM_PAY_METHOD_DIP)
    return 0;
  if (pc->case_class == CM_CASE_HIGH)
    f |= CM_SPECIAL_FLAG_HIGH;
  if (pc->case_class == CM_CASE_EXTREME || pc->review)
    f |= CM_SPECIAL_FLAG_EXTREME;
  if (sy->special_long_stay_days > 0 && pc->los_days >= sy->special_long_stay_days)
    f |= CM_SPECIAL_FLAG_LONG_STAY;
  if (pc->standard_fen > 0 && sy->special_high_cost_e4 > 0
      && (CmWide) pc->cost_fen * CM_E4_ONE
         > (CmWide) sy->special_high_cost_e4 * pc->standard_fen)
    f |= CM_SPECIAL_FLAG_HIGH_COST;
  for (guint i = 0; i < ep->n_px; i++)
    if (cm_settle_config_is_new_technology (cfg, year, ep->px[i]))
      {
        f |= CM_SPECIAL_FLAG_NEW_TECH;
        break;
      }
  return f;
}

/* The episode file line by line from memory, with the physical line
 * number of every record (the streaming reader of cm-episode-reader.h
 * does the same checks but does not expose it): BOM, CRLF, empty lines,
 * over-long lines, the header, duplicate ids. */
typedef struct {
  const char *data;
  gsize size, pos;
  guint64 line_no;
  gboolean header_done;
  CmEpisodeParser *parser;
  CmIdSet *ids;
  char *buf;
} LineReader;

static void
line_reader_clear (LineReader *lr)
{
  g_clear_pointer (&lr->parser, cm_episode_parser_free);
  g_clear_pointer (&lr->ids, cm_id_set_free);
  g_clear_pointer (&lr->buf, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LineReader, line_reader_clear)

static void
reject_line (CmReject *rej, guint64 line, const char *key, const char *msg)
{
  rej->line = line;
  rej->key = key;
  g_strlcpy (rej->message, msg, sizeof rej->message);
}

static CmReadResult
line_reader_next (LineReader *lr, CmEpisode *ep, CmReject *rej, GError **error)
{
  for (;;)
    {
      const char *start, *nl;
      gsize len;

      if (lr->pos >= lr->size)
        return CM_READ_EOF;
      start = lr->data + lr->pos;
      nl = memchr (start, '\n', lr->size - lr->pos);
      len = nl ? (gsize) (nl - start) : lr->size - lr->pos;
      lr->pos += len + (nl ? 1 : 0);
      lr->line_no++;
      if (len > 0 && start[len - 1] == '\r')
        len--;
      if (!lr->header_done && len >= 3 && memcmp (start, "\xEF\xBB\xBF", 3) == 0)
        {
          start += 3;
          len -= 3;
        }
      if (len > CM_MAX_LINE_LEN)
        {
          if (!lr->header_done)
            lr->header_done = TRUE;
          reject_line (rej, lr->line_no, "field_length", "line longer than the limit");
          return CM_READ_REJECT;
        }
      memcpy (lr->buf, start, len);
      lr->buf[len] = '\0';
      if (!lr->header_done)
        {
          lr->header_done = TRUE;
          if (cm_episode_parser_set_header (lr->parser, lr->buf, len, rej, error))
            continue;
          return error && *error ? CM_READ_ERROR : CM_READ_REJECT;
        }
      if (len == 0)
        continue;
      if (!cm_episode_parser_parse_line (lr->parser, lr->buf, len, lr->line_no, ep, rej))
        return CM_READ_REJECT;
      if (!cm_id_set_add_hash (lr->ids, cm_id_hash (ep->episode_id)))
        {
          g_autofree char *m = g_strdup_printf ("episode_id %s is already used by an "
                                                "earlier record", ep->episode_id);
          reject_line (rej, lr->line_no, "duplicate_id", m);
          return CM_READ_REJECT;
        }
      return CM_READ_EPISODE;
    }
}

typedef struct {
  sqlite3_stmt *find;      /* active version of an episode */
  sqlite3_stmt *maxver;
  sqlite3_stmt *deactivate;
  sqlite3_stmt *insert;
  sqlite3_stmt *reject;
} ImportStmts;

static void
import_stmts_clear (ImportStmts *s)
{
  g_clear_pointer (&s->find, sqlite3_finalize);
  g_clear_pointer (&s->maxver, sqlite3_finalize);
  g_clear_pointer (&s->deactivate, sqlite3_finalize);
  g_clear_pointer (&s->insert, sqlite3_finalize);
  g_clear_pointer (&s->reject, sqlite3_finalize);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ImportStmts, import_stmts_clear)

static gint64
policy_version_id (CmLedger *ledger, CmPolicy *policy, const CmSettleConfig *cfg,
                   const char *sha, GError **error)
{
  g_autoptr (sqlite3_stmt) ins = NULL;
  g_autoptr (sqlite3_stmt) sel = NULL;

  ins = cm_ledger_prepare (ledger, "INSERT OR IGNORE INTO policy_version (region, name, "
                           "sha256, settle_sha256) VALUES (?, ?, ?, ?)", error);
  if (ins == NULL)
    return -1;
  cm_bind_text (ins, 1, cm_policy_get_region (policy));
  cm_bind_text (ins, 2, cm_policy_get_name (policy));
  cm_bind_text (ins, 3, sha);
  cm_bind_text (ins, 4, cm_settle_config_get_sha256 (cfg));
  if (!cm_ledger_step_done (ledger, ins, error))
    return -1;
  sel = cm_ledger_prepare (ledger, "SELECT id FROM policy_version WHERE region = ? AND "
                           "sha256 = ? AND settle_sha256 = ?", error);
  if (sel == NULL)
    return -1;
  cm_bind_text (sel, 1, cm_policy_get_region (policy));
  cm_bind_text (sel, 2, sha);
  cm_bind_text (sel, 3, cm_settle_config_get_sha256 (cfg));
  if (sqlite3_step (sel) != SQLITE_ROW)
    {
      cm_ledger_fail (ledger, error, "policy version");
      return -1;
    }
  return cm_col_int (sel, 0);
}

static gboolean
insert_case (CmLedger *ledger, ImportStmts *s, const char *region, const char *period,
             gint64 batch, guint64 line, gint64 version, const char *reason,
             const char *row_sha, gint64 pv_id, const CmEpisode *ep,
             const CmPricedCase *pc, guint flags, GString *dx, GString *px,
             GError **error)
{
  sqlite3_stmt *st = s->insert;
  int i = 1;

  join_codes (ep->dx, ep->n_dx, dx);
  join_codes (ep->px, ep->n_px, px);
  cm_bind_text (st, i++, region);
  cm_bind_text (st, i++, ep->episode_id);
  cm_bind_int (st, i++, version);
  cm_bind_int (st, i++, batch);
  cm_bind_int (st, i++, (gint64) line);
  cm_bind_text (st, i++, period);
  cm_bind_text (st, i++, reason);
  cm_bind_text (st, i++, row_sha);
  cm_bind_int (st, i++, pv_id);
  cm_bind_text (st, i++, ep->hospital_id ? ep->hospital_id : "");
  cm_bind_int (st, i++, ep->hospital_level);
  cm_bind_text (st, i++, ep->county_id ? ep->county_id : "");
  cm_bind_int (st, i++, ep->insurance_type);
  cm_bind_int (st, i++, ep->insured_region);
  cm_bind_int (st, i++, ep->admit_date);
  cm_bind_int (st, i++, ep->discharge_date);
  cm_bind_int (st, i++, pc->los_days);
  cm_bind_int (st, i++, ep->per_diem_category);
  cm_bind_text (st, i++, dx->str);
  cm_bind_text (st, i++, px->str);
  cm_bind_text (st, i++, pc->scheme_id);
  cm_bind_text (st, i++, pc->group.status ? pc->group.status : "");
  cm_bind_int (st, i++, pc->method);
  cm_bind_int (st, i++, pc->case_class);
  cm_bind_int (st, i++, pc->review);
  cm_bind_int (st, i++, flags);
  cm_bind_text (st, i++, pc->group_code ? pc->group_code : "");
  cm_bind_text (st, i++, pc->priced_group ? pc->priced_group : "");
  cm_bind_int (st, i++, pc->weight_e4);
  cm_bind_int (st, i++, pc->coefficient_e4);
  cm_bind_int (st, i++, pc->case_score_e4);
  cm_bind_int (st, i++, pc->points_e4);
  cm_bind_int (st, i++, pc->point_value_e4);
  cm_bind_int (st, i++, pc->ratio_e4);
  cm_bind_int (st, i++, pc->standard_fen);
  cm_bind_int (st, i++, pc->cost_fen);
  cm_bind_int (st, i++, pc->patient_fen);
  cm_bind_int (st, i++, pc->other_fen);
  cm_bind_int (st, i++, pc->fund_ffs_fen);
  cm_bind_int (st, i++, pc->pay_fen);
  cm_bind_int (st, i++, pc->fund_fen);
  return cm_ledger_step_done (ledger, st, error);
}

static gboolean
add_reject (CmLedger *ledger, ImportStmts *s, gint64 batch, guint64 line,
            const char *reason, GError **error)
{
  cm_bind_int (s->reject, 1, batch);
  cm_bind_int (s->reject, 2, (gint64) line);
  cm_bind_text (s->reject, 3, reason);
  return cm_ledger_step_done (ledger, s->reject, error);
}

/* Fills @r from an existing batch row. */
static gboolean
read_batch (CmLedger *ledger, gint64 id, CmImportResult *r, GError **error)
{
  g_autoptr (sqlite3_stmt) st = NULL;

  st = cm_ledger_prepare (ledger, "SELECT sha256, lines, accepted, rejected, added, "
                          "corrected, unchanged, withdrawn FROM batch WHERE id = ?",
                          error);
  if (st == NULL)
    return FALSE;
  cm_bind_int (st, 1, id);
  if (sqlite3_step (st) != SQLITE_ROW)
    return cm_ledger_fail (ledger, error, "read batch");
  r->batch_id = id;
  g_strlcpy (r->sha256, cm_col_text (st, 0), sizeof r->sha256);
  r->lines = (guint64) cm_col_int (st, 1);
  r->accepted = (guint64) cm_col_int (st, 2);
  r->rejected = (guint64) cm_col_int (st, 3);
  r->added = (guint64) cm_col_int (st, 4);
  r->corrected = (guint64) cm_col_int (st, 5);
  r->unchanged = (guint64) cm_col_int (st, 6);
  r->withdrawn = (guint64) cm_col_int (st, 7);
  return TRUE;
}

/* Withdraws the source's active episodes not seen in the new batch. */
static gboolean
withdraw_missing (CmLedger *ledger, const char *region, const char *period,
                  const char *source, gint64 batch, GHashTable *seen,
                  guint64 *withdrawn, GError **error)
{
  g_autoptr (sqlite3_stmt) sel = NULL;
  g_autoptr (sqlite3_stmt) upd = NULL;
  g_autoptr (GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  int rc;

  sel = cm_ledger_prepare (ledger, "SELECT k.episode_id, k.version FROM kase k "
                           "JOIN batch b ON b.id = k.batch_id WHERE k.region = ? "
                           "AND k.active = 1 AND b.period = ? AND b.source = ? "
                           "AND b.id <> ? ORDER BY k.episode_id", error);
  if (sel == NULL)
    return FALSE;
  cm_bind_text (sel, 1, region);
  cm_bind_text (sel, 2, period);
  cm_bind_text (sel, 3, source);
  cm_bind_int (sel, 4, batch);
  while ((rc = sqlite3_step (sel)) == SQLITE_ROW)
    if (!g_hash_table_contains (seen, cm_col_text (sel, 0)))
      g_ptr_array_add (gone, g_strdup_printf ("%s\x1f%" G_GINT64_FORMAT,
                                              cm_col_text (sel, 0),
                                              cm_col_int (sel, 1)));
  if (rc != SQLITE_DONE)
    return cm_ledger_fail (ledger, error, "read cases");
  upd = cm_ledger_prepare (ledger, "UPDATE kase SET active = 0, reason = 'withdrawn' "
                           "WHERE region = ? AND episode_id = ? AND version = ?", error);
  if (upd == NULL)
    return FALSE;
  for (guint i = 0; i < gone->len; i++)
    {
      g_auto (GStrv) kv = g_strsplit (gone->pdata[i], "\x1f", 2);
      g_autofree char *detail = NULL;
      gint64 v = g_ascii_strtoll (kv[1], NULL, 10);

      cm_bind_text (upd, 1, region);
      cm_bind_text (upd, 2, kv[0]);
      cm_bind_int (upd, 3, v);
      if (!cm_ledger_step_done (ledger, upd, error))
        return FALSE;
      detail = g_strdup_printf ("case %s v%" G_GINT64_FORMAT " withdrawn: not in the "
                                "new file of source %s (batch %" G_GINT64_FORMAT ")",
                                kv[0], v, source, batch);
      if (!cm_ledger_audit_add (ledger, region, period, "withdraw", detail, error))
        return FALSE;
    }
  *withdrawn = gone->len;
  return TRUE;
}

gboolean
cm_ledger_import (CmLedger *ledger, CmPolicy *policy, const CmSettleConfig *config,
                  const char *path, const CmImportOptions *options,
                  CmImportResult *result, GError **error)
{
  g_autoptr (GMappedFile) map = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *source = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *psha = NULL;
  g_autofree char *now = NULL;
  g_autofree char *detail = NULL;
  g_autoptr (CmPriceContext) pctx = NULL;
  g_auto (LineReader) lr = { NULL, 0, 0, 0, FALSE, NULL, NULL, NULL };
  g_autoptr (GHashTable) seen = NULL;
  g_autoptr (GString) canon = g_string_new (NULL);
  g_autoptr (GString) dx = g_string_new (NULL);
  g_autoptr (GString) px = g_string_new (NULL);
  g_auto (CmLedgerTxn) txn = { NULL, FALSE };
  g_auto (ImportStmts) s = { NULL, NULL, NULL, NULL, NULL };
  g_autoptr (sqlite3_stmt) st = NULL;
  const char *region, *data;
  const CmSettleYear *sy;
  CmPriceOptions popt = { CM_PRICE_STAGE_PROVISIONAL, FALSE };
  CmImportResult r;
  gint32 first_day, last_day;
  gint64 batch, pv_id;
  gsize size;
  guint every;
  int year, month, rc;
  gboolean ok = TRUE;

  g_return_val_if_fail (ledger != NULL && policy != NULL && config != NULL
                        && path != NULL && options != NULL && result != NULL, FALSE);
  memset (&r, 0, sizeof r);
  if (!cm_period_parse (options->period, &year, &month))
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_INPUT,
                   "period '%s' is not YYYY-MM", options->period ? options->period : "");
      return FALSE;
    }
  cm_period_days (year, month, &first_day, &last_day);
  region = cm_policy_get_region (policy);
  if (*cm_settle_config_get_region (config)
      && strcmp (cm_settle_config_get_region (config), region) != 0)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_CONFIG,
                   "%s: region %s does not match the policy's region %s",
                   cm_settle_config_get_path (config),
                   cm_settle_config_get_region (config), region);
      return FALSE;
    }
  sy = cm_settle_config_get_year (config, year);

  map = g_mapped_file_new (path, FALSE, &local);
  if (map == NULL)
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_INPUT, "%s", local->message);
      return FALSE;
    }
  data = g_mapped_file_get_contents (map);
  size = g_mapped_file_get_length (map);
  sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) (data ? data : ""),
                                     size);
  g_strlcpy (r.sha256, sha, sizeof r.sha256);
  source = options->source ? g_strdup (options->source) : g_path_get_basename (path);
  psha = pack_sha256 (policy);

  if (!cm_ledger_txn_begin (ledger, &txn, error))
    return FALSE;
  /* the source's latest batch: the same bytes again change nothing (an
   * older batch with these bytes does not count: re-importing it after a
   * correction is a correction back) */
  st = cm_ledger_prepare (ledger, "SELECT id, sha256 FROM batch WHERE region = ? AND "
                          "period = ? AND source = ? ORDER BY id DESC LIMIT 1", error);
  if (st == NULL)
    return FALSE;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, options->period);
  cm_bind_text (st, 3, source);
  rc = sqlite3_step (st);
  if (rc == SQLITE_ROW && strcmp (cm_col_text (st, 1), sha) != 0)
    rc = SQLITE_DONE;
  if (rc == SQLITE_ROW)
    {
      /* the same bytes again: nothing to do */
      gint64 id = cm_col_int (st, 0);
      g_clear_pointer (&st, sqlite3_finalize);
      if (!read_batch (ledger, id, &r, error))
        return FALSE;
      r.already_imported = TRUE;
      if (!cm_ledger_txn_commit (&txn, error))
        return FALSE;
      *result = r;
      return TRUE;
    }
  if (rc != SQLITE_DONE)
    return cm_ledger_fail (ledger, error, "read batches");
  g_clear_pointer (&st, sqlite3_finalize);

  pv_id = policy_version_id (ledger, policy, config, psha, error);
  if (pv_id < 0)
    return FALSE;
  now = cm_ledger_now ();
  st = cm_ledger_prepare (ledger, "INSERT INTO batch (region, period, source, sha256, "
                          "bytes, policy_version, actor, imported_at) VALUES "
                          "(?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (st == NULL)
    return FALSE;
  cm_bind_text (st, 1, region);
  cm_bind_text (st, 2, options->period);
  cm_bind_text (st, 3, source);
  cm_bind_text (st, 4, sha);
  cm_bind_int (st, 5, (gint64) size);
  cm_bind_int (st, 6, pv_id);
  cm_bind_text (st, 7, ledger->actor);
  cm_bind_text (st, 8, now);
  if (!cm_ledger_step_done (ledger, st, error))
    return FALSE;
  g_clear_pointer (&st, sqlite3_finalize);
  batch = sqlite3_last_insert_rowid (ledger->db);
  r.batch_id = batch;

  s.find = cm_ledger_prepare (ledger, "SELECT version, row_sha256, policy_version FROM "
                              "kase WHERE region = ? AND episode_id = ? AND active = 1",
                              error);
  s.maxver = cm_ledger_prepare (ledger, "SELECT MAX(version) FROM kase WHERE region = ? "
                                "AND episode_id = ?", error);
  s.deactivate = cm_ledger_prepare (ledger, "UPDATE kase SET active = 0 WHERE region = ? "
                                    "AND episode_id = ? AND version = ?", error);
  s.insert = cm_ledger_prepare (ledger, "INSERT INTO kase VALUES (?, ?, ?, ?, ?, ?, 1, "
                                "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                                "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                error);
  s.reject = cm_ledger_prepare (ledger, "INSERT INTO reject VALUES (?, ?, ?)", error);
  if (!s.find || !s.maxver || !s.deactivate || !s.insert || !s.reject)
    return FALSE;

  pctx = cm_price_context_new (policy, &popt, error);
  if (pctx == NULL)
    return FALSE;
  lr.data = data ? data : "";
  lr.size = size;
  lr.parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  lr.ids = cm_id_set_new ();
  lr.buf = g_malloc (CM_MAX_LINE_LEN + 1);
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  every = options->progress_every ? options->progress_every : 1024;

  for (;;)
    {
      CmEpisode ep;
      CmReject rej;
      CmPricedCase pc;
      CmReadResult rr = line_reader_next (&lr, &ep, &rej, &local);
      char reason[CM_REJECT_MESSAGE_LEN + 64];
      const char *row_sha;
      gint64 old_version = 0, old_pv = 0;
      gboolean found = FALSE;

      if (rr == CM_READ_EOF)
        break;
      if (rr == CM_READ_ERROR)
        {
          g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_INPUT, "%s: %s", path,
                       local ? local->message : "read error");
          ok = FALSE;
          break;
        }
      if (rr == CM_READ_REJECT)
        {
          cm_reject_format (&rej, reason, sizeof reason);
          r.rejected++;
          if (!add_reject (ledger, &s, batch, rej.line, reason, error))
            {
              ok = FALSE;
              break;
            }
          continue;
        }
      if (sy->basis == CM_SETTLE_BASIS_DISCHARGE
          && (ep.discharge_date < first_day || ep.discharge_date > last_day))
        {
          char d[11];
          cm_date_format (ep.discharge_date, d);
          g_snprintf (reason, sizeof reason, "discharge_date: case %s discharged %s, "
                      "outside the period %s", ep.episode_id, d, options->period);
          r.rejected++;
          if (!add_reject (ledger, &s, batch, lr.line_no, reason, error))
            {
              ok = FALSE;
              break;
            }
          continue;
        }
      r.accepted++;
      if (!cm_price_episode (pctx, &ep, &pc, NULL))
        {
          /* class overflow: recorded as not priced */
        }
      episode_canonical (&ep, canon);
      row_sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canon->str, canon->len);
      g_hash_table_add (seen, g_strdup (ep.episode_id));

      cm_bind_text (s.find, 1, region);
      cm_bind_text (s.find, 2, ep.episode_id);
      rc = sqlite3_step (s.find);
      if (rc == SQLITE_ROW)
        {
          found = TRUE;
          old_version = cm_col_int (s.find, 0);
          old_pv = cm_col_int (s.find, 2);
          if (strcmp (cm_col_text (s.find, 1), row_sha) == 0 && old_pv == pv_id)
            {
              sqlite3_reset (s.find);
              g_free ((char *) row_sha);
              r.unchanged++;
              continue;
            }
        }
      else if (rc != SQLITE_DONE)
        {
          g_free ((char *) row_sha);
          ok = cm_ledger_fail (ledger, error, "read cases");
          break;
        }
      sqlite3_reset (s.find);
      {
        gint64 version = 1;
        guint64 line = lr.line_no;

        cm_bind_text (s.maxver, 1, region);
        cm_bind_text (s.maxver, 2, ep.episode_id);
        if (sqlite3_step (s.maxver) == SQLITE_ROW)
          version = cm_col_int (s.maxver, 0) + 1;
        sqlite3_reset (s.maxver);
        if (found)
          {
            cm_bind_text (s.deactivate, 1, region);
            cm_bind_text (s.deactivate, 2, ep.episode_id);
            cm_bind_int (s.deactivate, 3, old_version);
            ok = cm_ledger_step_done (ledger, s.deactivate, error);
            if (ok)
              {
                g_autofree char *d = g_strdup_printf (
                  "case %s v%" G_GINT64_FORMAT " → v%" G_GINT64_FORMAT ": %s "
                  "(batch %" G_GINT64_FORMAT ")", ep.episode_id, old_version, version,
                  old_pv == pv_id ? "content changed" : "repriced under a new policy "
                  "version", batch);
                ok = cm_ledger_audit_add (ledger, region, options->period, "correct",
                                          d, error);
              }
            r.corrected++;
          }
        else
          r.added++;
        if (ok)
          ok = insert_case (ledger, &s, region, options->period, batch, line, version,
                            found ? "correction" : (version > 1 ? "re-added" : "new"),
                            row_sha, pv_id, &ep, &pc,
                            special_flags (sy, config, year, &ep, &pc), dx, px, error);
      }
      g_free ((char *) row_sha);
      if (!ok)
        break;
      if (options->progress && (r.accepted % every) == 0
          && !options->progress (options->progress_data, lr.pos, size))
        {
          g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_STATE,
                       "%s: import cancelled; the ledger is unchanged", path);
          ok = FALSE;
          break;
        }
    }
  if (!ok)
    return FALSE;
  r.lines = lr.line_no;
  if (!withdraw_missing (ledger, region, options->period, source, batch, seen,
                         &r.withdrawn, error))
    return FALSE;

  st = cm_ledger_prepare (ledger, "UPDATE batch SET lines = ?, accepted = ?, rejected = ?, "
                          "added = ?, corrected = ?, unchanged = ?, withdrawn = ? "
                          "WHERE id = ?", error);
  if (st == NULL)
    return FALSE;
  cm_bind_int (st, 1, (gint64) r.lines);
  cm_bind_int (st, 2, (gint64) r.accepted);
  cm_bind_int (st, 3, (gint64) r.rejected);
  cm_bind_int (st, 4, (gint64) r.added);
  cm_bind_int (st, 5, (gint64) r.corrected);
  cm_bind_int (st, 6, (gint64) r.unchanged);
  cm_bind_int (st, 7, (gint64) r.withdrawn);
  cm_bind_int (st, 8, batch);
  if (!cm_ledger_step_done (ledger, st, error))
    return FALSE;
  detail = g_strdup_printf ("batch %" G_GINT64_FORMAT " source %s sha256 %s policy %s "
                            "(%s): %" G_GUINT64_FORMAT " accepted, %" G_GUINT64_FORMAT
                            " rejected, %" G_GUINT64_FORMAT " new, %" G_GUINT64_FORMAT
                            " corrected, %" G_GUINT64_FORMAT " unchanged, %"
                            G_GUINT64_FORMAT " withdrawn", batch, source, sha,
                            cm_policy_get_name (policy), psha, r.accepted, r.rejected,
                            r.added, r.corrected, r.unchanged, r.withdrawn);
  if (!cm_ledger_audit_add (ledger, region, options->period, "import", detail, error)
      || !cm_ledger_txn_commit (&txn, error))
    return FALSE;
  *result = r;
  return TRUE;
}

gboolean
cm_ledger_list_rejects (CmLedger *ledger, gint64 batch_id, GString *out,
                        GError **error)
{
  g_autoptr (sqlite3_stmt) st = NULL;
  int rc;

  g_return_val_if_fail (ledger != NULL && out != NULL, FALSE);
  st = cm_ledger_prepare (ledger, "SELECT line, reason FROM reject WHERE batch_id = ? "
                          "ORDER BY line", error);
  if (st == NULL)
    return FALSE;
  cm_bind_int (st, 1, batch_id);
  g_string_append (out, "line,reason\n");
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      g_string_append_printf (out, "%" G_GINT64_FORMAT ",", cm_col_int (st, 0));
      cm_csv_append_field (out, cm_col_text (st, 1));
      g_string_append_c (out, '\n');
    }
  if (rc != SQLITE_DONE)
    return cm_ledger_fail (ledger, error, "read rejects");
  return TRUE;
}

/* ---- deductions --------------------------------------------------------- */

gboolean
cm_ledger_set_deductions (CmLedger *ledger, const char *region, const char *period,
                          const char *path, GError **error)
{
  static const char *const cols[] = { "hospital_id", "amount", "reason" };
  g_autofree char *bytes = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *detail = NULL;
  g_autoptr (sqlite3_stmt) del = NULL;
  g_autoptr (sqlite3_stmt) ins = NULL;
  g_autoptr (GHashTable) seq = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                      NULL);
  g_auto (CmLedgerTxn) txn = { NULL, FALSE };
  GError *local = NULL;
  CmPayTsv t;
  CmFen total = 0;
  gsize len = 0;
  guint n = 0;
  int y, m;
  gboolean ok = TRUE;

  g_return_val_if_fail (ledger != NULL && region != NULL && path != NULL, FALSE);
  if (!cm_period_parse (period, &y, &m))
    {
      g_set_error (error, CM_SETTLE_ERROR, CM_SETTLE_ERROR_INPUT,
                   "period '%s' is not YYYY-MM", period ? period : "");
      return FALSE;
    }
  if (g_file_get_contents (path, &bytes, &len, NULL))
    sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) bytes, len);
  if (!cm_pay_tsv_open (&t, path, cols, G_N_ELEMENTS (cols), 2, error))
    {
      cm_pay_tsv_close (&t);
      return FALSE;
    }
  if (!cm_ledger_txn_begin (ledger, &txn, error))
    {
      cm_pay_tsv_close (&t);
      return FALSE;
    }
  del = cm_ledger_prepare (ledger, "DELETE FROM deduction WHERE region = ? AND period = ?",
                           error);
  ins = cm_ledger_prepare (ledger, "INSERT INTO deduction VALUES (?, ?, ?, ?, ?, ?, ?)",
                           error);
  if (del == NULL || ins == NULL)
    {
      cm_pay_tsv_close (&t);
      return FALSE;
    }
  cm_bind_text (del, 1, region);
  cm_bind_text (del, 2, period);
  ok = cm_ledger_step_done (ledger, del, error);
  while (ok && cm_pay_tsv_next (&t, &local))
    {
      const char *id = cm_pay_tsv_get (&t, 0), *amount = cm_pay_tsv_get (&t, 1);
      const char *reason = cm_pay_tsv_get (&t, 2), *why = NULL;
      gint64 v;
      guint k;

      if (*id == '\0')
        {
          cm_pay_tsv_error (&t, 0, error, "empty hospital id");
          ok = FALSE;
          break;
        }
      if (!cm_scaled_parse (amount, 2, 0, CM_FEN_MAX, &v, &why))
        {
          cm_pay_tsv_error (&t, 1, error, "'%s': %s (yuan, at most 2 decimals)", amount,
                            why ? why : "out of range");
          ok = FALSE;
          break;
        }
      k = GPOINTER_TO_UINT (g_hash_table_lookup (seq, id)) + 1;
      g_hash_table_insert (seq, g_strdup (id), GUINT_TO_POINTER (k));
      cm_bind_text (ins, 1, region);
      cm_bind_text (ins, 2, period);
      cm_bind_text (ins, 3, id);
      cm_bind_int (ins, 4, k);
      cm_bind_int (ins, 5, v);
      cm_bind_text (ins, 6, reason ? reason : "");
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
    g_autofree char *base = g_path_get_basename (path);
    char buf[CM_MONEY_BUF];
    cm_fen_format (total, buf);
    detail = g_strdup_printf ("%u deductions, %s yuan, from %s (sha256 %s)", n, buf,
                              base, sha ? sha : "?");
  }
  if (!cm_ledger_audit_add (ledger, region, period, "deductions", detail, error))
    return FALSE;
  return cm_ledger_txn_commit (&txn, error);
}

/* ---- digest and audit --------------------------------------------------- */

char *
cm_ledger_digest (CmLedger *ledger, GError **error)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (sqlite3_stmt) tables = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  int rc;

  g_return_val_if_fail (ledger != NULL, NULL);
  tables = cm_ledger_prepare (ledger, "SELECT name FROM sqlite_master WHERE type = "
                              "'table' ORDER BY name", error);
  if (tables == NULL)
    return NULL;
  while ((rc = sqlite3_step (tables)) == SQLITE_ROW)
    g_ptr_array_add (names, g_strdup (cm_col_text (tables, 0)));
  if (rc != SQLITE_DONE)
    {
      cm_ledger_fail (ledger, error, "list tables");
      return NULL;
    }
  for (guint t = 0; t < names->len; t++)
    {
      g_autoptr (GString) sql = g_string_new ("SELECT ");
      g_autoptr (sqlite3_stmt) info = NULL;
      g_autoptr (sqlite3_stmt) rows = NULL;
      g_autofree char *pragma = g_strdup_printf ("PRAGMA table_info (\"%s\")",
                                                 (const char *) names->pdata[t]);
      guint n = 0;

      info = cm_ledger_prepare (ledger, pragma, error);
      if (info == NULL)
        return NULL;
      {
        /* rows in primary-key order (no sort: the key's index) */
        g_autoptr (GString) order = g_string_new (NULL);
        const char *keys[16] = { NULL };
        guint n_keys = 0;

        while (sqlite3_step (info) == SQLITE_ROW)
          {
            const char *col = cm_col_text (info, 1);
            gint64 pk = cm_col_int (info, 5);
            if (pk > 0 && pk <= 16)
              {
                keys[pk - 1] = g_intern_string (col);
                n_keys = MAX (n_keys, (guint) pk);
              }
            if (g_str_has_suffix (col, "_at"))
              continue;
            g_string_append_printf (sql, "%s\"%s\"", n ? ", " : "", col);
            n++;
          }
        for (guint i = 0; i < n_keys; i++)
          g_string_append_printf (order, "%s\"%s\"", i ? ", " : "", keys[i]);
        if (n == 0)
          continue;
        g_string_append_printf (sql, " FROM \"%s\" ORDER BY %s",
                                (const char *) names->pdata[t],
                                n_keys ? order->str : "rowid");
      }
      rows = cm_ledger_prepare (ledger, sql->str, error);
      if (rows == NULL)
        return NULL;
      g_checksum_update (sum, (const guchar *) names->pdata[t],
                         strlen (names->pdata[t]) + 1);
      while ((rc = sqlite3_step (rows)) == SQLITE_ROW)
        {
          for (guint i = 0; i < n; i++)
            {
              int type = sqlite3_column_type (rows, (int) i);
              guchar tag = (guchar) type;
              g_checksum_update (sum, &tag, 1);
              if (type == SQLITE_INTEGER)
                {
                  char buf[24];
                  int len = g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT,
                                        cm_col_int (rows, (int) i));
                  g_checksum_update (sum, (const guchar *) buf, len + 1);
                }
              else if (type != SQLITE_NULL)
                {
                  const guchar *b = sqlite3_column_blob (rows, (int) i);
                  int len = sqlite3_column_bytes (rows, (int) i);
                  g_checksum_update (sum, (const guchar *) &len, sizeof len);
                  if (b && len > 0)
                    g_checksum_update (sum, b, len);
                }
            }
        }
      if (rc != SQLITE_DONE)
        {
          cm_ledger_fail (ledger, error, "read rows");
          return NULL;
        }
    }
  return g_strdup (g_checksum_get_string (sum));
}

gboolean
cm_ledger_audit (CmLedger *ledger, const char *region, GString *out, GError **error)
{
  g_autoptr (sqlite3_stmt) st = NULL;
  int rc;

  g_return_val_if_fail (ledger != NULL && out != NULL, FALSE);
  st = cm_ledger_prepare (ledger, region
                          ? "SELECT created_at, actor, period, action, detail FROM audit "
                            "WHERE region = ? ORDER BY id"
                          : "SELECT created_at, actor, period, action, detail FROM audit "
                            "ORDER BY id", error);
  if (st == NULL)
    return FALSE;
  if (region)
    cm_bind_text (st, 1, region);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    g_string_append_printf (out, "%s\t%s\t%s\t%s\t%s\n", cm_col_text (st, 0),
                            cm_col_text (st, 1), cm_col_text (st, 2),
                            cm_col_text (st, 3), cm_col_text (st, 4));
  if (rc != SQLITE_DONE)
    return cm_ledger_fail (ledger, error, "read audit");
  return TRUE;
}

GStrv
cm_ledger_list_regions (CmLedger *ledger, GError **error)
{
  g_autoptr (sqlite3_stmt) st = NULL;
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  int rc;

  g_return_val_if_fail (ledger != NULL, NULL);
  st = cm_ledger_prepare (ledger, "SELECT DISTINCT region FROM batch ORDER BY region",
                          error);
  if (st == NULL)
    return NULL;
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    g_strv_builder_add (b, cm_col_text (st, 0));
  if (rc != SQLITE_DONE)
    {
      cm_ledger_fail (ledger, error, "read regions");
      return NULL;
    }
  return g_strv_builder_end (b);
}

sqlite3_stmt *
cm_ledger_read_run (CmLedger *ledger, gint64 run, const char *extra,
                    const CmLedgerRunFigures *f, GError **error)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT run_no, deadline, pv_from_budget, pv0_e4, pv1_e4, pv2_e4, budget0_fen, "
      "budget1_fen, budget2_fen, target0_fen, target1_fen, target2_fen, points0_e4, "
      "points1_e4, points2_e4, pool0_fen, pool1_fen, pool2_fen, residual0_fen, "
      "residual1_fen, residual2_fen%s%s FROM run WHERE id = ?",
      extra ? ", " : "", extra ? extra : "");
  sqlite3_stmt *st = cm_ledger_prepare (ledger, sql, error);

  if (st == NULL)
    return NULL;
  cm_bind_int (st, 1, run);
  if (sqlite3_step (st) != SQLITE_ROW)
    {
      cm_ledger_fail (ledger, error, "read run");
      sqlite3_finalize (st);
      return NULL;
    }
  *f->run_no = (int) cm_col_int (st, 0);
  *f->deadline = (gint32) cm_col_int (st, 1);
  *f->pv_from_budget = cm_col_int (st, 2) != 0;
  for (int k = 0; k < 3; k++)
    {
      f->pv_e4[k] = cm_col_int (st, 3 + k);
      f->budget_fen[k] = cm_col_int (st, 6 + k);
      f->target_fen[k] = cm_col_int (st, 9 + k);
      f->points_e4[k] = cm_col_int (st, 12 + k);
      f->pool_pay_fen[k] = cm_col_int (st, 15 + k);
      f->residual_fen[k] = cm_col_int (st, 18 + k);
    }
  return st;
}
