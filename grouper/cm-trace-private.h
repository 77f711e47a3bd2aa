/* cm-trace-private.h — building a trace, inside the grouper library.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The engines call these only behind `if (trace != NULL)`: nothing here
 * runs, allocates or formats when no trace was asked for. Steps are
 * appended; the setters act on the last step appended. */
#pragma once

#include "cm-trace.h"
#include "cm-explain.h"
#include "cm-drg.h"
#include "cm-dip.h"

G_BEGIN_DECLS

/* Appends a step; @subject and @condition are copied (NULL = ""). */
void cm_trace_add (CmTrace *trace, CmTraceKind kind, CmTraceOutcome outcome,
                   guint depth, const char *subject, const char *condition);
/* The last step's note (replaces it). */
void cm_trace_note (CmTrace *trace, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* The last step's note, taken from @text (copied). */
void cm_trace_note_text (CmTrace *trace, const char *text);
void cm_trace_table (CmTrace *trace, const char *table);
void cm_trace_code (CmTrace *trace, const char *code);
void cm_trace_key (CmTrace *trace, int specificity, char tier, int matched,
                   int seq);
/* The last step's outcome (when known only after its children). */
void cm_trace_outcome (CmTrace *trace, CmTraceOutcome outcome);
/* Index of the last step, -1 when none. */
int cm_trace_last (const CmTrace *trace);
/* Changes the outcome of step @i. */
void cm_trace_set_step_outcome (CmTrace *trace, guint i, CmTraceOutcome outcome);

void cm_trace_set_scheme (CmTrace *trace, const char *scheme_id,
                          CmSchemeFamily family);
void cm_trace_set_episode (CmTrace *trace, const char *episode_id);
/* Copies @result (its strings too); @name (nullable) is the group's name. */
void cm_trace_set_result (CmTrace *trace, const CmGroupResult *result,
                          const char *name);
void cm_trace_set_target (CmTrace *trace, const char *target,
                          const char *target_kind);
void cm_trace_set_verdict (CmTrace *trace, CmWhyNotVerdict verdict,
                           int decisive_step);

/* Internals of CmGroupContext for the tracing engines and why-not
 * (cm-scheme.c). */
CmDrgContext *cm_group_context_get_drg (CmGroupContext *ctx);
CmDipContext *cm_group_context_get_dip (CmGroupContext *ctx);
CmScheme *cm_group_context_get_scheme (CmGroupContext *ctx);

/* The traced engines (cm-drg.c, cm-dip.c): exactly cm_drg_group /
 * cm_dip_group, recording into @trace (non-NULL). */
void cm_drg_group_traced (CmDrgContext *ctx, const CmEpisode *episode,
                          gboolean translate, CmTrace *trace,
                          CmGroupResult *result);
void cm_dip_group_traced (CmDipContext *ctx, const CmEpisode *episode,
                          gboolean comprehensive, CmTrace *trace,
                          CmDipResult *result);

/* Why-not for each family (cm-explain.c for DRG, cm-dip.c for DIP).
 * @trace already holds the actual result. Returns FALSE with
 * CM_EXPLAIN_ERROR_TARGET when @target names nothing of the scheme. */
gboolean cm_drg_why_not (CmDrgContext *ctx, const CmEpisode *episode,
                         gboolean translate, const char *target,
                         CmTrace *trace, GError **error);
gboolean cm_dip_why_not (CmDipContext *ctx, const CmEpisode *episode,
                         gboolean comprehensive, const char *target,
                         CmTrace *trace, GError **error);

G_END_DECLS
