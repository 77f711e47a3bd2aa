/* cm-ledger-private.h — the ledger's insides, shared by cm-ledger.c
 * (database, import, audit), cm-ledger-month.c (monthly runs, special
 * cases) and cm-ledger-year.c (clearing, alliances, checks).
 * SPDX-License-Identifier: Apache-2.0
 *
 * The schema (LEDGER_SCHEMA in cm-ledger.c, docs/settlement.md §5):
 *
 *   meta             key → value (schema version)
 *   policy_version   id, name, region, sha256 of the pack's files and tables
 *   batch            one imported file: region, period, source, sha256, counts
 *   reject           batch, line, reason
 *   kase             one row per version of an episode ("case" is an SQL
 *                    word); the current version has active = 1
 *   deduction        audit deductions of a month per hospital
 *   run              a monthly settlement, a clearing or an alliance run;
 *                    current = 1 for the run in force of its period
 *   statement        a hospital's figures in a monthly run
 *   posting          case amounts of a run: kind case | special | clearing
 *   clearing         a hospital's figures in a clearing run
 *   special_case     the review state of a case; special_event its history
 *   alliance_charge  out-of-county / outpatient charges of an alliance
 *   alliance_result  an alliance's figures in an alliance run
 *   audit            who did what, when
 *
 * Money columns are integer fen (suffix _fen), fractions integer ×10 000
 * (_e4), dates integer days since 1970-01-01; time stamps are the only
 * columns ending in _at and the only ones cm_ledger_digest leaves out. */
#pragma once

#include <sqlite3.h>
#include "cm-ledger.h"
#include "cm-policy-private.h"
#include "cm-money-private.h"

G_BEGIN_DECLS

#define CM_LEDGER_SCHEMA_VERSION 1

/* Kinds of runs and postings (stored as text). */
#define RUN_MONTH "month"
#define RUN_YEAR "year"
#define RUN_ALLIANCE "alliance"

struct _CmLedger {
  sqlite3 *db;
  char *path;
  char *actor;
  guint depth;        /* open transactions: 1 per operation, + 1 for
                       * cm_ledger_begin; only the outermost commits */
  gboolean poisoned;  /* an operation inside cm_ledger_begin failed */
};

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* Sets CM_SETTLE_ERROR_LEDGER "<path>: <what>: <sqlite message>". */
gboolean cm_ledger_fail (CmLedger *ledger, GError **error, const char *what);
gboolean cm_ledger_exec (CmLedger *ledger, const char *sql, GError **error);
sqlite3_stmt *cm_ledger_prepare (CmLedger *ledger, const char *sql,
                                 GError **error);
/* Where a month or a year result keeps the figures of its `run` row (the
 * fields of CmMonthResult and CmYearResult of the same names). */
typedef struct {
  int *run_no;
  gint32 *deadline;
  gboolean *pv_from_budget;
  CmE4 *pv_e4, *points_e4;                        /* [3] each */
  CmFen *budget_fen, *target_fen, *pool_pay_fen, *residual_fen;
} CmLedgerRunFigures;

#define CM_LEDGER_RUN_FIGURES(r) \
  { &(r)->run_no, &(r)->deadline, &(r)->pv_from_budget, (r)->pv_e4, (r)->points_e4, \
    (r)->budget_fen, (r)->target_fen, (r)->pool_pay_fen, (r)->residual_fen }

/* Reads the run row @run into @f, with @extra (nullable) more columns after
 * them: returns the statement on that row, so that the caller reads its
 * extras from column CM_LEDGER_RUN_EXTRA on, then finalizes it. NULL with
 * @error set when the row cannot be read. */
#define CM_LEDGER_RUN_EXTRA 21
sqlite3_stmt *cm_ledger_read_run (CmLedger *ledger, gint64 run, const char *extra,
                                  const CmLedgerRunFigures *f, GError **error);

/* Steps a statement that returns no row (INSERT, UPDATE, DELETE) and resets
 * it for the next bindings. */
gboolean cm_ledger_step_done (CmLedger *ledger, sqlite3_stmt *st, GError **error);

/* Binds text (copied) / int64 at 1-based @i. */
static inline void
cm_bind_text (sqlite3_stmt *st, int i, const char *s)
{
  if (s == NULL)
    sqlite3_bind_null (st, i);
  else
    sqlite3_bind_text (st, i, s, -1, SQLITE_TRANSIENT);
}

