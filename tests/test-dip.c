/* test-dip.c — the DIP grouper: the worked examples of GROUPING.md §11,
 * a few edges of §1.2 / §3 / §7.3, and scheme-loading errors.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The national scheme folder comes from CM_DIP_SCHEME_DIR (the build points
 * it at tables/dip-cn-national-3.0); without it the shared copy next to
 * the repository is used, and the example tests skip when neither exists.
 * Load-error tests write a tiny scheme into a temporary folder, then break
 * one table at a time, so every fixture is visible in this file. */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "cm-dip.h"

#define FALLBACK_SCHEME_DIR "/work/main/../shared/schemes/dip-cn-national-3.0"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */

static const char *
scheme_dir (void)
{
  const char *dir = g_getenv ("CM_DIP_SCHEME_DIR");
  return dir != NULL && *dir != '\0' ? dir : FALLBACK_SCHEME_DIR;
}

static CmDipScheme *
load_national_or_skip (void)
{
  g_autoptr (GError) error = NULL;
  CmDipScheme *scheme;

  if (!g_file_test (scheme_dir (), G_FILE_TEST_IS_DIR))
    {
      /* a folder the build names must exist; only the fallback may not */
      cr_assert_null (g_getenv ("CM_DIP_SCHEME_DIR"),
                      "CM_DIP_SCHEME_DIR=%s is not a folder", scheme_dir ());
      cr_skip_test ("no DIP scheme folder at %s (set CM_DIP_SCHEME_DIR)",
                    scheme_dir ());
    }
  scheme = cm_dip_scheme_load (scheme_dir (), &error);
  cr_assert_not_null (scheme, "loading %s: %s", scheme_dir (),
                      error ? error->message : "?");
  return scheme;
}

/* Splits @text at '|' into @out, keeping empty items as the episode reader
 * does (the grouper drops them, GROUPING.md §1.2). An empty text is the
 * empty list. @text is modified. */
static guint
split_codes (char *text, const char **out)
{
  guint n = 0;

  if (*text == '\0')
    return 0;
  for (char *p = text;;)
    {
      char *bar = strchr (p, '|');

      if (bar != NULL)
        *bar = '\0';
      if (n < CM_MAX_CODES)
        out[n++] = p;
      if (bar == NULL)
        break;
      p = bar + 1;
    }
  return n;
}

/* ---------------------------------------------------------------------- */
/* The worked examples (GROUPING.md §11) and a few more edges             */

/* Criterion runs each parameterized test in a fresh process of this binary
 * and copies the row into it byte by byte: rows hold text, not pointers. */
typedef struct {
  char what[128];           /* example number and reason */
  char dx[64];              /* D joined by '|' */
  char px[64];              /* P joined by '|' */
  char age_days[8];         /* cell text; "" = empty cell (absent) */
  char weight_g[8];         /* cell text; "" = empty cell (absent) */
  gboolean no_comprehensive;
  CmDipStatus status;
  char group_id[16];
  char rule_stage[16];
  gboolean primary_care;
} DipCase;

#define G CM_DIP_GROUPED
#define ZH CM_DIP_COMPREHENSIVE

