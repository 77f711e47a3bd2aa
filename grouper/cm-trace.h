/* cm-trace.h — the path one grouping took, as data: checks, MDCs and DIP
 * stages tried, the condition that decided each, the rule and split that
 * matched, the complications that counted or were excluded, DIP candidate
 * rows and the ranking that chose; and the answer to "why not group X?".
 * SPDX-License-Identifier: Apache-2.0
 *
 * A CmTrace is created by the caller and handed to cm_group_traced() or
 * cm_explain_why_not(); grouping without a trace (cm_group()) records
 * nothing and costs nothing. A trace is a flat list of steps in the order
 * the grouper met them; `depth` nests them for display (a rule inside its
 * MDC, a split inside its rule, a condition term inside its requirement).
 *
 * Everything a step says is a fact about the scheme and the episode:
 * codes, list ids, exclusion ids, field values. A trace never says what
 * the episode *should* contain (docs/explain.md: facts, not coding
 * advice), and it holds no patient data beyond the episode id and codes.
 *
 * Strings of a step are owned by the trace and live until it is cleared
 * or freed; the trace holds no reference on the scheme. */
#pragma once

#include <glib.h>
#include "cm-version.h"
#include "cm-scheme.h"

G_BEGIN_DECLS

/* What a step is. Append-only: the JSON names (cm_trace_kind_name) are
 * part of the HTTP API (docs/api.md). */
typedef enum {
  CM_TRACE_INPUT = 0,      /* the code lists the grouper works on */
  CM_TRACE_TRANSLATE,      /* DRG code translation (FORMAT.md §5.1) */
  CM_TRACE_CHECK,          /* an input check (DRG checks.tsv, DIP §5.1) */
  CM_TRACE_CC,             /* a secondary diagnosis counted as CC or MCC */
  CM_TRACE_CC_EXCLUDED,    /* a CC/MCC excluded by the principal's exclusion id */
  CM_TRACE_MDC,            /* an MDC entry condition */
  CM_TRACE_RULE,           /* an ADRG rule */
  CM_TRACE_QY,             /* an ambiguity (QY) rule */
  CM_TRACE_FAIL,           /* a fail rule, or nothing matched */
  CM_TRACE_SPLIT,          /* a DRG split */
  CM_TRACE_FALLBACK,       /* a rule's fallback code */
  CM_TRACE_RETRY,          /* DRG §5.4: retry with one secondary procedure */
  CM_TRACE_PROCEDURES,     /* DIP §5.2: E, PP and O */
  CM_TRACE_EXCLUDED_DX,    /* DIP §5.1: principal diagnosis on excluded_dx.tsv */
  CM_TRACE_STAGE,          /* DIP stage (pre, merge, aux_*, base) */
  CM_TRACE_CANDIDATE,      /* DIP row that holds in its stage, with its key */
  CM_TRACE_RANKING,        /* DIP §6.6: the candidate the key chose */
  CM_TRACE_COMPREHENSIVE,  /* DIP §7.2 */
  CM_TRACE_UNGROUPED,      /* DIP §7.3 */
  CM_TRACE_PRIMARY_CARE,   /* DIP §9 flag */
  CM_TRACE_RESULT,         /* the result */
  CM_TRACE_TARGET,         /* why-not: the target and one path to it */
  CM_TRACE_REQUIREMENT,    /* why-not: a condition on the path */
  CM_TRACE_TERM,           /* why-not: one term of a requirement's condition */
  CM_TRACE_PREEMPTED,      /* why-not: something earlier wins instead */
  CM_TRACE_N_KINDS
} CmTraceKind;

/* How a step came out. */
typedef enum {
  CM_TRACE_YES = 0,   /* the condition held / the requirement is met */
  CM_TRACE_NO,        /* it did not */
  CM_TRACE_ERROR,     /* evaluation error (a non-integer where a number is needed) */
  CM_TRACE_INFO,      /* no condition: a fact */
} CmTraceOutcome;

/* The answer of a why-not question. */
typedef enum {
  CM_WHY_NOT_NONE = 0,     /* not a why-not trace */
  CM_WHY_NOT_IS_RESULT,    /* the episode already groups to the target */
  CM_WHY_NOT_BLOCKED,      /* a requirement on the way does not hold */
  CM_WHY_NOT_PREEMPTED,    /* every requirement holds, something earlier wins */
  CM_WHY_NOT_NOT_GROUPED,  /* the episode stops before any group (check, exclusion) */
} CmWhyNotVerdict;

