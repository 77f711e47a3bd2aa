/* test-sample.c — the synthetic episode generator: well-formed, seeded,
 * varied.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include "test-common.h"

static char *
generate (CmScheme *s, guint32 seed, guint64 n, int month)
{
  CmSampleOptions opt;
  g_autoptr (GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("cm-sample-XXXXXX.csv", &path, NULL);
  FILE *f = fdopen (fd, "w");

  cm_sample_options_init (&opt);
  opt.seed = seed;
  opt.n = n;
  opt.month = month;
  cr_assert (cm_sample_write (s, &opt, f, &error), "%s", error ? error->message : "");
  fclose (f);
  return path;
}

typedef struct {
  const char *scheme;
  guint32 seed;
} SampleCase;

static SampleCase sample_cases[] = {
  { "chs-drg-1.1", 1 }, { "chs-drg-1.1", 99 }, { "changsha-2023", 5 }, { "chs-drg-3.0", 3 },
};

ParameterizedTestParameters (sample, every_line_is_valid_and_groups)
{
  return cr_make_param_array (SampleCase, sample_cases, G_N_ELEMENTS (sample_cases));
}

ParameterizedTest (SampleCase *c, sample, every_line_is_valid_and_groups, .timeout = 120)
{
  g_autoptr (CmScheme) s = test_load_scheme (c->scheme);
  g_autofree char *path = generate (s, c->seed, 20000, 0);
  g_autoptr (GHashTable) drgs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  CmPipelineStats st;
  char *rej;
  char *out = test_group_file (s, 0, path, CM_INPUT_EPISODES, 2, 0, &rej, &st);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  guint success = 0;

  cr_assert_eq (st.rejected, 0, "%s seed %u: rejects:\n%s", c->scheme, c->seed, rej);
  cr_assert_eq (st.accepted, 20000);
  for (guint i = 1; lines[i] && *lines[i]; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
      if (strcmp (f[1], "SUCCESS") == 0)
        success++;
      g_hash_table_add (drgs, g_strdup (f[4]));
    }
  /* the draw spreads over the scheme: most episodes group, many DRGs */
  cr_assert_gt (success, 13000, "%s: only %u SUCCESS", c->scheme, success);
  cr_assert_gt (g_hash_table_size (drgs), 300, "%s: only %u DRGs", c->scheme,
                g_hash_table_size (drgs));
  free (out);
  free (rej);
  g_unlink (path);
}

Test (sample, same_seed_same_bytes_other_seed_other_bytes)
{
  g_autoptr (CmScheme) s = test_load_scheme ("chs-drg-1.1");
  g_autofree char *a = generate (s, 42, 2000, 3);
  g_autofree char *b = generate (s, 42, 2000, 3);
  g_autofree char *c = generate (s, 43, 2000, 3);
  g_autofree char *ta = NULL, *tb = NULL, *tc = NULL;

  cr_assert (g_file_get_contents (a, &ta, NULL, NULL));
  cr_assert (g_file_get_contents (b, &tb, NULL, NULL));
  cr_assert (g_file_get_contents (c, &tc, NULL, NULL));
  cr_assert_str_eq (ta, tb);
  cr_assert_str_neq (ta, tc);
  /* --month keeps every discharge in that month */
  {
    g_auto (GStrv) lines = g_strsplit (ta, "\n", -1);
    for (guint i = 1; lines[i] && *lines[i]; i++)
      {
        g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
        cr_assert (g_str_has_prefix (f[12], "2025-03-"), "line %u: %s", i, f[12]);
      }
  }
  g_unlink (a);
  g_unlink (b);
  g_unlink (c);
}

Test (sample, refuses_a_dip_scheme)
{
  g_autoptr (CmScheme) s = test_load_scheme ("dip-cn-national-3.0");
  g_autoptr (GError) error = NULL;
  CmSampleOptions opt;
  FILE *f = fopen ("/dev/null", "w");

  cm_sample_options_init (&opt);
  cr_assert_not (cm_sample_write (s, &opt, f, &error));
  cr_assert (g_error_matches (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_OPTION));
  fclose (f);
}
