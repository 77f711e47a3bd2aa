/* test-indicators-cli.c — `casemix indicators` as users run it: the demo
 * policies on sample-20k (KPI table, tidy CSV, HTML report, workbook),
 * one command regrouping the same year under two schemes, a two-year
 * history with year-on-year figures, errors and exit codes, and the report
 * rendered by headless Chromium.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <glib/gstdio.h>
#include <libxml/parser.h>
#include "test-common.h"
#include "cm-xlsx.h"

#define CHROMIUM "/usr/bin/chromium"

typedef struct {
  int status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Runs casemix with @args (space-separated; "@D" is replaced by @dir and
 * "@S" by the shared sample-20k). */
static Run
run (const char *dir, const char *args)
{
  const char *bin = g_getenv ("CM_CASEMIX_BIN");
  g_autofree char *sample = test_shared_path ("episodes/sample-20k.csv");
  g_auto (GStrv) words = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  Run r = { 0 };
  int wait;

  cr_assert_not_null (bin, "CM_CASEMIX_BIN not set");
  g_ptr_array_add (argv, g_strdup (bin));
  words = g_strsplit (args, " ", -1);
  for (guint i = 0; words[i]; i++)
    {
      GString *w = g_string_new (words[i]);
      if (dir)
        g_string_replace (w, "@D", dir, 0);
      g_string_replace (w, "@S", sample ? sample : "/missing/sample-20k.csv", 0);
      g_ptr_array_add (argv, g_string_free (w, FALSE));
    }
  g_ptr_array_add (argv, NULL);
  cr_assert (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                           &r.out, &r.err, &wait, &error),
             "%s", error ? error->message : "");
  r.status = WIFEXITED (wait) ? WEXITSTATUS (wait) : -1;
  return r;
}

static char *
slurp (const char *dir, const char *name)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  char *text = NULL;
  cr_assert (g_file_get_contents (p, &text, NULL, NULL), "%s missing", name);
  return text;
}

static guint
count_lines (const char *text)
{
  guint n = 0;
  for (const char *p = text; *p; p++)
    if (*p == '\n')
      n++;
  return n;
}

static char *
tmp_dir (void)
{
  return g_dir_make_tmp ("cm-ind-cli-XXXXXX", NULL);
}

static void
rm_rf (const char *dir)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  cr_assert_eq (system (cmd), 0);
}

#define TIDY_HEADER \
  "scheme,group,hospital_id,hospital_level,county_id,year,month,n_cases,n_settled," \
  "n_grouped,n_weighted,deaths,total_cost,total_los_days,weight,total_weight," \
  "weighted_cost,weighted_los_days,cost_per_case,avg_los,cost_index,time_index," \
  "risk_band,lowrisk_cases,lowrisk_deaths,out_of_catalogue_cost,fund_paid_ffs\n"

/* ---------------------------------------------------------------------- */

typedef struct {
  const char *desc;
  const char *policy;
  const char *profile;
  const char *kpi_line;     /* a KPI row prefix that must be there */
} PolicyRow;

static PolicyRow policy_rows[] = {
  { "Zhuzhou DRG demo pack, 四升四降", "zhuzhou", "zhuzhou-2026", "reimb_employee," },
  { "Yiyang DIP demo pack, 一控一提", "yiyang", "yiyang", "inpatient_cost," },
};

ParameterizedTestParameters (indicators_cli, demo_policies)
{
  return cr_make_param_array (PolicyRow, policy_rows, G_N_ELEMENTS (policy_rows));
}

