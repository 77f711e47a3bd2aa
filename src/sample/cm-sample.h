/* cm-sample.h — a seeded generator of synthetic, well-formed episodes.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The demo, the benchmarks and some tests need episode files that live in
 * the repository's world only: no patient data, no copy of the shared
 * corpus. The generator draws codes from a DRG scheme's own tables
 * (principal diagnoses that open each MDC, the procedures its rules test,
 * CC/MCC codes) and wraps them in plausible stays: ages and sexes fitting
 * the MDC, lengths of stay, costs by hospital level, fund and patient
 * shares, a few per-diem (bed-day) stays. The same seed gives the same
 * bytes. Figures are illustrative, not statistics of any real region. */
#pragma once

#include <stdio.h>
#include <glib.h>
#include "cm-scheme.h"

G_BEGIN_DECLS

typedef struct {
  guint64 n;              /* episodes to write */
  guint32 seed;
  int year;               /* discharge year */
  int month;              /* 1–12, or 0 for the whole year */
  guint n_hospitals;      /* ≥ 1 */
  const char *id_prefix;  /* episode ids are <prefix><number> */
  const char *const *counties;  /* NULL-terminated county codes (6 digits) */
} CmSampleOptions;

CM_API void cm_sample_options_init (CmSampleOptions *opt);

/**
 * cm_sample_write:
 * @scheme: a DRG scheme whose codes are used
 * @opt: what to generate
 * @out: where the CSV goes (header included)
 * @error: CM_SCHEME_ERROR_OPTION for a DIP scheme or bad options, G_IO_ERROR
 *   when writing fails
 */
CM_API gboolean cm_sample_write (CmScheme *scheme, const CmSampleOptions *opt,
                                 FILE *out, GError **error);

G_END_DECLS
