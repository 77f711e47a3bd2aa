/* test-pay-policy.c — policy packs: the shipped demo packs load; a missing,
 * unknown or malformed parameter gives a clear message naming the file, the
 * line and the parameter; the RELAX NG schema agrees; absent parameters
 * take their documented defaults (docs/payment.md §3).
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include "test-common.h"
#include "cm-policy.h"
#include "cm-policy-private.h"

static const char *const pack_files[] = {
  "schemes.tsv", "weights-2024.tsv", "weights-3.0.tsv", "hospitals.tsv",
};

/* A copy of tests/data/pay/drg-test in a fresh folder; returns the folder. */
static char *
copy_pack (void)
{
  g_autofree char *src = test_data_path ("pay/drg-test");
  char *dir = g_dir_make_tmp ("cm-policy-XXXXXX", NULL);

  cr_assert_not_null (dir);
  for (guint i = 0; i < G_N_ELEMENTS (pack_files) + 1; i++)
    {
      const char *name = i < G_N_ELEMENTS (pack_files) ? pack_files[i] : "policy.xml";
      g_autofree char *from = g_build_filename (src, name, NULL);
      g_autofree char *to = g_build_filename (dir, name, NULL);
      g_autofree char *text = NULL;
      cr_assert (g_file_get_contents (from, &text, NULL, NULL), "%s", from);
      cr_assert (g_file_set_contents (to, text, -1, NULL));
    }
  return dir;
}

static void
remove_pack (const char *dir)
{
  for (guint i = 0; i < G_N_ELEMENTS (pack_files) + 1; i++)
    {
      g_autofree char *p = g_build_filename (dir, i < G_N_ELEMENTS (pack_files)
                                             ? pack_files[i] : "policy.xml", NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}

/* Replaces the first @find in @dir/@file by @replace (must be found). */
static void
edit_file (const char *dir, const char *file, const char *find, const char *replace)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *text = NULL;
  g_autoptr (GString) s = NULL;
  g_autofree char *dip = test_data_path ("pay/dip-test");

  cr_assert (g_file_get_contents (path, &text, NULL, NULL));
  s = g_string_new (text);
  cr_assert (g_string_replace (s, find, replace, 1) == 1, "'%s' not in %s", find, file);
  g_string_replace (s, "@DIP@", dip, 0);
  cr_assert (g_file_set_contents (path, s->str, -1, NULL));
}

static void
quiet (void *data, xmlErrorPtr err)
{
}

/* RELAX NG alone on @path: TRUE when valid. */
static gboolean
rng_valid (const char *path)
{
  g_autofree char *rng = g_build_filename (g_getenv ("CASEMIX_TABLES"), "policy",
                                           "policy.rng", NULL);
  xmlRelaxNGParserCtxtPtr pc = xmlRelaxNGNewParserCtxt (rng);
  xmlRelaxNGPtr schema = xmlRelaxNGParse (pc);
  xmlRelaxNGValidCtxtPtr vc = xmlRelaxNGNewValidCtxt (schema);
  xmlDocPtr doc = xmlReadFile (path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR
                               | XML_PARSE_NOWARNING);
  gboolean ok;

  cr_assert_not_null (schema, "schema %s", rng);
  cr_assert_not_null (doc);
  xmlRelaxNGSetValidStructuredErrors (vc, quiet, NULL);
  ok = xmlRelaxNGValidateDoc (vc, doc) == 0;
  xmlFreeDoc (doc);
  xmlRelaxNGFreeValidCtxt (vc);
  xmlRelaxNGFree (schema);
  xmlRelaxNGFreeParserCtxt (pc);
  return ok;
}

Test (pay_policy, shipped_packs_load_and_say_they_are_illustrative)
{
  static const char *const packs[] = { "zhuzhou", "yiyang" };

  for (guint i = 0; i < G_N_ELEMENTS (packs); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CmPolicy) p = cm_policy_load (packs[i], &error);
      g_autofree char *path = NULL;

      cr_assert_not_null (p, "%s: %s", packs[i], error ? error->message : "?");
      cr_expect (cm_policy_is_illustrative (p), "%s", packs[i]);
      cr_expect (strstr (cm_policy_get_name (p), "illustrative") != NULL, "%s",
                 cm_policy_get_name (p));
      cr_expect (cm_policy_has_year (p, 2024));
      cr_expect (!cm_policy_has_year (p, 2023));
      path = cm_policy_find (packs[i], NULL);
      cr_expect (rng_valid (path), "%s against the schema alone", path);
    }
}