ParameterizedTest (PolicyRow *row, indicators_cli, demo_policies, .timeout = 600)
{
  g_autofree char *sample = test_shared_path ("episodes/sample-20k.csv");
  g_autofree char *dir = NULL, *args = NULL, *kpi = NULL, *tidy = NULL, *html = NULL;
  g_autofree char *xlsx = NULL;
  g_auto (Run) r = { 0 };
  g_autoptr (CmXlsxWorkbook) wb = NULL;
  xmlDocPtr doc;

  if (sample == NULL)
    {
      cr_skip_test ("shared corpus absent: demo-policy run skipped");
      return;
    }
  dir = tmp_dir ();
  args = g_strdup_printf ("indicators --policy %s --profile %s --by hospital "
                          "--kpi @D/kpi.csv --tidy @D/tidy.csv --html @D/r.html "
                          "--xlsx @D/r.xlsx -o @D/table.csv @S", row->policy, row->profile);
  r = run (dir, args);
  cr_assert_eq (r.status, 0, "%s: exit %d: %s", row->desc, r.status, r.err);
  cr_assert_not_null (strstr (r.err, "20000 episodes, 0 rejected"), "%s", r.err);
  cr_assert_not_null (strstr (r.err, "KPIs ("), "%s", r.err);
  kpi = slurp (dir, "kpi.csv");
  cr_assert (g_str_has_prefix (kpi, "kpi,name,scope,year,value,target,status"), "%s", kpi);
  cr_assert_not_null (strstr (kpi, row->kpi_line), "%s: %s", row->desc, kpi);
  tidy = slurp (dir, "tidy.csv");
  cr_assert (g_str_has_prefix (tidy, TIDY_HEADER), "%.300s", tidy);
  cr_assert_gt (count_lines (tidy), 1000);
  html = g_build_filename (dir, "r.html", NULL);
  doc = xmlReadFile (html, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  cr_assert_not_null (doc, "%s: the report is not well-formed", row->desc);
  xmlFreeDoc (doc);
  xlsx = g_build_filename (dir, "r.xlsx", NULL);
  wb = cm_xlsx_workbook_open (xlsx, NULL);
  cr_assert_not_null (wb);
  cr_assert (cm_xlsx_workbook_has_sheet (wb, "KPI"));
  cr_assert (cm_xlsx_workbook_has_sheet (wb, "Hospitals"));
  rm_rf (dir);
}

/* Σ n_cases by scheme and month of a --by month table. */
Test (indicators_cli, one_command_two_schemes_comparable_trends, .timeout = 600)
{
  g_autofree char *sample = test_shared_path ("episodes/sample-20k.csv");
  g_autofree char *dir = NULL, *table = NULL, *tidy = NULL;
  g_auto (Run) r = { 0 };
  g_auto (GStrv) lines = NULL;
  g_autoptr (GHashTable) per_month = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                            g_free, g_free);
  guint n3 = 0, nc = 0;

  if (sample == NULL)
    {
      cr_skip_test ("shared corpus absent: regrouping run skipped");
      return;
    }
  dir = tmp_dir ();
  r = run (dir, "indicators --scheme chs-drg-3.0,changsha-2023 --by month -q "
                "-o @D/trend.csv --tidy @D/tidy.csv @S");
  cr_assert_eq (r.status, 0, "exit %d: %s", r.status, r.err);
  table = slurp (dir, "trend.csv");
  lines = g_strsplit (table, "\n", -1);
  cr_assert (g_str_has_prefix (lines[0], "scheme,year,month,n_cases,"), "%s", lines[0]);
  for (guint i = 1; lines[i] && *lines[i]; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
      gint64 *n = g_hash_table_lookup (per_month, f[2]);
      if (strcmp (f[0], "chs-drg-3.0") == 0)
        n3++;
      else if (strcmp (f[0], "changsha-2023") == 0)
        nc++;
      else
        cr_assert_fail ("unexpected scheme %s", f[0]);
      /* the same episodes in both tables: the same cases per month */
      if (n == NULL)
        {
          n = g_new (gint64, 1);
          *n = g_ascii_strtoll (f[3], NULL, 10);
          g_hash_table_insert (per_month, g_strdup (f[2]), n);
        }
      else
        cr_assert_eq (*n, g_ascii_strtoll (f[3], NULL, 10), "month %s", f[2]);
    }
  cr_assert_eq (n3, 12);
  cr_assert_eq (nc, 12);
  tidy = slurp (dir, "tidy.csv");
  cr_assert_not_null (strstr (tidy, "\nchs-drg-3.0,"));
  cr_assert_not_null (strstr (tidy, "\nchangsha-2023,"));
  rm_rf (dir);
}

