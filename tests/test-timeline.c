/* test-timeline.c — the scheme of each episode chosen by its discharge date
 * (schemes.tsv, cm-timeline.h), the shadow scheme alongside, and
 * `casemix group --schemes/--region` at the boundary days.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <glib/gstdio.h>
#include "test-common.h"

/* The transition of the issue: 2026-09 … 2027-03 both schemes side by side,
 * payment by 3.0 from 2027-01-01. */
static const char transition_tsv[] =
  "valid_from\tvalid_to\tscheme\trole\n"
  "2024-01-01\t2026-12-31\tchs-drg-1.1\tprimary\n"
  "2027-01-01\t\tchs-drg-3.0\tprimary\n"
  "2026-09-01\t2026-12-31\tchs-drg-3.0\tshadow\n"
  "2027-01-01\t2027-03-31\tchs-drg-1.1\tshadow\n";

static char *
write_tmp (const char *name, const char *text, char **dir_out)
{
  char *dir = g_dir_make_tmp ("cm-tl-XXXXXX", NULL);
  char *p = g_build_filename (dir, name, NULL);
  cr_assert (g_file_set_contents (p, text, -1, NULL));
  *dir_out = dir;
  return p;
}

static void
rm_rf (const char *dir)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  cr_assert_eq (system (cmd), 0);
}

static gint32
day (const char *iso)
{
  gint32 d = 0;
  cr_assert (cm_date_parse (iso, &d), "%s", iso);
  return d;
}

typedef struct {
  const char *date;
  const char *text;   /* NULL: not a date */
} DateRow;

