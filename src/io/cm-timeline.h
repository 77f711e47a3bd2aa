/* cm-timeline.h — which scheme applies to an episode: discharge-date
 * ranges mapped to schemes, with an optional shadow scheme grouped
 * alongside (the 2.0/3.0 transition).
 * SPDX-License-Identifier: Apache-2.0
 *
 * File format (`schemes.tsv`, UTF-8 TSV with a header row):
 *
 *   valid_from   valid_to     scheme          role
 *   2024-01-01   2026-12-31   changsha-2023   primary
 *   2027-01-01                chs-drg-3.0     primary
 *   2026-09-01   2026-12-31   chs-drg-3.0     shadow
 *
 * Dates are inclusive discharge dates; an empty valid_to is open-ended.
 * Ranges of one role must not overlap. `scheme` is a folder relative to the
 * file, a path, or a shipped scheme name (cm_tables_find). Each scheme is
 * loaded once and shared. */
#pragma once

#include <glib.h>
#include "cm-scheme.h"

G_BEGIN_DECLS

typedef enum {
  CM_TIMELINE_PRIMARY,
  CM_TIMELINE_SHADOW,
} CmTimelineRole;

typedef struct _CmTimeline CmTimeline;
typedef struct _CmTimelineContext CmTimelineContext;

/* Errors: CM_SCHEME_ERROR_* (file:line:column for a bad row). */
CM_API CmTimeline *cm_timeline_load (const char *path, GError **error);
/* A timeline of one scheme for every date (primary role). */
CM_API CmTimeline *cm_timeline_new_single (CmScheme *scheme);
CM_API CmTimeline *cm_timeline_ref (CmTimeline *tl);
CM_API void cm_timeline_unref (CmTimeline *tl);

/* (transfer none) (nullable): the scheme in force on @date (days since
 * 1970-01-01) for @role. */
CM_API CmScheme *cm_timeline_lookup (const CmTimeline *tl, gint32 date,
                                     CmTimelineRole role);
CM_API guint cm_timeline_get_n_schemes (const CmTimeline *tl);
CM_API CmScheme *cm_timeline_get_scheme (const CmTimeline *tl, guint i);
/* TRUE when some row has role shadow. */
CM_API gboolean cm_timeline_has_shadow (const CmTimeline *tl);

/* Per-thread: one grouping context per scheme of the timeline. */
CM_API CmTimelineContext *cm_timeline_context_new (CmTimeline *tl);
CM_API void cm_timeline_context_free (CmTimelineContext *ctx);

/**
 * cm_timeline_group:
 * @ctx: this thread's context
 * @episode: the episode (its discharge_date chooses the scheme)
 * @role: primary or shadow
 * @flags: grouping options
 * @result: (out): the result
 * @scheme: (out) (optional) (transfer none): the scheme used
 *
 * Returns: FALSE when no scheme of @role covers the discharge date
 * (@result untouched).
 */
CM_API gboolean cm_timeline_group (CmTimelineContext *ctx,
                                   const CmEpisode *episode,
                                   CmTimelineRole role, CmGroupFlags flags,
                                   CmGroupResult *result, CmScheme **scheme);

/* Days since 1970-01-01 of a YYYY-MM-DD date; FALSE when not a date. */
CM_API gboolean cm_date_parse (const char *text, gint32 *days);
/* Writes YYYY-MM-DD (11 bytes with the NUL). */
CM_API void cm_date_format (gint32 days, char buf[11]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmTimeline, cm_timeline_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmTimelineContext, cm_timeline_context_free)

G_END_DECLS