Test (indicators_cli, a_two_year_history_has_year_on_year_figures, .timeout = 600)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *table = NULL, *kpi = NULL;
  g_auto (Run) a = { 0 }, b = { 0 }, r = { 0 };
  g_auto (GStrv) lines = NULL, row2024 = NULL, head = NULL;
  guint col = 0;

  a = run (dir, "sample -n 3000 --seed 11 --year 2023 --id-prefix A -o @D/y2023.csv");
  b = run (dir, "sample -n 3000 --seed 12 --year 2024 --id-prefix B -o @D/y2024.csv");
  cr_assert_eq (a.status, 0, "%s", a.err);
  cr_assert_eq (b.status, 0, "%s", b.err);
  r = run (dir, "indicators --scheme chs-drg-3.0 --by year -q -o @D/years.csv "
                "--kpi @D/kpi.csv @D/y2023.csv @D/y2024.csv");
  cr_assert_eq (r.status, 0, "exit %d: %s", r.status, r.err);
  table = slurp (dir, "years.csv");
  lines = g_strsplit (table, "\n", -1);
  cr_assert (g_str_has_prefix (lines[1], "chs-drg-3.0,2023,"), "%s", lines[1]);
  cr_assert (g_str_has_prefix (lines[2], "chs-drg-3.0,2024,"), "%s", lines[2]);
  head = g_strsplit (lines[0], ",", -1);
  row2024 = g_strsplit (lines[2], ",", -1);
  while (head[col] && strcmp (head[col], "yoy_cost_per_case_pct") != 0)
    col++;
  cr_assert_not_null (head[col]);
  cr_assert_neq (*row2024[col], '\0', "2024 has a year-on-year change");
  kpi = slurp (dir, "kpi.csv");
  cr_assert_not_null (strstr (kpi, "drg_cost_per_case,"), "%s", kpi);
  cr_assert_null (strstr (kpi, "drg_cost_per_case,\"DRG次均费用同比 DRG cost per case, "
                                "change\",region,2024,,"), "KPI-5 computable: %s", kpi);
  rm_rf (dir);
}

Test (indicators_cli, rejects_name_the_file_and_line)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *in = g_build_filename (dir, "in.csv", NULL);
  g_autofree char *rej = NULL, *table = NULL;
  g_auto (Run) r = { 0 };

  cr_assert (g_file_set_contents (in,
      "episode_id,patient_id,hospital_id,hospital_level,county_id,insurance_type,"
      "insured_region,sex,age_years,age_days,birth_weight_g,admit_date,discharge_date,"
      "los_days,dept,discharge_status,icu_hours,diagnoses,procedures,total_cost,"
      "out_of_catalogue_cost,patient_copay,fund_paid_ffs,per_diem_category\n"
      "E1,P1,H1,2,430102,employee,local,1,45,,,2024-03-01,2024-03-05,4,0304,1,0,I21.001,,100.00,0.00,10.00,90.00,\n"
      "E2,broken\n"
      "E1,P1,H1,2,430102,employee,local,1,45,,,2024-03-01,2024-03-05,4,0304,1,0,I21.001,,100.00,0.00,10.00,90.00,\n",
      -1, NULL));
  r = run (dir, "indicators --scheme chs-drg-1.1 -q --rejects @D/rej.csv -o @D/t.csv @D/in.csv");
  cr_assert_eq (r.status, 0, "%s", r.err);
  rej = slurp (dir, "rej.csv");
  cr_assert (g_str_has_prefix (rej, "file,line,reason\n"), "%s", rej);
  cr_assert_not_null (strstr (rej, "in.csv,3,\"columns:"), "%s", rej);
  cr_assert_not_null (strstr (rej, "in.csv,4,duplicate_id:"), "%s", rej);
  table = slurp (dir, "t.csv");
  cr_assert_not_null (strstr (table, "\nchs-drg-1.1,2024,1,"), "one case counted: %s", table);
  rm_rf (dir);
}

typedef struct {
  const char *desc;
  const char *args;
  int status;
  const char *message;
} ErrRow;

static ErrRow err_rows[] = {
  { "no scheme", "indicators @D/in.csv", 2, "--scheme or --policy is required" },
  { "no input", "indicators --scheme chs-drg-1.1", 2, "no input file" },
  { "unknown dimension", "indicators --scheme chs-drg-1.1 --by ward @D/in.csv", 2,
    "unknown dimension 'ward'" },
  { "unknown scheme", "indicators --scheme no-such-scheme @D/in.csv", 3, "no-such-scheme" },
  { "unknown policy", "indicators --policy no-such-policy @D/in.csv", 3, "no-such-policy" },
  { "bad weight table names file:line:column",
    "indicators --scheme chs-drg-1.1 --weights @D/bad-weights.tsv @D/in.csv", 3,
    "bad-weights.tsv:2:5: column 'weight'" },
  { "bad configuration names file:line",
    "indicators --scheme chs-drg-1.1 --config @D/bad.cfg @D/in.csv", 3,
    "bad.cfg:2: key 'kpi.insured'" },
  { "bad --set value", "indicators --scheme chs-drg-1.1 --set lrm.sd=median @D/in.csv", 2,
    "--set lrm.sd" },
  { "weights of two schemes need names",
    "indicators --scheme chs-drg-1.1,changsha-2023 --weights @D/w.tsv @D/in.csv", 2,
    "SCHEME=FILE" },
  { "weights for a scheme not given",
    "indicators --scheme chs-drg-1.1 --weights chs-drg-3.0=@D/w.tsv @D/in.csv", 2,
    "no such --scheme" },
  { "a scheme twice", "indicators --scheme chs-drg-1.1,chs-drg-1.1 @D/in.csv", 2,
    "given twice" },
  { "unreadable input", "indicators --scheme chs-drg-1.1 @D/missing.csv", 1, "missing.csv" },
};

