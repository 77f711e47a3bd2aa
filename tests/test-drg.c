/* test-drg.c — DRG grouping (schemes/FORMAT.md §5, §9) on the tiny scheme
 * tests/data/schemes/mini-v2 and variants of it, and table-loading errors.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include "test-common.h"

/* A copy of mini-v2 in a temporary folder with one edit: in @file, replace
 * the first @from by @to; @from NULL deletes the file. */
static char *
make_variant (const char *file, const char *from, const char *to)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *src = test_data_path ("schemes/mini-v2");
  char *tmp = g_dir_make_tmp ("cm-mini-XXXXXX", &error);
  g_autoptr (GDir) d = g_dir_open (src, 0, &error);
  const char *name;

  cr_assert_not_null (tmp);
  cr_assert_not_null (d, "%s", error ? error->message : "");
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *in = g_build_filename (src, name, NULL);
      g_autofree char *out = g_build_filename (tmp, name, NULL);
      g_autofree char *text = NULL;
      gsize len;
      cr_assert (g_file_get_contents (in, &text, &len, NULL));
      if (file != NULL && strcmp (name, file) == 0)
        {
          char *at;
          if (from == NULL)
            continue;
          at = strstr (text, from);
          cr_assert_not_null (at, "variant: '%s' not in %s", from, file);
          *at = '\0';
          {
            g_autofree char *edited = g_strconcat (text, to, at + strlen (from), NULL);
            g_free (text);
            text = g_steal_pointer (&edited);
            len = strlen (text);
          }
        }
      cr_assert (g_file_set_contents (out, text, (gssize) len, NULL));
    }
  return tmp;
}

typedef struct {
  const char *desc;
  const char *settings_from;  /* variant of settings.tsv, or NULL */
  const char *settings_to;
  gboolean translate;
  const char *episode;
  const char *status, *mdc, *adrg, *drg;
} GroupCase;