/* One step. Read-only; strings are "" (never NULL) when they do not apply. */
typedef struct {
  CmTraceKind kind;
  CmTraceOutcome outcome;
  guint depth;              /* nesting for display, 0 = top */
  const char *subject;      /* what was tried: an MDC, rule id, DRG code,
                             * check number, DIP group id or stage, a code */
  const char *condition;    /* the condition as the scheme states it */
  const char *note;         /* the facts that decided, one plain sentence */
  const char *table;        /* the table, list or exclusion id involved */
  guint n_codes;
  const char *const *codes; /* episode codes involved (NULL when none) */
  /* DIP ranking key (CANDIDATE, RANKING); -1 when it does not apply */
  int specificity;
  char tier;                /* 'A', 'B', 'C', or 0 */
  int matched;
  int seq;
} CmTraceStep;

typedef struct _CmTrace CmTrace;

/**
 * cm_trace_new:
 *
 * Returns: (transfer full): an empty trace.
 */
CM_API CmTrace *cm_trace_new (void);
CM_API void cm_trace_free (CmTrace *trace);

/* Empties @trace for reuse (keeps its memory). */
CM_API void cm_trace_clear (CmTrace *trace);

CM_API guint cm_trace_get_n_steps (const CmTrace *trace);

/* (transfer none): step @i, valid until the trace changes. */
CM_API const CmTraceStep *cm_trace_get_step (const CmTrace *trace, guint i);

/**
 * cm_trace_find:
 * @trace: a trace
 * @kind: a kind
 * @subject: (nullable): a subject, NULL for any
 *
 * Returns: the index of the first step of @kind (and @subject), or -1.
 */
CM_API int cm_trace_find (const CmTrace *trace, CmTraceKind kind,
                          const char *subject);

/* (transfer none) (nullable): the result, NULL before grouping set it. */
CM_API const CmGroupResult *cm_trace_get_result (const CmTrace *trace);
/* The scheme id and episode id the trace is about ("" when unset). */
CM_API const char *cm_trace_get_scheme_id (const CmTrace *trace);
CM_API const char *cm_trace_get_episode_id (const CmTrace *trace);

/* Why-not traces: the target (NULL for a grouping trace), its kind ("drg",
 * "adrg", "mdc", "dip_group"), the verdict, and the index of the step that
 * decides it (the first requirement that fails, else the first
 * preemption; -1 when none). */
CM_API const char *cm_trace_get_target (const CmTrace *trace);
CM_API const char *cm_trace_get_target_kind (const CmTrace *trace);
CM_API CmWhyNotVerdict cm_trace_get_verdict (const CmTrace *trace);
CM_API int cm_trace_get_decisive_step (const CmTrace *trace);

/* Static names used in the text and JSON renderings: "check", "mdc", …;
 * "yes", "no", "error", "info"; "is_result", "blocked", … */
CM_API const char *cm_trace_kind_name (CmTraceKind kind);
CM_API const char *cm_trace_outcome_name (CmTraceOutcome outcome);
CM_API const char *cm_why_not_verdict_name (CmWhyNotVerdict verdict);

/**
 * cm_trace_to_text:
 * @trace: a trace
 * @out: where the rendering is appended
 *
 * Human-readable, one step per line, indented by depth (docs/explain.md).
 */
CM_API void cm_trace_to_text (const CmTrace *trace, GString *out);

/**
 * cm_trace_to_json:
 * @trace: a trace
 * @out: where one JSON object is appended (UTF-8, no trailing newline)
 *
 * The object of docs/api.md: scheme, episode_id, result, steps, and for a
 * why-not trace target, target_kind, verdict and decisive_step.
 */
CM_API void cm_trace_to_json (const CmTrace *trace, GString *out);

/* Appends @s as a JSON string literal (quotes included, escaped). */
CM_API void cm_json_append_string (GString *out, const char *s);

/* Appends the JSON object of @result (status, mdc/adrg/drg or group_id,
 * rule_stage, primary_care). */
CM_API void cm_group_result_to_json (const CmGroupResult *result,
                                     GString *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmTrace, cm_trace_free)

G_END_DECLS
