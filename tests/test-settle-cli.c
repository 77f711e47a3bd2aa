/* test-settle-cli.c — `casemix settle` and `casemix alliance` as bureau
 * staff run them: exit codes, messages naming file:line, CSV outputs, the
 * all-or-nothing decisions file.
 * SPDX-License-Identifier: Apache-2.0 */
#include "test-common.h"
#include <glib/gstdio.h>

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

/* Runs casemix with @args (NULL-terminated) in @dir. */
static void
run (Run *r, const char *dir, const char *const *args)
{
  const char *bin = g_getenv ("CM_CASEMIX_BIN");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  int status;

  cr_assert_not_null (bin, "CM_CASEMIX_BIN is not set");
  g_ptr_array_add (argv, (gpointer) bin);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  cr_assert (g_spawn_sync (dir, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                           &r->out, &r->err, &status, &error), "%s",
             error ? error->message : "");
  r->status = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static char *
make_dir (void)
{
  char *dir = g_dir_make_tmp ("cm-settle-cli-XXXXXX", NULL);
  g_autofree char *tables = g_strdup (g_getenv ("CASEMIX_TABLES"));
  g_autofree char *from = g_build_filename (tables ? tables : "tables", "policy", "zhuzhou",
                                            NULL);
  g_autofree char *fix = test_data_path ("settle/pack");
  g_autofree char *cmd = g_strdup_printf ("mkdir -p '%s/pack' && cp '%s'/* '%s'/* '%s/pack/'",
                                          dir, from, fix, dir);
  cr_assert_eq (system (cmd), 0);
  return dir;
}

static void
remove_dir (char *dir)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  (void) system (cmd);
  g_free (dir);
}

static void
sample_month (const char *dir, int month, const char *name)
{
  g_auto (Run) r = { 0 };
  g_autofree char *m = g_strdup_printf ("%d", month);
  const char *args[] = { "sample", "--scheme", "changsha-2023", "-n", "300", "--year", "2024",
                         "--month", m, "--hospitals", "6", "--id-prefix", name, "-o", name,
                         NULL };
  run (&r, dir, args);
  cr_assert_eq (r.status, 0, "%s", r.err);
}

Test (settle_cli, usage_errors_exit_2)
{
  g_auto (Run) a = { 0 }, b = { 0 }, c = { 0 };
  const char *none[] = { "settle", NULL };
  const char *no_month[] = { "settle", "import", "--ledger", "l.sqlite", "--policy",
                             "zhuzhou", "x.csv", NULL };
  const char *bad_action[] = { "settle", "review", "approve-all", "--ledger", "l.sqlite",
                               "--policy", "zhuzhou", NULL };
  char *dir = make_dir ();

  run (&a, dir, none);
  cr_assert_eq (a.status, 2);
  run (&b, dir, no_month);
  cr_assert_eq (b.status, 2);
  cr_assert_not_null (strstr (b.err, "--month"), "%s", b.err);
  run (&c, dir, bad_action);
  cr_assert_eq (c.status, 2);
  cr_assert_not_null (strstr (c.err, "unknown action 'approve-all'"), "%s", c.err);
  remove_dir (dir);
}

Test (settle_cli, a_bad_settlement_file_exits_3_naming_file_and_line)
{
  g_auto (Run) r = { 0 };
  char *dir = make_dir ();
  g_autofree char *xml = g_build_filename (dir, "pack", "settlement.xml", NULL);
  const char *args[] = { "settle", "month", "--ledger", "l.sqlite", "--policy", "pack",
                         "--month", "2024-01", NULL };

  cr_assert (g_file_set_contents (xml, "<settlement format=\"1\" region=\"430200\">\n"
                                  "<year value=\"2024\">\n<monthly quality-reserve=\"5%\"/>\n"
                                  "</year></settlement>\n", -1, NULL));
  run (&r, dir, args);
  cr_assert_eq (r.status, 3, "%s", r.err);
  cr_assert_not_null (strstr (r.err, "settlement.xml:3: <monthly quality-reserve=\"5%\">: "
                              "settle.quality_reserve_ratio"), "%s", r.err);
  remove_dir (dir);
}

