/* cm-dip.h — the DIP grouper (national DIP 3.0, GROUPING.md of
 * schemes/dip-cn-national-3.0).
 * SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "cm-scheme.h"

G_BEGIN_DECLS

typedef struct _CmDipContext CmDipContext;

typedef enum {
  CM_DIP_CHECK_FAILED,
  CM_DIP_EXCLUDED_DX,
  CM_DIP_GROUPED,
  CM_DIP_COMPREHENSIVE,
  CM_DIP_UNGROUPED,
} CmDipStatus;

typedef struct {
  CmDipStatus status;
  const char *status_name;  /* "GROUPED", … (static) */
  const char *group_id;     /* borrowed from the scheme or static; "" when none */
  const char *rule_stage;   /* "pre", "merge", …, "comprehensive"; "" when none */
  gboolean primary_care;
  /* GROUPING.md §7.2, the procedure class of the effective procedures E:
   * 'S' (an OR code), 'P' (E not empty) or 'M'; computed for every case
   * that reaches §5.2 (whatever its stage), '\0' before (CHECK_FAILED,
   * EXCLUDED_DX). Payment pools blank groups by it. */
  char procedure_class;
} CmDipResult;

/* TRUE when @dir looks like a DIP scheme folder. */
CM_API gboolean cm_dip_scheme_is_dip_folder (const char *dir);
/* Loads and compiles a DIP folder; errors are CM_SCHEME_ERROR_*. */
CM_API CmDipScheme *cm_dip_scheme_load (const char *dir, GError **error);
CM_API CmDipScheme *cm_dip_scheme_ref (CmDipScheme *scheme);
CM_API void cm_dip_scheme_unref (CmDipScheme *scheme);
CM_API const char *cm_dip_scheme_get_id (const CmDipScheme *scheme);

CM_API CmDipContext *cm_dip_context_new (CmDipScheme *scheme);
CM_API void cm_dip_context_free (CmDipContext *ctx);

/* Groups one episode (GROUPING.md §5–§9). @comprehensive FALSE is
 * --no-comprehensive. Allocates nothing once warm. */
CM_API void cm_dip_group (CmDipContext *ctx, const CmEpisode *episode,
                          gboolean comprehensive, CmDipResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmDipScheme, cm_dip_scheme_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmDipContext, cm_dip_context_free)

G_END_DECLS
