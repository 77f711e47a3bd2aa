/* cm-ledger.h — the settlement ledger: an embedded SQLite database (one
 * file) holding every priced episode of a region by month, the monthly
 * settlement runs, special-case decisions, the annual clearing and the
 * county alliance results, with an audit trail.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Imports are transactional and idempotent. A batch is one episode file of
 * one month (its *source*, the file name unless given); it is identified
 * by the SHA-256 of its bytes. Importing the bytes of the source's latest
 * batch again changes nothing; importing other bytes under the same source
 * is a correction: the
 * episodes whose content changed get a new version (the old one is kept,
 * inactive), episodes no longer in the file are withdrawn, new ones are
 * added — all in one transaction, so a process killed half-way leaves the
 * ledger as it was and the next import does the whole batch. Every case
 * version records its scheme, its policy version (name and SHA-256 of the
 * pack's files and tables) and every priced figure.
 *
 * Runs never overwrite: settling a month again creates a new run that
 * supersedes the previous one (its statements show what was advanced
 * before and the difference); the annual clearing reprices every case with
 * the final parameters and posts, per case, the difference to its monthly
 * amount, plus the rounding and netting lines of the hospital totals
 * (domain README convention 3, settlement.md §8).
 *
 * docs/settlement.md describes the tables, the commands that drive this
 * API and the conservation identities cm_ledger_check_conservation
 * verifies. Messages carry case ids, hospital ids and codes only. */
#pragma once

#include <glib.h>
#include "cm-money.h"
#include "cm-price.h"
#include "cm-policy.h"
#include "cm-settle.h"
#include "cm-settle-config.h"
#include "cm-alliance.h"

G_BEGIN_DECLS

typedef struct _CmLedger CmLedger;

/**
 * cm_ledger_open:
 * @path: the database file (created when missing)
 * @error: CM_SETTLE_ERROR_LEDGER
 *
 * Opens (or creates) the ledger and brings its schema up to date. A
 * transaction left by a killed process is rolled back by SQLite here.
 *
 * Returns: (transfer full) (nullable): the ledger.
 */
CM_API CmLedger *cm_ledger_open (const char *path, GError **error);
CM_API void cm_ledger_free (CmLedger *ledger);
CM_API const char *cm_ledger_get_path (const CmLedger *ledger);

/* Who acts, for the audit trail (default: $USER, or "casemix"). */
CM_API void cm_ledger_set_actor (CmLedger *ledger, const char *actor);

/**
 * cm_ledger_begin:
 * @ledger: the ledger
 * @error: CM_SETTLE_ERROR_STATE when a group is open, _LEDGER
 *
 * Groups the operations that follow, until cm_ledger_commit, into one
 * transaction: all of them or none (a committee's decisions file, a
 * batch of imports). Each operation still checks and fails on its own.
 */
CM_API gboolean cm_ledger_begin (CmLedger *ledger, GError **error);

/* Commits the group; when an operation of the group failed, rolls it all
 * back and fails with CM_SETTLE_ERROR_STATE. */
CM_API gboolean cm_ledger_commit (CmLedger *ledger, GError **error);
/* Abandons the group. */
CM_API void cm_ledger_rollback (CmLedger *ledger);

/* ---- import ------------------------------------------------------------- */

/* Called every @progress_every cases inside the import transaction with
 * the bytes read so far and the file size; return FALSE to cancel (the
 * transaction is rolled back, the error is CM_SETTLE_ERROR_STATE). */
typedef gboolean (*CmLedgerProgress) (gpointer user_data, guint64 done,
                                      guint64 total);

typedef struct {
  const char *period;         /* "YYYY-MM", required */
  const char *source;         /* batch name; NULL = the file's base name */
  CmLedgerProgress progress;  /* nullable */
  gpointer progress_data;
  guint progress_every;       /* cases between calls; 0 = 1024 */
} CmImportOptions;

typedef struct {
  gint64 batch_id;
  gboolean already_imported;  /* the same bytes were imported before */
  char sha256[65];
  guint64 lines;              /* physical lines, header included */
  guint64 accepted;
  guint64 rejected;           /* broken lines and out-of-period episodes */
  guint64 added;              /* new episodes */
  guint64 corrected;          /* new versions of changed episodes */
  guint64 unchanged;          /* episodes already in the ledger as they are */
  guint64 withdrawn;          /* episodes of the source no longer present */
} CmImportResult;