static DipCase cases[] = {
  /* GROUPING.md §11 */
  { "#1 no principal diagnosis (§5.1)", "", "", "", "", FALSE,
    CM_DIP_CHECK_FAILED, "", "", FALSE },
  { "#2 exact code on excluded_dx.tsv (§5.1)", "A00.000", "", "", "", FALSE,
    CM_DIP_EXCLUDED_DX, "", "", FALSE },
  { "#3 extension not excluded; no A00 row; no procedure (§5.1, §7.2)",
    "A00.000x001", "", "", "", FALSE, ZH, "ZH-A00-M", "comprehensive", FALSE },
  { "#4 effective procedure, not an OR code (§7.2)",
    "A00.000x001", "88.4100", "", "", FALSE, ZH, "ZH-A00-P", "comprehensive", FALSE },
  { "#5 按保守治疗入组 is ignored: no effective procedure (§5.2)",
    "A00.000x001", "87.4100", "", "", FALSE, ZH, "ZH-A00-M", "comprehensive", FALSE },
  { "#6 not-principal code: PP none, but in E and an OR code (§5.2, §7.2)",
    "A00.000x001", "17.4200", "", "", FALSE, ZH, "ZH-A00-S", "comprehensive", FALSE },
  { "#7 ECMO row is any-position (§6.3)",
    "J18.900", "31.1x00x005|39.6500", "", "", FALSE, G, "XQ-11", "pre", FALSE },
  { "#8 heart transplant XQ-2 is strict: 37.5100 is not PP (§6.3 decision)",
    "I21.000x001", "36.0601|37.5100", "", "", FALSE, G, "BX-623", "merge", FALSE },
  { "#9 heart transplant as PP (§6.3)",
    "I21.000x001", "37.5100|36.0601", "", "", FALSE, G, "XQ-2", "pre", FALSE },
  { "#10 both slots present; XQ-13 precedes XQ-14 (§6.1)",
    "J96.000", "96.7201|39.9500x007", "", "", FALSE, G, "XQ-13", "pre", FALSE },
  { "#11 XQ-13 needs both codes in pre (§6.3)",
    "J96.000", "96.7201", "", "", FALSE, G, "XQ-14", "pre", FALSE },
  { "#12 P07 in any position, age_days < 29, 0-999 g (§6.2)",
    "P22.000|P07.100", "", "3", "999", FALSE, G, "XQ-16", "pre", FALSE },
  { "#13 band edge 1000 g (§6.2 (4) inclusive)",
    "P22.000|P07.100", "", "3", "1000", FALSE, G, "XQ-17", "pre", FALSE },
  { "#14 age 28 days and 2499 g still inside (§6.2)",
    "P22.000|P07.100", "", "28", "2499", FALSE, G, "XQ-19", "pre", FALSE },
  { "#15 29 days fails age_days<29; P22.0 conservative (§6.2 (3))",
    "P22.000|P07.100", "", "29", "2499", FALSE, G, "JC-4485", "base", FALSE },
  { "#16 absent age_days fails (§1.2)",
    "P22.000|P07.100", "", "", "2499", FALSE, G, "JC-4485", "base", FALSE },
  { "#17 2500 g is in no band (§6.2 (4))",
    "P22.000|P07.100", "", "5", "2500", FALSE, G, "JC-4485", "base", FALSE },
  { "#18 full match of the related slot (tier A) beats plain BX-52 (§6.6)",
    "C02.000", "25.2x00|40.5901", "", "", FALSE, G, "BX-51", "merge", FALSE },
  { "#19 half of 25.5905&40.3x00x005: partial (tier B) beats plain (§6.6)",
    "C02.000", "25.2x00|25.5905", "", "", FALSE, G, "BX-51", "merge", FALSE },
  { "#20 no related procedure: plain row (§6.6)",
    "C02.000", "25.2x00", "", "", FALSE, G, "BX-52", "merge", FALSE },
  { "#21 BX-139 and BX-140 both partial with 1 code: lowest seq (§6.6 decision)",
    "C34.101", "32.4100|32.2001|32.3001", "", "", FALSE, G, "BX-139", "merge", FALSE },
  { "#22 BX-139 full with 2 codes beats BX-141 full with 1 (§6.6)",
    "C34.101", "32.4100|32.2001|40.5905", "", "", FALSE, G, "BX-139", "merge", FALSE },
  { "#23 BX-141 full (1) beats BX-139/140 partial (1) (§6.6)",
    "C34.101", "32.4100|40.5905", "", "", FALSE, G, "BX-141", "merge", FALSE },
  { "#24 merge BX-918 needs its related code; base plain row; primary care (§9)",
    "K35.300", "47.0100", "", "", FALSE, G, "JC-3625", "base", TRUE },
  { "#25 45.2302 allowed for K20-K93 counts as related (§5.2)",
    "K35.300", "47.0100|45.2302", "", "", FALSE, G, "BX-918", "merge", FALSE },
  { "#26 ignored P[0] removed; 47.0100 becomes PP (§5.2 decision)",
    "K35.300", "87.4100|47.0100", "", "", FALSE, G, "JC-3625", "base", TRUE },
  { "#27 not-principal P[0] skipped; 47.0100 becomes PP (§5.2)",
    "K35.300", "17.4200|47.0100", "", "", FALSE, G, "JC-3625", "base", TRUE },
  { "#28 only an ignored code: conservative row (§5.2, §6.3)",
    "K35.300", "87.4100", "", "", FALSE, G, "JC-3629", "base", FALSE },
  { "#29 conditional code allowed for K29 (§5.2)",
    "K29.101", "45.1300x004", "", "", FALSE, G, "BX-893", "merge", FALSE },
  { "#30 same code ignored for J18: conservative; primary care J18.9 (§5.2, §9)",
    "J18.900", "45.1300x004", "", "", FALSE, G, "JC-3414", "base", TRUE },
  { "#31 burn degree II, area < 10 %, conservative (§6.2 (2))",
    "T21.200|T31.000", "", "", "", FALSE, G, "FZ-1745", "aux_burn", FALSE },
  { "#32 burn area 10-29 %, debridement row",
    "T21.200|T31.100", "86.2201", "", "", FALSE, G, "FZ-1749", "aux_burn", FALSE },
  { "#33 burn related slot full beats FZ-1757 (§6.6)",
    "T21.300|T31.000", "86.6201|86.6901", "", "", FALSE, G, "FZ-1759", "aux_burn", FALSE },
  { "#34 two area bands match (FZ-1755, FZ-1760): lowest seq (§6.6)",
    "T21.300|T31.000|T31.200", "", "", "", FALSE, G, "FZ-1755", "aux_burn", FALSE },
  { "#35 chemo + immunotherapy (§6.3 any position)",
    "Z51.101|C34.100", "99.2503|99.2800x005", "", "", FALSE, G, "FZ-1771", "aux_tumor", FALSE },
  { "#36 any position; 2 related slots full (§6.6)",
    "Z51.101|C34.100", "99.2800x005|99.2503|99.2800x006", "", "", FALSE,
    G, "FZ-1773", "aux_tumor", FALSE },
  { "#37 range C76-C80 as secondary (§3.1)",
    "Z51.101|C76.000", "99.2503", "", "", FALSE, G, "FZ-1774", "aux_tumor", FALSE },
  { "#38 no secondary in a tumour range; 99.2503 is an OR code (§7.2)",
    "Z51.101|D48.000", "99.2503", "", "", FALSE, ZH, "ZH-Z51-S", "comprehensive", FALSE },
  { "#39 principal on tb_resistant_dx.tsv (§6.4)",
    "A15.000x010", "", "", "", FALSE, G, "FZ-1836", "aux_tb", FALSE },
  { "#40 resistance by U84.300 (§6.4)",
    "A15.001|U84.300", "", "", "", FALSE, G, "FZ-1836", "aux_tb", FALSE },
  { "#41 not resistant (§6.4)",
    "A15.001", "", "", "", FALSE, G, "FZ-1837", "aux_tb", FALSE },
  { "#42 lobectomy-type row, not resistant",
    "A15.001", "32.2001", "", "", FALSE, G, "FZ-1817", "aux_tb", FALSE },
  { "#43 dagger code; A18 resistant by U84.300 (§1.2, §6.4)",
    "A18.001+M90.0*|U84.300", "", "", "", FALSE, G, "FZ-1852", "aux_tb", FALSE },
  { "#44 primary care K64 + 49.4500|49.4600 (§9)",
    "K64.801", "49.4600", "", "", FALSE, G, "BX-989", "merge", TRUE },
  { "#45 related group: no primary-care flag (§9 (2))",
    "K64.801", "49.4600|49.4500", "", "", FALSE, G, "BX-994", "merge", FALSE },
  { "#46 no core row; r10 is not a category (§7.3)",
    "r10.4", "", "", "", FALSE, CM_DIP_UNGROUPED, "", "", FALSE },

  /* beyond §11 */
  { "x1 #3 with --no-comprehensive is UNGROUPED (§7.3)",
    "A00.000x001", "", "", "", TRUE, CM_DIP_UNGROUPED, "", "", FALSE },
  { "x2 --no-comprehensive leaves core groups alone (§7.1)",
    "K35.300", "47.0100", "", "", TRUE, G, "JC-3625", "base", TRUE },
  { "x3 empty list items are dropped (§1.2)",
    "|A00.000x001|", "|88.4100||", "", "", FALSE, ZH, "ZH-A00-P", "comprehensive", FALSE },
  { "x4 only empty items: no principal diagnosis (§1.2, §5.1)",
    "||", "47.0100", "", "", FALSE, CM_DIP_CHECK_FAILED, "", "", FALSE },
  { "x5 '-0' is not only ASCII digits: absent age (§1.2)",
    "P22.000|P07.100", "", "-0", "999", FALSE, G, "JC-4485", "base", FALSE },
  { "x6 leading zeros are still digits: 3 days, 999 g (§1.2)",
    "P22.000|P07.100", "", "03", "0999", FALSE, G, "XQ-16", "pre", FALSE },
  { "x7 codes are case sensitive: excluded list is exact (§1.2, §5.1)",
    "a00.000", "", "", "", FALSE, CM_DIP_UNGROUPED, "", "", FALSE },
  { "x8 P07 as principal still matches the any-position rows (§6.2 (1))",
    "P07.100", "", "1", "1200", FALSE, G, "XQ-17", "pre", FALSE },
  { "x9 A19 principal on tb_resistant_dx.tsv is resistant (§6.4)",
    "A19.000x001", "", "", "", FALSE, G, "FZ-1856", "aux_tb", FALSE },
  { "x10 U84.300 is a prefix: U84.300x001 marks resistance (§6.4)",
    "A18.001|U84.300x001", "", "", "", FALSE, G, "FZ-1852", "aux_tb", FALSE },
  { "x11 related 14.5400x001&14.5904 full (2) beats BX-473's 14.5400x001 (1) (§6.6)",
    "E11.300x001", "14.7201|14.5400x001|14.5904", "", "", FALSE, G, "BX-474", "merge", FALSE },
  { "x12 half of an & alternative: tier B beats plain BX-475 (§6.3, §6.6)",
    "E11.300x001", "14.7401|14.5904", "", "", FALSE, G, "BX-474", "merge", FALSE },
  { "x13 BX-624 36.0700 + 36.0601 full beats plain BX-623 (§6.6)",
    "I21.000x001", "36.0700|36.0601", "", "", FALSE, G, "BX-624", "merge", FALSE },
};