static GroupCase group_cases[] = {
  { "MDCA rule fallback gives a 3-character DRG (§5.3)", NULL, NULL, FALSE,
    "sex=1 age=30 dx=B1 px=P9", "SUCCESS", "MDCA", "AA1", "AA1" },
  { "split with MCC from another exclusion table", NULL, NULL, FALSE,
    "sex=1 age=30 dx=B1|M2 px=P1", "SUCCESS", "MDCB", "BB1", "BB11" },
  { "MCC of the principal's own table is excluded, CC counts", NULL, NULL, FALSE,
    "sex=1 age=30 dx=B1|M1|C2 px=P1", "SUCCESS", "MDCB", "BB1", "BB13" },
  { "empty fallback continues with the next rule: ambiguity (QY)", NULL, NULL, FALSE,
    "sex=1 age=30 dx=B1|C1 px=P1", "QY", "MDCB", "QY", "BQY" },
  { "age split", NULL, NULL, FALSE,
    "sex=2 age=10 dx=B2", "SUCCESS", "MDCB", "BR1", "BR11" },
  { "weight split", NULL, NULL, FALSE,
    "sex=2 age=30 wt=1500 dx=B2", "SUCCESS", "MDCB", "BR1", "BR13" },
  { "no split matches: the rule's fallback", NULL, NULL, FALSE,
    "sex=2 age=30 dx=B2", "SUCCESS", "MDCB", "BR1", "BR1" },
  { "format 2 fail rule closes the MDC (§9.2)", NULL, NULL, FALSE,
    "sex=1 age=30 dx=B3", "FAIL", "MDCB", "B00", "B000" },
  { "no MDC: ungroupable code gives the fail_* settings", NULL, NULL, FALSE,
    "sex=1 age=30 dx=T9", "FAIL", "0000", "00", "0000" },
  { "an MDC entered without result does not commit", NULL, NULL, FALSE,
    "sex=1 age=30 dx=B1|T1|T2|M2 px=P1", "SUCCESS", "MDCB", "BB1", "BB11" },
  { "check: sex missing", NULL, NULL, FALSE,
    "age=30 dx=B1", "CHECK_FAILED", "0000", "00", "0000" },
  { "check: sex code not accepted", NULL, NULL, FALSE,
    "sex=3 age=30 dx=B1", "CHECK_FAILED", "0000", "00", "0000" },
  { "check: infant without age in days", NULL, NULL, FALSE,
    "sex=1 age=0 dx=B1", "CHECK_FAILED", "0000", "00", "0000" },
  { "check: a numeric error gives check_error_status", NULL, NULL, FALSE,
    "sex=1 age=abc dx=B1", "CHECK_FAILED", "0000", "00", "0000" },
  { "check: no diagnosis", NULL, NULL, FALSE,
    "sex=1 age=30", "CHECK_FAILED", "0000", "00", "0000" },
  { "quirk: an empty diagnosis text passes the check and fails", NULL, NULL, FALSE,
    "sex=1 age=30 dx=", "FAIL", "0000", "00", "0000" },
  { "evaluation error in a split gives ERROR (§4.3)", NULL, NULL, FALSE,
    "sex=1 age=30 wt=12a dx=B2", "ERROR", "", "", "" },
  { "reject settings are used for CHECK_FAILED", "reject_mdc\t0000", "reject_mdc\tRJ", FALSE,
    "age=30 dx=B1", "CHECK_FAILED", "RJ", "00", "0000" },
  { "fail settings are used for FAIL", "fail_drg\t0000", "fail_drg\t0000A", FALSE,
    "sex=1 age=30 dx=T9", "FAIL", "0000", "00", "0000A" },
  { "translate maps codes", NULL, NULL, TRUE,
    "sex=1 age=30 dx=b1|M2 px=p1", "SUCCESS", "MDCB", "BB1", "BB11" },
  { "translate: unmapped diagnosis", NULL, NULL, TRUE,
    "sex=1 age=30 dx=B1|Q7 px=P1", "ZD_NOT_MAPPING", "0000", "00", "0000" },
  { "translate: unmapped procedure", NULL, NULL, TRUE,
    "sex=1 age=30 dx=B1 px=P1|Q7", "SS_NOT_MAPPING", "0000", "00", "0000" },
  { "translate: an empty item is unmapped", NULL, NULL, TRUE,
    "sex=1 age=30 dx=B1||M1", "ZD_NOT_MAPPING", "0000", "00", "0000" },
  { "translate: empty diagnosis text is unmapped", NULL, NULL, TRUE,
    "sex=1 age=30 dx=", "ZD_NOT_MAPPING", "0000", "00", "0000" },
  { "translate quirk: replacement at the first equal item (§5.1)", NULL, NULL, TRUE,
    "sex=1 age=30 dx=Y1|c1", "SUCCESS", "MDCB", "BR1", "BR1" },
  { "translate before checks: the diagnosis check still applies", NULL, NULL, TRUE,
    "age=30 dx=B1", "CHECK_FAILED", "0000", "00", "0000" },
  { "translate unusable: procedures crash the reference (ERROR)",
    "translate_usable\t1", "translate_usable\t0", TRUE,
    "sex=1 age=30 dx=B1 px=P1", "ERROR", "", "", "" },
  { "translate unusable: fine without procedures",
    "translate_usable\t1", "translate_usable\t0", TRUE,
    "sex=2 age=10 dx=B2", "SUCCESS", "MDCB", "BR1", "BR11" },
  { "retry each secondary procedure (§5.4)",
    "retry_each_secondary_px\t0", "retry_each_secondary_px\t1", FALSE,
    "sex=1 age=30 dx=T9 px=X|Q|P9", "SUCCESS", "MDCA", "AA1", "AA1" },
  { "no retry without the setting", NULL, NULL, FALSE,
    "sex=1 age=30 dx=T9 px=X|P9", "FAIL", "0000", "00", "0000" },
};

ParameterizedTestParameters (drg, groups)
{
  return cr_make_param_array (GroupCase, group_cases, G_N_ELEMENTS (group_cases));
}