/**
 * cm_ledger_import:
 * @ledger: the ledger
 * @policy: the region's policy (prices the episodes, provisional stage)
 * @config: its settlement configuration (basis, special-case flags)
 * @path: an episode CSV (episodes/FORMAT.md)
 * @options: period, source, progress
 * @result: (out): what happened
 * @error: CM_SETTLE_ERROR_INPUT (unreadable file), _LEDGER, _STATE
 *   (cancelled)
 *
 * One transaction per batch. Broken lines, and with the discharge basis
 * episodes discharged outside the period, are rejected and recorded
 * (cm_ledger_list_rejects) without stopping the batch.
 */
CM_API gboolean cm_ledger_import (CmLedger *ledger, CmPolicy *policy,
                                  const CmSettleConfig *config,
                                  const char *path,
                                  const CmImportOptions *options,
                                  CmImportResult *result, GError **error);

/* Appends "line,reason" rows (with a header) of the batch's rejects. */
CM_API gboolean cm_ledger_list_rejects (CmLedger *ledger, gint64 batch_id,
                                        GString *out, GError **error);

/**
 * cm_ledger_set_deductions:
 * @ledger: the ledger
 * @region: the region
 * @period: "YYYY-MM"
 * @path: a TSV with `hospital_id`, `amount` (yuan) and optional `reason`
 * @error: CM_POLICY_ERROR_TABLE (file:line:column), _LEDGER
 *
 * Replaces the month's audit deductions (扣款) by the file's rows; the
 * same file twice changes nothing. Audited.
 */
CM_API gboolean cm_ledger_set_deductions (CmLedger *ledger, const char *region,
                                          const char *period, const char *path,
                                          GError **error);

/* ---- statements --------------------------------------------------------- */

/* One hospital in a monthly run (settlement.md §2). */
typedef struct {
  char *hospital_id;
  int level;
  char *county_id;
  guint64 n_cases;
  guint64 n_drg, n_dip, n_per_diem, n_ffs;
  guint64 n_high, n_low, n_extreme;
  guint64 n_weighted;          /* cases with a weight or score */
  CmE4 weight_e4;              /* Σ RW (DRG) or Σ group score (DIP) */
  CmE4 points_e4;              /* Σ settlement points (point methods) */
  CmE4 cmi_e4;                 /* indicators.md §1 (DRG) / §3 (DIP) */
  CmFen cost_fen;
  CmFen pay_fen;               /* Σ case payment */
  CmFen patient_fen;
  CmFen case_fund_fen;         /* Σ fund_case */
  CmFen special_fen;           /* approved special cases applied this run */
  CmFen payable_fen;           /* case fund + special */
  CmFen deduct_fen;
  CmFen advance_fen;           /* paid */
  CmFen withheld_fen;          /* quality reserve */
  CmFen previous_advance_fen;  /* advance of the run this one supersedes */
} CmStatement;

#define CM_LEDGER_REGION_LEN 32

typedef struct {
  char region[CM_LEDGER_REGION_LEN];
  char period[8];              /* "YYYY-MM" */
  gint64 run_id;
  int run_no;                  /* 1 for the first run of the month */
  gint64 superseded_run_id;    /* 0 when none */
  gint32 deadline;             /* settlement due (days since 1970) */
  /* point value pools (budget-driven point methods) */
  gboolean pv_from_budget;
  CmE4 pv_e4[3];               /* [0] single, [1] employee, [2] resident; 0 unused */
  CmFen budget_fen[3];         /* F_m */
  CmFen target_fen[3];         /* T_m = F_m / p (DIP) or F_m + B (DRG points) */
  CmE4 points_e4[3];
  CmFen pool_pay_fen[3];       /* Σ round2 (case points × PV) */
  CmFen residual_fen[3];       /* T_m − pool pay: point-value rounding */
  guint64 n_special_applied;
  GPtrArray *hospitals;        /* CmStatement *, by hospital id */
  CmStatement total;           /* hospital_id "TOTAL" */
} CmMonthResult;

CM_API void cm_month_result_free (CmMonthResult *result);