Test (pay_policy, test_pack_is_valid_for_both_checks)
{
  g_autofree char *dir = copy_pack ();
  g_autofree char *xml = g_build_filename (dir, "policy.xml", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmPolicy) p = cm_policy_load (xml, &error);

  cr_expect_not_null (p, "%s", error ? error->message : "?");
  cr_expect (rng_valid (xml));
  remove_pack (dir);
}

typedef struct {
  const char *desc;
  const char *file;        /* the file edited */
  const char *find;
  const char *replace;
  int code;                /* CmPolicyError */
  const char *want1;       /* substrings of the message */
  const char *want2;
  gboolean rng_rejects;    /* the schema alone rejects it too */
} BadRow;

static BadRow bad_rows[] = {
  { "missing required attribute", "policy.xml", "<year value=\"2025\">", "<year>",
    CM_POLICY_ERROR_SCHEMA, "policy.xml:30: <year>: the required attribute 'value' is missing",
    NULL, TRUE },
  { "missing required attribute of the root", "policy.xml", " region=\"999901\"", "",
    CM_POLICY_ERROR_SCHEMA, "policy.xml:3: <policy>: the required attribute 'region' is missing",
    NULL, TRUE },
  { "unknown attribute", "policy.xml", "high-beta=\"1.0\"/>", "high-beta=\"1.0\" bogus=\"1\"/>",
    CM_POLICY_ERROR_SCHEMA, "policy.xml:13: <outlier>: unknown attribute 'bogus'",
    "allowed: ref, low-ratio", TRUE },
  { "unknown element", "policy.xml", "<ungrouped factor=\"0.7\"/>", "<blank factor=\"0.7\"/>",
    CM_POLICY_ERROR_SCHEMA, "policy.xml:14: <blank> is not allowed inside <drg>",
    "allowed: weights, rate", TRUE },
  { "missing required element", "policy.xml", "<weights href=\"weights-3.0.tsv\"/>\n      <rate>",
    "<rate>", CM_POLICY_ERROR_SCHEMA,
    "policy.xml:31: <drg>: the required element <weights> is missing (drg.weights)", NULL, TRUE },
  { "a second element where one is allowed", "policy.xml", "<ungrouped factor=\"0.7\"/>",
    "<ungrouped factor=\"0.7\"/><ungrouped factor=\"0.5\"/>", CM_POLICY_ERROR_SCHEMA,
    "policy.xml:14: <drg>: a second <ungrouped>", NULL, TRUE },
  { "stray text", "policy.xml", "<drg method=\"rate\">", "<drg method=\"rate\">oops",
    CM_POLICY_ERROR_SCHEMA, "policy.xml:7: <drg>: unexpected text", NULL, TRUE },
  { "too many decimals", "policy.xml", "low-ratio=\"0.4\"", "low-ratio=\"0.40001\"",
    CM_POLICY_ERROR_PARAMETER,
    "policy.xml:13: drg.outlier.low_ratio (<outlier low-ratio>): '0.40001' has more than 4 "
    "decimal places", NULL, FALSE },
  { "not a number", "policy.xml", "high-beta=\"1.0\"", "high-beta=\"one\"",
    CM_POLICY_ERROR_PARAMETER,
    "policy.xml:13: drg.outlier.high_beta (<outlier high-beta>): 'one' is not a decimal number",
    NULL, TRUE },
  { "out of range", "policy.xml", "low-ratio=\"0.4\"", "low-ratio=\"1.5\"",
    CM_POLICY_ERROR_PARAMETER, "drg.outlier.low_ratio (<outlier low-ratio>): '1.5' is outside",
    NULL, FALSE },
  { "money with a thousands separator", "policy.xml", "11538.46</rate>\n      <coefficient level=\"3\">1.0500",
    "11,538.46</rate>\n      <coefficient level=\"3\">1.0500", CM_POLICY_ERROR_PARAMETER,
    "policy.xml:9: drg.rate (<rate>): '11,538.46' is not a decimal number", NULL, TRUE },
  { "money with 3 decimals", "policy.xml", "11538.46</rate>\n      <coefficient level=\"3\">1.0500",
    "11538.465</rate>\n      <coefficient level=\"3\">1.0500", CM_POLICY_ERROR_PARAMETER,
    "policy.xml:9: drg.rate (<rate>): '11538.465' has more than 2 decimal places", NULL, FALSE },
  { "bad enumeration", "policy.xml", "low-pay=\"prorata\"", "low-pay=\"pro-rata\"",
    CM_POLICY_ERROR_PARAMETER,
    "policy.xml:36: drg.outlier.low_pay (<outlier low-pay>): 'pro-rata' is not one of ffs, "
    "prorata, min", NULL, TRUE },
  { "bad boolean", "policy.xml", "illustrative=\"true\"", "illustrative=\"yes\"",
    CM_POLICY_ERROR_PARAMETER, "policy.xml:3: illustrative (<policy illustrative>): 'yes' is "
    "neither true nor false", NULL, TRUE },
  { "zero coefficient", "policy.xml", "<coefficient level=\"3\">1.0500", "<coefficient level=\"3\">0",
    CM_POLICY_ERROR_PARAMETER, "policy.xml:10: drg.coef.level (<coefficient>): '0' is zero",
    NULL, FALSE },
  { "coefficient for level all", "policy.xml", "<coefficient level=\"3\">1.0500",
    "<coefficient level=\"all\">1.0500", CM_POLICY_ERROR_PARAMETER,
    "policy.xml:10: drg.coef.level (<coefficient level>)", NULL, TRUE },
  { "format 2", "policy.xml", "format=\"1\"", "format=\"2\"", CM_POLICY_ERROR_PARAMETER,
    "policy.xml:3: format (<policy format>): '2' is not a policy format", NULL, TRUE },
  { "rates do not cover every insurance", "policy.xml", "<rate insurance=\"all\">",
    "<rate insurance=\"employee\">", CM_POLICY_ERROR_PARAMETER,
    "policy.xml:7: drg.rate: no base rate for resident insurance at hospital level 1", NULL,
    FALSE },
  { "the same rate twice", "policy.xml", "<rate>11538.46</rate>",
    "<rate>11538.46</rate><rate level=\"all\">1.00</rate>", CM_POLICY_ERROR_PARAMETER,
    "policy.xml:33: drg.rate (<rate>): a second value for the same insurance and level", NULL,
    FALSE },
  { "point method without a point value", "policy.xml",
    "<point-value insurance=\"all\" stage=\"provisional\">113.3333</point-value>", "",
    CM_POLICY_ERROR_SCHEMA,
    "policy.xml:41: <drg>: the required element <point-value> is missing (drg.point_value)",
    NULL, FALSE },
  { "a second year of the same value", "policy.xml", "<year value=\"2026\">",
    "<year value=\"2025\">", CM_POLICY_ERROR_PARAMETER,
    "policy.xml:40: year: a second <year value=\"2025\">", NULL, FALSE },
  { "tiers out of order", "policy.xml", "<outlier ref=\"std\" low-ratio=\"0.4\" high-beta=\"1.0\"/>",
    "<outlier ref=\"std\" low-ratio=\"0.4\" high-beta=\"1.0\">\n"
    "<high-tier max-weight=\"2\" multiple=\"2\"/><high-tier max-weight=\"1\" multiple=\"3\"/>"
    "<high-tier multiple=\"1.5\"/></outlier>", CM_POLICY_ERROR_PARAMETER,
    "policy.xml:14: drg.outlier.high_tiers (<high-tier max-weight>): tiers must be in "
    "ascending order", NULL, FALSE },
  { "no open-ended tier", "policy.xml", "<outlier ref=\"std\" low-ratio=\"0.4\" high-beta=\"1.0\"/>",
    "<outlier ref=\"std\" low-ratio=\"0.4\" high-beta=\"1.0\">"
    "<high-tier max-weight=\"1\" multiple=\"3\"/></outlier>", CM_POLICY_ERROR_PARAMETER,
    "policy.xml:13: drg.outlier.high_tiers (<outlier>): the last <high-tier> must omit "
    "max-weight", NULL, FALSE },
  { "tier without its multiple", "policy.xml", "<outlier ref=\"std\" low-ratio=\"0.4\" high-beta=\"1.0\"/>",
    "<outlier ref=\"std\" low-ratio=\"0.4\" high-beta=\"1.0\">\n<high-tier/></outlier>",
    CM_POLICY_ERROR_SCHEMA, "policy.xml:14: <high-tier>: the required attribute 'multiple' "
    "is missing", NULL, TRUE },
  { "segments out of order", "policy.xml", "<segment to-day=\"90\"", "<segment to-day=\"50\"",
    CM_POLICY_ERROR_PARAMETER, "policy.xml:21: perdiem.psych.segments (<segment to-day>): "
    "segments must be in ascending order", NULL, FALSE },
  { "segments end before the stay can", "policy.xml", "<segment factor=\"0.8000\"/>", "",
    CM_POLICY_ERROR_PARAMETER, "policy.xml:18: perdiem.psych.segments: the segments end at "
    "day 90", NULL, FALSE },
  { "a second profile of a category", "policy.xml", "<profile category=\"hospice\"",
    "<profile category=\"psych\"", CM_POLICY_ERROR_PARAMETER,
    "policy.xml:25: perdiem.psych: a second <profile category=\"psych\">", NULL, FALSE },
  { "unknown per-diem category", "policy.xml", "<profile category=\"hospice\"",
    "<profile category=\"palliative\"", CM_POLICY_ERROR_PARAMETER,
    "policy.xml:25: perdiem.category (<profile category>): 'palliative' is not one of",
    NULL, TRUE },
  { "malformed day count", "policy.xml", "cap-days-episode=\"60\"", "cap-days-episode=\"sixty\"",
    CM_POLICY_ERROR_PARAMETER, "policy.xml:25: perdiem.hospice.cap_days_episode "
    "(<profile cap-days-episode>): 'sixty' is not a whole number", NULL, TRUE },
  { "prefix list with a space", "policy.xml", "dx-prefixes=\"F\"", "dx-prefixes=\"F2 F3\"",
    CM_POLICY_ERROR_PARAMETER, "policy.xml:18: perdiem.psych.dx_prefixes", NULL, TRUE },
  { "LOS window without room", "policy.xml", "los-max-short=\"none\" los-min-long=\"60\"",
    "los-max-short=\"10\" los-min-long=\"11\"", CM_POLICY_ERROR_PARAMETER,
    "policy.xml:12: drg.exclude.los_min_long (<exclude los-min-long>): 11 leaves no length",
    NULL, FALSE },
  { "missing table", "policy.xml", "weights-2024.tsv", "no-such.tsv", CM_POLICY_ERROR_NOT_FOUND,
    "policy.xml:8: <weights href=\"no-such.tsv\">: no such file", NULL, FALSE },
  { "a year without a section for its scheme", "policy.xml",
    "<drg method=\"points\" points-per-weight=\"100\">\n"
    "      <weights href=\"weights-3.0.tsv\"/>\n"
    "      <point-value insurance=\"all\" stage=\"provisional\">113.3333</point-value>\n"
    "      <point-value insurance=\"all\" stage=\"final\">107.9365</point-value>\n"
    "      <coefficient level=\"2\">1.02</coefficient>\n"
    "      <exclude los-max-short=\"none\" los-min-long=\"none\"/>\n"
    "    </drg>",
    "<dip><scores href=\"@DIP@/scores.tsv\"/><point-value>9.8749</point-value></dip>",
    CM_POLICY_ERROR_PARAMETER,
    "year 2026: scheme chs-drg-3.0 (in force on 2026-01-01) is a DRG scheme", NULL, FALSE },
  { "not well-formed", "policy.xml", "</drg>", "", CM_POLICY_ERROR_SYNTAX, "policy.xml:", NULL,
    FALSE },
  /* tables */
  { "weight with 5 decimals", "weights-2024.tsv", "FR19\t0.8536", "FR19\t0.85361",
    CM_POLICY_ERROR_TABLE, "weights-2024.tsv:3:6: column 'weight': '0.85361' has more than "
    "4 decimal places", NULL, FALSE },
  { "misspelt column", "weights-2024.tsv", "drg\tweight", "drg\twieght", CM_POLICY_ERROR_TABLE,
    "weights-2024.tsv:2:5: unknown column 'wieght' (known: drg, weight,", NULL, FALSE },
  { "missing column", "weights-2024.tsv", "drg\tweight\t", "drg\tx_weight\t",
    CM_POLICY_ERROR_TABLE, "weights-2024.tsv:2:5: unknown column 'x_weight'", NULL, FALSE },
  { "a group twice", "weights-2024.tsv", "ES35\t", "FR19\t", CM_POLICY_ERROR_TABLE,
    "weights-2024.tsv:4:1: column 'drg': 'FR19' appears twice", NULL, FALSE },
  { "a short row", "weights-2024.tsv", "\t0\nES35", "\nES35", CM_POLICY_ERROR_TABLE,
    "weights-2024.tsv:3: expected 6 columns, found 5", NULL, FALSE },
  { "bad mean cost", "weights-2024.tsv", "9849.23", "9849.2x", CM_POLICY_ERROR_TABLE,
    "weights-2024.tsv:3:17: column 'mean_cost': '9849.2x' is not a decimal number", NULL, FALSE },
  { "bad hospital coefficient", "hospitals.tsv", "1.2000", "1,2", CM_POLICY_ERROR_TABLE,
    "hospitals.tsv:2:4: column 'coefficient': '1,2' is not a decimal number", NULL, FALSE },
  { "bad scheme timeline", "schemes.tsv", "2025-01-01\t\t", "2025-13-01\t\t",
    CM_POLICY_ERROR_SCHEME, "schemes.tsv:3:1: column valid_from: '2025-13-01'", NULL, FALSE },
};

