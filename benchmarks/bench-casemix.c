/* bench-casemix.c — throughput, memory and load-time benchmark.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Generates a seeded synthetic corpus (casemix sample, discharges in 2024:
 * no real data), then
 * in one run measures, on this machine and this build:
 *   - the I/O floor: reading the file (cat) and counting its lines (wc -l);
 *   - `casemix group` CSV in → CSV out on 1 thread and on all cores, for a
 *     DRG and the DIP scheme: wall time, episodes/s, peak RSS of the child,
 *     and a checksum of the output (equal across thread counts, or it is
 *     a bug);
 *   - scheme load time (best of 5, in-process);
 *   - per-case grouping latency p50/p99 (in-process, parsed episodes);
 *   - what pricing adds to grouping: `casemix price` under the shipped demo
 *     policies (zhuzhou: DRG changsha-2023; yiyang: DIP 3.0) against
 *     `casemix group` with the same scheme, runs alternated, best of
 *     --repeat each, 1 thread and all cores (the target: ≤ 1.25×).
 * Ratios are printed against the I/O floor and the 1-thread run, since
 * machines are shared and noisy: compare ratios within one run.
 *
 * Usage: bench-casemix CASEMIX_BIN [--sizes 1000000,5000000] [--keep DIR]
 *          [--only load,group,latency,price] [--repeat 5] */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include "casemix.h"

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct {
  double seconds;
  long max_rss_kb;
  int status;
} ChildRun;

/* Runs argv with stdout to @out_path; returns wall time and peak RSS. */
static ChildRun
run_child (char **argv, const char *out_path)
{
  ChildRun r = { 0 };
  struct rusage ru;
  double t0 = now_s ();
  pid_t pid = fork ();
  int st;

  if (pid == 0)
    {
      int fd = open (out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int devnull = open ("/dev/null", O_WRONLY);
      dup2 (fd, 1);
      dup2 (devnull, 2);
      execv (argv[0], argv);
      _exit (127);
    }
  wait4 (pid, &st, 0, &ru);
  r.seconds = now_s () - t0;
  r.max_rss_kb = ru.ru_maxrss;
  r.status = WIFEXITED (st) ? WEXITSTATUS (st) : -1;
  return r;
}

static guint64
file_checksum (const char *path, guint64 *lines)
{
  FILE *f = fopen (path, "rb");
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);
  char buf[1 << 16];
  size_t n;

  *lines = 0;
  if (f == NULL)
    return 0;
  while ((n = fread (buf, 1, sizeof buf, f)) > 0)
    for (size_t i = 0; i < n; i++)
      {
        h = (h ^ (guchar) buf[i]) * G_GUINT64_CONSTANT (0x100000001b3);
        *lines += buf[i] == '\n';
      }
  fclose (f);
  return h;
}

/* The I/O floor: read the whole file (cat > /dev/null), count LFs (wc -l). */
static double
io_floor (const char *path, gboolean count, guint64 *lines)
{
  int fd = open (path, O_RDONLY);
  static char buf[1 << 20];
  double t0 = now_s ();
  ssize_t n;

  *lines = 0;
  while ((n = read (fd, buf, sizeof buf)) > 0)
    if (count)
      {
        const char *p = buf, *end = buf + n;
        while ((p = memchr (p, '\n', (size_t) (end - p))) != NULL)
          {
            (*lines)++;
            p++;
          }
      }
  close (fd);
  return now_s () - t0;
}

static int cmp_double (const void *a, const void *b);

/* `group` and `price` on @corpus, alternated (and the order swapped every
 * round) so that both see the same machine: prints the best wall time of
 * each and two estimates of their ratio, best against best and the median
 * of the per-round ratios (steadier on a shared machine). */