/**
 * cm_ledger_settle_month:
 * @ledger: the ledger
 * @policy: the region's policy
 * @config: its settlement configuration
 * @period: "YYYY-MM"
 * @error: CM_SETTLE_ERROR_STATE when the month has no imported case
 *
 * settlement.md §2: DRG cases paid their case fund share; point-method
 * cases (DIP, point DRG) paid points × the month's point value, computed
 * from the monthly budget when the configuration has one (dip.md §5,
 * drg-payment.md §7), else the policy's provisional value; approved
 * special cases not yet applied add their difference; deductions; the
 * quality reserve withheld. A new run supersedes the month's previous one.
 *
 * Returns: (transfer full) (nullable): the run.
 */
CM_API CmMonthResult *cm_ledger_settle_month (CmLedger *ledger,
                                              CmPolicy *policy,
                                              const CmSettleConfig *config,
                                              const char *period,
                                              GError **error);

/* (transfer full) (nullable): the current run of a month, read back;
 * CM_SETTLE_ERROR_STATE when the month is not settled. */
CM_API CmMonthResult *cm_ledger_get_month (CmLedger *ledger, const char *region,
                                           const char *period, GError **error);

/* ---- tables for the reports --------------------------------------------- */

/* One group (DRG or DIP) over a range of months, with the amounts posted
 * by the current monthly runs. */
typedef struct {
  char *group_code;        /* the catalogue row ("" for ungrouped cases) */
  int method;              /* CmPayMethod: DRG or DIP when any case is paid by group */
  guint64 n_cases;
  guint64 n_high, n_low;
  CmE4 weight_e4;          /* the group's RW or score */
  CmFen cost_fen, pay_fen, fund_fen;
} CmGroupSummary;

CM_API void cm_group_summary_free (CmGroupSummary *g);

/**
 * cm_ledger_group_summary:
 * @ledger: the ledger
 * @region: the region
 * @first: first period "YYYY-MM"
 * @last: last period
 * @error: CM_SETTLE_ERROR_LEDGER
 *
 * Returns: (transfer full) (element-type CmGroupSummary): groups by
 * descending case count.
 */
CM_API GPtrArray *cm_ledger_group_summary (CmLedger *ledger, const char *region,
                                           const char *first, const char *last,
                                           GError **error);

/* ---- special-case review (settlement.md §5) ----------------------------- */

typedef enum {
  CM_SPECIAL_NONE = 0,
  CM_SPECIAL_SUBMITTED,
  CM_SPECIAL_UNDER_REVIEW,
  CM_SPECIAL_APPROVED,
  CM_SPECIAL_REJECTED,
  CM_SPECIAL_APPEALED,
} CmSpecialState;

/* Why a case is a candidate (flags at import). Append-only. */
typedef enum {
  CM_SPECIAL_FLAG_HIGH = 1 << 0,       /* high-ratio / high deviation case */
  CM_SPECIAL_FLAG_EXTREME = 1 << 1,    /* DIP extreme, or flagged by pricing */
  CM_SPECIAL_FLAG_LONG_STAY = 1 << 2,  /* LOS ≥ special_case.long_stay_days */
  CM_SPECIAL_FLAG_HIGH_COST = 1 << 3,  /* cost > multiple × standard */
  CM_SPECIAL_FLAG_NEW_TECH = 1 << 4,   /* a procedure on the new-technology list */
} CmSpecialFlags;

typedef enum {
  CM_SPECIAL_PAY_FFS = 0,   /* approved: paid its cost (按项目) */
  CM_SPECIAL_PAY_AMOUNT,    /* approved: paid a reviewed amount */
} CmSpecialPayRule;

typedef enum {
  CM_SPECIAL_SUBMIT = 0,    /* NONE → SUBMITTED (counts against the quota) */
  CM_SPECIAL_START,         /* SUBMITTED / APPEALED → UNDER_REVIEW */
  CM_SPECIAL_APPROVE,       /* SUBMITTED / UNDER_REVIEW / APPEALED → APPROVED */
  CM_SPECIAL_REJECT,        /* SUBMITTED / UNDER_REVIEW / APPEALED → REJECTED */
  CM_SPECIAL_APPEAL,        /* REJECTED → APPEALED */
} CmSpecialAction;

