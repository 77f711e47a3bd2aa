/* cm-drg.h — the flat-table DRG grouper (schemes/FORMAT.md, versions 1–2).
 * SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "cm-scheme.h"

G_BEGIN_DECLS

typedef struct _CmDrgContext CmDrgContext;

/* TRUE when @dir holds mdc.tsv and adrg_rules.tsv. */
CM_API gboolean cm_drg_scheme_is_drg_folder (const char *dir);

/**
 * cm_drg_scheme_load:
 * @dir: a flat DRG scheme folder
 * @error: CM_SCHEME_ERROR_* with file:line:column
 *
 * Loads every table, compiles each distinct condition once and checks that
 * every list a condition names is declared.
 *
 * Returns: (transfer full): the scheme, or NULL.
 */
CM_API CmDrgScheme *cm_drg_scheme_load (const char *dir, GError **error);
CM_API CmDrgScheme *cm_drg_scheme_ref (CmDrgScheme *scheme);
CM_API void cm_drg_scheme_unref (CmDrgScheme *scheme);
CM_API const char *cm_drg_scheme_get_id (const CmDrgScheme *scheme);
CM_API int cm_drg_scheme_get_format_version (const CmDrgScheme *scheme);
/* (nullable): a settings.tsv value */
CM_API const char *cm_drg_scheme_get_setting (const CmDrgScheme *scheme,
                                              const char *key);
/* (nullable): the name of a DRG, ADRG or MDC code */
CM_API const char *cm_drg_scheme_lookup_name (const CmDrgScheme *scheme,
                                              const char *code);

/* Introspection (for generators, explanations and reports). */
CM_API guint cm_drg_scheme_get_n_mdcs (const CmDrgScheme *scheme);
/* (transfer none): the @i-th MDC code in mdc_order */
CM_API const char *cm_drg_scheme_get_mdc (const CmDrgScheme *scheme, guint i);

typedef enum {
  CM_DRG_CODES_PRINCIPAL_DX,  /* lists tested by pdx_in() in the MDC's entry condition */
  CM_DRG_CODES_PROCEDURES,    /* lists tested by ppx_in()/px_any_in() in the MDC's rules */
  CM_DRG_CODES_MCC,           /* every MCC code of cc.tsv (mdc ignored) */
  CM_DRG_CODES_CC,            /* every CC code of cc.tsv (mdc ignored) */
} CmDrgCodeKind;

/**
 * cm_drg_scheme_dup_codes:
 * @scheme: the scheme
 * @mdc: (nullable): an MDC code such as "MDCB"
 * @kind: which codes
 *
 * Returns: (transfer container) (element-type utf8): the codes, sorted,
 * borrowed from the scheme.
 */
CM_API GPtrArray *cm_drg_scheme_dup_codes (const CmDrgScheme *scheme,
                                           const char *mdc, CmDrgCodeKind kind);

CM_API CmDrgContext *cm_drg_context_new (CmDrgScheme *scheme);
CM_API void cm_drg_context_free (CmDrgContext *ctx);

/**
 * cm_drg_group:
 * @ctx: the calling thread's context
 * @episode: the episode
 * @translate: code translation on (FORMAT.md §5.1)
 * @result: (out): status, mdc, adrg, drg
 *
 * Groups one episode exactly as FORMAT.md §5 (reference semantics).
 */
CM_API void cm_drg_group (CmDrgContext *ctx, const CmEpisode *episode,
                          gboolean translate, CmGroupResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmDrgScheme, cm_drg_scheme_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmDrgContext, cm_drg_context_free)

G_END_DECLS