#undef G
#undef ZH

/* Groups @c with @ctx and checks the result against the row. */
static void
check_case (CmDipContext *ctx, const DipCase *c)
{
  g_autofree char *dx = g_strdup (c->dx);
  g_autofree char *px = g_strdup (c->px);
  g_autofree CmEpisode *ep = g_new0 (CmEpisode, 1);
  CmDipResult r;

  cm_episode_clear (ep);
  ep->episode_id = "T1";
  ep->n_dx = split_codes (dx, ep->dx);
  ep->n_px = split_codes (px, ep->px);
  ep->px_text_empty = *c->px == '\0';
  cm_field_set_text (&ep->age_days, *c->age_days ? c->age_days : NULL);
  cm_field_set_text (&ep->weight_g, *c->weight_g ? c->weight_g : NULL);

  cm_dip_group (ctx, ep, !c->no_comprehensive, &r);
  cr_expect_eq (r.status, c->status, "%s: status %s", c->what, r.status_name);
  cr_expect_str_eq (r.group_id, c->group_id, "%s: group %s, expected %s",
                    c->what, r.group_id, c->group_id);
  cr_expect_str_eq (r.rule_stage, c->rule_stage, "%s: stage %s, expected %s",
                    c->what, r.rule_stage, c->rule_stage);
  cr_expect_eq (!!r.primary_care, !!c->primary_care, "%s: primary_care %d",
                c->what, r.primary_care);
}