/* Static names: "none", "submitted", "under_review", … */
CM_API const char *cm_special_state_name (CmSpecialState state);
/* "high,long_stay" etc. into @out. */
CM_API void cm_special_flags_format (guint flags, GString *out);

typedef struct {
  char *episode_id;
  char *hospital_id;
  char *period;                /* the case's month */
  char *cycle;                 /* "2025-Q1" or "2025-03" */
  char *group_code;
  guint flags;
  CmSpecialState state;
  CmCaseClass case_class;
  gint32 los_days;
  CmE4 ratio_e4;
  CmFen cost_fen, standard_fen, pay_fen, fund_fen;
  CmSpecialPayRule rule;
  CmFen approved_pay_fen;      /* the payment when approved */
  char *note;
} CmSpecialCase;

typedef struct {
  char *hospital_id;
  char *cycle;
  gint64 discharges;           /* DRG/DIP cases of the hospital in the cycle */
  gint64 cap;                  /* floor (discharges × cap ratio) */
  gint64 candidates;
  gint64 submitted;            /* every case that left NONE */
  gint64 approved;
} CmSpecialQuota;

CM_API void cm_special_case_free (CmSpecialCase *sc);
CM_API void cm_special_quota_free (CmSpecialQuota *q);

/**
 * cm_ledger_special_list:
 * @ledger: the ledger
 * @config: the settlement configuration (cycle, cap ratios)
 * @region: the region
 * @cycle: "YYYY-Qn", "YYYY-MM" or "YYYY"
 * @candidates_only: TRUE for flagged cases still NONE; FALSE for every
 *   case that has a state
 * @quotas: (out) (optional) (transfer full): CmSpecialQuota per hospital
 * @error: CM_SETTLE_ERROR_LEDGER / _STATE (bad cycle)
 *
 * Returns: (transfer full) (element-type CmSpecialCase): the cases, by
 * hospital and then by descending cost ratio.
 */
CM_API GPtrArray *cm_ledger_special_list (CmLedger *ledger,
                                          const CmSettleConfig *config,
                                          const char *region, const char *cycle,
                                          gboolean candidates_only,
                                          GPtrArray **quotas, GError **error);

/**
 * cm_ledger_deviation_cases:
 * @ledger: the ledger
 * @region: the region
 * @first: first period
 * @last: last period
 * @error: CM_SETTLE_ERROR_LEDGER
 *
 * The high, low and extreme cases (deviation cases, 偏差病例) of the
 * range with their review state, by hospital and descending cost ratio.
 *
 * Returns: (transfer full) (element-type CmSpecialCase): the cases.
 */
CM_API GPtrArray *cm_ledger_deviation_cases (CmLedger *ledger, const char *region,
                                             const char *first, const char *last,
                                             GError **error);

/**
 * cm_ledger_special_act:
 * @ledger: the ledger
 * @policy: the region's policy (fund-share rule of the approved payment)
 * @config: the settlement configuration (quota)
 * @episode_id: the case
 * @action: what happens
 * @rule: the payment of an approval
 * @amount_fen: the reviewed amount (CM_SPECIAL_PAY_AMOUNT)
 * @note: (nullable): the committee's note (no patient data)
 * @error: CM_SETTLE_ERROR_STATE naming the case and its state when the
 *   action is not allowed, when the case is not a candidate, or when the
 *   hospital's quota for the cycle is used up
 *
 * Moves the case through NONE → SUBMITTED → UNDER_REVIEW → APPROVED |
 * REJECTED → APPEALED → …, recording every step.
 */
CM_API gboolean cm_ledger_special_act (CmLedger *ledger, CmPolicy *policy,
                                       const CmSettleConfig *config,
                                       const char *episode_id,
                                       CmSpecialAction action,
                                       CmSpecialPayRule rule, CmFen amount_fen,
                                       const char *note, GError **error);

/* ---- annual clearing (settlement.md §3, §4, §8) ------------------------- */

