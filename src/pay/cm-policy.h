/* cm-policy.h — a regional payment policy pack: which scheme applies from
 * which discharge date, and per year every number that moves money.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A pack is a folder (tables/policy/<region>/) holding `policy.xml`,
 * validated by tables/policy/policy.rng, plus the TSV tables it points to:
 * the scheme timeline (`schemes.tsv`, cm-timeline.h), DRG weights and DIP
 * scores (cm-catalogue.h), hospital coefficients. docs/payment.md lists
 * every element and attribute with its default and source tag. A loaded
 * policy is immutable, atomically refcounted and shared by all threads. */
#pragma once

#include <glib.h>
#include "cm-price.h"
#include "cm-timeline.h"

G_BEGIN_DECLS

#define CM_POLICY_ERROR (cm_policy_error_quark ())
typedef enum {
  CM_POLICY_ERROR_NOT_FOUND,  /* no such pack, or a file it names is missing */
  CM_POLICY_ERROR_SYNTAX,     /* not well-formed XML (file:line) */
  CM_POLICY_ERROR_SCHEMA,     /* unknown, missing or misplaced element or
                               * attribute (file:line, RELAX NG) */
  CM_POLICY_ERROR_PARAMETER,  /* a malformed or inconsistent value
                               * (file:line and the parameter) */
  CM_POLICY_ERROR_TABLE,      /* a bad TSV row (file:line:column) */
  CM_POLICY_ERROR_SCHEME,     /* the timeline or a scheme does not load */
} CmPolicyError;

CM_API GQuark cm_policy_error_quark (void);

/**
 * cm_policy_find:
 * @name_or_path: a policy.xml file, a pack folder, or the name of a shipped
 *   pack (tables/policy/<name>, on the cm_tables_search_path())
 * @error: CM_POLICY_ERROR_NOT_FOUND listing where it looked
 *
 * Returns: (transfer full) (nullable): the path of the policy XML file.
 */
CM_API char *cm_policy_find (const char *name_or_path, GError **error);

/**
 * cm_policy_load:
 * @name_or_path: as cm_policy_find()
 * @error: CM_POLICY_ERROR_*; messages name file:line and the parameter
 *
 * Loads and checks the XML against the shipped RELAX NG schema and the
 * rules of docs/payment.md, then the timeline, its schemes and every table.
 *
 * Returns: (transfer full) (nullable): the policy.
 */
CM_API CmPolicy *cm_policy_load (const char *name_or_path, GError **error);
CM_API CmPolicy *cm_policy_ref (CmPolicy *policy);
CM_API void cm_policy_unref (CmPolicy *policy);

/* The `region` attribute (e.g. "430200"). */
CM_API const char *cm_policy_get_region (const CmPolicy *policy);
/* The `name` attribute, or the region. */
CM_API const char *cm_policy_get_name (const CmPolicy *policy);
/* The path of the XML file. */
CM_API const char *cm_policy_get_path (const CmPolicy *policy);
/* TRUE when the pack says its figures are illustrative. */
CM_API gboolean cm_policy_is_illustrative (const CmPolicy *policy);
/* (transfer none): the scheme timeline. */
CM_API CmTimeline *cm_policy_get_timeline (const CmPolicy *policy);
/* TRUE when some year has a parameter set for @year. */
CM_API gboolean cm_policy_has_year (const CmPolicy *policy, int year);

/* The year of a date in days since 1970-01-01 (proleptic Gregorian). */
CM_API int cm_date_year (gint32 days);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmPolicy, cm_policy_unref)

G_END_DECLS
