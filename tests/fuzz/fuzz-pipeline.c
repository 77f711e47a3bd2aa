/* fuzz-pipeline.c — libFuzzer target: cm_pipeline_run over a fuzzed file,
 * with a small grouping callback (the fixture scheme mini-v2), one and three
 * worker threads, chunks of about the smallest size the pipeline allows.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Input: byte 0 chooses the run, the rest is the file.
 *   bit 0     0 the episode exchange CSV, 1 OpenDRG CSV
 *   bit 1     code translation on
 *   bits 2-3  chunk size: 4096, 4097, 5000 or 8192 bytes
 *
 * Checks: the line counts add up (lines = accepted + rejected + empty, + 1
 * for an accepted header); the output does not depend on the number of
 * threads; and when every line fits in a chunk, output and rejects are
 * exactly what CmEpisodeReader and the same callback give, line by line. */
#include "config.h"

#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "cm-pipeline.h"
#include "cm-scheme.h"

static CmScheme *scheme;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;

  fuzz_init ();
  dir = fuzz_data_path ("schemes/mini-v2");
  scheme = cm_scheme_load (dir, &error);
  if (scheme == NULL)
    {
      fprintf (stderr, "fuzz-pipeline: %s\n", error->message);
      abort ();
    }
  return 0;
}

static gpointer
worker_new (gpointer user_data)
{
  return cm_group_context_new (scheme);
}

static void
worker_free (gpointer worker)
{
  cm_group_context_free (worker);
}

static CmGroupFlags flags;

static const char *
process (gpointer worker, const CmEpisode *ep, GString *out)
{
  CmGroupResult r;

  cm_group (worker, ep, flags, &r);
  cm_csv_append_field (out, ep->episode_id);
  g_string_append_printf (out, ",%s,%s,%s,%s,%u,%u\n", r.status, r.mdc, r.adrg,
                          r.drg, ep->n_dx, ep->n_px);
  return r.status;
}

typedef struct {
  gboolean ok;
  CmPipelineStats stats;
  char *out;
  char *rejects;
} Run;

static void
run_clear (Run *run)
{
  free (run->out);
  free (run->rejects);
}

static void
run_pipeline (int fd, CmInputFormat format, guint threads, gsize chunk,
              Run *run)
{
  CmPipelineOps ops = { .worker_new = worker_new, .worker_free = worker_free, .process = process };
  CmPipelineOptions opt = { format, threads, chunk, "fuzz" };
  g_autoptr (GError) error = NULL;
  size_t out_len = 0, rej_len = 0;
  FILE *out, *rej;

  memset (run, 0, sizeof *run);
  FUZZ_CHECK (lseek (fd, 0, SEEK_SET) == 0, "lseek");
  out = open_memstream (&run->out, &out_len);
  rej = open_memstream (&run->rejects, &rej_len);
  run->ok = cm_pipeline_run (fd, &opt, &ops, NULL, out, rej, &run->stats,
                             &error);
  FUZZ_CHECK (run->ok == (error == NULL), "result %d, error %s", run->ok,
              error ? error->message : "none");
  fclose (out);
  fclose (rej);
}

/* What the pipeline should write, from CmEpisodeReader. FALSE when the
 * reader stops with an error. */