ParameterizedTestParameters (pay_policy, bad_pack_names_file_line_parameter)
{
  return cr_make_param_array (BadRow, bad_rows, G_N_ELEMENTS (bad_rows));
}

ParameterizedTest (BadRow *row, pay_policy, bad_pack_names_file_line_parameter)
{
  g_autofree char *dir = copy_pack ();
  g_autofree char *xml = g_build_filename (dir, "policy.xml", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmPolicy) p = NULL;

  edit_file (dir, row->file, row->find, row->replace);
  p = cm_policy_load (xml, &error);
  cr_assert_null (p, "%s: loaded", row->desc);
  cr_assert_not_null (error);
  cr_expect_eq (error->domain, CM_POLICY_ERROR, "%s", row->desc);
  cr_expect_eq (error->code, row->code, "%s: code %d, want %d: %s", row->desc, error->code,
                row->code, error->message);
  cr_expect (strstr (error->message, row->want1) != NULL, "%s:\n  got  %s\n  want %s",
             row->desc, error->message, row->want1);
  if (row->want2)
    cr_expect (strstr (error->message, row->want2) != NULL, "%s: %s", row->desc,
               error->message);
  cr_expect (strstr (error->message, dir) != NULL, "%s: the path: %s", row->desc,
             error->message);
  cr_expect (strchr (error->message, '\n') == NULL, "one line: %s", error->message);
  if (row->rng_rejects)
    cr_expect (!rng_valid (xml), "%s: the RELAX NG schema accepts it", row->desc);
  remove_pack (dir);
}

