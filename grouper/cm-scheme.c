/* cm-scheme.c — a scheme of either family behind one interface.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include "cm-scheme.h"
#include "cm-drg.h"
#include "cm-dip.h"
#include "cm-trace-private.h"

struct _CmScheme {
  gatomicrefcount ref;
  CmSchemeFamily family;
  CmDrgScheme *drg;
  CmDipScheme *dip;
};

struct _CmGroupContext {
  CmScheme *scheme;
  CmDrgContext *drg;
  CmDipContext *dip;
};

G_DEFINE_QUARK (cm-scheme-error-quark, cm_scheme_error)

CmScheme *
cm_scheme_load (const char *dir, GError **error)
{
  g_autoptr (CmScheme) s = NULL;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_NOT_FOUND,
                   "%s: no such scheme folder", dir);
      return NULL;
    }
  s = g_new0 (CmScheme, 1);
  g_atomic_ref_count_init (&s->ref);
  if (cm_dip_scheme_is_dip_folder (dir))
    {
      s->family = CM_SCHEME_FAMILY_DIP;
      s->dip = cm_dip_scheme_load (dir, error);
      if (s->dip == NULL)
        return NULL;
    }
  else if (cm_drg_scheme_is_drg_folder (dir))
    {
      s->family = CM_SCHEME_FAMILY_DRG;
      s->drg = cm_drg_scheme_load (dir, error);
      if (s->drg == NULL)
        return NULL;
    }
  else
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_FORMAT,
                   "%s: not a scheme folder (neither mdc.tsv + adrg_rules.tsv "
                   "nor a DIP groups.tsv)", dir);
      return NULL;
    }
  return g_steal_pointer (&s);
}

CmScheme *
cm_scheme_ref (CmScheme *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  g_atomic_ref_count_inc (&s->ref);
  return s;
}

void
cm_scheme_unref (CmScheme *s)
{
  if (s == NULL || !g_atomic_ref_count_dec (&s->ref))
    return;
  g_clear_pointer (&s->drg, cm_drg_scheme_unref);
  g_clear_pointer (&s->dip, cm_dip_scheme_unref);
  g_free (s);
}

CmSchemeFamily
cm_scheme_get_family (const CmScheme *s)
{
  g_return_val_if_fail (s != NULL, CM_SCHEME_FAMILY_DRG);
  return s->family;
}

const char *
cm_scheme_get_id (const CmScheme *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  return s->family == CM_SCHEME_FAMILY_DRG ? cm_drg_scheme_get_id (s->drg)
                                           : cm_dip_scheme_get_id (s->dip);
}

CmDrgScheme *
cm_scheme_get_drg (const CmScheme *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  return s->drg;
}

CmDipScheme *
cm_scheme_get_dip (const CmScheme *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  return s->dip;
}

gboolean
cm_scheme_check_flags (const CmScheme *s, CmGroupFlags flags, GError **error)
{
  g_return_val_if_fail (s != NULL, FALSE);
  if (s->family == CM_SCHEME_FAMILY_DIP && (flags & CM_GROUP_TRANSLATE))
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_OPTION,
                   "%s: --translate applies to DRG schemes only",
                   cm_scheme_get_id (s));
      return FALSE;
    }
  if (s->family == CM_SCHEME_FAMILY_DRG && (flags & CM_GROUP_NO_COMPREHENSIVE))
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_OPTION,
                   "%s: --no-comprehensive applies to DIP schemes only",
                   cm_scheme_get_id (s));
      return FALSE;
    }
  return TRUE;
}

CmGroupContext *
cm_group_context_new (CmScheme *s)
{
  CmGroupContext *ctx;

  g_return_val_if_fail (s != NULL, NULL);
  ctx = g_new0 (CmGroupContext, 1);
  ctx->scheme = cm_scheme_ref (s);
  if (s->drg)
    ctx->drg = cm_drg_context_new (s->drg);
  if (s->dip)
    ctx->dip = cm_dip_context_new (s->dip);
  return ctx;
}

void
cm_group_context_free (CmGroupContext *ctx)
{
  if (ctx == NULL)
    return;
  g_clear_pointer (&ctx->drg, cm_drg_context_free);
  g_clear_pointer (&ctx->dip, cm_dip_context_free);
  cm_scheme_unref (ctx->scheme);
  g_free (ctx);
}

void
cm_group (CmGroupContext *ctx, const CmEpisode *ep, CmGroupFlags flags,
          CmGroupResult *res)
{
  g_return_if_fail (ctx != NULL && ep != NULL && res != NULL);

  if (ctx->drg)
    {
      cm_drg_group (ctx->drg, ep, (flags & CM_GROUP_TRANSLATE) != 0, res);
      return;
    }
  {
    CmDipResult dr;
    cm_dip_group (ctx->dip, ep, (flags & CM_GROUP_NO_COMPREHENSIVE) == 0, &dr);
    res->family = CM_SCHEME_FAMILY_DIP;
    res->status = dr.status_name;
    res->mdc[0] = res->adrg[0] = res->drg[0] = '\0';
    res->group_id = dr.group_id;
    res->rule_stage = dr.rule_stage;
    res->primary_care = dr.primary_care;
    res->procedure_class = dr.procedure_class;
  }
}

void
cm_group_traced (CmGroupContext *ctx, const CmEpisode *ep, CmGroupFlags flags,
                 CmTrace *trace, CmGroupResult *res)
{
  const char *name = NULL;

  g_return_if_fail (ctx != NULL && ep != NULL && trace != NULL && res != NULL);

  cm_trace_clear (trace);
  cm_trace_set_scheme (trace, cm_scheme_get_id (ctx->scheme), ctx->scheme->family);
  cm_trace_set_episode (trace, ep->episode_id);
  if (ctx->drg)
    {
      cm_drg_group_traced (ctx->drg, ep, (flags & CM_GROUP_TRANSLATE) != 0,
                           trace, res);
      if (*res->drg)
        name = cm_drg_scheme_lookup_name (ctx->scheme->drg, res->drg);
      cm_trace_add (trace, CM_TRACE_RESULT, CM_TRACE_INFO, 0, res->drg, NULL);
      cm_trace_note (trace, "status %s, mdc %s, adrg %s, drg %s", res->status,
                     *res->mdc ? res->mdc : "-", *res->adrg ? res->adrg : "-",
                     *res->drg ? res->drg : "-");
    }
  else
    {
      CmDipResult dr;
      cm_dip_group_traced (ctx->dip, ep, (flags & CM_GROUP_NO_COMPREHENSIVE) == 0,
                           trace, &dr);
      res->family = CM_SCHEME_FAMILY_DIP;
      res->status = dr.status_name;
      res->mdc[0] = res->adrg[0] = res->drg[0] = '\0';
      res->group_id = dr.group_id;
      res->rule_stage = dr.rule_stage;
      res->primary_care = dr.primary_care;
      cm_trace_add (trace, CM_TRACE_RESULT, CM_TRACE_INFO, 0, res->group_id, NULL);
      cm_trace_note (trace, "status %s, group %s, stage %s, primary care %d",
                     res->status, *res->group_id ? res->group_id : "-",
                     *res->rule_stage ? res->rule_stage : "-",
                     res->primary_care ? 1 : 0);
    }
  cm_trace_set_result (trace, res, name);
}

/* Internals for cm-explain.c (cm-trace-private.h). */
CmDrgContext *
cm_group_context_get_drg (CmGroupContext *ctx)
{
  return ctx->drg;
}

CmDipContext *
cm_group_context_get_dip (CmGroupContext *ctx)
{
  return ctx->dip;
}

CmScheme *
cm_group_context_get_scheme (CmGroupContext *ctx)
{
  return ctx->scheme;
}
