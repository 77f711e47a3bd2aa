/* cm-episode.h — one inpatient episode as the groupers see it.
 * SPDX-License-Identifier: Apache-2.0
 *
 * An episode is a *view*: every string points into a buffer owned by
 * whoever filled it (the CSV reader keeps the current line; a test keeps
 * string literals). Nothing here is allocated per episode, which is what
 * lets the batch pipeline group without touching malloc.
 *
 * Scalar grouping fields follow schemes/FORMAT.md §3: a field is *absent*
 * (text == NULL), an integer (is_int), or present but non-integer (text set,
 * is_int FALSE: it passes known() and is an evaluation error in a numeric
 * comparison). */
#pragma once

#include <glib.h>
#include "cm-version.h"
#include "cm-limits.h"

G_BEGIN_DECLS

/* Money: a signed count of fen (1 yuan = 100 fen). */
typedef gint64 CmFen;

typedef struct {
  const char *text;  /* normalised text, NUL-terminated; NULL when absent */
  gint64 value;      /* the integer, meaningful only when is_int */
  gboolean is_int;
} CmField;

typedef enum {
  CM_INSURANCE_UNKNOWN = 0,
  CM_INSURANCE_EMPLOYEE,
  CM_INSURANCE_RESIDENT,
} CmInsuranceType;

typedef enum {
  CM_REGION_UNKNOWN = 0,
  CM_REGION_LOCAL,
  CM_REGION_PROVINCE,
  CM_REGION_OTHER_PROVINCE,
} CmInsuredRegion;

typedef enum {
  CM_PER_DIEM_NONE = 0,
  CM_PER_DIEM_REHAB,
  CM_PER_DIEM_NURSING,
  CM_PER_DIEM_HOSPICE,
  CM_PER_DIEM_PSYCH,
} CmPerDiemCategory;

typedef struct {
  const char *episode_id;

  /* grouping fields (schemes/FORMAT.md §3) */
  CmField sex;
  CmField age_years;
  CmField age_days;
  CmField weight_g;
  CmField dept;
  CmField los_days;
  CmField discharge;
  CmField icu_hours;
  CmField amount;

  /* D and P as split from the raw text (FORMAT.md §3: empty items kept for
   * diagnoses; an empty procedure text is the empty list). */
  guint n_dx;
  guint n_px;
  const char *dx[CM_MAX_CODES];
  const char *px[CM_MAX_CODES];
  gboolean px_text_empty;  /* the procedure cell was empty */

  /* the rest of the exchange CSV (episodes/FORMAT.md §2); zero / NULL when
   * the input format does not carry them (OpenDRG input) */
  const char *patient_id;
  const char *hospital_id;
  int hospital_level;
  const char *county_id;
  CmInsuranceType insurance_type;
  CmInsuredRegion insured_region;
  gint32 admit_date;      /* days since 1970-01-01 */
  gint32 discharge_date;  /* days since 1970-01-01 */
  CmFen total_cost_fen;
  CmFen out_of_catalogue_cost_fen;
  CmFen patient_copay_fen;
  CmFen fund_paid_ffs_fen;
  CmPerDiemCategory per_diem_category;
} CmEpisode;

/**
 * cm_episode_clear:
 * @episode: an episode
 *
 * Resets every field to absent / zero.
 */
CM_API void cm_episode_clear (CmEpisode *episode);

/**
 * cm_field_set_text:
 * @field: the field
 * @text: (nullable): normalised text, NULL for absent
 *
 * Sets @field from already-normalised text: integer when it matches
 * `-?[0-9]+` (and fits in 64 bits), present non-integer otherwise.
 */
CM_API void cm_field_set_text (CmField *field, const char *text);

/**
 * cm_field_set_int:
 * @field: the field
 * @text: the decimal text of @value (kept for output and known())
 * @value: the integer
 */
CM_API void cm_field_set_int (CmField *field, const char *text, gint64 value);

G_END_DECLS