ParameterizedTest (GroupCase *c, drg, groups)
{
  g_autofree char *dir = c->settings_from
    ? make_variant ("settings.tsv", c->settings_from, c->settings_to)
    : test_data_path ("schemes/mini-v2");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmScheme) s = cm_scheme_load (dir, &error);
  g_autoptr (CmGroupContext) ctx = NULL;
  g_auto (GStrv) store = NULL;
  CmEpisode ep;
  CmGroupResult r;

  cr_assert_not_null (s, "%s: %s", c->desc, error ? error->message : "");
  ctx = cm_group_context_new (s);
  test_episode (&ep, c->episode, &store);
  cm_group (ctx, &ep, c->translate ? CM_GROUP_TRANSLATE : 0, &r);
  cr_assert_str_eq (r.status, c->status, "%s: status %s, expected %s", c->desc,
                    r.status, c->status);
  cr_assert_str_eq (r.mdc, c->mdc, "%s: mdc %s", c->desc, r.mdc);
  cr_assert_str_eq (r.adrg, c->adrg, "%s: adrg %s", c->desc, r.adrg);
  cr_assert_str_eq (r.drg, c->drg, "%s: drg %s", c->desc, r.drg);
}

typedef struct {
  const char *desc;
  const char *file;
  const char *from;   /* NULL: delete the file */
  const char *to;
  int code;           /* CmSchemeError */
  const char *message;
} LoadErrorCase;

static LoadErrorCase load_error_cases[] = {
  { "undeclared list in a condition names file:line:column", "mdc.tsv",
    "ppx_in(MDCA.px)", "ppx_in(NOPE)", CM_SCHEME_ERROR_CONDITION,
    "mdc.tsv:2:15: condition: list 'NOPE' is not declared" },
  { "syntax error in a split", "drg_splits.tsv", "age_years < 18", "age_years <",
    CM_SCHEME_ERROR_CONDITION, "drg_splits.tsv:4:" },
  { "list member of an undeclared list", "lists.tsv", "DEPT\tICU", "DEPTX\tICU",
    CM_SCHEME_ERROR_TABLE, "lists.tsv:16:1: column list_id: list 'DEPTX' is not declared" },
  { "declared count differs", "list_info.tsv", "DEPT\t1", "DEPT\t2",
    CM_SCHEME_ERROR_TABLE, "list 'DEPT' declares 2 codes, lists.tsv has 1" },
  { "bad CC level", "cc.tsv", "M1\tMCC", "M1\tXX", CM_SCHEME_ERROR_TABLE,
    "cc.tsv:2:4: column level: level 'XX' is neither MCC nor CC" },
  { "split of an unknown rule", "drg_splits.tsv", "BR1\t1", "BR9\t1",
    CM_SCHEME_ERROR_TABLE, "drg_splits.tsv:4:6: column rule_id: rule 'BR9'" },
  { "unknown rule kind", "adrg_rules.tsv", "qy", "qq", CM_SCHEME_ERROR_TABLE,
    "adrg_rules.tsv:5:12: column kind: unknown rule kind 'qq'" },
  { "fail rules need format 2", "meta.tsv", "format_version\t2", "format_version\t1",
    CM_SCHEME_ERROR_TABLE, "unknown rule kind 'fail' (format version 1)" },
  { "unknown format version", "meta.tsv", "format_version\t2", "format_version\t9",
    CM_SCHEME_ERROR_FORMAT, "format_version '9' is not supported" },
  { "missing setting", "settings.tsv", "check_error_status", "check_err_status",
    CM_SCHEME_ERROR_TABLE, "key 'check_error_status' missing" },
  { "missing file", "checks.tsv", NULL, NULL, CM_SCHEME_ERROR_NOT_FOUND,
    "checks.tsv: file missing" },
  { "row with too few cells", "cc_exclusion.tsv", "B1\t1", "B1",
    CM_SCHEME_ERROR_TABLE, "cc_exclusion.tsv:2:1: 1 columns, the header has 2" },
  { "wrong header", "mdc.tsv", "mdc_order", "order", CM_SCHEME_ERROR_TABLE,
    "mdc.tsv:1:1: header column 1 is 'order', expected 'mdc_order'" },
  { "check status not declared", "checks.tsv", "infant without", "x\tx",
    CM_SCHEME_ERROR_TABLE, "checks.tsv:4:" },
  { "non-integer order", "mdc.tsv", "3\tMDCB", "3x\tMDCB", CM_SCHEME_ERROR_TABLE,
    "mdc.tsv:3:1: column mdc_order: '3x' is not an integer" },
  { "duplicate rule id", "adrg_rules.tsv", "BR1\tadrg", "BQY\tadrg",
    CM_SCHEME_ERROR_TABLE, "rule id 'BQY' is empty or not unique" },
  { "byte-order mark", "lists.tsv", "list_id", "\xEF\xBB\xBFlist_id",
    CM_SCHEME_ERROR_TABLE, "lists.tsv:1:1: byte-order mark" },
};