Test (pay_policy, schema_catches_what_only_it_checks)
{
  /* an element order the walk does not care about but the schema does
   * not either; a year with only per-diem fails both */
  g_autofree char *dir = copy_pack ();
  g_autofree char *xml = g_build_filename (dir, "policy.xml", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmPolicy) p = NULL;

  edit_file (dir, "policy.xml",
             "<drg method=\"points\" points-per-weight=\"100\">\n"
             "      <weights href=\"weights-3.0.tsv\"/>\n"
             "      <point-value insurance=\"all\" stage=\"provisional\">113.3333</point-value>\n"
             "      <point-value insurance=\"all\" stage=\"final\">107.9365</point-value>\n"
             "      <coefficient level=\"2\">1.02</coefficient>\n"
             "      <exclude los-max-short=\"none\" los-min-long=\"none\"/>\n"
             "    </drg>", "<per-diem/>");
  p = cm_policy_load (xml, &error);
  cr_assert_null (p);
  cr_expect (strstr (error->message, "policy.xml:40: <year value=\"2026\">: needs a <drg> or "
                     "a <dip> section") != NULL, "%s", error->message);
  cr_expect (!rng_valid (xml));
  remove_pack (dir);
}

Test (pay_policy, shipped_schema_and_name_lookup)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *a = cm_policy_find ("zhuzhou", &error);
  g_autofree char *b = NULL;

  cr_assert_not_null (a, "%s", error ? error->message : "?");
  cr_expect (g_str_has_suffix (a, "policy/zhuzhou/policy.xml"), "%s", a);
  b = cm_policy_find ("no-such-region", &error);
  cr_expect_null (b);
  cr_expect (g_error_matches (error, CM_POLICY_ERROR, CM_POLICY_ERROR_NOT_FOUND));
  cr_expect (strstr (error->message, "no-such-region") != NULL);
}

