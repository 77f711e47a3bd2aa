/* cm-scheme.h — a loaded grouping scheme, DRG or DIP, and grouping one
 * episode with it.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A scheme folder says what it is: a `meta.tsv` with key `scheme_id` and a
 * `groups.tsv` is a DIP scheme (schemes/dip-cn-national-3.0/GROUPING.md);
 * a folder with `mdc.tsv` and `adrg_rules.tsv` is a flat DRG scheme
 * (schemes/FORMAT.md). A loaded scheme is immutable, atomically
 * refcounted and shared by all threads; the mutable per-case scratch lives
 * in a CmGroupContext, one per thread. */
#pragma once

#include <glib.h>
#include "cm-episode.h"

G_BEGIN_DECLS

#define CM_SCHEME_ERROR (cm_scheme_error_quark ())
typedef enum {
  CM_SCHEME_ERROR_NOT_FOUND,  /* no such folder, or a required file missing */
  CM_SCHEME_ERROR_TABLE,      /* a malformed table row (file:line:column) */
  CM_SCHEME_ERROR_CONDITION,  /* a condition that does not compile */
  CM_SCHEME_ERROR_FORMAT,     /* not a scheme folder, or an unknown format version */
  CM_SCHEME_ERROR_OPTION,     /* an option the scheme cannot honour */
} CmSchemeError;

CM_API GQuark cm_scheme_error_quark (void);

typedef enum {
  CM_SCHEME_FAMILY_DRG,
  CM_SCHEME_FAMILY_DIP,
} CmSchemeFamily;

typedef struct _CmScheme CmScheme;
typedef struct _CmDrgScheme CmDrgScheme;
typedef struct _CmDipScheme CmDipScheme;
typedef struct _CmGroupContext CmGroupContext;
typedef struct _CmTrace CmTrace;  /* cm-trace.h */

/* Grouping options. */
typedef enum {
  CM_GROUP_DEFAULT = 0,
  CM_GROUP_TRANSLATE = 1 << 0,         /* DRG: code translation (FORMAT.md §5.1) */
  CM_GROUP_NO_COMPREHENSIVE = 1 << 1,  /* DIP: skip comprehensive groups (GROUPING.md §7) */
} CmGroupFlags;

/* The result of grouping one episode. Strings are borrowed from the scheme
 * or static; the char arrays are the result's own. */
typedef struct {
  CmSchemeFamily family;
  const char *status;       /* SUCCESS, FAIL, QY, CHECK_FAILED, ERROR, …;
                             * DIP: GROUPED, COMPREHENSIVE, EXCLUDED_DX, … */
  /* DRG */
  char mdc[16];
  char adrg[16];
  char drg[24];
  /* DIP */
  const char *group_id;     /* "" when none */
  const char *rule_stage;   /* "" when none */
  gboolean primary_care;
  char procedure_class;     /* DIP: 'S', 'P', 'M' (GROUPING.md §7.2) or '\0' */
} CmGroupResult;

/**
 * cm_scheme_load:
 * @dir: a scheme folder
 * @error: CM_SCHEME_ERROR_* naming file:line:column on a bad table
 *
 * Returns: (transfer full): the scheme, or NULL with @error set.
 */
CM_API CmScheme *cm_scheme_load (const char *dir, GError **error);
CM_API CmScheme *cm_scheme_ref (CmScheme *scheme);
CM_API void cm_scheme_unref (CmScheme *scheme);

CM_API CmSchemeFamily cm_scheme_get_family (const CmScheme *scheme);
/* The scheme id (meta.tsv `id` or `scheme_id`). */
CM_API const char *cm_scheme_get_id (const CmScheme *scheme);
/* (transfer none) (nullable): the family-specific scheme. */
CM_API CmDrgScheme *cm_scheme_get_drg (const CmScheme *scheme);
CM_API CmDipScheme *cm_scheme_get_dip (const CmScheme *scheme);

/* Per-thread scratch; holds a reference on @scheme. */
CM_API CmGroupContext *cm_group_context_new (CmScheme *scheme);
CM_API void cm_group_context_free (CmGroupContext *ctx);

/**
 * cm_scheme_check_flags:
 * Fails with CM_SCHEME_ERROR_OPTION when @flags do not apply to @scheme
 * (e.g. --no-comprehensive with a DRG scheme).
 */
CM_API gboolean cm_scheme_check_flags (const CmScheme *scheme,
                                       CmGroupFlags flags, GError **error);

/**
 * cm_group:
 * @ctx: a context of this thread
 * @episode: the episode
 * @flags: options
 * @result: (out): the result
 *
 * Groups one episode. Business outcomes (FAIL, CHECK_FAILED, ERROR, …) are
 * statuses in @result, never errors. Allocates nothing once warm.
 */
CM_API void cm_group (CmGroupContext *ctx, const CmEpisode *episode,
                      CmGroupFlags flags, CmGroupResult *result);

/**
 * cm_group_traced:
 * @ctx: a context of this thread
 * @episode: the episode
 * @flags: options
 * @trace: a trace (cm-trace.h); cleared, then filled with the scheme and
 *   episode ids, every step the grouper took, and the result
 * @result: (out): the result, exactly as cm_group() gives it
 *
 * Groups one episode like cm_group() and records the path it took. Meant
 * for one episode at a time (explanations, the HTTP service): it
 * allocates and formats; cm_group() stays the batch entry point.
 */
CM_API void cm_group_traced (CmGroupContext *ctx, const CmEpisode *episode,
                             CmGroupFlags flags, CmTrace *trace,
                             CmGroupResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmScheme, cm_scheme_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmGroupContext, cm_group_context_free)

G_END_DECLS