Test (settle_cli, a_month_import_settle_verify_audit, .timeout = 300)
{
  g_auto (Run) imp = { 0 }, again = { 0 }, month = { 0 }, verify = { 0 }, audit = { 0 };
  g_auto (Run) year = { 0 }, nosettle = { 0 };
  g_autofree char *csv = NULL;
  char *dir = make_dir ();
  const char *a_imp[] = { "settle", "import", "--ledger", "l.sqlite", "--policy", "pack",
                          "--month", "2024-01", "--rejects", "rej.csv", "jan.csv", NULL };
  const char *a_month[] = { "settle", "month", "--ledger", "l.sqlite", "--policy", "pack",
                            "--month", "2024-01", "-o", "st.csv", "--xlsx", "m.xlsx",
                            "--html", "m.html", NULL };
  const char *a_year_early[] = { "settle", "year", "--ledger", "l.sqlite", "--policy",
                                 "pack", "--year", "2024", NULL };
  const char *a_feb[] = { "settle", "import", "--ledger", "l.sqlite", "--policy", "pack",
                          "--month", "2024-02", "feb.csv", NULL };
  const char *a_verify[] = { "settle", "verify", "--ledger", "l.sqlite", "--policy", "pack",
                             "--year", "2024", NULL };
  const char *a_audit[] = { "settle", "audit", "--ledger", "l.sqlite", NULL };

  sample_month (dir, 1, "jan.csv");
  sample_month (dir, 2, "feb.csv");
  run (&imp, dir, a_imp);
  cr_assert_eq (imp.status, 0, "%s", imp.err);
  cr_assert_not_null (strstr (imp.err, "300 accepted, 0 rejected; 300 new"), "%s", imp.err);
  run (&again, dir, a_imp);
  cr_assert_eq (again.status, 0);
  cr_assert_not_null (strstr (again.err, "already imported"), "%s", again.err);
  run (&month, dir, a_month);
  cr_assert_eq (month.status, 0, "%s", month.err);
  cr_assert (g_file_get_contents (g_build_filename (dir, "st.csv", NULL), &csv, NULL, NULL));
  cr_assert (g_str_has_prefix (csv, "region,period,run,hospital_id,level,county_id,cases,"));
  cr_assert (g_file_test (g_build_filename (dir, "m.xlsx", NULL), G_FILE_TEST_IS_REGULAR));
  cr_assert (g_file_test (g_build_filename (dir, "m.html", NULL), G_FILE_TEST_IS_REGULAR));

  /* February imported but not settled: the year refuses, saying which */
  run (&nosettle, dir, a_feb);
  cr_assert_eq (nosettle.status, 0);
  run (&year, dir, a_year_early);
  cr_assert_eq (year.status, 1);
  cr_assert_not_null (strstr (year.err, "2024-02"), "%s", year.err);

  run (&verify, dir, a_verify);
  cr_assert_eq (verify.status, 0, "%s%s", verify.out, verify.err);
  cr_assert_not_null (strstr (verify.out, " 0 failed"), "%s", verify.out);
  cr_assert_not_null (strstr (verify.out, "ledger digest "), "%s", verify.out);
  run (&audit, dir, a_audit);
  cr_assert_eq (audit.status, 0);
  cr_assert_not_null (strstr (audit.out, "\timport\tbatch 1 source jan.csv"), "%s", audit.out);
  cr_assert_not_null (strstr (audit.out, "\tsettle month\trun 1"), "%s", audit.out);
  remove_dir (dir);
}

Test (settle_cli, decisions_file_is_all_or_nothing, .timeout = 300)
{
  g_auto (Run) imp = { 0 }, cand = { 0 }, dec = { 0 }, list = { 0 };
  g_autofree char *first = NULL, *decisions = NULL;
  char *dir = make_dir ();
  const char *a_imp[] = { "settle", "month", "--ledger", "l.sqlite", "--policy", "pack",
                          "--month", "2024-01", "-i", "jan.csv", NULL };
  const char *a_cand[] = { "settle", "review", "candidates", "--ledger", "l.sqlite",
                           "--policy", "pack", "--period", "2024-01", NULL };
  const char *a_dec[] = { "settle", "review", "decide", "--ledger", "l.sqlite", "--policy",
                          "pack", "--decisions", "dec.tsv", NULL };
  const char *a_list[] = { "settle", "review", "list", "--ledger", "l.sqlite", "--policy",
                           "pack", "--period", "2024", NULL };

  sample_month (dir, 1, "jan.csv");
  run (&imp, dir, a_imp);
  cr_assert_eq (imp.status, 0, "%s", imp.err);
  run (&cand, dir, a_cand);
  cr_assert_eq (cand.status, 0, "%s", cand.err);
  {
    const char *nl = strchr (cand.out, '\n');
    cr_assert_not_null (nl);
    first = g_strndup (nl + 1, strcspn (nl + 1, ","));
  }
  /* a good decision, then a bad one on line 3: nothing recorded */
  decisions = g_strdup_printf ("episode_id\taction\tpay\tnote\n%s\tsubmit\t\tfirst\n"
                               "NO-SUCH\tsubmit\t\t\n", first);
  cr_assert (g_file_set_contents (g_build_filename (dir, "dec.tsv", NULL), decisions, -1,
                                  NULL));
  run (&dec, dir, a_dec);
  cr_assert_eq (dec.status, 1);
  cr_assert_not_null (strstr (dec.err, "dec.tsv:3: case NO-SUCH: not in the ledger"), "%s",
                      dec.err);
  cr_assert_not_null (strstr (dec.err, "no decision of the file was recorded"), "%s",
                      dec.err);
  run (&list, dir, a_list);
  cr_assert_eq (list.status, 0);
  cr_assert_null (strstr (list.out, first), "the first decision was kept: %s", list.out);
  remove_dir (dir);
}

Test (settle_cli, alliance_budget_reproduces_bud_1)
{
  g_auto (Run) r = { 0 };
  char *dir = make_dir ();
  const char *args[] = { "alliance", "budget", "--policy", "pack", "--year", "2024", NULL };

  run (&r, dir, args);
  cr_assert_eq (r.status, 0, "%s", r.err);
  /* the fixture's county is BUD-1 / 1000 */
  cr_assert_not_null (strstr (r.out, "A1,Alliance one,430223,420000,31000.00,558000.00,"
                              "334800.00\n"), "%s", r.out);
  cr_assert_not_null (strstr (r.out, "A2,Alliance two,430223,280000,31000.00,558000.00,"
                              "223200.00\n"), "%s", r.out);
  remove_dir (dir);
}
