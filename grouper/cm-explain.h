/* cm-explain.h — "why not group X?": the first condition on the way to a
 * target group that the episode does not meet, as facts.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Given an episode and a target — a DRG code, an ADRG or an MDC of a DRG
 * scheme, or a group id of a DIP scheme — the explanation walks every
 * path of the scheme that produces the target (MDC entry, rule, split;
 * DIP stage and row) and evaluates each condition on it against the
 * episode. The answer (a CmTrace with a target and a verdict) lists the
 * requirements that hold and those that do not, term by term, and what
 * comes earlier in the scheme's order and wins instead.
 *
 * It states what the scheme requires and what the episode contains
 * ("principal procedure must be in list OP_BB2; the episode's is
 * 01.2400"). It never suggests changing or adding a diagnosis or a
 * procedure, and it never lists the codes of a list. */
#pragma once

#include <glib.h>
#include "cm-version.h"
#include "cm-scheme.h"
#include "cm-trace.h"

G_BEGIN_DECLS

#define CM_EXPLAIN_ERROR (cm_explain_error_quark ())
typedef enum {
  CM_EXPLAIN_ERROR_TARGET,  /* the target is no group of the scheme */
} CmExplainError;

CM_API GQuark cm_explain_error_quark (void);

/**
 * cm_explain_why_not:
 * @ctx: a grouping context of this thread
 * @episode: the episode
 * @flags: the grouping options (translation, comprehensive groups)
 * @target: a DRG code ("BB21", a fallback such as "AA1", "BQY"), an ADRG
 *   ("BB2"), an MDC ("MDCB"), or a DIP group id ("BX-51", "ZH-A00-M")
 * @trace: (out caller-allocates): cleared, then filled with the actual
 *   result, the target, the verdict and the steps
 * @error: CM_EXPLAIN_ERROR_TARGET when @target names no group of the
 *   scheme (the message names the scheme)
 *
 * Returns: TRUE when @trace holds the answer.
 */
CM_API gboolean cm_explain_why_not (CmGroupContext *ctx,
                                    const CmEpisode *episode,
                                    CmGroupFlags flags, const char *target,
                                    CmTrace *trace, GError **error);

G_END_DECLS