static void
price_vs_group (const char *bin, const char *corpus, const char *outp,
                const char *scheme, const char *policy, const char *threads,
                const char *size, guint64 n, int repeat)
{
  char *group_args[] = { (char *) bin, "group", "-q", "--scheme", (char *) scheme,
                         "--threads", (char *) threads, (char *) corpus, NULL };
  char *price_args[] = { (char *) bin, "price", "-q", "--policy", (char *) policy,
                         "--threads", (char *) threads, (char *) corpus, NULL };
  ChildRun best[2] = { { 1e9, 0, 0 }, { 1e9, 0, 0 } };
  double *ratios = g_new (double, repeat);
  guint64 sum = 0, out_lines = 0;
  g_autofree char *gname = g_strdup_printf ("group__%s_%s_%st", scheme, size, threads);
  g_autofree char *pname = g_strdup_printf ("price__%s_%s_%st", policy, size, threads);
  char rss[32];

  for (int i = 0; i < repeat; i++)
    {
      double t[2];
      for (int j = 0; j < 2; j++)
        {
          int k = (i % 2 == 0) ? j : 1 - j;
          ChildRun r = run_child (k == 0 ? group_args : price_args, outp);
          if (r.status != 0)
            best[k].status = r.status;
          best[k].max_rss_kb = MAX (best[k].max_rss_kb, r.max_rss_kb);
          best[k].seconds = MIN (best[k].seconds, r.seconds);
          t[k] = r.seconds;
          if (k == 1)
            sum = file_checksum (outp, &out_lines);
        }
      ratios[i] = t[1] / t[0];
    }
  qsort (ratios, repeat, sizeof (double), cmp_double);
  g_snprintf (rss, sizeof rss, "%ldM", best[0].max_rss_kb / 1024);
  printf ("%-40s %8.3f %12.0f %9s %s\n", gname, best[0].seconds, n / best[0].seconds,
          rss, best[0].status != 0 ? " (FAILED)" : "");
  g_snprintf (rss, sizeof rss, "%ldM", best[1].max_rss_kb / 1024);
  printf ("%-40s %8.3f %12.0f %9s %018" G_GINT64_MODIFIER "x%s\n", pname,
          best[1].seconds, n / best[1].seconds, rss, sum,
          best[1].status != 0 ? " (FAILED)" : out_lines != n + 1 ? " (LINES?)" : "");
  printf ("%-40s price/group: best %.3f, median of %d rounds %.3f (target <= 1.25)\n", "",
          best[1].seconds / best[0].seconds, repeat,
          repeat % 2 ? ratios[repeat / 2] : (ratios[repeat / 2 - 1] + ratios[repeat / 2]) / 2);
  g_free (ratios);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Best-of-5 load time of a shipped scheme, in ms. */
static double
load_ms (const char *name)
{
  double best = 1e9;
  for (int i = 0; i < 5; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *dir = cm_tables_find (name, &error);
      double t0 = now_s ();
      g_autoptr (CmScheme) s = dir ? cm_scheme_load (dir, &error) : NULL;
      double t = (now_s () - t0) * 1000;
      if (s == NULL)
        {
          g_printerr ("load %s: %s\n", name, error ? error->message : "?");
          return -1;
        }
      best = MIN (best, t);
    }
  return best;
}

/* p50/p99 of grouping one parsed episode, in ns, over the first @max
 * episodes of @path. */
static void
latency (const char *scheme_name, const char *path, guint max, double *p50,
         double *p99)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = cm_tables_find (scheme_name, &error);
  g_autoptr (CmScheme) s = cm_scheme_load (dir, &error);
  g_autoptr (CmGroupContext) ctx = cm_group_context_new (s);
  FILE *f = fopen (path, "r");
  g_autoptr (CmEpisodeReader) rd = cm_episode_reader_new (f, CM_INPUT_EPISODES);
  CmEpisode *ep = g_new0 (CmEpisode, 1);
  double *t = g_new (double, max);
  guint n = 0;
  CmReject rej;
  CmReadResult rr;

  while (n < max && (rr = cm_episode_reader_next (rd, ep, &rej, &error)) != CM_READ_EOF
         && rr != CM_READ_ERROR)
    {
      CmGroupResult res;
      struct timespec a, b;
      if (rr != CM_READ_EPISODE)
        continue;
      clock_gettime (CLOCK_MONOTONIC, &a);
      cm_group (ctx, ep, 0, &res);
      clock_gettime (CLOCK_MONOTONIC, &b);
      t[n++] = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
    }
  qsort (t, n, sizeof (double), cmp_double);
  *p50 = n ? t[n / 2] : 0;
  *p99 = n ? t[n * 99 / 100] : 0;
  g_free (t);
  g_free (ep);
  fclose (f);
}