Test (pay_policy, absent_parameters_take_their_documented_defaults)
{
  /* docs/payment.md §3: every default, checked on a pack that sets only
   * what has no default */
  g_autofree char *dir = g_dir_make_tmp ("cm-policy-XXXXXX", NULL);
  g_autofree char *xml = g_build_filename (dir, "policy.xml", NULL);
  g_autofree char *src = test_data_path ("pay/drg-test");
  g_autofree char *w = g_build_filename (src, "weights-2024.tsv", NULL);
  g_autofree char *dipw = test_data_path ("pay/dip-test/scores.tsv");
  g_autofree char *tl = g_build_filename (dir, "schemes.tsv", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmPolicy) p = NULL;
  const CmYearParams *y;
  const CmDrgParams *d;
  const CmDipParams *dp;
  const CmPerDiemRule *r;

  cr_assert (g_file_set_contents (tl, "valid_from\tvalid_to\tscheme\trole\n"
                                  "2024-01-01\t2024-12-31\tchangsha-2023\tprimary\n"
                                  "2025-01-01\t\tdip-cn-national-3.0\tprimary\n", -1, NULL));
  text = g_strdup_printf ("<policy format=\"1\" region=\"1\"><schemes href=\"schemes.tsv\"/>"
                          "<year value=\"2024\"><drg><weights href=\"%s\"/><rate>100</rate>"
                          "</drg><per-diem><profile category=\"nursing\"><rate>100</rate>"
                          "</profile></per-diem></year>"
                          "<year value=\"2025\"><dip><scores href=\"%s\"/>"
                          "<point-value>10</point-value></dip></year></policy>", w, dipw);
  cr_assert (g_file_set_contents (xml, text, -1, NULL));
  p = cm_policy_load (xml, &error);
  cr_assert_not_null (p, "%s", error ? error->message : "?");
  cr_expect (!cm_policy_is_illustrative (p));
  cr_expect_str_eq (cm_policy_get_name (p), "1", "name defaults to the region");

  y = cm_policy_lookup_year (p, 2024);
  d = &y->drg;
  cr_expect_eq (d->method, CM_DRG_METHOD_RATE, "drg.method");
  cr_expect_eq (d->points_per_weight_e4, 100 * CM_E4_ONE, "drg.points.per_weight 100");
  for (int l = 1; l <= 3; l++)
    cr_expect_eq (d->coef.level_e4[l], CM_E4_ONE, "drg.coef.level.%d 1.0000", l);
  cr_expect_null (d->coef.hospital);
  cr_expect_eq (d->los_max_short, 2, "drg.exclude.los_max_short 2 [L]");
  cr_expect_eq (d->los_min_long, 60, "drg.exclude.los_min_long 60 [L]");
  cr_expect_eq (d->outlier.ref, CM_OUTLIER_REF_STD, "drg.outlier.ref STD");
  cr_expect_eq (d->outlier.low_ratio_e4, 4000, "drg.outlier.low_ratio 0.4");
  cr_expect (!d->outlier.low_inclusive && !d->outlier.high_inclusive);
  cr_expect_eq (d->outlier.n_tiers, 3, "drg.outlier.high_tiers (1,3),(2,2),(∞,1.5)");
  cr_expect_eq (d->outlier.tiers[0].max_weight_e4, CM_E4_ONE);
  cr_expect_eq (d->outlier.tiers[0].multiple_e4, 3 * CM_E4_ONE);
  cr_expect_eq (d->outlier.tiers[1].max_weight_e4, 2 * CM_E4_ONE);
  cr_expect_eq (d->outlier.tiers[1].multiple_e4, 2 * CM_E4_ONE);
  cr_expect_eq (d->outlier.tiers[2].max_weight_e4, 0);
  cr_expect_eq (d->outlier.tiers[2].multiple_e4, 15000);
  cr_expect_eq (d->outlier.low_pay, CM_LOW_PAY_FFS);
  cr_expect_eq (d->outlier.high_pay, CM_HIGH_PAY_ADDON);
  cr_expect_eq (d->outlier.high_beta_e4, CM_E4_ONE, "drg.outlier.high_beta 1.0");
  cr_expect_eq (d->ungrouped_factor_e4, CM_E4_ONE, "drg.ungrouped.factor 1.0");
  cr_expect_eq (d->fund.method, CM_FUND_SHARE_DIFFERENCE, "drg.fund_share.method");
  cr_expect (d->fund.other_payers_inside, "drg.fund_share.other_payers_inside");
  cr_expect_eq (d->rate_fen[0][1], 10000);
  cr_expect_eq (d->rate_fen[1][3], 10000);

  r = &y->per_diem[CM_PER_DIEM_NURSING].rule;
  cr_expect (y->per_diem[CM_PER_DIEM_NURSING].present);
  cr_expect (!y->per_diem[CM_PER_DIEM_PSYCH].present);
  cr_expect_eq (r->min_los, 1, "perdiem.min_los");
  cr_expect_eq (r->cap_days_episode, 0, "perdiem.cap_days_episode none");
  cr_expect_eq (r->extra_days, CM_EXTRA_DAYS_FFS, "perdiem.extra_days FFS");
  cr_expect_eq (r->floor_ratio_e4, 7000, "perdiem.floor_ratio 0.7");
  cr_expect_eq (r->patient_share, CM_PATIENT_SHARE_FFS, "perdiem.patient_share.method FFS");
  cr_expect_eq (r->n_segments, 1);
  cr_expect_eq (r->segments[0].factor_e4, CM_E4_ONE);
  cr_expect (!r->ineligible_ffs, "perdiem ineligible → group");
  cr_expect_str_eq (r->dx_prefixes, "");

  y = cm_policy_lookup_year (p, 2025);
  dp = &y->dip;
  cr_expect (!y->drg.present);
  cr_expect_eq (dp->coef_applies_to, CM_COEF_APPLIES_TO_PAYMENT);
  cr_expect (dp->primary_care_level_free, "dip primary-care c = 1");
  cr_expect_null (dp->pool);
  cr_expect_eq (dp->deviation.classify_ref, CM_DIP_REF_LEVEL_MEAN);
  cr_expect_eq (dp->deviation.price_ref, CM_DIP_REF_LEVEL_MEAN);
  cr_expect_eq (dp->deviation.low_ratio_e4, 5000, "dip.dev.low_ratio 0.5");
  cr_expect_eq (dp->deviation.high_ratio_e4, 20000, "dip.dev.high_ratio 2.0");
  cr_expect_eq (dp->deviation.extreme_ratio_e4, 50000, "dip.dev.extreme_ratio 5.0");
  cr_expect (!dp->deviation.low_inclusive && !dp->deviation.high_inclusive);
  cr_expect_eq (dp->deviation.high_formula, CM_DIP_HIGH_NATIONAL);
  cr_expect_eq (dp->deviation.extreme_pay, CM_DIP_EXTREME_FORMULA);
  cr_expect_eq (dp->blank_factor_e4, 7000, "dip.blank_factor 0.7");
  cr_expect_eq (dp->ungrouped_factor_e4, 7000);
  cr_expect_eq (dp->pv_e4[0][0][1], 10 * CM_E4_ONE);
  cr_expect_eq (dp->pv_e4[1][0][1], 0, "no final point value");

  g_unlink (xml);
  g_unlink (tl);
  g_rmdir (dir);
}