ParameterizedTestParameters (drg, reports_table_errors)
{
  return cr_make_param_array (LoadErrorCase, load_error_cases,
                              G_N_ELEMENTS (load_error_cases));
}

ParameterizedTest (LoadErrorCase *c, drg, reports_table_errors)
{
  g_autofree char *dir = make_variant (c->file, c->from, c->to);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmScheme) s = cm_scheme_load (dir, &error);

  cr_assert_null (s, "%s: loaded", c->desc);
  cr_assert (g_error_matches (error, CM_SCHEME_ERROR, c->code),
             "%s: error code %d (%s), expected %d", c->desc, error->code,
             error->message, c->code);
  cr_assert (strstr (error->message, c->message) != NULL,
             "%s: message '%s' lacks '%s'", c->desc, error->message, c->message);
}

Test (drg, every_shared_scheme_loads, .timeout = 120)
{
  g_autofree char *root = test_shared_path ("schemes");
  g_autoptr (GDir) d = NULL;
  const char *name;
  guint n = 0;

  if (root == NULL)
    cr_skip_test ("shared schemes absent (CM_SHARED_DIR): skipped");
  d = g_dir_open (root, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *dir = g_build_filename (root, name, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (CmScheme) s = NULL;
      if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
        continue;
      s = cm_scheme_load (dir, &error);
      cr_expect_not_null (s, "%s: %s", name, error ? error->message : "");
      n++;
    }
  cr_assert_geq (n, 29, "only %u scheme folders", n);
}

/* Found by tests/fuzz/fuzz-drg-tables: a table without rows leaves its
 * array without storage, and the loader sorted it with qsort (NULL, 0, …),
 * which is undefined (clang's UBSan stops there). Without checks and
 * splits a scheme loads and groups; without MDCs it names the first rule
 * whose MDC is missing. */
Test (drg, tables_without_rows)
{
  g_autofree char *dir = make_variant (NULL, NULL, NULL);
  g_autofree char *checks = g_build_filename (dir, "checks.tsv", NULL);
  g_autofree char *splits = g_build_filename (dir, "drg_splits.tsv", NULL);
  g_autofree char *mdc = g_build_filename (dir, "mdc.tsv", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmScheme) s = NULL;
  g_autoptr (CmGroupContext) ctx = NULL;
  g_auto (GStrv) store = NULL;
  CmEpisode ep;
  CmGroupResult r;

  cr_assert (g_file_set_contents (checks, "check_order\tcondition\tstatus\tdescription\n",
                                  -1, NULL));
  cr_assert (g_file_set_contents (splits, "mdc\trule_id\tsplit_order\tdrg\tcondition\n",
                                  -1, NULL));
  s = cm_scheme_load (dir, &error);
  cr_assert_not_null (s, "%s", error ? error->message : "");
  ctx = cm_group_context_new (s);
  test_episode (&ep, "sex=2 age=10 dx=B2", &store);  /* no split: fallback */
  cm_group (ctx, &ep, 0, &r);
  cr_assert_str_eq (r.drg, "BR1");
  g_clear_pointer (&store, g_strfreev);
  test_episode (&ep, "age=30 dx=B3", &store);  /* no check: sex may be absent */
  cm_group (ctx, &ep, 0, &r);
  cr_assert_str_eq (r.status, "FAIL");
  cr_assert_str_eq (r.drg, "B000");

  cr_assert (g_file_set_contents (mdc, "mdc_order\tmdc\tcondition\n", -1, NULL));
  g_clear_pointer (&ctx, cm_group_context_free);
  g_clear_pointer (&s, cm_scheme_unref);
  s = cm_scheme_load (dir, &error);
  cr_assert_null (s);
  cr_assert (g_error_matches (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_TABLE),
             "%s", error->message);
  cr_assert (strstr (error->message, "adrg_rules.tsv:2:") != NULL, "%s",
             error->message);
}