int
main (int argc, char **argv)
{
  const char *bin;
  g_autofree char *sizes_arg = NULL, *keep = NULL, *only = NULL;
  g_auto (GStrv) parts = NULL;
  int repeat = 5;
  g_auto (GStrv) sizes = NULL;
  g_autofree char *tmpdir = NULL;
  char threads_all[16];
  guint ncores = g_get_num_processors ();
  static const char *const schemes[] = { "chs-drg-1.1", "changsha-2023", "chs-drg-3.0",
                                         "dip-cn-national-3.0" };
  GOptionEntry entries[] = {
    { "sizes", 0, 0, G_OPTION_ARG_STRING, &sizes_arg,
      "Comma-separated corpus sizes (default 1000000,5000000)", "N,…" },
    { "keep", 0, 0, G_OPTION_ARG_FILENAME, &keep, "Keep corpora in DIR", "DIR" },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only,
      "Comma-separated parts to run: load, group, latency, price (default all)",
      "PARTS" },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat,
      "Rounds of the price part (default 5)", "N" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("CASEMIX_BIN");
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("usage: bench-casemix CASEMIX_BIN [--sizes N,…]\n");
      return 2;
    }
  bin = argv[1];
  parts = g_strsplit (only ? only : "load,group,latency,price", ",", -1);
  if (repeat < 1)
    repeat = 1;
  sizes = g_strsplit (sizes_arg ? sizes_arg : "1000000,5000000", ",", -1);
  tmpdir = keep ? g_strdup (keep) : g_dir_make_tmp ("cm-bench-XXXXXX", NULL);
  g_mkdir_with_parents (tmpdir, 0755);
  g_snprintf (threads_all, sizeof threads_all, "%u", ncores);

  printf ("casemix benchmark — casemix %s, commit %s (at configure time), %s build, %u cores\n\n",
          CM_VERSION, CM_GIT_COMMIT, CM_BUILDTYPE, ncores);

  printf ("%-28s %10s %14s\n", "scheme load (best of 5)", "ms", "ms (TSV only)");
  for (guint i = 0; g_strv_contains ((const char *const *) parts, "load")
                   && i < G_N_ELEMENTS (schemes); i++)
    {
      double packed, tsv;
      packed = load_ms (schemes[i]);  /* the first load writes the pack */
      packed = load_ms (schemes[i]);
      g_setenv ("CASEMIX_NO_PACK", "1", TRUE);
      tsv = load_ms (schemes[i]);
      g_unsetenv ("CASEMIX_NO_PACK");
      printf ("load__%-22s %10.1f %14.1f\n", schemes[i], packed, tsv);
    }
  printf ("\n");

  for (guint si = 0; sizes[si]; si++)
    {
      guint64 n = g_ascii_strtoull (sizes[si], NULL, 10);
      g_autofree char *corpus = g_strdup_printf ("%s/sample-%s.csv", tmpdir, sizes[si]);
      g_autofree char *outp = g_strdup_printf ("%s/out.csv", tmpdir);
      guint64 lines;
      double t_cat, t_wc, base_1t = 0;

      if (!g_file_test (corpus, G_FILE_TEST_EXISTS))
        {
          char nbuf[32];
          /* 2024: the year the shipped demo policies price */
          char *gen[] = { (char *) bin, "sample", "-n", nbuf, "--seed", "7",
                          "--hospitals", "40", "--year", "2024", NULL };
          g_snprintf (nbuf, sizeof nbuf, "%" G_GUINT64_FORMAT, n);
          run_child (gen, corpus);
        }
      t_cat = io_floor (corpus, FALSE, &lines);
      t_cat = MIN (t_cat, io_floor (corpus, FALSE, &lines));
      t_wc = io_floor (corpus, TRUE, &lines);
      printf ("corpus: %" G_GUINT64_FORMAT " episodes (seed 7), %" G_GUINT64_FORMAT " lines\n",
              n, lines);
      printf ("%-34s %8s %12s %9s %9s %18s\n", "case", "seconds", "episodes/s",
              "peakRSS", "vs floor", "checksum");
      printf ("%-34s %8.3f %12.0f %9s %9s %18s\n", "floor__cat", t_cat, n / t_cat, "-", "1.00", "-");
      printf ("%-34s %8.3f %12.0f %9s %9.2f %18s\n", "floor__wc-l", t_wc, n / t_wc, "-",
              t_wc / t_cat, "-");
      for (guint k = 0; g_strv_contains ((const char *const *) parts, "group")
                       && k < G_N_ELEMENTS (schemes); k++)
        {
          if (k == 1 || k == 2)
            continue;  /* one DRG and the DIP scheme per size; load covers all */
          for (int th = 0; th < 2; th++)
            {
              char *args[] = { (char *) bin, "group", "-q", "--scheme", (char *) schemes[k],
                               "--threads", th == 0 ? "1" : threads_all, corpus, NULL };
              ChildRun r = run_child (args, outp);
              guint64 out_lines;
              guint64 sum = file_checksum (outp, &out_lines);
              g_autofree char *name = g_strdup_printf ("group__%s_%s_%ut", schemes[k],
                                                       sizes[si], th == 0 ? 1 : ncores);
              char rss[32];
              if (th == 0)
                base_1t = r.seconds;
              g_snprintf (rss, sizeof rss, "%ldM", r.max_rss_kb / 1024);
              printf ("%-34s %8.3f %12.0f %9s %9.2f %018" G_GINT64_MODIFIER "x%s\n", name,
                      r.seconds, n / r.seconds, rss, r.seconds / t_cat, sum,
                      r.status != 0 ? " (FAILED)" : out_lines != n + 1 ? " (LINES?)" : "");
              if (th == 1)
                printf ("%-34s %8s %12s %9s %9s   speed-up %.2fx\n", "", "", "", "", "",
                        base_1t / r.seconds);
            }
        }
      if (g_strv_contains ((const char *const *) parts, "price"))
        {
          printf ("pricing against grouping alone, %d alternated rounds:\n", repeat);
          price_vs_group (bin, corpus, outp, "changsha-2023", "zhuzhou", "1", sizes[si], n,
                          repeat);
          price_vs_group (bin, corpus, outp, "dip-cn-national-3.0", "yiyang", "1", sizes[si],
                          n, repeat);
          price_vs_group (bin, corpus, outp, "changsha-2023", "zhuzhou", threads_all,
                          sizes[si], n, repeat);
          price_vs_group (bin, corpus, outp, "dip-cn-national-3.0", "yiyang", threads_all,
                          sizes[si], n, repeat);
        }
      if (si == 0 && g_strv_contains ((const char *const *) parts, "latency"))
        {
          double p50, p99;
          for (guint k = 0; k < G_N_ELEMENTS (schemes); k++)
            {
              latency (schemes[k], corpus, 200000, &p50, &p99);
              printf ("latency__%-25s p50 %6.0f ns   p99 %6.0f ns\n", schemes[k], p50, p99);
            }
        }
      g_unlink (outp);
      if (keep == NULL)
        g_unlink (corpus);
      printf ("\n");
    }
  if (keep == NULL)
    g_rmdir (tmpdir);
  return 0;
}