ParameterizedTestParameters (dip, worked_examples)
{
  return cr_make_param_array (DipCase, cases, G_N_ELEMENTS (cases));
}

ParameterizedTest (DipCase *c, dip, worked_examples)
{
  g_autoptr (CmDipScheme) scheme = load_national_or_skip ();
  g_autoptr (CmDipContext) ctx = cm_dip_context_new (scheme);

  check_case (ctx, c);
}

Test (dip, status_names_and_id)
{
  g_autoptr (CmDipScheme) scheme = load_national_or_skip ();
  g_autoptr (CmDipContext) ctx = cm_dip_context_new (scheme);

  cr_expect_str_eq (cm_dip_scheme_get_id (scheme), "dip-cn-national-3.0");
  cr_expect (cm_dip_scheme_is_dip_folder (scheme_dir ()));
  /* every example again through one context: stamps must not leak from
   * one episode into the next */
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_case (ctx, &cases[i]);
}

/* The scheme is shared read-only: several threads, one context each. */
typedef struct {
  CmDipScheme *scheme;
  guint failures;
} ThreadArg;

static gpointer
group_all (gpointer data)
{
  ThreadArg *arg = data;
  g_autoptr (CmDipContext) ctx = cm_dip_context_new (arg->scheme);
  g_autofree CmEpisode *ep = g_new0 (CmEpisode, 1);

  for (guint round = 0; round < 200; round++)
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        const DipCase *c = &cases[i];
        char dx[256], px[256];
        CmDipResult r;

        g_strlcpy (dx, c->dx, sizeof dx);
        g_strlcpy (px, c->px, sizeof px);
        cm_episode_clear (ep);
        ep->n_dx = split_codes (dx, ep->dx);
        ep->n_px = split_codes (px, ep->px);
        cm_field_set_text (&ep->age_days, *c->age_days ? c->age_days : NULL);
        cm_field_set_text (&ep->weight_g, *c->weight_g ? c->weight_g : NULL);
        cm_dip_group (ctx, ep, !c->no_comprehensive, &r);
        if (r.status != c->status || strcmp (r.group_id, c->group_id) != 0
            || !r.primary_care != !c->primary_care)
          arg->failures++;
      }
  return NULL;
}

