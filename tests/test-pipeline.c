/* test-pipeline.c — the batch pipeline keeps input order and gives the same
 * bytes whatever the thread count and chunk size.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include "test-common.h"
#include <unistd.h>
#include <glib/gstdio.h>

Test (pipeline, output_independent_of_threads_and_chunks, .timeout = 120)
{
  g_autofree char *corpus = test_shared_path ("episodes/sample-20k.csv");
  g_autoptr (CmScheme) s = NULL;
  char *base, *base_rej;
  CmPipelineStats st0;
  static const struct { guint threads; gsize chunk; } runs[] = {
    { 2, 0 }, { 4, 4096 }, { 3, 10007 }, { 8, 65536 },
  };

  if (corpus == NULL)
    corpus = test_data_path ("episodes/adversarial.csv");
  s = test_load_scheme ("chs-drg-1.1");
  base = test_group_file (s, 0, corpus, CM_INPUT_EPISODES, 1, 0, &base_rej, &st0);
  cr_assert_gt (st0.accepted, 0);
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      CmPipelineStats st;
      char *rej;
      char *got = test_group_file (s, 0, corpus, CM_INPUT_EPISODES,
                                   runs[i].threads, runs[i].chunk, &rej, &st);
      cr_expect_str_eq (got, base, "threads %u chunk %zu: output differs",
                        runs[i].threads, runs[i].chunk);
      cr_expect_str_eq (rej, base_rej, "threads %u chunk %zu: rejects differ",
                        runs[i].threads, runs[i].chunk);
      cr_expect_eq (st.accepted, st0.accepted);
      cr_expect_eq (st.rejected, st0.rejected);
      free (got);
      free (rej);
    }
  free (base);
  free (base_rej);
}

Test (pipeline, counts_add_up_and_order_is_kept)
{
  g_autofree char *path = NULL;
  g_autoptr (CmScheme) s = test_load_scheme ("chs-drg-1.1");
  g_autoptr (GError) error = NULL;
  static const char *header =
    "episode_id,patient_id,hospital_id,hospital_level,county_id,insurance_type,"
    "insured_region,sex,age_years,age_days,birth_weight_g,admit_date,discharge_date,"
    "los_days,dept,discharge_status,icu_hours,diagnoses,procedures,total_cost,"
    "out_of_catalogue_cost,patient_copay,fund_paid_ffs,per_diem_category\n";
  GString *text = g_string_new ("\xEF\xBB\xBF");
  CmPipelineStats st;
  char *rej, *out;
  guint n_good = 0, n_bad = 0;
  int fd;

  g_string_append (text, header);
  for (guint i = 0; i < 3000; i++)
    {
      if (i % 7 == 3)
        {
          g_string_append_printf (text, "B%u,broken line\r\n", i);
          n_bad++;
        }
      else if (i % 11 == 5)
        g_string_append (text, "\n");
      else
        {
          g_string_append_printf (text,
            "E%05u,P1,H1,2,430102,employee,local,1,45,,,2024-03-01,2024-03-05,4,"
            "0304,1,0,I21.001,,100.00,0.00,10.00,90.00,\r\n", i);
          n_good++;
        }
    }
  fd = g_file_open_tmp ("cm-pipe-XXXXXX.csv", &path, &error);
  cr_assert (fd >= 0);
  cr_assert (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
  close (fd);
  out = test_group_file (s, 0, path, CM_INPUT_EPISODES, 3, 4096, &rej, &st);
  cr_assert_eq (st.accepted, n_good);
  cr_assert_eq (st.rejected, n_bad);
  cr_assert_eq (st.lines, 3001);
  cr_assert_eq (st.lines, 1 + st.accepted + st.rejected + st.empty);
  /* input order: ids ascend */
  {
    g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
    for (guint i = 2; lines[i] && *lines[i]; i++)
      cr_assert (strcmp (lines[i - 1], lines[i]) < 0, "order broken at %u", i);
    g_auto (GStrv) rlines = g_strsplit (rej, "\n", -1);
    cr_assert_str_eq (rlines[0], "line,reason");
    cr_assert (g_str_has_prefix (rlines[1], "5,\"columns: "), "%s", rlines[1]);
  }
  free (out);
  free (rej);
  g_unlink (path);
  g_string_free (text, TRUE);
}

static const char *
id_only (gpointer worker, const CmEpisode *ep, GString *out)
{
  cm_csv_append_field (out, ep->episode_id);
  g_string_append_c (out, '\n');
  return "OK";
}

/* Found by tests/fuzz/fuzz-pipeline: an OpenDRG first line longer than a
 * chunk never reached the parser, so every data line after it failed a
 * precondition and left its reject unset (a crash writing the reject). It
 * is fatal, as in CmEpisodeReader; episode lines are still read by
 * position. */