ParameterizedTestParameters (indicators_cli, errors)
{
  return cr_make_param_array (ErrRow, err_rows, G_N_ELEMENTS (err_rows));
}

ParameterizedTest (ErrRow *row, indicators_cli, errors)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *p = NULL;
  g_auto (Run) r = { 0 };

  p = g_build_filename (dir, "in.csv", NULL);
  cr_assert (g_file_set_contents (p, "episode_id\n", -1, NULL));
  g_free (p);
  p = g_build_filename (dir, "bad-weights.tsv", NULL);
  cr_assert (g_file_set_contents (p, "drg\tweight\nFB1\t1.23456\n", -1, NULL));
  g_free (p);
  p = g_build_filename (dir, "w.tsv", NULL);
  cr_assert (g_file_set_contents (p, "FB1\t1.2\n", -1, NULL));
  g_free (p);
  p = g_build_filename (dir, "bad.cfg", NULL);
  cr_assert (g_file_set_contents (p, "lrm.sd\tsample\nkpi.insured\teveryone\n", -1, NULL));
  r = run (dir, row->args);
  cr_assert_eq (r.status, row->status, "%s: exit %d: %s", row->desc, r.status, r.err);
  cr_assert_not_null (strstr (r.err, row->message), "%s: %s", row->desc, r.err);
  rm_rf (dir);
}

/* ---------------------------------------------------------------------- */

static char *
chromium (const char *html, const char *mode)
{
  g_autofree char *profile = g_dir_make_tmp ("cm-chromium-XXXXXX", NULL);
  g_autofree char *udd = g_strdup_printf ("--user-data-dir=%s", profile);
  g_autofree char *url = g_strdup_printf ("file://%s", html);
  const char *argv[] = {
    CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", udd, "--window-size=1200,3000", mode, url, NULL
  };
  g_autoptr (GError) error = NULL;
  char *out = NULL;
  int status;

  cr_assert (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                           NULL, &out, NULL, &status, &error),
             "%s", error ? error->message : "");
  cr_assert (g_spawn_check_wait_status (status, NULL), "chromium %s failed", mode);
  rm_rf (profile);
  return out;
}

Test (indicators_cli, report_renders_in_headless_chromium, .timeout = 600)
{
  g_autofree char *sample = test_shared_path ("episodes/sample-20k.csv");
  g_autofree char *dir = NULL, *html = NULL, *png = NULL, *shot = NULL;
  g_autofree char *dom = NULL, *out = NULL, *data = NULL;
  g_auto (Run) r = { 0 };
  gsize len;

  if (!g_file_test (CHROMIUM, G_FILE_TEST_IS_EXECUTABLE))
    {
      cr_skip_test (CHROMIUM " is absent (Debian package chromium): render test skipped");
      return;
    }
  if (sample == NULL)
    {
      cr_skip_test ("shared corpus absent: report render skipped");
      return;
    }
  dir = tmp_dir ();
  r = run (dir, "indicators --scheme chs-drg-3.0,changsha-2023 -q --by month "
                "--html @D/r.html @S");
  cr_assert_eq (r.status, 0, "%s", r.err);
  html = g_build_filename (dir, "r.html", NULL);
  png = g_build_filename (dir, "r.png", NULL);
  dom = chromium (html, "--dump-dom");
  cr_assert_not_null (strstr (dom, "KPI dashboard"), "no dashboard in the DOM");
  cr_assert_not_null (strstr (dom, "<svg"), "no chart in the DOM");
  cr_assert_not_null (strstr (dom, "CMI by month"), "no trend chart in the DOM");
  cr_assert_not_null (strstr (dom, "Cases by payment class"), "no funnel in the DOM");
  shot = g_strdup_printf ("--screenshot=%s", png);
  out = chromium (html, shot);
  cr_assert (g_file_get_contents (png, &data, &len, NULL), "no screenshot");
  cr_assert_eq (memcmp (data, "\x89PNG", 4), 0);
  cr_assert_gt (len, 50000, "a screenshot of %zu bytes looks blank", len);
  rm_rf (dir);
}