Test (dip, shared_by_threads)
{
  g_autoptr (CmDipScheme) scheme = load_national_or_skip ();
  ThreadArg args[4];
  GThread *threads[4];

  for (guint i = 0; i < 4; i++)
    {
      args[i].scheme = scheme;
      args[i].failures = 0;
      threads[i] = g_thread_new ("dip", group_all, &args[i]);
    }
  for (guint i = 0; i < 4; i++)
    {
      g_thread_join (threads[i]);
      cr_expect_eq (args[i].failures, 0, "thread %u: %u wrong results", i,
                    args[i].failures);
    }
}

/* ---------------------------------------------------------------------- */
/* A tiny scheme: loading errors and rules the national tables never      */
/* exercise (GROUPING.md §3.2 quirk: specificity never decides there)     */

#define GROUPS_HEADER \
  "group_id\trule_stage\tstage_rank\tseq\tdx_code\tprocedure_combination\t" \
  "principal_procs\trelated_procs\tsecondary_dx\textra_condition\n"

static const char tiny_meta[] =
  "key\tvalue\n"
  "scheme_id\tdip-tiny\n";
static const char tiny_groups[] =
  GROUPS_HEADER
  "T-1\tpre\t1\t1\t*\t11.1100\t11.1100\t\t\t\n"
  "T-10\tmerge\t2\t10\tK80\t\t\t\t\t\n"
  "T-11\tmerge\t2\t11\tK80.1\t\t\t\t\t\n"
  "T-12\tmerge\t2\t12\tC00-C75\t22.2200\t22.2200\t\t\t\n"
  "T-13\tmerge\t2\t13\tD10\t33.3300+44.4400&55.5500\t33.3300\t44.4400&55.5500\t\t\n"
  "T-20\tbase\t6\t20\tR1\t\t\t\t\t\n"
  "T-21\tbase\t6\t21\tD10\t33.3300\t33.3300\t\t\t\n"
  "T-30\taux_tb\t5\t30\tA15\t\t\t\t\t"
  "drug_resistant=Y; resistant if any other dx is U84.300\n"
  "T-31\taux_tb\t5\t31\tA15\t\t\t\t\t"
  "drug_resistant=N; resistant if any other dx is U84.300\n";
static const char tiny_excluded_dx[] =
  "code\tname\tsource_row\n"
  "X00.000\texcluded\t1\n";