Test (pipeline, first_line_longer_than_a_chunk)
{
  CmPipelineOps ops = { .worker_new = NULL, .worker_free = NULL, .process = id_only };
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  CmInputFormat formats[] = { CM_INPUT_OPENDRG, CM_INPUT_EPISODES };
  int fd;

  for (guint i = 0; i < 5000; i++)
    g_string_append_c (text, 'A');
  g_string_append (text, "\n1,1,45,,,0304,3,1,A01,\n");
  fd = g_file_open_tmp ("cm-pipe-XXXXXX.csv", &path, &error);
  cr_assert (fd >= 0);
  cr_assert (write (fd, text->str, text->len) == (ssize_t) text->len);
  for (guint f = 0; f < G_N_ELEMENTS (formats); f++)
    {
      CmPipelineOptions opt = { formats[f], 2, 4096, "long.csv" };
      CmPipelineStats st;
      char *out = NULL, *rej = NULL;
      size_t out_len = 0, rej_len = 0;
      FILE *o = open_memstream (&out, &out_len);
      FILE *r = open_memstream (&rej, &rej_len);
      gboolean ok;

      cr_assert (lseek (fd, 0, SEEK_SET) == 0);
      ok = cm_pipeline_run (fd, &opt, &ops, NULL, o, r, &st, &error);
      fclose (o);
      fclose (r);
      if (formats[f] == CM_INPUT_OPENDRG)
        {
          cr_assert_not (ok);
          cr_assert (g_error_matches (error, CM_EPISODE_READER_ERROR,
                                      CM_EPISODE_READER_ERROR_HEADER));
          cr_assert (strstr (error->message, "long.csv") != NULL, "%s",
                     error->message);
          g_clear_error (&error);
        }
      else
        {
          cr_assert (ok, "%s", error ? error->message : "");
          cr_assert_eq (st.lines, 2);
          cr_assert_eq (st.rejected, 2);  /* the long line, then columns */
          cr_assert (g_str_has_prefix (rej, "line,reason\n1,field_length: "),
                     "%s", rej);
        }
      free (out);
      free (rej);
    }
  close (fd);
  g_unlink (path);
}

/* written() sees exactly the rows that are written: not a duplicate_id. */
typedef struct { guint64 n_written; guint64 sum; } WrittenTotals;

static const char *
payload_process (gpointer worker, const CmEpisode *ep, GString *out, gpointer payload)
{
  guint64 *v = payload;
  *v = (guint64) ep->total_cost_fen;
  g_string_append_printf (out, "%s\n", ep->episode_id);
  return "OK";
}

static void
payload_written (gpointer user_data, gconstpointer payload)
{
  WrittenTotals *t = user_data;
  t->n_written++;
  t->sum += *(const guint64 *) payload;
}

Test (pipeline, written_callback_skips_duplicates)
{
  static const char *header =
    "episode_id,patient_id,hospital_id,hospital_level,county_id,insurance_type,"
    "insured_region,sex,age_years,age_days,birth_weight_g,admit_date,discharge_date,"
    "los_days,dept,discharge_status,icu_hours,diagnoses,procedures,total_cost,"
    "out_of_catalogue_cost,patient_copay,fund_paid_ffs,per_diem_category\n";
  CmPipelineOps ops = { .payload_size = sizeof (guint64),
                        .process_payload = payload_process,
                        .written = payload_written };
  CmPipelineOptions opt = { .format = CM_INPUT_EPISODES, .n_threads = 3, .chunk_size = 4096 };
  WrittenTotals t = { 0 };
  GString *text = g_string_new (header);
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  CmPipelineStats st;
  FILE *in, *out = fopen ("/dev/null", "w");
  int fd;

  for (guint i = 0; i < 2000; i++)
    g_string_append_printf (text,
      "E%05u,P1,H1,2,430102,employee,local,1,45,,,2024-03-01,2024-03-05,4,"
      "0304,1,0,I21.001,,1.00,0.00,0.10,0.90,\n", i % 1500);  /* 500 duplicates */
  fd = g_file_open_tmp ("cm-pay-XXXXXX.csv", &path, NULL);
  cr_assert (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
  close (fd);
  in = fopen (path, "r");
  cr_assert (cm_pipeline_run (fileno (in), &opt, &ops, &t, out, NULL, &st, &error));
  cr_assert_eq (st.accepted, 1500);
  cr_assert_eq (st.rejected, 500);
  cr_assert_eq (t.n_written, 1500, "written %" G_GUINT64_FORMAT, t.n_written);
  cr_assert_eq (t.sum, 1500 * 100);
  fclose (in);
  fclose (out);
  g_unlink (path);
  g_string_free (text, TRUE);
}
