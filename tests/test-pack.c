/* test-pack.c — the compiled-scheme cache: written after a TSV load, used
 * when fresh, ignored and rebuilt when stale or corrupt, and grouping the
 * same either way.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include <utime.h>
#include <glib/gstdio.h>
#include "test-common.h"
#include "cm-drg-private.h"

/* A private copy of a shipped scheme and a private cache folder. */
static char *
setup (const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *src = cm_tables_find (name, &error);
  char *tmp = g_dir_make_tmp ("cm-pack-XXXXXX", NULL);
  g_autofree char *dst = g_build_filename (tmp, name, NULL);
  g_autofree char *cache = g_build_filename (tmp, "cache", NULL);
  g_autoptr (GDir) d = g_dir_open (src, 0, NULL);
  const char *f;

  g_mkdir (dst, 0755);
  while ((f = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *a = g_build_filename (src, f, NULL);
      g_autofree char *b = g_build_filename (dst, f, NULL);
      g_autofree char *text = NULL;
      gsize len;
      cr_assert (g_file_get_contents (a, &text, &len, NULL));
      cr_assert (g_file_set_contents (b, text, (gssize) len, NULL));
    }
  g_setenv ("CASEMIX_CACHE_DIR", cache, TRUE);
  g_unsetenv ("CASEMIX_NO_PACK");
  return g_steal_pointer (&dst);
}

static CmDrgScheme *
load (const char *dir)
{
  g_autoptr (GError) error = NULL;
  CmDrgScheme *s = cm_drg_scheme_load (dir, &error);
  cr_assert_not_null (s, "%s", error ? error->message : "");
  return s;
}

/* Groups a fixed synthetic corpus; returns the concatenated results. */
static char *
group_all (CmDrgScheme *s, const char *corpus)
{
  g_autoptr (CmDrgContext) ctx = cm_drg_context_new (s);
  FILE *f = fopen (corpus, "r");
  g_autoptr (CmEpisodeReader) rd = cm_episode_reader_new (f, CM_INPUT_EPISODES);
  g_autoptr (GError) error = NULL;
  GString *out = g_string_new (NULL);
  CmEpisode *ep = g_new0 (CmEpisode, 1);
  CmReject rej;
  CmReadResult rr;

  while ((rr = cm_episode_reader_next (rd, ep, &rej, &error)) != CM_READ_EOF)
    {
      CmGroupResult r;
      cr_assert_neq (rr, CM_READ_ERROR);
      if (rr != CM_READ_EPISODE)
        continue;
      cm_drg_group (ctx, ep, FALSE, &r);
      g_string_append_printf (out, "%s,%s,%s,%s,%s\n", ep->episode_id, r.status, r.mdc,
                              r.adrg, r.drg);
      cm_drg_group (ctx, ep, TRUE, &r);
      g_string_append_printf (out, "T,%s,%s,%s,%s\n", r.status, r.mdc, r.adrg, r.drg);
    }
  fclose (f);
  g_free (ep);
  return g_string_free (out, FALSE);
}

static char *
corpus_for (CmDrgScheme *s)
{
  g_autoptr (CmScheme) whole = test_load_scheme ("chs-drg-1.1");
  CmSampleOptions opt;
  char *path = NULL;
  int fd = g_file_open_tmp ("cm-pack-XXXXXX.csv", &path, NULL);
  FILE *f = fdopen (fd, "w");
  cm_sample_options_init (&opt);
  opt.n = 5000;
  cr_assert (cm_sample_write (whole, &opt, f, NULL));
  fclose (f);
  (void) s;
  return path;
}

Test (pack, written_then_used_and_groups_identically, .timeout = 120)
{
  g_autofree char *dir = setup ("changsha-2023");
  g_autofree char *pack = cm_drg_pack_path (dir);
  g_autoptr (CmDrgScheme) a = load (dir);
  g_autoptr (CmDrgScheme) b = NULL;
  g_autofree char *corpus = corpus_for (a);
  g_autofree char *ra = NULL, *rb = NULL;

  cr_assert_null (a->pack, "first load must read the TSV files");
  cr_assert (g_file_test (pack, G_FILE_TEST_EXISTS), "no pack at %s", pack);
  b = load (dir);
  cr_assert_not_null (b->pack, "second load must use the pack");
  cr_assert_str_eq (cm_drg_scheme_get_id (a), cm_drg_scheme_get_id (b));
  cr_assert_str_eq (cm_drg_scheme_lookup_name (a, "BR21"), cm_drg_scheme_lookup_name (b, "BR21"));
  ra = group_all (a, corpus);
  rb = group_all (b, corpus);
  cr_assert_str_eq (ra, rb, "pack and TSV group differently");
  g_unlink (corpus);
}

Test (pack, corrupt_pack_is_ignored_and_rebuilt)
{
  g_autofree char *dir = setup ("chs-drg-3.0");
  g_autofree char *pack = cm_drg_pack_path (dir);
  g_autofree char *bytes = NULL;
  gsize len;
  g_autoptr (CmDrgScheme) a = load (dir);
  g_autoptr (CmDrgScheme) b = NULL, c = NULL;

  cr_assert (g_file_get_contents (pack, &bytes, &len, NULL));
  bytes[len / 2] ^= 0x40;  /* one bit inside the payload */
  cr_assert (g_file_set_contents (pack, bytes, (gssize) len, NULL));
  b = load (dir);
  cr_assert_null (b->pack, "a corrupt pack was trusted");
  c = load (dir);
  cr_assert_not_null (c->pack, "the pack was not rebuilt");
}

Test (pack, truncated_pack_is_ignored)
{
  g_autofree char *dir = setup ("chs-drg-3.0");
  g_autofree char *pack = cm_drg_pack_path (dir);
  g_autoptr (CmDrgScheme) a = load (dir);
  g_autoptr (CmDrgScheme) b = NULL;

  cr_assert_eq (truncate (pack, 1000), 0);
  b = load (dir);
  cr_assert_null (b->pack);
}

Test (pack, edited_table_makes_the_pack_stale)
{
  g_autofree char *dir = setup ("chs-drg-1.1");
  g_autofree char *splits = g_build_filename (dir, "drg_splits.tsv", NULL);
  g_autofree char *text = NULL;
  g_autoptr (CmDrgScheme) a = load (dir);
  g_autoptr (CmDrgScheme) b = NULL;
  g_autoptr (CmDrgContext) ctx = NULL;
  g_auto (GStrv) store = NULL;
  CmEpisode ep;
  CmGroupResult r;
  struct utimbuf times = { 1000000000, 1000000000 };

  /* rename a DRG in the splits, and give the file an old time stamp */
  cr_assert (g_file_get_contents (splits, &text, NULL, NULL));
  {
    char *at = strstr (text, "\tAA19\t");
    cr_assert_not_null (at);
    memcpy (at + 1, "ZZ99", 4);
  }
  cr_assert (g_file_set_contents (splits, text, -1, NULL));
  cr_assert_eq (utime (splits, &times), 0);
  b = load (dir);
  cr_assert_null (b->pack, "a stale pack was used");
  ctx = cm_drg_context_new (b);
  test_episode (&ep, "sex=1 age=50 dx=I25.100 px=37.5100", &store);
  cm_drg_group (ctx, &ep, FALSE, &r);
  cr_assert_str_eq (r.drg, "ZZ99", "edited table not used: %s", r.drg);
}

Test (pack, switched_off_by_environment)
{
  g_autofree char *dir = setup ("chs-drg-1.1");
  g_autofree char *pack = cm_drg_pack_path (dir);
  g_autoptr (CmDrgScheme) a = NULL;

  g_setenv ("CASEMIX_NO_PACK", "1", TRUE);
  a = load (dir);
  cr_assert_null (a->pack);
  cr_assert_not (g_file_test (pack, G_FILE_TEST_EXISTS));
}