static const char tiny_excluded_px[] =
  "code\tname\tnote\tprincipal_allowed_if_dx\tsource_row\n"
  "87.4100\tx\t按保守治疗入组\t\t1\n"
  "17.4200\tx\t不可作为主要手术操作\t\t2\n"
  "45.1300\tx\tK20-K93作为主要诊断，可作为主要手术操作\tK20-K93\t3\n";
static const char tiny_tb[] =
  "code\tname\n"
  "A15.000x010\tx\n";
static const char tiny_pc[] =
  "seq\tdx_code\tprocedure_combination\n"
  "1\tK80.1\t\n"
  "2\tD10\t33.3300\n";
static const char tiny_or[] =
  "code\tname\n"
  "22.2200\tx\n";

typedef struct {
  const char *file;
  const char *text;
} TinyFile;

/* Writes the tiny scheme into a new temporary folder, with @file replaced
 * by @text (NULL text: @file left out). Returns the folder. */
static char *
write_tiny (const char *file, const char *text)
{
  const TinyFile files[] = {
    { "meta.tsv", tiny_meta },
    { "groups.tsv", tiny_groups },
    { "excluded_dx.tsv", tiny_excluded_dx },
    { "excluded_px.tsv", tiny_excluded_px },
    { "tb_resistant_dx.tsv", tiny_tb },
    { "primary_care.tsv", tiny_pc },
    { "or_procedures.tsv", tiny_or },
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("dip-XXXXXX", &error);

  cr_assert_not_null (dir, "%s", error ? error->message : "?");
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      const char *content = files[i].text;
      g_autofree char *path = g_build_filename (dir, files[i].file, NULL);

      if (file != NULL && strcmp (file, files[i].file) == 0)
        content = text;
      if (content == NULL)
        continue;
      cr_assert (g_file_set_contents (path, content, -1, &error), "%s",
                 error ? error->message : "?");
    }
  return g_steal_pointer (&dir);
}

