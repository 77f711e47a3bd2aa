/* fuzz-dip-tables.c — libFuzzer target: the DIP scheme loader
 * (schemes/dip-cn-national-3.0/GROUPING.md) on mutated copies of the tiny
 * scheme of tests/test-dip.c, then grouping a few fixed episodes with
 * whatever loaded.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Input: byte 0 picks one of the seven tables (modulo 7, in the order of
 * fuzz-dip-tiny.h), the rest replaces it in a scratch copy of the folder.
 *
 * Checks: as fuzz-drg-tables.c — one CM_SCHEME_ERROR on a failed load;
 * otherwise grouping within bounds, traced = plain, traces valid JSON. */
#include "config.h"

#include "fuzz-group.h"
#include "cm-dip.h"
#include "fuzz-dip-tiny.h"

static const char *const episodes[] = {
  "dx=D10.000 px=33.3300|44.4400|55.5500|33.3300",
  "dx=A15.000x010|U84.300x001",
  "dx=K80.100",
  "dx=C76.000 px=22.2200",
  "dx=K80.000",
  "dx=C0A.1 px=22.2200",
  "dx=R10.4",
  "dx=D10.000 px=33.3300|11.1100",
  "dx=D10.000 px=11.1100|33.3300",
  "dx=D10.000 px=17.4200|99.9999",
  "dx=D10.000 px=45.1300",
  "dx=K29.1 px=87.4100|45.1300|17.4200",
  "dx=P22.000|P07.100 days=3 wt=999",
  "dx=|A00.000x001| px=|88.4100||",
  "dx=X00.000",
  "dx=",
  "dx=|| px=47.0100",
};

static const char *const targets[] = {
  "T-1", "T-11", "T-13", "T-21", "T-30", "ZH-D10-M", "ZH-C76-S", "BX-51", "",
};

static FuzzTables tables;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  G_STATIC_ASSERT (G_N_ELEMENTS (dip_tiny_names) == G_N_ELEMENTS (dip_tiny_texts));
  fuzz_init ();
  fuzz_tables_init (&tables, dip_tiny_names, dip_tiny_texts,
                    G_N_ELEMENTS (dip_tiny_names));
  return 0;
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
      FUZZ_CHECK (cm_scheme_get_family (scheme) == CM_SCHEME_FAMILY_DIP,
                  "not a DIP scheme");
      FUZZ_CHECK (cm_dip_scheme_get_id (cm_scheme_get_dip (scheme)) != NULL,
                  "no id");
      fuzz_group_fixed (scheme, episodes, G_N_ELEMENTS (episodes), targets,
                        G_N_ELEMENTS (targets));
    }
  fuzz_tables_restore (&tables, replaced);
  return 0;
}
