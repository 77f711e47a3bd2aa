/* fuzz-drg-tables.c — libFuzzer target: the flat DRG scheme loader
 * (schemes/FORMAT.md) on mutated copies of tests/data/schemes/mini-v2,
 * then grouping a few fixed episodes with whatever loaded.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Input: byte 0 picks one of the fixture's .tsv files (sorted by name,
 * modulo their number), the rest replaces it in a scratch copy of the
 * folder. CASEMIX_NO_PACK=1: no compiled-scheme cache is read or written.
 *
 * Checks: a failed load sets one CM_SCHEME_ERROR; a loaded scheme groups
 * the episodes below within bounds, traced grouping agrees with plain
 * grouping, traces are valid JSON, and the introspection calls work. */
#include "config.h"

#include "fuzz-group.h"
#include "cm-drg.h"

static FuzzTables tables;

/* mini-v2's codes and some that are not; the first FUZZ_N_EXPLAINED are
 * also explained */
static const char *const episodes[] = {
  "sex=1 age=45 dx=B1|M1 px=P1",
  "sex=2 age=0 days=20 wt=900 dx=B2|C1 px=P1|P2",
  "sex=1 age=17 dx=B2|N1",
  "sex=1 age=30 dx=T1|T2|T3",
  "sex=1 age=60 dx=X1|Y1|old2 px=p1|P2",
  "sex=2 age=5 dept=ICU dis=5 icu=100 los=3 amt=1 dx=B3|M2|C2 px=X|P3|P1",
  "sex=9 age=abc wt=x dx=b1|M1 px=P9",
  "sex=1 age=0 dx=M1|M1",
  "dx=",
  "sex=1 age=40 dx=||B1 px=P2||P1",
};

static const char *const targets[] = {
  "BB11", "BB13", "BR11", "BR13", "MDCB", "MDCZ", "AA1", "BQY", "BB1", "ZZ1",
  "0000", "none",
};

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autofree char *fixture = fuzz_data_path ("schemes/mini-v2");

  fuzz_init ();
  fuzz_tables_init_from (&tables, fixture);
  return 0;
}

static void
introspect (const CmDrgScheme *drg)
{
  static const char *const settings[] = {
    "ungroupable_code", "translate_default", "check_error_status", "nothing",
  };

  FUZZ_CHECK (cm_drg_scheme_get_id (drg) != NULL, "no id");
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++)
    cm_drg_scheme_get_setting (drg, settings[i]);
  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    cm_drg_scheme_lookup_name (drg, targets[i]);
  for (guint m = 0; m <= cm_drg_scheme_get_n_mdcs (drg); m++)
    {
      const char *mdc = m < cm_drg_scheme_get_n_mdcs (drg)
                        ? cm_drg_scheme_get_mdc (drg, m) : NULL;

      for (int kind = CM_DRG_CODES_PRINCIPAL_DX; kind <= CM_DRG_CODES_CC; kind++)
        {
          g_autoptr (GPtrArray) codes = cm_drg_scheme_dup_codes (drg, mdc, kind);

          FUZZ_CHECK (codes != NULL, "dup_codes");
          for (guint i = 1; i < codes->len; i++)
            FUZZ_CHECK (strcmp (codes->pdata[i - 1], codes->pdata[i]) <= 0,
                        "codes not sorted");
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmScheme) scheme = NULL;
  guint replaced;

  if (size < 1)
    return 0;
  replaced = fuzz_tables_replace (&tables, data, size);
  scheme = cm_scheme_load (tables.dir, &error);
  if (scheme == NULL)
    {
      FUZZ_CHECK (error != NULL && error->domain == CM_SCHEME_ERROR,
                  "load failed: %s", error ? error->message : "no error");
      FUZZ_CHECK (*error->message != '\0', "empty message");
    }
  else
    {
      FUZZ_CHECK (error == NULL, "loaded with an error: %s", error->message);
      FUZZ_CHECK (cm_scheme_get_family (scheme) == CM_SCHEME_FAMILY_DRG,
                  "not a DRG scheme");
      introspect (cm_scheme_get_drg (scheme));
      fuzz_group_fixed (scheme, episodes, G_N_ELEMENTS (episodes), targets,
                        G_N_ELEMENTS (targets));
    }
  fuzz_tables_restore (&tables, replaced);
  return 0;
}
