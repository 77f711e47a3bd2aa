/* test-cli.c — the `casemix` program as other tools use it: options, exit
 * codes, output and rejects files, the summary.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include "test-common.h"

typedef struct {
  int status;
  char *out;
  char *err;
} Run;

static void
run_free (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

/* Runs casemix with @args (space-separated, no quoting) and @input on stdin. */
static Run
run (const char *args, const char *input)
{
  const char *bin = g_getenv ("CM_CASEMIX_BIN");
  g_autofree char *cmd = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *in_path = NULL;
  Run r = { 0 };
  int wait;

  cr_assert_not_null (bin, "CM_CASEMIX_BIN not set");
  if (input != NULL)
    {
      int fd = g_file_open_tmp ("cm-cli-XXXXXX", &in_path, NULL);
      cr_assert (g_file_set_contents (in_path, input, -1, NULL));
      close (fd);
      cmd = g_strdup_printf ("sh -c '%s %s < %s'", bin, args, in_path);
    }
  else
    cmd = g_strdup_printf ("%s %s", bin, args);
  cr_assert (g_spawn_command_line_sync (cmd, &r.out, &r.err, &wait, &error),
             "%s", error ? error->message : "");
  r.status = WIFEXITED (wait) ? WEXITSTATUS (wait) : -1;
  if (in_path)
    g_unlink (in_path);
  return r;
}

#define HEADER \
  "episode_id,patient_id,hospital_id,hospital_level,county_id,insurance_type," \
  "insured_region,sex,age_years,age_days,birth_weight_g,admit_date,discharge_date," \
  "los_days,dept,discharge_status,icu_hours,diagnoses,procedures,total_cost," \
  "out_of_catalogue_cost,patient_copay,fund_paid_ffs,per_diem_category\n"
#define GOOD(id) id ",P1,H1,2,430102,employee,local,1,45,,,2024-03-01,2024-03-05,4," \
  "0304,1,0,I21.001,,100.00,0.00,10.00,90.00,\n"

Test (cli, groups_stdin_and_reports_rejects_with_exit_0)
{
  Run r = run ("group --scheme chs-drg-1.1 --threads 2 -",
               HEADER GOOD ("E1") "E2,bad\n" GOOD ("E1") GOOD ("E3"));
  cr_assert_eq (r.status, 0, "exit %d: %s", r.status, r.err);
  cr_assert (g_str_has_prefix (r.out, "episode_id,status,mdc,adrg,drg\nE1,SUCCESS,MDCF,"),
             "%s", r.out);
  cr_assert (strstr (r.out, "\nE3,SUCCESS,MDCF,") != NULL, "%s", r.out);
  cr_assert (strstr (r.err, "5 lines read, 2 episodes grouped, 2 rejected") != NULL,
             "summary: %s", r.err);
  run_free (&r);
}

Test (cli, writes_rejects_file)
{
  g_autofree char *dir = g_dir_make_tmp ("cm-cli-XXXXXX", NULL);
  g_autofree char *rej = g_build_filename (dir, "rej.csv", NULL);
  g_autofree char *out = g_build_filename (dir, "out.csv", NULL);
  g_autofree char *args = g_strdup_printf ("group --scheme chs-drg-1.1 -o %s --rejects %s",
                                           out, rej);
  g_autofree char *rtext = NULL, *otext = NULL;
  Run r = run (args, HEADER GOOD ("E1") "E2,bad\n" GOOD ("E1"));

  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (g_file_get_contents (rej, &rtext, NULL, NULL));
  cr_assert (g_file_get_contents (out, &otext, NULL, NULL));
  cr_assert_str_eq (rtext,
                    "line,reason\n"
                    "3,\"columns: 2 fields, expected 24\"\n"
                    "4,duplicate_id: episode_id E1 is already used by an earlier record\n");
  cr_assert (g_str_has_prefix (otext, "episode_id,status,mdc,adrg,drg\nE1,"));
  run_free (&r);
}

typedef struct {
  const char *desc;
  const char *args;
  int status;
  const char *err;
} ExitCase;

static ExitCase exit_cases[] = {
  { "no command", "", 2, "Usage" },
  { "unknown command", "frobnicate", 2, "unknown command 'frobnicate'" },
  { "scheme missing", "group /dev/null", 2, "give one of --scheme, --schemes or --region" },
  { "unknown option", "group --scheme chs-drg-1.1 --bogus /dev/null", 2, "bogus" },
  { "bad input format", "group --scheme chs-drg-1.1 --input-format xml /dev/null", 2,
    "--input-format must be episodes or opendrg" },
  { "no such scheme", "group --scheme no-such-scheme /dev/null", 3,
    "no-such-scheme: no such folder" },
  { "unreadable input", "group --scheme chs-drg-1.1 /nonexistent/x.csv", 1,
    "/nonexistent/x.csv: No such file" },
  { "translate on a DIP scheme", "group --scheme dip-cn-national-3.0 --translate /dev/null",
    2, "--translate applies to DRG schemes only" },
  { "no-comprehensive on a DRG scheme",
    "group --scheme chs-drg-1.1 --no-comprehensive /dev/null", 2,
    "--no-comprehensive applies to DIP schemes only" },
  { "empty input is fine", "group --scheme chs-drg-1.1 /dev/null", 0,
    "0 lines read" },
};

ParameterizedTestParameters (cli, exit_codes)
{
  return cr_make_param_array (ExitCase, exit_cases, G_N_ELEMENTS (exit_cases));
}

ParameterizedTest (ExitCase *c, cli, exit_codes)
{
  Run r = run (c->args, NULL);
  cr_assert_eq (r.status, c->status, "%s: exit %d, expected %d (%s)", c->desc,
                r.status, c->status, r.err);
  cr_assert (strstr (r.err, c->err) != NULL || strstr (r.out, c->err) != NULL,
             "%s: stderr '%s' lacks '%s'", c->desc, r.err, c->err);
  run_free (&r);
}

Test (cli, reads_opendrg_input)
{
  Run r = run ("group --scheme chs-drg-1.1 --input-format opendrg -",
               "Index,gender,age,ageDay,weight,dept,inHospitalTime,leavingType,zdList,ssList\n"
               "a1,1,45.0, , ,0304,4,1,I21.001,\n"
               "a2,1,45,,,0304,4,1,\"I21.001,I10.x00\",\n"
               "a3,1,4x,,,0304,4,1,I21.001,\n");
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strstr (r.out, "\na1,SUCCESS,MDCF,") != NULL, "%s", r.out);
  cr_assert (strstr (r.out, "\na2,SUCCESS,MDCF,") != NULL, "%s", r.out);
  cr_assert (strstr (r.out, "\na3,CHECK_FAILED,0000,00,0000") != NULL, "%s", r.out);
  run_free (&r);
}
