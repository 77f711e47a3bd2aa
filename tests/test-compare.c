/* test-compare.c — the migration report: one case under two schemes, the
 * aggregate (matrix, shares, hospitals) and `casemix compare`.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <glib/gstdio.h>
#include "test-common.h"
#include "cm-compare.h"

static void
rm_rf (const char *dir)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  cr_assert_eq (system (cmd), 0);
}

/* Sums column @col (0-based, counted from the end when negative) of a CSV
 * text without quoted commas, header skipped. strchr, not g_strsplit: under
 * a sanitizer strstr rescans the rest of the text at every call. */
static guint64
sum_column (char *text, int col)
{
  guint64 sum = 0;
  char *p = strchr (text, '\n');
  while (p != NULL && p[1] != '\0')
    {
      char *line = p + 1;
      char *nl = strchr (line, '\n');
      g_autofree char *copy = nl ? g_strndup (line, (gsize) (nl - line)) : g_strdup (line);
      g_auto (GStrv) f = g_strsplit (copy, ",", -1);
      int n = (int) g_strv_length (f);
      sum += g_ascii_strtoull (f[col < 0 ? n + col : col], NULL, 10);
      p = nl;
    }
  return sum;
}

static char *
slurp (const char *dir, const char *name)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  char *text = NULL;
  cr_assert (g_file_get_contents (p, &text, NULL, NULL), "cannot read %s", p);
  return text;
}

typedef struct {
  const char *desc;
  const char *spec;
  const char *a, *b;        /* DRG under changsha-2023 and chs-drg-3.0 */
  int mdc, adrg, group;     /* changed? */
} CaseRow;

