/* fuzz-policy.c — libFuzzer target: the policy-pack loader (cm_policy_load:
 * policy.xml, its walk, the RELAX NG check, the timeline and the tables it
 * names) with fuzzed XML in a small pack.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Input: the text of policy.xml. The pack around it is fixed and small, so
 * that a run loads in milliseconds: `schemes.tsv` names the DRG fixture
 * mini-v2 for every year, `schemes-dip.tsv` the tiny DIP scheme of
 * tests/test-dip.c (both copied into the pack), plus weights, scores and
 * hospital tables under the names the shipped and test packs use.
 *
 * Checks: a failed load sets one CM_POLICY_ERROR whose message names the
 * file; a loaded policy answers its accessors. FUZZ_VERBOSE=1 prints each
 * load error (for writing seeds). */
#include "config.h"

#include "fuzz-common.h"
#include "fuzz-dip-tiny.h"
#include "cm-policy.h"

static char *pack;
static char *xml_path;

static const char weights[] =
  "# note\tfuzz pack: mini-v2's DRGs\n"
  "drg\tweight\tn_cases\tmean_cost\tcoefficient\tlevel_free\n"
  "AA1\t1.0000\t10\t1000.00\t\t0\n"
  "BB11\t2.5000\t10\t2500.00\t1.1000\t0\n"
  "BB13\t1.5000\t10\t1500.00\t\t1\n"
  "BR11\t0.8000\t10\t800.00\t\t0\n"
  "BR13\t0.6000\t10\t600.00\t\t0\n";
static const char scores[] =
  "# note\tfuzz pack: the tiny DIP scheme's groups\n"
  "group_id\tscore\tkind\tn_cases\tmean_cost\tmean_cost_l1\tmean_cost_l2\tmean_cost_l3\n"
  "T-1\t900.0000\tcore\t10\t9000.00\t8000.00\t9000.00\t10000.00\n"
  "T-11\t300.0000\tcore\t10\t3000.00\t\t\t\n"
  "T-21\t250.0000\tcore\t10\t2500.00\t\t\t\n"
  "ZH-D10-M\t100.0000\tcomprehensive\t5\t1000.00\t\t\t\n";
static const char hospitals[] =
  "hospital_id\tcoefficient\tname\n"
  "H9\t1.2000\tfuzz hospital\n";

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autofree char *mini = fuzz_data_path ("schemes/mini-v2");
  g_autofree char *mini_copy = NULL;
  g_autofree char *dip = NULL;
  g_autoptr (GDir) d = NULL;
  const char *name;

  fuzz_init ();
  pack = fuzz_make_tmp_dir ("cm-fuzz-policy-XXXXXX");
  xml_path = g_build_filename (pack, "policy.xml", NULL);

  /* the schemes, inside the pack: names resolve against its folder */
  mini_copy = g_build_filename (pack, "mini-v2", NULL);
  dip = g_build_filename (pack, "dip-tiny", NULL);
  if (g_mkdir (mini_copy, 0700) != 0 || g_mkdir (dip, 0700) != 0)
    abort ();
  d = g_dir_open (mini, 0, NULL);
  if (d == NULL)
    abort ();
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *from = g_build_filename (mini, name, NULL);
      g_autofree char *text = NULL;
      gsize len;

      if (!g_file_get_contents (from, &text, &len, NULL))
        abort ();
      fuzz_write_file (mini_copy, name, text, len);
    }
  for (guint i = 0; i < G_N_ELEMENTS (dip_tiny_names); i++)
    fuzz_write_file (dip, dip_tiny_names[i], dip_tiny_texts[i],
                     strlen (dip_tiny_texts[i]));

#define PUT(file, text) fuzz_write_file (pack, file, text, strlen (text))
  PUT ("schemes.tsv", "valid_from\tvalid_to\tscheme\trole\n"
                      "2024-01-01\t\tmini-v2\tprimary\n");
  PUT ("schemes-dip.tsv", "valid_from\tvalid_to\tscheme\trole\n"
                          "2024-01-01\t\tdip-tiny\tprimary\n");
  PUT ("weights-2024.tsv", weights);
  PUT ("weights-3.0.tsv", weights);
  PUT ("drg-weights-2024.tsv", weights);
  PUT ("scores.tsv", scores);
  PUT ("dip-scores-2024.tsv", scores);
  PUT ("hospitals.tsv", hospitals);
#undef PUT
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmPolicy) policy = NULL;

  fuzz_write_file (pack, "policy.xml", data, size);
  policy = cm_policy_load (xml_path, &error);
  if (policy == NULL)
    {
      FUZZ_CHECK (error != NULL && error->domain == CM_POLICY_ERROR,
                  "load failed: %s %s",
                  error ? g_quark_to_string (error->domain) : "",
                  error ? error->message : "no error");
      FUZZ_CHECK (strstr (error->message, "policy.xml") != NULL
                  || strstr (error->message, ".tsv") != NULL
                  || strstr (error->message, ".rng") != NULL,
                  "the message names no file: %s", error->message);
      if (g_getenv ("FUZZ_VERBOSE"))
        fprintf (stderr, "fuzz-policy: %s\n", error->message);
      return 0;
    }
  FUZZ_CHECK (error == NULL, "loaded with an error: %s", error->message);
  FUZZ_CHECK (cm_policy_get_region (policy) != NULL, "no region");
  FUZZ_CHECK (cm_policy_get_name (policy) != NULL, "no name");
  FUZZ_CHECK (strcmp (cm_policy_get_path (policy), xml_path) == 0, "path");
  FUZZ_CHECK (cm_policy_get_timeline (policy) != NULL, "no timeline");
  cm_policy_is_illustrative (policy);
  for (int year = 2020; year <= 2030; year++)
    cm_policy_has_year (policy, year);
  g_clear_pointer (&policy, cm_policy_unref);
  return 0;
}