ParameterizedTestParameters (timeline, parses_and_formats_dates)
{
  static DateRow rows[] = {
    { "1970-01-01", "1970-01-01" }, { "2024-02-29", "2024-02-29" },
    { "2026-12-31", "2026-12-31" }, { "2027-01-01", "2027-01-01" },
    { "2025-02-29", NULL }, { "2026-13-01", NULL }, { "2026-1-01", NULL },
    { "2026/01/01", NULL }, { "", NULL }, { "2026-01-01 ", NULL },
  };
  return cr_make_param_array (DateRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (DateRow *row, timeline, parses_and_formats_dates)
{
  gint32 d = 0;
  char buf[11];
  gboolean ok = cm_date_parse (row->date, &d);
  cr_assert_eq (ok, row->text != NULL, "'%s'", row->date);
  if (ok)
    {
      cm_date_format (d, buf);
      cr_assert_str_eq (buf, row->text);
    }
}

Test (timeline, epoch_and_consecutive_days)
{
  cr_assert_eq (day ("1970-01-01"), 0);
  cr_assert_eq (day ("2027-01-01") - day ("2026-12-31"), 1);
  cr_assert_eq (day ("2025-03-01") - day ("2025-02-28"), 1);
}

typedef struct {
  const char *date;
  const char *primary;  /* NULL: none */
  const char *shadow;   /* NULL: none */
} BoundaryRow;

ParameterizedTestParameters (timeline, picks_the_scheme_by_discharge_date_at_the_boundaries)
{
  static BoundaryRow rows[] = {
    { "2023-12-31", NULL, NULL },
    { "2024-01-01", "chs-drg-1.1", NULL },
    { "2026-08-31", "chs-drg-1.1", NULL },
    { "2026-09-01", "chs-drg-1.1", "chs-drg-3.0" },
    { "2026-12-31", "chs-drg-1.1", "chs-drg-3.0" },
    { "2027-01-01", "chs-drg-3.0", "chs-drg-1.1" },
    { "2027-03-31", "chs-drg-3.0", "chs-drg-1.1" },
    { "2027-04-01", "chs-drg-3.0", NULL },
    { "2099-12-31", "chs-drg-3.0", NULL },
  };
  return cr_make_param_array (BoundaryRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (BoundaryRow *row, timeline,
                   picks_the_scheme_by_discharge_date_at_the_boundaries)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = write_tmp ("schemes.tsv", transition_tsv, &dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmTimeline) tl = cm_timeline_load (path, &error);
  g_autoptr (CmTimelineContext) ctx = NULL;
  CmScheme *p, *s, *used = NULL;
  CmEpisode ep;
  g_auto (GStrv) store = NULL;
  CmGroupResult r;
  gint32 d;

  cr_assert_not_null (tl, "%s", error ? error->message : "");
  cr_assert (cm_timeline_has_shadow (tl));
  cr_assert_eq (cm_timeline_get_n_schemes (tl), 2, "each scheme loaded once");
  d = day (row->date);
  p = cm_timeline_lookup (tl, d, CM_TIMELINE_PRIMARY);
  s = cm_timeline_lookup (tl, d, CM_TIMELINE_SHADOW);
  if (row->primary)
    cr_assert_str_eq (cm_scheme_get_id (p), row->primary, "%s", row->date);
  else
    cr_assert_null (p, "%s", row->date);
  if (row->shadow)
    cr_assert_str_eq (cm_scheme_get_id (s), row->shadow, "%s", row->date);
  else
    cr_assert_null (s, "%s", row->date);

  /* grouping goes to the same scheme */
  ctx = cm_timeline_context_new (tl);
  test_episode (&ep, "sex=1 age=75 dx=I21.001", &store);
  ep.discharge_date = d;
  cr_assert_eq (cm_timeline_group (ctx, &ep, CM_TIMELINE_PRIMARY, CM_GROUP_DEFAULT, &r, &used),
                row->primary != NULL);
  if (row->primary)
    {
      cr_assert_eq (used, p);
      cr_assert_str_eq (r.status, "SUCCESS");
    }
  rm_rf (dir);
}

typedef struct {
  const char *desc;
  const char *text;
  const char *message;
} BadTimelineRow;

ParameterizedTestParameters (timeline, rejects_bad_files_naming_the_line)
{
  static BadTimelineRow rows[] = {
    { "header", "from\tto\tscheme\trole\n", "schemes.tsv:1:1: header" },
    { "bad date",
      "valid_from\tvalid_to\tscheme\trole\n2026-02-30\t\tchs-drg-3.0\tprimary\n",
      "schemes.tsv:2:1: column valid_from: '2026-02-30'" },
    { "end before start",
      "valid_from\tvalid_to\tscheme\trole\n2026-02-01\t2026-01-31\tchs-drg-3.0\tprimary\n",
      "schemes.tsv:2:12: column valid_to" },
    { "role",
      "valid_from\tvalid_to\tscheme\trole\n2026-02-01\t\tchs-drg-3.0\tmain\n",
      "schemes.tsv:2: column role: 'main'" },
    { "overlap",
      "valid_from\tvalid_to\tscheme\trole\n2024-01-01\t2026-12-31\tchs-drg-1.1\tprimary\n"
      "2026-12-31\t\tchs-drg-3.0\tprimary\n",
      "schemes.tsv:3: the primary range overlaps" },
    { "unknown scheme",
      "valid_from\tvalid_to\tscheme\trole\n2024-01-01\t\tno-such-scheme\tprimary\n",
      "schemes.tsv:2: scheme: no-such-scheme" },
    { "columns", "valid_from\tvalid_to\tscheme\trole\n2024-01-01\tchs-drg-3.0\tprimary\n",
      "schemes.tsv:2:1: expected 4 columns" },
  };
  return cr_make_param_array (BadTimelineRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (BadTimelineRow *row, timeline, rejects_bad_files_naming_the_line)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = write_tmp ("schemes.tsv", row->text, &dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmTimeline) tl = cm_timeline_load (path, &error);
  cr_assert_null (tl, "%s loaded", row->desc);
  cr_assert_eq (error->domain, CM_SCHEME_ERROR);
  cr_assert (strstr (error->message, row->message) != NULL, "%s: got '%s'", row->desc,
             error->message);
  rm_rf (dir);
}

/* ------------------------------------------------------------------ */
/* casemix group --schemes / --region */

#define HEADER \
  "episode_id,patient_id,hospital_id,hospital_level,county_id,insurance_type," \
  "insured_region,sex,age_years,age_days,birth_weight_g,admit_date,discharge_date," \
  "los_days,dept,discharge_status,icu_hours,diagnoses,procedures,total_cost," \
  "out_of_catalogue_cost,patient_copay,fund_paid_ffs,per_diem_category\n"
#define CASE(id, admit, dis) id ",P1,H1,2,430102,employee,local,1,75,,," admit "," dis \
  ",4,0304,1,0,I21.001,,100.00,0.00,10.00,90.00,\n"

static char *
run (const char *args, int *status)
{
  const char *bin = g_getenv ("CM_CASEMIX_BIN");
  g_autofree char *cmd = NULL, *err = NULL;
  char *out = NULL;
  int wait = 0;
  cr_assert_not_null (bin, "CM_CASEMIX_BIN not set");
  cmd = g_strdup_printf ("%s %s", bin, args);
  cr_assert (g_spawn_command_line_sync (cmd, &out, &err, &wait, NULL));
  *status = WIFEXITED (wait) ? WEXITSTATUS (wait) : -1;
  return out;
}

Test (group_cli, schemes_file_chooses_per_episode_with_shadow_columns)
{
  g_autofree char *dir = NULL;
  g_autofree char *tl = write_tmp ("schemes.tsv", transition_tsv, &dir);
  g_autofree char *in = g_build_filename (dir, "in.csv", NULL);
  g_autofree char *args = NULL, *out = NULL;
  int status;

  cr_assert (g_file_set_contents (in, HEADER
                                  CASE ("E1", "2026-08-27", "2026-08-31")
                                  CASE ("E2", "2026-08-28", "2026-09-01")
                                  CASE ("E3", "2026-12-27", "2026-12-31")
                                  CASE ("E4", "2026-12-28", "2027-01-01")
                                  CASE ("E5", "2027-03-28", "2027-04-01")
                                  CASE ("E6", "2023-12-27", "2023-12-31"), -1, NULL));
  args = g_strdup_printf ("group --schemes %s --quiet %s", tl, in);
  out = run (args, &status);
  cr_assert_eq (status, 0, "%s", out);
  cr_assert (g_str_has_prefix (out, "episode_id,scheme,status,mdc,adrg,code,"
                                    "shadow_scheme,shadow_status,shadow_code\n"), "%s", out);
  cr_assert (strstr (out, "\nE1,chs-drg-1.1,SUCCESS,MDCF,FR1,FR1") != NULL, "%s", out);
  cr_assert (strstr (out, "\nE1,chs-drg-1.1,SUCCESS,MDCF,FR1,FR13,,,\n") != NULL
             || strstr (out, ",,,\nE2,") != NULL, "no shadow before 2026-09-01: %s", out);
  cr_assert (strstr (out, "\nE2,chs-drg-1.1,") != NULL && strstr (out, ",chs-drg-3.0,SUCCESS,FR19\nE3")
             != NULL, "shadow 3.0 from 2026-09-01: %s", out);
  cr_assert (strstr (out, "\nE3,chs-drg-1.1,") != NULL, "%s", out);
  cr_assert (strstr (out, "\nE4,chs-drg-3.0,SUCCESS,MDCF,FR1,FR19,chs-drg-1.1,SUCCESS,") != NULL,
             "3.0 pays from 2027-01-01: %s", out);
  cr_assert (strstr (out, "\nE5,chs-drg-3.0,SUCCESS,MDCF,FR1,FR19,,,\n") != NULL,
             "no shadow after 2027-03-31: %s", out);
  cr_assert (strstr (out, "\nE6,,NO_SCHEME,,,,,,\n") != NULL, "before the first range: %s", out);
  rm_rf (dir);
}

/* --region R is --schemes <tables>/policy/R/schemes.tsv, whatever that
 * shipped timeline says. */
Test (group_cli, region_uses_the_shipped_timeline)
{
  g_autofree char *dir = g_dir_make_tmp ("cm-tl-XXXXXX", NULL);
  g_autofree char *in = g_build_filename (dir, "in.csv", NULL);
  g_autofree char *tl = g_build_filename (g_getenv ("CASEMIX_TABLES"), "policy", "zhuzhou",
                                          "schemes.tsv", NULL);
  g_autofree char *args = NULL, *out = NULL, *out2 = NULL;
  int status;

  cr_assert (g_file_set_contents (in, HEADER CASE ("E1", "2026-12-27", "2026-12-31")
                                  CASE ("E2", "2026-12-28", "2027-01-01"), -1, NULL));
  args = g_strdup_printf ("group --region zhuzhou --quiet %s", in);
  out = run (args, &status);
  cr_assert_eq (status, 0, "%s", out);
  cr_assert (g_str_has_prefix (out, "episode_id,scheme,status,"), "%s", out);
  g_free (args);
  args = g_strdup_printf ("group --schemes %s --quiet %s", tl, in);
  out2 = run (args, &status);
  cr_assert_eq (status, 0);
  cr_assert_str_eq (out, out2);
  g_free (out);
  out = run ("group --region no-such-region -", &status);
  cr_assert_eq (status, 3);
  g_free (out);
  out = run ("group --region zhuzhou --scheme chs-drg-3.0 -", &status);
  cr_assert_eq (status, 2, "--region and --scheme exclude each other");
  rm_rf (dir);
}