ParameterizedTestParameters (compare, one_case_under_two_schemes)
{
  static CaseRow rows[] = {
    { "pneumonia, 75: ADRG ES3 → ES4", "sex=1 age=75 dx=J18.900|I10.x00", "ES35", "ES4G", 0, 1, 1 },
    { "not groupable in either", "sex=1 age=40 dx=", "0000", "0000", 0, 0, 0 },
    { "sex missing: CHECK_FAILED both", "age=40 dx=I21.001", "CHECK_FAILED", "CHECK_FAILED",
      0, 0, 0 },
  };
  return cr_make_param_array (CaseRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (CaseRow *row, compare, one_case_under_two_schemes)
{
  g_autoptr (CmScheme) a = test_load_scheme ("changsha-2023");
  g_autoptr (CmScheme) b = test_load_scheme ("chs-drg-3.0");
  g_autoptr (CmGroupContext) ca = cm_group_context_new (a);
  g_autoptr (CmGroupContext) cb = cm_group_context_new (b);
  g_autoptr (GString) line = g_string_new (NULL);
  g_auto (GStrv) store = NULL;
  CmEpisode ep;
  CmCompareCase c;

  test_episode (&ep, row->spec, &store);
  cm_compare_case (ca, cb, &ep, &c);
  cr_assert_str_eq (c.label_a, row->a, "%s", row->desc);
  cr_assert_str_eq (c.label_b, row->b, "%s", row->desc);
  cr_assert (c.both_drg);
  cr_assert_eq (c.mdc_changed, row->mdc, "%s", row->desc);
  cr_assert_eq (c.adrg_changed, row->adrg, "%s", row->desc);
  cr_assert_eq (c.group_changed, row->group, "%s", row->desc);
  cm_compare_append_row (&ep, &c, line);
  cr_assert (g_str_has_suffix (line->str, "\n"));
  {
    g_auto (GStrv) fields = g_strsplit (line->str, ",", -1);
    cr_assert_eq (g_strv_length (fields), 13, "%s", line->str);
  }
}

/* An episodes file written by hand: the aggregate counts it exactly. */
Test (compare, aggregates_matrix_shares_and_hospitals)
{
  g_autoptr (CmScheme) a = test_load_scheme ("changsha-2023");
  g_autoptr (CmScheme) b = test_load_scheme ("chs-drg-3.0");
  g_autoptr (CmCompare) cmp = cm_compare_new (a, b);
  g_autofree char *dir = g_dir_make_tmp ("cm-cmp-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "episodes.csv", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *matrix = NULL, *summary = NULL, *hospitals = NULL, *html = NULL;
  g_autofree char *top = NULL;

  cr_assert (g_file_set_contents (path, CM_COMPARE_EPISODE_HEADER "\n"
    "E1,H1,SUCCESS,MDCE,ES3,ES35,SUCCESS,MDCE,ES4,ES4G,0,1,1\n"
    "E2,H1,SUCCESS,MDCE,ES3,ES35,SUCCESS,MDCE,ES4,ES4G,0,1,1\n"
    "E3,H1,SUCCESS,MDCF,FR4,FR49,SUCCESS,MDCF,FR5,FR59,0,1,1\n"
    "\"E,4\",H2,SUCCESS,MDCF,FR4,FR49,SUCCESS,MDCF,FR4,FR49,0,0,0\n"
    "E5,\"H<2>\",SUCCESS,MDCE,ES3,ES35,SUCCESS,MDCE,ES3,ES31,0,0,1\n"
    "E6,H2,FAIL,0000,00,0000,FAIL,MDCO,O00,O000,1,1,1\n", -1, NULL));
  cr_assert (cm_compare_add_file (cmp, path, &error), "%s", error ? error->message : "");
  cr_assert_eq (cm_compare_get_n_episodes (cmp), 6);
  cr_assert_eq (cm_compare_get_n_group_changed (cmp), 5);
  cr_assert_eq (cm_compare_get_n_adrg_changed (cmp), 4);
  cr_assert_eq (cm_compare_get_n_mdc_changed (cmp), 1);
  cr_assert (cm_compare_write_report (cmp, dir, "in.csv", &error), "%s",
             error ? error->message : "");

  matrix = slurp (dir, "matrix.csv");
  cr_assert (strstr (matrix, "\nES35,") != NULL, "%s", matrix);
  cr_assert (strstr (matrix, ",ES4G,") != NULL && strstr (matrix, ",2,66.67\n") != NULL,
             "ES35 → ES4G: 2 of 3: %s", matrix);
  cr_assert (strstr (matrix, ",1,33.33\n") != NULL, "%s", matrix);
  summary = slurp (dir, "summary.csv");
  cr_assert (strstr (summary, "episodes,6\n") != NULL, "%s", summary);
  cr_assert (strstr (summary, "group_changed_pct,83.33\n") != NULL, "5 of 6, half up: %s", summary);
  cr_assert (strstr (summary, "adrg_changed_pct,66.67\n") != NULL, "%s", summary);
  top = slurp (dir, "top_movements.csv");
  cr_assert (strstr (top, "\n1,ES35,") != NULL, "the largest movement first: %s", top);
  hospitals = slurp (dir, "hospitals.csv");
  cr_assert (strstr (hospitals, "\nH1,3,3,100.00,3,100.00,0,0.00,ES35→ES4G,2\n") != NULL,
             "%s", hospitals);
  cr_assert (strstr (hospitals, "\"H<2>\"") == NULL && strstr (hospitals, "H<2>,1,1,") != NULL,
             "%s", hospitals);
  html = slurp (dir, "report.html");
  cr_assert (strstr (html, "<svg") != NULL);
  cr_assert (strstr (html, "H&lt;2&gt;") != NULL, "hospital ids are escaped");
  cr_assert (strstr (html, "H<2>") == NULL);
  cr_assert (strstr (html, "<script") == NULL);
  rm_rf (dir);
}

Test (compare, rejects_a_file_that_is_not_an_episodes_file)
{
  g_autoptr (CmScheme) a = test_load_scheme ("chs-drg-3.0");
  g_autoptr (CmCompare) cmp = cm_compare_new (a, a);
  g_autofree char *dir = g_dir_make_tmp ("cm-cmp-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "episodes.csv", NULL);
  g_autoptr (GError) error = NULL;

  cr_assert (g_file_set_contents (path, CM_COMPARE_EPISODE_HEADER "\nE1,H1,SUCCESS\n", -1, NULL));
  cr_assert_not (cm_compare_add_file (cmp, path, &error));
  cr_assert_eq (error->code, CM_COMPARE_ERROR_FORMAT);
  cr_assert (strstr (error->message, "episodes.csv:2:") != NULL, "%s", error->message);
  rm_rf (dir);
}

/* ------------------------------------------------------------------ */
/* casemix compare */

static char *
run (const char *args, int *status, char **err_out)
{
  const char *bin = g_getenv ("CM_CASEMIX_BIN");
  g_autofree char *cmd = NULL;
  char *out = NULL, *err = NULL;
  int wait = 0;
  cr_assert_not_null (bin, "CM_CASEMIX_BIN not set");
  cmd = g_strdup_printf ("%s %s", bin, args);
  cr_assert (g_spawn_command_line_sync (cmd, &out, &err, &wait, NULL));
  *status = WIFEXITED (wait) ? WEXITSTATUS (wait) : -1;
  if (err_out)
    *err_out = err;
  else
    g_free (err);
  return out;
}

Test (compare_cli, the_same_scheme_twice_changes_nothing)
{
  g_autofree char *dir = g_dir_make_tmp ("cm-cmp-XXXXXX", NULL);
  g_autofree char *csv = g_build_filename (dir, "in.csv", NULL);
  g_autofree char *args = NULL, *out = NULL, *summary = NULL;
  int status;

  cr_assert (g_file_set_contents (csv,
    "episode_id,patient_id,hospital_id,hospital_level,county_id,insurance_type,"
    "insured_region,sex,age_years,age_days,birth_weight_g,admit_date,discharge_date,"
    "los_days,dept,discharge_status,icu_hours,diagnoses,procedures,total_cost,"
    "out_of_catalogue_cost,patient_copay,fund_paid_ffs,per_diem_category\n"
    "E1,P1,H1,2,430102,employee,local,1,45,,,2024-03-01,2024-03-05,4,0304,1,0,I21.001,,"
    "100.00,0.00,10.00,90.00,\n"
    "E2,bad\n", -1, NULL));
  args = g_strdup_printf ("compare --scheme chs-drg-3.0 --scheme chs-drg-3.0 -o %s/r %s", dir,
                          csv);
  out = run (args, &status, NULL);
  cr_assert_eq (status, 0);
  summary = slurp (dir, "r/summary.csv");
  cr_assert (strstr (summary, "episodes,1\ngroup_changed,0\n") != NULL, "%s", summary);
  {
    g_autofree char *rej = slurp (dir, "r/rejects.csv");
    cr_assert (strstr (rej, "\n3,") != NULL, "the broken line is in the rejects: %s", rej);
  }
  rm_rf (dir);
}

Test (compare_cli, one_episode_for_a_coder)
{
  int status;
  g_autofree char *err = NULL;
  g_autofree char *out = run ("compare --scheme changsha-2023 --scheme chs-drg-3.0 --episode "
                              "'E1,P1,H1,2,430102,employee,local,1,75,,,2026-08-27,2026-08-31,4,"
                              "0304,1,0,J18.900|I10.x00,,100.00,0.00,10.00,90.00,'",
                              &status, &err);
  cr_assert_eq (status, 0, "%s", err);
  cr_assert (strstr (out, "episode E1, discharged 2026-08-31") != NULL, "%s", out);
  cr_assert (strstr (out, "ES35") != NULL && strstr (out, "ES4G") != NULL, "%s", out);
  cr_assert (strstr (out, "→ ADRG changes ES3 → ES4 (DRG ES35 → ES4G) within MDCE") != NULL,
             "%s", out);
  g_free (out);
  out = run ("compare --scheme changsha-2023 --scheme chs-drg-3.0 --episode 'E1,short'",
             &status, NULL);
  cr_assert_eq (status, 2);
  g_free (out);
  out = run ("compare --scheme changsha-2023 -", &status, NULL);
  cr_assert_eq (status, 2, "one --scheme is not enough");
}

Test (compare_cli, sample_20k_changsha_to_3_0, .timeout = 300)
{
  g_autofree char *sample = test_shared_path ("episodes/sample-20k.csv");
  g_autofree char *dir = NULL, *args = NULL, *out = NULL, *err = NULL;
  g_autofree char *summary = NULL, *matrix = NULL, *hospitals = NULL, *html = NULL;
  guint64 sum = 0;
  int status;

  if (sample == NULL)
    cr_skip_test ("../shared absent");
  dir = g_dir_make_tmp ("cm-cmp-XXXXXX", NULL);
  args = g_strdup_printf ("compare --scheme changsha-2023 --scheme chs-drg-3.0 -o %s %s", dir,
                          sample);
  out = run (args, &status, &err);
  cr_assert_eq (status, 0, "%s", err);
  summary = slurp (dir, "summary.csv");
  cr_assert (strstr (summary, "episodes,20000\n") != NULL, "%s", summary);
  /* every episode is in the matrix and in the hospital table once */
  matrix = slurp (dir, "matrix.csv");
  sum = sum_column (matrix, -2);
  cr_assert_eq (sum, 20000, "every episode once in the matrix");
  hospitals = slurp (dir, "hospitals.csv");
  sum = sum_column (hospitals, 1);
  cr_assert_eq (sum, 20000, "every episode once in the hospital table");
  html = slurp (dir, "report.html");
  cr_assert (strstr (html, "<svg") != NULL && strstr (html, "</html>") != NULL);
  cr_log_info ("%s", err);
  rm_rf (dir);
}