static inline void
cm_bind_int (sqlite3_stmt *st, int i, gint64 v)
{
  sqlite3_bind_int64 (st, i, v);
}

static inline gint64
cm_col_int (sqlite3_stmt *st, int i)
{
  return (gint64) sqlite3_column_int64 (st, i);
}

static inline const char *
cm_col_text (sqlite3_stmt *st, int i)
{
  const unsigned char *t = sqlite3_column_text (st, i);
  return t ? (const char *) t : "";
}

/* BEGIN IMMEDIATE … COMMIT, rolled back when it goes out of scope
 * uncommitted. Inside cm_ledger_begin the operation joins the outer
 * transaction: its commit is deferred, its failure rolls the whole group
 * back at cm_ledger_commit. */
typedef struct {
  CmLedger *ledger;
  gboolean open;
} CmLedgerTxn;

gboolean cm_ledger_txn_begin (CmLedger *ledger, CmLedgerTxn *txn, GError **error);
gboolean cm_ledger_txn_commit (CmLedgerTxn *txn, GError **error);
void cm_ledger_txn_clear (CmLedgerTxn *txn);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CmLedgerTxn, cm_ledger_txn_clear)

/* "2025-03-14T09:30:00Z": now, or $SOURCE_DATE_EPOCH when set (so that
 * demo ledgers are reproducible). */
char *cm_ledger_now (void);

/* Appends an audit row. */
gboolean cm_ledger_audit_add (CmLedger *ledger, const char *region,
                              const char *period, const char *action,
                              const char *detail, GError **error);

/* Parses "YYYY-MM" (period) into year and month. */
gboolean cm_period_parse (const char *period, int *year, int *month);

/* First and last day of a month. */
void cm_period_days (int year, int month, gint32 *first, gint32 *last);

/* Current run id of (region, kind, period), 0 when none. */
gint64 cm_ledger_current_run (CmLedger *ledger, const char *region,
                              const char *kind, const char *period,
                              GError **error);

/* Creates a run row (arrays of 3 pools, nullable) and supersedes the
 * current run of (region, kind, period). Returns its id, -1 on error. */
gint64 cm_ledger_new_run (CmLedger *ledger, const char *region, const char *kind,
                          const char *period, const char *policy_sha,
                          const char *settle_sha, gint32 deadline,
                          gboolean pv_from_budget, const CmE4 *pv, const CmFen *budget,
                          const CmFen *target, const CmE4 *points, const CmFen *pool,
                          const CmFen *residual, guint64 n_special, int *run_no,
                          gint64 *superseded, GError **error);

/* Point-method case: paid points × point value (DIP, or DRG points). */
static inline gboolean
cm_ledger_is_point_case (int method, int cls, CmE4 points_e4, CmE4 pv_e4)
{
  if (points_e4 <= 0 || pv_e4 <= 0)
    return FALSE;
  if (method == CM_PAY_METHOD_DIP)
    return cls == CM_CASE_NORMAL || cls == CM_CASE_HIGH || cls == CM_CASE_LOW
           || cls == CM_CASE_EXTREME;
  return method == CM_PAY_METHOD_DRG;
}

/* The point-value pool of a case: 0 single, 1 employee, 2 resident. */
static inline int
cm_ledger_pool_of (CmPvPools pools, int insurance)
{
  if (pools == CM_PV_POOLS_SINGLE)
    return 0;
  return insurance == CM_INSURANCE_EMPLOYEE ? 1 : 2;
}

/* The fund-share rule of a case's method in @y (NULL: none). */
const CmFundShareRule *cm_ledger_fund_rule (const CmYearParams *y, int method);

/* CMI (indicators.md §1, §3): DRG Σ RW / n; DIP (Σ_h / n_h) ÷ (Σ_r / n_r).
 * 0 when it cannot be computed. */
CmE4 cm_ledger_cmi (gboolean dip, CmE4 weight_e4, guint64 n, CmE4 region_weight_e4,
                    guint64 region_n);

/* Approved special-case payment and its fund share. */
gboolean cm_ledger_special_payment (const CmYearParams *y, int method,
                                    CmSpecialPayRule rule, CmFen amount_fen,
                                    CmFen cost_fen, CmFen patient_fen,
                                    CmFen other_fen, CmFen fund_ffs_fen,
                                    CmFen *pay_fen, CmFen *fund_fen);

G_END_DECLS