static void
remove_tiny (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

Test (dip, tiny_scheme_rules)
{
  g_autofree char *dir = write_tiny (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmDipScheme) scheme = cm_dip_scheme_load (dir, &error);
  g_autoptr (CmDipContext) ctx = NULL;
  static const DipCase tiny_cases[] = {
    { "specificity: K80.1 (5) beats K80 (3) despite the higher seq (§3.2, §6.6)",
      "K80.100", "", "", "", FALSE, CM_DIP_GROUPED, "T-11", "merge", TRUE },
    { "specificity: K80 alone for K80.000",
      "K80.000", "", "", "", FALSE, CM_DIP_GROUPED, "T-10", "merge", FALSE },
    { "range compares the first three characters as strings: C0A in C00-C75 (§3.1)",
      "C0A.1", "22.2200", "", "", FALSE, CM_DIP_GROUPED, "T-12", "merge", FALSE },
    { "range: C76 is outside C00-C75; OR code gives class S (§3.1, §7.2)",
      "C76.000", "22.2200", "", "", FALSE, CM_DIP_COMPREHENSIVE, "ZH-C76-S",
      "comprehensive", FALSE },
    { "two-character prefix R1 (wildcard list) (§3.1)",
      "R10.4", "", "", "", FALSE, CM_DIP_GROUPED, "T-20", "base", FALSE },
    { "strict pre row: 11.1100 must be PP (§6.3)",
      "D10.000", "33.3300|11.1100", "", "", FALSE, CM_DIP_GROUPED, "T-21", "base", TRUE },
    { "strict pre row with 11.1100 as PP (§6.3)",
      "D10.000", "11.1100|33.3300", "", "", FALSE, CM_DIP_GROUPED, "T-1", "pre", FALSE },
    { "related slot partial (one code of the &) is tier B in merge (§6.3)",
      "D10.000", "33.3300|55.5500", "", "", FALSE, CM_DIP_GROUPED, "T-13", "merge", FALSE },
    { "no related code: merge row is not a candidate, base plain row (§6.6)",
      "D10.000", "33.3300", "", "", FALSE, CM_DIP_GROUPED, "T-21", "base", TRUE },
    { "PP twice: the second occurrence stays in O (§5.2)",
      "D10.000", "33.3300|44.4400|55.5500|33.3300", "", "", FALSE,
      CM_DIP_GROUPED, "T-13", "merge", FALSE },
    { "not-principal code first, unknown code becomes PP (§5.2)",
      "D10.000", "17.4200|99.9999", "", "", FALSE, CM_DIP_COMPREHENSIVE,
      "ZH-D10-P", "comprehensive", FALSE },
    { "a row without the tb-list clause ignores a listed principal (§6.4)",
      "A15.000x010", "", "", "", FALSE, CM_DIP_GROUPED, "T-31", "aux_tb", FALSE },
    { "a row without the tb-list clause: other dx U84.300x001 (§6.4)",
      "A15.000x010|U84.300x001", "", "", "", FALSE, CM_DIP_GROUPED, "T-30",
      "aux_tb", FALSE },
    { "conditional code ignored outside K20-K93 (§5.2)",
      "D10.000", "45.1300", "", "", FALSE, CM_DIP_COMPREHENSIVE, "ZH-D10-M",
      "comprehensive", FALSE },
  };

  cr_assert_not_null (scheme, "%s", error ? error->message : "?");
  cr_expect_str_eq (cm_dip_scheme_get_id (scheme), "dip-tiny");
  cr_expect (cm_dip_scheme_is_dip_folder (dir));
  ctx = cm_dip_context_new (scheme);
  for (guint i = 0; i < G_N_ELEMENTS (tiny_cases); i++)
    check_case (ctx, &tiny_cases[i]);
  remove_tiny (dir);
}

/* ---------------------------------------------------------------------- */
/* Load errors                                                            */

/* Text, not pointers (see DipCase). */
typedef struct {
  char what[64];
  char file[32];         /* the table replaced */
  char text[256];        /* its broken text; "" = file missing */
  int code;              /* CmSchemeError */
  char where[32];        /* must occur in the message: file:line: */
  char column[48];       /* must occur in the message ("": not checked) */
} LoadError;

static LoadError load_errors[] = {
  { "missing table", "primary_care.tsv", "", CM_SCHEME_ERROR_NOT_FOUND,
    "primary_care.tsv", "" },
  { "seq is not an integer", "groups.tsv",
    GROUPS_HEADER "T-1\tpre\t1\t1\t*\t11.1100\t11.1100\t\t\t\n"
                  "T-2\tbase\t6\tx2\tK80\t\t\t\t\t\n",
    CM_SCHEME_ERROR_TABLE, "groups.tsv:3:", "column seq" },
  { "seq repeated", "groups.tsv",
    GROUPS_HEADER "T-1\tpre\t1\t1\t*\t11.1100\t11.1100\t\t\t\n"
                  "T-2\tbase\t6\t1\tK80\t\t\t\t\t\n",
    CM_SCHEME_ERROR_TABLE, "groups.tsv:3:", "column seq" },
  { "row with too few cells", "groups.tsv",
    GROUPS_HEADER "T-1\tpre\t1\t1\t*\n",
    CM_SCHEME_ERROR_TABLE, "groups.tsv:2:", "" },
  { "header without dx_code", "groups.tsv",
    "group_id\trule_stage\tstage_rank\tseq\n",
    CM_SCHEME_ERROR_TABLE, "groups.tsv:1:", "dx_code" },
  { "unknown extra_condition item (§6.5)", "groups.tsv",
    GROUPS_HEADER "T-1\tbase\t6\t1\tK80\t\t\t\t\tage_years<3\n",
    CM_SCHEME_ERROR_FORMAT, "groups.tsv:2:", "column extra_condition" },
  { "unknown resistance clause (§6.4)", "groups.tsv",
    GROUPS_HEADER "T-1\taux_tb\t5\t1\tA15\t\t\t\t\t"
                  "drug_resistant=Y; resistant if sputum is positive\n",
    CM_SCHEME_ERROR_FORMAT, "groups.tsv:2:", "column extra_condition" },
  { "drug_resistant without a method (§6.5)", "groups.tsv",
    GROUPS_HEADER "T-1\taux_tb\t5\t1\tA15\t\t\t\t\tdrug_resistant=N\n",
    CM_SCHEME_ERROR_FORMAT, "groups.tsv:2:", "column extra_condition" },
  { "empty alternative in a combination (§4.1)", "groups.tsv",
    GROUPS_HEADER "T-1\tbase\t6\t1\tK80\t11.1100||22.2200\t11.1100||22.2200\t\t\t\n",
    CM_SCHEME_ERROR_CONDITION, "groups.tsv:2:", "column procedure_combination" },
  { "empty diagnosis condition (§3)", "groups.tsv",
    GROUPS_HEADER "T-1\tbase\t6\t1\t\t\t\t\t\t\n",
    CM_SCHEME_ERROR_CONDITION, "groups.tsv:2:", "column dx_code" },
  { "principal_procs is not slot 1 (§4.2)", "groups.tsv",
    GROUPS_HEADER "T-1\tmerge\t2\t1\tK80\t11.1100+22.2200\t11.1100+22.2200\t22.2200\t\t\n",
    CM_SCHEME_ERROR_TABLE, "groups.tsv:2:", "column principal_procs" },
  { "one rank, two stage names", "groups.tsv",
    GROUPS_HEADER "T-1\tmerge\t2\t1\tK80\t\t\t\t\t\n"
                  "T-2\tbase\t2\t2\tK81\t\t\t\t\t\n",
    CM_SCHEME_ERROR_TABLE, "groups.tsv:3:", "column rule_stage" },
  { "unknown excluded_px note (§5.2)", "excluded_px.tsv",
    "code\tname\tnote\tprincipal_allowed_if_dx\tsource_row\n"
    "87.4100\tx\t按保守治疗入组\t\t1\n"
    "88.4100\tx\tsomething else\t\t2\n",
    CM_SCHEME_ERROR_TABLE, "excluded_px.tsv:3:", "column note" },
  { "primary-care pattern with two slots (§9)", "primary_care.tsv",
    "seq\tdx_code\tprocedure_combination\n"
    "1\tK80.1\t11.1100+22.2200\n",
    CM_SCHEME_ERROR_CONDITION, "primary_care.tsv:2:", "column procedure_combination" },
};

ParameterizedTestParameters (dip, load_errors)
{
  return cr_make_param_array (LoadError, load_errors, G_N_ELEMENTS (load_errors));
}

ParameterizedTest (LoadError *e, dip, load_errors)
{
  g_autofree char *dir = write_tiny (e->file, *e->text ? e->text : NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmDipScheme) scheme = cm_dip_scheme_load (dir, &error);

  cr_expect_null (scheme, "%s: loaded", e->what);
  cr_assert_not_null (error, "%s: no error", e->what);
  cr_expect (error->domain == CM_SCHEME_ERROR, "%s: domain %s", e->what,
             g_quark_to_string (error->domain));
  cr_expect_eq (error->code, e->code, "%s: code %d (%s)", e->what, error->code,
                error->message);
  cr_expect (strstr (error->message, e->where) != NULL,
             "%s: '%s' does not name %s", e->what, error->message, e->where);
  if (*e->column != '\0')
    cr_expect (strstr (error->message, e->column) != NULL,
               "%s: '%s' does not name %s", e->what, error->message, e->column);
  remove_tiny (dir);
}

Test (dip, missing_folder)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmDipScheme) scheme =
    cm_dip_scheme_load ("/nonexistent/dip-scheme", &error);

  cr_expect_null (scheme);
  cr_assert_not_null (error);
  cr_expect (g_error_matches (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_NOT_FOUND),
             "%s", error->message);
  cr_expect (strstr (error->message, "/nonexistent/dip-scheme") != NULL, "%s",
             error->message);
  cr_expect (!cm_dip_scheme_is_dip_folder ("/nonexistent/dip-scheme"));
}

Test (dip, drg_folder_is_not_dip)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("drg-XXXXXX", &error);
  g_autofree char *mdc = NULL;

  cr_assert_not_null (dir);
  mdc = g_build_filename (dir, "mdc.tsv", NULL);
  cr_assert (g_file_set_contents (mdc, "mdc\tcondition\n", -1, NULL));
  cr_expect (!cm_dip_scheme_is_dip_folder (dir));
  remove_tiny (dir);
}