static gboolean
run_reader (const char *text, gsize size, CmInputFormat format, GString *out,
            GString *rejects)
{
  g_autoptr (CmEpisodeReader) reader = NULL;
  g_autoptr (CmGroupContext) ctx = cm_group_context_new (scheme);
  g_autofree CmEpisode *ep = g_new0 (CmEpisode, 1);
  gboolean ok = TRUE;
  FILE *f;

  /* glibc takes size 0 (not /dev/null: it need not be the null device) */
  f = fmemopen ((void *) (size > 0 ? text : ""), size, "r");
  FUZZ_CHECK (f != NULL, "fmemopen: %s", g_strerror (errno));
  reader = cm_episode_reader_new (f, format);
  g_string_append (rejects, "line,reason\n");
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      CmReject reject;
      CmReadResult r = cm_episode_reader_next (reader, ep, &reject, &error);
      char buf[CM_REJECT_MESSAGE_LEN + 64];

      if (r == CM_READ_EOF)
        break;
      if (r == CM_READ_ERROR)
        {
          ok = FALSE;
          break;
        }
      if (r == CM_READ_EPISODE)
        {
          process (ctx, ep, out);
          continue;
        }
      cm_reject_format (&reject, buf, sizeof buf);
      g_string_append_printf (rejects, "%" G_GUINT64_FORMAT ",", reject.line);
      cm_csv_append_field (rejects, buf);
      g_string_append_c (rejects, '\n');
    }
  fclose (f);
  return ok;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const gsize chunks[] = { 4096, 4097, 5000, 8192 };
  CmInputFormat format;
  gsize chunk, longest = 0, n_lines = 0;
  const char *text, *p, *end;
  Run one, three;
  int fd;

  if (size < 1)
    return 0;
  format = (data[0] & 1) ? CM_INPUT_OPENDRG : CM_INPUT_EPISODES;
  flags = (data[0] & 2) ? CM_GROUP_TRANSLATE : CM_GROUP_DEFAULT;
  chunk = chunks[(data[0] >> 2) & 3];
  text = (const char *) data + 1;
  size--;

  /* physical lines, and the longest with its line end */
  for (p = text, end = text + size; p < end; n_lines++)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      gsize len = nl ? (gsize) (nl - p) + 1 : (gsize) (end - p);
      longest = MAX (longest, len);
      p += len;
    }

  fd = memfd_create ("fuzz-pipeline", MFD_CLOEXEC);
  FUZZ_CHECK (fd >= 0, "memfd_create: %s", g_strerror (errno));
  FUZZ_CHECK (size == 0 || write (fd, text, size) == (ssize_t) size, "write");

  run_pipeline (fd, format, 1, chunk, &one);
  run_pipeline (fd, format, 3, chunk, &three);
  close (fd);

  /* threads change nothing */
  FUZZ_CHECK (one.ok == three.ok, "1 thread: %d, 3 threads: %d", one.ok, three.ok);
  FUZZ_CHECK (strcmp (one.out, three.out) == 0,
              "output differs with 3 threads:\n--- 1\n%s--- 3\n%s", one.out,
              three.out);
  FUZZ_CHECK (strcmp (one.rejects, three.rejects) == 0,
              "rejects differ with 3 threads:\n--- 1\n%s--- 3\n%s", one.rejects,
              three.rejects);
  FUZZ_CHECK (memcmp (&one.stats, &three.stats, G_STRUCT_OFFSET (CmPipelineStats, n_statuses)) == 0,
              "counts differ with 3 threads");

  if (one.ok)
    {
      const CmPipelineStats *st = &one.stats;
      gboolean header_rejected = g_str_has_prefix (one.rejects, "line,reason\n1,");
      guint64 n_rows = 0, n_rejects = 0, by_status = 0;

      FUZZ_CHECK (st->lines == n_lines, "lines %" G_GUINT64_FORMAT ", the file has %"
                  G_GSIZE_FORMAT, st->lines, n_lines);
      if (n_lines > 0)
        FUZZ_CHECK (st->accepted + st->rejected + st->empty + !header_rejected
                    == st->lines,
                    "accepted %" G_GUINT64_FORMAT " + rejected %" G_GUINT64_FORMAT
                    " + empty %" G_GUINT64_FORMAT " + header %d != lines %"
                    G_GUINT64_FORMAT, st->accepted, st->rejected, st->empty,
                    !header_rejected, st->lines);
      for (p = one.out; *p; p++)
        n_rows += *p == '\n';
      for (p = one.rejects; *p; p++)
        n_rejects += *p == '\n';
      FUZZ_CHECK (n_rows == st->accepted, "%" G_GUINT64_FORMAT " rows for %"
                  G_GUINT64_FORMAT " accepted", n_rows, st->accepted);
      FUZZ_CHECK (n_rejects == st->rejected + 1, "%" G_GUINT64_FORMAT
                  " reject rows for %" G_GUINT64_FORMAT " rejected", n_rejects,
                  st->rejected);
      for (guint i = 0; i < st->n_statuses; i++)
        by_status += st->status_count[i];
      FUZZ_CHECK (by_status == st->accepted, "status counts");
    }

  if (longest + 1 < chunk)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      g_autoptr (GString) rejects = g_string_new (NULL);
      gboolean ok = run_reader (text, size, format, out, rejects);

      FUZZ_CHECK (ok == one.ok, "reader: %d, pipeline: %d", ok, one.ok);
      if (ok)
        {
          FUZZ_CHECK (strcmp (out->str, one.out) == 0,
                      "output differs from the reader's:\n--- reader\n%s"
                      "--- pipeline\n%s", out->str, one.out);
          FUZZ_CHECK (strcmp (rejects->str, one.rejects) == 0,
                      "rejects differ from the reader's:\n--- reader\n%s"
                      "--- pipeline\n%s", rejects->str, one.rejects);
        }
    }
  run_clear (&one);
  run_clear (&three);
  return 0;
}