typedef struct {
  char *hospital_id;
  int level;
  char *county_id;
  guint64 n_cases;
  CmE4 points_e4;
  CmE4 cmi_e4;
  CmFen cost_fen;
  CmFen pay_fen;               /* Σ final case payment (DRG/DIP cases) */
  CmFen ffs_fen;               /* Σ their cost (for §4 D) */
  CmFen monthly_payable_fen;   /* Σ payable of the months' current runs */
  CmFen case_fund_fen;         /* Σ final fund_case */
  CmFen rounding_fen;          /* hospital total − Σ rounded case amounts */
  CmFen netting_fen;           /* burden netted at hospital level (≤ 0) */
  CmFen special_fen;           /* approved special cases */
  CmFen final_payable_fen;
  CmFen deductions_fen;        /* months' + annual audit deductions */
  CmE4 score_e4;
  CmFen assess_fen;
  CmFen incentive_fen;
  CmFen due_fen;
  CmFen advances_fen;          /* Σ advance_m */
  CmFen withheld_fen;          /* Σ withheld_m */
  CmFen prepayment_fen;
  CmFen clearing_fen;          /* < 0: recovered */
} CmClearingStatement;

typedef struct {
  char region[CM_LEDGER_REGION_LEN];
  int year;
  gint64 run_id;
  int run_no;
  gint32 deadline;             /* settle.annual.deadline */
  gboolean pv_from_budget;
  CmE4 pv_e4[3];               /* final point values */
  CmFen budget_fen[3];
  CmFen target_fen[3];
  CmE4 points_e4[3];
  CmFen pool_pay_fen[3];       /* Σ hospital pool amounts */
  CmFen residual_fen[3];
  /* month by month (current runs), [0] = January */
  int n_months;                /* months with a run */
  gboolean month_settled[12];
  guint64 month_cases[12];
  CmFen month_cost_fen[12];
  CmFen month_payable_fen[12];
  CmFen month_advance_fen[12];
  CmFen month_withheld_fen[12];
  CmE4 month_pv_e4[12][3];
  CmE4 month_weight_e4[12];
  guint64 month_weighted[12];
  GPtrArray *hospitals;        /* CmClearingStatement * */
  CmClearingStatement total;
} CmYearResult;

CM_API void cm_year_result_free (CmYearResult *result);

/**
 * cm_ledger_settle_year:
 * @ledger: the ledger
 * @policy: the region's policy
 * @config: the settlement configuration (budget, hospitals, incentive)
 * @year: the year
 * @error: CM_SETTLE_ERROR_STATE when a month with cases is not settled
 *
 * settlement.md §3: final point values from the annual budget (dip.md §5
 * PV-2/PV-3; drg-payment.md §7), or the policy's final values, or the
 * provisional ones; every case repriced; approved special cases applied;
 * hospital totals rounded once; assessment, incentive, true-up against
 * the advances and the prepayment.
 *
 * Returns: (transfer full) (nullable): the clearing run.
 */
CM_API CmYearResult *cm_ledger_settle_year (CmLedger *ledger, CmPolicy *policy,
                                            const CmSettleConfig *config,
                                            int year, GError **error);

/* (transfer full) (nullable): the current clearing of a year, read back. */
CM_API CmYearResult *cm_ledger_get_year (CmLedger *ledger, const char *region,
                                         int year, GError **error);

/* ---- county medical alliances (medical-alliance.md) --------------------- */

/**
 * cm_ledger_import_alliance_charges:
 * @ledger: the ledger
 * @region: the region
 * @year: the year
 * @path: a TSV: `alliance_id`, `month` (YYYY-MM), `kind` (`out_of_county`,
 *   `outpatient`, `other`), `amount` (yuan)
 * @error: CM_POLICY_ERROR_TABLE (file:line:column), _LEDGER
 *
 * Replaces the year's charges that do not come from the case ledger
 * (referrals out of the county, outpatient FFS when in scope) by the
 * file's rows; the same bytes twice change nothing.
 */
CM_API gboolean cm_ledger_import_alliance_charges (CmLedger *ledger,
                                                   const char *region, int year,
                                                   const char *path,
                                                   GError **error);

