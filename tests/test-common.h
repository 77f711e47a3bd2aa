/* test-common.h — helpers shared by the Criterion suites.
 * SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <criterion/logging.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include "casemix.h"

/* $CM_SHARED_DIR/<rel>, or NULL when the shared corpus is absent (a user's
 * clone): golden tests then skip and say so. */
static inline char *
test_shared_path (const char *rel)
{
  const char *dir = g_getenv ("CM_SHARED_DIR");
  char *p;
  if (dir == NULL)
    return NULL;
  p = g_build_filename (dir, rel, NULL);
  if (!g_file_test (p, G_FILE_TEST_EXISTS))
    {
      g_free (p);
      return NULL;
    }
  return p;
}

static inline char *
test_data_path (const char *rel)
{
  const char *dir = g_getenv ("CM_TEST_DATA");
  return g_build_filename (dir ? dir : "tests/data", rel, NULL);
}

static inline CmScheme *
test_load_scheme (const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = cm_tables_find (name, &error);
  CmScheme *s = NULL;
  if (dir != NULL)
    s = cm_scheme_load (dir, &error);
  cr_assert_not_null (s, "scheme %s: %s", name, error ? error->message : "?");
  return s;
}

/* Groups a whole CSV file through the pipeline; returns the output text
 * (header included) and fills @stats. */
typedef struct {
  CmScheme *scheme;
  CmGroupFlags flags;
} TestGroupJob;

static gpointer
test_worker_new (gpointer user_data)
{
  TestGroupJob *job = user_data;
  return cm_group_context_new (job->scheme);
}

static void
test_worker_free (gpointer w)
{
  cm_group_context_free (w);
}

static CmGroupFlags test_flags;

static const char *
test_process (gpointer worker, const CmEpisode *ep, GString *out)
{
  CmGroupResult r;
  cm_group (worker, ep, test_flags, &r);
  cm_csv_append_field (out, ep->episode_id);
  if (r.family == CM_SCHEME_FAMILY_DRG)
    g_string_append_printf (out, ",%s,%s,%s,%s\n", r.status, r.mdc, r.adrg, r.drg);
  else
    g_string_append_printf (out, ",%s,%s,%s,%d\n", r.status, r.group_id,
                            r.rule_stage, r.primary_care ? 1 : 0);
  return r.status;
}

static inline char *
test_group_file (CmScheme *scheme, CmGroupFlags flags, const char *path,
                 CmInputFormat format, guint threads, gsize chunk,
                 char **rejects_out, CmPipelineStats *stats)
{
  TestGroupJob job = { scheme, flags };
  CmPipelineOps ops = { .worker_new = test_worker_new, .worker_free = test_worker_free, .process = test_process };
  CmPipelineOptions opt = { 0 };
  char *buf = NULL, *rbuf = NULL;
  size_t len = 0, rlen = 0;
  FILE *out = open_memstream (&buf, &len);
  FILE *rej = open_memstream (&rbuf, &rlen);
  g_autoptr (GError) error = NULL;
  FILE *in = fopen (path, "r");
  gboolean ok;

  cr_assert_not_null (in, "cannot open %s", path);
  test_flags = flags;
  if (cm_scheme_get_family (scheme) == CM_SCHEME_FAMILY_DRG)
    fputs ("episode_id,status,mdc,adrg,drg\n", out);
  else
    fputs ("episode_id,status,group_id,rule_stage,primary_care\n", out);
  opt.format = format;
  opt.n_threads = threads;
  opt.chunk_size = chunk;
  opt.input_name = path;
  ok = cm_pipeline_run (fileno (in), &opt, &ops, &job, out, rej, stats, &error);
  cr_assert (ok, "pipeline on %s: %s", path, error ? error->message : "?");
  fclose (in);
  fclose (out);
  fclose (rej);
  if (rejects_out)
    *rejects_out = rbuf;
  else
    free (rbuf);
  return buf;
}

/* Builds an episode from a compact spec such as
 * "id=E1 sex=1 age=30 days=2 wt=3000 dept=ICU los=5 dis=1 icu=0 dx=B1|M1 px=P1".
 * Fields not named are absent; values go through cm_field_set_text, so
 * "age=abc" is present but not an integer. dx/px are split at '|' keeping
 * empty items (dx= gives one empty code, px= gives no procedure). The
 * strings live in @store, which the caller frees with g_strfreev. */
static inline void
test_episode (CmEpisode *ep, const char *spec, GStrv *store)
{
  g_auto (GStrv) words = g_strsplit (spec, " ", -1);
  g_autoptr (GStrvBuilder) keep = g_strv_builder_new ();
  GStrv kept;
  guint k = 0;

  cm_episode_clear (ep);
  ep->episode_id = "T";
  for (guint i = 0; words[i]; i++)
    if (*words[i])
      g_strv_builder_add (keep, words[i]);
  kept = g_strv_builder_end (g_steal_pointer (&keep));
  *store = kept;
  for (k = 0; kept[k]; k++)
    {
      char *eq = strchr (kept[k], '=');
      char *key = kept[k], *val;
      cr_assert_not_null (eq, "bad spec word %s", kept[k]);
      *eq = '\0';
      val = eq + 1;
      if (strcmp (key, "id") == 0) ep->episode_id = val;
      else if (strcmp (key, "sex") == 0) cm_field_set_text (&ep->sex, val);
      else if (strcmp (key, "age") == 0) cm_field_set_text (&ep->age_years, val);
      else if (strcmp (key, "days") == 0) cm_field_set_text (&ep->age_days, val);
      else if (strcmp (key, "wt") == 0) cm_field_set_text (&ep->weight_g, val);
      else if (strcmp (key, "dept") == 0) cm_field_set_text (&ep->dept, val);
      else if (strcmp (key, "los") == 0) cm_field_set_text (&ep->los_days, val);
      else if (strcmp (key, "dis") == 0) cm_field_set_text (&ep->discharge, val);
      else if (strcmp (key, "icu") == 0) cm_field_set_text (&ep->icu_hours, val);
      else if (strcmp (key, "dx") == 0 || strcmp (key, "px") == 0)
        {
          gboolean dx = key[0] == 'd';
          guint n = 0;
          char *p = val;
          if (!dx && *val == '\0')
            continue;
          for (;;)
            {
              char *bar = strchr (p, '|');
              if (bar)
                *bar = '\0';
              (dx ? ep->dx : ep->px)[n++] = p;
              if (!bar)
                break;
              p = bar + 1;
            }
          if (dx)
            ep->n_dx = n;
          else
            {
              ep->n_px = n;
              ep->px_text_empty = FALSE;
            }
        }
      else
        cr_assert_fail ("unknown spec key %s", key);
    }
}
