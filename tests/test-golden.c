/* test-golden.c — every episode of the shared corpora against the
 * reference groupers' results (episodes/expected/). Skips, saying so, when
 * ../shared is absent.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include "test-common.h"

typedef struct {
  const char *scheme;
  const char *corpus;    /* under shared/ */
  const char *expected;  /* under shared/ */
} GoldenCase;

static GoldenCase golden_cases[] = {
  { "chs-drg-1.1", "episodes/sample-20k.csv", "episodes/expected/chs-drg-1.1.csv" },
  { "changsha-2023", "episodes/sample-20k.csv", "episodes/expected/changsha-2023.csv" },
  { "chs-drg-3.0", "episodes/sample-20k.csv", "episodes/expected/chs-drg-3.0.csv" },
  { "dip-cn-national-3.0", "episodes/sample-20k.csv",
    "episodes/expected/dip-cn-national-3.0.csv" },
  { "dip-cn-national-3.0", "episodes/dip-targeted-sample.csv",
    "episodes/expected/dip-targeted-sample.dip-cn-national-3.0.csv" },
};

ParameterizedTestParameters (golden, every_episode_agrees)
{
  return cr_make_param_array (GoldenCase, golden_cases,
                              G_N_ELEMENTS (golden_cases));
}

ParameterizedTest (GoldenCase *gc, golden, every_episode_agrees, .timeout = 300)
{
  g_autofree char *corpus = test_shared_path (gc->corpus);
  g_autofree char *expected_path = test_shared_path (gc->expected);
  g_autofree char *expected = NULL;
  g_autoptr (CmScheme) scheme = NULL;
  g_auto (GStrv) got_lines = NULL, want_lines = NULL;
  char *got;
  CmPipelineStats st;
  guint n_got, n_want, diff = 0;

  if (corpus == NULL || expected_path == NULL)
    cr_skip_test ("shared corpus %s or %s absent (CM_SHARED_DIR): golden test skipped",
                  gc->corpus, gc->expected);
  cr_assert (g_file_get_contents (expected_path, &expected, NULL, NULL));
  scheme = test_load_scheme (gc->scheme);
  got = test_group_file (scheme, 0, corpus, CM_INPUT_EPISODES, 2, 0, NULL, &st);
  cr_expect_eq (st.rejected, 0, "%s: %" G_GUINT64_FORMAT " lines rejected",
                gc->corpus, st.rejected);
  got_lines = g_strsplit (got, "\n", -1);
  want_lines = g_strsplit (expected, "\n", -1);
  free (got);
  n_got = g_strv_length (got_lines);
  n_want = g_strv_length (want_lines);
  cr_expect_eq (n_got, n_want, "%s on %s: %u result lines, expected %u",
                gc->scheme, gc->corpus, n_got, n_want);
  for (guint i = 0; i < MIN (n_got, n_want); i++)
    if (strcmp (got_lines[i], want_lines[i]) != 0)
      {
        if (diff < 10)
          cr_log_error ("%s line %u: got '%s', expected '%s'", gc->scheme,
                        i + 1, got_lines[i], want_lines[i]);
        diff++;
      }
  cr_assert_eq (diff, 0, "%s on %s: %u of %u episodes disagree with the reference",
                gc->scheme, gc->corpus, diff, n_want - 2);
}