typedef struct {
  char *alliance_id;
  char *name;
  char *county_id;
  char *members;               /* "|"-joined hospital ids */
  gint64 insured;
  CmFen fund_fen;              /* F of the county (fund method) */
  CmFen ring_fenced_fen;       /* S */
  CmFen reserve_fen;           /* R = F × r */
  CmFen county_budget_fen;     /* B_county */
  CmFen previous_actual_fen;   /* growth method */
  guint64 n_cases;             /* in-county cases of the alliance's insured */
  CmFen in_county_fen;         /* their fund payments (final when cleared) */
  CmFen carved_out_fen;        /* approved special cases kept out */
  CmFen out_of_county_fen;
  CmFen outpatient_fen;
  CmFen other_fen;
  CmE4 score_e4;
  CmAllianceOutcome outcome;   /* budget, actual, surplus / overspend */
} CmAllianceResult;

typedef struct {
  char region[CM_LEDGER_REGION_LEN];
  int year;
  gint64 run_id;
  gboolean final_amounts;      /* in-county charges from the clearing */
  CmAllianceBudgetMethod method;
  GPtrArray *alliances;        /* CmAllianceResult * */
} CmAllianceYear;

CM_API void cm_alliance_year_free (CmAllianceYear *result);

/**
 * cm_ledger_settle_alliances:
 * @ledger: the ledger
 * @config: the settlement configuration (alliances, counties, tiers)
 * @region: the region
 * @year: the year
 * @error: CM_SETTLE_ERROR_CONFIG when the year lists no alliance,
 *   _STATE when no month of the year is settled
 *
 * medical-alliance.md §2–§6: each alliance's budget, the charges against
 * it (fund payments of its insured — local insured — at its member
 * hospitals, taken from the clearing when the year is cleared, else from
 * the monthly runs; plus out-of-county and outpatient charges), and the
 * surplus retention or overspend sharing with the assessment factor.
 *
 * Returns: (transfer full) (nullable): the run.
 */
CM_API CmAllianceYear *cm_ledger_settle_alliances (CmLedger *ledger,
                                                   const CmSettleConfig *config,
                                                   const char *region, int year,
                                                   GError **error);

/* ---- audit and checks --------------------------------------------------- */

/**
 * cm_ledger_digest:
 * @ledger: the ledger
 * @error: CM_SETTLE_ERROR_LEDGER
 *
 * SHA-256 of the ledger's content: every row of every table in key order,
 * without the time stamps. Two ledgers built by the same operations have
 * the same digest, whatever happened in between (a killed import, a
 * repeated one).
 *
 * Returns: (transfer full) (nullable): 64 hex digits.
 */
CM_API char *cm_ledger_digest (CmLedger *ledger, GError **error);

/* Appends the audit trail of @region (all regions when NULL), oldest
 * first, as "time<TAB>actor<TAB>period<TAB>action<TAB>detail" lines. */
CM_API gboolean cm_ledger_audit (CmLedger *ledger, const char *region,
                                 GString *out, GError **error);

/**
 * cm_ledger_check_conservation:
 * @ledger: the ledger
 * @region: the region
 * @year: the year
 * @report: (nullable): receives one line per identity checked
 * @n_checked: (out) (optional): identities checked
 * @n_failed: (out) (optional): identities that do not hold
 * @error: CM_SETTLE_ERROR_LEDGER
 *
 * Checks, to the fen, every money identity of the year's current runs:
 * per month Σ advance + Σ withheld = Σ (payable − deductions), payable =
 * Σ case postings + special postings, point pools Σ + residual = target;
 * per hospital at clearing Σ advances + prepayment + clearing = due, due +
 * assess + deductions − incentive = final payable = Σ case amounts +
 * rounding + netting + special; Σ pool pay + residual = target; and for
 * the alliances budget = actual + retained + returned, or overspend =
 * fund's share + alliance's share, and Σ B_k = B_county.
 *
 * Returns: TRUE when the checks could run (see @n_failed).
 */
CM_API gboolean cm_ledger_check_conservation (CmLedger *ledger,
                                              const char *region, int year,
                                              GString *report, guint *n_checked,
                                              guint *n_failed, GError **error);

/* Regions present in the ledger (transfer full, NULL-terminated). */
CM_API GStrv cm_ledger_list_regions (CmLedger *ledger, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmLedger, cm_ledger_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmMonthResult, cm_month_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmYearResult, cm_year_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmAllianceYear, cm_alliance_year_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmSpecialCase, cm_special_case_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmSpecialQuota, cm_special_quota_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmGroupSummary, cm_group_summary_free)

G_END_DECLS
